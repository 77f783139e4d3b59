/* The inside of an environment: what an environment file implements.
 *
 * One environment, one small file (PufferLib's way): a struct with its
 * state and the functions below. The generic layer (env.c) owns seeding,
 * the time limit, action validation and the spaces' storage; a class only
 * simulates. A class never allocates in reset or step. */
#ifndef MIMIC_ENV_IMPL_H
#define MIMIC_ENV_IMPL_H

#include "mimic/env.h"

typedef struct mimic_env_class mimic_env_class;

/* What counts as a successful episode (for success rates in evaluation). */
typedef enum mimic_success_rule {
  MIMIC_SUCCESS_DEFAULT = 0, /* return >= reward_threshold; undefined without one */
  MIMIC_SUCCESS_TERMINATED,  /* the episode terminated: a goal was reached (MountainCar, Acrobot) */
  MIMIC_SUCCESS_POSITIVE,    /* terminated with a positive last reward (MiniGrid: not lava) */
  MIMIC_SUCCESS_SURVIVE,     /* never terminated: lasted to the time limit (CartPole, LaneKeep) */
  MIMIC_SUCCESS_THRESHOLD,   /* return >= success_threshold (Pendulum: -200) */
} mimic_success_rule;

struct mimic_env_class {
  const char *id;
  const char *summary;
  const char *options_help;
  size_t impl_size;                /* bytes of the class's state struct (zeroed before init) */
  int max_episode_steps;           /* Gymnasium's registered TimeLimit; 0 = none */
  double reward_threshold;         /* NAN when Gymnasium registers none */
  const void *params;              /* per-id constants for classes shared by several ids */
  mimic_success_rule success;      /* how evaluation counts a success */
  double success_threshold;        /* for MIMIC_SUCCESS_THRESHOLD */
  const char *const *action_names; /* Discrete: n names for people ("left", ...); may be NULL */

  /* Reads the class's options (mark them used) and fills env->obs_space and
   * env->action_space (bounds may point into impl). May change
   * env->max_steps (e.g. LaneKeep's horizon). */
  mimic_status (*init)(mimic_env *env, void *impl, mimic_kv *options);
  /* Releases what init acquired (may be NULL). */
  void (*fini)(void *impl);
  /* Draws an initial state from rng (reset options in opts, already parsed;
   * mark used ones) and writes the first observation. */
  mimic_status (*reset)(void *impl, mimic_rng *rng, mimic_kv *opts, float *obs);
  /* One step with an action already validated against the action space
   * (Box actions are NOT clipped: the class clips as Gymnasium does). */
  void (*step)(void *impl, const float *action, float *obs, double *reward, bool *terminated);
  /* The built-in expert's action for the current state (NULL if none). */
  mimic_status (*expert)(void *impl, float *action);
  /* Internal state as doubles (NULL if not supported). */
  int (*get_state)(const void *impl, double *state, int cap);
  mimic_status (*set_state)(void *impl, const double *state, int n, float *obs);
  /* Text picture and RGB frame (NULL if not supported). */
  mimic_status (*render_text)(void *impl, char *buf, size_t cap);
  mimic_status (*render_rgb)(void *impl, uint8_t *rgb, int *w, int *h);
};

struct mimic_env {
  const mimic_env_class *cls;
  void *impl;
  mimic_rng rng;
  bool seeded;
  mimic_space obs_space;
  mimic_space action_space;
  int max_steps;
  int elapsed;
  char id[64];
};

/* NULL-terminated class lists, one per family (registry.c joins them). */
extern const mimic_env_class
    *const mimic_control_classes[];                       /* src/envs: classic control, LaneKeep */
extern const mimic_env_class *const mimic_grid_classes[]; /* src/grid: the MiniGrid suite */

/* Looks up a class by id among all families (NULL if unknown). */
const mimic_env_class *mimic_env_class_find(const char *id);

/* Checks an action against the space: finite, integral and in range for
 * Discrete. Returns an error naming the problem. */
mimic_status mimic_env_check_action(const mimic_space *space, const float *action);

#endif
