/* Recurrent models (cfg.gru_hidden): BC over padded, masked sequences
 * agrees with finite differences, padding changes nothing, stepping a
 * state one observation at a time gives what the whole sequence gives,
 * a policy file round trips, and configurations that cannot work are
 * refused. */
#include "nn_testutil.h"
#include "nn/model.h"

enum { D = 5, A = 3, H = 6 };

static void make_gru_model(mimic_model *m, int max_rows, uint64_t seed) {
  mimic_model_config cfg;
  mimic_model_config_init(&cfg, D, A, MIMIC_HEAD_CATEGORICAL);
  cfg.critic = false;
  cfg.gru_hidden = H;
  cfg.n_hidden = 1;
  cfg.hidden[0] = 4;
  cfg.activation = MIMIC_ACT_TANH;
  assert_int_equal(mimic_model_create(m, &cfg, max_rows), MIMIC_OK);
  assert_non_null(m->gru);
  mimic_rng rng;
  mimic_rng_seed(&rng, seed);
  assert_int_equal(mimic_model_init_params(m, MIMIC_INIT_TORCH, &rng), MIMIC_OK);
}

typedef struct seq_ctx {
  mimic_model *m;
  float *obs, *mask;
  int32_t *acts;
  int B, T;
} seq_ctx;

static double seq_loss(void *p) {
  seq_ctx *c = p;
  mimic_bc_stats st;
  assert_int_equal(
      mimic_model_bc_sequences(c->m, c->obs, c->acts, c->mask, c->B, c->T, 1e-2f, 0, &st),
      MIMIC_OK);
  return st.neglogp - 1e-2 * st.entropy;
}

/* Two sequences of 4 steps, the second padded after 3. */
static void fill(seq_ctx *c, uint64_t seed) {
  mimic_rng rng;
  mimic_rng_seed(&rng, seed);
  nt_fill(c->obs, (size_t)c->B * c->T * D, -1, 1, &rng);
  for (int i = 0; i < c->B * c->T; i++) {
    c->acts[i] = (int32_t)mimic_rng_integers(&rng, 0, A);
    c->mask[i] = 1.0f;
  }
  c->mask[c->T * 2 - 1] = 0.0f;
}

static void test_sequence_gradient(void **state) {
  (void)state;
  enum { B = 2, T = 4 };
  mimic_model m;
  make_gru_model(&m, B * T, 3);
  float obs[B * T * D], mask[B * T];
  int32_t acts[B * T];
  seq_ctx c = {&m, obs, mask, acts, B, T};
  fill(&c, 4);
  mimic_model_zero_grad(&m);
  seq_loss(&c);
  float *grad = malloc(m.n_params * sizeof *grad);
  memcpy(grad, m.grads, m.n_params * sizeof *grad);
  nt_fd_check(seq_loss, &c, m.params, grad, m.n_params, 1e-2f, 2e-4, 3e-3, "gru model bc");
  /* the GRU's weights (first in the allocation) do learn */
  double g = 0;
  for (size_t k = 0; k < 3 * H * D; k++) g += fabs(grad[k]);
  assert_true(g > 0);
  /* what sits on a padded step changes neither the loss nor the gradient */
  double before = seq_loss(&c);
  for (int k = 0; k < D; k++) obs[(2 * T - 1) * D + k] = 7.0f;
  acts[2 * T - 1] = (acts[2 * T - 1] + 1) % A;
  mimic_model_zero_grad(&m);
  double after = seq_loss(&c);
  assert_true(before == after);
  assert_memory_equal(grad, m.grads, m.n_params * sizeof *grad);
  free(grad);
  mimic_model_free(&m);
}

static void test_steps_match_sequence(void **state) {
  (void)state;
  enum { B = 2, T = 4 };
  mimic_model m;
  make_gru_model(&m, B * T, 5);
  float obs[B * T * D], mask[B * T], logits[B * T * A];
  int32_t acts[B * T];
  seq_ctx c = {&m, obs, mask, acts, B, T};
  fill(&c, 6);
  mimic_bc_stats st;
  assert_int_equal(mimic_model_bc_sequences(&m, obs, acts, mask, B, T, 0, 0, &st), MIMIC_OK);
  memcpy(logits, m.actor.out, sizeof logits);
  /* step both sequences together, one observation each */
  float h[B * H] = {0}, x[B * D];
  for (int t = 0; t < T; t++) {
    for (int b = 0; b < B; b++) memcpy(x + b * D, obs + (b * T + t) * D, D * sizeof(float));
    assert_int_equal(mimic_model_step(&m, x, h, B), MIMIC_OK);
    for (int b = 0; b < B; b++)
      for (int j = 0; j < A; j++)
        assert_true(fabsf(m.actor.out[b * A + j] - logits[(b * T + t) * A + j]) <= 1e-6f);
  }
  /* forward without a state is an episode's first step */
  assert_int_equal(mimic_model_forward(&m, obs, 1), MIMIC_OK);
  for (int j = 0; j < A; j++) assert_true(fabsf(m.actor.out[j] - logits[j]) <= 1e-6f);
  mimic_model_free(&m);
}

static void test_round_trip_and_refusals(void **state) {
  (void)state;
  mimic_model m, back;
  make_gru_model(&m, 4, 8);
  char *path = tu_tmp_path("gru.policy");
  assert_int_equal(mimic_model_save(&m, path), MIMIC_OK);
  assert_int_equal(mimic_model_load(path, &m.cfg, 2, &back), MIMIC_OK);
  assert_int_equal(back.cfg.gru_hidden, H);
  assert_memory_equal(back.params, m.params, m.n_params * sizeof(float));
  mimic_model_config other = m.cfg;
  other.gru_hidden = H + 1;
  mimic_model x;
  assert_int_equal(mimic_model_load(path, &other, 2, &x), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "GRU"));
  mimic_model_free(&back);
  free(path);
  /* sequences larger than the caches, and a model without memory */
  float obs[3 * D] = {0}, mask[3] = {1, 1, 1};
  int32_t acts[3] = {0};
  mimic_bc_stats st;
  assert_int_equal(mimic_model_bc_sequences(&m, obs, acts, mask, 1, 5, 0, 0, &st),
                   MIMIC_ERR_INVALID);
  float zero[3] = {0};
  assert_int_equal(mimic_model_bc_sequences(&m, obs, acts, zero, 1, 3, 0, 0, &st),
                   MIMIC_ERR_INVALID);
  mimic_model_free(&m);
  mimic_model_config cfg;
  mimic_model_config_init(&cfg, D, A, MIMIC_HEAD_CATEGORICAL);
  cfg.gru_hidden = H; /* with the default critic */
  assert_int_equal(mimic_model_check_config(&cfg), MIMIC_ERR_INVALID);
  cfg.critic = false;
  cfg.head = MIMIC_HEAD_GAUSSIAN;
  assert_int_equal(mimic_model_check_config(&cfg), MIMIC_ERR_INVALID);
  cfg.head = MIMIC_HEAD_CATEGORICAL;
  assert_int_equal(mimic_model_check_config(&cfg), MIMIC_OK);
  mimic_model plain;
  cfg.gru_hidden = 0;
  assert_int_equal(mimic_model_create(&plain, &cfg, 2), MIMIC_OK);
  float h[H];
  assert_int_equal(mimic_model_step(&plain, obs, h, 1), MIMIC_ERR_INVALID);
  mimic_model_free(&plain);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sequence_gradient),
      cmocka_unit_test(test_steps_match_sequence),
      cmocka_unit_test(test_round_trip_and_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
