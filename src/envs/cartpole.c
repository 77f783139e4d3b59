/* CartPole-v1: Gymnasium's cart-pole, bit for bit.
 *
 * A pole is hinged on a cart that moves along a frictionless track; each
 * step pushes the cart left or right with 10 N. The equations are
 * Gymnasium's (Florian 2007 with its sign conventions), explicit Euler with
 * tau = 0.02, double precision, and the same order of operations, so an
 * episode replayed from the same state and actions gives the same floats
 * (tests/test_envs_gymnasium.c checks the recorded episodes with ==).
 * Derived constants are computed as Gymnasium computes them (0.1 + 1.0,
 * 0.1 * 0.5, 12 * 2 * pi / 360), never typed in as decimals.
 *
 * After the pole has fallen Gymnasium keeps integrating; the reward is 1 on
 * the first terminated step and 0 on later terminated steps (its
 * steps_beyond_terminated counter), which `fell` reproduces. get_state gives
 * [x, x_dot, theta, theta_dot, fell]; set_state takes the first four (fell
 * = 0, as after reset) or all five.
 *
 * With fixed_horizon=1 it is seals' CartPole-v0 (the fixed-length variant
 * reward learning is benchmarked on): the episode never terminates, the
 * angle is wrapped into [-pi, pi) after every step (NumPy's float %), and
 * the reward is 1 while the cart is within 2.4 and the pole within 12
 * degrees, else 0. On CartPole-v1 every step pays 1, so two fragments of
 * equal length always have equal returns; here they do not.
 *
 * The expert is a linear state-feedback rule: push right when
 * k . state > 0, hand-tuned gains with the signs of an LQR design. It is one
 * hyperplane, so a linear or small MLP classifier can learn it exactly. */
#include <float.h>
#include <math.h>

#include "envs/control.h"

#define GRAVITY 9.8
#define MASSCART 1.0
#define MASSPOLE 0.1
#define LENGTH 0.5 /* half the pole's length */
#define FORCE_MAG 10.0
#define TAU 0.02
#define X_THRESHOLD 2.4

static const double total_mass = MASSPOLE + MASSCART;
static const double polemass_length = MASSPOLE * LENGTH;
static const double theta_threshold = 12 * 2 * M_PI / 360;

typedef struct cartpole {
  double x, xd, th, thd;
  double cos_th, sin_th; /* cos and sin of th, computed as soon as th is known */
  int fell;              /* Gymnasium's steps_beyond_terminated is not None */
  bool fixed_horizon;    /* seals' CartPole-v0 */
  float obs_low[4], obs_high[4];
} cartpole;

static mimic_status cp_init(mimic_env *env, void *impl, const void *user, mimic_kv *opts,
                            mimic_env_spec *spec) {
  cartpole *c = impl;
  MIMIC_TRY(env_ctl_fixed_horizon_option(opts, &c->fixed_horizon));
  float hi[4] = {(float)(X_THRESHOLD * 2), INFINITY, (float)(theta_threshold * 2), INFINITY};
  if (c->fixed_horizon) { /* seals' bounds */
    hi[0] = hi[1] = hi[3] = FLT_MAX;
    hi[2] = (float)M_PI;
  }
  for (int i = 0; i < 4; i++) {
    c->obs_high[i] = hi[i];
    c->obs_low[i] = -hi[i];
  }
  spec->obs_space = mimic_space_box(4, c->obs_low, c->obs_high);
  spec->action_space = mimic_space_discrete(2);
  return MIMIC_OK;
}

static inline void cp_trig(cartpole *c) {
  c->cos_th = cos(c->th);
  c->sin_th = sin(c->th);
}

static inline void cp_obs(const cartpole *c, float *obs) {
  obs[0] = (float)c->x;
  obs[1] = (float)c->xd;
  obs[2] = (float)c->th;
  obs[3] = (float)c->thd;
}

static mimic_status cp_reset(void *impl, mimic_rng *rng, mimic_kv *opts, float *obs) {
  cartpole *c = impl;
  double lo, hi;
  MIMIC_TRY(env_ctl_reset_bounds(opts, -0.05, 0.05, &lo, &hi));
  c->x = mimic_rng_uniform(rng, lo, hi);
  c->xd = mimic_rng_uniform(rng, lo, hi);
  c->th = mimic_rng_uniform(rng, lo, hi);
  c->thd = mimic_rng_uniform(rng, lo, hi);
  c->fell = 0;
  cp_trig(c);
  cp_obs(c, obs);
  return MIMIC_OK;
}

/* seals' CartPole-v0 after the dynamics: wrap the angle, pay 1 while the
 * state is within Gymnasium's limits, never terminate. */
static mimic_status cp_fixed_horizon_end(cartpole *c, float *obs, double *reward,
                                         bool *terminated) {
  const double th = env_ctl_angle_normalize(c->th);
  if (th != c->th) {
    c->th = th;
    cp_trig(c);
  }
  *reward = fabs(c->x) < X_THRESHOLD && fabs(c->th) < theta_threshold ? 1.0 : 0.0;
  *terminated = false;
  cp_obs(c, obs);
  return MIMIC_OK;
}

/* The next angle depends only on the current speed, so its cos and sin are
 * started first: the CPU overlaps them with this step's divisions, which
 * take most of the time otherwise (same values, same order of rounding). */
static mimic_status cp_step(void *impl, const float *action, float *obs, double *reward,
                            bool *terminated) {
  cartpole *c = impl;
  const double force = action[0] == 1.0f ? FORCE_MAG : -FORCE_MAG;
  const double th = c->th, thd = c->thd;
  const double costheta = c->cos_th, sintheta = c->sin_th;
  c->th = th + TAU * thd;
  cp_trig(c);
  const double temp = (force + polemass_length * (thd * thd) * sintheta) / total_mass;
  const double thetaacc = (GRAVITY * sintheta - costheta * temp) /
                          (LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / total_mass));
  const double xacc = temp - polemass_length * thetaacc * costheta / total_mass;
  c->x = c->x + TAU * c->xd;
  c->xd = c->xd + TAU * xacc;
  c->thd = thd + TAU * thetaacc;
  if (c->fixed_horizon) return cp_fixed_horizon_end(c, obs, reward, terminated);
  const bool term = c->x < -X_THRESHOLD || c->x > X_THRESHOLD || c->th < -theta_threshold ||
                    c->th > theta_threshold;
  if (!term) {
    *reward = 1.0;
  } else if (!c->fell) {
    c->fell = 1;
    *reward = 1.0;
  } else {
    *reward = 0.0;
  }
  *terminated = term;
  cp_obs(c, obs);
  return MIMIC_OK;
}

/* Push right when this weighted state is positive: hand-tuned gains with
 * an LQR design's signs (push under the falling pole; the small cart terms
 * keep the cart near the centre). Only the sign reaches the actuator. */
static mimic_status cp_expert(void *impl, float *action) {
  const cartpole *c = impl;
  const double u = 1.0 * c->x + 1.9 * c->xd + 26.0 * c->th + 4.3 * c->thd;
  action[0] = u > 0 ? 1.0f : 0.0f;
  return MIMIC_OK;
}

static int cp_get_state(const void *impl, double *s, int cap) {
  const cartpole *c = impl;
  const double v[5] = {c->x, c->xd, c->th, c->thd, c->fell};
  for (int i = 0; i < 5 && i < cap; i++) s[i] = v[i];
  return 5;
}

static mimic_status cp_set_state(void *impl, const double *s, int n) {
  cartpole *c = impl;
  if (n != 4 && n != 5)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "CartPole state has 4 values (x, x_dot, theta, theta_dot) "
                      "and an optional 'fell' flag, got %d",
                      n);
  for (int i = 0; i < 4; i++)
    if (!isfinite(s[i])) return mimic_fail(MIMIC_ERR_RANGE, "CartPole state[%d] is not finite", i);
  c->x = s[0];
  c->xd = s[1];
  c->th = s[2];
  c->thd = s[3];
  c->fell = n == 5 && s[4] != 0;
  cp_trig(c);
  return MIMIC_OK;
}

static mimic_status cp_render_text(void *impl, char *buf, size_t cap) {
  const cartpole *c = impl;
  size_t n = 0;
  MIMIC_TRY(env_ctl_text(buf, cap, &n,
                         "CartPole  x=%+.3f  x_dot=%+.3f  theta=%+.2f deg  "
                         "theta_dot=%+.3f\n",
                         c->x, c->xd, c->th * 180 / M_PI, c->thd));
  /* the track spans [-2.4, 2.4]; 'o' is the pole's tip above the cart 'C' */
  const double tip = c->x + 2 * LENGTH * sin(c->th);
  return env_ctl_track(buf, cap, &n, 49, (c->x + X_THRESHOLD) / (2 * X_THRESHOLD), 'C',
                       (tip + X_THRESHOLD) / (2 * X_THRESHOLD), 'o');
}

/* Gymnasium's picture: 600x400, a black cart on a track, a brown pole. */
static mimic_status cp_render_rgb(void *impl, uint8_t *rgb, int *w, int *h) {
  const cartpole *c = impl;
  env_raster r;
  MIMIC_TRY(env_raster_begin(&r, rgb, w, h, 600, 400));
  if (!rgb) return MIMIC_OK;
  const double scale = 600 / (X_THRESHOLD * 2), track_y = 400 - 100;
  const double cx = c->x * scale + 300, cart_w = 50, cart_h = 30;
  const double pole_len = scale * (2 * LENGTH), axle_y = track_y - cart_h / 4;
  env_raster_clear(&r, 0xffffff);
  env_raster_line(&r, 0, track_y, 600, track_y, 1, 0x000000);
  env_raster_rect(&r, cx - cart_w / 2, track_y - cart_h / 2 - cart_h / 4, cx + cart_w / 2,
                  track_y + cart_h / 2 - cart_h / 4, 0x000000);
  env_raster_line(&r, cx, axle_y, cx + pole_len * sin(c->th), axle_y - pole_len * cos(c->th), 10,
                  0xca9865);
  env_raster_disc(&r, cx, axle_y, 5, 0x8184cb);
  return MIMIC_OK;
}

static const char *const action_names[] = {"push left", "push right"};

const mimic_env_class mimic_cartpole_class = {
    .id = "CartPole-v1",
    .summary = "balance a pole on a cart (Gymnasium CartPole-v1, identical dynamics)",
    .options_help = "fixed_horizon=1 (seals' CartPole-v0: never terminates, reward 1 while "
                    "upright); max_steps=N overrides the 500-step limit",
    .impl_size = sizeof(cartpole),
    .max_episode_steps = 500,
    .reward_threshold = 475.0,
    .success = MIMIC_SUCCESS_SURVIVE,
    .action_names = action_names,
    .init = cp_init,
    .reset = cp_reset,
    .step = cp_step,
    .expert = cp_expert,
    .get_state = cp_get_state,
    .set_state = cp_set_state,
    .render_text = cp_render_text,
    .render_rgb = cp_render_rgb,
};
