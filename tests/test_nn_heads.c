/* Heads and losses: imitation's BC loss for a categorical policy
 * (bc_loss_categorical.json) and SB3's diagonal Gaussian with nll, BC and
 * MSE objectives (gaussian_head.json), against the f64 blocks; finite
 * differences for every head gradient and for model-level BC; sampling. */
#include "nn_testutil.h"
#include "nn/layers.h"
#include "nn/heads.h"
#include "nn/model.h"

/* A model with the case's actor (no critic) and its parameters loaded. */
static void model_from_case(const json_t *c, mimic_head_kind head, mimic_model *m, int B) {
  int sizes[MIMIC_MLP_MAX_LAYERS + 1];
  int n = nt_sizes(c, "sizes", sizes);
  mimic_model_config cfg;
  mimic_model_config_init(&cfg, sizes[0], sizes[n - 1], head);
  cfg.n_hidden = n - 2;
  for (int i = 0; i < n - 2; i++) cfg.hidden[i] = sizes[i + 1];
  cfg.activation = nt_act(c);
  cfg.critic = false;
  assert_int_equal(mimic_model_create(m, &cfg, B), MIMIC_OK);
  nt_load_layers(nt_get(c, "params"), &m->actor);
}

/* ---- categorical BC -------------------------------------------------------- */

static void run_bc_case(const json_t *c) {
  const char *name = json_string_value(nt_get(c, "name"));
  int B = (int)tu_num(c, "batch");
  float ent_w = (float)tu_num(c, "ent_weight"), l2_w = (float)tu_num(c, "l2_weight");
  const json_t *ref = nt_get(c, "f64");
  size_t nobs, nact;
  float *obs = tu_tensor_f32(nt_get(c, "obs"), &nobs);
  int64_t *a64 = tu_tensor_i64(nt_get(c, "acts"), &nact);
  assert_int_equal(nact, (size_t)B);
  int32_t *acts = malloc(B * sizeof *acts);
  for (int i = 0; i < B; i++) acts[i] = (int32_t)a64[i];
  char what[160];
#define CHK(field, got, n)                                                                         \
  do {                                                                                             \
    snprintf(what, sizeof what, "%s %s", name, field);                                             \
    nt_check(got, nt_get(ref, field), n, NT_ATOL, NT_RTOL, what);                                  \
  } while (0)
#define CHKS(field, got)                                                                           \
  do {                                                                                             \
    snprintf(what, sizeof what, "%s %s", name, field);                                             \
    nt_check_scalar(got, nt_get(ref, field), NT_ATOL, NT_RTOL, what);                              \
  } while (0)

  /* through the model, as a BC trainer would call it */
  mimic_model m;
  model_from_case(c, MIMIC_HEAD_CATEGORICAL, &m, B);
  int K = m.cfg.act_dim, D = m.cfg.obs_dim;
  assert_int_equal(nobs, (size_t)B * D);
  mimic_bc_stats st;
  mimic_model_zero_grad(&m);
  assert_int_equal(mimic_model_bc_discrete(&m, obs, acts, NULL, B, ent_w, l2_w, &st), MIMIC_OK);
  CHKS("loss", st.loss);
  CHKS("neglogp", st.neglogp);
  CHKS("entropy", st.entropy);
  CHKS("ent_loss", st.ent_loss);
  CHKS("l2_norm", st.l2_norm);
  CHKS("l2_loss", st.l2_loss);
  CHKS("prob_true_act", st.prob_true_act);
  CHK("logits", m.actor.out, (size_t)B * K);
  CHK("grad_logits", m.dout, (size_t)B * K);
  snprintf(what, sizeof what, "%s grads", name);
  nt_check_layers(m.grads, &m.actor, nt_get(ref, "grads"), NT_ATOL, NT_RTOL, what);

  /* the head functions one by one */
  float *lp = malloc((size_t)B * K * sizeof *lp), *p = malloc((size_t)B * K * sizeof *p);
  float *row = malloc(B * sizeof *row);
  mimic_cat_log_softmax(m.actor.out, B, K, lp);
  mimic_cat_probs(m.actor.out, B, K, p);
  CHK("probs", p, (size_t)B * K);
  mimic_cat_log_prob(lp, acts, B, K, row);
  CHK("log_prob", row, (size_t)B);
  mimic_cat_entropy(lp, B, K, row);
  CHK("entropy_per_sample", row, (size_t)B);
  /* the generic backward with BC's per-row weights gives the same dlogits */
  float *dl = malloc((size_t)B * K * sizeof *dl), *wlp = malloc(B * sizeof *wlp),
        *went = malloc(B * sizeof *went);
  for (int i = 0; i < B; i++) {
    wlp[i] = -1.0f / B;
    went[i] = -ent_w / B;
  }
  mimic_cat_backward(lp, acts, wlp, went, B, K, dl);
  CHK("grad_logits", dl, (size_t)B * K);

  /* grad_obs through the plain MLP */
  float *dx = malloc(nobs * sizeof *dx);
  assert_int_equal(mimic_mlp_forward(&m.actor, obs, B), MIMIC_OK);
  assert_int_equal(mimic_bc_categorical(m.actor.out, acts, NULL, B, K, ent_w, m.dout, &st),
                   MIMIC_OK);
  assert_int_equal(mimic_mlp_backward(&m.actor, obs, m.dout, B, dx), MIMIC_OK);
  CHK("grad_obs", dx, nobs);

  /* an action outside 0..K-1 is an error naming the row */
  acts[B - 1] = K;
  assert_int_equal(mimic_model_bc_discrete(&m, obs, acts, NULL, B, ent_w, l2_w, &st),
                   MIMIC_ERR_RANGE);
  assert_non_null(strstr(mimic_errmsg(), "row"));
#undef CHK
#undef CHKS
  free(dx);
  free(dl);
  free(wlp);
  free(went);
  free(lp);
  free(p);
  free(row);
  free(obs);
  free(a64);
  free(acts);
  mimic_model_free(&m);
}

static void test_bc_categorical_reference(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/bc_loss_categorical.json");
  size_t i;
  json_t *c;
  assert_true(json_array_size(nt_get(f, "cases")) >= 4);
  json_array_foreach(nt_get(f, "cases"), i, c) run_bc_case(c);
  json_decref(f);
}

/* ---- Gaussian head --------------------------------------------------------- */

static void check_objective(const char *name, const char *obj, const json_t *ref, double loss,
                            const float *grad_mean, size_t nmean, const float *grads,
                            const mimic_mlp *actor, const float *grad_log_std, int A) {
  char what[160];
  const json_t *o = nt_get(ref, obj);
  snprintf(what, sizeof what, "%s %s loss", name, obj);
  nt_check_scalar(loss, nt_get(o, "loss"), NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s %s grad_mean", name, obj);
  nt_check(grad_mean, nt_get(o, "grad_mean"), nmean, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s %s grads", name, obj);
  nt_check_layers(grads, actor, nt_get(o, "grads"), NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s %s grad_log_std", name, obj);
  nt_check(grad_log_std, nt_get(o, "grad_log_std"), A, NT_ATOL, NT_RTOL, what);
}

static void run_gauss_case(const json_t *c) {
  const char *name = json_string_value(nt_get(c, "name"));
  int B = (int)tu_num(c, "batch"), A = (int)tu_num(c, "action_dim");
  float ent_w = (float)tu_num(c, "ent_weight"), l2_w = (float)tu_num(c, "l2_weight");
  const json_t *ref = nt_get(c, "f64");
  mimic_model m;
  model_from_case(c, MIMIC_HEAD_GAUSSIAN, &m, B);
  assert_int_equal(m.cfg.act_dim, A);
  nt_copy(nt_get(c, "log_std"), m.log_std, A, "log_std");
  size_t nobs, na;
  float *obs = tu_tensor_f32(nt_get(c, "obs"), &nobs);
  float *act = tu_tensor_f32(nt_get(c, "actions"), &na);
  assert_int_equal(na, (size_t)B * A);
  char what[160];

  /* mean, log_prob, entropy */
  assert_int_equal(mimic_model_forward(&m, obs, B), MIMIC_OK);
  snprintf(what, sizeof what, "%s mean", name);
  nt_check(m.actor.out, nt_get(ref, "mean"), na, NT_ATOL, NT_RTOL, what);
  float *row = malloc(B * sizeof *row), *dmean = malloc(na * sizeof *dmean);
  mimic_gauss_log_prob(m.actor.out, m.log_std, act, B, A, row);
  snprintf(what, sizeof what, "%s log_prob", name);
  nt_check(row, nt_get(ref, "log_prob"), B, NT_ATOL, NT_RTOL, what);
  for (int i = 0; i < B; i++) row[i] = mimic_gauss_entropy(m.log_std, A);
  snprintf(what, sizeof what, "%s entropy", name);
  nt_check(row, nt_get(ref, "entropy"), B, NT_ATOL, NT_RTOL, what);

  /* nll = -mean log_prob, through the generic Gaussian backward */
  mimic_gauss_log_prob(m.actor.out, m.log_std, act, B, A, row);
  double nll = 0;
  for (int i = 0; i < B; i++) nll -= row[i];
  nll /= B;
  for (int i = 0; i < B; i++) row[i] = -1.0f / B;
  mimic_model_zero_grad(&m);
  mimic_gauss_backward(m.actor.out, m.log_std, act, B, A, row, 0.0f, dmean, m.grad_log_std);
  assert_int_equal(mimic_mlp_backward(&m.actor, obs, dmean, B, NULL), MIMIC_OK);
  check_objective(name, "nll", ref, nll, dmean, na, m.grads, &m.actor, m.grad_log_std, A);

  /* bc: the model's BC loss (L2 over the mean net and log_std) */
  mimic_bc_stats st;
  mimic_model_zero_grad(&m);
  assert_int_equal(mimic_model_bc_continuous(&m, obs, act, NULL, B, ent_w, l2_w, &st), MIMIC_OK);
  check_objective(name, "bc", ref, st.loss, m.dout, na, m.grads, &m.actor, m.grad_log_std, A);
  snprintf(what, sizeof what, "%s bc_l2_norm", name);
  nt_check_scalar(st.l2_norm, nt_get(ref, "bc_l2_norm"), NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s nll via bc", name);
  nt_check_scalar(st.neglogp, nt_get(nt_get(ref, "nll"), "loss"), NT_ATOL, NT_RTOL, what);

  /* mse (torch F.mse_loss): no gradient for log_std */
  mimic_model_zero_grad(&m);
  assert_int_equal(mimic_model_forward(&m, obs, B), MIMIC_OK);
  double mse = mimic_mse(m.actor.out, act, na, dmean);
  assert_int_equal(mimic_mlp_backward(&m.actor, obs, dmean, B, NULL), MIMIC_OK);
  check_objective(name, "mse", ref, mse, dmean, na, m.grads, &m.actor, m.grad_log_std, A);
  snprintf(what, sizeof what, "%s mse via bc", name);
  nt_check_scalar(st.mse, nt_get(nt_get(ref, "mse"), "loss"), NT_ATOL, NT_RTOL, what);

  free(row);
  free(dmean);
  free(obs);
  free(act);
  mimic_model_free(&m);
}

static void test_gaussian_reference(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/gaussian_head.json");
  size_t i;
  json_t *c;
  assert_true(json_array_size(nt_get(f, "cases")) >= 2);
  json_array_foreach(nt_get(f, "cases"), i, c) run_gauss_case(c);
  json_decref(f);
}

/* ---- finite differences of the heads -------------------------------------- */

enum { FB = 3, FK = 5 };

typedef struct cat_ctx {
  float logits[FB * FK], lp[FB * FK], w1[FB], w2[FB], tmp[FB];
  int32_t acts[FB];
  float ent_w;
} cat_ctx;

/* sum_i w1_i log_prob_i + w2_i H_i */
static double cat_fn(void *p) {
  cat_ctx *c = p;
  mimic_cat_log_softmax(c->logits, FB, FK, c->lp);
  double s = 0;
  for (int i = 0; i < FB; i++) {
    double h = 0;
    for (int j = 0; j < FK; j++) h -= exp((double)c->lp[i * FK + j]) * c->lp[i * FK + j];
    s += c->w1[i] * (double)c->lp[i * FK + c->acts[i]] + c->w2[i] * h;
  }
  return s;
}

static double bc_cat_fn(void *p) {
  cat_ctx *c = p;
  mimic_bc_stats st;
  float d[FB * FK];
  assert_int_equal(mimic_bc_categorical(c->logits, c->acts, NULL, FB, FK, c->ent_w, d, &st),
                   MIMIC_OK);
  return st.neglogp + st.ent_loss;
}

static void test_categorical_fd(void **state) {
  (void)state;
  mimic_rng rng;
  mimic_rng_seed(&rng, 31);
  cat_ctx c;
  nt_fill(c.logits, FB * FK, -3, 3, &rng);
  nt_fill(c.w1, FB, -1, 1, &rng);
  nt_fill(c.w2, FB, -1, 1, &rng);
  for (int i = 0; i < FB; i++) c.acts[i] = (int32_t)mimic_rng_integers(&rng, 0, FK);
  c.ent_w = 0.3f;
  float d[FB * FK];
  cat_fn(&c);
  mimic_cat_backward(c.lp, c.acts, c.w1, c.w2, FB, FK, d);
  nt_fd_check(cat_fn, &c, c.logits, d, FB * FK, 1e-3f, 1e-4, 1e-3, "categorical backward");
  /* only the entropy term (acts may be NULL then) */
  mimic_cat_backward(c.lp, NULL, NULL, c.w2, FB, FK, d);
  float w1[FB];
  memcpy(w1, c.w1, sizeof w1);
  memset(c.w1, 0, sizeof c.w1);
  nt_fd_check(cat_fn, &c, c.logits, d, FB * FK, 1e-3f, 1e-4, 1e-3, "categorical entropy backward");
  memcpy(c.w1, w1, sizeof w1);
  mimic_bc_stats st;
  assert_int_equal(mimic_bc_categorical(c.logits, c.acts, NULL, FB, FK, c.ent_w, d, &st), MIMIC_OK);
  nt_fd_check(bc_cat_fn, &c, c.logits, d, FB * FK, 1e-3f, 1e-4, 1e-3, "bc categorical");
}

enum { GB = 4, GA = 3 };

typedef struct gauss_ctx {
  float mean[GB * GA], log_std[GA], act[GB * GA], w1[GB], lp[GB];
  float w2, ent_w;
} gauss_ctx;

static double gauss_fn(void *p) {
  gauss_ctx *c = p;
  mimic_gauss_log_prob(c->mean, c->log_std, c->act, GB, GA, c->lp);
  double s = 0;
  for (int i = 0; i < GB; i++) s += c->w1[i] * (double)c->lp[i];
  return s + c->w2 * GB * (double)mimic_gauss_entropy(c->log_std, GA);
}

static double bc_gauss_fn(void *p) {
  gauss_ctx *c = p;
  float dm[GB * GA], dls[GA] = {0};
  mimic_bc_stats st;
  mimic_bc_gaussian(c->mean, c->log_std, c->act, NULL, GB, GA, c->ent_w, dm, dls, &st);
  return st.neglogp + st.ent_loss;
}

static double mse_fn(void *p) {
  gauss_ctx *c = p;
  return mimic_mse(c->mean, c->act, GB * GA, NULL);
}

static void test_gaussian_fd(void **state) {
  (void)state;
  mimic_rng rng;
  mimic_rng_seed(&rng, 32);
  gauss_ctx c;
  nt_fill(c.mean, GB * GA, -1, 1, &rng);
  nt_fill(c.log_std, GA, -1, 0.5, &rng);
  nt_fill(c.act, GB * GA, -2, 2, &rng);
  nt_fill(c.w1, GB, -1, 1, &rng);
  c.w2 = 0.7f;
  c.ent_w = 0.2f;
  float dm[GB * GA], dls[GA] = {0};
  mimic_gauss_backward(c.mean, c.log_std, c.act, GB, GA, c.w1, c.w2 * GB, dm, dls);
  nt_fd_check(gauss_fn, &c, c.mean, dm, GB * GA, 1e-3f, 1e-4, 1e-3, "gaussian dmean");
  nt_fd_check(gauss_fn, &c, c.log_std, dls, GA, 1e-3f, 1e-4, 1e-3, "gaussian dlog_std");
  mimic_bc_stats st;
  memset(dls, 0, sizeof dls);
  mimic_bc_gaussian(c.mean, c.log_std, c.act, NULL, GB, GA, c.ent_w, dm, dls, &st);
  nt_fd_check(bc_gauss_fn, &c, c.mean, dm, GB * GA, 1e-3f, 1e-4, 1e-3, "bc gaussian dmean");
  nt_fd_check(bc_gauss_fn, &c, c.log_std, dls, GA, 1e-3f, 1e-4, 1e-3, "bc gaussian dlog_std");
  double mse = mimic_mse(c.mean, c.act, GB * GA, dm);
  assert_true(mse > 0);
  nt_fd_check(mse_fn, &c, c.mean, dm, GB * GA, 1e-3f, 1e-4, 1e-3, "mse");
}

/* ---- model-level BC, all heads, with a critic in the L2 sum ---------------- */

typedef struct model_ctx {
  mimic_model *m;
  float *obs, *act;
  int32_t *acts;
  int B;
  float ent_w, l2_w;
} model_ctx;

static double model_fn(void *p) {
  model_ctx *c = p;
  mimic_bc_stats st;
  if (c->m->cfg.head == MIMIC_HEAD_CATEGORICAL)
    assert_int_equal(
        mimic_model_bc_discrete(c->m, c->obs, c->acts, NULL, c->B, c->ent_w, c->l2_w, &st),
        MIMIC_OK);
  else
    assert_int_equal(
        mimic_model_bc_continuous(c->m, c->obs, c->act, NULL, c->B, c->ent_w, c->l2_w, &st),
        MIMIC_OK);
  return st.loss;
}

static void test_model_bc_fd(void **state) {
  (void)state;
  const mimic_head_kind heads[] = {MIMIC_HEAD_CATEGORICAL, MIMIC_HEAD_GAUSSIAN,
                                   MIMIC_HEAD_REGRESSION};
  for (int h = 0; h < 3; h++) {
    enum { B = 5, D = 3, A = 3 };
    mimic_model_config cfg;
    mimic_model_config_init(&cfg, D, A, heads[h]);
    cfg.hidden[0] = 6;
    cfg.hidden[1] = 5;
    cfg.critic_n_hidden = 1;
    cfg.critic_hidden[0] = 4;
    cfg.log_std_init = -0.3f;
    mimic_model m;
    assert_int_equal(mimic_model_create(&m, &cfg, B), MIMIC_OK);
    mimic_rng rng;
    mimic_rng_seed(&rng, 40 + h);
    assert_int_equal(mimic_model_init_params(&m, MIMIC_INIT_TORCH, &rng), MIMIC_OK);
    float obs[B * D], act[B * A];
    int32_t acts[B];
    nt_fill(obs, B * D, -2, 2, &rng);
    nt_fill(act, B * A, -1, 1, &rng);
    for (int i = 0; i < B; i++) acts[i] = (int32_t)mimic_rng_integers(&rng, 0, A);
    /* observation normalisation is part of the forward */
    float mean[D] = {0.1f, -0.2f, 0.3f}, var[D] = {2.0f, 0.5f, 1.0f};
    assert_int_equal(mimic_model_set_obs_norm(&m, mean, var, 1e-8f, 10.0f), MIMIC_OK);
    model_ctx c = {&m, obs, act, acts, B, 0.1f, 0.05f};
    mimic_model_zero_grad(&m);
    model_fn(&c);
    float *grad = malloc(m.n_params * sizeof *grad);
    memcpy(grad, m.grads, m.n_params * sizeof *grad);
    /* the critic only sees the L2 term: its gradient is exactly l2_w * theta */
    size_t c0 = m.actor.n_params;
    for (size_t k = 0; k < m.critic.n_params; k++)
      assert_true(grad[c0 + k] == c.l2_w * m.params[c0 + k]);
    const char *names[] = {"model bc categorical", "model bc gaussian", "model bc regression"};
    nt_fd_check(model_fn, &c, m.params, grad, m.n_params, 1e-3f, 1e-4, 1e-3, names[h]);
    free(grad);
    mimic_model_free(&m);
  }
}

/* ---- sampling and argmax ---------------------------------------------------- */

static void test_sampling(void **state) {
  (void)state;
  const float logits[2 * 3] = {0.0f, 1.0f, -1.0f, 5.0f, 5.0f, 4.0f};
  int32_t a[2];
  mimic_cat_argmax(logits, 2, 3, a);
  assert_int_equal(a[0], 1);
  assert_int_equal(a[1], 0); /* first on ties */
  float p[3];
  mimic_cat_probs(logits, 1, 3, p);
  mimic_rng r1, r2;
  mimic_rng_seed(&r1, 3);
  mimic_rng_seed(&r2, 3);
  int count[3] = {0};
  const int N = 40000;
  for (int i = 0; i < N; i++) {
    int32_t s1, s2;
    mimic_cat_sample(logits, 1, 3, &r1, &s1);
    mimic_cat_sample(logits, 1, 3, &r2, &s2);
    assert_int_equal(s1, s2);
    assert_true(s1 >= 0 && s1 < 3);
    count[s1]++;
  }
  for (int j = 0; j < 3; j++) assert_true(fabs((double)count[j] / N - p[j]) < 0.01);

  const float mean[2] = {1.0f, -2.0f}, log_std[2] = {0.0f, -1.0f};
  double s[2] = {0}, s2[2] = {0};
  for (int i = 0; i < N; i++) {
    float x[2];
    mimic_gauss_sample(mean, log_std, 1, 2, &r1, x);
    for (int j = 0; j < 2; j++) {
      s[j] += x[j];
      s2[j] += (double)x[j] * x[j];
    }
  }
  for (int j = 0; j < 2; j++) {
    double m = s[j] / N, sd = sqrt(s2[j] / N - m * m), want = exp(log_std[j]);
    assert_true(fabs(m - mean[j]) < 0.03 * want + 0.01);
    assert_true(fabs(sd - want) < 0.03 * want);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bc_categorical_reference),
      cmocka_unit_test(test_gaussian_reference),
      cmocka_unit_test(test_categorical_fd),
      cmocka_unit_test(test_gaussian_fd),
      cmocka_unit_test(test_model_bc_fd),
      cmocka_unit_test(test_sampling),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
