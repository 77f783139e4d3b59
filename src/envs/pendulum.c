/* Pendulum-v1: Gymnasium's torque-limited inverted pendulum, bit for bit
 * under NumPy 2 (NEP 50, default) or NumPy 1 promotion (option numpy=1).
 *
 * theta = 0 is upright; the motor gives at most 2 of the 15 units of
 * torque gravity can exert, so the pendulum must be swung up. One step is
 * semi-implicit Euler with dt = 0.05: the new speed (clipped to +-8) moves
 * the angle. The reward is minus the cost of the *pre-step* state and the
 * clipped torque: angle_normalize(theta)^2 + 0.1 thetadot^2 + 0.001 u^2,
 * squares by libm pow() (NumPy's `x**2`) and angle_normalize with NumPy's
 * floored `%`. It never terminates; the time limit is 200 steps. theta is
 * never wrapped, as in Gymnasium.
 *
 * The torque is float32. NumPy 1 widens it to double before squaring and
 * scaling; NumPy 2 (NEP 50) keeps 0.001 * u**2 and 3.0 * u in float32.
 *
 * The expert swings up by energy shaping, u = k (E* - E) thetadot with
 * E = thetadot^2 / 2 + 15 cos(theta) and E* = 15 (upright at rest), and
 * balances with a PD law near the top; the two are blended smoothly by the
 * pendulum's height (cos theta), so the policy is a smooth function of the
 * observation (cos, sin, thetadot) and clones well. */
#include <math.h>

#include "envs/control.h"

#define MAX_SPEED 8
#define MAX_TORQUE 2.0
#define DT 0.05
#define G 10.0
#define M 1.0
#define L 1.0

typedef struct pendulum {
  double th, thd;
  double sin_th; /* sin(th), computed for the observation and reused by the next step */
  int numpy1;
  float last_u;
  float obs_low[3], obs_high[3], act_low[1], act_high[1];
} pendulum;

static mimic_status pd_init(mimic_env *env, void *impl, const void *user, mimic_kv *opts,
                            mimic_env_spec *spec) {
  pendulum *p = impl;
  MIMIC_TRY(env_ctl_numpy_option(opts, &p->numpy1));
  const float hi[3] = {1.0f, 1.0f, (float)MAX_SPEED};
  for (int i = 0; i < 3; i++) {
    p->obs_high[i] = hi[i];
    p->obs_low[i] = -hi[i];
  }
  p->act_low[0] = (float)-MAX_TORQUE;
  p->act_high[0] = (float)MAX_TORQUE;
  spec->obs_space = mimic_space_box(3, p->obs_low, p->obs_high);
  spec->action_space = mimic_space_box(1, p->act_low, p->act_high);
  return MIMIC_OK;
}

/* Writes the observation (obs may be NULL) and caches sin(th). */
static void pd_obs(pendulum *p, float *obs) {
  const double c = cos(p->th), s = sin(p->th);
  p->sin_th = s;
  if (!obs) return;
  obs[0] = (float)c;
  obs[1] = (float)s;
  obs[2] = (float)p->thd;
}

static mimic_status pd_reset(void *impl, mimic_rng *rng, mimic_kv *opts, float *obs) {
  pendulum *p = impl;
  double x, y;
  MIMIC_TRY(mimic_kv_double(opts, "x_init", M_PI, -HUGE_VAL, HUGE_VAL, &x));
  MIMIC_TRY(mimic_kv_double(opts, "y_init", 1.0, -HUGE_VAL, HUGE_VAL, &y));
  p->th = mimic_rng_uniform(rng, -x, x);
  p->thd = mimic_rng_uniform(rng, -y, y);
  p->last_u = 0;
  pd_obs(p, obs);
  return MIMIC_OK;
}

static mimic_status pd_step(void *impl, const float *action, float *obs, double *reward,
                            bool *terminated) {
  pendulum *p = impl;
  const double th = p->th, thd = p->thd;
  const float u = ENV_CLIP(action[0], (float)-MAX_TORQUE, (float)MAX_TORQUE);
  double ucost, utorque;
  if (p->numpy1) {
    ucost = 0.001 * ((double)u * (double)u);
    utorque = 3.0 * (double)u;
  } else {
    const float uc = 0.001f * env_ctl_powf(u, 2.0f), ut = 3.0f * u;
    ucost = uc;
    utorque = ut;
  }
  const double costs =
      env_ctl_pow(env_ctl_angle_normalize(th), 2) + 0.1 * env_ctl_pow(thd, 2) + ucost;
  double newthd = thd + (3 * G / (2 * L) * p->sin_th + utorque) * DT;
  newthd = ENV_CLIP(newthd, -MAX_SPEED, MAX_SPEED);
  p->th = th + newthd * DT;
  p->thd = newthd;
  p->last_u = u;
  *reward = -costs;
  *terminated = false;
  pd_obs(p, obs);
  return MIMIC_OK;
}

/* Energy swing-up blended into PD balance by height (see the top). */
static mimic_status pd_expert(void *impl, float *action) {
  const pendulum *p = impl;
  const double c = cos(p->th), s = sin(p->th), w = p->thd;
  const double an = atan2(s, c);
  const double energy = 0.5 * w * w + 15.0 * c;
  const double swing = 0.5 * (15.0 - energy) * w;
  const double balance = -(10.0 * an + 2.0 * w);
  const double blend = 1.0 / (1.0 + exp(-20.0 * (c - 0.85)));
  const double u = blend * balance + (1 - blend) * swing;
  action[0] = (float)ENV_CLIP(u, -MAX_TORQUE, MAX_TORQUE);
  return MIMIC_OK;
}

static int pd_get_state(const void *impl, double *s, int cap) {
  const pendulum *p = impl;
  if (cap > 0) s[0] = p->th;
  if (cap > 1) s[1] = p->thd;
  return 2;
}

static mimic_status pd_set_state(void *impl, const double *s, int n) {
  pendulum *p = impl;
  if (n != 2)
    return mimic_fail(MIMIC_ERR_INVALID, "Pendulum state has 2 values (theta, thetadot), got %d",
                      n);
  if (!isfinite(s[0]) || !isfinite(s[1]))
    return mimic_fail(MIMIC_ERR_RANGE, "Pendulum state is not finite");
  p->th = s[0];
  p->thd = s[1];
  pd_obs(p, NULL); /* caches sin(theta) for the next step */
  return MIMIC_OK;
}

static mimic_status pd_render_text(void *impl, char *buf, size_t cap) {
  const pendulum *p = impl;
  size_t n = 0;
  const double an = env_ctl_angle_normalize(p->th);
  MIMIC_TRY(env_ctl_text(buf, cap, &n,
                         "Pendulum  theta=%+.3f (%+.1f deg from upright)  "
                         "thetadot=%+.3f  torque=%+.2f\n",
                         p->th, an * 180 / M_PI, p->thd, (double)p->last_u));
  /* a 7x7 picture: '@' the pivot, '*' the bob (up is the top row) */
  char grid[7][8];
  for (int r = 0; r < 7; r++) {
    for (int c = 0; c < 7; c++) grid[r][c] = '.';
    grid[r][7] = 0;
  }
  const int bc = 3 + (int)lround(3 * sin(p->th)), br = 3 - (int)lround(3 * cos(p->th));
  grid[br][bc] = '*';
  grid[3][3] = '@';
  for (int r = 0; r < 7; r++) MIMIC_TRY(env_ctl_text(buf, cap, &n, "%s\n", grid[r]));
  return MIMIC_OK;
}

/* Gymnasium's picture: 500x500, a red rod from a black pivot. */
static mimic_status pd_render_rgb(void *impl, uint8_t *rgb, int *w, int *h) {
  const pendulum *p = impl;
  env_raster r;
  MIMIC_TRY(env_raster_begin(&r, rgb, w, h, 500, 500));
  if (!rgb) return MIMIC_OK;
  const double scale = 500 / 4.4, len = scale, cx = 250, cy = 250;
  const double ex = cx + len * sin(p->th), ey = cy - len * cos(p->th);
  env_raster_clear(&r, 0xffffff);
  env_raster_line(&r, cx, cy, ex, ey, 0.2 * scale, 0xcc4d4d);
  env_raster_disc(&r, ex, ey, 0.1 * scale, 0xcc4d4d);
  env_raster_disc(&r, cx, cy, 0.05 * scale, 0x000000);
  /* the torque as a bar under the pivot */
  const double tw = (double)p->last_u / MAX_TORQUE * 100;
  env_raster_rect(&r, cx + fmin(0, tw), cy + 180, cx + fmax(0, tw), cy + 190, 0x404040);
  return MIMIC_OK;
}

static const char *const dim_names[] = {"torque"};

const mimic_env_class mimic_pendulum_class = {
    .id = "Pendulum-v1",
    .summary = "swing up and balance a pendulum (Gymnasium Pendulum-v1, identical; NumPy 2 or 1)",
    .options_help = "numpy=2|1 (default 2: NEP 50 promotion as Gymnasium 1.x with NumPy >= 2; "
                    "1: legacy NumPy 1.x)",
    .impl_size = sizeof(pendulum),
    .max_episode_steps = 200,
    .reward_threshold = NAN,
    .success = MIMIC_SUCCESS_THRESHOLD,
    .success_threshold = -200.0,
    .action_names = dim_names,
    .init = pd_init,
    .reset = pd_reset,
    .step = pd_step,
    .expert = pd_expert,
    .get_state = pd_get_state,
    .set_state = pd_set_state,
    .render_text = pd_render_text,
    .render_rgb = pd_render_rgb,
};
