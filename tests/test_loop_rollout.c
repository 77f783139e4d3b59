/* The rollout helper: N copies stepped by one policy, and the episode log.
 *
 * Checked against single environments driven by hand: seeded rollouts give
 * episode k the start reset(seed + k) whatever N is, training rollouts
 * reset copy i with seed + i and continue its stream, final_obs holds the
 * ended episode's last observation while obs already holds the next start,
 * the log's sums agree with the episodes that ended, and a bad action moves
 * no copy. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/rollout.h"

enum { EPISODES = 23, MAXD = 8 };

/* Returns and lengths of `episodes` random-policy episodes of CartPole run by
 * a seeded rollout of n copies, with a time limit of 50 steps. */
static void seeded_returns(int n, double *ret, int *len, mimic_episode_log *log) {
  mimic_rollout r;
  mimic_rollout_config rc = {.n = n, .seed = 40, .episodes = EPISODES};
  if (mimic_rollout_open(&r, "CartPole-v1", "max_steps=50", &rc)) fail_msg("%s", mimic_errmsg());
  mimic_policy *expert;
  if (mimic_policy_builtin_expert(r.envs[0], &expert)) fail_msg("%s", mimic_errmsg());
  for (int k = 0; k < EPISODES; k++) ret[k] = NAN;
  long steps = 0;
  while (!mimic_rollout_done(&r)) {
    if (mimic_rollout_act(&r, expert, true, NULL)) fail_msg("%s", mimic_errmsg());
    /* the expert is overruled for 4 steps in 9, so some episodes end early */
    for (int i = 0; i < r.n; i++)
      if (r.running[i] && r.ep_length[i] % 9 >= 5) r.actions[i] = 0;
    if (mimic_rollout_step(&r)) fail_msg("%s", mimic_errmsg());
    for (int k = 0; k < r.n_end; k++) {
      assert_true(isnan(ret[r.end[k].episode])); /* every episode ends once */
      ret[r.end[k].episode] = r.end[k].ret;
      len[r.end[k].episode] = r.end[k].length;
    }
    assert_true(++steps < 100000);
  }
  assert_int_equal(r.n_running, 0);
  *log = r.log;
  mimic_policy_free(expert);
  mimic_rollout_close(&r);
}

static void test_seeded_episodes_do_not_depend_on_copies(void **st) {
  (void)st;
  double r1[EPISODES], r5[EPISODES];
  int l1[EPISODES], l5[EPISODES];
  mimic_episode_log g1, g5;
  seeded_returns(1, r1, l1, &g1);
  seeded_returns(5, r5, l5, &g5);
  double sum = 0;
  int terminated = 0;
  for (int k = 0; k < EPISODES; k++) {
    assert_true(r1[k] == r5[k]);
    assert_int_equal(l1[k], l5[k]);
    sum += r1[k];
    terminated += l1[k] < 50;
  }
  /* the log sums exactly what ended */
  assert_int_equal(g1.episodes, EPISODES);
  assert_true(fabs(g1.return_sum - sum) < 1e-9);
  assert_int_equal(g1.terminated, terminated);
  assert_int_equal(g1.truncated, EPISODES - terminated);
  assert_true(terminated > 0 && terminated < EPISODES);
  /* CartPole succeeds by lasting to the time limit */
  assert_int_equal(g1.judged, EPISODES);
  assert_int_equal(g1.successes, EPISODES - terminated);
  assert_true(fabs(mimic_episode_log_mean_return(&g5) - sum / EPISODES) < 1e-9);

  /* episode 0 matches a single environment reset with seed 40 */
  mimic_env *env;
  if (mimic_env_make("CartPole-v1", "max_steps=50", &env)) fail_msg("%s", mimic_errmsg());
  float obs[MAXD];
  mimic_env_reset(env, 40, obs);
  int t = 0;
  double ret = 0;
  bool te = false, tr = false;
  while (!te && !tr) {
    float a;
    mimic_env_expert_act(env, &a);
    if (t % 9 >= 5) a = 0;
    double rew;
    if (mimic_env_step(env, &a, obs, &rew, &te, &tr)) fail_msg("%s", mimic_errmsg());
    ret += rew;
    t++;
  }
  assert_true(ret == r1[0]);
  assert_int_equal(t, l1[0]);
  mimic_env_free(env);
}

static void test_training_rollout_matches_singles(void **st) {
  (void)st;
  enum { N = 3 };
  mimic_rollout r;
  mimic_rollout_config rc = {.n = N, .seed = 11};
  if (mimic_rollout_open(&r, "CartPole-v1", NULL, &rc)) fail_msg("%s", mimic_errmsg());
  mimic_env *single[N];
  float sobs[N * MAXD];
  const int od = r.obs_dim;
  for (int i = 0; i < N; i++) {
    if (mimic_env_make("CartPole-v1", NULL, &single[i])) fail_msg("%s", mimic_errmsg());
    mimic_env_reset(single[i], 11 + i, sobs + i * od);
  }
  assert_memory_equal(r.obs, sobs, sizeof(float) * N * (size_t)od);
  mimic_rng rng;
  mimic_rng_seed(&rng, 5);
  mimic_policy *random;
  if (mimic_policy_random(mimic_env_action_space(single[0]), &random))
    fail_msg("%s", mimic_errmsg());
  int ended = 0;
  for (int t = 0; t < 400; t++) {
    if (mimic_rollout_act(&r, random, false, &rng)) fail_msg("%s", mimic_errmsg());
    if (mimic_rollout_step(&r)) fail_msg("%s", mimic_errmsg());
    assert_int_equal(r.n_running, N); /* training rollouts never idle */
    for (int i = 0; i < N; i++) {
      double rew;
      bool te, tr;
      float *o = sobs + i * od;
      mimic_env_step(single[i], r.actions + i, o, &rew, &te, &tr);
      assert_true(rew == r.reward[i]);
      assert_int_equal(te, r.terminated[i]);
      assert_int_equal(tr, r.truncated[i]);
      if (te || tr) {
        assert_memory_equal(r.final_obs + i * od, o, sizeof(float) * (size_t)od);
        mimic_env_reset(single[i], MIMIC_SEED_NONE, o); /* the copy's stream goes on */
        ended++;
      }
      assert_memory_equal(r.obs + i * od, o, sizeof(float) * (size_t)od);
    }
  }
  assert_true(ended > 20);
  assert_int_equal(r.log.episodes, ended);
  /* the last 100 episodes' mean (SB3's ep_info_buffer) */
  assert_int_equal(r.log.recent_n, ended < MIMIC_EPISODE_RECENT ? ended : MIMIC_EPISODE_RECENT);
  assert_false(isnan(mimic_episode_log_recent_return(&r.log)));
  for (int i = 0; i < N; i++) mimic_env_free(single[i]);
  mimic_policy_free(random);
  mimic_rollout_close(&r);
}

static void test_bad_action_moves_no_copy(void **st) {
  (void)st;
  mimic_rollout r;
  mimic_rollout_config rc = {.n = 2, .seed = 3};
  if (mimic_rollout_open(&r, "CartPole-v1", NULL, &rc)) fail_msg("%s", mimic_errmsg());
  float before[2 * MAXD];
  memcpy(before, r.obs, sizeof(float) * 2 * (size_t)r.obs_dim);
  r.actions[0] = 1;
  r.actions[1] = 2; /* outside Discrete(2) */
  assert_int_equal(mimic_rollout_step(&r), MIMIC_ERR_RANGE);
  assert_non_null(strstr(mimic_errmsg(), "copy 1"));
  assert_memory_equal(r.obs, before, sizeof(float) * 2 * (size_t)r.obs_dim);
  assert_int_equal(mimic_env_elapsed(r.envs[0]), 0);
  mimic_rollout_close(&r);
}

static void test_bad_config_refused(void **st) {
  (void)st;
  mimic_rollout r;
  mimic_rollout_config rc = {.n = 0};
  assert_int_equal(mimic_rollout_open(&r, "CartPole-v1", NULL, &rc), MIMIC_ERR_INVALID);
  rc.n = 1;
  assert_int_equal(mimic_rollout_open(&r, "NoSuchEnv-v0", NULL, &rc), MIMIC_ERR_NOT_FOUND);
  mimic_rollout_close(&r); /* safe after a failed open */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_seeded_episodes_do_not_depend_on_copies),
      cmocka_unit_test(test_training_rollout_matches_singles),
      cmocka_unit_test(test_bad_action_moves_no_copy),
      cmocka_unit_test(test_bad_config_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
