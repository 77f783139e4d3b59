/* mimic/plot.h: charts people would rather see than read.
 *
 * Line charts (learning curves, returns per round, cost against horizon)
 * with axes, ticks, labels and a legend, optional shaded bands (mean ± std
 * over seeds), reference lines (the expert's level) and log axes; and heat
 * maps (a recovered reward over a grid). Drawn with cairo; the file type
 * follows the extension (.png or .svg) and files are written atomically. */
#ifndef MIMIC_PLOT_H
#define MIMIC_PLOT_H

#include "mimic/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mimic_plot mimic_plot;

/* Starts an empty chart with a title and axis labels (copied). NULL on failure. */
mimic_plot *mimic_plot_new(const char *title, const char *xlabel, const char *ylabel);
/* Frees a chart (NULL is fine). */
void mimic_plot_free(mimic_plot *p);
/* Adds a line through n points (copied); markers draws a dot at each point.
 * Non-finite points are skipped. */
mimic_status mimic_plot_line(mimic_plot *p, const char *name, const double *x, const double *y,
                             int n, bool markers);
/* Adds a shaded band between lo and hi around the most recently added line. */
mimic_status mimic_plot_band(mimic_plot *p, const double *x, const double *lo, const double *hi,
                             int n);
/* Adds a dashed horizontal reference line (e.g. "expert") at y. */
mimic_status mimic_plot_hline(mimic_plot *p, const char *name, double y);
/* Uses a base-10 logarithmic x or y axis (positive values only). */
void mimic_plot_log_axes(mimic_plot *p, bool log_x, bool log_y);
/* Fixes the y range instead of fitting it to the data. */
void mimic_plot_ylim(mimic_plot *p, double lo, double hi);
/* Draws the chart to path (.png or .svg), atomically. */
mimic_status mimic_plot_save(const mimic_plot *p, const char *path);

/* Draws a rows x cols heat map of values (row 0 at the top) with a colour
 * bar; NaN cells are drawn grey (walls). Written to path (.png or .svg). */
mimic_status mimic_heatmap_save(const char *path, const char *title, const double *values, int rows,
                                int cols);
/* mimic_heatmap_save with the colour bar's quantity written beside it
 * ("reward per cell"; NULL for none). */
mimic_status mimic_heatmap_save_labelled(const char *path, const char *title, const char *bar_label,
                                         const double *values, int rows, int cols);

#ifdef __cplusplus
}
#endif
#endif
