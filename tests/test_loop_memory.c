/* A policy with memory (a GRU model behind the policy interface): each
 * stream a batch names keeps its own state, in whatever order and subset
 * the rows come; a row whose episode starts, or a batch without streams,
 * begins from the zero state. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "mimic/nn.h"
#include "mimic/policy.h"
#include "nn/model.h"

enum { D = 4, A = 3, H = 5 };

static void make(mimic_model *m, int rows) {
  mimic_model_config cfg;
  mimic_model_config_init(&cfg, D, A, MIMIC_HEAD_CATEGORICAL);
  cfg.critic = false;
  cfg.gru_hidden = H;
  assert_int_equal(mimic_model_create(m, &cfg, rows), MIMIC_OK);
  mimic_rng rng;
  mimic_rng_seed(&rng, 12);
  assert_int_equal(mimic_model_init_params(m, MIMIC_INIT_TORCH, &rng), MIMIC_OK);
  for (size_t k = 0; k < m->n_params; k++) m->params[k] *= 3.0f; /* outputs that differ */
}

/* The probabilities a policy gives rows obs (n, D) of streams/starts. */
static void act(mimic_policy *p, const float *obs, int n, const int *streams, const bool *starts,
                double *proba) {
  float actions[8];
  mimic_act_batch b = {.n = n,
                       .obs = obs,
                       .actions = actions,
                       .proba = proba,
                       .deterministic = true,
                       .streams = streams,
                       .starts = starts};
  assert_int_equal(mimic_policy_act(p, &b), MIMIC_OK);
}

static void test_streams_keep_their_state(void **st) {
  (void)st;
  mimic_model ref, m;
  make(&ref, 4);
  make(&m, 4);
  mimic_space as = mimic_space_discrete(A);
  mimic_policy *p;
  assert_int_equal(mimic_policy_from_model(&m, &as, &p), MIMIC_OK);
  assert_non_null(strstr(mimic_policy_describe(p), "gru"));
  float o[3][2 * D];
  mimic_rng rng;
  mimic_rng_seed(&rng, 2);
  for (int t = 0; t < 3; t++)
    for (int k = 0; k < 2 * D; k++) o[t][k] = (float)mimic_rng_uniform(&rng, -1, 1);
  /* the reference: stream 0 sees o[t][0..D), stream 1 sees o[t][D..2D), stepped together */
  double want[3][2 * A];
  float h[2 * H] = {0};
  for (int t = 0; t < 3; t++) {
    assert_int_equal(mimic_model_step(&ref, o[t], h, 2), MIMIC_OK);
    for (int b = 0; b < 2; b++) {
      const float *z = ref.actor.out + b * A;
      double mx = fmax(z[0], fmax(z[1], z[2])), s = 0;
      for (int j = 0; j < A; j++) s += exp(z[j] - mx);
      for (int j = 0; j < A; j++) want[t][b * A + j] = exp(z[j] - mx) / s;
    }
  }
  double got[2 * A];
  /* step 0: both start */
  int s01[2] = {0, 1}, s10[2] = {1, 0}, s1[1] = {1};
  bool yes[2] = {true, true}, no[2] = {false, false};
  act(p, o[0], 2, s01, yes, got);
  for (int j = 0; j < 2 * A; j++) assert_true(fabs(got[j] - want[0][j]) < 1e-6);
  /* step 1: rows swapped */
  float swapped[2 * D];
  memcpy(swapped, o[1] + D, D * sizeof(float));
  memcpy(swapped + D, o[1], D * sizeof(float));
  act(p, swapped, 2, s10, no, got);
  for (int j = 0; j < A; j++) {
    assert_true(fabs(got[j] - want[1][A + j]) < 1e-6);
    assert_true(fabs(got[A + j] - want[1][j]) < 1e-6);
  }
  /* step 2: only stream 1 asks; stream 0 keeps its state untouched */
  act(p, o[2] + D, 1, s1, no, got);
  for (int j = 0; j < A; j++) assert_true(fabs(got[j] - want[2][A + j]) < 1e-6);
  /* a start resets: stream 1 from zero equals step 0's answer for its row */
  act(p, o[0] + D, 1, s1, yes, got);
  for (int j = 0; j < A; j++) assert_true(fabs(got[j] - want[0][A + j]) < 1e-6);
  /* without streams every row is a first step */
  act(p, o[0], 2, NULL, NULL, got);
  for (int j = 0; j < 2 * A; j++) assert_true(fabs(got[j] - want[0][j]) < 1e-6);
  mimic_policy_free(p);
  mimic_model_free(&ref);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_streams_keep_their_state)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
