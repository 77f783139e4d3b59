/* mimic/grid.h: the gridworld suite (MiniGrid's worlds in C), seen natively.
 *
 * Gridworld environments are ordinary mimic environments (mimic/env.h):
 * `mimic_env_make("MiniGrid-DoorKey-8x8-v0", "obs=onehot", &env)` and then
 * reset/step on float32 buffers. This header adds what only a gridworld has,
 * for tests, the planner and tools: MiniGrid's own observation (the uint8
 * 7x7x3 image, the direction and the mission), the agent's pose, what it
 * carries, the whole grid, loading a world from MiniGrid's full encoding or
 * from an ASCII map, and the planner's action sequence.
 *
 * Encodings are MiniGrid's: a cell is (object, colour, state) with the index
 * tables below, an image is indexed image[i][j][c] with i the view column
 * (left to right) and j the view row (far to near), so the flat index is
 * (i*7 + j)*3 + c, exactly numpy's layout of obs["image"]. A full grid is
 * grid[x][y][c], flat index (x*height + y)*3 + c, as Grid.encode(). */
#ifndef MIMIC_GRID_H
#define MIMIC_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/core.h"
#include "mimic/env.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MIMIC_GRID_MAX 48       /* largest width or height of a world */
#define MIMIC_GRID_VIEW 7       /* agent_view_size */
#define MIMIC_GRID_IMAGE 147    /* 7 * 7 * 3 bytes of an egocentric image */
#define MIMIC_GRID_MAX_BOXES 64 /* boxes holding something, per world */

/* OBJECT_TO_IDX */
enum {
  MIMIC_GRID_UNSEEN = 0,
  MIMIC_GRID_EMPTY = 1,
  MIMIC_GRID_WALL = 2,
  MIMIC_GRID_FLOOR = 3,
  MIMIC_GRID_DOOR = 4,
  MIMIC_GRID_KEY = 5,
  MIMIC_GRID_BALL = 6,
  MIMIC_GRID_BOX = 7,
  MIMIC_GRID_GOAL = 8,
  MIMIC_GRID_LAVA = 9,
  MIMIC_GRID_AGENT = 10,
  MIMIC_GRID_N_OBJECTS = 11
};
/* COLOR_TO_IDX */
enum {
  MIMIC_GRID_RED = 0,
  MIMIC_GRID_GREEN = 1,
  MIMIC_GRID_BLUE = 2,
  MIMIC_GRID_PURPLE = 3,
  MIMIC_GRID_YELLOW = 4,
  MIMIC_GRID_GREY = 5,
  MIMIC_GRID_N_COLORS = 6
};
/* STATE_TO_IDX (doors) */
enum { MIMIC_GRID_OPEN = 0, MIMIC_GRID_CLOSED = 1, MIMIC_GRID_LOCKED = 2, MIMIC_GRID_N_STATES = 3 };
/* MiniGridEnv.Actions */
enum {
  MIMIC_GRID_LEFT = 0,
  MIMIC_GRID_RIGHT = 1,
  MIMIC_GRID_FORWARD = 2,
  MIMIC_GRID_PICKUP = 3,
  MIMIC_GRID_DROP = 4,
  MIMIC_GRID_TOGGLE = 5,
  MIMIC_GRID_DONE = 6,
  MIMIC_GRID_N_ACTIONS = 7
};

/* What counts as success (the env-specific step rules of MiniGrid). */
typedef enum mimic_grid_task_kind {
  MIMIC_GRID_REACH_GOAL = 0, /* forward onto the goal (lava ends with 0) */
  MIMIC_GRID_UNLOCK_DOOR,    /* toggle after which the door at (x, y) is open (Unlock) */
  MIMIC_GRID_PICKUP_OBJECT,  /* pickup of the object of (type, color) (UnlockPickup, KeyCorridor) */
  MIMIC_GRID_FETCH,     /* anything carried ends the episode; success if (type, color) (Fetch) */
  MIMIC_GRID_GOTO_DOOR, /* done 4-adjacent to (x, y); toggle ends with 0 (GoToDoor) */
} mimic_grid_task_kind;

typedef struct mimic_grid_task {
  mimic_grid_task_kind kind;
  int x, y;        /* UNLOCK_DOOR, GOTO_DOOR: the door's cell */
  int type, color; /* PICKUP_OBJECT, FETCH: the target object */
} mimic_grid_task;

/* A whole world: what MiniGrid's reset leaves behind, in encodings. */
typedef struct mimic_grid_state {
  int width, height;
  uint8_t grid[MIMIC_GRID_MAX * MIMIC_GRID_MAX * 3]; /* grid[(x*height + y)*3 + c] */
  int agent_x, agent_y, agent_dir;                   /* dir: 0 right, 1 down, 2 left, 3 up */
  uint8_t carrying[3];          /* the carried object's encoding; (0,0,0) when nothing */
  uint8_t carrying_contains[3]; /* what a carried box holds; (0,0,0) when nothing */
  int n_boxes;                  /* boxes in the grid that hold something */
  struct {
    int x, y;
    uint8_t contains[3];
  } boxes[MIMIC_GRID_MAX_BOXES];
  int step_count, max_steps;
  bool see_through_walls;
  char mission[128];
  int mission_id; /* index in the env's mission space (see mimic_grid_mission_count) */
  mimic_grid_task task;
} mimic_grid_state;

/* Name of an object index ("key"); "?" if out of range. */
const char *mimic_grid_object_name(int object);
/* Name of a colour index ("red"); "?" if out of range. */
const char *mimic_grid_color_name(int color);
/* Name of an action ("pickup"); "?" if out of range. */
const char *mimic_grid_action_name(int action);

/* True when env is one of the gridworlds (MiniGrid-*, mimic-GridMap-v0, ...). */
bool mimic_grid_is_grid(const mimic_env *env);

/* MiniGrid's observation of the current state: image (147 bytes, may be
 * NULL) and direction (may be NULL). */
mimic_status mimic_grid_observe(mimic_env *env, uint8_t *image, int *direction);
/* The mission text of the current episode. */
const char *mimic_grid_mission(const mimic_env *env);
/* The mission's stable id: its index in the env's mission space, in the
 * order of MiniGrid's MissionSpace placeholders (colours sorted: blue, green,
 * grey, purple, red, yellow). */
int mimic_grid_mission_id(const mimic_env *env);
/* Size of the env's mission space (1 for single-mission envs). */
int mimic_grid_mission_count(const mimic_env *env);

/* One step on MiniGrid's terms: writes the uint8 image (may be NULL), the
 * reward and both flags; keeps the generic step counter in sync. */
mimic_status mimic_grid_step(mimic_env *env, int action, uint8_t *image, double *reward,
                             bool *terminated, bool *truncated);

/* The agent's position and direction. */
void mimic_grid_agent(const mimic_env *env, int *x, int *y, int *dir);
/* Copies the carried object's encoding into obj (and a carried box's
 * contents into contains, may be NULL); returns false when nothing is carried. */
bool mimic_grid_carrying(const mimic_env *env, uint8_t obj[3], uint8_t contains[3]);
/* Writes Grid.encode() of the current world: width*height*3 bytes,
 * out[(x*height + y)*3 + c]. The agent is not in it (its cell shows what it stands on). */
void mimic_grid_encode(const mimic_env *env, uint8_t *out);

/* Copies the whole current world into st. */
void mimic_grid_get_state(const mimic_env *env, mimic_grid_state *st);
/* Replaces the current world with st (after checking it: bad encodings are
 * errors naming the row and column); the generic step counter and time
 * limit follow st->step_count and st->max_steps. */
mimic_status mimic_grid_set_state(mimic_env *env, const mimic_grid_state *st);
/* Checks a state without loading it; the error names the row (y) and column (x). */
mimic_status mimic_grid_check_state(const mimic_grid_state *st);

/* Parses an ASCII map (docs/gridworld.md) into st; `name` (a file name,
 * may be NULL) prefixes error messages, which name the line, row and column. */
mimic_status mimic_grid_parse_map(const char *text, const char *name, mimic_grid_state *st);
/* Reads and parses an ASCII map file. */
mimic_status mimic_grid_load_map(const char *path, mimic_grid_state *st);
/* Writes st as an ASCII map (headers and rows) into buf (NUL-terminated). */
mimic_status mimic_grid_format_map(const mimic_grid_state *st, char *buf, size_t cap);

/* The planner's actions from the current state to success (*n of them, at
 * most cap). Fails when no plan exists (e.g. the target was destroyed). */
mimic_status mimic_grid_plan(mimic_env *env, int *actions, int cap, int *n);

#ifdef __cplusplus
}
#endif
#endif
