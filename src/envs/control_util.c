/* Helpers shared by the classic-control environments (see control.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "envs/control.h"

double (*volatile env_ctl_pow)(double, double) = pow;
float (*volatile env_ctl_powf)(float, float) = powf;

mimic_status env_ctl_reset_bounds(mimic_kv *opts, double def_lo, double def_hi, double *lo,
                                  double *hi) {
  MIMIC_TRY(mimic_kv_double(opts, "low", def_lo, -HUGE_VAL, HUGE_VAL, lo));
  MIMIC_TRY(mimic_kv_double(opts, "high", def_hi, -HUGE_VAL, HUGE_VAL, hi));
  if (*lo > *hi)
    return mimic_fail(MIMIC_ERR_RANGE, "reset option low=%g must not exceed high=%g", *lo, *hi);
  return MIMIC_OK;
}

mimic_status env_ctl_numpy_option(mimic_kv *opts, int *numpy1) {
  long long v;
  MIMIC_TRY(mimic_kv_int(opts, "numpy", 2, 1, 2, &v));
  *numpy1 = v == 1;
  return MIMIC_OK;
}

mimic_status env_ctl_fixed_horizon_option(mimic_kv *opts, bool *on) {
  long long v;
  MIMIC_TRY(mimic_kv_int(opts, "fixed_horizon", 0, 0, 1, &v));
  *on = v == 1;
  return MIMIC_OK;
}

mimic_status env_ctl_text(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(buf + *len, *len < cap ? cap - *len : 0, fmt, ap);
  va_end(ap);
  if (k < 0 || *len + (size_t)k >= cap)
    return mimic_fail(MIMIC_ERR_INVALID, "text picture needs more than %zu bytes", cap);
  *len += (size_t)k;
  return MIMIC_OK;
}

static int cell(double f, int width) {
  if (!(f >= 0)) f = 0; /* also NaN */
  if (f > 1) f = 1;
  int c = (int)(f * (width - 1) + 0.5);
  return c < 0 ? 0 : c > width - 1 ? width - 1 : c;
}

mimic_status env_ctl_track(char *buf, size_t cap, size_t *len, int width, double f, char mark,
                           double f2, char m2) {
  char line[256];
  if (width < 3) width = 3;
  if (width > (int)sizeof line - 1) width = (int)sizeof line - 1;
  for (int i = 0; i < width; i++) line[i] = '-';
  line[0] = line[width - 1] = '|';
  if (f2 >= 0) line[cell(f2, width)] = m2;
  line[cell(f, width)] = mark;
  line[width] = 0;
  return env_ctl_text(buf, cap, len, "%s\n", line);
}
