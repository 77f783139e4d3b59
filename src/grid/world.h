/* The gridworld's state and its rules, shared by the environment classes,
 * the layout generators, the planner and the tests.
 *
 * Data layout, chosen for speed: a world is one flat byte grid, one byte per
 * cell, padded by 6 cells of grey wall on every side so the agent's 7x7 view
 * never leaves the array (no bounds checks in the hot loop). A byte is a
 * "code" standing for a whole (object, colour, state) triple: bit 7 says
 * "opaque" (wall, closed or locked door), bit 6 "blocks the agent" (all but
 * empty, floor, open door, goal and lava), the low 6 bits number the 61
 * valid triples, and an empty cell is 0. So moving and seeing test one bit;
 * the encodings are 256-entry tables. The grid is kept twice, as is and
 * transposed, so that every row of the agent's view (whichever way it
 * faces) is 7 consecutive bytes: the observation is 7 eight-byte loads, a
 * byte swap for the two mirrored directions, and SSE2's movemask for the
 * opacity bits. Writes go through mg_set (or mg_world_sync after bulk
 * edits) to keep both copies equal. The agent is a flat index. Box contents
 * are a short list beside the grid (a box keeps its contents when carried;
 * nested boxes are not supported).
 *
 * Worlds are plain structs with no pointers: the planner copies them (only
 * the used part, mg_world_copy) and the tests compare them. The price is a
 * fixed capacity of MIMIC_GRID_MAX cells per side. */
#ifndef MIMIC_GRID_WORLD_H
#define MIMIC_GRID_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mimic/grid.h"
#include "mimic/rng.h"

#define MG_PAD 6
#define MG_STRIDE_MAX (MIMIC_GRID_MAX + 2 * MG_PAD)
#define MG_CELLS_MAX (MG_STRIDE_MAX * MG_STRIDE_MAX)
#define MG_VIEW_CELLS 49
#define MG_ONEHOT_BITS 20 /* 11 objects + 6 colours + 3 states */
#define MG_ONEHOT_DIM (MG_VIEW_CELLS * MG_ONEHOT_BITS + 4)

#define MG_OPAQUE 0x80 /* code bit: stops sight */
#define MG_BLOCKS 0x40 /* code bit: the agent cannot stand here */
#define MG_UNSEEN 255  /* pseudo-code of an invisible view cell: encodes as (0,0,0) */

enum {
  MG_F_VALID = 1,   /* a code a world may hold */
  MG_F_OVERLAP = 2, /* the agent can stand on it (empty, open door, goal, lava, floor) */
  MG_F_PICKUP = 4,  /* key, ball, box */
  MG_F_OPAQUE = 8,  /* wall, closed or locked door */
};

typedef struct mg_tables {
  uint8_t code[MIMIC_GRID_N_OBJECTS][MIMIC_GRID_N_COLORS][MIMIC_GRID_N_STATES]; /* 255 = invalid */
  uint8_t flags[256];
  uint8_t enc[256][3];                      /* code -> (object, colour, state) */
  uint8_t onehot[256][3];                   /* code -> the three set bits of its 20-bit one-hot */
  float onehot_pattern[64][MG_ONEHOT_BITS]; /* code & 63 -> its 20 one-hot floats */
  uint16_t vis[1 << 14]; /* process_vis for one row: (seeds << 7 | transparent) ->
                            visible | seeds of the row above << 8 */
} mg_tables;

extern mg_tables mg_tab;
/* Fills mg_tab (thread-safe, idempotent). */
void mg_tables_init(void);

/* The code of (object, colour, state); 0 for empty, MG_UNSEEN if invalid.
 * Arguments must be in range (object < 11, colour < 6, state < 3). */
#define MG_CODE(t, c, s) (mg_tab.code[(t)][(c)][(s)])
#define MG_WALL MG_CODE(MIMIC_GRID_WALL, MIMIC_GRID_GREY, 0)
#define MG_GOAL MG_CODE(MIMIC_GRID_GOAL, MIMIC_GRID_GREEN, 0)
#define MG_LAVA MG_CODE(MIMIC_GRID_LAVA, MIMIC_GRID_RED, 0)

static inline int mg_type(uint8_t code) { return mg_tab.enc[code][0]; }
static inline int mg_color(uint8_t code) { return mg_tab.enc[code][1]; }
static inline int mg_state(uint8_t code) { return mg_tab.enc[code][2]; }

typedef struct mg_box {
  uint16_t cell;
  uint8_t code;
} mg_box;

typedef struct mg_world {
  int width, height, stride, rows; /* rows = height + 2*MG_PAD */
  int agent;                       /* flat index of the agent's cell */
  int agentT;                      /* ... and in the transposed grid (mg_set_agent keeps both) */
  int dir;
  uint8_t carrying, carrying_inside; /* codes; 0 = nothing */
  bool see_through;
  int step_count, max_steps;
  mimic_grid_task task;
  int task_cell;     /* UNLOCK_DOOR / GOTO_DOOR: flat index of the door */
  uint8_t task_code; /* PICKUP_OBJECT / FETCH: code of the target (state 0) */
  int n_boxes;
  mg_box box[MIMIC_GRID_MAX_BOXES];
  int dstep[4];                /* flat offset of one step in each direction */
  int dstepT[4];               /* the same in the transposed grid */
  uint8_t cellT[MG_CELLS_MAX]; /* the grid transposed: cellT[x' * rows + y'] */
  uint8_t cell[MG_CELLS_MAX];  /* last: copies take only the used rows */
} mg_world;

static inline int mg_idx(const mg_world *w, int x, int y) {
  return (y + MG_PAD) * w->stride + x + MG_PAD;
}
static inline int mg_x(const mg_world *w, int idx) { return idx % w->stride - MG_PAD; }
static inline int mg_y(const mg_world *w, int idx) { return idx / w->stride - MG_PAD; }
static inline bool mg_inside(const mg_world *w, int x, int y) {
  return x >= 0 && y >= 0 && x < w->width && y < w->height;
}

/* Writes one cell (both copies). */
static inline void mg_set(mg_world *w, int idx, uint8_t code) {
  w->cell[idx] = code;
  w->cellT[(idx % w->stride) * w->rows + idx / w->stride] = code;
}
/* Puts the agent on flat index idx. */
static inline void mg_set_agent(mg_world *w, int idx) {
  w->agent = idx;
  w->agentT = (idx % w->stride) * w->rows + idx / w->stride;
}
/* Rebuilds the transposed copy after writes to cell[]. */
void mg_world_sync(mg_world *w);

/* Sets the size, fills the padding with walls and the grid with empty cells. */
void mg_world_init(mg_world *w, int width, int height);
/* Copies the used part of src into dst. */
void mg_world_copy(mg_world *dst, const mg_world *src);
/* Sets task_cell/task_code from task (after the size is known). */
void mg_world_set_task(mg_world *w, const mimic_grid_task *task);
/* 64-bit hash of everything that can change in an episode (not step_count). */
uint64_t mg_world_hash(const mg_world *w);

/* Removes and returns the contents of the box at cell (0 if none listed). */
static inline uint8_t mg_box_take(mg_world *w, int cell) {
  for (int i = 0; i < w->n_boxes; i++)
    if (w->box[i].cell == cell) {
      uint8_t c = w->box[i].code;
      w->box[i] = w->box[--w->n_boxes];
      return c;
    }
  return 0;
}
/* Records that the box at cell holds code (false when the list is full). */
static inline bool mg_box_put(mg_world *w, int cell, uint8_t code) {
  if (!code) return true;
  if (w->n_boxes >= MIMIC_GRID_MAX_BOXES) return false;
  w->box[w->n_boxes].cell = (uint16_t)cell;
  w->box[w->n_boxes].code = code;
  w->n_boxes++;
  return true;
}

static inline double mg_success_reward(const mg_world *w) {
  return 1.0 - 0.9 * ((double)w->step_count / (double)w->max_steps);
}

enum { MG_TERMINATED = 1, MG_TRUNCATED = 2 };

/* MiniGridEnv.step followed by the task's own rule; returns MG_TERMINATED |
 * MG_TRUNCATED bits. The observation is separate (mg_observe_*). */
static inline int mg_step(mg_world *w, int action, double *reward) {
  int steps = ++w->step_count;
  double r = 0;
  int term = 0;
  int fwd = w->agent + w->dstep[w->dir];
  uint8_t c = w->cell[fwd];
  switch (action) {
  case MIMIC_GRID_LEFT: w->dir = (w->dir + 3) & 3; break;
  case MIMIC_GRID_RIGHT: w->dir = (w->dir + 1) & 3; break;
  case MIMIC_GRID_FORWARD:
    if (!(c & MG_BLOCKS)) {
      w->agent = fwd;
      w->agentT += w->dstepT[w->dir];
    }
    if (mg_type(c) == MIMIC_GRID_GOAL) {
      term = 1;
      r = mg_success_reward(w);
    } else if (mg_type(c) == MIMIC_GRID_LAVA) {
      term = 1;
    }
    break;
  case MIMIC_GRID_PICKUP:
    if ((mg_tab.flags[c] & MG_F_PICKUP) && !w->carrying) {
      w->carrying = c;
      w->carrying_inside = mg_type(c) == MIMIC_GRID_BOX ? mg_box_take(w, fwd) : 0;
      mg_set(w, fwd, 0);
    }
    break;
  case MIMIC_GRID_DROP:
    if (c == 0 && w->carrying) {
      mg_set(w, fwd, w->carrying);
      mg_box_put(w, fwd, w->carrying_inside);
      w->carrying = w->carrying_inside = 0;
    }
    break;
  case MIMIC_GRID_TOGGLE:
    if (mg_type(c) == MIMIC_GRID_DOOR) {
      int s = mg_state(c), col = mg_color(c);
      if (s == MIMIC_GRID_LOCKED) {
        if (mg_type(w->carrying) == MIMIC_GRID_KEY && mg_color(w->carrying) == col)
          mg_set(w, fwd, MG_CODE(MIMIC_GRID_DOOR, col, MIMIC_GRID_OPEN));
      } else {
        mg_set(w, fwd,
               MG_CODE(MIMIC_GRID_DOOR, col,
                       s == MIMIC_GRID_OPEN ? MIMIC_GRID_CLOSED : MIMIC_GRID_OPEN));
      }
    } else if (mg_type(c) == MIMIC_GRID_BOX) {
      mg_set(w, fwd, mg_box_take(w, fwd));
    }
    break;
  default: break; /* done */
  }
  switch (w->task.kind) {
  case MIMIC_GRID_REACH_GOAL: break;
  case MIMIC_GRID_UNLOCK_DOOR: {
    uint8_t d = w->cell[w->task_cell];
    if (action == MIMIC_GRID_TOGGLE && mg_type(d) == MIMIC_GRID_DOOR &&
        mg_state(d) == MIMIC_GRID_OPEN) {
      r = mg_success_reward(w);
      term = 1;
    }
    break;
  }
  case MIMIC_GRID_PICKUP_OBJECT:
    if (action == MIMIC_GRID_PICKUP && w->carrying && w->carrying == w->task_code) {
      r = mg_success_reward(w);
      term = 1;
    }
    break;
  case MIMIC_GRID_FETCH:
    if (w->carrying) {
      r = w->carrying == w->task_code ? mg_success_reward(w) : 0;
      term = 1;
    }
    break;
  case MIMIC_GRID_GOTO_DOOR:
    if (action == MIMIC_GRID_TOGGLE) term = 1;
    if (action == MIMIC_GRID_DONE) {
      int ax = mg_x(w, w->agent), ay = mg_y(w, w->agent);
      int tx = w->task.x, ty = w->task.y;
      if ((ax == tx && (ay - ty == 1 || ty - ay == 1)) ||
          (ay == ty && (ax - tx == 1 || tx - ax == 1)))
        r = mg_success_reward(w);
      term = 1;
    }
    break;
  }
  *reward = r;
  return term | (steps >= w->max_steps ? MG_TRUNCATED : 0);
}

/* ---- observations (obs.c) ---------------------------------------------- */

/* Fills mg_tab.vis (called once by mg_tables_init). */
void mg_vis_table_fill(uint16_t *table);

/* The 49 codes of the view (view cell i*7+j; the agent's cell holds what it
 * carries) and the visibility rows (bit i of vis[j]) after process_vis. */
void mg_view(const mg_world *w, uint8_t codes[MG_VIEW_CELLS], uint8_t vis[7]);
/* Writes MiniGrid's obs["image"] (147 bytes). */
void mg_observe_image(const mg_world *w, uint8_t *image);
/* Writes the one-hot observation (MG_ONEHOT_DIM floats). */
void mg_observe_onehot(const mg_world *w, float *out);
/* Writes the image as floats plus the direction (148 floats). */
void mg_observe_image_f(const mg_world *w, float *out);
/* Writes the view's encoding as a channels-first image [3][7][7] (channel,
 * view row far to near, view column left to right): 147 floats. */
void mg_observe_view(const mg_world *w, float *out);
/* Writes the fully observable encoding (width*height*3 + 3 floats). */
void mg_observe_full(const mg_world *w, float *out);
/* Marks, in hl[x*height+y], the world cells the agent sees. */
void mg_visible_cells(const mg_world *w, uint8_t *hl);

/* ---- rendering (render.c) ------------------------------------------------ */

#define MG_TILE 32 /* MiniGrid's TILE_PIXELS */
/* Renders the world (width*32 x height*32 RGB pixels, rows top to bottom). */
void mg_render_rgb(const mg_world *w, uint8_t *rgb);
/* Renders the agent's view as RGBImgPartialObsWrapper sees it: 7*tile
 * square RGB pixels (tile <= MG_TILE), rows top (far) to bottom (near). */
void mg_render_view(const mg_world *w, int tile, uint8_t *rgb);

/* ---- layouts (gen.c) --------------------------------------------------- */

typedef enum mg_gen_kind {
  MG_GEN_EMPTY,
  MG_GEN_DOORKEY,
  MG_GEN_FOURROOMS,
  MG_GEN_CROSSING,
  MG_GEN_LAVAGAP,
  MG_GEN_UNLOCK,
  MG_GEN_UNLOCKPICKUP,
  MG_GEN_BLOCKEDUNLOCKPICKUP,
  MG_GEN_KEYCORRIDOR,
  MG_GEN_MULTIROOM,
  MG_GEN_FETCH,
  MG_GEN_GOTODOOR,
  MG_GEN_BOXBALL,
  MG_GEN_MAP, /* a user's map, given as a mimic_grid_state */
} mg_gen_kind;

/* Per-id constants (MiniGrid's registration kwargs). */
typedef struct mg_params {
  mg_gen_kind kind;
  int size;         /* grid size, or room size for RoomGrid envs */
  int a, b, c;      /* Empty: random start; Crossing: crossings, lava; KeyCorridor: rows;
                       MultiRoom: min rooms, max rooms, max room size; Fetch: objects */
  int max_steps;    /* MiniGrid's default */
  bool see_through; /* see_through_walls */
  int mission_count;
} mg_params;

/* Draws a layout exactly as MiniGrid's _gen_grid does with the same
 * generator state; writes the mission text (cap bytes) and id. False when
 * rejection sampling gave up (where MiniGrid raises RecursionError). */
bool mg_generate(const mg_params *p, mg_world *w, mimic_rng *rng, char *mission, size_t cap,
                 int *mission_id);
/* Sorted rank of a colour index in MiniGrid's COLOR_NAMES (blue 0 ... yellow 5). */
int mg_color_rank(int color);

/* ---- conversions (state.c) -------------------------------------------- */

/* Builds a world from a (checked) public state. */
mimic_status mg_world_from_state(mg_world *w, const mimic_grid_state *st);
/* Fills the public state from a world (mission fields are left alone). */
void mg_world_to_state(const mg_world *w, mimic_grid_state *st);

/* ---- planner (planner.c) ----------------------------------------------- */

typedef struct mg_planner mg_planner;
/* Makes a planner's workspace (allocates; NULL on failure with error set). */
mg_planner *mg_planner_new(void);
void mg_planner_free(mg_planner *p);
/* Plans from w to success; writes up to cap actions. */
mimic_status mg_plan(mg_planner *p, const mg_world *w, uint8_t *actions, int cap, int *n);

#endif
