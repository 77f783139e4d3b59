/* RGB frames in MiniGrid's look: tiles drawn at 3x and averaged down
 * (MiniGrid's supersampling), grey grid lines, the same shapes and colours
 * for walls, doors, keys, balls, boxes, goal and lava, a red triangle for
 * the agent, and highlighted cells lightened by 30%. Two pictures: the whole
 * world (32-pixel tiles, the agent's field of view highlighted: MiniGrid's
 * render()) and the agent's view (MiniGrid's get_pov_render, the picture
 * RGBImgPartialObsWrapper returns: the 7x7 view rotated so the agent looks
 * up, the agent's triangle at the bottom centre pointing up, the visible
 * cells highlighted, the unseen ones black).
 *
 * Shapes are tested per subpixel with the same predicates as
 * minigrid/utils/rendering.py (rectangles, circles, thick lines, the
 * barycentric triangle test), in double precision as Python computes them
 * (the triangle's corners and their differences in float32, as NumPy's
 * float32 arrays there), and the lightening and the averaging are done in
 * doubles and truncated to bytes as NumPy's arrays do. MiniGrid cannot be
 * installed here, so frames are checked against values worked out from its
 * rules (tests/test_grid_render.c), not against its output byte for byte.
 * Rendering is not a hot path: it allocates nothing but is not tuned. */
#include <math.h>

#include "grid/world.h"

#define SUB 3

static const uint8_t palette[MIMIC_GRID_N_COLORS][3] = {
    {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {112, 39, 195}, {255, 255, 0}, {100, 100, 100}};

typedef struct shape {
  int kind; /* 0 rect, 1 circle, 2 line, 3 triangle */
  double a[6], r;
} shape;

static bool inside(const shape *s, double x, double y) {
  switch (s->kind) {
  case 0: return x >= s->a[0] && x <= s->a[1] && y >= s->a[2] && y <= s->a[3];
  case 1: return (x - s->a[0]) * (x - s->a[0]) + (y - s->a[1]) * (y - s->a[1]) <= s->r * s->r;
  case 2: {
    double x0 = s->a[0], y0 = s->a[1], x1 = s->a[2], y1 = s->a[3], r = s->r;
    if (x < fmin(x0, x1) - r || x > fmax(x0, x1) + r || y < fmin(y0, y1) - r ||
        y > fmax(y0, y1) + r)
      return false;
    double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
    dx /= len, dy /= len;
    double t = (x - x0) * dx + (y - y0) * dy;
    t = t < 0 ? 0 : t > len ? len : t;
    double px = x0 + t * dx - x, py = y0 + t * dy - y;
    return sqrt(px * px + py * py) <= r;
  }
  default: {
    /* point_in_triangle: a, b, c are float32 arrays, the query point float64 */
    float ax = (float)s->a[0], ay = (float)s->a[1];
    float v0x = (float)s->a[4] - ax, v0y = (float)s->a[5] - ay;
    float v1x = (float)s->a[2] - ax, v1y = (float)s->a[3] - ay;
    double v2x = x - ax, v2y = y - ay;
    float d00 = v0x * v0x + v0y * v0y, d01 = v0x * v1x + v0y * v1y;
    float d11 = v1x * v1x + v1y * v1y;
    double d02 = v0x * v2x + v0y * v2y, d12 = v1x * v2x + v1y * v2y;
    float inv = 1 / (d00 * d11 - d01 * d01);
    double u = (d11 * d02 - d01 * d12) * inv, v = (d00 * d12 - d01 * d02) * inv;
    return u >= 0 && v >= 0 && u + v < 1;
  }
  }
}

/* Fills the subpixels of tile buffer t (n x n) where shape s holds; an
 * agent rotation theta turns the query point as MiniGrid's rotate_fn. */
static void fill(uint8_t *t, int n, const shape *s, const uint8_t c[3], double theta) {
  double ct = cos(-theta), st = sin(-theta);
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      double xf = (x + 0.5) / n, yf = (y + 0.5) / n;
      if (theta != 0) {
        double dx = xf - 0.5, dy = yf - 0.5;
        xf = 0.5 + dx * ct - dy * st;
        yf = 0.5 + dy * ct + dx * st;
      }
      if (inside(s, xf, yf)) memcpy(t + 3 * (y * n + x), c, 3);
    }
}

static void rect(uint8_t *t, int n, double x0, double x1, double y0, double y1,
                 const uint8_t c[3]) {
  shape s = {0, {x0, x1, y0, y1, 0, 0}, 0};
  fill(t, n, &s, c, 0);
}
static void circle(uint8_t *t, int n, double cx, double cy, double r, const uint8_t c[3]) {
  shape s = {1, {cx, cy, 0, 0, 0, 0}, r};
  fill(t, n, &s, c, 0);
}
static void line(uint8_t *t, int n, double x0, double y0, double x1, double y1, double r,
                 const uint8_t c[3]) {
  shape s = {2, {x0, y0, x1, y1, 0, 0}, r};
  fill(t, n, &s, c, 0);
}

static void draw_object(uint8_t *t, int n, uint8_t code) {
  static const uint8_t black[3] = {0, 0, 0};
  int type = mg_type(code), st = mg_state(code);
  const uint8_t *c = palette[mg_color(code)];
  switch (type) {
  case MIMIC_GRID_WALL:
  case MIMIC_GRID_GOAL: rect(t, n, 0, 1, 0, 1, c); break;
  case MIMIC_GRID_FLOOR: {
    uint8_t half[3] = {(uint8_t)(c[0] / 2), (uint8_t)(c[1] / 2), (uint8_t)(c[2] / 2)};
    rect(t, n, 0.031, 1, 0.031, 1, half);
    break;
  }
  case MIMIC_GRID_LAVA: {
    static const uint8_t orange[3] = {255, 128, 0};
    rect(t, n, 0, 1, 0, 1, orange);
    for (int i = 0; i < 3; i++) {
      float lo = 0.3 + 0.2 * i, hi = 0.4 + 0.2 * i;
      line(t, n, 0.1, lo, 0.3, hi, 0.03, black);
      line(t, n, 0.3, hi, 0.5, lo, 0.03, black);
      line(t, n, 0.5, lo, 0.7, hi, 0.03, black);
      line(t, n, 0.7, hi, 0.9, lo, 0.03, black);
    }
    break;
  }
  case MIMIC_GRID_DOOR:
    if (st == MIMIC_GRID_OPEN) {
      rect(t, n, 0.88, 1, 0, 1, c);
      rect(t, n, 0.92, 0.96, 0.04, 0.96, black);
    } else if (st == MIMIC_GRID_LOCKED) {
      uint8_t dark[3] = {(uint8_t)(0.45 * c[0]), (uint8_t)(0.45 * c[1]), (uint8_t)(0.45 * c[2])};
      rect(t, n, 0, 1, 0, 1, c);
      rect(t, n, 0.06, 0.94, 0.06, 0.94, dark);
      rect(t, n, 0.52, 0.75, 0.50, 0.56, c);
    } else {
      rect(t, n, 0, 1, 0, 1, c);
      rect(t, n, 0.04, 0.96, 0.04, 0.96, black);
      rect(t, n, 0.08, 0.92, 0.08, 0.92, c);
      rect(t, n, 0.12, 0.88, 0.12, 0.88, black);
      circle(t, n, 0.75, 0.50, 0.08, c);
    }
    break;
  case MIMIC_GRID_KEY:
    rect(t, n, 0.50, 0.63, 0.31, 0.88, c);
    rect(t, n, 0.38, 0.50, 0.59, 0.66, c);
    rect(t, n, 0.38, 0.50, 0.81, 0.88, c);
    circle(t, n, 0.56, 0.28, 0.190, c);
    circle(t, n, 0.56, 0.28, 0.064, black);
    break;
  case MIMIC_GRID_BALL: circle(t, n, 0.5, 0.5, 0.31, c); break;
  case MIMIC_GRID_BOX:
    rect(t, n, 0.12, 0.88, 0.12, 0.88, c);
    rect(t, n, 0.18, 0.82, 0.18, 0.82, black);
    rect(t, n, 0.16, 0.84, 0.47, 0.53, c);
    break;
  default: break;
  }
}

/* One tile of MiniGrid's Grid.render_tile at tile x tile pixels into out
 * (stride `stride` pixels, RGB): grid lines, the object `code`, the agent
 * triangle when agent_dir >= 0, lightened when highlight, then the 3x3
 * subpixel blocks averaged (NumPy's mean over x then y, truncated). */
static void render_tile(uint8_t *out, int stride, int tile, uint8_t code, int agent_dir,
                        bool highlight) {
  enum { max_n = MG_TILE * SUB };
  int n = tile * SUB;
  uint8_t t[3 * max_n * max_n];
  static const uint8_t line_grey[3] = {100, 100, 100}, red[3] = {255, 0, 0};
  memset(t, 0, (size_t)n * (size_t)n * 3);
  rect(t, n, 0, 0.031, 0, 1, line_grey);
  rect(t, n, 0, 1, 0, 0.031, line_grey);
  draw_object(t, n, code);
  if (agent_dir >= 0) {
    shape tri = {3, {0.12, 0.19, 0.87, 0.50, 0.12, 0.81}, 0};
    fill(t, n, &tri, red, 0.5 * M_PI * agent_dir);
  }
  if (highlight) /* highlight_img: img + 0.3 * (255 - img), clipped, stored as bytes */
    for (int i = 0; i < n * n * 3; i++) t[i] = (uint8_t)fmin(255.0, t[i] + 0.3 * (255 - t[i]));
  for (int py = 0; py < tile; py++)
    for (int px = 0; px < tile; px++)
      for (int ch = 0; ch < 3; ch++) {
        double m = 0;
        for (int sy = 0; sy < SUB; sy++) {
          double r = 0;
          for (int sx = 0; sx < SUB; sx++) r += t[3 * ((py * SUB + sy) * n + px * SUB + sx) + ch];
          m += r / SUB;
        }
        out[3 * ((size_t)py * (size_t)stride + (size_t)px) + ch] = (uint8_t)(m / SUB);
      }
}

void mg_render_rgb(const mg_world *w, uint8_t *rgb) {
  uint8_t hl[MIMIC_GRID_MAX * MIMIC_GRID_MAX];
  int W = w->width * MG_TILE;
  mg_visible_cells(w, hl);
  for (int y = 0; y < w->height; y++)
    for (int x = 0; x < w->width; x++) {
      int idx = mg_idx(w, x, y);
      uint8_t *o = rgb + 3 * ((size_t)y * MG_TILE * (size_t)W + (size_t)x * MG_TILE);
      render_tile(o, W, MG_TILE, w->cell[idx], idx == w->agent ? w->dir : -1,
                  hl[x * w->height + y] != 0);
    }
}

void mg_render_view(const mg_world *w, int tile, uint8_t *rgb) {
  uint8_t codes[MG_VIEW_CELLS], vis[7];
  mg_view(w, codes, vis);
  int W = 7 * tile;
  for (int j = 0; j < 7; j++)
    for (int i = 0; i < 7; i++) {
      bool seen = (vis[j] >> i) & 1;
      uint8_t *o = rgb + 3 * ((size_t)j * (size_t)tile * (size_t)W + (size_t)i * (size_t)tile);
      /* process_vis empties the unseen cells; the agent is at (3, 6) facing up (dir 3) */
      render_tile(o, W, tile, seen ? codes[i * 7 + j] : 0, i == 3 && j == 6 ? 3 : -1, seen);
    }
}
