/* MountainCar-v0: Gymnasium's under-powered car in a valley, bit for bit.
 *
 * The car sits between two hills and must reach the flag on the right
 * (x >= 0.5 with v >= 0), but its engine (0.001) is weaker than gravity
 * (0.0025 cos 3x): it has to rock back and forth to build momentum. The
 * update is Gymnasium's, in its order: v += ((a-1)*force + cos(3p)*(-g))
 * (the right-hand side first), clip v, p += v, clip p, and an inelastic
 * left wall. Reward is -1 every step; the time limit is 200 steps.
 *
 * The expert pumps energy: it accelerates in the direction of motion, and
 * decides which way to go by one step of policy improvement (simulate
 * "push left, then pump" and "push right, then pump" and keep the faster).
 * That is pumping everywhere except near the switching curve that decides
 * the first swing; it averages about -103 where plain pumping gets -126. The hill drawing is shared
 * with MountainCarContinuous (env_ctl_draw_mountain). */
#include <math.h>

#include "envs/control.h"

#define MIN_POSITION (-1.2)
#define MAX_POSITION 0.6
#define MAX_SPEED 0.07
#define GOAL_POSITION 0.5
#define FORCE 0.001
#define GRAVITY 0.0025

typedef struct mountain_car {
  double p, v;
  int last_action;
  bool fixed_horizon, absorbed; /* seals' MountainCar-v0: at the goal, an absorbing state */
  float obs_low[2], obs_high[2];
} mountain_car;

static mimic_status mc_init(mimic_env *env, void *impl, const void *user, mimic_kv *opts,
                            mimic_env_spec *spec) {
  mountain_car *m = impl;
  MIMIC_TRY(env_ctl_fixed_horizon_option(opts, &m->fixed_horizon));
  m->obs_low[0] = (float)MIN_POSITION;
  m->obs_low[1] = (float)-MAX_SPEED;
  m->obs_high[0] = (float)MAX_POSITION;
  m->obs_high[1] = (float)MAX_SPEED;
  m->last_action = 1;
  spec->obs_space = mimic_space_box(2, m->obs_low, m->obs_high);
  spec->action_space = mimic_space_discrete(3);
  return MIMIC_OK;
}

static mimic_status mc_reset(void *impl, mimic_rng *rng, mimic_kv *opts, float *obs) {
  mountain_car *m = impl;
  double lo, hi;
  MIMIC_TRY(env_ctl_reset_bounds(opts, -0.6, -0.4, &lo, &hi));
  m->p = mimic_rng_uniform(rng, lo, hi);
  m->v = 0;
  m->last_action = 1;
  m->absorbed = false;
  obs[0] = (float)m->p;
  obs[1] = (float)m->v;
  return MIMIC_OK;
}

static mimic_status mc_step(void *impl, const float *action, float *obs, double *reward,
                            bool *terminated) {
  mountain_car *m = impl;
  if (m->absorbed) { /* seals' AbsorbAfterDoneWrapper: the last observation again, reward 0 */
    *terminated = false;
    *reward = 0.0;
    obs[0] = (float)m->p;
    obs[1] = (float)m->v;
    return MIMIC_OK;
  }
  const int a = (int)action[0];
  double p = m->p, v = m->v;
  v += ((a - 1) * FORCE + cos(3 * p) * (-GRAVITY));
  v = ENV_CLIP(v, -MAX_SPEED, MAX_SPEED);
  p += v;
  p = ENV_CLIP(p, MIN_POSITION, MAX_POSITION);
  if (p == MIN_POSITION && v < 0) v = 0;
  m->p = p;
  m->v = v;
  m->last_action = a;
  *terminated = p >= GOAL_POSITION && v >= 0;
  if (*terminated && m->fixed_horizon) m->absorbed = true, *terminated = false;
  *reward = -1.0;
  obs[0] = (float)p;
  obs[1] = (float)v;
  return MIMIC_OK;
}

/* One step of the dynamics in double, as mc_step computes it. */
static inline void mc_sim(double *p, double *v, int a) {
  double pp = *p, vv = *v;
  vv += ((a - 1) * FORCE + cos(3 * pp) * (-GRAVITY));
  vv = ENV_CLIP(vv, -MAX_SPEED, MAX_SPEED);
  pp += vv;
  pp = ENV_CLIP(pp, MIN_POSITION, MAX_POSITION);
  if (pp == MIN_POSITION && vv < 0) vv = 0;
  *p = pp;
  *v = vv;
}

/* Steps until the flag when starting with action a and then pushing along
 * the velocity (a large number if the horizon runs out). */
static int steps_to_goal(double p, double v, int a) {
  for (int t = 1; t <= 400; t++) {
    mc_sim(&p, &v, a);
    if (p >= GOAL_POSITION && v >= 0) return t;
    a = v >= 0 ? 2 : 0;
  }
  return 1 << 20;
}

/* Policy improvement on the energy pump: try pushing left and right, follow
 * either with "push along the velocity", keep the one that reaches the flag
 * sooner (left on ties). */
static mimic_status mc_expert(void *impl, float *action) {
  const mountain_car *m = impl;
  const int left = steps_to_goal(m->p, m->v, 0), right = steps_to_goal(m->p, m->v, 2);
  action[0] = right < left ? 2.0f : 0.0f;
  return MIMIC_OK;
}

static int mc_get_state(const void *impl, double *s, int cap) {
  const mountain_car *m = impl;
  if (cap > 0) s[0] = m->p;
  if (cap > 1) s[1] = m->v;
  if (!m->fixed_horizon) return 2;
  if (cap > 2) s[2] = m->absorbed;
  return 3;
}

static mimic_status mc_set_state(void *impl, const double *s, int n) {
  mountain_car *m = impl;
  if (n != 2 && !(n == 3 && m->fixed_horizon))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "MountainCar state has 2 values (position, velocity) and, with "
                      "fixed_horizon=1, an optional 'absorbed' flag; got %d",
                      n);
  if (!isfinite(s[0]) || !isfinite(s[1]))
    return mimic_fail(MIMIC_ERR_RANGE, "MountainCar state is not finite");
  m->p = s[0];
  m->v = s[1];
  m->absorbed = n == 3 && s[2] != 0;
  return MIMIC_OK;
}

mimic_status env_ctl_mountain_text(char *buf, size_t cap, const char *name, double p, double v,
                                   double goal, double force) {
  size_t n = 0;
  MIMIC_TRY(env_ctl_text(buf, cap, &n, "%s  position=%+.4f  velocity=%+.5f  force=%+.2f\n", name, p,
                         v, force));
  const double span = MAX_POSITION - MIN_POSITION;
  return env_ctl_track(buf, cap, &n, 49, (p - MIN_POSITION) / span, 'C',
                       (goal - MIN_POSITION) / span, 'F');
}

static double hill(double x) { return sin(3 * x) * 0.45 + 0.55; }

void env_ctl_draw_mountain(env_raster *r, double p, double goal) {
  const double scale = r->w / (MAX_POSITION - MIN_POSITION), base = r->h;
  env_raster_clear(r, 0xffffff);
  /* the ground: a polygon under the curve */
  double pts[2 * 64];
  const int k = 62;
  for (int i = 0; i < k; i++) {
    double x = MIN_POSITION + (MAX_POSITION - MIN_POSITION) * i / (k - 1);
    pts[2 * i] = (x - MIN_POSITION) * scale;
    pts[2 * i + 1] = base - hill(x) * scale;
  }
  pts[2 * k] = r->w;
  pts[2 * k + 1] = r->h;
  pts[2 * k + 2] = 0;
  pts[2 * k + 3] = r->h;
  env_raster_poly(r, pts, k + 2, 0xd8d8c8);
  for (int i = 0; i + 1 < k; i++)
    env_raster_line(r, pts[2 * i], pts[2 * i + 1], pts[2 * i + 2], pts[2 * i + 3], 2, 0x000000);
  /* the flag */
  const double fx = (goal - MIN_POSITION) * scale, fy = base - hill(goal) * scale;
  env_raster_line(r, fx, fy, fx, fy - 50, 2, 0x000000);
  const double flag[6] = {fx, fy - 50, fx, fy - 40, fx + 25, fy - 45};
  env_raster_poly(r, flag, 3, 0xcccc00);
  /* the car: a body tilted with the slope, two wheels */
  const double ang = atan(cos(3 * p) * 3 * 0.45), ca = cos(ang), sa = sin(ang);
  const double cx = (p - MIN_POSITION) * scale, cy = base - hill(p) * scale;
  const double body[8][2] = {{-20, 10}, {20, 10}, {20, 30}, {-20, 30}};
  double poly[8];
  for (int i = 0; i < 4; i++) {
    poly[2 * i] = cx + body[i][0] * ca - body[i][1] * sa;
    poly[2 * i + 1] = cy - (body[i][0] * sa + body[i][1] * ca);
  }
  env_raster_poly(r, poly, 4, 0x000000);
  for (int s = -1; s <= 1; s += 2) {
    const double wx = 10.0 * s, wy = 5;
    env_raster_disc(r, cx + wx * ca - wy * sa, cy - (wx * sa + wy * ca), 5, 0x808080);
  }
}

static mimic_status mc_render_text(void *impl, char *buf, size_t cap) {
  const mountain_car *m = impl;
  return env_ctl_mountain_text(buf, cap, "MountainCar", m->p, m->v, GOAL_POSITION,
                               m->last_action - 1.0);
}

static mimic_status mc_render_rgb(void *impl, uint8_t *rgb, int *w, int *h) {
  const mountain_car *m = impl;
  env_raster r;
  MIMIC_TRY(env_raster_begin(&r, rgb, w, h, 600, 400));
  if (rgb) env_ctl_draw_mountain(&r, m->p, GOAL_POSITION);
  return MIMIC_OK;
}

static const char *const action_names[] = {"accelerate left", "no acceleration",
                                           "accelerate right"};

const mimic_env_class mimic_mountain_car_class = {
    .id = "MountainCar-v0",
    .summary = "drive an under-powered car up a hill (Gymnasium MountainCar-v0, identical)",
    .options_help = "fixed_horizon=1 (seals' MountainCar-v0: the goal becomes an absorbing "
                    "state with reward 0); max_steps=N overrides the 200-step limit",
    .impl_size = sizeof(mountain_car),
    .max_episode_steps = 200,
    .reward_threshold = -110.0,
    .success = MIMIC_SUCCESS_TERMINATED,
    .action_names = action_names,
    .init = mc_init,
    .reset = mc_reset,
    .step = mc_step,
    .expert = mc_expert,
    .get_state = mc_get_state,
    .set_state = mc_set_state,
    .render_text = mc_render_text,
    .render_rgb = mc_render_rgb,
};
