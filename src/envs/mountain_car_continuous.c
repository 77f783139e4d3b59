/* MountainCarContinuous-v0: the mountain car with a continuous throttle,
 * bit for bit as Gymnasium 1.x computes it under either NumPy.
 *
 * The action is a float32 force in [-1, 1] (clipped with Python's min/max,
 * which keeps the float32 object when it is in range); reaching x >= 0.45
 * with v >= 0 pays +100, and every step costs 0.1 a^2 of the *unclipped*
 * action, computed with libm pow (never folded to a*a). The time limit is
 * 999 steps.
 *
 * The hard part is the number types. Gymnasium stores the state as a
 * float32 array after every step, but as float64 right after reset, and the
 * action is float32. Under NumPy >= 2 (NEP 50, the default here, option
 * numpy=2) a float32 next to a Python float stays float32, so the step runs
 * partly in float32 and the first step after reset differs from later
 * ones; under the legacy NumPy 1 rules (option numpy=1) everything is
 * double. The two rule sets are the testdata README's, verified bit for bit
 * against both recordings. Float32 values live in `float` variables
 * throughout: GCC 12 at -O2 drops double->float->double round trips stored
 * in double variables, so the rounding must happen in float storage.
 *
 * get_state gives [position, velocity, stored_as_float32]; set_state takes
 * the first two (a float64 state, as after reset) or all three.
 *
 * The expert is proportional energy pumping: a = clip(K v, -1, 1). Pushing
 * along the velocity adds energy at rate ~a v while the cost is a^2, so a
 * moderate gain reaches the flag with far less total a^2 than full
 * throttle; the law is smooth and linear inside the clip, easy to clone. */
#include <math.h>

#include "envs/control.h"

#define MIN_POSITION (-1.2)
#define MAX_POSITION 0.6
#define MAX_SPEED 0.07
#define GOAL_POSITION 0.45
#define POWER 0.0015

typedef struct mcc {
  double p, v;  /* the state while it is float64 (after reset) */
  float pf, vf; /* the state while it is float32 (after a step) */
  int f32;      /* which of the two holds the state */
  int numpy1;   /* legacy NumPy 1 promotion instead of NEP 50 */
  float last_force;
  float obs_low[2], obs_high[2], act_low[1], act_high[1];
} mcc;

static mimic_status mcc_init(mimic_env *env, void *impl, const void *user, mimic_kv *opts,
                             mimic_env_spec *spec) {
  mcc *m = impl;
  MIMIC_TRY(env_ctl_numpy_option(opts, &m->numpy1));
  m->obs_low[0] = (float)MIN_POSITION;
  m->obs_low[1] = (float)-MAX_SPEED;
  m->obs_high[0] = (float)MAX_POSITION;
  m->obs_high[1] = (float)MAX_SPEED;
  m->act_low[0] = -1.0f;
  m->act_high[0] = 1.0f;
  spec->obs_space = mimic_space_box(2, m->obs_low, m->obs_high);
  spec->action_space = mimic_space_box(1, m->act_low, m->act_high);
  return MIMIC_OK;
}

static void mcc_obs(const mcc *m, float *obs) {
  if (m->f32) {
    obs[0] = m->pf;
    obs[1] = m->vf;
  } else {
    obs[0] = (float)m->p;
    obs[1] = (float)m->v;
  }
}

static mimic_status mcc_reset(void *impl, mimic_rng *rng, mimic_kv *opts, float *obs) {
  mcc *m = impl;
  double lo, hi;
  MIMIC_TRY(env_ctl_reset_bounds(opts, -0.6, -0.4, &lo, &hi));
  m->p = mimic_rng_uniform(rng, lo, hi);
  m->v = 0;
  m->f32 = 0;
  m->last_force = 0;
  mcc_obs(m, obs);
  return MIMIC_OK;
}

/* The rest of a step in double precision, from the updated velocity: the
 * clips, the wall, the state stored as float32; returns whether the car is
 * at the goal. */
static int finish_f64(mcc *m, double p, double v) {
  if (v > MAX_SPEED) v = MAX_SPEED;
  if (v < -MAX_SPEED) v = -MAX_SPEED;
  p += v;
  if (p > MAX_POSITION) p = MAX_POSITION;
  if (p < MIN_POSITION) p = MIN_POSITION;
  if (p == MIN_POSITION && v < 0) v = 0;
  m->pf = (float)p;
  m->vf = (float)v;
  m->f32 = 1;
  return p >= GOAL_POSITION && v >= 0;
}

/* NumPy 1: every operation in double; the state is rounded when stored. */
static int step_numpy1(mcc *m, float a) {
  double p = m->f32 ? m->pf : m->p, v = m->f32 ? m->vf : m->v;
  const double f = ENV_CLIP((double)a, -1.0, 1.0);
  v += (f * POWER - 0.0025 * cos(3 * p));
  return finish_f64(m, p, v);
}

/* NEP 50, first step after reset: p and v are float64, the force may be
 * float32 (in range) or a Python float (clipped). */
static int step_nep50_f64(mcc *m, float a, int a_in_range) {
  double p = m->p, v = m->v;
  const double c = 0.0025 * cos(3 * p);
  if (a_in_range) {
    const float d = a * (float)POWER - (float)c;
    v = v + (double)d;
  } else {
    const double f = a < -1.0f ? -1.0 : 1.0;
    v = v + (f * POWER - c);
  }
  return finish_f64(m, p, v);
}

/* NEP 50, later steps: p and v are float32 scalars; a value that a clip
 * replaces becomes a Python float (double) and compares as one. */
static int step_nep50_f32(mcc *m, float a, int a_in_range) {
  float p32 = m->pf, v32 = m->vf;
  double pd = 0, vd = 0;
  int p_is32 = 1, v_is32 = 1;
  const double c = 0.0025 * cos((double)(3.0f * p32));
  if (a_in_range) {
    const float d = a * (float)POWER - (float)c;
    v32 = v32 + d;
  } else {
    const double f = a < -1.0f ? -1.0 : 1.0, d = f * POWER - c;
    v32 = v32 + (float)d;
  }
  if (v32 > (float)MAX_SPEED) {
    vd = MAX_SPEED;
    v_is32 = 0;
  }
  if (v_is32 ? v32 < (float)-MAX_SPEED : vd < -MAX_SPEED) {
    vd = -MAX_SPEED;
    v_is32 = 0;
  }
  p32 = p32 + (v_is32 ? v32 : (float)vd);
  if (p32 > (float)MAX_POSITION) {
    pd = MAX_POSITION;
    p_is32 = 0;
  }
  if (p_is32 ? p32 < (float)MIN_POSITION : pd < MIN_POSITION) {
    pd = MIN_POSITION;
    p_is32 = 0;
  }
  const int v_neg = v_is32 ? v32 < 0 : vd < 0;
  if ((p_is32 ? p32 == (float)MIN_POSITION : pd == MIN_POSITION) && v_neg) {
    vd = 0;
    v_is32 = 0;
  }
  const int term =
      (p_is32 ? p32 >= (float)GOAL_POSITION : pd >= GOAL_POSITION) && (v_is32 ? v32 >= 0 : vd >= 0);
  m->pf = p_is32 ? p32 : (float)pd;
  m->vf = v_is32 ? v32 : (float)vd;
  return term;
}

static mimic_status mcc_step(void *impl, const float *action, float *obs, double *reward,
                             bool *terminated) {
  mcc *m = impl;
  const float a = action[0];
  int term;
  if (m->numpy1) {
    term = step_numpy1(m, a);
  } else {
    const int in_range = a >= -1.0f && a <= 1.0f;
    term = m->f32 ? step_nep50_f32(m, a, in_range) : step_nep50_f64(m, a, in_range);
  }
  const double penalty = env_ctl_pow((double)a, 2.0) * 0.1;
  *reward = (term ? 100.0 : 0.0) - penalty;
  *terminated = term;
  m->last_force = ENV_CLIP(a, -1.0f, 1.0f);
  obs[0] = m->pf;
  obs[1] = m->vf;
  return MIMIC_OK;
}

/* Gains from 12 to 70 all return > 93 on average; 20 sits in the middle,
 * so a clone that learns the slope 50 % off still reaches the flag. */
#define EXPERT_GAIN 20.0

static mimic_status mcc_expert(void *impl, float *action) {
  const mcc *m = impl;
  const double v = m->f32 ? m->vf : m->v;
  action[0] = (float)ENV_CLIP(EXPERT_GAIN * v, -1.0, 1.0);
  return MIMIC_OK;
}

static int mcc_get_state(const void *impl, double *s, int cap) {
  const mcc *m = impl;
  const double v[3] = {m->f32 ? m->pf : m->p, m->f32 ? m->vf : m->v, m->f32};
  for (int i = 0; i < 3 && i < cap; i++) s[i] = v[i];
  return 3;
}

static mimic_status mcc_set_state(void *impl, const double *s, int n) {
  mcc *m = impl;
  if (n != 2 && n != 3)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "MountainCarContinuous state has 2 values (position, "
                      "velocity) and an optional float32 flag, got %d",
                      n);
  if (!isfinite(s[0]) || !isfinite(s[1]))
    return mimic_fail(MIMIC_ERR_RANGE, "MountainCarContinuous state is not finite");
  m->f32 = n == 3 && s[2] != 0;
  if (m->f32) {
    m->pf = (float)s[0];
    m->vf = (float)s[1];
    if ((double)m->pf != s[0] || (double)m->vf != s[1])
      return mimic_fail(MIMIC_ERR_RANGE, "MountainCarContinuous float32 state is not float32");
  } else {
    m->p = s[0];
    m->v = s[1];
  }
  return MIMIC_OK;
}

static mimic_status mcc_render_text(void *impl, char *buf, size_t cap) {
  const mcc *m = impl;
  return env_ctl_mountain_text(buf, cap, "MountainCarContinuous", m->f32 ? m->pf : m->p,
                               m->f32 ? m->vf : m->v, GOAL_POSITION, m->last_force);
}

static mimic_status mcc_render_rgb(void *impl, uint8_t *rgb, int *w, int *h) {
  const mcc *m = impl;
  env_raster r;
  MIMIC_TRY(env_raster_begin(&r, rgb, w, h, 600, 400));
  if (rgb) env_ctl_draw_mountain(&r, m->f32 ? m->pf : m->p, GOAL_POSITION);
  return MIMIC_OK;
}

static const char *const dim_names[] = {"force"};

const mimic_env_class mimic_mountain_car_continuous_class = {
    .id = "MountainCarContinuous-v0",
    .summary = "mountain car with a continuous throttle (Gymnasium, identical; NumPy 2 or 1 rules)",
    .options_help = "numpy=2|1 (default 2: NEP 50 promotion as Gymnasium 1.x with NumPy >= 2; "
                    "1: legacy NumPy 1.x)",
    .impl_size = sizeof(mcc),
    .max_episode_steps = 999,
    .reward_threshold = 90.0,
    .success = MIMIC_SUCCESS_TERMINATED,
    .action_names = dim_names,
    .init = mcc_init,
    .reset = mcc_reset,
    .step = mcc_step,
    .expert = mcc_expert,
    .get_state = mcc_get_state,
    .set_state = mcc_set_state,
    .render_text = mcc_render_text,
    .render_rgb = mcc_render_rgb,
};
