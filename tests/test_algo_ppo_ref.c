/* PPO against PyTorch/SB3 reference vectors (testdata/nn): GAE with the
 * time-limit bootstrap, bit for bit against the float32 block and within
 * tolerance of float64; one minibatch of PPO's loss (categorical, separate
 * actor and critic, with and without value clipping and entropy bonus), its
 * gradients and the global clip to 0.5. Also finite-difference checks of
 * the Gaussian loss and of the refinement anchor terms. */
#include "nn_testutil.h"

#include "mimic/ppo.h"
#include "nn/optim.h"
#include "nn/model.h"
#include "algo/ppo_loss.h"

static uint8_t *flags(const json_t *t, size_t *n) {
  int64_t *v = tu_tensor_i64(t, n);
  uint8_t *f = malloc(*n);
  for (size_t i = 0; i < *n; i++) f[i] = (uint8_t)v[i];
  free(v);
  return f;
}

/* Asserts equality of the float bit patterns. */
static void check_bits(const float *got, const json_t *ref, size_t n, const char *what) {
  size_t rn;
  double *r = tu_tensor_f64(ref, &rn);
  assert_int_equal(rn, n);
  for (size_t i = 0; i < n; i++) {
    float want = (float)r[i];
    if (memcmp(&want, &got[i], sizeof want) != 0)
      fail_msg("%s[%zu]: got %.9g, want %.9g (bit-exact float32)", what, i, got[i], want);
  }
  free(r);
}

static void run_gae(const json_t *c) {
  int T = (int)tu_num(c, "n_steps"), N = (int)tu_num(c, "n_envs");
  size_t n, k;
  float *rew = tu_tensor_f32(nt_get(c, "rewards"), &n);
  assert_int_equal(n, (size_t)T * N);
  float *val = tu_tensor_f32(nt_get(c, "values"), &k);
  float *tv = tu_tensor_f32(nt_get(c, "terminal_values"), &k);
  float *lv = tu_tensor_f32(nt_get(c, "last_values"), &k);
  assert_int_equal(k, (size_t)N);
  uint8_t *term = flags(nt_get(c, "terminated"), &k), *trunc = flags(nt_get(c, "truncated"), &k);
  uint8_t *starts = flags(nt_get(c, "episode_starts"), &k),
          *ld = flags(nt_get(c, "last_dones"), &k);
  float *adv = malloc(n * sizeof *adv), *ret = malloc(n * sizeof *ret);
  mimic_gae_bootstrap(rew, tv, term, trunc, n, tu_num(c, "gamma"));
  mimic_gae(rew, val, starts, lv, ld, T, N, tu_num(c, "gamma"), tu_num(c, "gae_lambda"), adv, ret);
  const json_t *f32 = nt_get(c, "f32"), *f64 = nt_get(c, "f64");
  check_bits(rew, nt_get(f32, "rewards_bootstrapped"), n, "rewards_bootstrapped");
  check_bits(adv, nt_get(f32, "advantages"), n, "advantages");
  check_bits(ret, nt_get(f32, "returns"), n, "returns");
  nt_check(adv, nt_get(f64, "advantages"), n, 5e-5, 1e-5, "advantages vs f64");
  nt_check(ret, nt_get(f64, "returns"), n, 5e-5, 1e-5, "returns vs f64");
  free(rew), free(val), free(tv), free(lv), free(term), free(trunc), free(starts), free(ld),
      free(adv), free(ret);
}

static void test_gae(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/gae.json");
  run_gae(nt_case(f, "gae_T16_N3"));
  run_gae(nt_case(f, "gae_T9_N1"));
  json_decref(f);
}

static void run_loss(const json_t *c) {
  int pi[MIMIC_MLP_MAX_LAYERS + 1], vf[MIMIC_MLP_MAX_LAYERS + 1];
  int npi = nt_sizes(c, "pi_sizes", pi), nvf = nt_sizes(c, "vf_sizes", vf);
  int B = (int)tu_num(c, "batch"), D = pi[0], K = pi[npi - 1];
  mimic_model_config cfg;
  mimic_model_config_init(&cfg, D, K, MIMIC_HEAD_CATEGORICAL);
  cfg.n_hidden = npi - 2;
  for (int i = 0; i < cfg.n_hidden; i++) cfg.hidden[i] = pi[i + 1];
  cfg.critic_n_hidden = nvf - 2;
  for (int i = 0; i < cfg.critic_n_hidden; i++) cfg.critic_hidden[i] = vf[i + 1];
  mimic_model m;
  assert_int_equal(mimic_model_create(&m, &cfg, B), MIMIC_OK);
  nt_load_layers(nt_get(c, "pi_params"), &m.actor);
  nt_load_layers(nt_get(c, "vf_params"), &m.critic);
  size_t n;
  float *obs = tu_tensor_f32(nt_get(c, "obs"), &n);
  int64_t *a64 = tu_tensor_i64(nt_get(c, "actions"), &n);
  int32_t *acts = malloc((size_t)B * sizeof *acts);
  for (int i = 0; i < B; i++) acts[i] = (int32_t)a64[i];
  float *olp = tu_tensor_f32(nt_get(c, "old_log_prob"), &n),
        *ov = tu_tensor_f32(nt_get(c, "old_values"), &n);
  float *adv = tu_tensor_f32(nt_get(c, "advantages"), &n),
        *ret = tu_tensor_f32(nt_get(c, "returns"), &n);
  const json_t *cvf = json_object_get(c, "clip_range_vf");
  mimic_ppo_loss_config lc = {.clip_range = tu_num(c, "clip_range"),
                              .clip_range_vf = json_is_number(cvf) ? json_number_value(cvf) : 0,
                              .ent_coef = tu_num(c, "ent_coef"),
                              .vf_coef = tu_num(c, "vf_coef"),
                              .normalize_advantage =
                                  json_is_true(nt_get(c, "normalize_advantage"))};
  mimic_ppo_batch b = {.B = B,
                       .obs = obs,
                       .acts = acts,
                       .old_log_prob = olp,
                       .old_values = ov,
                       .advantages = adv,
                       .returns = ret};
  mimic_ppo_work w;
  assert_int_equal(mimic_ppo_work_create(&w, &m, B), MIMIC_OK);
  mimic_model_zero_grad(&m);
  mimic_ppo_loss_result r;
  assert_int_equal(mimic_ppo_loss(&m, &b, &lc, &w, &r), MIMIC_OK);
  const json_t *ref = nt_get(c, "f64");
  const double at = NT_ATOL, rt = NT_RTOL;
  nt_check(m.actor.out, nt_get(ref, "logits"), (size_t)B * K, at, rt, "logits");
  nt_check(m.critic.out, nt_get(ref, "values"), (size_t)B, at, rt, "values");
  nt_check(w.log_prob, nt_get(ref, "log_prob"), (size_t)B, at, rt, "log_prob");
  nt_check(w.entropy, nt_get(ref, "entropy"), (size_t)B, at, rt, "entropy");
  nt_check(w.adv, nt_get(ref, "advantages_normalized"), (size_t)B, at, rt, "advantages_normalized");
  nt_check(w.ratio, nt_get(ref, "ratio"), (size_t)B, at, rt, "ratio");
  nt_check(w.values_pred, nt_get(ref, "values_pred"), (size_t)B, at, rt, "values_pred");
  nt_check_scalar(r.policy_loss, nt_get(ref, "policy_loss"), at, rt, "policy_loss");
  nt_check_scalar(r.value_loss, nt_get(ref, "value_loss"), at, rt, "value_loss");
  nt_check_scalar(r.entropy_loss, nt_get(ref, "entropy_loss"), at, rt, "entropy_loss");
  nt_check_scalar(r.loss, nt_get(ref, "loss"), at, rt, "loss");
  nt_check_scalar(r.clip_fraction, nt_get(ref, "clip_fraction"), 0, 0, "clip_fraction");
  nt_check_scalar(r.approx_kl, nt_get(ref, "approx_kl"), at, rt, "approx_kl");
  nt_check_layers(m.actor.grads, &m.actor, nt_get(ref, "pi_grads"), at, rt, "pi_grads");
  nt_check_layers(m.critic.grads, &m.critic, nt_get(ref, "vf_grads"), at, rt, "vf_grads");
  /* one clip over actor + critic: the model's single gradient array */
  double norm = mimic_clip_grad_norm(m.grads, m.n_params, (float)tu_num(c, "max_grad_norm"));
  nt_check_scalar(norm, nt_get(ref, "grad_norm_before_clip"), at, rt, "grad_norm_before_clip");
  nt_check_layers(m.actor.grads, &m.actor, nt_get(ref, "pi_grads_clipped"), at, rt,
                  "pi_grads_clipped");
  nt_check_layers(m.critic.grads, &m.critic, nt_get(ref, "vf_grads_clipped"), at, rt,
                  "vf_grads_clipped");
  mimic_ppo_work_free(&w);
  mimic_model_free(&m);
  free(obs), free(a64), free(acts), free(olp), free(ov), free(adv), free(ret);
}

static void test_ppo_loss(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/ppo_loss.json");
  run_loss(nt_case(f, "ppo_sb3_defaults"));
  run_loss(nt_case(f, "ppo_vfclip_ent"));
  json_decref(f);
}

/* ---- finite differences: gaussian loss and anchors ---------------------- */

typedef struct fd_ctx {
  mimic_model *m;
  mimic_ppo_batch *b;
  mimic_ppo_loss_config *lc;
  mimic_ppo_work *w;
} fd_ctx;

static double loss_of(void *p) {
  fd_ctx *c = p;
  mimic_model_zero_grad(c->m);
  mimic_ppo_loss_result r;
  assert_int_equal(mimic_ppo_loss(c->m, c->b, c->lc, c->w, &r), MIMIC_OK);
  return r.loss;
}

static void fd_case(mimic_head_kind head, mimic_anchor_kind anchor, double clip_vf) {
  const int B = 12, D = 5, K = 3;
  mimic_rng rng;
  mimic_rng_seed(&rng, 7 + (uint64_t)head * 10 + (uint64_t)anchor);
  mimic_model_config cfg;
  mimic_model_config_init(&cfg, D, K, head);
  cfg.hidden[0] = cfg.hidden[1] = 8;
  cfg.critic_hidden[0] = cfg.critic_hidden[1] = 8;
  mimic_model m;
  assert_int_equal(mimic_model_create(&m, &cfg, B), MIMIC_OK);
  assert_int_equal(mimic_model_init_params(&m, MIMIC_INIT_TORCH, &rng), MIMIC_OK);
  if (m.log_std) nt_fill(m.log_std, K, -0.5, 0.3, &rng);
  float obs[12 * 5], actions[12 * 3], olp[12], ov[12], adv[12], ret[12], anc[12 * 3], anc_ls[3];
  int32_t acts[12];
  nt_fill(obs, sizeof obs / sizeof *obs, -1.5, 1.5, &rng);
  nt_fill(actions, sizeof actions / sizeof *actions, -1, 1, &rng);
  nt_fill(adv, B, -2, 2, &rng);
  nt_fill(ret, B, -1, 1, &rng);
  nt_fill(anc, sizeof anc / sizeof *anc, -1, 1, &rng);
  nt_fill(anc_ls, K, -0.4, 0.2, &rng);
  for (int i = 0; i < B; i++) acts[i] = (int32_t)mimic_rng_integers(&rng, 0, K);
  /* old values/log-probs near the current ones so some ratios clip, some not */
  mimic_ppo_work w;
  assert_int_equal(mimic_ppo_work_create(&w, &m, B), MIMIC_OK);
  mimic_ppo_batch b = {.B = B,
                       .obs = obs,
                       .acts = acts,
                       .actions = actions,
                       .old_log_prob = olp,
                       .old_values = ov,
                       .advantages = adv,
                       .returns = ret};
  mimic_ppo_loss_config lc = {.clip_range = 0.2,
                              .clip_range_vf = clip_vf,
                              .ent_coef = 0.01,
                              .vf_coef = 0.5,
                              .normalize_advantage = true};
  for (int i = 0; i < B; i++) olp[i] = ov[i] = 0;
  fd_ctx ctx = {&m, &b, &lc, &w};
  loss_of(&ctx);
  /* old log-probs and values near the current ones so that some ratios and
   * values clip and some do not, none within 0.02 of a kink (a parameter
   * step of h moves them by ~h) */
  for (int i = 0; i < B; i++) {
    double d;
    do d = mimic_rng_uniform(&rng, -0.4, 0.4);
    while (fabs(fabs(exp(-d) - 1.0) - 0.2) < 0.02);
    olp[i] = w.log_prob[i] + (float)d;
    do d = mimic_rng_uniform(&rng, -0.1, 0.1);
    while (fabs(fabs(d) - clip_vf) < 0.02);
    ov[i] = m.critic.out[i] + (float)d;
  }
  if (anchor) {
    b.anchor_out = anc;
    b.anchor_log_std = anc_ls;
    b.anchor_kind = anchor;
    b.anchor_coef = 0.7;
  }
  loss_of(&ctx);
  float *g = malloc(m.n_params * sizeof *g);
  memcpy(g, m.grads, m.n_params * sizeof *g);
  /* a small central difference in float parameters; the clipped branches
   * are piecewise linear, so points near a kink may disagree: h is tiny */
  nt_fd_check(loss_of, &ctx, m.params, g, m.n_params, 1e-3f, 2e-3, 2e-2, "ppo loss gradient");
  free(g);
  mimic_ppo_work_free(&w);
  mimic_model_free(&m);
}

static void test_gradients_fd(void **state) {
  (void)state;
  fd_case(MIMIC_HEAD_GAUSSIAN, MIMIC_ANCHOR_NONE, 0);
  fd_case(MIMIC_HEAD_GAUSSIAN, MIMIC_ANCHOR_NONE, 0.05);
  fd_case(MIMIC_HEAD_GAUSSIAN, MIMIC_ANCHOR_KL, 0);
  fd_case(MIMIC_HEAD_GAUSSIAN, MIMIC_ANCHOR_BC, 0);
  fd_case(MIMIC_HEAD_CATEGORICAL, MIMIC_ANCHOR_KL, 0);
  fd_case(MIMIC_HEAD_CATEGORICAL, MIMIC_ANCHOR_BC, 0);
}

int main(void) {
  mimic_nn_set_threads(1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gae),
      cmocka_unit_test(test_ppo_loss),
      cmocka_unit_test(test_gradients_fd),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
