/* mimic_env_register and the class contract, seen from a class author.
 *
 * The built-in classic-control family registered itself before main, in
 * its fixed order. Bad classes and taken ids are refused with a sentence,
 * and nothing is added. A registered class is listed last and made by id;
 * what its init declares is checked at make (a bad space names itself), a
 * failing step reaches the caller with the id in front, the episode clock a
 * class sets lasts until the next reset, and registering from many threads
 * at once loses no class. */
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "mimic/env_class.h"

/* ---- a tiny class: a counter that ends at `user`'s value ---------------- */

typedef struct counter {
  int count, end;
  int declare; /* which broken spec init declares (0 = a good one) */
  float low[1], high[1];
} counter;

static mimic_status counter_init(mimic_env *env, void *impl, const void *user, mimic_kv *options,
                                 mimic_env_spec *spec) {
  counter *c = impl;
  c->end = *(const int *)user;
  c->low[0] = 0;
  c->high[0] = 1000;
  long long declare;
  MIMIC_TRY(mimic_kv_int(options, "declare", 0, 0, 6, &declare));
  c->declare = (int)declare;
  spec->obs_space = mimic_space_box(1, c->low, c->high);
  spec->action_space = mimic_space_discrete(2);
  switch (c->declare) {
  case 1: spec->obs_space = mimic_space_discrete(3); break;
  case 2: spec->obs_space.dim = 2; break; /* shape (1,) holds one value */
  case 3: spec->action_space = mimic_space_discrete(0); break;
  case 4: spec->max_steps = -1; break;
  case 5: spec->max_steps = 3; break;         /* a time limit of its own */
  case 6: spec->obs_space.high = NULL; break; /* unbounded above */
  }
  return MIMIC_OK;
}

static mimic_status counter_reset(void *impl, mimic_rng *rng, mimic_kv *options, float *obs) {
  counter *c = impl;
  c->count = 0;
  obs[0] = 0;
  return MIMIC_OK;
}

/* Action 1 counts; action 0 is a failure the environment reports. */
static mimic_status counter_step(void *impl, const float *action, float *obs, double *reward,
                                 bool *terminated) {
  counter *c = impl;
  if (action[0] == 0) return mimic_fail(MIMIC_ERR_EXTERNAL, "the counter refuses to stand still");
  obs[0] = (float)++c->count;
  *reward = 1;
  *terminated = c->count >= c->end;
  return MIMIC_OK;
}

static const int ten = 10;

static mimic_env_class counter_class(const char *id) {
  return (mimic_env_class){.id = id,
                           .summary = "counts to ten",
                           .impl_size = sizeof(counter),
                           .max_episode_steps = 20,
                           .reward_threshold = NAN,
                           .user = &ten,
                           .init = counter_init,
                           .reset = counter_reset,
                           .step = counter_step};
}

/* ---- tests ---------------------------------------------------------------- */

static void test_builtins_registered_in_order(void **state) {
  (void)state;
  const char *want[] = {"CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1",
                        "Pendulum-v1", "LaneKeep-v0",    "LaneKeepContinuous-v0"};
  assert_true(mimic_env_count() >= 7);
  for (int i = 0; i < 7; i++) assert_string_equal(mimic_env_info_at(i)->id, want[i]);
}

static void expect_refused(const mimic_env_class *cls, const char *needle) {
  int before = mimic_env_count();
  assert_int_equal(mimic_env_register(cls), MIMIC_ERR_INVALID);
  if (!strstr(mimic_errmsg(), needle))
    fail_msg("refusal '%s' does not mention '%s'", mimic_errmsg(), needle);
  print_message("  refused: %s\n", mimic_errmsg());
  assert_int_equal(mimic_env_count(), before);
}

static void test_bad_classes_refused(void **state) {
  (void)state;
  expect_refused(NULL, "no class");
  mimic_env_class c = counter_class(NULL);
  expect_refused(&c, "no id");
  c.id = "";
  expect_refused(&c, "no id");
  char long_id[MIMIC_ENV_ID_MAX + 1];
  memset(long_id, 'x', MIMIC_ENV_ID_MAX);
  long_id[MIMIC_ENV_ID_MAX] = 0;
  c.id = long_id;
  expect_refused(&c, "longer than 63 bytes");
  long_id[MIMIC_ENV_ID_MAX - 1] = 0; /* MIMIC_ENV_ID_MAX - 1 bytes: the longest allowed */
  c.init = NULL;
  expect_refused(&c, "no init");
  c = counter_class("Counter Space-v0");
  expect_refused(&c, "space");
  c = counter_class("Counter-v0");
  c.reset = NULL;
  expect_refused(&c, "no reset");
  c = counter_class("Counter-v0");
  c.step = NULL;
  expect_refused(&c, "no step");
  c = counter_class("Counter-v0");
  c.max_episode_steps = -5;
  expect_refused(&c, "max_episode_steps");
  c = counter_class("Counter-v0");
  c.success = (mimic_success_rule)99;
  expect_refused(&c, "success rule");
  c = counter_class("Counter-v0");
  c.success = MIMIC_SUCCESS_THRESHOLD;
  c.success_threshold = NAN;
  expect_refused(&c, "success_threshold");
  c = counter_class("CartPole-v1");
  expect_refused(&c, "taken");
  mimic_env *env;
  assert_int_equal(mimic_env_make("Counter-v0", NULL, &env), MIMIC_ERR_NOT_FOUND);
}

static mimic_env_class registered; /* outlives every use, as registration demands */

static void test_registered_class_is_made_by_id(void **state) {
  (void)state;
  registered = counter_class("Counter-v0");
  registered.success = MIMIC_SUCCESS_TERMINATED;
  int before = mimic_env_count();
  assert_int_equal(mimic_env_register(&registered), MIMIC_OK);
  assert_int_equal(mimic_env_count(), before + 1);
  const mimic_env_info *info = mimic_env_info_at(before);
  assert_string_equal(info->id, "Counter-v0");
  assert_string_equal(info->summary, "counts to ten");
  assert_string_equal(info->options, ""); /* no options_help: an empty line, not NULL */
  assert_int_equal(mimic_env_register(&registered), MIMIC_ERR_INVALID); /* once only */
  assert_non_null(strstr(mimic_errmsg(), "taken"));

  mimic_env *env;
  assert_int_equal(mimic_env_make("Counter-v0", NULL, &env), MIMIC_OK);
  assert_int_equal(mimic_env_max_steps(env), 20);
  assert_false(mimic_env_has_expert(env));
  assert_non_null(mimic_env_impl_of(env, counter_init));
  assert_null(mimic_env_impl_of(env, NULL));
  float obs[1], a = 1;
  double r, ret = 0;
  bool term = false, trunc = false;
  assert_int_equal(mimic_env_reset(env, 0, obs), MIMIC_OK);
  while (!term && !trunc) {
    assert_int_equal(mimic_env_step(env, &a, obs, &r, &term, &trunc), MIMIC_OK);
    ret += r;
  }
  assert_true(term);
  assert_float_equal(ret, 10, 0);
  assert_float_equal(mimic_env_success(env, ret, term, r), 1, 0);
  /* mimic checks actions before the class sees them */
  a = 2;
  assert_int_equal(mimic_env_step(env, &a, obs, &r, &term, &trunc), MIMIC_ERR_RANGE);
  /* a class's own failure comes back with the id in front */
  a = 0;
  assert_int_equal(mimic_env_step(env, &a, obs, &r, &term, &trunc), MIMIC_ERR_EXTERNAL);
  assert_non_null(strstr(mimic_errmsg(), "Counter-v0: the counter refuses"));
  /* optional functions the class left out are errors, not crashes */
  char text[64];
  assert_int_equal(mimic_env_render_text(env, text, sizeof text), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_env_expert_act(env, &a), MIMIC_ERR_NOT_FOUND);
  double s[4];
  assert_int_equal(mimic_env_get_state(env, s, 4), 0);
  assert_int_equal(mimic_env_set_state(env, s, 1), MIMIC_ERR_INVALID);
  mimic_env_free(env);

  /* options: generic (max_steps) and the class's own; unknown ones refused */
  assert_int_equal(mimic_env_make("Counter-v0", "max_steps=4", &env), MIMIC_OK);
  assert_int_equal(mimic_env_max_steps(env), 4);
  mimic_env_free(env);
  assert_int_equal(mimic_env_make("Counter-v0", "declare=5", &env), MIMIC_OK);
  assert_int_equal(mimic_env_max_steps(env), 3);
  mimic_env_free(env);
  assert_int_equal(mimic_env_make("Counter-v0", "declare=6", &env), MIMIC_OK);
  const mimic_space *os = mimic_env_obs_space(env);
  assert_true(os->low[0] == 0 && os->high[0] == INFINITY); /* NULL shows as unbounded */
  mimic_env_free(env);
  assert_int_equal(mimic_env_make("Counter-v0", "colour=red", &env), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "colour"));

  /* the vector env reports a failing copy by id and index */
  mimic_vecenv *v;
  assert_int_equal(mimic_vecenv_make("Counter-v0", NULL, 2, &v), MIMIC_OK);
  float vobs[2], acts[2] = {1, 0};
  double rew[2];
  bool te[2], tr[2];
  assert_int_equal(mimic_vecenv_reset(v, 0, vobs), MIMIC_OK);
  assert_int_equal(mimic_vecenv_step(v, acts, vobs, rew, te, tr, NULL), MIMIC_ERR_EXTERNAL);
  assert_non_null(strstr(mimic_errmsg(), "Counter-v0 copy 1"));
  mimic_vecenv_free(v);
}

static void expect_bad_spec(const char *opts, const char *needle) {
  mimic_env *env = (mimic_env *)1;
  assert_int_equal(mimic_env_make("Counter-v0", opts, &env), MIMIC_ERR_INVALID);
  assert_null(env);
  if (!strstr(mimic_errmsg(), needle) || !strstr(mimic_errmsg(), "Counter-v0"))
    fail_msg("'%s' does not name the env and '%s'", mimic_errmsg(), needle);
  print_message("  refused: %s\n", mimic_errmsg());
}

static void test_bad_spec_refused_at_make(void **state) {
  (void)state;
  expect_bad_spec("declare=1", "Discrete observation");
  expect_bad_spec("declare=2", "dim 2");
  expect_bad_spec("declare=3", "Discrete(0)");
  expect_bad_spec("declare=4", "time limit");
}

/* A class whose state carries the clock sets it, a family stepping its
 * environments itself counts on it; reset gives back the limit the
 * environment was made with. */
static void test_clock(void **state) {
  (void)state;
  mimic_env *env;
  assert_int_equal(mimic_env_make("Counter-v0", NULL, &env), MIMIC_OK);
  float obs[1], a = 1;
  double r;
  bool te, tr;
  assert_int_equal(mimic_env_reset(env, 0, obs), MIMIC_OK);
  assert_int_equal(mimic_env_set_clock(env, 4, 5), MIMIC_OK);
  assert_int_equal(mimic_env_step(env, &a, obs, &r, &te, &tr), MIMIC_OK);
  assert_int_equal(mimic_env_elapsed(env), 5);
  assert_true(tr);
  assert_int_equal(mimic_env_set_clock(env, -1, 5), MIMIC_ERR_RANGE);
  /* a family's own step API counts its steps on the same clock */
  assert_int_equal(mimic_env_set_clock(env, 1, 3), MIMIC_OK);
  assert_false(mimic_env_count_step(env));
  assert_true(mimic_env_count_step(env));
  assert_int_equal(mimic_env_elapsed(env), 3);
  assert_int_equal(mimic_env_reset(env, MIMIC_SEED_NONE, obs), MIMIC_OK);
  assert_int_equal(mimic_env_elapsed(env), 0);
  assert_int_equal(mimic_env_max_steps(env), 20);
  mimic_env_free(env);
}

/* A class wrapping another environment learns how each reset was seeded. */
static void test_reset_seed(void **state) {
  (void)state;
  mimic_env *env;
  assert_int_equal(mimic_env_make("Counter-v0", NULL, &env), MIMIC_OK);
  float obs[1];
  assert_int_equal(mimic_env_reset_seed(env), MIMIC_SEED_NONE);
  assert_int_equal(mimic_env_reset(env, 42, obs), MIMIC_OK);
  assert_int_equal(mimic_env_reset_seed(env), 42);
  assert_int_equal(mimic_env_reset(env, MIMIC_SEED_NONE, obs), MIMIC_OK);
  assert_int_equal(mimic_env_reset_seed(env), MIMIC_SEED_NONE);
  assert_int_equal(mimic_env_reset_with(env, 7, NULL, obs), MIMIC_OK);
  assert_int_equal(mimic_env_reset_seed(env), 7);
  mimic_env_free(env);
}

enum { N_THREADS = 4, PER_THREAD = 50 };
static mimic_env_class many[N_THREADS][PER_THREAD];
static char many_ids[N_THREADS][PER_THREAD][32];

static void *register_some(void *arg) {
  int t = (int)(intptr_t)arg;
  for (int i = 0; i < PER_THREAD; i++)
    if (mimic_env_register(&many[t][i]) != MIMIC_OK) return (void *)1;
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  int before = mimic_env_count();
  for (int t = 0; t < N_THREADS; t++)
    for (int i = 0; i < PER_THREAD; i++) {
      snprintf(many_ids[t][i], sizeof many_ids[t][i], "Counter-t%d-%d-v0", t, i);
      many[t][i] = counter_class(many_ids[t][i]);
    }
  pthread_t th[N_THREADS];
  for (int t = 0; t < N_THREADS; t++)
    assert_int_equal(pthread_create(&th[t], NULL, register_some, (void *)(intptr_t)t), 0);
  for (int t = 0; t < N_THREADS; t++) {
    void *ret;
    pthread_join(th[t], &ret);
    assert_null(ret);
  }
  assert_int_equal(mimic_env_count(), before + N_THREADS * PER_THREAD);
  /* each thread's classes keep their order among themselves */
  for (int t = 0; t < N_THREADS; t++) {
    int last = -1;
    for (int i = before; i < mimic_env_count(); i++) {
      int tt, k;
      if (sscanf(mimic_env_info_at(i)->id, "Counter-t%d-%d-v0", &tt, &k) == 2 && tt == t) {
        assert_true(k == last + 1);
        last = k;
      }
    }
    assert_int_equal(last, PER_THREAD - 1);
  }
  mimic_env *env;
  assert_int_equal(mimic_env_make("Counter-t3-49-v0", NULL, &env), MIMIC_OK);
  mimic_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_builtins_registered_in_order),
      cmocka_unit_test(test_bad_classes_refused),
      cmocka_unit_test(test_registered_class_is_made_by_id),
      cmocka_unit_test(test_bad_spec_refused_at_make),
      cmocka_unit_test(test_clock),
      cmocka_unit_test(test_reset_seed),
      cmocka_unit_test(test_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
