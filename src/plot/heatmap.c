/* Heat maps: a grid of values as colours (viridis-like ramp) with a colour
 * bar. Used to show a reward recovered by inverse RL over a gridworld. */
#include <math.h>
#include <stdio.h>

#include "mimic/plot.h"
#include "plot/canvas.h"

/* A perceptually ordered ramp through five viridis anchor colours. */
static void ramp(double t, double *r, double *g, double *b) {
  static const double anchors[5][3] = {{0.267, 0.005, 0.329},
                                       {0.231, 0.322, 0.545},
                                       {0.129, 0.569, 0.549},
                                       {0.369, 0.788, 0.384},
                                       {0.993, 0.906, 0.144}};
  if (!(t >= 0)) t = 0;
  if (t > 1) t = 1;
  double pos = t * 4;
  int k = (int)pos;
  if (k >= 4) k = 3;
  double u = pos - k;
  *r = anchors[k][0] + u * (anchors[k + 1][0] - anchors[k][0]);
  *g = anchors[k][1] + u * (anchors[k + 1][1] - anchors[k][1]);
  *b = anchors[k][2] + u * (anchors[k + 1][2] - anchors[k][2]);
}

mimic_status mimic_heatmap_save(const char *path, const char *title, const double *values, int rows,
                                int cols) {
  return mimic_heatmap_save_labelled(path, title, NULL, values, rows, cols);
}

mimic_status mimic_heatmap_save_labelled(const char *path, const char *title, const char *bar_label,
                                         const double *values, int rows, int cols) {
  if (rows <= 0 || cols <= 0) return mimic_fail(MIMIC_ERR_INVALID, "%s: empty heat map", path);
  double lo = INFINITY, hi = -INFINITY;
  for (long i = 0; i < (long)rows * cols; i++)
    if (isfinite(values[i])) {
      if (values[i] < lo) lo = values[i];
      if (values[i] > hi) hi = values[i];
    }
  if (!(lo <= hi)) lo = 0, hi = 1;
  if (hi == lo) hi = lo + 1;
  double cell = 480.0 / (rows > cols ? rows : cols);
  if (cell > 48) cell = 48;
  int w = (int)(cols * cell) + 160 + (bar_label ? 30 : 0), h = (int)(rows * cell) + 80;
  plot_canvas c;
  MIMIC_TRY(plot_canvas_open(&c, path, w, h));
  cairo_t *cr = c.cr;
  double x0 = 30, y0 = 50;
  for (int r = 0; r < rows; r++)
    for (int k = 0; k < cols; k++) {
      double v = values[(long)r * cols + k], cr_, cg, cb;
      if (isfinite(v))
        ramp((v - lo) / (hi - lo), &cr_, &cg, &cb);
      else
        cr_ = cg = cb = 0.55;
      cairo_set_source_rgb(cr, cr_, cg, cb);
      cairo_rectangle(cr, x0 + k * cell, y0 + r * cell, cell, cell);
      cairo_fill(cr);
    }
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  plot_text(cr, w / 2.0, 14, 0.5, 0, 15, title ? title : "");
  /* colour bar */
  double bx = x0 + cols * cell + 30, bh = rows * cell;
  for (int i = 0; i < 100; i++) {
    double r, g, b;
    ramp(1 - i / 99.0, &r, &g, &b);
    cairo_set_source_rgb(cr, r, g, b);
    cairo_rectangle(cr, bx, y0 + i * bh / 100, 20, bh / 100 + 1);
    cairo_fill(cr);
  }
  char label[64];
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  plot_format_tick(label, sizeof label, hi, (hi - lo) / 10);
  plot_text(cr, bx + 26, y0, 0, 0, 11, label);
  plot_format_tick(label, sizeof label, lo, (hi - lo) / 10);
  plot_text(cr, bx + 26, y0 + bh, 0, 1, 11, label);
  if (bar_label) { /* along the bar, read bottom to top */
    cairo_save(cr);
    cairo_translate(cr, bx + 26 + 45, y0 + bh / 2);
    cairo_rotate(cr, -M_PI / 2);
    plot_text(cr, 0, 0, 0.5, 0.5, 12, bar_label);
    cairo_restore(cr);
  }
  return plot_canvas_close(&c);
}
