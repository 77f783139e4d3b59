/* LaneKeep: the documented dynamics, observation, options and the property
 * it exists for (docs/lanekeep.md).
 *
 * Checked: the observation is what the docs say it is; the road is seeded
 * (same seed, same road; other seeds, other roads) and smooth; state
 * round trips replay bit for bit; leaving the road terminates with reward
 * 0; the horizon truncates; levels and reset options work; and mistakes
 * compound: the expert without its cross-track term (what a clone that
 * never saw an offset corrected would do) drifts off the road on long
 * horizons, while it is fine on short ones. obs=camera gives a 24x32
 * picture whose road sits where the car's offset, heading and the road's
 * curve put it. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "mimic/env.h"

#define HALF_WIDTH 2.0
#define KAPPA_MAX 0.05

static mimic_env *make(const char *id, const char *opts) {
  mimic_env *env;
  if (mimic_env_make(id, opts, &env) != MIMIC_OK) fail_msg("%s", mimic_errmsg());
  return env;
}

static void step(mimic_env *env, float a, float *obs, double *r, bool *te, bool *tr) {
  if (mimic_env_step(env, &a, obs, r, te, tr) != MIMIC_OK) fail_msg("%s", mimic_errmsg());
}

static void test_spaces_and_options(void **st) {
  (void)st;
  mimic_env *env = make("LaneKeep-v0", NULL);
  assert_int_equal(mimic_env_obs_space(env)->dim, 6);
  assert_int_equal(mimic_env_action_space(env)->kind, MIMIC_SPACE_DISCRETE);
  assert_int_equal(mimic_env_action_space(env)->n, 7);
  assert_int_equal(mimic_env_max_steps(env), 400);
  mimic_env_free(env);
  env = make("LaneKeep-v0", "horizon=1000,levels=5");
  assert_int_equal(mimic_env_action_space(env)->n, 5);
  assert_int_equal(mimic_env_max_steps(env), 1000);
  mimic_env_free(env);
  env = make("LaneKeepContinuous-v0", "horizon=50");
  const mimic_space *as = mimic_env_action_space(env);
  assert_int_equal(as->kind, MIMIC_SPACE_BOX);
  assert_int_equal(as->dim, 1);
  assert_true(as->low[0] == -1 && as->high[0] == 1);
  /* the horizon truncates */
  float obs[6];
  double r;
  bool te = false, tr = false;
  assert_int_equal(mimic_env_reset(env, 3, obs), MIMIC_OK);
  int t = 0;
  while (!tr) {
    float a;
    assert_int_equal(mimic_env_expert_act(env, &a), MIMIC_OK);
    step(env, a, obs, &r, &te, &tr);
    assert_false(te);
    assert_true(r == 1.0);
    t++;
  }
  assert_int_equal(t, 50);
  mimic_env_free(env);
}

/* obs = [d / w, psi, kappa(s + {0, 5, 10, 20}) / kappa_max] */
static void test_observation_matches_state(void **st) {
  (void)st;
  mimic_env *env = make("LaneKeepContinuous-v0", NULL);
  float obs[6];
  assert_int_equal(mimic_env_reset_with(env, 11, "offset=0.5,heading=-0.1", obs), MIMIC_OK);
  double s[5];
  assert_int_equal(mimic_env_get_state(env, s, 5), 5);
  assert_true(s[0] == 0 && s[1] == 0.5 && s[2] == -0.1);
  assert_true(obs[0] == (float)(0.5 / HALF_WIDTH) && obs[1] == (float)-0.1);
  double r;
  bool te, tr;
  for (int t = 0; t < 30; t++) {
    float a;
    assert_int_equal(mimic_env_expert_act(env, &a), MIMIC_OK);
    step(env, a, obs, &r, &te, &tr);
    assert_false(te);
  }
  mimic_env_get_state(env, s, 5);
  assert_true(obs[0] == (float)(s[1] / HALF_WIDTH));
  assert_true(obs[1] == (float)s[2]);
  assert_true(s[0] > 25 && s[0] < 31); /* about 1 m per step at 10 m/s */
  for (int i = 2; i < 6; i++) assert_true(fabsf(obs[i]) <= 1);
  mimic_env_free(env);
}

/* The seed chooses the road: same seed, same episode; another, another road. */
static void test_seeded_roads(void **st) {
  (void)st;
  mimic_env *a = make("LaneKeep-v0", NULL), *b = make("LaneKeep-v0", NULL);
  float oa[6], ob[6];
  double ra, rb;
  bool ta, tb, ua, ub;
  assert_int_equal(mimic_env_reset(a, 5, oa), MIMIC_OK);
  assert_int_equal(mimic_env_reset(b, 5, ob), MIMIC_OK);
  for (int t = 0; t < 200; t++) {
    float act = (float)(t % 7);
    step(a, act, oa, &ra, &ta, &ua);
    step(b, act, ob, &rb, &tb, &ub);
    assert_memory_equal(oa, ob, sizeof oa);
  }
  /* different seeds: the curvature ahead differs somewhere in the first 100 m */
  int differ = 0;
  assert_int_equal(mimic_env_reset(a, 5, oa), MIMIC_OK);
  assert_int_equal(mimic_env_reset(b, 6, ob), MIMIC_OK);
  for (int t = 0; t < 100; t++) {
    step(a, 3, oa, &ra, &ta, &ua);
    step(b, 3, ob, &rb, &tb, &ub);
    differ += oa[2] != ob[2];
  }
  assert_true(differ > 50);
  mimic_env_free(a);
  mimic_env_free(b);
}

/* The curvature is smooth: consecutive look-ahead samples 1 m apart move
 * by little, and the road bends both ways over many seeds. */
static void test_road_is_smooth(void **st) {
  (void)st;
  mimic_env *env = make("LaneKeepContinuous-v0", "horizon=1000");
  double max_jump = 0, lo = 0, hi = 0;
  for (int seed = 0; seed < 20; seed++) {
    float obs[6], prev = 0;
    double r;
    bool te, tr = false;
    assert_int_equal(mimic_env_reset(env, seed, obs), MIMIC_OK);
    prev = obs[2];
    for (int t = 0; t < 300; t++) {
      float a;
      mimic_env_expert_act(env, &a);
      step(env, a, obs, &r, &te, &tr);
      max_jump = fmax(max_jump, fabs(obs[2] - prev));
      lo = fmin(lo, obs[2]);
      hi = fmax(hi, obs[2]);
      prev = obs[2];
    }
  }
  assert_true(max_jump < 0.1); /* in units of kappa_max, per ~1 m */
  assert_true(lo < -0.5 && hi > 0.5);
  mimic_env_free(env);
}

/* get_state / set_state round trip: replaying from a saved state gives
 * the same observations bit for bit (the road key travels in the state). */
static void test_state_round_trip(void **st) {
  (void)st;
  mimic_env *env = make("LaneKeep-v0", NULL), *other = make("LaneKeep-v0", NULL);
  float obs[6], o2[6], rec[40][6];
  double r, saved[5];
  bool te, tr;
  assert_int_equal(mimic_env_reset(env, 21, obs), MIMIC_OK);
  for (int t = 0; t < 60; t++) step(env, (float)((t / 5) % 7), obs, &r, &te, &tr);
  assert_int_equal(mimic_env_get_state(env, saved, 5), 5);
  for (int t = 0; t < 40; t++) {
    step(env, (float)(t % 7), obs, &r, &te, &tr);
    memcpy(rec[t], obs, sizeof obs);
  }
  assert_int_equal(mimic_env_reset(other, 999, o2), MIMIC_OK); /* another road */
  assert_int_equal(mimic_env_set_state(other, saved, 5), MIMIC_OK);
  for (int t = 0; t < 40; t++) {
    step(other, (float)(t % 7), o2, &r, &te, &tr);
    assert_memory_equal(o2, rec[t], sizeof o2);
  }
  /* three values keep the current road */
  assert_int_equal(mimic_env_set_state(other, saved, 3), MIMIC_OK);
  assert_int_equal(mimic_env_set_state(other, saved, 4), MIMIC_ERR_INVALID);
  double bad[5] = {0, 0, 0, 1.5, 2};
  assert_int_equal(mimic_env_set_state(other, bad, 5), MIMIC_ERR_RANGE);
  mimic_env_free(env);
  mimic_env_free(other);
}

/* Steering hard left leaves the road: terminated, reward 0 on that step. */
static void test_off_road_terminates(void **st) {
  (void)st;
  mimic_env *env = make("LaneKeep-v0", NULL);
  float obs[6];
  double r;
  bool te = false, tr = false;
  assert_int_equal(mimic_env_reset(env, 1, obs), MIMIC_OK);
  int t = 0;
  while (!te && !tr) {
    step(env, 6, obs, &r, &te, &tr);
    t++;
    if (!te) assert_true(r == 1.0);
  }
  assert_true(te);
  assert_true(r == 0.0);
  assert_true(fabsf(obs[0]) > 1);
  assert_true(t < 30);
  mimic_env_free(env);
}

/* Mistakes compound: the expert without its cross-track correction keeps
 * the road for 100 steps, but drifts off on most roads within 3000. */
static void test_mistakes_compound(void **st) {
  (void)st;
  mimic_env *env = make("LaneKeep-v0", "horizon=3000");
  int off_short = 0, off_long = 0;
  for (int seed = 0; seed < 30; seed++) {
    float obs[6];
    double r;
    bool te = false, tr = false;
    assert_int_equal(mimic_env_reset(env, seed, obs), MIMIC_OK);
    int t = 0;
    while (!te && !tr) {
      const double delta = atan(2.5 * obs[2] * KAPPA_MAX) - obs[1]; /* no atan(0.1 d) */
      const double u = fmax(-1, fmin(1, delta / 0.3));
      step(env, (float)lround(3 * u + 3), obs, &r, &te, &tr);
      t++;
    }
    off_short += te && t <= 100;
    off_long += te;
  }
  print_message("without cross-track correction: %d/30 off the road within 100 steps, %d/30 "
                "within 3000\n",
                off_short, off_long);
  assert_int_equal(off_short, 0);
  assert_true(off_long >= 20);
  mimic_env_free(env);
}

static void test_reset_options(void **st) {
  (void)st;
  mimic_env *env = make("LaneKeep-v0", NULL);
  float obs[6];
  assert_int_equal(mimic_env_reset_with(env, 0, "offset=3", obs), MIMIC_ERR_RANGE);
  assert_int_equal(mimic_env_reset_with(env, 0, "low=1", obs), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "low"));
  assert_int_equal(mimic_env_reset_with(env, 0, "offset=-1.5", obs), MIMIC_OK);
  assert_true(obs[0] == -0.75f);
  mimic_env_free(env);
}

/* lanes=2: the car sees the lane it is in; the oncoming lane pays 0; the
 * expert steers back from it, while the expert's own rule applied to what a
 * clone attends to (the lane-relative offset, not which lane it is) keeps
 * to the oncoming lane for the whole episode: it does not come back. */
static int lane_keeping_level(const float *obs, bool use_lane) {
  const double d = HALF_WIDTH * (obs[0] + (use_lane ? 2.0 * obs[6] : 0.0));
  const double delta = atan(2.5 * KAPPA_MAX * obs[2]) - obs[1] - atan(0.1 * d);
  const double a = fmax(-1.0, fmin(1.0, delta / 0.3));
  return (int)lround(3 * a + 3);
}

static void test_two_lanes(void **st) {
  (void)st;
  mimic_env *env = make("LaneKeep-v0", "lanes=2,horizon=400");
  assert_int_equal(mimic_env_obs_space(env)->dim, 7);
  float obs[7];
  assert_int_equal(mimic_env_reset(env, 5, obs), MIMIC_OK);
  assert_true(obs[0] == 0 && obs[6] == 0);
  for (int use_lane = 1; use_lane >= 0; use_lane--) {
    assert_int_equal(mimic_env_reset_with(env, 5, "offset=4", obs), MIMIC_OK);
    assert_true(obs[0] == 0 && obs[6] == 1); /* the oncoming lane's centre looks like home */
    int oncoming = 0, t = 0;
    double r;
    bool te = false, tr = false;
    while (!te && !tr) {
      float a;
      if (use_lane) {
        assert_int_equal(mimic_env_expert_act(env, &a), MIMIC_OK);
        assert_int_equal((int)a, lane_keeping_level(obs, true)); /* the documented expert */
      } else {
        a = (float)lane_keeping_level(obs, false);
      }
      step(env, a, obs, &r, &te, &tr);
      assert_true(r == (obs[6] == 0 ? 1.0 : 0.0));
      oncoming += obs[6] == 1;
      t++;
    }
    assert_false(te); /* neither leaves the road */
    assert_int_equal(t, 400);
    if (use_lane)
      assert_true(oncoming < 40 && obs[6] == 0); /* back within 4 s, and stays */
    else
      assert_int_equal(oncoming, 400); /* never back */
  }
  /* off the road on either side ends the episode */
  assert_int_equal(mimic_env_reset_with(env, 5, "offset=5.9,heading=0.3", obs), MIMIC_OK);
  double r;
  bool te = false, tr = false;
  for (int t = 0; t < 20 && !te; t++) step(env, 3, obs, &r, &te, &tr);
  assert_true(te && r == 0);
  mimic_env_free(env);
}

/* Mean column of road-or-edge pixels in row r (0 = far). */
static double road_centre(const float *img, int r) {
  double sum = 0, n = 0;
  for (int c = 0; c < 32; c++)
    if (img[r * 32 + c] > 0) sum += c, n++;
  assert_true(n > 0);
  return sum / n;
}

static void test_camera(void **st) {
  (void)st;
  mimic_env *env = make("LaneKeep-v0", "obs=camera");
  const mimic_space *os = mimic_env_obs_space(env);
  assert_int_equal(os->dim, 24 * 32);
  assert_int_equal(os->ndim, 3);
  assert_int_equal(os->shape[0], 1);
  assert_int_equal(os->shape[1], 24);
  assert_int_equal(os->shape[2], 32);
  float img[768], img2[768];
  /* on the centre line, aligned: near rows are symmetric about the middle */
  if (mimic_env_reset_with(env, 3, "offset=0,heading=0", img)) fail_msg("%s", mimic_errmsg());
  for (int k = 0; k < 768; k++) assert_true(img[k] == 0.0f || img[k] == 0.5f || img[k] == 1.0f);
  assert_true(fabs(road_centre(img, 23) - 15.5) < 0.6);
  int road = 0;
  for (int c = 0; c < 32; c++) road += img[23 * 32 + c] > 0;
  assert_true(road >= 8 && road <= 10); /* 4 m of road and edges at 0.5 m a column */
  /* offset to the left: the road moves right in the picture */
  if (mimic_env_reset_with(env, 3, "offset=1", img2)) fail_msg("%s", mimic_errmsg());
  assert_true(road_centre(img2, 23) > road_centre(img, 23) + 1.5);
  /* heading to the left: the far road moves further right than the near */
  if (mimic_env_reset_with(env, 3, "heading=0.2", img2)) fail_msg("%s", mimic_errmsg());
  assert_true(road_centre(img2, 0) > road_centre(img2, 23) + 4);
  /* same seed and actions, same pictures */
  mimic_env *env2 = make("LaneKeep-v0", "obs=camera");
  double r;
  bool te, tr;
  if (mimic_env_reset(env, 9, img) || mimic_env_reset(env2, 9, img2))
    fail_msg("%s", mimic_errmsg());
  for (int t = 0; t < 50; t++) {
    step(env, 4, img, &r, &te, &tr);
    step(env2, 4, img2, &r, &te, &tr);
    assert_memory_equal(img, img2, sizeof img);
  }
  mimic_env_free(env2);
  mimic_env_free(env);
  mimic_env *bad;
  assert_int_equal(mimic_env_make("LaneKeep-v0", "obs=lidar", &bad), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "camera"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spaces_and_options), cmocka_unit_test(test_observation_matches_state),
      cmocka_unit_test(test_seeded_roads),       cmocka_unit_test(test_road_is_smooth),
      cmocka_unit_test(test_state_round_trip),   cmocka_unit_test(test_off_road_terminates),
      cmocka_unit_test(test_mistakes_compound),  cmocka_unit_test(test_reset_options),
      cmocka_unit_test(test_two_lanes),          cmocka_unit_test(test_camera),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
