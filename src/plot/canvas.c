/* Canvas, text and tick helpers for mimic's charts.
 *
 * PNG goes through cairo's stream writer into an atomic file, SVG through
 * an SVG surface on the same stream, so a chart on disk is always whole.
 * Ticks use Heckbert's "nice numbers" (1, 2, 5 times a power of ten). */
#include "plot/canvas.h"
#include "core/util.h"

#include <cairo-svg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static cairo_status_t write_stream(void *closure, const unsigned char *data, unsigned int len) {
  FILE *fp = closure;
  return fwrite(data, 1, len, fp) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

mimic_status plot_canvas_open(plot_canvas *c, const char *path, int w, int h) {
  memset(c, 0, sizeof *c);
  c->path = path;
  c->svg = mimic_ends_with(path, ".svg");
  if (!c->svg && !mimic_ends_with(path, ".png"))
    return mimic_fail(MIMIC_ERR_INVALID, "%s: charts are written as .png or .svg", path);
  MIMIC_TRY(mimic_atomic_open(&c->file, path));
  if (c->svg)
    c->surface = cairo_svg_surface_create_for_stream(write_stream, c->file.fp, w, h);
  else
    c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
  if (cairo_surface_status(c->surface) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(c->surface);
    mimic_atomic_abort(&c->file);
    return mimic_fail(MIMIC_ERR_NOMEM, "%s: cannot create a %dx%d canvas", path, w, h);
  }
  c->cr = cairo_create(c->surface);
  cairo_set_source_rgb(c->cr, 1, 1, 1);
  cairo_paint(c->cr);
  return MIMIC_OK;
}

mimic_status plot_canvas_close(plot_canvas *c) {
  cairo_destroy(c->cr);
  cairo_status_t cs = CAIRO_STATUS_SUCCESS;
  if (c->svg)
    cairo_surface_finish(c->surface);
  else
    cs = cairo_surface_write_to_png_stream(c->surface, write_stream, c->file.fp);
  if (cs == CAIRO_STATUS_SUCCESS) cs = cairo_surface_status(c->surface);
  cairo_surface_destroy(c->surface);
  if (cs != CAIRO_STATUS_SUCCESS) {
    mimic_atomic_abort(&c->file);
    return mimic_fail(MIMIC_ERR_IO, "%s: cannot write chart: %s", c->path,
                      cairo_status_to_string(cs));
  }
  return mimic_atomic_commit(&c->file);
}

void plot_text(cairo_t *cr, double x, double y, double ax, double ay, double size,
               const char *text) {
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t te;
  cairo_text_extents(cr, text, &te);
  cairo_move_to(cr, x - ax * te.x_advance, y - te.y_bearing - ay * te.height);
  cairo_show_text(cr, text);
}

void plot_format_tick(char *buf, size_t cap, double v, double step) {
  /* The form follows the axis' step, not the value, so that one axis never
   * mixes "90000" with "1e+05": thousands and millions get a suffix when
   * the step is a whole number of them, tiny steps go scientific. */
  if (fabs(v) < 1e-12 * (step > 0 ? step : 1)) v = 0;
  if (v == 0)
    snprintf(buf, cap, "0");
  else if (step >= 1e5 && fmod(step, 1e5) == 0)
    snprintf(buf, cap, "%gM", v / 1e6);
  else if (step >= 1e3 && fmod(step, 100) == 0)
    snprintf(buf, cap, "%gk", v / 1e3);
  else if (step > 0 && step < 1e-3)
    snprintf(buf, cap, "%.2g", v);
  else {
    int decimals = step >= 1 || step <= 0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (decimals > 6) decimals = 6;
    snprintf(buf, cap, "%.*f", decimals, v);
  }
}

static double nice_number(double x, bool round_it) {
  double e = floor(log10(x)), f = x / pow(10, e), nf;
  if (round_it)
    nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  else
    nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * pow(10, e);
}

int plot_nice_ticks(double lo, double hi, int n, double *ticks, int cap, double *step) {
  if (!(hi > lo)) hi = lo + 1;
  double range = nice_number(hi - lo, false);
  double d = nice_number(range / (n > 1 ? n - 1 : 1), true);
  double start = ceil(lo / d - 1e-9) * d;
  int k = 0;
  for (double t = start; t <= hi + 1e-9 * d && k < cap; t = start + k * d) ticks[k++] = t;
  *step = d;
  return k;
}
