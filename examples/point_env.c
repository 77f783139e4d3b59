/* PointMass-v0: a point mass in N dimensions that must reach a target.
 *
 * A complete mimic environment in one file, using only public headers, to
 * copy and change (docs/write-an-environment.md explains every part).
 *
 *   state        position p, velocity v and target g, N values each
 *   observation  g - p, then v: 2N floats (unbounded Box)
 *   action       an acceleration in [-1, 1]^N (Box; clipped here, since
 *                mimic only checks that it holds no NaN)
 *   dynamics     v += dt a, then p += dt v, with dt = 0.1
 *   reward       -|g - p| after the step: reaching the target sooner pays
 *   terminated   |g - p| < 0.05 (the target is reached)
 *   truncated    after 100 steps (mimic counts them: max_episode_steps)
 *   option       dims=N, 1 to 64 (default 2)
 *   expert       a = clip(3 (g - p) - 3 v): a saturated PD controller
 *
 * The state lives in fixed arrays sized for the largest N, so the class
 * allocates nothing at all: its state is one zeroed block that mimic
 * allocates at make (impl_size) and frees with the environment. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "point_env.h"

#define MAX_DIMS 64
#define DT 0.1
#define RADIUS 0.05
#define GAIN 3.0 /* the expert's proportional and derivative gains */

typedef struct point_env {
  int dims;
  double pos[MAX_DIMS], vel[MAX_DIMS], target[MAX_DIMS];
  float act_low[MAX_DIMS], act_high[MAX_DIMS]; /* the action space's bounds point here */
} point_env;

static double clip1(double x) { return x < -1 ? -1 : x > 1 ? 1 : x; }

static double distance(const point_env *e) {
  double d2 = 0;
  for (int i = 0; i < e->dims; i++) d2 += (e->target[i] - e->pos[i]) * (e->target[i] - e->pos[i]);
  return sqrt(d2);
}

static void observe(const point_env *e, float *obs) {
  for (int i = 0; i < e->dims; i++) {
    obs[i] = (float)(e->target[i] - e->pos[i]);
    obs[e->dims + i] = (float)e->vel[i];
  }
}

/* Reads the options and declares the spaces. Runs once, at make. */
static mimic_status point_init(mimic_env *env, void *impl, const void *user, mimic_kv *options,
                               mimic_env_spec *spec) {
  (void)env;  /* kept by classes that later ask mimic_env_* about their env */
  (void)user; /* the class's user pointer: one id here, no per-id constants */
  point_env *e = impl;
  long long dims;
  MIMIC_TRY(mimic_kv_int(options, "dims", 2, 1, MAX_DIMS, &dims));
  e->dims = (int)dims;
  for (int i = 0; i < e->dims; i++) {
    e->act_low[i] = -1;
    e->act_high[i] = 1;
  }
  spec->obs_space = mimic_space_box(2 * e->dims, NULL, NULL); /* NULL: unbounded */
  spec->action_space = mimic_space_box(e->dims, e->act_low, e->act_high);
  return MIMIC_OK;
}

/* Every random number comes from rng, which mimic reseeds when the caller
 * passes a seed: the same seed gives the same episode. */
static mimic_status point_reset(void *impl, mimic_rng *rng, mimic_kv *options, float *obs) {
  (void)options; /* reads no reset options, so mimic refuses any given */
  point_env *e = impl;
  do {
    for (int i = 0; i < e->dims; i++) {
      e->pos[i] = mimic_rng_uniform(rng, -1, 1);
      e->target[i] = mimic_rng_uniform(rng, -1, 1);
      e->vel[i] = 0;
    }
  } while (distance(e) < 2 * RADIUS); /* never start on the target */
  observe(e, obs);
  return MIMIC_OK;
}

static mimic_status point_step(void *impl, const float *action, float *obs, double *reward,
                               bool *terminated) {
  point_env *e = impl;
  for (int i = 0; i < e->dims; i++) {
    e->vel[i] += DT * clip1(action[i]);
    e->pos[i] += DT * e->vel[i];
  }
  const double d = distance(e);
  *reward = -d;
  *terminated = d < RADIUS;
  observe(e, obs);
  return MIMIC_OK;
}

static mimic_status point_expert(void *impl, float *action) {
  const point_env *e = impl;
  for (int i = 0; i < e->dims; i++)
    action[i] = (float)clip1(GAIN * (e->target[i] - e->pos[i]) - GAIN * e->vel[i]);
  return MIMIC_OK;
}

/* The state is p, v, g: 3N doubles, written only when cap has room for
 * them all (ask with cap 0 for the size). */
static int point_get_state(const void *impl, double *state, int cap) {
  const point_env *e = impl;
  const int n = 3 * e->dims;
  if (cap < n) return n;
  for (int i = 0; i < e->dims; i++) {
    state[i] = e->pos[i];
    state[e->dims + i] = e->vel[i];
    state[2 * e->dims + i] = e->target[i];
  }
  return n;
}

static mimic_status point_set_state(void *impl, const double *state, int n) {
  point_env *e = impl;
  if (n != 3 * e->dims)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "a PointMass state with dims=%d has %d values (position, velocity, "
                      "target), got %d",
                      e->dims, 3 * e->dims, n);
  for (int i = 0; i < n; i++)
    if (!isfinite(state[i]))
      return mimic_fail(MIMIC_ERR_RANGE, "PointMass state value %d is not finite", i);
  for (int i = 0; i < e->dims; i++) {
    e->pos[i] = state[i];
    e->vel[i] = state[e->dims + i];
    e->target[i] = state[2 * e->dims + i];
  }
  return MIMIC_OK;
}

/* Appends printf-style text to buf at *len; fails when buf is too small. */
static mimic_status put(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(buf + *len, *len < cap ? cap - *len : 0, fmt, ap);
  va_end(ap);
  if (k < 0 || *len + (size_t)k >= cap)
    return mimic_fail(MIMIC_ERR_INVALID, "the PointMass picture needs more than %zu bytes", cap);
  *len += (size_t)k;
  return MIMIC_OK;
}

/* Which of n cells coordinate x falls in, the picture spanning [-1.5, 1.5]. */
static int cell(double x, int n) {
  int c = (int)floor((x + 1.5) / 3.0 * n);
  return c < 0 ? 0 : c >= n ? n - 1 : c;
}

/* A line of numbers, then the first two coordinates as a picture (y up):
 * 'o' the point, 'X' the target, '*' both; one row when dims=1. */
static mimic_status point_render_text(void *impl, char *buf, size_t cap) {
  const point_env *e = impl;
  enum { W = 31, H = 11 };
  double speed2 = 0;
  for (int i = 0; i < e->dims; i++) speed2 += e->vel[i] * e->vel[i];
  size_t len = 0;
  MIMIC_TRY(put(buf, cap, &len, "PointMass, dims=%d: distance %.3f, speed %.3f\n", e->dims,
                distance(e), sqrt(speed2)));
  const int rows = e->dims > 1 ? H : 1;
  const int prow = e->dims > 1 ? cell(-e->pos[1], H) : 0;
  const int grow = e->dims > 1 ? cell(-e->target[1], H) : 0;
  const int pcol = cell(e->pos[0], W), gcol = cell(e->target[0], W);
  for (int r = 0; r < rows; r++) {
    char line[W + 1];
    for (int c = 0; c < W; c++) {
      const bool p = r == prow && c == pcol, g = r == grow && c == gcol;
      line[c] = p && g ? '*' : p ? 'o' : g ? 'X' : '.';
    }
    line[W] = 0;
    MIMIC_TRY(put(buf, cap, &len, "%s\n", line));
  }
  return MIMIC_OK;
}

const mimic_env_class point_env_class = {
    .id = "PointMass-v0",
    .summary = "a point mass in N dimensions reaching a target (mimic's example environment)",
    .options_help = "dims=N (1 to 64, default 2)",
    .impl_size = sizeof(point_env),
    .max_episode_steps = 100,
    .reward_threshold = NAN, /* no return counts as solved; success is reaching the target */
    .success = MIMIC_SUCCESS_TERMINATED,
    .init = point_init,
    .reset = point_reset,
    .step = point_step,
    .expert = point_expert,
    .get_state = point_get_state,
    .set_state = point_set_state,
    .render_text = point_render_text,
};
