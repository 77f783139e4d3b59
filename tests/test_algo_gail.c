/* GAIL end to end (fixed seeds, full budgets of docs/rl.md): from ONE
 * expert episode the generator reaches >= 475 on CartPole-v1, and from 10
 * episodes >= 0.8 normalised score on Pendulum-v1 (random = 0, the
 * built-in expert = 1). Also: two runs with one seed are bit-identical, and
 * the saved discriminator reward is a reward file that computes the same
 * rewards as the trainer's. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/adversarial.h"
#include "mimic/collect.h"
#include "mimic/evaluate.h"
#include "mimic/policy.h"
#include "algo/reward_net.h"

/* Trains kind on env from `episodes` expert episodes (seed 0 demos). */
static mimic_adv *train(mimic_adv_kind kind, const char *env, int episodes, uint64_t seed,
                        long steps, mimic_dataset *ds) {
  assert_int_equal(mimic_collect_expert(env, NULL, episodes, 0, ds), MIMIC_OK);
  mimic_adv_config c = mimic_adv_defaults(kind, env);
  c.ppo.seed = seed;
  if (steps) c.ppo.total_steps = steps;
  mimic_adv *a;
  if (mimic_adv_create(&c, ds, &a)) fail_msg("%s", mimic_errmsg());
  if (mimic_adv_learn(a, 0, NULL, NULL)) fail_msg("%s", mimic_errmsg());
  return a;
}

/* Evaluates the generator over 100 episodes from seed 1000, normalised. */
static void evaluate(mimic_adv *a, const char *env, mimic_eval_result *r) {
  mimic_model m;
  assert_int_equal(mimic_ppo_copy_model(mimic_adv_generator(a), &m), MIMIC_OK);
  mimic_env *e;
  assert_int_equal(mimic_env_make(env, NULL, &e), MIMIC_OK);
  mimic_policy *p;
  assert_int_equal(mimic_policy_from_model(&m, mimic_env_action_space(e), &p), MIMIC_OK);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.seed = 1000;
  ec.progress = false;
  assert_int_equal(mimic_evaluate(p, env, NULL, &ec, r), MIMIC_OK);
  mimic_policy_free(p);
  mimic_env_free(e);
}

static void test_cartpole_one_episode(void **state) {
  (void)state;
  mimic_dataset ds;
  mimic_adv *a = train(MIMIC_ADV_GAIL, "CartPole-v1", 1, 0, 0, &ds);
  assert_int_equal(ds.n_episodes, 1);
  mimic_eval_result r;
  evaluate(a, "CartPole-v1", &r);
  print_message(
      "GAIL CartPole-v1 from 1 episode (%zu transitions), %ld env steps: return %.1f +- %.1f, "
      "normalised %.3f\n",
      ds.n_steps, mimic_ppo_timesteps(mimic_adv_generator(a)), r.return_mean, r.return_std,
      r.normalized_score);
  assert_true(r.return_mean >= 475);
  mimic_eval_result_free(&r);
  mimic_adv_free(a);
  mimic_dataset_free(&ds);
}

static void test_pendulum_ten_episodes(void **state) {
  (void)state;
  mimic_dataset ds;
  mimic_adv *a = train(MIMIC_ADV_GAIL, "Pendulum-v1", 10, 0, 0, &ds);
  mimic_eval_result r;
  evaluate(a, "Pendulum-v1", &r);
  print_message(
      "GAIL Pendulum-v1 from 10 episodes, %ld env steps: return %.1f +- %.1f, normalised %.3f "
      "(expert %.1f, random %.1f)\n",
      mimic_ppo_timesteps(mimic_adv_generator(a)), r.return_mean, r.return_std, r.normalized_score,
      r.expert_return, r.random_return);
  assert_true(r.normalized_score >= 0.8);
  mimic_eval_result_free(&r);
  mimic_adv_free(a);
  mimic_dataset_free(&ds);
}

/* Same seed, same parameters (generator and discriminator), bit for bit;
 * the saved reward file reproduces the trainer's rewards. */
static void test_deterministic_and_reward_file(void **state) {
  (void)state;
  mimic_dataset d1, d2;
  mimic_adv *a = train(MIMIC_ADV_GAIL, "CartPole-v1", 2, 5, 4096, &d1);
  mimic_adv *b = train(MIMIC_ADV_GAIL, "CartPole-v1", 2, 5, 4096, &d2);
  mimic_model *ga = mimic_ppo_model(mimic_adv_generator(a)),
              *gb = mimic_ppo_model(mimic_adv_generator(b));
  assert_memory_equal(ga->params, gb->params, ga->n_params * sizeof(float));
  mimic_reward_net *ra = mimic_adv_reward(a), *rb = mimic_adv_reward(b);
  assert_memory_equal(ra->model.params, rb->model.params, ra->model.n_params * sizeof(float));
  char *path = tu_tmp_path("gail_reward.mimic");
  assert_int_equal(mimic_adv_save_reward(a, path, NULL), MIMIC_OK);
  mimic_reward_net loaded;
  assert_int_equal(mimic_reward_net_load(path, &loaded), MIMIC_OK);
  assert_int_equal(loaded.inputs, MIMIC_REWARD_STATE_ACTION);
  assert_int_equal(loaded.output, MIMIC_REWARD_SOFTPLUS);
  assert_int_equal(loaded.n_discrete, 2);
  const int n = 6;
  double want[6], got[6];
  const float *obs = mimic_dataset_step_obs(&d1, 0), *act = d1.act,
              *next = mimic_dataset_step_next_obs(&d1, 0);
  assert_int_equal(mimic_reward_net_predict(ra, obs, act, next, n, want), MIMIC_OK);
  assert_int_equal(mimic_reward_net_predict(&loaded, obs, act, next, n, got), MIMIC_OK);
  for (int i = 0; i < n; i++) {
    assert_true(got[i] == want[i]);
    assert_true(got[i] > 0); /* softplus */
  }
  mimic_env *env;
  assert_int_equal(mimic_env_make("Pendulum-v1", NULL, &env), MIMIC_OK);
  assert_int_equal(mimic_reward_net_check_env(&loaded, env), MIMIC_ERR_INVALID);
  mimic_env_free(env);
  mimic_reward_net_free(&loaded);
  free(path);
  mimic_adv_free(a);
  mimic_adv_free(b);
  mimic_dataset_free(&d1);
  mimic_dataset_free(&d2);
}

/* A reward network's input rows: obs, flag, one-hot action, next obs, flag. */
static void test_reward_inputs(void **state) {
  (void)state;
  mimic_space as = {.kind = MIMIC_SPACE_DISCRETE, .n = 3, .dim = 1};
  mimic_rng rng;
  mimic_rng_seed(&rng, 1);
  mimic_reward_net r;
  int hidden[1] = {4};
  assert_int_equal(mimic_reward_net_create(&r, MIMIC_REWARD_STATE_ACTION_NEXT_STATE, 2, &as, true,
                                           1, hidden, MIMIC_ACT_RELU, &rng),
                   MIMIC_OK);
  assert_int_equal(r.in_dim, 2 + 1 + 3 + 2 + 1);
  float obs[4] = {1, 2, 3, 4}, next[4] = {5, 6, 7, 8}, act[2] = {2, 0};
  bool abs_s[2] = {false, true}, abs_n[2] = {true, true};
  assert_int_equal(mimic_reward_net_inputs_abs(&r, obs, act, next, abs_s, abs_n, 2), MIMIC_OK);
  const float want[18] = {1, 2, 0, 0, 0, 1, 0, 0, 1,  /* row 1: real s, action 2, absorbing s' */
                          0, 0, 1, 0, 0, 0, 0, 0, 1}; /* row 2: absorbing everything */
  assert_memory_equal(r.in_buf, want, sizeof want);
  act[0] = 3; /* outside Discrete(3) */
  assert_int_equal(mimic_reward_net_inputs(&r, obs, act, next, 1), MIMIC_ERR_RANGE);
  assert_non_null(strstr(mimic_errmsg(), "Discrete(3)"));
  mimic_reward_net_free(&r);
}

static void test_bad_inputs(void **state) {
  (void)state;
  mimic_dataset ds;
  assert_int_equal(mimic_collect_expert("Pendulum-v1", NULL, 1, 0, &ds), MIMIC_OK);
  mimic_adv_config c = mimic_adv_defaults(MIMIC_ADV_GAIL, "CartPole-v1");
  mimic_adv *a;
  assert_int_equal(mimic_adv_create(&c, &ds, &a),
                   MIMIC_ERR_INVALID); /* Pendulum demos, CartPole env */
  assert_non_null(strstr(mimic_errmsg(), "demonstrations"));
  c.demo_batch_size = 0;
  assert_int_equal(mimic_adv_check(&c), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "demo_batch_size"));
  mimic_dataset_free(&ds);
}

int main(void) {
  mimic_nn_set_threads(1);
  mimic_log_set_level(MIMIC_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_inputs),
      cmocka_unit_test(test_reward_inputs),
      cmocka_unit_test(test_deterministic_and_reward_file),
      cmocka_unit_test(test_cartpole_one_episode),
      cmocka_unit_test(test_pendulum_ten_episodes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
