/* Behavioral cloning from observation: from 10 expert episodes of
 * CartPole-v1 with their actions removed, BCO(alpha) clones a policy that
 * balances the pole (>= 475) and on MountainCarContinuous-v0 one that
 * scores >= 0.9 of the expert, its inverse dynamics model recovers the
 * hidden actions, the same seed gives the same clone, and demonstrations
 * of another environment are refused. Also the observation-only dataset:
 * stripped actions, the metadata flag, a file round trip. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/bco.h"
#include "mimic/collect.h"
#include "mimic/evaluate.h"

static void test_cartpole_from_observations(void **state) {
  (void)state;
  mimic_nn_set_threads(1);
  mimic_dataset demos;
  assert_int_equal(mimic_collect_expert("CartPole-v1", NULL, 10, 0, &demos), MIMIC_OK);
  mimic_bco_config c = mimic_bco_defaults("CartPole-v1");
  /* with the true actions still in memory, the report can score the inferred ones */
  mimic_model clone;
  mimic_bco_round last;
  assert_int_equal(mimic_bco_train(&c, &demos, NULL, NULL, &clone, &last), MIMIC_OK);
  print_message("BCO CartPole-v1: %ld interactions, inferred actions agree %.4f\n",
                last.interactions, last.idm_agreement);
  assert_true(last.idm_agreement >= 0.95);
  assert_int_equal(last.interactions,
                   c.pre_steps + c.iterations * (long)ceil(c.alpha * c.pre_steps));
  /* stripped, the clone is the same: BCO never reads the demonstrated actions */
  mimic_dataset stripped;
  assert_int_equal(mimic_collect_expert("CartPole-v1", NULL, 10, 0, &stripped), MIMIC_OK);
  assert_int_equal(mimic_dataset_strip_actions(&stripped), MIMIC_OK);
  assert_false(mimic_dataset_has_actions(&stripped));
  mimic_model again;
  assert_int_equal(mimic_bco_train(&c, &stripped, NULL, NULL, &again, &last), MIMIC_OK);
  assert_true(isnan(last.idm_agreement));
  assert_int_equal(again.n_params, clone.n_params);
  assert_memory_equal(again.params, clone.params, clone.n_params * sizeof(float));
  mimic_model_free(&again);
  const double ret = tu_model_return(&clone, "CartPole-v1", 50);
  print_message("BCO CartPole-v1: clone return %.1f over 50 episodes\n", ret);
  assert_true(ret >= 475);
  mimic_dataset_free(&demos);
  mimic_dataset_free(&stripped);
}

/* Continuous actions: the model is a regression; normalised score >= 0.9. */
static void test_mountaincar_continuous(void **state) {
  (void)state;
  mimic_nn_set_threads(1);
  mimic_dataset demos;
  assert_int_equal(mimic_collect_expert("MountainCarContinuous-v0", NULL, 10, 0, &demos), MIMIC_OK);
  assert_int_equal(mimic_dataset_strip_actions(&demos), MIMIC_OK);
  mimic_bco_config c = mimic_bco_defaults("MountainCarContinuous-v0");
  mimic_model clone;
  mimic_bco_round last;
  assert_int_equal(mimic_bco_train(&c, &demos, NULL, NULL, &clone, &last), MIMIC_OK);
  mimic_env *env;
  assert_int_equal(mimic_env_make(c.env_id, NULL, &env), MIMIC_OK);
  mimic_policy *p;
  assert_int_equal(mimic_policy_from_model(&clone, mimic_env_action_space(env), &p), MIMIC_OK);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = 50;
  ec.seed = 1000;
  mimic_eval_result r = {0};
  assert_int_equal(mimic_evaluate(p, c.env_id, NULL, &ec, &r), MIMIC_OK);
  print_message("BCO MountainCarContinuous-v0: %ld interactions, return %.2f, normalised %.3f\n",
                last.interactions, r.return_mean, r.normalized_score);
  assert_true(r.normalized_score >= 0.9);
  mimic_eval_result_free(&r);
  mimic_policy_free(p);
  mimic_env_free(env);
  mimic_dataset_free(&demos);
}

static void test_stripped_dataset_file(void **state) {
  (void)state;
  mimic_dataset ds, back;
  assert_int_equal(mimic_collect_expert("Pendulum-v1", NULL, 2, 0, &ds), MIMIC_OK);
  assert_true(mimic_dataset_has_actions(&ds));
  assert_int_equal(mimic_dataset_strip_actions(&ds), MIMIC_OK);
  for (size_t j = 0; j < ds.n_steps; j++)
    assert_true(ds.act[j] == 0.0f); /* the middle of [-2, 2] */
  char *path = tu_tmp_path("observations-only");
  assert_int_equal(mimic_dataset_save(&ds, path, NULL), MIMIC_OK);
  assert_int_equal(mimic_dataset_load(path, &back), MIMIC_OK);
  assert_false(mimic_dataset_has_actions(&back));
  assert_int_equal(back.n_steps, ds.n_steps);
  assert_memory_equal(back.obs, ds.obs, (ds.n_steps + ds.n_episodes) * ds.obs_dim * sizeof(float));
  mimic_dataset_free(&ds);
  mimic_dataset_free(&back);
  free(path);
}

static void test_bad_input(void **state) {
  (void)state;
  mimic_dataset demos;
  assert_int_equal(mimic_collect_expert("Pendulum-v1", NULL, 1, 0, &demos), MIMIC_OK);
  mimic_bco_config c = mimic_bco_defaults("CartPole-v1");
  c.pre_steps = 100;
  mimic_model clone;
  assert_int_equal(mimic_bco_train(&c, &demos, NULL, NULL, &clone, NULL), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "not from this environment"));
  c.pre_steps = 0;
  assert_int_equal(mimic_bco_check(&c), MIMIC_ERR_INVALID);
  c = mimic_bco_defaults("CartPole-v1");
  c.alpha = 1e-9;
  assert_int_equal(mimic_bco_check(&c), MIMIC_ERR_INVALID);
  mimic_dataset_free(&demos);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cartpole_from_observations),
      cmocka_unit_test(test_mountaincar_continuous),
      cmocka_unit_test(test_stripped_dataset_file),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
