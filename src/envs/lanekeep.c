/* LaneKeep-v0 and LaneKeepContinuous-v0: a car that shows compounding error.
 *
 * A car (kinematic bicycle, wheelbase 2.5 m) drives at a constant 10 m/s
 * along a road whose curvature varies smoothly and is drawn from the seed.
 * It is the testbed for Ross et al. (2011): a cloned policy that makes a
 * small mistake reaches states the expert never showed, where its mistakes
 * grow, so behavioral cloning's failures grow with the horizon while DAgger,
 * which asks the expert about the learner's own states, stays on the road.
 * docs/lanekeep.md gives the equations, constants and the design reasons.
 *
 * The car lives in the road's own (Frenet) frame: arc length s along the
 * centre line, lateral offset d (left positive) and heading error psi (car
 * heading minus road heading). One step of 0.1 s integrates
 *     ds/dt = v cos(psi) / (1 - kappa(s) d)
 *     dd/dt = v sin(psi)
 *     dpsi/dt = v tan(delta) / L - kappa(s) ds/dt
 * with the midpoint rule. Nothing pulls the car back to the centre: a
 * heading error integrates into an offset, and an untreated offset stays,
 * which is what makes mistakes compound.
 *
 * The road's curvature is a uniform cubic B-spline over knots every 25 m;
 * knot i's value is a hash of (road key, i), uniform in [-1, 1] times
 * kappa_max = 0.05 / m. The key is drawn from the environment's generator
 * at reset, so the road is seeded, unbounded in length, needs no table and
 * no allocation, and is C2-smooth (continuous curvature and its slope).
 * The car starts on the centre line, aligned with the road (the reset
 * options offset=<m> and heading=<rad> place it elsewhere): the seed only
 * chooses the road, and the expert's demonstrations stay close to the
 * centre, which is exactly what leaves a clone without recovery examples.
 *
 * Observation (float32): [d / w, psi, kappa(s)/kappa_max, kappa(s+5)/kmax,
 * kappa(s+10)/kmax, kappa(s+20)/kmax], w = 2 m the road's half-width: all
 * of order one, so a small MLP needs no normalisation. The episode
 * terminates when |d| > w (off the road), truncates at horizon=T steps
 * (default 400, i.e. 400 m), and pays +1 for every step that ends on the
 * road.
 *
 * lanes=2 (make option) adds an oncoming lane, as wide as the car's own, to
 * its left, and the car then sees the lane it is in as a lane camera would:
 * the offset from that lane's centre, plus a seventh value, 1 in the
 * oncoming lane. A clone that drifts over the centre line sees a lane like
 * its own, keeps to it and does not come back (that value never appears in
 * the expert's demonstrations), while the expert steers back: an early
 * mistake puts the learner where the expert never is, the regime of Ross et
 * al.'s quadratic bound. Steps in the oncoming lane pay 0.
 *
 * obs=camera (make option) replaces the numbers with what a camera on the
 * car would give a network to steer by, as in ALVINN (Pomerleau 1989): a
 * 24 x 32 grayscale picture (shape (1, 24, 32), values in [0, 1]) of the
 * ground ahead in the car's own frame, looking down: row 0 is 24 m ahead,
 * row 23 1 m ahead, columns span 8 m to each side (0.5 m each). Road is
 * 0.5, its edges 1, grass 0, and with lanes=2 the centre line between the
 * lanes 0.75. Each pixel's ground point is placed against the centre line
 * (integrated from the curvature as the rgb picture is) by its nearest
 * centre-line sample, so curves, the car's offset and heading all show.
 * The expert still steers by the state.
 *
 * Actions: LaneKeep-v0 has `levels` (default 7) steering angles evenly
 * spaced in [-0.3, 0.3] rad (action 0 = hard right, levels-1 = hard left);
 * LaneKeepContinuous-v0 takes a in [-1, 1] (clipped), delta = 0.3 a.
 *
 * The expert is a Stanley-type geometric controller with curvature
 * feed-forward, computed from exactly what the observation shows:
 *     delta* = atan(L kappa(s)) - psi - atan(0.1 d)
 * (critically damped, 1/e time 0.5 s, for the linearised car), rounded to
 * the nearest level or scaled to [-1, 1]. Because it is a function of the
 * observation, a cloned policy can in principle match it exactly; what it
 * cannot learn from expert data alone is how to come back from offsets the
 * expert never reaches. */
#include <math.h>
#include <string.h>

#include "envs/control.h"

#define SPEED 10.0     /* m/s */
#define WHEELBASE 2.5  /* m */
#define DT 0.1         /* s per step */
#define HALF_WIDTH 2.0 /* m from the centre line to the edge */
#define KAPPA_MAX 0.05 /* 1/m */
#define KNOT_SPACING 25.0
#define MAX_STEER 0.3 /* rad */
#define N_AHEAD 4
#define OBS_DIM (2 + N_AHEAD)
#define OBS_DIM_MAX (OBS_DIM + 1) /* lanes=2 adds which lane the car is in */

static const double ahead_m[N_AHEAD] = {0, 5, 10, 20};

/* obs=camera: a CAM_H x CAM_W picture, CAM_ROW_M per row from 1 m ahead,
 * CAM_COL_M per column */
#define CAM_H 24
#define CAM_W 32
#define CAM_N (CAM_H * CAM_W)
#define CAM_ROW_M 1.0
#define CAM_COL_M 0.5
#define CAM_SAMPLES 32 /* centre-line samples, 1 m apart, from 3 m behind */

enum { KNOT_CACHE = 8 };

typedef struct lanekeep {
  double s, d, psi;
  uint64_t key;      /* the road */
  int64_t knot_base; /* knots[j] is knot (knot_base + j) of this road */
  double knots[KNOT_CACHE];
  double steer; /* last steering angle, for pictures */
  int continuous;
  int levels;
  int lanes;  /* 1, or 2: an oncoming lane to the left of the car's own */
  int camera; /* obs=camera */
  float obs_low[OBS_DIM_MAX], obs_high[OBS_DIM_MAX], act_low[1], act_high[1];
  float cam_low[CAM_N], cam_high[CAM_N];
} lanekeep;

/* ---- the road ----------------------------------------------------------- */

static inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* Knot i's value, uniform in [-1, 1). */
static inline double knot(uint64_t key, int64_t i) {
  const uint64_t h = splitmix64(key ^ splitmix64((uint64_t)i));
  return (double)(h >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* The uniform cubic B-spline over knots c0..c3 at t in [0, 1), scaled to
 * curvature (the basis functions' common 1/6 is folded into the scale). */
static inline double bspline(double t, double c0, double c1, double c2, double c3) {
  const double t2 = t * t, t3 = t2 * t, mt = 1 - t;
  const double sum = mt * mt * mt * c0 + (3 * t3 - 6 * t2 + 4) * c1 +
                     (-3 * t3 + 3 * t2 + 3 * t + 1) * c2 + t3 * c3;
  return sum * (KAPPA_MAX / 6);
}

/* The road's curvature at arc length s (1/m), from the hash alone. */
static double curvature(uint64_t key, double s) {
  const double u = s * (1.0 / KNOT_SPACING), fl = floor(u);
  const int64_t i = (int64_t)fl;
  return bspline(u - fl, knot(key, i - 1), knot(key, i), knot(key, i + 1), knot(key, i + 2));
}

/* ---- the class -------------------------------------------------------- */

static void refill_knots(lanekeep *k, int64_t base) {
  k->knot_base = base;
  for (int j = 0; j < KNOT_CACHE; j++) k->knots[j] = knot(k->key, base + j);
}

/* The same value as curvature(), through the car's window of cached knots
 * (the car only looks a few knots ahead, so the window moves every hundred
 * metres). */
static double curvature_at(lanekeep *k, double s) {
  const double u = s * (1.0 / KNOT_SPACING), fl = floor(u);
  const int64_t i = (int64_t)fl;
  if (i - 1 < k->knot_base || i + 2 >= k->knot_base + KNOT_CACHE) refill_knots(k, i - 1);
  const double *c = k->knots + (i - 1 - k->knot_base);
  return bspline(u - fl, c[0], c[1], c[2], c[3]);
}

static mimic_status lk_init_common(mimic_env_spec *spec, lanekeep *k, mimic_kv *opts) {
  long long horizon, lanes;
  MIMIC_TRY(mimic_kv_int(opts, "horizon", 400, 1, 1LL << 30, &horizon));
  MIMIC_TRY(mimic_kv_int(opts, "lanes", 1, 1, 2, &lanes));
  spec->max_steps = (int)horizon;
  k->lanes = (int)lanes;
  refill_knots(k, -1);       /* road 0 until the first reset */
  k->obs_low[0] = -INFINITY; /* off the road the offset keeps growing */
  k->obs_high[0] = INFINITY;
  k->obs_low[1] = (float)-M_PI;
  k->obs_high[1] = (float)M_PI;
  for (int i = 0; i < N_AHEAD; i++) {
    k->obs_low[2 + i] = -1;
    k->obs_high[2 + i] = 1;
  }
  k->obs_low[OBS_DIM] = 0; /* the lane: 0 the car's own, 1 the oncoming one */
  k->obs_high[OBS_DIM] = 1;
  spec->obs_space = mimic_space_box(OBS_DIM + (k->lanes - 1), k->obs_low, k->obs_high);
  const char *obs = mimic_kv_str(opts, "obs", "state");
  if (strcmp(obs, "camera") == 0) {
    k->camera = 1;
    for (int i = 0; i < CAM_N; i++) k->cam_low[i] = 0, k->cam_high[i] = 1;
    spec->obs_space = mimic_space_box(CAM_N, k->cam_low, k->cam_high);
    spec->obs_space.ndim = 3;
    spec->obs_space.shape[0] = 1;
    spec->obs_space.shape[1] = CAM_H;
    spec->obs_space.shape[2] = CAM_W;
  } else if (strcmp(obs, "state") != 0) {
    return mimic_fail(MIMIC_ERR_INVALID, "option obs=%s: LaneKeep observes 'state' or 'camera'",
                      obs);
  }
  return MIMIC_OK;
}

static mimic_status lk_init_discrete(mimic_env *env, void *impl, const void *user, mimic_kv *opts,
                                     mimic_env_spec *spec) {
  lanekeep *k = impl;
  long long levels;
  MIMIC_TRY(mimic_kv_int(opts, "levels", 7, 3, 101, &levels));
  if (levels % 2 == 0)
    return mimic_fail(MIMIC_ERR_INVALID, "option levels=%lld must be odd (so 'straight' is one)",
                      levels);
  k->levels = (int)levels;
  spec->action_space = mimic_space_discrete(k->levels);
  return lk_init_common(spec, k, opts);
}

static mimic_status lk_init_continuous(mimic_env *env, void *impl, const void *user, mimic_kv *opts,
                                       mimic_env_spec *spec) {
  lanekeep *k = impl;
  k->continuous = 1;
  k->act_low[0] = -1;
  k->act_high[0] = 1;
  spec->action_space = mimic_space_box(1, k->act_low, k->act_high);
  return lk_init_common(spec, k, opts);
}

/* In the oncoming lane (lanes=2): left of the centre line at d = w. */
static inline bool oncoming(const lanekeep *k) { return k->lanes == 2 && k->d > HALF_WIDTH; }

/* With two lanes the car sees the lane it is in, as a lane camera does: the
 * offset is from that lane's centre, and a separate value says which lane
 * it is. An oncoming lane therefore looks like the car's own except for
 * that value, which the expert's demonstrations never show set. */
static void lk_camera(lanekeep *k, float *img);

static void lk_obs(lanekeep *k, float *obs) {
  if (k->camera) {
    lk_camera(k, obs);
    return;
  }
  const bool other = oncoming(k);
  obs[0] = (float)((other ? k->d - 2 * HALF_WIDTH : k->d) / HALF_WIDTH);
  obs[1] = (float)k->psi;
  for (int i = 0; i < N_AHEAD; i++)
    obs[2 + i] = (float)(curvature_at(k, k->s + ahead_m[i]) / KAPPA_MAX);
  if (k->lanes == 2) obs[OBS_DIM] = other ? 1.0f : 0.0f;
}

/* On the road: within w of the own lane's centre, or (lanes=2) of the
 * oncoming lane's, 2w to its left. */
static inline bool on_road(const lanekeep *k) {
  return k->d >= -HALF_WIDTH && k->d <= (2 * k->lanes - 1) * HALF_WIDTH;
}

static mimic_status lk_reset(void *impl, mimic_rng *rng, mimic_kv *opts, float *obs) {
  lanekeep *k = impl;
  double d, psi;
  MIMIC_TRY(mimic_kv_double(opts, "offset", 0, -HALF_WIDTH, (2 * k->lanes - 1) * HALF_WIDTH, &d));
  MIMIC_TRY(mimic_kv_double(opts, "heading", 0, -M_PI / 2, M_PI / 2, &psi));
  k->d = d;
  k->psi = psi;
  k->key = mimic_rng_next64(rng);
  refill_knots(k, -1);
  k->s = 0;
  k->steer = 0;
  lk_obs(k, obs);
  return MIMIC_OK;
}

/* The Frenet-frame derivatives for steering curvature c = tan(delta) / L. */
static inline void deriv(lanekeep *k, double s, double d, double psi, double c, double *ds,
                         double *dd, double *dpsi) {
  const double kap = curvature_at(k, s);
  double den = 1 - kap * d;
  if (den < 0.1) den = 0.1; /* only reachable far off the road */
  *ds = SPEED * cos(psi) / den;
  *dd = SPEED * sin(psi);
  *dpsi = SPEED * c - kap * *ds;
}

static mimic_status lk_step(void *impl, const float *action, float *obs, double *reward,
                            bool *terminated) {
  lanekeep *k = impl;
  double delta;
  if (k->continuous)
    delta = MAX_STEER * ENV_CLIP((double)action[0], -1.0, 1.0);
  else
    delta = MAX_STEER * (2.0 * (int)action[0] / (k->levels - 1) - 1.0);
  const double c = tan(delta) / WHEELBASE;
  double ds1, dd1, dp1, ds2, dd2, dp2;
  deriv(k, k->s, k->d, k->psi, c, &ds1, &dd1, &dp1);
  const double h = DT / 2;
  deriv(k, k->s + h * ds1, k->d + h * dd1, k->psi + h * dp1, c, &ds2, &dd2, &dp2);
  k->s += DT * ds2;
  k->d += DT * dd2;
  k->psi += DT * dp2;
  if (k->psi > M_PI) k->psi -= 2 * M_PI;
  if (k->psi < -M_PI) k->psi += 2 * M_PI;
  k->steer = delta;
  *terminated = !on_road(k);
  *reward = !*terminated && !oncoming(k) ? 1.0 : 0.0;
  lk_obs(k, obs);
  return MIMIC_OK;
}

/* The camera picture (see the top). Centre-line samples c_i with unit
 * heading h_i are integrated in the road's frame at the car's station
 * (x right, y along the road); the car stands at (-d, 0) heading psi. */
static void lk_camera(lanekeep *k, float *img) {
  double cx[CAM_SAMPLES], cy[CAM_SAMPLES], hx[CAM_SAMPLES], hy[CAM_SAMPLES];
  const int i0 = 3; /* sample i0 is at the car's station */
  cx[i0] = cy[i0] = hx[i0] = 0;
  hy[i0] = 1;
  double th = 0;
  for (int i = i0 + 1; i < CAM_SAMPLES; i++) {
    th += curvature_at(k, k->s + (i - i0 - 0.5));
    hx[i] = -sin(th);
    hy[i] = cos(th);
    cx[i] = cx[i - 1] + (hx[i] + hx[i - 1]) / 2;
    cy[i] = cy[i - 1] + (hy[i] + hy[i - 1]) / 2;
  }
  th = 0;
  for (int i = i0 - 1; i >= 0; i--) {
    th -= curvature(k->key, k->s + (i - i0 + 0.5));
    hx[i] = -sin(th);
    hy[i] = cos(th);
    cx[i] = cx[i + 1] - (hx[i] + hx[i + 1]) / 2;
    cy[i] = cy[i + 1] - (hy[i] + hy[i + 1]) / 2;
  }
  const double fx = -sin(k->psi), fy = cos(k->psi); /* the car's forward */
  const double lx = -fy, ly = fx;                   /* and its left */
  const double right_edge = -HALF_WIDTH, left_edge = (2 * k->lanes - 1) * HALF_WIDTH;
  for (int r = 0; r < CAM_H; r++) {
    const double ahead = (CAM_H - r) * CAM_ROW_M;
    for (int c = 0; c < CAM_W; c++) {
      const double left = ((CAM_W - 1) / 2.0 - c) * CAM_COL_M;
      const double px = -k->d + ahead * fx + left * lx, py = ahead * fy + left * ly;
      int best = 0;
      double bd = INFINITY;
      for (int i = 0; i < CAM_SAMPLES; i++) {
        const double dx = px - cx[i], dy = py - cy[i], d2 = dx * dx + dy * dy;
        if (d2 < bd) bd = d2, best = i;
      }
      /* lateral offset from the centre line, left positive: along the
       * sample's left normal (-hy, hx) */
      const double lat = (px - cx[best]) * -hy[best] + (py - cy[best]) * hx[best];
      float v = 0.0f;
      if (fabs(lat - right_edge) < 0.25 || fabs(lat - left_edge) < 0.25)
        v = 1.0f;
      else if (k->lanes == 2 && fabs(lat - HALF_WIDTH) < 0.2)
        v = 0.75f;
      else if (lat > right_edge && lat < left_edge)
        v = 0.5f;
      img[r * CAM_W + c] = v;
    }
  }
}

/* Stanley-type steering with curvature feed-forward (see the top). */
static double expert_delta(lanekeep *k) {
  const double kap = curvature_at(k, k->s);
  return atan(WHEELBASE * kap) - k->psi - atan(0.1 * k->d);
}

static mimic_status lk_expert(void *impl, float *action) {
  lanekeep *k = impl;
  const double a = ENV_CLIP(expert_delta(k) / MAX_STEER, -1.0, 1.0);
  if (k->continuous) {
    action[0] = (float)a;
  } else {
    const double half = (k->levels - 1) / 2.0;
    action[0] = (float)lround(a * half + half);
  }
  return MIMIC_OK;
}

static int lk_get_state(const void *impl, double *s, int cap) {
  const lanekeep *k = impl;
  const double v[5] = {k->s, k->d, k->psi, (double)(k->key >> 32), (double)(k->key & 0xffffffffu)};
  for (int i = 0; i < 5 && i < cap; i++) s[i] = v[i];
  return 5;
}

static mimic_status lk_set_state(void *impl, const double *s, int n) {
  lanekeep *k = impl;
  if (n != 3 && n != 5)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "LaneKeep state has 3 values (s, offset, heading) and "
                      "optionally the road key's two 32-bit halves, got %d",
                      n);
  for (int i = 0; i < n; i++)
    if (!isfinite(s[i])) return mimic_fail(MIMIC_ERR_RANGE, "LaneKeep state[%d] is not finite", i);
  if (n == 5) {
    for (int i = 3; i < 5; i++)
      if (s[i] < 0 || s[i] > 4294967295.0 || s[i] != floor(s[i]))
        return mimic_fail(MIMIC_ERR_RANGE, "LaneKeep state[%d] is not a 32-bit road key half", i);
    k->key = (uint64_t)s[3] << 32 | (uint64_t)s[4];
  }
  refill_knots(k, (int64_t)floor(s[0] / KNOT_SPACING) - 1);
  k->s = s[0];
  k->d = s[1];
  k->psi = s[2];
  return MIMIC_OK;
}

/* A straightened view of the road ahead: each row is 2.5 m, '|' the edges,
 * ':' the centre line, 'A' the car, '!' the car off the road. */
static mimic_status lk_render_text(void *impl, char *buf, size_t cap) {
  const lanekeep *k = impl;
  size_t n = 0;
  const bool other = oncoming(k); /* lanes=2: the picture shows the lane the car is in */
  MIMIC_TRY(env_ctl_text(buf, cap, &n,
                         "LaneKeep  s=%.1f m  offset=%+.2f m  heading=%+.1f deg  "
                         "steer=%+.2f rad%s\n",
                         k->s, k->d, k->psi * 180 / M_PI, k->steer,
                         other ? "  IN THE ONCOMING LANE" : ""));
  enum { COLS = 21, ROWS = 9 };
  for (int r = ROWS - 1; r >= 0; r--) {
    char line[COLS + 1];
    memset(line, ' ', COLS);
    line[COLS] = 0;
    line[0] = line[COLS - 1] = '|';
    line[COLS / 2] = ':';
    const double ahead = 2.5 * r, kap = curvature(k->key, k->s + ahead);
    if (r == 0) {
      const double d = other ? k->d - 2 * HALF_WIDTH : k->d;
      int c = COLS / 2 - (int)lround(d / HALF_WIDTH * (COLS / 2));
      const bool off = c < 0 || c >= COLS;
      c = c < 0 ? 0 : c >= COLS ? COLS - 1 : c;
      line[c] = off ? '!' : 'A';
    }
    MIMIC_TRY(env_ctl_text(buf, cap, &n, "%s  %+5.1f m  curvature %+.4f /m %s\n", line, ahead, kap,
                           kap > 0.005    ? "(left)"
                           : kap < -0.005 ? "(right)"
                                          : ""));
  }
  return MIMIC_OK;
}

/* A top-down picture 400x400 at 5 px/m, the road's tangent at the car
 * pointing up: grey road, white edges, yellow centre dashes, red car. */
static mimic_status lk_render_rgb(void *impl, uint8_t *rgb, int *w, int *h) {
  const lanekeep *k = impl;
  env_raster r;
  MIMIC_TRY(env_raster_begin(&r, rgb, w, h, 400, 400));
  if (!rgb) return MIMIC_OK;
  const double scale = 5, ox = 200, oy = 300, step = 1.0;
  enum { N = 101 }; /* centre-line samples from 20 m behind to 80 m ahead */
  double px[N], py[N], hx[N], hy[N];
  /* integrate the centre line from the car's station in the local frame */
  const int i0 = 20;
  px[i0] = 0;
  py[i0] = 0;
  hx[i0] = 0;
  hy[i0] = 1;
  double th = 0;
  for (int i = i0 + 1; i < N; i++) {
    const double kap = curvature(k->key, k->s + (i - i0 - 0.5) * step);
    th += kap * step;
    hx[i] = -sin(th);
    hy[i] = cos(th);
    px[i] = px[i - 1] + step * (hx[i] + hx[i - 1]) / 2;
    py[i] = py[i - 1] + step * (hy[i] + hy[i - 1]) / 2;
  }
  th = 0;
  for (int i = i0 - 1; i >= 0; i--) {
    const double kap = curvature(k->key, k->s + (i - i0 + 0.5) * step);
    th -= kap * step;
    hx[i] = -sin(th);
    hy[i] = cos(th);
    px[i] = px[i + 1] - step * (hx[i] + hx[i + 1]) / 2;
    py[i] = py[i + 1] - step * (hy[i] + hy[i + 1]) / 2;
  }
#define SX(x) (ox + scale * (x))
#define SY(y) (oy - scale * (y))
  env_raster_clear(&r, 0x3c8c3c);
  for (int i = 0; i + 1 < N; i++) {
    /* the normal (left) of heading (hx, hy) is (-hy, hx) */
    const double q[8] = {
        SX(px[i] - HALF_WIDTH * hy[i]),         SY(py[i] + HALF_WIDTH * hx[i]),
        SX(px[i + 1] - HALF_WIDTH * hy[i + 1]), SY(py[i + 1] + HALF_WIDTH * hx[i + 1]),
        SX(px[i + 1] + HALF_WIDTH * hy[i + 1]), SY(py[i + 1] - HALF_WIDTH * hx[i + 1]),
        SX(px[i] + HALF_WIDTH * hy[i]),         SY(py[i] - HALF_WIDTH * hx[i])};
    env_raster_poly(&r, q, 4, 0x606060);
  }
  for (int i = 0; i + 1 < N; i++) {
    for (int side = -1; side <= 1; side += 2)
      env_raster_line(&r, SX(px[i] + side * HALF_WIDTH * hy[i]),
                      SY(py[i] - side * HALF_WIDTH * hx[i]),
                      SX(px[i + 1] + side * HALF_WIDTH * hy[i + 1]),
                      SY(py[i + 1] - side * HALF_WIDTH * hx[i + 1]), 2, 0xffffff);
    if (i % 4 < 2)
      env_raster_line(&r, SX(px[i]), SY(py[i]), SX(px[i + 1]), SY(py[i + 1]), 1.5, 0xe0c000);
  }
  /* the car: 4.2 m x 1.8 m, rear axle at offset d, heading psi (left = +) */
  const double cx = -k->d, cy = 0;                  /* lateral offset d is to the left, i.e. -x */
  const double ux = -sin(k->psi), uy = cos(k->psi); /* forward */
  const double vx = uy, vy = -ux;                   /* right */
  const double body[4][2] = {{-0.9, -0.9}, {3.3, -0.9}, {3.3, 0.9}, {-0.9, 0.9}};
  double q[8];
  for (int i = 0; i < 4; i++) {
    q[2 * i] = SX(cx + body[i][0] * ux + body[i][1] * vx);
    q[2 * i + 1] = SY(cy + body[i][0] * uy + body[i][1] * vy);
  }
  env_raster_poly(&r, q, 4, 0xd02020);
#undef SX
#undef SY
  return MIMIC_OK;
}

const mimic_env_class mimic_lanekeep_class = {
    .id = "LaneKeep-v0",
    .summary = "keep a car on a winding road, discrete steering (compounding-error testbed)",
    .options_help = "horizon=T steps (default 400), levels=N odd steering levels (default 7), "
                    "lanes=2 adds an oncoming lane the car can drift into, obs=camera observes "
                    "a 24x32 picture of the road ahead instead of the numbers",
    .impl_size = sizeof(lanekeep),
    .max_episode_steps = 400,
    .reward_threshold = NAN,
    .success = MIMIC_SUCCESS_SURVIVE,
    .init = lk_init_discrete,
    .reset = lk_reset,
    .step = lk_step,
    .expert = lk_expert,
    .get_state = lk_get_state,
    .set_state = lk_set_state,
    .render_text = lk_render_text,
    .render_rgb = lk_render_rgb,
};

static const char *const dim_names[] = {"steering"};

const mimic_env_class mimic_lanekeep_continuous_class = {
    .id = "LaneKeepContinuous-v0",
    .summary = "keep a car on a winding road, continuous steering in [-1, 1]",
    .options_help = "horizon=T steps (default 400), lanes=2 adds an oncoming lane, obs=camera "
                    "observes a 24x32 picture of the road ahead",
    .impl_size = sizeof(lanekeep),
    .max_episode_steps = 400,
    .reward_threshold = NAN,
    .success = MIMIC_SUCCESS_SURVIVE,
    .action_names = dim_names,
    .init = lk_init_continuous,
    .reset = lk_reset,
    .step = lk_step,
    .expert = lk_expert,
    .get_state = lk_get_state,
    .set_state = lk_set_state,
    .render_text = lk_render_text,
    .render_rgb = lk_render_rgb,
};
