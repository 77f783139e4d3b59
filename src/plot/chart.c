/* Line charts: series, bands, reference lines, log axes, a legend.
 *
 * A chart keeps copies of its data until it is saved, then maps data to
 * pixels once. Colours come from a fixed palette (matplotlib's tab10), so
 * the same series order gives the same colours in every chart mimic draws. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/plot.h"
#include "plot/canvas.h"

#define CHART_W 800
#define CHART_H 500
#define MAX_SERIES 32

typedef struct series {
  char name[64];
  double *x, *y;
  int n;
  bool markers;
  double *band_lo, *band_hi, *band_x;
  int band_n;
  bool is_hline;
  double hline_y;
} series;

struct mimic_plot {
  char title[128], xlabel[64], ylabel[64];
  series s[MAX_SERIES];
  int ns;
  bool log_x, log_y;
  bool fixed_y;
  double ylo, yhi;
};

static const double palette[10][3] = {
    {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
    {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
    {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812}};

mimic_plot *mimic_plot_new(const char *title, const char *xlabel, const char *ylabel) {
  mimic_plot *p = mimic_calloc(1, sizeof *p, "a chart");
  if (!p) return NULL;
  snprintf(p->title, sizeof p->title, "%s", title ? title : "");
  snprintf(p->xlabel, sizeof p->xlabel, "%s", xlabel ? xlabel : "");
  snprintf(p->ylabel, sizeof p->ylabel, "%s", ylabel ? ylabel : "");
  return p;
}

void mimic_plot_free(mimic_plot *p) {
  if (!p) return;
  for (int i = 0; i < p->ns; i++) {
    free(p->s[i].x);
    free(p->s[i].y);
    free(p->s[i].band_x);
    free(p->s[i].band_lo);
    free(p->s[i].band_hi);
  }
  free(p);
}

static double *copy_doubles(const double *v, int n) {
  double *c = mimic_malloc((size_t)(n > 0 ? n : 1) * sizeof *c, "chart data");
  if (c && n > 0) memcpy(c, v, (size_t)n * sizeof *c);
  return c;
}

static series *new_series(mimic_plot *p, const char *name) {
  if (p->ns >= MAX_SERIES) {
    mimic_fail(MIMIC_ERR_INVALID, "a chart holds at most %d series", MAX_SERIES);
    return NULL;
  }
  series *s = &p->s[p->ns++];
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "%s", name ? name : "");
  return s;
}

mimic_status mimic_plot_line(mimic_plot *p, const char *name, const double *x, const double *y,
                             int n, bool markers) {
  if (n < 0) return mimic_fail(MIMIC_ERR_INVALID, "negative point count");
  series *s = new_series(p, name);
  if (!s) return MIMIC_ERR_INVALID;
  s->x = copy_doubles(x, n);
  s->y = copy_doubles(y, n);
  s->n = n;
  s->markers = markers;
  return s->x && s->y ? MIMIC_OK : MIMIC_ERR_NOMEM;
}

mimic_status mimic_plot_band(mimic_plot *p, const double *x, const double *lo, const double *hi,
                             int n) {
  if (p->ns == 0 || p->s[p->ns - 1].is_hline)
    return mimic_fail(MIMIC_ERR_INVALID, "a band belongs to a line: add the line first");
  series *s = &p->s[p->ns - 1];
  free(s->band_x);
  free(s->band_lo);
  free(s->band_hi);
  s->band_x = copy_doubles(x, n);
  s->band_lo = copy_doubles(lo, n);
  s->band_hi = copy_doubles(hi, n);
  s->band_n = n;
  return s->band_x && s->band_lo && s->band_hi ? MIMIC_OK : MIMIC_ERR_NOMEM;
}

mimic_status mimic_plot_hline(mimic_plot *p, const char *name, double y) {
  series *s = new_series(p, name);
  if (!s) return MIMIC_ERR_INVALID;
  s->is_hline = true;
  s->hline_y = y;
  return MIMIC_OK;
}

void mimic_plot_log_axes(mimic_plot *p, bool log_x, bool log_y) {
  p->log_x = log_x;
  p->log_y = log_y;
}

void mimic_plot_ylim(mimic_plot *p, double lo, double hi) {
  p->fixed_y = true;
  p->ylo = lo;
  p->yhi = hi;
}

/* Data value to axis value (log10 on log axes; NaN when not drawable). */
static double axis_value(double v, bool log_axis) {
  if (!isfinite(v)) return NAN;
  if (log_axis) return v > 0 ? log10(v) : NAN;
  return v;
}

static void extend(double v, double *lo, double *hi) {
  if (v != v) return;
  if (v < *lo) *lo = v;
  if (v > *hi) *hi = v;
}

typedef struct frame {
  double x0, y0, x1, y1; /* pixel box of the plotting area */
  double xlo, xhi, ylo, yhi;
} frame;

static double px(const frame *f, double v) {
  return f->x0 + (v - f->xlo) / (f->xhi - f->xlo) * (f->x1 - f->x0);
}
static double py(const frame *f, double v) {
  return f->y1 - (v - f->ylo) / (f->yhi - f->ylo) * (f->y1 - f->y0);
}

static void data_range(const mimic_plot *p, frame *f) {
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (int i = 0; i < p->ns; i++) {
    const series *s = &p->s[i];
    if (s->is_hline) {
      extend(axis_value(s->hline_y, p->log_y), &ylo, &yhi);
      continue;
    }
    for (int k = 0; k < s->n; k++) {
      double xv = axis_value(s->x[k], p->log_x), yv = axis_value(s->y[k], p->log_y);
      if (xv != xv || yv != yv) continue;
      extend(xv, &xlo, &xhi);
      extend(yv, &ylo, &yhi);
    }
    for (int k = 0; k < s->band_n; k++) {
      extend(axis_value(s->band_lo[k], p->log_y), &ylo, &yhi);
      extend(axis_value(s->band_hi[k], p->log_y), &ylo, &yhi);
    }
  }
  if (!(xlo <= xhi)) xlo = 0, xhi = 1;
  if (!(ylo <= yhi)) ylo = 0, yhi = 1;
  if (xhi == xlo) xlo -= 0.5, xhi += 0.5;
  if (yhi == ylo)
    ylo -= fabs(ylo) > 0 ? 0.1 * fabs(ylo) : 0.5, yhi += fabs(yhi) > 0 ? 0.1 * fabs(yhi) : 0.5;
  if (p->fixed_y)
    ylo = axis_value(p->ylo, p->log_y), yhi = axis_value(p->yhi, p->log_y);
  else {
    double pad = 0.05 * (yhi - ylo);
    ylo -= pad;
    yhi += pad;
  }
  f->xlo = xlo;
  f->xhi = xhi;
  f->ylo = ylo;
  f->yhi = yhi;
}

static void draw_axes(cairo_t *cr, const mimic_plot *p, const frame *f) {
  double ticks[32], step;
  char label[64];
  cairo_set_line_width(cr, 1);
  for (int axis = 0; axis < 2; axis++) {
    bool is_x = axis == 0, log_axis = is_x ? p->log_x : p->log_y;
    double lo = is_x ? f->xlo : f->ylo, hi = is_x ? f->xhi : f->yhi;
    int n = plot_nice_ticks(lo, hi, is_x ? 8 : 6, ticks, 32, &step);
    if (log_axis) { /* 1-2-5 steps over a few decades, decades over many */
      n = 0;
      bool fine = hi - lo < 2.5;
      for (double d = floor(lo); d <= hi && n < 32; d += 1)
        for (int k = 0; k < 3 && n < 32; k++) {
          if (!fine && k > 0) break;
          double t = d + log10((double[]){1, 2, 5}[k]);
          if (t >= lo - 1e-9 && t <= hi + 1e-9) ticks[n++] = t;
        }
      step = 1;
    }
    for (int k = 0; k < n; k++) {
      double v = log_axis ? pow(10, ticks[k]) : ticks[k];
      plot_format_tick(label, sizeof label, v, log_axis ? v : step);
      cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
      if (is_x) {
        double x = px(f, ticks[k]);
        cairo_move_to(cr, x, f->y0);
        cairo_line_to(cr, x, f->y1);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        plot_text(cr, x, f->y1 + 6, 0.5, 0, 12, label);
      } else {
        double y = py(f, ticks[k]);
        cairo_move_to(cr, f->x0, y);
        cairo_line_to(cr, f->x1, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        plot_text(cr, f->x0 - 6, y, 1, 0.5, 12, label);
      }
    }
  }
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_rectangle(cr, f->x0, f->y0, f->x1 - f->x0, f->y1 - f->y0);
  cairo_stroke(cr);
  plot_text(cr, (f->x0 + f->x1) / 2, 14, 0.5, 0, 16, p->title);
  plot_text(cr, (f->x0 + f->x1) / 2, CHART_H - 10, 0.5, 1, 13, p->xlabel);
  cairo_save(cr);
  cairo_translate(cr, 16, (f->y0 + f->y1) / 2);
  cairo_rotate(cr, -M_PI / 2);
  plot_text(cr, 0, 0, 0.5, 0, 13, p->ylabel);
  cairo_restore(cr);
}

static void draw_series(cairo_t *cr, const mimic_plot *p, const frame *f) {
  cairo_save(cr);
  cairo_rectangle(cr, f->x0, f->y0, f->x1 - f->x0, f->y1 - f->y0);
  cairo_clip(cr);
  /* reference lines last, over the curves: a learner at the expert's level
   * must not hide the expert's line */
  for (int i = 0; i < p->ns; i++) {
    const series *s = &p->s[i];
    const double *c = palette[i % 10];
    if (s->is_hline) continue;
    if (s->band_n > 1) {
      cairo_set_source_rgba(cr, c[0], c[1], c[2], 0.2);
      int k0 = -1;
      for (int k = 0; k < s->band_n; k++) {
        double x = axis_value(s->band_x[k], p->log_x), y = axis_value(s->band_hi[k], p->log_y);
        if (x != x || y != y) continue;
        if (k0 < 0)
          cairo_move_to(cr, px(f, x), py(f, y)), k0 = k;
        else
          cairo_line_to(cr, px(f, x), py(f, y));
      }
      for (int k = s->band_n - 1; k >= 0; k--) {
        double x = axis_value(s->band_x[k], p->log_x), y = axis_value(s->band_lo[k], p->log_y);
        if (x == x && y == y) cairo_line_to(cr, px(f, x), py(f, y));
      }
      cairo_close_path(cr);
      cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    cairo_set_line_width(cr, 2);
    bool pen_down = false;
    for (int k = 0; k < s->n; k++) {
      double x = axis_value(s->x[k], p->log_x), y = axis_value(s->y[k], p->log_y);
      if (x != x || y != y) {
        pen_down = false;
        continue;
      }
      if (pen_down)
        cairo_line_to(cr, px(f, x), py(f, y));
      else
        cairo_move_to(cr, px(f, x), py(f, y));
      pen_down = true;
    }
    cairo_stroke(cr);
    if (s->markers)
      for (int k = 0; k < s->n; k++) {
        double x = axis_value(s->x[k], p->log_x), y = axis_value(s->y[k], p->log_y);
        if (x != x || y != y) continue;
        cairo_arc(cr, px(f, x), py(f, y), 3.5, 0, 2 * M_PI);
        cairo_fill(cr);
      }
  }
  for (int i = 0; i < p->ns; i++) {
    const series *s = &p->s[i];
    const double *c = palette[i % 10];
    if (!s->is_hline) continue;
    double y = py(f, axis_value(s->hline_y, p->log_y));
    double dash[] = {8, 5};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    cairo_set_line_width(cr, 2.5);
    cairo_move_to(cr, f->x0, y);
    cairo_line_to(cr, f->x1, y);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
  }
  cairo_restore(cr);
}

static void draw_legend(cairo_t *cr, const mimic_plot *p, const frame *f) {
  int shown = 0;
  for (int i = 0; i < p->ns; i++) shown += p->s[i].name[0] != '\0';
  if (!shown) return;
  double x = f->x1 + 12, y = f->y0 + 4;
  for (int i = 0; i < p->ns; i++) {
    if (!p->s[i].name[0]) continue;
    const double *c = palette[i % 10];
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    cairo_set_line_width(cr, p->s[i].is_hline ? 1.5 : 2.5);
    if (p->s[i].is_hline) {
      double dash[] = {6, 4};
      cairo_set_dash(cr, dash, 2, 0);
    }
    cairo_move_to(cr, x, y + 7);
    cairo_line_to(cr, x + 22, y + 7);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    plot_text(cr, x + 28, y + 7, 0, 0.5, 12, p->s[i].name);
    y += 20;
  }
}

mimic_status mimic_plot_save(const mimic_plot *p, const char *path) {
  plot_canvas c;
  MIMIC_TRY(plot_canvas_open(&c, path, CHART_W, CHART_H));
  /* the legend takes the width its longest name needs (up to half the
   * chart), so no name is cut at the image's edge */
  double legend_w = 0;
  cairo_select_font_face(c.cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(c.cr, 12);
  for (int i = 0; i < p->ns; i++) {
    if (!p->s[i].name[0]) continue;
    cairo_text_extents_t te;
    cairo_text_extents(c.cr, p->s[i].name, &te);
    if (12 + 28 + te.x_advance + 12 > legend_w) legend_w = 12 + 28 + te.x_advance + 12;
  }
  if (legend_w > 0 && legend_w < 190) legend_w = 190;
  if (legend_w > CHART_W / 2) legend_w = CHART_W / 2;
  frame f = {.x0 = 80,
             .y0 = 40,
             .x1 = legend_w > 0 ? CHART_W - legend_w : CHART_W - 30,
             .y1 = CHART_H - 60};
  data_range(p, &f);
  draw_axes(c.cr, p, &f);
  draw_series(c.cr, p, &f);
  draw_legend(c.cr, p, &f);
  return plot_canvas_close(&c);
}
