/* Acrobot-v1: Gymnasium's two-link pendulum with an actuated elbow, bit
 * for bit.
 *
 * The state is (theta1, theta2, dtheta1, dtheta2); the action applies a
 * torque of -1, 0 or +1 at the joint between the links; the episode ends
 * when the tip rises above the bar: -cos(t1) - cos(t1 + t2) > 1. Reward is
 * -1 per step (0 while terminal); the time limit is 500 steps.
 *
 * Dynamics are the "book" equations (Sutton & Barto) integrated by one RK4
 * step of dt = 0.2 over the augmented vector (theta1, theta2, dtheta1,
 * dtheta2, torque), elementwise and in NumPy's association, as Gymnasium's
 * rk4() does; squares of state values are real libm pow() calls (NumPy's
 * `x**2`), then angles are wrapped into [-pi, pi] by repeated +-2 pi and
 * speeds clamped to 4 pi and 9 pi.
 *
 * Right after reset the state is float32 (Gymnasium draws U(-0.1, 0.1) and
 * casts); every step makes it float64 again. The reset observation takes
 * cos/sin in double of the float32 values; NumPy uses its own float32
 * kernels there, which can differ by one float32 ulp (the testdata README
 * allows it).
 *
 * The expert pumps energy with the elbow: torque = sign(-dtheta1 + dtheta2
 * + 4 sin theta1 + sin theta2), one hyperplane in the observation's
 * features, so a linear classifier can learn it exactly. Torque against
 * the first link's swing alone (-sign dtheta1) already averages about -85;
 * the extra terms bring it to about -75. */
#include <math.h>

#include "envs/control.h"

#define DT 0.2
#define LINK_LENGTH_1 1.0
#define LINK_LENGTH_2 1.0
#define LINK_MASS_1 1.0
#define LINK_MASS_2 1.0
#define LINK_COM_POS_1 0.5
#define LINK_COM_POS_2 0.5
#define LINK_MOI 1.0

static const double max_vel_1 = 4 * M_PI;
static const double max_vel_2 = 9 * M_PI;
static const double avail_torque[3] = {-1.0, 0.0, 1.0};

typedef struct acrobot {
  double s[4];
  int last_action;
  bool fixed_horizon, absorbed; /* at the goal, an absorbing state (as seals' MountainCar-v0) */
  float obs_low[6], obs_high[6];
} acrobot;

static mimic_status ac_init(mimic_env *env, void *impl, const void *user, mimic_kv *opts,
                            mimic_env_spec *spec) {
  acrobot *a = impl;
  MIMIC_TRY(env_ctl_fixed_horizon_option(opts, &a->fixed_horizon));
  const float hi[6] = {1, 1, 1, 1, (float)max_vel_1, (float)max_vel_2};
  for (int i = 0; i < 6; i++) {
    a->obs_high[i] = hi[i];
    a->obs_low[i] = -hi[i];
  }
  a->last_action = 1;
  spec->obs_space = mimic_space_box(6, a->obs_low, a->obs_high);
  spec->action_space = mimic_space_discrete(3);
  return MIMIC_OK;
}

static void ac_obs(const acrobot *a, float *obs) {
  const double *s = a->s;
  obs[0] = (float)cos(s[0]);
  obs[1] = (float)sin(s[0]);
  obs[2] = (float)cos(s[1]);
  obs[3] = (float)sin(s[1]);
  obs[4] = (float)s[2];
  obs[5] = (float)s[3];
}

static mimic_status ac_reset(void *impl, mimic_rng *rng, mimic_kv *opts, float *obs) {
  acrobot *a = impl;
  double lo, hi;
  MIMIC_TRY(env_ctl_reset_bounds(opts, -0.1, 0.1, &lo, &hi));
  for (int i = 0; i < 4; i++) {
    const float x = (float)mimic_rng_uniform(rng, lo, hi);
    a->s[i] = x;
  }
  a->last_action = 1;
  a->absorbed = false;
  ac_obs(a, obs);
  return MIMIC_OK;
}

/* The time derivative of the augmented state y = (t1, t2, dt1, dt2, torque). */
static void dsdt(const double *y, double *dy) {
  const double m1 = LINK_MASS_1, m2 = LINK_MASS_2, l1 = LINK_LENGTH_1;
  const double lc1 = LINK_COM_POS_1, lc2 = LINK_COM_POS_2, I1 = LINK_MOI, I2 = LINK_MOI;
  const double g = 9.8;
  const double a = y[4], theta1 = y[0], theta2 = y[1], dtheta1 = y[2], dtheta2 = y[3];
  const double cos2 = cos(theta2), sin2 = sin(theta2);
  const double d1 =
      m1 * (lc1 * lc1) + m2 * ((l1 * l1) + (lc2 * lc2) + 2 * l1 * lc2 * cos2) + I1 + I2;
  const double d2 = m2 * ((lc2 * lc2) + l1 * lc2 * cos2) + I2;
  const double phi2 = m2 * lc2 * g * cos(theta1 + theta2 - M_PI / 2.0);
  const double phi1 = -m2 * l1 * lc2 * env_ctl_pow(dtheta2, 2) * sin2 -
                      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2 +
                      (m1 * lc1 + m2 * l1) * g * cos(theta1 - M_PI / 2) + phi2;
  const double ddtheta2 =
      (a + d2 / d1 * phi1 - m2 * l1 * lc2 * env_ctl_pow(dtheta1, 2) * sin2 - phi2) /
      (m2 * (lc2 * lc2) + I2 - env_ctl_pow(d2, 2) / d1);
  const double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  dy[0] = dtheta1;
  dy[1] = dtheta2;
  dy[2] = ddtheta1;
  dy[3] = ddtheta2;
  dy[4] = 0.0;
}

static double wrap(double x) {
  const double m = -M_PI, M = M_PI, diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

static mimic_status ac_step(void *impl, const float *action, float *obs, double *reward,
                            bool *terminated) {
  acrobot *ac = impl;
  if (ac->absorbed) { /* the last observation again, reward 0 */
    *terminated = false;
    *reward = 0.0;
    ac_obs(ac, obs);
    return MIMIC_OK;
  }
  const int act = (int)action[0];
  double y0[5] = {ac->s[0], ac->s[1], ac->s[2], ac->s[3], avail_torque[act]};
  double k1[5], k2[5], k3[5], k4[5], y[5];
  const double dt = DT - 0, dt2 = dt / 2.0;
  dsdt(y0, k1);
  for (int i = 0; i < 5; i++) y[i] = y0[i] + dt2 * k1[i];
  dsdt(y, k2);
  for (int i = 0; i < 5; i++) y[i] = y0[i] + dt2 * k2[i];
  dsdt(y, k3);
  for (int i = 0; i < 5; i++) y[i] = y0[i] + dt * k3[i];
  dsdt(y, k4);
  double ns[4];
  for (int i = 0; i < 4; i++) ns[i] = y0[i] + dt / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  ns[0] = wrap(ns[0]);
  ns[1] = wrap(ns[1]);
  ns[2] = ENV_CLIP(ns[2], -max_vel_1, max_vel_1);
  ns[3] = ENV_CLIP(ns[3], -max_vel_2, max_vel_2);
  for (int i = 0; i < 4; i++) ac->s[i] = ns[i];
  ac->last_action = act;
  const bool term = -cos(ns[0]) - cos(ns[1] + ns[0]) > 1.0;
  *terminated = term && !ac->fixed_horizon;
  ac->absorbed = term && ac->fixed_horizon;
  *reward = term ? 0.0 : -1.0;
  ac_obs(ac, obs);
  return MIMIC_OK;
}

/* Energy pumping with the elbow: a bang-bang rule on one hyperplane of the
 * observation's features (speeds and sines), found by a search over small
 * integer weights; it swings the tip up in about 75 steps on average. */
static mimic_status ac_expert(void *impl, float *action) {
  const acrobot *a = impl;
  const double *s = a->s;
  const double u = -s[2] + s[3] + 4 * sin(s[0]) + sin(s[1]);
  action[0] = u > 0 ? 2.0f : u < 0 ? 0.0f : 1.0f;
  return MIMIC_OK;
}

static int ac_get_state(const void *impl, double *s, int cap) {
  const acrobot *a = impl;
  for (int i = 0; i < 4 && i < cap; i++) s[i] = a->s[i];
  if (!a->fixed_horizon) return 4;
  if (cap > 4) s[4] = a->absorbed;
  return 5;
}

static mimic_status ac_set_state(void *impl, const double *s, int n) {
  acrobot *a = impl;
  if (n != 4 && !(n == 5 && a->fixed_horizon))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "Acrobot state has 4 values (theta1, theta2, dtheta1, dtheta2) and, with "
                      "fixed_horizon=1, an optional 'absorbed' flag; got %d",
                      n);
  for (int i = 0; i < 4; i++) {
    if (!isfinite(s[i])) return mimic_fail(MIMIC_ERR_RANGE, "Acrobot state[%d] is not finite", i);
    a->s[i] = s[i];
  }
  a->absorbed = n == 5 && s[4] != 0;
  return MIMIC_OK;
}

static mimic_status ac_render_text(void *impl, char *buf, size_t cap) {
  const acrobot *a = impl;
  const double *s = a->s;
  const double x1 = sin(s[0]), y1 = -cos(s[0]);
  const double x2 = x1 + sin(s[0] + s[1]), y2 = y1 - cos(s[0] + s[1]);
  size_t n = 0;
  MIMIC_TRY(env_ctl_text(buf, cap, &n,
                         "Acrobot  theta1=%+.3f  theta2=%+.3f  dtheta1=%+.3f  "
                         "dtheta2=%+.3f  torque=%+.0f\n",
                         s[0], s[1], s[2], s[3], avail_torque[a->last_action]));
  /* a 9x9 side view: '@' the pivot, 'o' the elbow, '*' the tip, '=' the goal bar */
  char grid[9][10];
  for (int r = 0; r < 9; r++) {
    for (int c = 0; c < 9; c++) grid[r][c] = r == 2 ? '=' : '.';
    grid[r][9] = 0;
  }
  const int cx = 4, cy = 4; /* 2 cells per link length */
#define PUT(x, y, ch)                                                                              \
  do {                                                                                             \
    int c_ = cx + (int)lround(2 * (x)), r_ = cy - (int)lround(2 * (y));                            \
    if (c_ >= 0 && c_ < 9 && r_ >= 0 && r_ < 9) grid[r_][c_] = ch;                                 \
  } while (0)
  PUT(x1, y1, 'o');
  PUT(x2, y2, '*');
  PUT(0, 0, '@');
#undef PUT
  for (int r = 0; r < 9; r++) MIMIC_TRY(env_ctl_text(buf, cap, &n, "%s\n", grid[r]));
  return MIMIC_OK;
}

/* Gymnasium's picture: 500x500, two blue links, the goal line above. */
static mimic_status ac_render_rgb(void *impl, uint8_t *rgb, int *w, int *h) {
  const acrobot *a = impl;
  env_raster r;
  MIMIC_TRY(env_raster_begin(&r, rgb, w, h, 500, 500));
  if (!rgb) return MIMIC_OK;
  const double *s = a->s, scale = 500 / 4.4, ox = 250, oy = 250;
  const double x1 = ox + scale * sin(s[0]), y1 = oy + scale * cos(s[0]);
  const double x2 = x1 + scale * sin(s[0] + s[1]), y2 = y1 + scale * cos(s[0] + s[1]);
  env_raster_clear(&r, 0xffffff);
  env_raster_line(&r, ox - 2.2 * scale, oy - scale, ox + 2.2 * scale, oy - scale, 2, 0x000000);
  env_raster_line(&r, ox, oy, x1, y1, 20, 0x00cccc);
  env_raster_line(&r, x1, y1, x2, y2, 20, 0x00cccc);
  env_raster_disc(&r, ox, oy, 10, 0xcccc00);
  env_raster_disc(&r, x1, y1, 10, 0xcccc00);
  return MIMIC_OK;
}

static const char *const action_names[] = {"torque -1", "torque 0", "torque +1"};

const mimic_env_class mimic_acrobot_class = {
    .id = "Acrobot-v1",
    .summary = "swing a two-link arm's tip above the bar (Gymnasium Acrobot-v1, identical)",
    .options_help = "fixed_horizon=1 (the goal becomes an absorbing state with reward 0, as "
                    "seals' MountainCar-v0); max_steps=N overrides the 500-step limit",
    .impl_size = sizeof(acrobot),
    .max_episode_steps = 500,
    .reward_threshold = -100.0,
    .success = MIMIC_SUCCESS_TERMINATED,
    .action_names = action_names,
    .init = ac_init,
    .reset = ac_reset,
    .step = ac_step,
    .expert = ac_expert,
    .get_state = ac_get_state,
    .set_state = ac_set_state,
    .render_text = ac_render_text,
    .render_rgb = ac_render_rgb,
};
