/* The Decision Transformer's network (src/nn/dt_net.h): finite-difference
 * checks of every parameter for continuous (tanh) and discrete (logits)
 * actions, padding on the right changes nothing at the steps before it
 * (the attention is causal), the state token's own action does not reach
 * its prediction, timesteps past max_ep_len share the last row, and bad
 * ids and shapes are refused. */
#include "nn_testutil.h"
#include "nn/dt_net.h"

typedef struct dt_ctx {
  mimic_dt_net *n;
  const float *s, *a, *r, *w; /* w: the loss's weights on n->out */
  const int32_t *t;
  int B, K;
} dt_ctx;

/* sum(w * out), in double. */
static double dt_loss(void *p) {
  dt_ctx *c = p;
  assert_int_equal(mimic_dt_net_forward(c->n, c->s, c->a, c->r, c->t, c->B, c->K), MIMIC_OK);
  size_t m = (size_t)c->B * c->K * c->n->cfg.act_dim;
  double l = 0;
  for (size_t i = 0; i < m; i++) l += (double)c->w[i] * c->n->out[i];
  return l;
}

static void fill(float *x, size_t n, float scale, mimic_rng *rng) {
  for (size_t i = 0; i < n; i++) x[i] = scale * (float)mimic_rng_normal(rng);
}

static void fd_case(bool discrete) {
  mimic_dt_net_config cfg = {.state_dim = 3,
                             .act_dim = discrete ? 4 : 2,
                             .discrete = discrete,
                             .max_ep_len = 6,
                             .context = 4,
                             .n_layer = 2,
                             .n_head = 2,
                             .n_embd = 8};
  mimic_dt_net n;
  assert_int_equal(mimic_dt_net_create(&n, &cfg, 3), MIMIC_OK);
  mimic_rng rng;
  mimic_rng_seed(&rng, discrete ? 11 : 12);
  mimic_dt_net_init(&n, &rng);
  /* larger weights than GPT-2's 0.02 so that every path matters */
  for (size_t k = 0; k < n.n_params; k++) n.params[k] *= 5.0f;
  for (int i = 0; i < cfg.n_embd; i++) n.lnf_w[i] = 1.0f + 0.1f * (float)i;
  enum { B = 2, K = 3 };
  float s[B * K * 3], a[B * K * 2], r[B * K], w[B * K * 4];
  int32_t t[B * K] = {0, 1, 2, 4, 5, 9}; /* 9 > max_ep_len: the last row */
  fill(s, sizeof s / 4, 1.0f, &rng);
  fill(r, B * K, 1.0f, &rng);
  fill(w, sizeof w / 4, 1.0f, &rng);
  if (discrete)
    for (int i = 0; i < B * K; i++) a[i] = (float)((i * 3) % 4);
  else
    fill(a, B * K * 2, 0.5f, &rng);
  dt_ctx c = {&n, s, a, r, w, t, B, K};
  dt_loss(&c);
  size_t m = (size_t)B * K * cfg.act_dim;
  memcpy(n.dout, w, m * sizeof(float));
  mimic_dt_net_zero_grad(&n);
  mimic_dt_net_backward(&n);
  float *grad = malloc(n.n_params * 4);
  memcpy(grad, n.grads, n.n_params * 4);
  nt_fd_check(dt_loss, &c, n.params, grad, n.n_params, 5e-3f, 1e-3, 1e-2,
              discrete ? "dt params (discrete)" : "dt params (continuous)");
  /* timestep rows 3 (never used) gets no gradient; 5 gets timestep 5's and 9's */
  for (int k = 0; k < cfg.n_embd; k++)
    assert_true(grad[(n.t_emb - n.params) + 3 * cfg.n_embd + k] == 0.0f);
  free(grad);
  mimic_dt_net_free(&n);
}

static void test_dt_fd(void **state) {
  (void)state;
  fd_case(false);
  fd_case(true);
}

/* Changing step k's action, or anything after it, leaves the prediction at
 * k unchanged; changing its state does not. */
static void test_dt_causal(void **state) {
  (void)state;
  mimic_dt_net_config cfg = {3, 2, false, 10, 5, 2, 2, 8};
  mimic_dt_net n;
  assert_int_equal(mimic_dt_net_create(&n, &cfg, 1), MIMIC_OK);
  mimic_rng rng;
  mimic_rng_seed(&rng, 5);
  mimic_dt_net_init(&n, &rng);
  for (size_t k = 0; k < n.n_params; k++) n.params[k] *= 5.0f;
  float s[15], a[10], r[5], ref[10];
  int32_t t[5] = {0, 1, 2, 3, 4};
  fill(s, 15, 1.0f, &rng);
  fill(a, 10, 0.5f, &rng);
  fill(r, 5, 1.0f, &rng);
  assert_int_equal(mimic_dt_net_forward(&n, s, a, r, t, 1, 5), MIMIC_OK);
  memcpy(ref, n.out, sizeof ref);
  a[4] += 1.0f, a[5] -= 1.0f; /* step 2's action */
  s[9] += 1.0f, r[4] = 7.0f;  /* step 3 and 4 */
  assert_int_equal(mimic_dt_net_forward(&n, s, a, r, t, 1, 5), MIMIC_OK);
  for (int i = 0; i < 6; i++) assert_true(n.out[i] == ref[i]); /* steps 0..2 */
  assert_true(n.out[6] != ref[6] || n.out[7] != ref[7]);
  /* a shorter window gives the same first steps (padding on the right is harmless) */
  assert_int_equal(mimic_dt_net_forward(&n, s, a, r, t, 1, 3), MIMIC_OK);
  for (int i = 0; i < 6; i++) assert_float_equal(n.out[i], ref[i], 1e-6);
  s[0] += 1.0f;
  assert_int_equal(mimic_dt_net_forward(&n, s, a, r, t, 1, 3), MIMIC_OK);
  assert_true(n.out[0] != ref[0] || n.out[1] != ref[1]);
  /* bad input */
  assert_int_equal(mimic_dt_net_forward(&n, s, a, r, t, 2, 3), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_dt_net_forward(&n, s, a, r, t, 1, 6), MIMIC_ERR_INVALID);
  t[1] = -1;
  assert_int_equal(mimic_dt_net_forward(&n, s, a, r, t, 1, 3), MIMIC_ERR_RANGE);
  mimic_dt_net_free(&n);
  cfg.discrete = true;
  assert_int_equal(mimic_dt_net_create(&n, &cfg, 1), MIMIC_OK);
  t[1] = 1;
  a[0] = 0, a[1] = 2, a[2] = 1; /* act_dim 2 actions: 2 is out of range */
  assert_int_equal(mimic_dt_net_forward(&n, s, a, r, t, 1, 3), MIMIC_ERR_RANGE);
  a[1] = 0.5f;
  assert_int_equal(mimic_dt_net_forward(&n, s, a, r, t, 1, 3), MIMIC_ERR_RANGE);
  mimic_dt_net_free(&n);
  cfg.n_embd = 7; /* not a multiple of 2 heads */
  assert_int_equal(mimic_dt_net_create(&n, &cfg, 1), MIMIC_ERR_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dt_fd),
      cmocka_unit_test(test_dt_causal),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
