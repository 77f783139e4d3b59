/* The person-at-the-terminal expert, driven through a pipe: action keys,
 * accepting the learner's suggestion, ignoring stray keys, quitting; Box
 * actions typed as numbers; and lines for items with names (skip, undo,
 * unique prefixes, refused typos). */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mimic/expert.h"
#include "loop/transport.h"

/* Asks a person (keys from a pipe) about one state of env id; returns the
 * answer's kind, the action in *action. */
static mimic_answer_kind answer(const char *id, const char *keys, const float *hint,
                                float *action) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  assert_int_equal(write(fds[1], keys, strlen(keys)), (ssize_t)strlen(keys));
  close(fds[1]);
  mimic_env *env;
  assert_int_equal(mimic_env_make(id, NULL, &env), MIMIC_OK);
  float obs[4];
  assert_int_equal(mimic_env_reset(env, 0, obs), MIMIC_OK);
  FILE *out = fopen("/dev/null", "w");
  mimic_codec *codec;
  assert_int_equal(mimic_codec_env(env, &codec), MIMIC_OK);
  mimic_expert *e;
  assert_int_equal(mimic_expert_human(codec, fds[0], out, &e), MIMIC_OK);
  assert_true(e->person);
  float conf = 0.4f;
  mimic_questions q = {.n = 1,
                       .obs = obs,
                       .obs_dim = mimic_env_obs_space(env)->dim,
                       .envs = &env,
                       .guess = hint,
                       .guess_conf = hint ? &conf : NULL,
                       .must_act = true};
  mimic_answer a = {.action = action};
  assert_int_equal(mimic_expert_label(e, &q, &a), MIMIC_OK);
  if (a.kind == MIMIC_ANSWER_ACTION) assert_int_equal(e->answers, 1);
  mimic_expert_free(e);
  mimic_codec_free(codec);
  fclose(out);
  close(fds[0]);
  mimic_env_free(env);
  return a.kind;
}

static void test_keys(void **state) {
  (void)state;
  float a = -1, hint = 0;
  assert_int_equal(answer("CartPole-v1", "1", NULL, &a), MIMIC_ANSWER_ACTION);
  assert_true(a == 1);
  assert_int_equal(answer("CartPole-v1", "x7\x1b[A0", NULL, &a),
                   MIMIC_ANSWER_ACTION); /* stray keys and an unnamed arrow are ignored */
  assert_true(a == 0);
  /* Enter takes the learner's suggestion */
  assert_int_equal(answer("CartPole-v1", "\n", &hint, &a), MIMIC_ANSWER_ACTION);
  assert_true(a == 0);
  assert_int_equal(answer("CartPole-v1", "q", &hint, &a), MIMIC_ANSWER_QUIT);
  assert_int_equal(answer("CartPole-v1", "", NULL, &a), MIMIC_ANSWER_QUIT); /* input ended */
}

/* A person answers a continuous action with numbers, within the bounds. */
static void test_box_actions_are_typed(void **state) {
  (void)state;
  float a = 99;
  /* a word, a torque outside [-2, 2], then an answer */
  assert_int_equal(answer("Pendulum-v1", "push\n5\n-0.75\n", NULL, &a), MIMIC_ANSWER_ACTION);
  assert_true(a == -0.75f);
  float guess = 1.5f;
  assert_int_equal(answer("Pendulum-v1", "\ng\n", &guess, &a), MIMIC_ANSWER_ACTION);
  assert_true(a == 1.5f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keys),
      cmocka_unit_test(test_box_actions_are_typed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
