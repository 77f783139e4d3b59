/* A cairo canvas that becomes a file: PNG or SVG by the path's extension,
 * written through mimic's atomic files. Shared by charts and heat maps. */
#ifndef MIMIC_PLOT_CANVAS_H
#define MIMIC_PLOT_CANVAS_H

#include <cairo.h>

#include "mimic/core.h"

typedef struct plot_canvas {
  cairo_surface_t *surface;
  cairo_t *cr;
  mimic_atomic_file file;
  bool svg;
  const char *path;
} plot_canvas;

/* Opens a w x h canvas for path; the image is white. */
mimic_status plot_canvas_open(plot_canvas *c, const char *path, int w, int h);
/* Finishes drawing and commits the file. */
mimic_status plot_canvas_close(plot_canvas *c);
/* Draws text with its anchor at (x, y): ax, ay in {0, 0.5, 1} (left/centre/right,
 * top/middle/bottom). */
void plot_text(cairo_t *cr, double x, double y, double ax, double ay, double size,
               const char *text);
/* Formats a tick value compactly in the form of its axis' step ("0.5",
 * "-200", "90k", "1.5M", "2e-05"). */
void plot_format_tick(char *buf, size_t cap, double v, double step);
/* Chooses about n "nice" tick positions covering [lo, hi]; returns the count (max cap). */
int plot_nice_ticks(double lo, double hi, int n, double *ticks, int cap, double *step);

#endif
