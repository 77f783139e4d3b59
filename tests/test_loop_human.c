/* The person-at-the-terminal expert, driven through a pipe: action keys,
 * accepting the learner's suggestion, ignoring stray keys, quitting. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mimic/policy.h"

static int answer(const char *keys, const float *hint, float *action) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  assert_int_equal(write(fds[1], keys, strlen(keys)), (ssize_t)strlen(keys));
  close(fds[1]);
  mimic_env *env;
  assert_int_equal(mimic_env_make("CartPole-v1", NULL, &env), MIMIC_OK);
  float obs[4];
  assert_int_equal(mimic_env_reset(env, 0, obs), MIMIC_OK);
  FILE *out = fopen("/dev/null", "w");
  mimic_policy *p;
  assert_int_equal(mimic_policy_human(env, fds[0], out, &p), MIMIC_OK);
  float conf = 0.4f;
  mimic_act_batch b = {.n = 1,
                       .obs = obs,
                       .envs = &env,
                       .actions = action,
                       .deterministic = true,
                       .hint = hint,
                       .hint_confidence = hint ? &conf : NULL};
  int st = mimic_policy_act(p, &b);
  if (st == MIMIC_OK) assert_int_equal(mimic_policy_calls(p), 1);
  mimic_policy_free(p);
  fclose(out);
  close(fds[0]);
  mimic_env_free(env);
  return st;
}

static void test_keys(void **state) {
  (void)state;
  float a = -1, hint = 0;
  assert_int_equal(answer("1", NULL, &a), MIMIC_OK);
  assert_true(a == 1);
  assert_int_equal(answer("x7\x1b[A0", NULL, &a),
                   MIMIC_OK); /* stray keys and an unnamed arrow are ignored */
  assert_true(a == 0);
  assert_int_equal(answer("\n", &hint, &a), MIMIC_OK); /* Enter takes the learner's suggestion */
  assert_true(a == 0);
  assert_int_equal(answer("q", &hint, &a), MIMIC_ERR_INTERRUPTED);
  assert_non_null(strstr(mimic_errmsg(), "quit"));
  assert_int_equal(answer("", NULL, &a), MIMIC_ERR_INTERRUPTED);
}

static void test_needs_env_and_discrete(void **state) {
  (void)state;
  mimic_env *env;
  assert_int_equal(mimic_env_make("Pendulum-v1", NULL, &env), MIMIC_OK);
  mimic_policy *p;
  assert_int_equal(mimic_policy_human(env, 0, stderr, &p), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "discrete"));
  mimic_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keys),
      cmocka_unit_test(test_needs_env_and_discrete),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
