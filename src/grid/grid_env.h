/* The gridworld class's operations, for the class list (grid_classes.c):
 * every MiniGrid id is the same class with its own mg_params. The grid
 * layer sees the generic env layer only through its public headers
 * (mimic/env_class.h), as any environment author does. */
#ifndef MIMIC_GRID_ENV_H
#define MIMIC_GRID_ENV_H

#include <math.h>

#include "mimic/env_class.h"
#include "grid/world.h"

#define MG_PLAN_CAP 8192

typedef enum mg_obs_kind {
  MG_OBS_ONEHOT,
  MG_OBS_IMAGE,
  MG_OBS_FULL,
  MG_OBS_VIEW, /* the encoding as a [3][7][7] image, no direction */
  MG_OBS_RGB   /* the agent's view drawn: [3][7*tile][7*tile] */
} mg_obs_kind;

/* The class state of every gridworld env. */
typedef struct mg_impl {
  mimic_env *env;
  const mg_params *p;
  mg_obs_kind obs;
  bool obs_mission;
  int mission_count;
  int obs_base; /* floats before the mission one-hot */
  int full_w, full_h;
  int tile;          /* obs=rgb: pixels per view cell */
  bool agent_pov;    /* render_rgb draws the agent's view (MiniGrid's agent_pov) */
  uint8_t *view_rgb; /* obs=rgb: the drawn view, 7*tile square RGB bytes */
  float *low, *high;
  char mission[128];
  int mission_id;
  mimic_grid_state *map; /* mimic-GridMap-v0: the level */
  mg_planner *planner;
  uint8_t plan[MG_PLAN_CAP];
  int plan_len, plan_pos;
  bool plan_valid;
  mg_world w;
} mg_impl;

/* The gridworld state of env, or NULL when env is not a gridworld: how the
 * grid API (mimic/grid.h) and tests reach the world behind a mimic_env. */
mg_impl *mg_grid_impl(const mimic_env *env);

mimic_status mg_grid_init(mimic_env *env, void *impl, const void *user, mimic_kv *options,
                          mimic_env_spec *spec);
void mg_grid_fini(void *impl);
mimic_status mg_grid_reset(void *impl, mimic_rng *rng, mimic_kv *opts, float *obs);
mimic_status mg_grid_step(void *impl, const float *action, float *obs, double *reward,
                          bool *terminated);
mimic_status mg_grid_expert(void *impl, float *action);
int mg_grid_get_state(const void *impl, double *out, int cap);
mimic_status mg_grid_set_state(void *impl, const double *in, int n);
mimic_status mg_grid_render_text(void *impl, char *buf, size_t cap);
mimic_status mg_grid_render_rgb(void *impl, uint8_t *rgb, int *w, int *h);
/* MiniGrid's action names, for people (the human expert's keys). */
extern const char *const mg_action_names[];

#define MG_OPTIONS_HELP                                                                            \
  "obs=onehot|image|full|view|rgb (default onehot; view: the 7x7x3 encoding as a 3x7x7 image, "    \
  "rgb: the view drawn, 3x56x56), tile_size=N (obs=rgb, default 8), mission=0|1 (append a "        \
  "one-hot of the mission id), max_steps=N, agent_pov=1 (pictures show the agent's view)"

/* Defines a class `var` for id ID with mg_params {KIND, SIZE, A, B, C,
 * MAX_STEPS, SEE_THROUGH, MISSIONS}. */
#define MG_CLASS(var, ID, SUMMARY, HELP, KIND, SIZE, A, B, C, MAXS, SEE, MISSIONS)                 \
  MG_CLASS_LISTED(var, true, ID, SUMMARY, HELP, KIND, SIZE, A, B, C, MAXS, SEE, MISSIONS)
/* LISTED false: made by id, left out of `mimic envs` (a test fixture). */
#define MG_CLASS_LISTED(var, LISTED, ID, SUMMARY, HELP, KIND, SIZE, A, B, C, MAXS, SEE, MISSIONS)  \
  static const mg_params var##_params = {KIND, SIZE, A, B, C, MAXS, SEE, MISSIONS};                \
  static const mimic_env_class var = {                                                             \
      .id = ID,                                                                                    \
      .unlisted = !(LISTED),                                                                       \
      .summary = SUMMARY,                                                                          \
      .options_help = HELP,                                                                        \
      .impl_size = sizeof(mg_impl),                                                                \
      .max_episode_steps = MAXS,                                                                   \
      .reward_threshold = NAN,                                                                     \
      .user = &var##_params,                                                                       \
      .success = MIMIC_SUCCESS_POSITIVE,                                                           \
      .action_names = mg_action_names,                                                             \
      .init = mg_grid_init,                                                                        \
      .fini = mg_grid_fini,                                                                        \
      .reset = mg_grid_reset,                                                                      \
      .step = mg_grid_step,                                                                        \
      .expert = mg_grid_expert,                                                                    \
      .get_state = mg_grid_get_state,                                                              \
      .set_state = mg_grid_set_state,                                                              \
      .render_text = mg_grid_render_text,                                                          \
      .render_rgb = mg_grid_render_rgb,                                                            \
  }

#endif
