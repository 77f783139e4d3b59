/* mimic/env_class.h: writing an environment (docs/write-an-environment.md).
 *
 * An environment is a class: constants and functions over the class's own
 * state (impl_size bytes, zeroed, one per environment made). Registered
 * with mimic_env_register, it is made by id (mimic_env_make), listed by
 * `mimic envs` and used by every command (--env ID) and trainer like the
 * built-in ones, which register themselves through the same call.
 *
 * mimic does what is the same for every environment: it parses options,
 * seeds (reset receives the generator, reseeded when the caller gave a
 * seed), counts steps and truncates at the time limit, checks actions (a
 * NaN, a non-integer or an out-of-range Discrete action never reaches
 * step), and stores the spaces. A class only simulates, on the caller's
 * buffers (obs holds obs_space.dim floats) and without allocating in reset
 * or step. A function that fails returns a status with mimic_fail. */
#ifndef MIMIC_ENV_CLASS_H
#define MIMIC_ENV_CLASS_H

#include "mimic/env.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MIMIC_ENV_ID_MAX 64 /* bytes of an id, its terminating NUL included */

/* What counts as a successful episode (success rates in evaluation). */
typedef enum mimic_success_rule {
  MIMIC_SUCCESS_DEFAULT = 0, /* return >= reward_threshold; no notion of success without one */
  MIMIC_SUCCESS_TERMINATED,  /* the episode terminated: a goal was reached (MountainCar) */
  MIMIC_SUCCESS_POSITIVE,    /* terminated with a positive last reward (MiniGrid: not lava) */
  MIMIC_SUCCESS_SURVIVE,     /* never terminated: lasted to the time limit (CartPole) */
  MIMIC_SUCCESS_THRESHOLD,   /* return >= success_threshold (Pendulum: -200) */
} mimic_success_rule;

/* What init declares. Box bounds are not copied: they point into the
 * class's state or static memory, or are NULL for unbounded (mimic then
 * shows users +-INFINITY). */
typedef struct mimic_env_spec {
  mimic_space obs_space;    /* a Box (1 to MIMIC_SPACE_MAX_DIMS dims, shape's product = dim) */
  mimic_space action_space; /* Discrete(n) or a Box */
  int max_steps;            /* comes in as max_episode_steps; init may change it (0 = none) */
} mimic_env_spec;

/* Reads the options (each reader marks its key used; a key nobody read is
 * an error) and fills spec. user is the class's user pointer. env is for
 * mimic_env_* calls later (its id, time limit); its spaces are not set yet. */
typedef mimic_status mimic_env_init_fn(mimic_env *env, void *impl, const void *user,
                                       mimic_kv *options, mimic_env_spec *spec);

typedef struct mimic_env_class {
  const char *id;                  /* "PointMass-v0": printable, no spaces, < ID_MAX bytes */
  const char *summary;             /* one line for `mimic envs` */
  const char *options_help;        /* "dims=N (default 2)", or NULL */
  size_t impl_size;                /* bytes of the class's state (zeroed before init) */
  int max_episode_steps;           /* Gymnasium's TimeLimit; 0 = none; max_steps=N overrides */
  double reward_threshold;         /* the return that counts as solved; NAN for none */
  const void *user;                /* constants of this id (one class serving several ids)
                                      or a foreign environment's object; given to init */
  mimic_success_rule success;      /* how evaluation counts a success */
  double success_threshold;        /* for MIMIC_SUCCESS_THRESHOLD */
  const char *const *action_names; /* Discrete: n names for people ("left", ...); a Box: dim
                                      names of its dimensions ("torque"); or NULL */

  mimic_env_init_fn *init;  /* required */
  void (*fini)(void *impl); /* releases what init acquired; may be NULL */
  /* Required. Draws an initial state from rng and writes the first
   * observation. options are Gymnasium's reset options (mark the ones read). */
  mimic_status (*reset)(void *impl, mimic_rng *rng, mimic_kv *options, float *obs);
  /* Required. One step with a checked action (a Box action is NOT clipped:
   * clip it where the environment should). Writes the observation, reward and
   * whether the task ended (Gymnasium's terminated; mimic adds truncated). */
  mimic_status (*step)(void *impl, const float *action, float *obs, double *reward,
                       bool *terminated);
  /* Optional: the built-in expert's action in the current state. */
  mimic_status (*expert)(void *impl, float *action);
  /* Optional: the state as doubles; returns how many (writes at most cap). */
  int (*get_state)(const void *impl, double *state, int cap);
  /* Optional: the inverse of get_state (checks what it is given). */
  mimic_status (*set_state)(void *impl, const double *state, int n);
  /* Optional: a text picture (NUL-terminated in cap bytes) and an RGB frame
   * (w*h*3 bytes; rgb NULL or *w, *h 0 asks for the size). */
  mimic_status (*render_text)(void *impl, char *buf, size_t cap);
  mimic_status (*render_rgb)(void *impl, uint8_t *rgb, int *w, int *h);
  bool unlisted; /* made by id, but left out of `mimic envs`' listing (test fixtures) */
  /* Optional (both or neither): copies of this class made together
   * (mimic_env_make_copies) stepped and reset in one call each, for
   * environments whose copies live in one object (a Python vector env: one
   * callback per step, not one per copy). step_copies fills b's rows as
   * mimic_env_step_copies says, with the class's own truncation in
   * b->truncated (mimic adds its time limit: a copy whose step reaches
   * mimic_env_max_steps ends too, and is reset like one that terminated);
   * mimic counts the steps and the clocks. reset_copies is
   * mimic_env_reset_copies (seeds MIMIC_SEED_NONE: continue the generator). */
  mimic_status (*step_copies)(const mimic_env_batch *b);
  mimic_status (*reset_copies)(mimic_env *const *envs, const int *rows, int m, const int64_t *seeds,
                               float *obs);
} mimic_env_class;

/* Adds cls under cls->id, after those registered before (thread-safe).
 * mimic keeps the pointer: cls and its strings must outlive every use.
 * Fails, saying why, for NULL, an id that is missing, too long, has spaces
 * or is taken, a missing init, reset or step, or a bad time limit or rule. */
mimic_status mimic_env_register(const mimic_env_class *cls);

/* The state of env when it was made by a class whose init is `init`, else
 * NULL: how a family's own API (mimic/grid.h) reaches its environments. */
void *mimic_env_impl_of(const mimic_env *env, mimic_env_init_fn *init);

/* For a class whose states carry the episode's clock (a loaded gridworld
 * state holds MiniGrid's step_count and max_steps): sets the steps taken
 * and the time limit; the next reset restores the limit env was made with. */
mimic_status mimic_env_set_clock(mimic_env *env, int elapsed, int max_steps);
/* For a class that wraps an environment with its own generator (a Python
 * object): the seed of the reset in progress or last done, MIMIC_SEED_NONE
 * when it continues the generator, so the wrapped one is reset the same way. */
int64_t mimic_env_reset_seed(const mimic_env *env);
/* For a class whose copies share one object (step_copies): env's index
 * among the copies made together by mimic_env_make_copies, with their count
 * in *copies; -1 (and *copies 0) for an environment made alone. Valid in
 * init too. */
int mimic_env_copy_index(const mimic_env *env, int *copies);
/* For a family's API that steps its environments itself (mimic_grid_step):
 * counts one step; returns whether it reached the time limit (truncated). */
bool mimic_env_count_step(mimic_env *env);

#ifdef __cplusplus
}
#endif
#endif
