/* Observations: MiniGrid's gen_obs, in a form that costs almost nothing.
 *
 * MiniGrid slices a 7x7 sub-grid, rotates it dir+1 times, runs process_vis
 * cell by cell and encodes. Here the slice and the rotation are seven
 * 8-byte loads (each view row is a run of the grid or of its transposed
 * copy, reversed for two of the four directions), the opacity of a row is
 * the top bit of each byte (one movemask), and process_vis is done a row at
 * a time on 7-bit masks, skipped when nothing in view is opaque. A row's
 * result depends only on its seeds and its transparency (7 + 7 bits), so it
 * is a lookup in a 16K-entry table built at start-up from the rule: the
 * left-to-right sweep is "fill rightwards through transparent cells", a
 * parallel-prefix (Kogge-Stone) pass of three shifts, the right-to-left
 * sweep is its mirror, and the cells each sweep processed seed the row
 * above. The result is bit-identical to the Python loops (the replay tests
 * check every image).
 *
 * Encoders then map codes through tables: the uint8 image, the raw floats,
 * and the one-hot floats, written in memory order as one 80-byte pattern
 * per cell (code & 63 tells the 61 codes and "unseen" apart). */
#include "grid/world.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline uint64_t load8(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* Bit i = the top bit of byte i (the opacity flag of view column i). */
static inline unsigned top_bits(uint64_t v) {
#if defined(__SSE2__)
  return (unsigned)_mm_movemask_epi8(_mm_cvtsi64_si128((long long)v)) & 0xFF;
#else
  unsigned m = 0;
  for (int i = 0; i < 8; i++) m |= (unsigned)(v >> (8 * i + 7) & 1) << i;
  return m;
#endif
}

/* One row of process_vis: seeds v (bit i = cell i visible on entry),
 * transparency t; returns the row's visibility and sets *up to the seeds of
 * the row above. */
static inline unsigned vis_row(unsigned v, unsigned t, unsigned *up) {
  /* left to right: cell i (i <= 5) visible and transparent makes i+1 visible */
  unsigned g = v, p = t;
  g |= (g & p) << 1;
  p &= p >> 1;
  g |= (g & p) << 2;
  p &= p >> 2;
  g |= (g & p) << 4;
  g &= 0x7F;
  unsigned done_l = g & t & 0x3F;
  /* right to left: cell i (i >= 1) visible and transparent makes i-1 visible */
  p = t;
  g |= (g & p) >> 1;
  p &= p << 1;
  g |= (g & p) >> 2;
  p &= p << 2;
  g |= (g & p) >> 4;
  g &= 0x7F;
  unsigned done_r = g & t & 0x7E;
  *up = (done_l | (done_l << 1) | done_r | (done_r >> 1)) & 0x7F;
  return g;
}

void mg_vis_table_fill(uint16_t *table) {
  for (unsigned v = 0; v < 128; v++)
    for (unsigned t = 0; t < 128; t++) {
      unsigned up, vis = vis_row(v, t, &up);
      table[v << 7 | t] = (uint16_t)(vis | up << 8);
    }
}

/* The view as 7 rows (j = 0 far .. 6 near) of 7 codes (byte i = column i,
 * left to right), the agent's cell holding what it carries, and the
 * visibility rows (bit i of vis[j]). Row j lies on a line of the grid (or
 * of its transposed copy, for east and west), so it is one 8-byte load,
 * byte-swapped when the agent faces south or west. */
static inline void view_rows(const mg_world *w, uint64_t rows[7], uint8_t vis[7]) {
  const uint8_t *base;
  ptrdiff_t step;
  bool rev;
  int a = w->agent;
  switch (w->dir) {
  case 3: /* north: row j is y = ay-6+j, x = ax-3.. */
    base = w->cell + a - 3 - 6 * w->stride, step = w->stride, rev = false;
    break;
  case 1: /* south: y = ay+6-j, x = ax+3 down to ax-3 */
    base = w->cell + a - 3 + 6 * w->stride, step = -w->stride, rev = true;
    break;
  case 0: /* east: x = ax+6-j, y = ay-3.. (transposed) */
    base = w->cellT + w->agentT - 3 + 6 * w->rows, step = -w->rows, rev = false;
    break;
  default: /* west: x = ax-6+j, y = ay+3 down to ay-3 (transposed) */
    base = w->cellT + w->agentT - 3 - 6 * w->rows, step = w->rows, rev = true;
    break;
  }
  unsigned t[7], all = 0x7F;
  for (int j = 0; j < 7; j++) {
    uint64_t v = load8(base + j * step);
    if (rev) v = __builtin_bswap64(v) >> 8;
    rows[j] = v;
    t[j] = ~top_bits(v) & 0x7F;
    all &= t[j];
  }
  if (w->see_through || all == 0x7F) { /* nothing blocks sight: all visible */
    for (int j = 0; j < 7; j++) vis[j] = 0x7F;
  } else {
    unsigned seeds = 1u << 3;
    for (int j = 6; j >= 0; j--) {
      unsigned r = mg_tab.vis[seeds << 7 | t[j]];
      vis[j] = (uint8_t)r;
      seeds = r >> 8;
    }
  }
  rows[6] = (rows[6] & ~((uint64_t)0xFF << 24)) | ((uint64_t)w->carrying << 24);
}

void mg_view(const mg_world *w, uint8_t codes[MG_VIEW_CELLS], uint8_t vis[7]) {
  uint64_t rows[7];
  view_rows(w, rows, vis);
  for (int j = 0; j < 7; j++)
    for (int i = 0; i < 7; i++) codes[i * 7 + j] = (uint8_t)(rows[j] >> (8 * i));
}

/* Each observer below walks the view rows itself: a shared pass that first
 * wrote the visible codes to a buffer cost 20-25% of the steps per second
 * (bench/grid, one-hot DoorKey-8x8 8.5 M -> 6.4 M). */
void mg_observe_image(const mg_world *w, uint8_t *image) {
  uint64_t rows[7];
  uint8_t vis[7];
  view_rows(w, rows, vis);
  for (int i = 0; i < 7; i++)
    for (int j = 0; j < 7; j++) {
      const uint8_t *e = mg_tab.enc[(vis[j] >> i) & 1 ? (uint8_t)(rows[j] >> (8 * i)) : MG_UNSEEN];
      uint8_t *o = image + 3 * (i * 7 + j);
      o[0] = e[0], o[1] = e[1], o[2] = e[2];
    }
}

void mg_observe_onehot(const mg_world *w, float *out) {
  uint64_t rows[7];
  uint8_t vis[7];
  view_rows(w, rows, vis);
  /* cells in memory order, each its 20-float pattern (code & 63 is unique) */
  for (int i = 0; i < 7; i++)
    for (int j = 0; j < 7; j++) {
      uint8_t code = (vis[j] >> i) & 1 ? (uint8_t)(rows[j] >> (8 * i)) : MG_UNSEEN;
      memcpy(out + (i * 7 + j) * MG_ONEHOT_BITS, mg_tab.onehot_pattern[code & 63],
             sizeof(float) * MG_ONEHOT_BITS);
    }
  float *d = out + MG_VIEW_CELLS * MG_ONEHOT_BITS;
  d[0] = d[1] = d[2] = d[3] = 0.0f;
  d[w->dir] = 1.0f;
}

void mg_observe_image_f(const mg_world *w, float *out) {
  uint64_t rows[7];
  uint8_t vis[7];
  view_rows(w, rows, vis);
  for (int i = 0; i < 7; i++)
    for (int j = 0; j < 7; j++) {
      const uint8_t *e = mg_tab.enc[(vis[j] >> i) & 1 ? (uint8_t)(rows[j] >> (8 * i)) : MG_UNSEEN];
      float *o = out + 3 * (i * 7 + j);
      o[0] = e[0], o[1] = e[1], o[2] = e[2];
    }
  out[MIMIC_GRID_IMAGE] = (float)w->dir;
}

void mg_observe_view(const mg_world *w, float *out) {
  uint64_t rows[7];
  uint8_t vis[7];
  view_rows(w, rows, vis);
  for (int j = 0; j < 7; j++)
    for (int i = 0; i < 7; i++) {
      const uint8_t *e = mg_tab.enc[(vis[j] >> i) & 1 ? (uint8_t)(rows[j] >> (8 * i)) : MG_UNSEEN];
      for (int c = 0; c < 3; c++) out[c * MG_VIEW_CELLS + j * 7 + i] = e[c];
    }
}

void mg_observe_full(const mg_world *w, float *out) {
  for (int x = 0; x < w->width; x++)
    for (int y = 0; y < w->height; y++) {
      int idx = mg_idx(w, x, y);
      float *o = out + ((size_t)x * (size_t)w->height + (size_t)y) * 3;
      if (idx == w->agent) { /* FullyObsWrapper: (agent, red, dir) */
        o[0] = MIMIC_GRID_AGENT;
        o[1] = MIMIC_GRID_RED;
        o[2] = (float)w->dir;
      } else {
        const uint8_t *e = mg_tab.enc[w->cell[idx]];
        o[0] = e[0];
        o[1] = e[1];
        o[2] = e[2];
      }
    }
  const uint8_t *c = mg_tab.enc[w->carrying];
  float *o = out + (size_t)w->width * (size_t)w->height * 3;
  o[0] = c[0];
  o[1] = c[1];
  o[2] = c[2];
}

void mg_visible_cells(const mg_world *w, uint8_t *hl) {
  uint8_t codes[MG_VIEW_CELLS], vis[7];
  mg_view(w, codes, vis);
  memset(hl, 0, (size_t)w->width * (size_t)w->height);
  int ax = mg_x(w, w->agent), ay = mg_y(w, w->agent);
  static const int dx[4] = {1, 0, -1, 0}, dy[4] = {0, 1, 0, -1};
  int fx = dx[w->dir], fy = dy[w->dir], rx = dx[(w->dir + 1) & 3], ry = dy[(w->dir + 1) & 3];
  for (int i = 0; i < 7; i++)
    for (int j = 0; j < 7; j++) {
      if (!((vis[j] >> i) & 1)) continue;
      int x = ax + fx * (6 - j) + rx * (i - 3), y = ay + fy * (6 - j) + ry * (i - 3);
      if (mg_inside(w, x, y)) hl[x * w->height + y] = 1;
    }
}
