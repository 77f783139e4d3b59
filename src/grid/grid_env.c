/* The gridworld environment class: MiniGrid's envs behind mimic's generic
 * env interface, and the grid-specific API of mimic/grid.h.
 *
 * One class implementation serves every id; an id differs only by its
 * mg_params (the registration kwargs), listed in grid_classes.c. The class
 * owns one world (mg_world, no pointers) and turns it into the float32
 * observation chosen by the `obs` option:
 *
 *   onehot (default)  [7][7][20] one-hot of (object, colour, state) per view
 *                     cell, view column-major as MiniGrid's image, then a
 *                     one-hot of the direction: 984 floats
 *   image             the 7x7x3 encoding as floats, then the direction: 148
 *   full              FullyObsWrapper's [W][H][3] grid (the agent's cell is
 *                     (10, 0, dir)), then the carried object's encoding
 *                     ((1,0,0) if none): W*H*3 + 3
 *   view              ImgObsWrapper's image channels-first, [3][7][7] (channel,
 *                     view row far to near, column left to right), no
 *                     direction: 147, shape 3x7x7 for a CNN
 *   rgb               RGBImgPartialObsWrapper's picture of the view,
 *                     channels-first [3][7*tile][7*tile], 0..255: 3x56x56
 *
 * and, with mission=1, a one-hot of the mission id appended.
 *
 * MiniGrid truncates itself at max_steps; here the generic layer does it
 * (class max_episode_steps = MiniGrid's max_steps), and the world keeps its
 * own step count for the reward 1 - 0.9*step_count/max_steps. The two are
 * kept equal: reset zeroes both and set_state sets both.
 *
 * The expert caches the planner's whole plan and follows it while the
 * actions taken are the planned ones (the world is deterministic, so the
 * plan stays valid); any other action, a reset or a loaded state replans. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "grid/grid_env.h"
#include "core/util.h"

mg_impl *mg_grid_impl(const mimic_env *env) { return mimic_env_impl_of(env, mg_grid_init); }

/* Size of a class's world (for obs=full), from its parameters. */
static void params_size(const mg_params *p, const mimic_grid_state *map, int *W, int *H) {
  *W = *H = p->size;
  switch (p->kind) {
  case MG_GEN_FOURROOMS: *W = *H = 19; break;
  case MG_GEN_MULTIROOM: *W = *H = 25; break;
  case MG_GEN_UNLOCK:
  case MG_GEN_UNLOCKPICKUP:
  case MG_GEN_BLOCKEDUNLOCKPICKUP: *W = 11, *H = 6; break;
  case MG_GEN_KEYCORRIDOR: *W = (p->size - 1) * 3 + 1, *H = (p->size - 1) * p->a + 1; break;
  case MG_GEN_BOXBALL: *W = 9, *H = 7; break;
  case MG_GEN_MAP: *W = map->width, *H = map->height; break;
  default: break;
  }
}

static void write_obs(mg_impl *I, float *obs) {
  if (!obs) return;
  switch (I->obs) {
  case MG_OBS_ONEHOT: mg_observe_onehot(&I->w, obs); break;
  case MG_OBS_IMAGE: mg_observe_image_f(&I->w, obs); break;
  case MG_OBS_FULL: mg_observe_full(&I->w, obs); break;
  case MG_OBS_VIEW: mg_observe_view(&I->w, obs); break;
  case MG_OBS_RGB: {
    size_t n = (size_t)(7 * I->tile) * (size_t)(7 * I->tile);
    mg_render_view(&I->w, I->tile, I->view_rgb);
    for (size_t p = 0; p < n; p++)
      for (int c = 0; c < 3; c++) obs[(size_t)c * n + p] = I->view_rgb[3 * p + (size_t)c];
    break;
  }
  }
  if (I->obs_mission) {
    float *m = obs + I->obs_base;
    memset(m, 0, sizeof(float) * (size_t)I->mission_count);
    if (I->mission_id >= 0 && I->mission_id < I->mission_count) m[I->mission_id] = 1.0f;
  }
}

mimic_status mg_grid_init(mimic_env *env, void *impl, const void *user, mimic_kv *options,
                          mimic_env_spec *spec) {
  mg_tables_init();
  mg_impl *I = impl;
  I->env = env;
  I->p = user;
  const char *obs = mimic_kv_str(options, "obs", "onehot");
  if (!strcmp(obs, "onehot"))
    I->obs = MG_OBS_ONEHOT;
  else if (!strcmp(obs, "image"))
    I->obs = MG_OBS_IMAGE;
  else if (!strcmp(obs, "full"))
    I->obs = MG_OBS_FULL;
  else if (!strcmp(obs, "view"))
    I->obs = MG_OBS_VIEW;
  else if (!strcmp(obs, "rgb"))
    I->obs = MG_OBS_RGB;
  else
    return mimic_fail(MIMIC_ERR_INVALID, "option obs=%s: expected onehot, image, full, view or rgb",
                      obs);
  long long m, tile;
  MIMIC_TRY(mimic_kv_int(options, "mission", 0, 0, 1, &m));
  MIMIC_TRY(mimic_kv_int(options, "tile_size", 8, 1, MG_TILE, &tile));
  long long pov;
  MIMIC_TRY(mimic_kv_int(options, "agent_pov", 0, 0, 1, &pov));
  I->agent_pov = pov != 0;
  I->obs_mission = m != 0;
  I->tile = (int)tile;
  bool picture = I->obs == MG_OBS_VIEW || I->obs == MG_OBS_RGB;
  if (picture && I->obs_mission) /* an image has no place for a mission vector */
    return mimic_fail(MIMIC_ERR_INVALID,
                      "option mission=1: obs=%s is an image with no room for "
                      "the mission; use obs=onehot or obs=image",
                      obs);
  if (I->p->kind == MG_GEN_MAP) {
    const char *path = mimic_kv_str(options, "map", NULL);
    if (!path)
      return mimic_fail(MIMIC_ERR_INVALID, "option map=PATH (an ASCII map file) is required");
    I->map = mimic_malloc(sizeof *I->map, "a grid map");
    if (!I->map) return MIMIC_ERR_NOMEM;
    MIMIC_TRY(mimic_grid_load_map(path, I->map));
    spec->max_steps = I->map->max_steps;
  }
  I->mission_count = I->p->mission_count > 0 ? I->p->mission_count : 1;
  params_size(I->p, I->map, &I->full_w, &I->full_h);
  switch (I->obs) {
  case MG_OBS_ONEHOT: I->obs_base = MG_ONEHOT_DIM; break;
  case MG_OBS_IMAGE: I->obs_base = MIMIC_GRID_IMAGE + 1; break;
  case MG_OBS_FULL: I->obs_base = I->full_w * I->full_h * 3 + 3; break;
  case MG_OBS_VIEW: I->obs_base = MIMIC_GRID_IMAGE; break;
  case MG_OBS_RGB: I->obs_base = 3 * (7 * I->tile) * (7 * I->tile); break;
  }
  if (I->obs == MG_OBS_RGB) {
    I->view_rgb = mimic_malloc((size_t)I->obs_base, "the drawn view");
    if (!I->view_rgb) return MIMIC_ERR_NOMEM;
  }
  int dim = I->obs_base + (I->obs_mission ? I->mission_count : 0);
  I->low = mimic_calloc((size_t)dim, sizeof(float), "observation bounds");
  I->high = mimic_malloc((size_t)dim * sizeof(float), "observation bounds");
  if (!I->low || !I->high) return MIMIC_ERR_NOMEM;
  for (int i = 0; i < dim; i++)
    I->high[i] = I->obs == MG_OBS_ONEHOT || i >= I->obs_base ? 1.0f : 255.0f;
  if (I->obs == MG_OBS_IMAGE) I->high[MIMIC_GRID_IMAGE] = 3.0f;
  spec->obs_space = mimic_space_box(dim, I->low, I->high);
  if (picture) { /* channels-first, for --policy cnn */
    int side = I->obs == MG_OBS_VIEW ? 7 : 7 * I->tile;
    spec->obs_space.ndim = 3;
    spec->obs_space.shape[0] = 3;
    spec->obs_space.shape[1] = side;
    spec->obs_space.shape[2] = side;
  }
  spec->action_space = mimic_space_discrete(MIMIC_GRID_N_ACTIONS);
  /* a world to look at before the first reset */
  mg_world_init(&I->w, 3, 3);
  I->w.max_steps = 1;
  return MIMIC_OK;
}

void mg_grid_fini(void *impl) {
  mg_impl *I = impl;
  free(I->low);
  free(I->high);
  free(I->map);
  free(I->view_rgb);
  mg_planner_free(I->planner);
}

mimic_status mg_grid_reset(void *impl, mimic_rng *rng, mimic_kv *opts, float *obs) {
  mg_impl *I = impl;
  const int max_steps = mimic_env_max_steps(I->env); /* as made: mimic restored it */
  I->plan_valid = false;
  if (I->p->kind == MG_GEN_MAP) {
    MIMIC_TRY(mg_world_from_state(&I->w, I->map));
    snprintf(I->mission, sizeof I->mission, "%s", I->map->mission);
    I->mission_id = I->map->mission_id;
  } else if (!mg_generate(I->p, &I->w, rng, I->mission, sizeof I->mission, &I->mission_id)) {
    return mimic_fail(MIMIC_ERR_INVALID,
                      "layout generation gave up (MiniGrid raises RecursionError here)");
  }
  I->w.step_count = 0;
  I->w.max_steps = max_steps > 0 ? max_steps : I->p->max_steps;
  write_obs(I, obs);
  return MIMIC_OK;
}

/* One step of the world; keeps the cached plan in step. */
static int apply(mg_impl *I, int a, double *reward) {
  int f = mg_step(&I->w, a, reward);
  if (I->plan_valid) {
    if (I->plan_pos < I->plan_len && I->plan[I->plan_pos] == a)
      I->plan_pos++;
    else
      I->plan_valid = false;
  }
  return f;
}

mimic_status mg_grid_step(void *impl, const float *action, float *obs, double *reward,
                          bool *terminated) {
  mg_impl *I = impl;
  int f = apply(I, (int)action[0], reward);
  *terminated = f & MG_TERMINATED;
  write_obs(I, obs);
  return MIMIC_OK;
}

static mimic_status replan(mg_impl *I) {
  I->plan_valid = false;
  if (!I->planner) {
    I->planner = mg_planner_new();
    if (!I->planner) return MIMIC_ERR_NOMEM;
  }
  MIMIC_TRY(mg_plan(I->planner, &I->w, I->plan, MG_PLAN_CAP, &I->plan_len));
  I->plan_pos = 0;
  I->plan_valid = true;
  return MIMIC_OK;
}

mimic_status mg_grid_expert(void *impl, float *action) {
  mg_impl *I = impl;
  if (!I->plan_valid || I->plan_pos >= I->plan_len) {
    mimic_status st = replan(I);
    if (st == MIMIC_ERR_NOMEM) return st;
    if (st != MIMIC_OK || I->plan_len == 0) {
      /* no way to succeed from here (e.g. the target was destroyed): do nothing harmful */
      MIMIC_DEBUG("%s: %s; the expert says 'done'", mimic_env_id(I->env), mimic_errmsg());
      mimic_errclear();
      I->plan_valid = false;
      *action = MIMIC_GRID_DONE;
      return MIMIC_OK;
    }
  }
  *action = (float)I->plan[I->plan_pos];
  return MIMIC_OK;
}

/* ---- get/set state as doubles ------------------------------------------- */

enum { HDR = 24 };

int mg_grid_get_state(const void *impl, double *out, int cap) {
  const mg_impl *I = impl;
  const mg_world *w = &I->w;
  int n = HDR + 5 * w->n_boxes + w->width * w->height * 3;
  if (cap < n) return n;
  mimic_grid_state *st = malloc(sizeof *st);
  if (!st) return 0;
  mg_world_to_state(w, st);
  double *o = out;
  *o++ = 1; /* layout version */
  *o++ = st->width, *o++ = st->height;
  *o++ = st->agent_x, *o++ = st->agent_y, *o++ = st->agent_dir;
  for (int k = 0; k < 3; k++) *o++ = st->carrying[k];
  for (int k = 0; k < 3; k++) *o++ = st->carrying_contains[k];
  *o++ = st->step_count, *o++ = st->max_steps, *o++ = st->see_through_walls;
  *o++ = st->task.kind, *o++ = st->task.x, *o++ = st->task.y, *o++ = st->task.type,
  *o++ = st->task.color;
  *o++ = I->mission_id;
  *o++ = st->n_boxes;
  *o++ = 0, *o++ = 0; /* reserved */
  for (int b = 0; b < st->n_boxes; b++) {
    *o++ = st->boxes[b].x, *o++ = st->boxes[b].y;
    for (int k = 0; k < 3; k++) *o++ = st->boxes[b].contains[k];
  }
  for (int i = 0; i < st->width * st->height * 3; i++) *o++ = st->grid[i];
  free(st);
  return n;
}

static mimic_status load_state(mg_impl *I, const mimic_grid_state *st);

mimic_status mg_grid_set_state(void *impl, const double *in, int n) {
  mg_impl *I = impl;
  if (n < HDR)
    return mimic_fail(MIMIC_ERR_FORMAT, "a grid state has at least %d values, got %d", HDR, n);
  for (int i = 0; i < n; i++)
    if (!(in[i] >= 0 && in[i] <= 1e9 && in[i] == floor(in[i])))
      return mimic_fail(MIMIC_ERR_FORMAT,
                        "grid state value %d (%g) is not a small non-negative integer", i, in[i]);
  if (in[0] != 1)
    return mimic_fail(MIMIC_ERR_FORMAT, "grid state layout %g is unknown (expected 1)", in[0]);
  mimic_grid_state *st = calloc(1, sizeof *st);
  if (!st) return mimic_fail_nomem("a grid state");
  const double *p = in + 1;
  st->width = (int)*p++, st->height = (int)*p++;
  st->agent_x = (int)*p++, st->agent_y = (int)*p++, st->agent_dir = (int)*p++;
  for (int k = 0; k < 3; k++) st->carrying[k] = (uint8_t)fmin(*p++, 255);
  for (int k = 0; k < 3; k++) st->carrying_contains[k] = (uint8_t)fmin(*p++, 255);
  st->step_count = (int)*p++, st->max_steps = (int)*p++, st->see_through_walls = *p++ != 0;
  st->task.kind = (mimic_grid_task_kind)(int)*p++;
  st->task.x = (int)*p++, st->task.y = (int)*p++, st->task.type = (int)*p++,
  st->task.color = (int)*p++;
  st->mission_id = (int)*p++;
  st->n_boxes = (int)*p++;
  p += 2;
  mimic_status s = MIMIC_OK;
  if (st->width < 3 || st->height < 3 || st->width > MIMIC_GRID_MAX ||
      st->height > MIMIC_GRID_MAX || st->n_boxes > MIMIC_GRID_MAX_BOXES ||
      n != HDR + 5 * st->n_boxes + st->width * st->height * 3) {
    s = mimic_fail(MIMIC_ERR_FORMAT, "grid state: %d values do not fit a %dx%d world with %d boxes",
                   n, st->width, st->height, st->n_boxes);
  } else {
    for (int b = 0; b < st->n_boxes; b++) {
      st->boxes[b].x = (int)*p++, st->boxes[b].y = (int)*p++;
      for (int k = 0; k < 3; k++) st->boxes[b].contains[k] = (uint8_t)fmin(*p++, 255);
    }
    for (int i = 0; i < st->width * st->height * 3; i++) st->grid[i] = (uint8_t)fmin(*p++, 255);
    snprintf(st->mission, sizeof st->mission, "%s", I->mission);
    s = load_state(I, st);
  }
  free(st);
  return s;
}

/* ---- rendering ----------------------------------------------------------- */

static void state_of(const mg_impl *I, mimic_grid_state *st) {
  memset(st, 0, sizeof *st);
  mg_world_to_state(&I->w, st);
  snprintf(st->mission, sizeof st->mission, "%s", I->mission);
  st->mission_id = I->mission_id;
}

mimic_status mg_grid_render_text(void *impl, char *buf, size_t cap) {
  mimic_grid_state *st = malloc(sizeof *st);
  if (!st) return mimic_fail_nomem("a grid state");
  state_of(impl, st);
  mimic_status s = mimic_grid_format_map(st, buf, cap);
  free(st);
  return s;
}

mimic_status mg_grid_render_rgb(void *impl, uint8_t *rgb, int *w, int *h) {
  mg_impl *I = impl;
  int W = I->w.width * MG_TILE, H = I->w.height * MG_TILE;
  if (I->agent_pov) W = H = 7 * MG_TILE; /* MiniGrid's render() with agent_pov=True */
  if (!rgb || *w == 0 || *h == 0) {
    *w = W, *h = H;
    return MIMIC_OK;
  }
  if (*w < W || *h < H)
    return mimic_fail(MIMIC_ERR_INVALID, "the frame is %dx%d pixels, the buffer %dx%d", W, H, *w,
                      *h);
  *w = W, *h = H;
  if (I->agent_pov)
    mg_render_view(&I->w, MG_TILE, rgb);
  else
    mg_render_rgb(&I->w, rgb);
  return MIMIC_OK;
}

/* ---- mimic/grid.h ------------------------------------------------------- */

bool mimic_grid_is_grid(const mimic_env *env) { return mg_grid_impl(env) != NULL; }

static mimic_status not_grid(const mimic_env *env) {
  return mimic_fail(MIMIC_ERR_INVALID, "%s is not a gridworld", env ? mimic_env_id(env) : "(null)");
}

#define NEED_GRID(env, I)                                                                          \
  mg_impl *I = mg_grid_impl(env);                                                                  \
  if (!I) return not_grid(env)

mimic_status mimic_grid_observe(mimic_env *env, uint8_t *image, int *direction) {
  NEED_GRID(env, I);
  if (image) mg_observe_image(&I->w, image);
  if (direction) *direction = I->w.dir;
  return MIMIC_OK;
}

const char *mimic_grid_mission(const mimic_env *env) {
  mg_impl *I = mg_grid_impl(env);
  return I ? I->mission : "";
}

int mimic_grid_mission_id(const mimic_env *env) {
  mg_impl *I = mg_grid_impl(env);
  return I ? I->mission_id : 0;
}

int mimic_grid_mission_count(const mimic_env *env) {
  mg_impl *I = mg_grid_impl(env);
  return I ? I->mission_count : 0;
}

mimic_status mimic_grid_step(mimic_env *env, int action, uint8_t *image, double *reward,
                             bool *terminated, bool *truncated) {
  NEED_GRID(env, I);
  if (action < 0 || action >= MIMIC_GRID_N_ACTIONS)
    return mimic_fail(MIMIC_ERR_RANGE, "%s: action %d is outside Discrete(7)", mimic_env_id(env),
                      action);
  double r;
  int f = apply(I, action, &r);
  const bool out_of_time = mimic_env_count_step(env);
  if (reward) *reward = r;
  if (terminated) *terminated = f & MG_TERMINATED;
  if (truncated) *truncated = out_of_time;
  if (image) mg_observe_image(&I->w, image);
  return MIMIC_OK;
}

void mimic_grid_agent(const mimic_env *env, int *x, int *y, int *dir) {
  mg_impl *I = mg_grid_impl(env);
  if (!I) return;
  if (x) *x = mg_x(&I->w, I->w.agent);
  if (y) *y = mg_y(&I->w, I->w.agent);
  if (dir) *dir = I->w.dir;
}

bool mimic_grid_carrying(const mimic_env *env, uint8_t obj[3], uint8_t contains[3]) {
  mg_impl *I = mg_grid_impl(env);
  if (!I) return false;
  if (obj) memcpy(obj, mg_tab.enc[I->w.carrying], 3);
  if (contains) memcpy(contains, mg_tab.enc[I->w.carrying_inside], 3);
  if (obj && !I->w.carrying) memset(obj, 0, 3);
  if (contains && !I->w.carrying_inside) memset(contains, 0, 3);
  return I->w.carrying != 0;
}

void mimic_grid_encode(const mimic_env *env, uint8_t *out) {
  mg_impl *I = mg_grid_impl(env);
  if (!I) return;
  const mg_world *w = &I->w;
  for (int x = 0; x < w->width; x++)
    for (int y = 0; y < w->height; y++)
      memcpy(out + ((size_t)x * (size_t)w->height + (size_t)y) * 3,
             mg_tab.enc[w->cell[mg_idx(w, x, y)]], 3);
}

void mimic_grid_get_state(const mimic_env *env, mimic_grid_state *st) {
  mg_impl *I = mg_grid_impl(env);
  if (I) state_of(I, st);
}

static mimic_status load_state(mg_impl *I, const mimic_grid_state *st) {
  if (I->obs == MG_OBS_FULL && (st->width != I->full_w || st->height != I->full_h))
    return mimic_fail(MIMIC_ERR_INVALID, "obs=full is sized for a %dx%d world; this state is %dx%d",
                      I->full_w, I->full_h, st->width, st->height);
  MIMIC_TRY(mg_world_from_state(&I->w, st));
  snprintf(I->mission, sizeof I->mission, "%s", st->mission);
  I->mission_id = st->mission_id;
  I->plan_valid = false;
  return mimic_env_set_clock(I->env, st->step_count, st->max_steps);
}

mimic_status mimic_grid_set_state(mimic_env *env, const mimic_grid_state *st) {
  NEED_GRID(env, I);
  mimic_status s = load_state(I, st);
  return s == MIMIC_OK ? MIMIC_OK : mimic_errctx("%s", mimic_env_id(env));
}

mimic_status mimic_grid_plan(mimic_env *env, int *actions, int cap, int *n) {
  NEED_GRID(env, I);
  *n = 0;
  MIMIC_TRY(replan(I));
  if (I->plan_len > cap)
    return mimic_fail(MIMIC_ERR_RANGE, "the plan has %d actions, room for %d", I->plan_len, cap);
  for (int i = 0; i < I->plan_len; i++) actions[i] = I->plan[i];
  *n = I->plan_len;
  return MIMIC_OK;
}
