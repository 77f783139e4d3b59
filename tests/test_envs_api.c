/* The environment interface: registry, spaces, bad input and rendering.
 *
 * Spaces are compared with Gymnasium's (<testdata>/gymnasium/constants.json:
 * float32 bounds written as the doubles they widen to). Bad input must be
 * a clear error: unknown ids and options, out-of-range option values, NaN,
 * fractional and out-of-range actions, a wrong action length, bad reset
 * options and bad states. A saved state (mimic_env_save_state) resumes
 * exactly. Every environment renders text and an RGB frame
 * that changes when the state changes, and writes a PNG. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/env.h"

static const char *const control_ids[] = {
    "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1",
    "Pendulum-v1", "LaneKeep-v0",    "LaneKeepContinuous-v0"};
enum { N_IDS = sizeof control_ids / sizeof control_ids[0] };

static mimic_env *make(const char *id, const char *opts) {
  mimic_env *env;
  if (mimic_env_make(id, opts, &env) != MIMIC_OK) fail_msg("%s", mimic_errmsg());
  return env;
}

static double bound(const json_t *v) {
  if (json_is_string(v)) return json_string_value(v)[0] == '-' ? -INFINITY : INFINITY;
  return json_number_value(v);
}

static void check_space(const char *id, const char *what, const mimic_space *sp,
                        const json_t *ref) {
  const char *type = json_string_value(json_object_get(ref, "type"));
  if (strcmp(type, "Discrete") == 0) {
    assert_int_equal(sp->kind, MIMIC_SPACE_DISCRETE);
    assert_int_equal(sp->n, (int)tu_num(ref, "n"));
    return;
  }
  assert_int_equal(sp->kind, MIMIC_SPACE_BOX);
  const json_t *shape = json_object_get(ref, "shape"), *lo = json_object_get(ref, "low"),
               *hi = json_object_get(ref, "high");
  assert_int_equal(sp->ndim, 1);
  assert_int_equal(sp->dim, (int)json_integer_value(json_array_get(shape, 0)));
  for (int i = 0; i < sp->dim; i++) {
    if ((double)sp->low[i] != bound(json_array_get(lo, (size_t)i)) ||
        (double)sp->high[i] != bound(json_array_get(hi, (size_t)i)))
      fail_msg("%s %s bound %d: [%.9g, %.9g]", id, what, i, (double)sp->low[i],
               (double)sp->high[i]);
  }
}

static void test_spaces_match_gymnasium(void **st) {
  (void)st;
  json_t *c = tu_load_json("gymnasium/constants.json");
  const char *id;
  json_t *ref;
  int n = 0;
  json_object_foreach(json_object_get(c, "envs"), id, ref) {
    mimic_env *env = make(id, NULL);
    check_space(id, "observation", mimic_env_obs_space(env),
                json_object_get(ref, "observation_space"));
    check_space(id, "action", mimic_env_action_space(env), json_object_get(ref, "action_space"));
    assert_int_equal(mimic_env_max_steps(env), (int)tu_num(ref, "max_episode_steps"));
    mimic_env_free(env);
    n++;
  }
  assert_true(n >= 1); /* whichever environments the recording holds */
  json_decref(c);
}

/* A space's JSON has no size limit: an RGB view's 9408 bounds (~60 KB) come
 * out whole, parse back to its shape, and a buffer one byte short is refused. */
static void test_space_json_any_size(void **st) {
  (void)st;
  enum { C = 3, H = 56, W = 56 };
  static float lo[C * H * W], hi[C * H * W];
  for (int i = 0; i < C * H * W; i++) hi[i] = 255.0f;
  mimic_space box = mimic_space_box(C * H * W, lo, hi);
  box.ndim = 3;
  box.shape[0] = C, box.shape[1] = H, box.shape[2] = W;
  const mimic_space *sp = &box;
  char *text = mimic_space_json(sp);
  assert_non_null(text);
  size_t len = strlen(text);
  assert_true(len > 16384); /* the stack buffers the callers had */
  json_error_t err;
  json_t *j = json_loads(text, 0, &err);
  assert_non_null(j);
  const json_t *shape = json_object_get(j, "shape"), *low = json_object_get(j, "low");
  assert_int_equal(json_array_size(shape), 3);
  for (int d = 0; d < 3; d++)
    assert_int_equal(json_integer_value(json_array_get(shape, (size_t)d)), sp->shape[d]);
  assert_int_equal(json_array_size(json_array_get(json_array_get(low, 2), 55)), sp->shape[2]);
  char *buf = malloc(len + 1);
  assert_int_equal(mimic_space_to_json(sp, buf, len + 1), MIMIC_OK);
  assert_string_equal(buf, text);
  assert_int_not_equal(mimic_space_to_json(sp, buf, len), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "needs"));
  free(buf);
  json_decref(j);
  free(text);
}

static void test_registry_lists_ids(void **st) {
  (void)st;
  for (int k = 0; k < N_IDS; k++) {
    int found = 0;
    for (int i = 0; i < mimic_env_count(); i++) {
      const mimic_env_info *info = mimic_env_info_at(i);
      if (strcmp(info->id, control_ids[k]) == 0) {
        found = 1;
        assert_true(strlen(info->summary) > 10);
        assert_non_null(info->options);
      }
    }
    if (!found) fail_msg("%s is not registered", control_ids[k]);
    mimic_env *env = make(control_ids[k], NULL);
    assert_true(mimic_env_has_expert(env));
    assert_string_equal(mimic_env_id(env), control_ids[k]);
    mimic_env_free(env);
  }
  assert_null(mimic_env_info_at(-1));
  assert_null(mimic_env_info_at(mimic_env_count()));
}

static void expect_make_error(const char *id, const char *opts, mimic_status want,
                              const char *needle) {
  mimic_env *env = (mimic_env *)1;
  mimic_status st = mimic_env_make(id, opts, &env);
  if (st != want)
    fail_msg("make(%s, %s): status %d, want %d (%s)", id, opts, st, want, mimic_errmsg());
  assert_null(env);
  if (!strstr(mimic_errmsg(), needle))
    fail_msg("make(%s, %s): message '%s' does not mention '%s'", id, opts, mimic_errmsg(), needle);
}

static void test_bad_make(void **st) {
  (void)st;
  expect_make_error("CartPole-v2", NULL, MIMIC_ERR_NOT_FOUND, "CartPole-v2");
  expect_make_error(NULL, NULL, MIMIC_ERR_INVALID, "id");
  expect_make_error("CartPole-v1", "color=red", MIMIC_ERR_INVALID, "color");
  expect_make_error("CartPole-v1", "max_steps", MIMIC_ERR_INVALID, "max_steps");
  expect_make_error("Pendulum-v1", "numpy=3", MIMIC_ERR_RANGE, "numpy");
  expect_make_error("MountainCarContinuous-v0", "numpy=two", MIMIC_ERR_INVALID, "numpy");
  expect_make_error("LaneKeep-v0", "horizon=0", MIMIC_ERR_RANGE, "horizon");
  expect_make_error("LaneKeep-v0", "horizon=12x", MIMIC_ERR_INVALID, "horizon");
  expect_make_error("LaneKeep-v0", "levels=8", MIMIC_ERR_INVALID, "levels");
  expect_make_error("LaneKeepContinuous-v0", "levels=7", MIMIC_ERR_INVALID, "levels");
  expect_make_error("Acrobot-v1", "numpy=1", MIMIC_ERR_INVALID, "numpy");
}

static void expect_step_error(mimic_env *env, const float *a, const char *needle) {
  float obs[8];
  double r;
  bool te, tr;
  int elapsed = mimic_env_elapsed(env);
  if (mimic_env_step(env, a, obs, &r, &te, &tr) != MIMIC_ERR_RANGE)
    fail_msg("%s: action %g accepted", mimic_env_id(env), (double)a[0]);
  if (!strstr(mimic_errmsg(), needle))
    fail_msg("%s: message '%s' does not mention '%s'", mimic_env_id(env), mimic_errmsg(), needle);
  assert_int_equal(mimic_env_elapsed(env), elapsed); /* nothing happened */
}

static void test_bad_actions(void **st) {
  (void)st;
  float obs[8];
  mimic_env *cp = make("CartPole-v1", NULL);
  assert_int_equal(mimic_env_reset(cp, 0, obs), MIMIC_OK);
  expect_step_error(cp, (float[]){NAN}, "NaN");
  expect_step_error(cp, (float[]){2}, "Discrete(2)");
  expect_step_error(cp, (float[]){-1}, "Discrete(2)");
  expect_step_error(cp, (float[]){0.5f}, "integer");
  expect_step_error(cp, (float[]){INFINITY}, "Discrete(2)");
  mimic_env *pd = make("Pendulum-v1", NULL);
  assert_int_equal(mimic_env_reset(pd, 0, obs), MIMIC_OK);
  expect_step_error(pd, (float[]){NAN}, "NaN");
  /* out-of-range Box actions are clipped, as Gymnasium clips them */
  double r;
  bool te, tr;
  assert_int_equal(mimic_env_step(pd, (float[]){25.0f}, obs, &r, &te, &tr), MIMIC_OK);
  /* the action's length is checked where it is known */
  const float two[2] = {0, 1};
  assert_int_equal(mimic_space_check(mimic_env_action_space(pd), two, 2), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "2 values"));
  assert_int_equal(mimic_space_check(mimic_env_action_space(cp), two, 2), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_space_check(mimic_env_action_space(cp), two, 1), MIMIC_OK);
  assert_int_equal(mimic_space_check(mimic_env_action_space(cp), (float[]){NAN}, 1),
                   MIMIC_ERR_RANGE);
  assert_int_equal(mimic_space_check(mimic_env_action_space(pd), (float[]){3}, 1), MIMIC_OK);
  mimic_env_free(cp);
  mimic_env_free(pd);
}

static void test_bad_reset_options_and_states(void **st) {
  (void)st;
  float obs[8];
  mimic_env *cp = make("CartPole-v1", NULL);
  assert_int_equal(mimic_env_reset_with(cp, 0, "low=0.1,high=-0.1", obs), MIMIC_ERR_RANGE);
  assert_non_null(strstr(mimic_errmsg(), "low"));
  assert_int_equal(mimic_env_reset_with(cp, 0, "x_init=1", obs), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "x_init"));
  assert_int_equal(mimic_env_reset_with(cp, 0, "low=abc", obs), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_env_reset_with(cp, 0, "low=-0.01,high=0.01", obs), MIMIC_OK);
  for (int i = 0; i < 4; i++) assert_true(fabsf(obs[i]) <= 0.01f);
  const double nan4[4] = {0, NAN, 0, 0};
  assert_int_equal(mimic_env_set_state(cp, nan4, 4), MIMIC_ERR_RANGE);
  assert_int_equal(mimic_env_set_state(cp, nan4, 3), MIMIC_ERR_INVALID);
  mimic_env *pd = make("Pendulum-v1", NULL);
  assert_int_equal(mimic_env_reset_with(pd, 0, "low=1", obs), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_env_reset_with(pd, 0, "x_init=0,y_init=0", obs), MIMIC_OK);
  assert_true(obs[0] == 1 && obs[1] == 0 && obs[2] == 0);
  mimic_env *mcc = make("MountainCarContinuous-v0", NULL);
  const double not_f32[3] = {0.1, 0, 1}; /* 0.1 is no float32 */
  assert_int_equal(mimic_env_set_state(mcc, not_f32, 3), MIMIC_ERR_RANGE);
  mimic_env_free(cp);
  mimic_env_free(pd);
  mimic_env_free(mcc);
}

/* Same seed, same start; MIMIC_SEED_NONE continues the stream. */
static void test_seeding(void **st) {
  (void)st;
  for (int k = 0; k < N_IDS; k++) {
    mimic_env *env = make(control_ids[k], NULL);
    float a[8], b[8], c[8];
    const int d = mimic_env_obs_space(env)->dim;
    double sa[8] = {0}, sb[8] = {0}, sc[8] = {0};
    assert_int_equal(mimic_env_reset(env, 42, a), MIMIC_OK);
    mimic_env_get_state(env, sa, 8);
    assert_int_equal(mimic_env_reset(env, MIMIC_SEED_NONE, c), MIMIC_OK);
    mimic_env_get_state(env, sc, 8);
    assert_int_equal(mimic_env_reset(env, 42, b), MIMIC_OK);
    mimic_env_get_state(env, sb, 8);
    assert_memory_equal(a, b, sizeof(float) * (size_t)d);
    assert_memory_equal(sa, sb, sizeof(double) * 3);
    assert_true(memcmp(sa, sc, sizeof(double) * 2) != 0 ||
                memcmp(sa + 2, sc + 2, sizeof(double) * 3) != 0);
    mimic_env_free(env);
  }
}

static void test_render(void **st) {
  (void)st;
  for (int k = 0; k < N_IDS; k++) {
    mimic_env *env = make(control_ids[k], NULL);
    float obs[8], a[1];
    double r;
    bool te, tr;
    assert_int_equal(mimic_env_reset(env, 1, obs), MIMIC_OK);
    char text[4096];
    assert_int_equal(mimic_env_render_text(env, text, sizeof text), MIMIC_OK);
    assert_true(strlen(text) > 20);
    assert_true(strchr(text, '\n') != NULL);
    char tiny[8];
    assert_int_equal(mimic_env_render_text(env, tiny, sizeof tiny), MIMIC_ERR_INVALID);
    int w = 0, h = 0;
    assert_int_equal(mimic_env_render_rgb(env, NULL, &w, &h), MIMIC_OK);
    assert_true(w >= 200 && h >= 200);
    uint8_t *f1 = malloc((size_t)w * (size_t)h * 3), *f2 = malloc((size_t)w * (size_t)h * 3);
    int w1 = w, h1 = h;
    assert_int_equal(mimic_env_render_rgb(env, f1, &w1, &h1), MIMIC_OK);
    int ws = w - 1, hs = h;
    assert_int_equal(mimic_env_render_rgb(env, f2, &ws, &hs), MIMIC_ERR_INVALID);
    /* a picture, not a blank: more than one colour */
    size_t distinct = 0;
    for (size_t i = 3; i < (size_t)w * (size_t)h * 3; i += 3)
      distinct += memcmp(f1, f1 + i, 3) != 0;
    assert_true(distinct > 100);
    for (int t = 0; t < 15; t++) {
      mimic_env_expert_act(env, a);
      mimic_env_step(env, a, obs, &r, &te, &tr);
    }
    assert_int_equal(mimic_env_render_rgb(env, f2, &w1, &h1), MIMIC_OK);
    if (memcmp(f1, f2, (size_t)w * (size_t)h * 3) == 0)
      fail_msg("%s: frame did not change", control_ids[k]);
    char name[64];
    snprintf(name, sizeof name, "%s.png", control_ids[k]);
    char *path = tu_tmp_path(name);
    assert_int_equal(mimic_env_render_png(env, path), MIMIC_OK);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    unsigned char sig[8];
    assert_int_equal(fread(sig, 1, 8, fp), 8);
    fclose(fp);
    assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
    free(path);
    free(f1);
    free(f2);
    mimic_env_free(env);
  }
}

/* Steps env n times with actions drawn from rng (resetting ended episodes
 * by continuing the generator); writes the observations and rewards. */
static void run_on(mimic_env *env, mimic_rng *rng, int n, float *obs, double *rew) {
  const mimic_space *as = mimic_env_action_space(env);
  int d = mimic_env_obs_space(env)->dim;
  for (int t = 0; t < n; t++) {
    float a[4];
    bool te, tr;
    mimic_space_sample(as, rng, a);
    assert_int_equal(mimic_env_step(env, a, obs + (size_t)t * d, &rew[t], &te, &tr), MIMIC_OK);
    if (te || tr) assert_int_equal(mimic_env_reset(env, MIMIC_SEED_NONE, obs + (size_t)t * d), 0);
  }
}

/* A saved state resumes exactly: the same actions from it give the same
 * observations and rewards, bit for bit, across episode ends (the
 * generator and the clock are part of it); damaged bytes and another
 * environment's state are refused. */
static void test_save_state(void **st) {
  (void)st;
  enum { T = 600 };
  float *oa = malloc(T * 8 * sizeof(float)), *ob = malloc(T * 8 * sizeof(float)), o[8];
  double ra[T], rb[T];
  for (int k = 0; k < N_IDS; k++) {
    mimic_env *a = make(control_ids[k], NULL), *b = make(control_ids[k], NULL);
    mimic_rng rng, r1, r2;
    mimic_rng_seed(&rng, 5);
    assert_int_equal(mimic_env_reset(a, 3, o), MIMIC_OK);
    run_on(a, &rng, 17, oa, ra);
    size_t size = mimic_env_saved_size(a);
    assert_true(size > 0);
    double *buf = malloc(size);
    assert_int_equal(mimic_env_save_state(a, buf, size), MIMIC_OK);
    r1 = rng, r2 = rng;
    run_on(a, &r1, T, oa, ra);
    assert_int_equal(mimic_env_reset(b, 99, o), MIMIC_OK);
    run_on(b, &rng, 5, ob, rb);
    if (mimic_env_load_state(b, buf, size)) fail_msg("%s: %s", control_ids[k], mimic_errmsg());
    run_on(b, &r2, T, ob, rb);
    int d = mimic_env_obs_space(a)->dim;
    if (memcmp(oa, ob, (size_t)T * d * sizeof(float)) || memcmp(ra, rb, sizeof ra))
      fail_msg("%s: the resumed environment went another way", control_ids[k]);
    assert_int_equal(mimic_env_load_state(b, buf, size - 8), MIMIC_ERR_FORMAT);
    ((unsigned char *)buf)[0] ^= 1;
    assert_int_equal(mimic_env_load_state(b, buf, size), MIMIC_ERR_FORMAT);
    free(buf);
    mimic_env_free(a);
    mimic_env_free(b);
  }
  /* CartPole's five values are not Pendulum's two */
  mimic_env *cp = make("CartPole-v1", NULL), *pd = make("Pendulum-v1", NULL);
  assert_int_equal(mimic_env_reset(cp, 1, o), MIMIC_OK);
  size_t size = mimic_env_saved_size(cp);
  double *buf = malloc(size);
  assert_int_equal(mimic_env_save_state(cp, buf, size), MIMIC_OK);
  assert_int_equal(mimic_env_load_state(pd, buf, size), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "has 5 values, this environment's has 2"));
  free(buf);
  mimic_env_free(cp);
  mimic_env_free(pd);
  free(oa);
  free(ob);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spaces_match_gymnasium),
      cmocka_unit_test(test_space_json_any_size),
      cmocka_unit_test(test_registry_lists_ids),
      cmocka_unit_test(test_bad_make),
      cmocka_unit_test(test_bad_actions),
      cmocka_unit_test(test_bad_reset_options_and_states),
      cmocka_unit_test(test_seeding),
      cmocka_unit_test(test_render),
      cmocka_unit_test(test_save_state),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
