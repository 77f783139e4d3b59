/* Private helpers shared by the classic-control environments and LaneKeep.
 *
 * Gymnasium's numbers depend on a few details that C compilers like to
 * "improve": NumPy evaluates `x**2` on a scalar with libm's pow(), which
 * differs from x*x in about 0.09 % of cases, and GCC folds pow(x, 2.0) into
 * x*x at -O2. Calling pow through a volatile function pointer keeps the real
 * libm call without changing any compiler flag (see the testdata README).
 * The reset-bound parser is Gymnasium's utils.maybe_parse_reset_bounds. */
#ifndef MIMIC_ENVS_CONTROL_H
#define MIMIC_ENVS_CONTROL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "mimic/env_class.h"
#include "envs/raster.h"

/* libm pow/powf, called through volatile pointers so GCC cannot fold them. */
extern double (*volatile env_ctl_pow)(double, double);
extern float (*volatile env_ctl_powf)(float, float);

/* Reads the reset options "low" and "high" (defaults def_lo, def_hi); low
 * must not exceed high, as Gymnasium's maybe_parse_reset_bounds demands. */
mimic_status env_ctl_reset_bounds(mimic_kv *opts, double def_lo, double def_hi, double *lo,
                                  double *hi);

/* Reads the option numpy=1|2 (default 2: NEP 50 promotion, what Gymnasium 1.x
 * computes with NumPy >= 2) into *numpy1 (true for the legacy NumPy 1 rules). */
mimic_status env_ctl_numpy_option(mimic_kv *opts, int *numpy1);

/* Reads the option fixed_horizon=0|1 (default 0) into *on: seals' fixed-length
 * variants for reward learning, where an episode never ends before the time
 * limit, so its length says nothing about how well it went. */
mimic_status env_ctl_fixed_horizon_option(mimic_kv *opts, bool *on);

/* Appends printf-style text to buf at *len (capacity cap); fails when full. */
mimic_status env_ctl_text(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends a one-line track picture of width cells to buf: '|' at both ends,
 * `mark` at fraction f in [0, 1] of the track (clamped), '-' elsewhere,
 * and an optional second mark `m2` at f2 (f2 < 0 for none). */
mimic_status env_ctl_track(char *buf, size_t cap, size_t *len, int width, double f, char mark,
                           double f2, char m2);

/* min(max(x, lo), hi) as NumPy's clip and Python's min/max compute it. */
#define ENV_CLIP(x, lo, hi) ((x) < (lo) ? (lo) : (x) > (hi) ? (hi) : (x))

/* NumPy's floored modulo for doubles (npy_divmod): the result takes the
 * divisor's sign, and a zero result is +0. */
static inline double env_ctl_npy_mod(double a, double b) {
  if (a > 0 && a < b) return a; /* what fmod gives there, without the call */
  double mod = fmod(a, b);
  if (mod != 0) {
    if ((b < 0) != (mod < 0)) mod += b;
  } else {
    mod = copysign(0.0, b);
  }
  return mod;
}

/* ((x + pi) % (2 pi)) - pi in NumPy's float64 arithmetic: Pendulum's
 * angle_normalize, and seals' CartPole angle wrap. */
static inline double env_ctl_angle_normalize(double x) {
  return env_ctl_npy_mod(x + M_PI, 2 * M_PI) - M_PI;
}

/* MountainCar's text line and hill picture, shared by both variants. */
mimic_status env_ctl_mountain_text(char *buf, size_t cap, const char *name, double p, double v,
                                   double goal, double force);
void env_ctl_draw_mountain(env_raster *r, double p, double goal);

#endif
