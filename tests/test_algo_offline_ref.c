/* The losses of the off-policy and offline-RL learners against the
 * PyTorch reference vectors of testdata/nn/offline_rl.json (IQL's
 * expectile value loss and advantage weights, TD3+BC's actor loss, CQL(H),
 * the soft-Q target), every case of each kind the file holds, within the
 * README's float32 tolerances of the float64 block. SAC's squashed-Gaussian
 * sample and its backward, which the file does not cover, are checked by
 * finite differences. */
#include "nn_testutil.h"

#include "algo/offline_loss.h"

static float *vec(const json_t *c, const char *key, size_t want) {
  size_t n;
  float *v = tu_tensor_f32(nt_get(c, key), &n);
  if (n != want) fail_msg("%s: %zu elements, expected %zu", key, n, want);
  return v;
}

static void run_iql(const json_t *c) {
  int B = (int)tu_num(c, "batch");
  float *q = vec(c, "q", B), *v = vec(c, "v", B), *lp = vec(c, "log_prob", B);
  float *w = malloc(B * sizeof *w), *gv = malloc(B * sizeof *gv), *aw = malloc(B * sizeof *aw),
        *glp = malloc(B * sizeof *glp);
  double vl = mimic_iql_value_loss(q, v, B, tu_num(c, "expectile"), w, gv);
  double al =
      mimic_iql_actor_loss(q, v, lp, B, tu_num(c, "beta"), tu_num(c, "adv_weight_max"), aw, glp);
  const json_t *r = nt_get(c, "f64");
  nt_check(w, nt_get(r, "expectile_weight"), B, NT_ATOL, NT_RTOL, "expectile_weight");
  nt_check_scalar(vl, nt_get(r, "value_loss"), NT_ATOL, NT_RTOL, "value_loss");
  nt_check(gv, nt_get(r, "grad_v"), B, NT_ATOL, NT_RTOL, "grad_v");
  nt_check(aw, nt_get(r, "adv_weight"), B, NT_ATOL, NT_RTOL, "adv_weight");
  nt_check_scalar(al, nt_get(r, "actor_loss"), NT_ATOL, NT_RTOL, "actor_loss");
  nt_check(glp, nt_get(r, "grad_log_prob"), B, NT_ATOL, NT_RTOL, "grad_log_prob");
  free(q), free(v), free(lp), free(w), free(gv), free(aw), free(glp);
}

static void run_td3bc(const json_t *c) {
  int B = (int)tu_num(c, "batch"), A = (int)tu_num(c, "action_dim");
  float *q = vec(c, "q", B), *pi = vec(c, "pi", (size_t)B * A),
        *act = vec(c, "actions", (size_t)B * A);
  float *gq = malloc(B * sizeof *gq), *gpi = malloc((size_t)B * A * sizeof *gpi);
  double lam, qt, bt;
  double loss =
      mimic_td3bc_actor_loss(q, pi, act, B, A, tu_num(c, "alpha"), &lam, &qt, &bt, gq, gpi);
  const json_t *r = nt_get(c, "f64");
  nt_check_scalar(lam, nt_get(r, "lambda"), NT_ATOL, NT_RTOL, "lambda");
  nt_check_scalar(qt, nt_get(r, "q_term"), NT_ATOL, NT_RTOL, "q_term");
  nt_check_scalar(bt, nt_get(r, "bc_term"), NT_ATOL, NT_RTOL, "bc_term");
  nt_check_scalar(loss, nt_get(r, "loss"), NT_ATOL, NT_RTOL, "loss");
  nt_check(gq, nt_get(r, "grad_q"), B, NT_ATOL, NT_RTOL, "grad_q");
  nt_check(gpi, nt_get(r, "grad_pi"), (size_t)B * A, NT_ATOL, NT_RTOL, "grad_pi");
  free(q), free(pi), free(act), free(gq), free(gpi);
}

static void run_cql(const json_t *c) {
  int B = (int)tu_num(c, "batch"), K = (int)tu_num(c, "n_actions");
  float *q = vec(c, "q", (size_t)B * K);
  size_t n;
  int64_t *a64 = tu_tensor_i64(nt_get(c, "actions"), &n);
  assert_int_equal(n, (size_t)B);
  int32_t *acts = malloc(B * sizeof *acts);
  for (int i = 0; i < B; i++) acts[i] = (int32_t)a64[i];
  float *lse = malloc(B * sizeof *lse), *qd = malloc(B * sizeof *qd),
        *g = malloc((size_t)B * K * sizeof *g);
  double pen = mimic_cql_h_penalty(q, acts, B, K, lse, qd, g);
  const json_t *r = nt_get(c, "f64");
  nt_check(lse, nt_get(r, "logsumexp"), B, NT_ATOL, NT_RTOL, "logsumexp");
  nt_check(qd, nt_get(r, "q_data"), B, NT_ATOL, NT_RTOL, "q_data");
  nt_check_scalar(pen, nt_get(r, "penalty"), NT_ATOL, NT_RTOL, "penalty");
  nt_check(g, nt_get(r, "grad_q"), (size_t)B * K, NT_ATOL, NT_RTOL, "grad_q");
  free(q), free(a64), free(acts), free(lse), free(qd), free(g);
}

static void run_soft_q(const json_t *c) {
  int B = (int)tu_num(c, "batch"), K = (int)tu_num(c, "n_actions");
  double gamma = tu_num(c, "gamma"), alpha = tu_num(c, "alpha");
  float *rew = vec(c, "rewards", B), *done = vec(c, "dones", B),
        *qn = vec(c, "q_next", (size_t)B * K), *qsa = vec(c, "q_sa", B),
        *up = vec(c, "upstream_grad_target", B);
  float *vn = malloc(B * sizeof *vn), *tg = malloc(B * sizeof *tg),
        *gqn = malloc((size_t)B * K * sizeof *gqn), *gqsa = malloc(B * sizeof *gqsa);
  mimic_soft_q_target(qn, rew, done, B, K, gamma, alpha, vn, tg);
  mimic_soft_q_target_backward(qn, done, up, B, K, gamma, alpha, gqn);
  double td = mimic_td_loss(qsa, tg, B, gqsa);
  const json_t *r = nt_get(c, "f64");
  nt_check(vn, nt_get(r, "v_next"), B, NT_ATOL, NT_RTOL, "v_next");
  nt_check(tg, nt_get(r, "target"), B, NT_ATOL, NT_RTOL, "target");
  nt_check(gqn, nt_get(r, "grad_q_next"), (size_t)B * K, NT_ATOL, NT_RTOL, "grad_q_next");
  nt_check_scalar(td, nt_get(r, "td_loss"), NT_ATOL, NT_RTOL, "td_loss");
  nt_check(gqsa, nt_get(r, "grad_q_sa"), B, NT_ATOL, NT_RTOL, "grad_q_sa");
  free(rew), free(done), free(qn), free(qsa), free(up), free(vn), free(tg), free(gqn), free(gqsa);
}

/* Runs every case of loss_type; fails if the file holds none. */
static void run_all(const char *type, void (*fn)(const json_t *)) {
  json_t *f = tu_load_json("nn/offline_rl.json");
  size_t i, ran = 0;
  json_t *c;
  json_array_foreach(nt_get(f, "cases"), i, c) {
    if (strcmp(json_string_value(nt_get(c, "loss_type")), type) != 0) continue;
    fn(c);
    ran++;
  }
  if (ran == 0) fail_msg("offline_rl.json holds no %s case", type);
  json_decref(f);
}

static void test_iql(void **state) { run_all("iql", run_iql); }
static void test_td3bc(void **state) { run_all("td3_bc", run_td3bc); }
static void test_cql_h(void **state) { run_all("cql_h", run_cql); }
static void test_soft_q(void **state) { run_all("soft_q_target", run_soft_q); }

/* ---- SAC's squashed Gaussian, by finite differences ---------------------- */

typedef struct sq_ctx {
  float *out, *eps, *act, *lp, *w_act, *w_lp;
  int B, A;
} sq_ctx;

/* sum w_act * action + sum w_lp * log_prob, in double. */
static double sq_fn(void *p) {
  sq_ctx *c = p;
  mimic_squashed_sample(c->out, c->eps, c->B, c->A, c->act, c->lp);
  double s = 0;
  for (int k = 0; k < c->B * c->A; k++) s += (double)c->w_act[k] * c->act[k];
  for (int i = 0; i < c->B; i++) s += (double)c->w_lp[i] * c->lp[i];
  return s;
}

static void test_squashed_gradient(void **state) {
  enum { B = 4, A = 3 };
  mimic_rng rng;
  mimic_rng_seed(&rng, 7);
  float out[B * 2 * A], eps[B * A], act[B * A], lp[B], w_act[B * A], w_lp[B], dout[B * 2 * A];
  nt_fill(out, B * A * 2, -1.0, 1.0, &rng);
  for (int k = 0; k < B * A; k++) eps[k] = (float)mimic_rng_normal(&rng);
  nt_fill(w_act, B * A, -1.0, 1.0, &rng);
  nt_fill(w_lp, B, -1.0, 1.0, &rng);
  sq_ctx c = {out, eps, act, lp, w_act, w_lp, B, A};
  sq_fn(&c);
  /* log N(u; mu, std) with u = mu + std eps is -eps^2/2 - log std - log(2 pi)/2 */
  double want = 0;
  for (int j = 0; j < A; j++) {
    double u = out[j] + exp(out[A + j]) * eps[j], a = tanh(u);
    want += -0.5 * eps[j] * eps[j] - out[A + j] - 0.5 * log(2 * M_PI) - log(1 - a * a + 1e-6);
  }
  assert_true(fabs(want - lp[0]) < 1e-4);
  mimic_squashed_backward(out, eps, act, B, A, w_act, w_lp, dout);
  nt_fd_check(sq_fn, &c, out, dout, B * 2 * A, 1e-3f, 2e-3, 2e-2, "squashed dout");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_iql),
      cmocka_unit_test(test_td3bc),
      cmocka_unit_test(test_cql_h),
      cmocka_unit_test(test_soft_q),
      cmocka_unit_test(test_squashed_gradient),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
