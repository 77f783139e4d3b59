/* Power-law exponents with bootstrap intervals (see experiments/experiments.h).
 *
 * A growth claim such as "BC's cost grows like T^2" is checked by fitting
 * cost ~ c T^k: the least-squares slope of log(mean cost) against log T.
 * The mean is over seeds, and seeds are the unit that varies between runs
 * (each seed draws its own demonstrations, network and episodes), so the
 * interval comes from resampling seeds: draw as many seeds as there are,
 * with replacement, keep each drawn seed's whole row of horizons (so what a
 * seed does at one horizon stays paired with what it does at the others),
 * average, fit, and take the 2.5 and 97.5 percentiles of the fitted slopes
 * (the percentile bootstrap). Two series measured on the same seeds (BC
 * and DAgger) are resampled with the same draws, which also gives an
 * interval for the difference of their exponents.
 *
 * A horizon whose mean is not positive carries no slope (log 0); a fit
 * over such points would be decided by which horizons happen to be zero,
 * so the exponent is only fitted when every horizon's mean over all seeds
 * is positive. A resample with a zero mean somewhere gives no slope, and
 * when more than one in a thousand resamples give none the interval is
 * left undefined (NAN) rather than quietly narrowed. */
#include "experiments/experiments.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/rng.h"

double mimic_power_exponent(const double *x, const double *y, int n) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < n; i++) {
    if (!(x[i] > 0) || !(y[i] > 0) || !isfinite(y[i])) return NAN;
    const double lx = log(x[i]), ly = log(y[i]);
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
  }
  const double d = n * sxx - sx * sx;
  return n >= 2 && d > 0 ? (n * sxy - sx * sy) / d : NAN;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The q-quantile of sorted v[0..n) with linear interpolation (NumPy's default). */
static double quantile(const double *v, int n, double q) {
  const double h = (n - 1) * q;
  const int i = (int)floor(h);
  return i + 1 < n ? v[i] + (h - i) * (v[i + 1] - v[i]) : v[n - 1];
}

/* The 95 % interval of the B finite values in v (sorted in place); NAN when
 * too many resamples gave no value. */
static void interval(double *v, int b, int resamples, double *lo, double *hi) {
  *lo = *hi = NAN;
  if (b < 1 || (resamples - b) * 1000 > resamples) return;
  qsort(v, (size_t)b, sizeof *v, cmp_double);
  *lo = quantile(v, b, 0.025);
  *hi = quantile(v, b, 0.975);
}

static void seed_means(const double *y, int n, int seeds, const int *pick, double *mean) {
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < seeds; j++) s += y[(size_t)i * (size_t)seeds + (size_t)pick[j]];
    mean[i] = s / seeds;
  }
}

mimic_status mimic_power_bootstrap(const double *x, int n, int seeds, const double *const *series,
                                   int m, int resamples, uint64_t seed, mimic_power_fit *fits,
                                   mimic_power_fit *gap, double *mean_lo, double *mean_hi) {
  if (n < 2 || n > MIMIC_EXPERIMENT_MAX_HORIZONS || seeds < 1 || m < 1 || m > 2 || resamples < 1)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "power-law bootstrap: needs 2 to %d points, >= 1 seed, 1 or 2 series and "
                      ">= 1 resample (got %d, %d, %d, %d)",
                      MIMIC_EXPERIMENT_MAX_HORIZONS, n, seeds, m, resamples);
  const size_t B = (size_t)resamples;
  int *pick = mimic_malloc((size_t)seeds * sizeof *pick, "bootstrap draws");
  double *k = mimic_malloc(3 * B * sizeof *k, "bootstrap slopes");
  double *means = mimic_malloc((size_t)m * (size_t)n * B * sizeof *means, "bootstrap means");
  if (!pick || !k || !means) {
    free(pick);
    free(k);
    free(means);
    return MIMIC_ERR_NOMEM;
  }
  for (int j = 0; j < seeds; j++) pick[j] = j;
  double mean[MIMIC_EXPERIMENT_MAX_HORIZONS];
  for (int s = 0; s < m; s++) {
    seed_means(series[s], n, seeds, pick, mean);
    fits[s].k = mimic_power_exponent(x, mean, n);
  }
  mimic_rng rng;
  mimic_rng_seed(&rng, seed);
  int valid[3] = {0, 0, 0};
  for (size_t b = 0; b < B; b++) {
    for (int j = 0; j < seeds; j++) pick[j] = (int)mimic_rng_integers(&rng, 0, seeds);
    double kb[2];
    for (int s = 0; s < m; s++) {
      seed_means(series[s], n, seeds, pick, mean);
      for (int i = 0; i < n; i++) means[((size_t)s * (size_t)n + (size_t)i) * B + b] = mean[i];
      kb[s] = mimic_power_exponent(x, mean, n);
      if (isfinite(kb[s])) k[(size_t)s * B + (size_t)valid[s]++] = kb[s];
    }
    if (m == 2 && isfinite(kb[0]) && isfinite(kb[1])) k[2 * B + (size_t)valid[2]++] = kb[0] - kb[1];
  }
  for (int s = 0; s < m; s++) {
    if (isfinite(fits[s].k))
      interval(k + (size_t)s * B, valid[s], resamples, &fits[s].lo, &fits[s].hi);
    else
      fits[s].lo = fits[s].hi = NAN;
    for (int i = 0; mean_lo && mean_hi && i < n; i++) {
      double *v = means + ((size_t)s * (size_t)n + (size_t)i) * B;
      qsort(v, B, sizeof *v, cmp_double);
      mean_lo[s * n + i] = quantile(v, resamples, 0.025);
      mean_hi[s * n + i] = quantile(v, resamples, 0.975);
    }
  }
  if (gap) {
    gap->k = m == 2 ? fits[0].k - fits[1].k : NAN;
    gap->lo = gap->hi = NAN;
    if (isfinite(gap->k)) interval(k + 2 * B, valid[2], resamples, &gap->lo, &gap->hi);
  }
  free(pick);
  free(k);
  free(means);
  return MIMIC_OK;
}

mimic_status mimic_bootstrap_mean(const double *y, int seeds, int resamples, uint64_t seed,
                                  double *mean, double *lo, double *hi) {
  if (seeds < 1 || resamples < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "bootstrap: needs >= 1 seed and >= 1 resample");
  int *pick = mimic_malloc((size_t)seeds * sizeof *pick, "bootstrap draws");
  double *v = mimic_malloc((size_t)resamples * sizeof *v, "bootstrap means");
  if (!pick || !v) {
    free(pick);
    free(v);
    return MIMIC_ERR_NOMEM;
  }
  for (int j = 0; j < seeds; j++) pick[j] = j;
  seed_means(y, 1, seeds, pick, mean);
  mimic_rng rng;
  mimic_rng_seed(&rng, seed);
  for (int b = 0; b < resamples; b++) {
    for (int j = 0; j < seeds; j++) pick[j] = (int)mimic_rng_integers(&rng, 0, seeds);
    seed_means(y, 1, seeds, pick, &v[b]);
  }
  qsort(v, (size_t)resamples, sizeof *v, cmp_double);
  *lo = quantile(v, resamples, 0.025);
  *hi = quantile(v, resamples, 0.975);
  free(pick);
  free(v);
  return MIMIC_OK;
}

bool mimic_power_overlap(const mimic_power_fit *a, const mimic_power_fit *b) {
  if (!isfinite(a->lo) || !isfinite(b->lo)) return true; /* an unknown interval cannot separate */
  return a->lo <= b->hi && b->lo <= a->hi;
}
