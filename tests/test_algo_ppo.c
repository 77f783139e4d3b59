/* PPO end to end: the tuned presets solve CartPole-v1 (>= 475 over 100
 * evaluation episodes) and Pendulum-v1 (>= -200) within their documented
 * step budgets (docs/rl.md); a run is a pure function of its seed; a reward
 * function replaces the environment's; policy files act as the trainer's
 * policy; a checkpoint resumes bit for bit; bad configurations are refused
 * with a sentence. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/policy.h"
#include "mimic/ppo.h"
#include "nn/heads.h"
#include "algo/ppo_impl.h"

static mimic_ppo *train(const char *env_id, uint64_t seed, long steps) {
  mimic_ppo_config c = mimic_ppo_defaults();
  c.env_id = env_id;
  assert_true(mimic_ppo_preset(env_id, &c));
  c.seed = seed;
  if (steps) c.total_steps = steps;
  mimic_ppo *p;
  if (mimic_ppo_create(&c, NULL, &p)) fail_msg("%s", mimic_errmsg());
  if (mimic_ppo_learn(p, 0, NULL, NULL)) fail_msg("%s", mimic_errmsg());
  return p;
}

static void solve(const char *env_id, double threshold) {
  mimic_ppo *p = train(env_id, 0, 0);
  double mean, std;
  assert_int_equal(mimic_ppo_evaluate(p, 100, 1000, &mean, &std), MIMIC_OK);
  print_message("%s: PPO after %ld steps: return %.1f +- %.1f over 100 episodes (threshold %g)\n",
                env_id, mimic_ppo_timesteps(p), mean, std, threshold);
  assert_true(mean >= threshold);
  assert_true(mimic_ppo_timesteps(p) <= mimic_ppo_get_config(p)->total_steps + 2048);
  mimic_ppo_free(p);
}

static void test_cartpole(void **state) {
  (void)state;
  solve("CartPole-v1", 475);
}

static void test_pendulum(void **state) {
  (void)state;
  solve("Pendulum-v1", -200);
}

/* Two runs with one seed end with the same parameters, bit for bit; another seed differs. */
static void test_deterministic(void **state) {
  (void)state;
  const char *envs[] = {"CartPole-v1", "Pendulum-v1"};
  for (int e = 0; e < 2; e++) {
    mimic_ppo *a = train(envs[e], 3, 4096), *b = train(envs[e], 3, 4096),
              *c = train(envs[e], 4, 4096);
    mimic_model *ma = mimic_ppo_model(a), *mb = mimic_ppo_model(b), *mc = mimic_ppo_model(c);
    assert_int_equal(ma->n_params, mb->n_params);
    assert_memory_equal(ma->params, mb->params, ma->n_params * sizeof(float));
    assert_true(memcmp(ma->params, mc->params, ma->n_params * sizeof(float)) != 0);
    if (ma->obs_norm)
      assert_memory_equal(ma->obs_mean, mb->obs_mean, (size_t)ma->cfg.obs_dim * sizeof(float));
    mimic_ppo_free(a);
    mimic_ppo_free(b);
    mimic_ppo_free(c);
  }
}

/* A checkpoint taken between iterations (encoded and decoded as a file
 * would be) continues in a new trainer to the same parameters, bit for
 * bit, as the trainer that never stopped; a trainer of another seed or
 * width refuses it by name. */
static void test_checkpoint(void **state) {
  (void)state;
  mimic_ppo_config c = mimic_ppo_defaults();
  c.env_id = "Pendulum-v1";
  assert_true(mimic_ppo_preset(c.env_id, &c));
  c.n_envs = 3, c.n_steps = 128, c.norm_reward = true, c.total_steps = 100000;
  mimic_ppo *a, *b, *d;
  assert_int_equal(mimic_ppo_create(&c, NULL, &a), MIMIC_OK);
  assert_int_equal(mimic_ppo_learn(a, 3 * 384, NULL, NULL), MIMIC_OK);
  mimic_container ck;
  assert_int_equal(mimic_ppo_checkpoint(a, &ck), MIMIC_OK);
  uint8_t *bytes;
  size_t len;
  assert_int_equal(mimic_container_encode(&ck, &bytes, &len), MIMIC_OK);
  mimic_container_free(&ck);
  assert_int_equal(mimic_ppo_learn(a, 7 * 384, NULL, NULL), MIMIC_OK);
  mimic_container rd;
  assert_int_equal(mimic_container_decode(bytes, len, "ppo.ckpt", &rd), MIMIC_OK);
  assert_int_equal(mimic_ppo_create(&c, NULL, &b), MIMIC_OK);
  if (mimic_ppo_restore(b, &rd)) fail_msg("%s", mimic_errmsg());
  assert_int_equal(mimic_ppo_timesteps(b), 3 * 384);
  assert_int_equal(mimic_ppo_learn(b, 7 * 384, NULL, NULL), MIMIC_OK);
  mimic_model *ma = mimic_ppo_model(a), *mb = mimic_ppo_model(b);
  assert_memory_equal(ma->params, mb->params, ma->n_params * sizeof(float));
  assert_memory_equal(ma->obs_mean, mb->obs_mean, (size_t)ma->cfg.obs_dim * sizeof(float));
  mimic_ppo_config other = c;
  other.seed = 9;
  assert_int_equal(mimic_ppo_create(&other, NULL, &d), MIMIC_OK);
  assert_int_equal(mimic_ppo_restore(d, &rd), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "meta.ppo.seed"));
  mimic_ppo_free(d);
  other = c;
  other.hidden[1] = 32;
  assert_int_equal(mimic_ppo_create(&other, NULL, &d), MIMIC_OK);
  assert_int_equal(mimic_ppo_restore(d, &rd), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "meta.ppo.hidden"));
  mimic_ppo_free(d);
  mimic_container_free(&rd);
  free(bytes);
  mimic_ppo_free(a);
  mimic_ppo_free(b);
}

/* A reward of 2 per step: the trained-on return is twice the length. */
static mimic_status two(void *user, const float *obs, const float *act, const float *next_obs,
                        const bool *term, int n, double *rewards) {
  (void)obs, (void)act, (void)next_obs, (void)term;
  *(int *)user += n;
  for (int i = 0; i < n; i++) rewards[i] = 2.0;
  return MIMIC_OK;
}

static void test_reward_function(void **state) {
  (void)state;
  mimic_ppo_config c = mimic_ppo_defaults();
  c.env_id = "CartPole-v1";
  c.n_envs = 4;
  c.n_steps = 128;
  mimic_ppo *p;
  assert_int_equal(mimic_ppo_create(&c, NULL, &p), MIMIC_OK);
  int calls = 0;
  mimic_ppo_set_reward(p, two, &calls);
  mimic_ppo_iter it;
  for (int k = 0; k < 3; k++) {
    assert_int_equal(mimic_ppo_collect(p), MIMIC_OK);
    mimic_ppo_rollout r = mimic_ppo_last_rollout(p);
    assert_int_equal(r.n, 512);
    for (int i = 0; i < r.n; i++) assert_true(r.env_rewards[i] == 1.0);
    assert_int_equal(mimic_ppo_update(p, &it), MIMIC_OK);
  }
  assert_int_equal(calls, 3 * 512);
  assert_true(it.episodes > 0);
  assert_true(fabs(it.ep_reward_mean - 2.0 * it.ep_len_mean) < 1e-9);
  assert_true(fabs(it.ep_return_mean - it.ep_len_mean) < 1e-9);
  /* an update without a new rollout is refused */
  assert_int_equal(mimic_ppo_update(p, &it), MIMIC_ERR_INVALID);
  mimic_ppo_free(p);
}

/* Episodes cut by a time limit are marked truncated, not terminated, and
 * next_obs holds their final observation. */
static void test_truncation(void **state) {
  (void)state;
  mimic_ppo_config c = mimic_ppo_defaults();
  c.env_id = "Pendulum-v1";
  c.env_opts = NULL;
  c.n_envs = 2;
  c.n_steps = 450;
  mimic_ppo *p;
  assert_int_equal(mimic_ppo_create(&c, NULL, &p), MIMIC_OK);
  assert_int_equal(mimic_ppo_collect(p), MIMIC_OK);
  mimic_ppo_rollout r = mimic_ppo_last_rollout(p);
  int cut = 0;
  for (int i = 0; i < r.n; i++) {
    assert_false(r.terminated[i]);
    if (r.truncated[i]) {
      cut++;
      assert_int_equal(i / 2 % 200, 199); /* Pendulum's 200-step limit */
    } else if (i + 2 < r.n) {             /* otherwise the next row starts where this one ended */
      assert_memory_equal(r.next_obs + (size_t)i * 3, r.obs + (size_t)(i + 2) * 3,
                          3 * sizeof(float));
    }
  }
  assert_int_equal(cut, 4);
  mimic_ppo_free(p);
}

/* A saved policy file acts exactly as the trainer's policy. */
static void test_save_load(void **state) {
  (void)state;
  mimic_ppo *p = train("Pendulum-v1", 1, 4096);
  char *path = tu_tmp_path("ppo.mimic");
  assert_int_equal(mimic_ppo_save(p, path, "{\"note\": \"test\"}"), MIMIC_OK);
  mimic_policy *pol;
  assert_int_equal(mimic_policy_load(path, &pol), MIMIC_OK);
  mimic_model *m = mimic_policy_model(pol);
  assert_non_null(m);
  assert_true(m->obs_norm);
  assert_non_null(strstr(m->metadata, "\"env_id\":\"Pendulum-v1\""));
  assert_non_null(strstr(m->metadata, "\"note\":\"test\""));
  float obs[3] = {0.3f, -0.9f, 1.5f}, a1, a2;
  mimic_act_batch b = {.n = 1, .obs = obs, .actions = &a1, .deterministic = true};
  assert_int_equal(mimic_policy_act(pol, &b), MIMIC_OK);
  mimic_model *pm = mimic_ppo_model(p);
  assert_int_equal(mimic_model_forward(pm, obs, 1), MIMIC_OK);
  a2 = pm->actor.out[0] < -2 ? -2 : pm->actor.out[0] > 2 ? 2 : pm->actor.out[0];
  assert_true(a1 == a2);
  mimic_policy_free(pol);
  free(path);
  mimic_ppo_free(p);
}

/* log pi(a|s) of raw observations, in chunks larger and smaller than the
 * minibatch, equals the log-softmax of the model's own forward pass. */
static void test_log_prob(void **state) {
  (void)state;
  mimic_ppo_config c = mimic_ppo_defaults();
  c.env_id = "CartPole-v1";
  c.n_envs = 16;
  c.n_steps = 4;
  c.batch_size = 8;
  mimic_ppo *p;
  assert_int_equal(mimic_ppo_create(&c, NULL, &p), MIMIC_OK);
  assert_int_equal(mimic_ppo_collect(p), MIMIC_OK);
  mimic_ppo_rollout r = mimic_ppo_last_rollout(p);
  float lp[64];
  assert_int_equal(r.n, 64);
  assert_int_equal(mimic_ppo_log_prob(p, r.obs, r.actions, r.n, lp), MIMIC_OK);
  mimic_model *m = mimic_ppo_model(p);
  for (int i = 0; i < r.n; i++) {
    assert_int_equal(mimic_model_forward(m, r.obs + (size_t)i * 4, 1), MIMIC_OK);
    float logp[2];
    mimic_cat_log_softmax(m->actor.out, 1, 2, logp);
    assert_true(fabsf(lp[i] - logp[(int)r.actions[i]]) < 1e-6f);
  }
  mimic_ppo_free(p);
}

static void test_bad_config(void **state) {
  (void)state;
  mimic_ppo_config c = mimic_ppo_defaults();
  mimic_ppo *p;
  c.env_id = "CartPole-v1";
  c.batch_size = 1;
  assert_int_equal(mimic_ppo_create(&c, NULL, &p), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "batch_size"));
  c = mimic_ppo_defaults();
  c.env_id = "CartPole-v1";
  c.gamma = 1.5;
  assert_int_equal(mimic_ppo_check(&c), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "gamma"));
  c = mimic_ppo_defaults();
  c.env_id = "NoSuchEnv-v0";
  assert_int_not_equal(mimic_ppo_create(&c, NULL, &p), MIMIC_OK);
}

int main(void) {
  mimic_nn_set_threads(1);
  mimic_log_set_level(MIMIC_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_config), cmocka_unit_test(test_checkpoint),
      cmocka_unit_test(test_log_prob),   cmocka_unit_test(test_reward_function),
      cmocka_unit_test(test_truncation), cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_save_load),  cmocka_unit_test(test_cartpole),
      cmocka_unit_test(test_pendulum),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
