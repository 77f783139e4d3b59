/* DAgger with learners that have memory (issue 16): a GRU refitted on the
 * episodes its rollouts ran learns MiniGrid-DoorKey-8x8 (partially
 * observable: it sees 7x7 ahead) to a success rate with argmax actions; the
 * same seed, run again in another process that is killed between rounds
 * and resumed, gives the same file (the episode starts come back from the
 * label log); a
 * transformer learner runs the same loop; a query rule that labels only
 * some states, a cap and an episode-less labeled set are refused. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/bc.h"
#include "mimic/dagger.h"
#include "mimic/evaluate.h"
#include "mimic/policy.h"

#define ENV "MiniGrid-DoorKey-8x8-v0"

static mimic_dagger_env_config memory_config(void) {
  mimic_dagger_env_config cfg = mimic_dagger_env_defaults();
  cfg.env_id = ENV;
  cfg.rounds = 4;
  cfg.min_steps = 1500;
  cfg.min_episodes = 3;
  cfg.epochs = 4;
  cfg.eval_episodes = 20;
  cfg.progress = false;
  return cfg;
}

/* The CLI's --policy gru: 64 units, a [64] relu head, 8 episodes a batch. */
static mimic_bc_config gru_bc(void) {
  mimic_bc_config bc = mimic_bc_defaults();
  bc.progress = false;
  bc.gru_hidden = 64;
  bc.n_hidden = 1;
  bc.hidden[0] = 64;
  bc.activation = MIMIC_ACT_RELU;
  bc.batch_size = 8;
  return bc;
}

/* Argmax success of a model file's bytes on 100 seeds no round met. */
static double argmax_success(const uint8_t *bytes, size_t len) {
  mimic_model m;
  assert_int_equal(mimic_model_decode(bytes, len, "the learner", NULL, 1, &m), MIMIC_OK);
  mimic_env *env;
  assert_int_equal(mimic_env_make(ENV, NULL, &env), MIMIC_OK);
  mimic_policy *p;
  assert_int_equal(mimic_policy_from_model(&m, mimic_env_action_space(env), &p), MIMIC_OK);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.progress = false;
  ec.normalize = false;
  ec.episodes = 100;
  ec.seed = 5000;
  mimic_eval_result r;
  assert_int_equal(mimic_evaluate(p, ENV, NULL, &ec, &r), MIMIC_OK);
  double s = r.success_rate;
  mimic_eval_result_free(&r);
  mimic_policy_free(p);
  mimic_env_free(env);
  return s;
}

static void test_gru_learns_same_seed_and_resumes(void **state) {
  (void)state;
  mimic_dagger_env_config cfg = memory_config();
  mimic_bc_config bc = gru_bc();
  size_t len_a, len_c;
  uint8_t *a = tu_dagger_bytes(&cfg, &bc, &len_a, NULL, NULL);
  double s = argmax_success(a, len_a);
  print_message("DAgger with a GRU on " ENV ": argmax success %.2f (100 episodes)\n", s);
  assert_true(s >= 0.85);
  /* the same seed in another process, killed after round 2 and resumed
   * (rounds 3 and 4 refit on episodes restored from the log): the same file */
  char *work = tu_tmp_path("dagger-gru-kill");
  cfg.work_dir = work;
  tu_dagger_killed_after(&cfg, &bc, 1);
  mimic_dagger_round rows[8];
  int n;
  uint8_t *c = tu_dagger_bytes(&cfg, &bc, &len_c, rows, &n);
  assert_int_equal(n, 2);
  assert_int_equal(rows[0].round, 2);
  assert_int_equal(len_a, len_c);
  assert_memory_equal(a, c, len_a);
  free(a);
  free(c);
  free(work);
}

static void test_transformer_runs_the_loop(void **state) {
  (void)state;
  mimic_dagger_env_config cfg = memory_config();
  cfg.rounds = 2;
  cfg.min_steps = 600;
  cfg.eval_episodes = 5;
  mimic_bc_config bc = gru_bc();
  bc.gru_hidden = 0;
  bc.tf = (mimic_tf_config){.context = 8, .layers = 1, .heads = 2, .embd = 32};
  bc.batch_size = 16;
  mimic_dagger_round rows[4];
  int n;
  size_t len;
  uint8_t *a = tu_dagger_bytes(&cfg, &bc, &len, rows, &n);
  assert_int_equal(n, 2);
  assert_int_equal(rows[1].dataset_size, rows[0].dataset_size + rows[1].candidates);
  mimic_model m;
  assert_int_equal(mimic_model_decode(a, len, "the learner", NULL, 1, &m), MIMIC_OK);
  assert_int_equal(m.cfg.tf.context, 8);
  mimic_model_free(&m);
  free(a);
}

static void test_refusals(void **state) {
  (void)state;
  mimic_dagger_env_config cfg = memory_config();
  mimic_bc_config bc = gru_bc();
  mimic_model best;
  cfg.query = (mimic_query_rule){MIMIC_QUERY_RANDOM, 0, 10};
  assert_int_equal(mimic_dagger_env_run(&cfg, &bc, &best, NULL, 0, NULL), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "--query all"));
  cfg = memory_config();
  cfg.cap = 1000;
  assert_int_equal(mimic_dagger_env_run(&cfg, &bc, &best, NULL, 0, NULL), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "cap"));
  /* a learner with memory cannot fit rows that do not say where episodes begin */
  mimic_env *env;
  assert_int_equal(mimic_env_make(ENV, NULL, &env), MIMIC_OK);
  const mimic_space *os = mimic_env_obs_space(env), *as = mimic_env_action_space(env);
  mimic_policy *l;
  assert_int_equal(mimic_bc_learner(&bc, ENV, os, as, NULL, &l), MIMIC_OK);
  float *obs = calloc((size_t)os->dim * 4, sizeof *obs), act[4] = {0, 1, 2, 2};
  mimic_labeled data = {.n = 4, .obs = obs, .obs_dim = os->dim, .actions = act};
  assert_int_equal(mimic_policy_fit(l, &data, false, 0), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "episodes"));
  /* with starts it fits: two episodes of two steps */
  bool starts[4] = {true, false, true, false};
  data.starts = starts;
  assert_int_equal(mimic_policy_fit(l, &data, false, 0), MIMIC_OK);
  assert_true(mimic_policy_fitted(l));
  free(obs);
  mimic_policy_free(l);
  mimic_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_transformer_runs_the_loop),
      cmocka_unit_test(test_gru_learns_same_seed_and_resumes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
