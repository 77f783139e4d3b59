/* The compounding experiment's charts (experiments/experiments.h): cost
 * against horizon on log-log axes, where a power law is a straight line and
 * its exponent the slope, and failures against expert labels. Each line is
 * a mean over seeds with its 95 % bootstrap band, so a reader sees how sure
 * the figure is, not only the figure. */
#include <stdio.h>

#include "experiments/experiments.h"
#include "mimic/plot.h"

/* "BC 1.42 [1.30,1.55]": the exponent k and its interval, short enough for the legend */
static void fit_name(char *buf, size_t cap, const char *who, const mimic_power_fit *f) {
  snprintf(buf, cap, "%s %.2f [%.2f,%.2f]", who, f->k, f->lo, f->hi);
}

mimic_status mimic_compounding_plot(const mimic_compounding_result *r, const char *task,
                                    const char *path) {
  enum { N = MIMIC_EXPERIMENT_MAX_HORIZONS };
  double x[N], y[2][N], lo[2][N], hi[2][N];
  for (int i = 0; i < r->n; i++) {
    const mimic_compounding_arm *a[2] = {&r->rows[i].bc, &r->rows[i].dagger};
    x[i] = r->rows[i].horizon;
    for (int m = 0; m < 2; m++) {
      y[m][i] = a[m]->cost;
      lo[m][i] = a[m]->cost_lo;
      hi[m][i] = a[m]->cost_hi;
    }
  }
  char title[160], names[2][96];
  snprintf(title, sizeof title, "%s: cost ~ T^k, k [95%% interval] in the legend (%d seeds)", task,
           r->seeds);
  fit_name(names[0], sizeof names[0], "BC", &r->bc);
  fit_name(names[1], sizeof names[1], "DAgger", &r->dagger);
  mimic_plot *p =
      mimic_plot_new(title, "horizon T (steps)", "cost: steps the learner differs from the expert");
  if (!p) return MIMIC_ERR_NOMEM;
  mimic_plot_log_axes(p, true, true);
  mimic_status st = MIMIC_OK;
  for (int m = 0; m < 2 && st == MIMIC_OK; m++) {
    st = mimic_plot_line(p, names[m], x, y[m], r->n, true);
    if (st == MIMIC_OK) st = mimic_plot_band(p, x, lo[m], hi[m], r->n);
  }
  if (st == MIMIC_OK) st = mimic_plot_save(p, path);
  mimic_plot_free(p);
  return st;
}

mimic_status mimic_compounding_labels_plot(const mimic_compounding_labels_result *r,
                                           const char *task, const char *path) {
  double x[MIMIC_EXPERIMENT_MAX_POINTS];
  for (int i = 0; i < r->n; i++) x[i] = (double)r->labels[i];
  char title[160];
  snprintf(title, sizeof title, "failures on %s at T = %d (%d seeds, 95%% bands)", task, r->horizon,
           r->seeds);
  mimic_plot *p = mimic_plot_new(title, "expert labels", "failures per episode");
  if (!p) return MIMIC_ERR_NOMEM;
  mimic_status st = mimic_plot_line(p, "BC (more demos)", x, r->bc, r->n, true);
  if (st == MIMIC_OK) st = mimic_plot_band(p, x, r->bc_lo, r->bc_hi, r->n);
  if (st == MIMIC_OK) st = mimic_plot_line(p, "DAgger (rounds)", x, r->dagger, r->n, true);
  if (st == MIMIC_OK) st = mimic_plot_band(p, x, r->dagger_lo, r->dagger_hi, r->n);
  if (st == MIMIC_OK) st = mimic_plot_save(p, path);
  mimic_plot_free(p);
  return st;
}
