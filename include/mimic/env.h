/* mimic/env.h: environments with Gymnasium's words and semantics.
 *
 * `mimic_env_reset(env, seed, obs)` gives the first observation;
 * `mimic_env_step(env, action, obs, &reward, &terminated, &truncated)` gives
 * the next. `terminated` means the task ended (the pole fell, the goal was
 * reached); `truncated` means the time limit (Gymnasium's TimeLimit) cut the
 * episode short. Spaces are Discrete(n) and Box(low, high, shape).
 *
 * Environments never own their inputs and outputs: observations are written
 * into float32 buffers the caller owns, so N environments can write straight
 * into one [N x obs_dim] batch (mimic_vecenv). Actions are float32 too: a
 * Discrete action is one float holding an integer 0..n-1 (anything else is
 * an error), a Box action is obs-independent `dim` floats, clipped to the
 * box where Gymnasium clips.
 *
 * Seeds: reset with seed >= 0 reseeds the environment's generator exactly as
 * Gymnasium's reset(seed=...) does (NumPy PCG64), so initial states match
 * Python seed for seed; MIMIC_SEED_NONE continues the current stream.
 *
 * Adding an environment of one's own: mimic/env_class.h. */
#ifndef MIMIC_ENV_H
#define MIMIC_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/core.h"
#include "mimic/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MIMIC_SEED_NONE (-1)
#define MIMIC_SPACE_MAX_DIMS 4

typedef enum mimic_space_kind { MIMIC_SPACE_DISCRETE, MIMIC_SPACE_BOX } mimic_space_kind;

/* A Discrete(n) or Box(low, high, shape) space of float32 values. */
typedef struct mimic_space {
  mimic_space_kind kind;
  int n;    /* Discrete: number of actions */
  int dim;  /* Box: number of elements (product of shape); Discrete: 1 */
  int ndim; /* Box: rank of shape */
  int shape[MIMIC_SPACE_MAX_DIMS];
  const float *low;  /* Box: dim lower bounds (may be -INFINITY) */
  const float *high; /* Box: dim upper bounds (may be INFINITY) */
} mimic_space;

/* A Discrete(n) space. */
mimic_space mimic_space_discrete(int n);
/* A Box of dim values (shape (dim,)); low and high hold dim bounds each or
 * are NULL (unbounded), and are not copied. */
mimic_space mimic_space_box(int dim, const float *low, const float *high);
/* Returns true when x (dim floats; 1 for Discrete) lies in the space. */
bool mimic_space_contains(const mimic_space *space, const float *x);
/* Number of floats one element of the space takes in a buffer (1 for Discrete). */
int mimic_space_width(const mimic_space *space);
/* Checks that x (n floats) can be an action in the space: n equals the
 * space's width, no value is NaN, and a Discrete value is an integer in
 * 0..n-1 (Box values outside the bounds are allowed: envs clip them). */
mimic_status mimic_space_check(const mimic_space *space, const float *x, int n);
/* Writes the space as Gymnasium/Minari JSON text into buf ("{"type": "Box", ...}"). */
mimic_status mimic_space_to_json(const mimic_space *space, char *buf, size_t cap);
/* The space's JSON (as mimic_space_to_json) in a new string the caller
 * frees, however large the space; NULL with the error set on failure. */
char *mimic_space_json(const mimic_space *space);
/* Draws a uniform sample (Discrete: integer; Box: uniform where bounded, normal where not). */
void mimic_space_sample(const mimic_space *space, mimic_rng *rng, float *out);

typedef struct mimic_env mimic_env;

/* Describes a registered environment. */
typedef struct mimic_env_info {
  const char *id;      /* "CartPole-v1" */
  const char *summary; /* one line */
  const char *options; /* the options it takes, "horizon=N (default 400), ..." */
  bool unlisted;       /* a test fixture: `mimic envs` lists it only when asked by id */
} mimic_env_info;

/* Number of registered environment ids. */
int mimic_env_count(void);
/* Information about registered environment i (0 <= i < count). */
const mimic_env_info *mimic_env_info_at(int i);

/* Creates an environment by id with options "key=value,key=value" (or NULL).
 * Unknown ids and options are errors naming what was wrong. */
mimic_status mimic_env_make(const char *id, const char *options, mimic_env **out);
/* Frees an environment (NULL is fine). */
void mimic_env_free(mimic_env *env);

/* The id the environment was made with. */
const char *mimic_env_id(const mimic_env *env);
/* The observation space (always a Box of float32). */
const mimic_space *mimic_env_obs_space(const mimic_env *env);
/* The action space. */
const mimic_space *mimic_env_action_space(const mimic_env *env);
/* The time limit in steps (Gymnasium's max_episode_steps); 0 if none. */
int mimic_env_max_steps(const mimic_env *env);
/* Steps taken in the current episode. */
int mimic_env_elapsed(const mimic_env *env);
/* Gymnasium's reward_threshold for "solved", or NAN if it has none. */
double mimic_env_reward_threshold(const mimic_env *env);

/* Whether an episode that ended this way succeeded: 1, 0, or NAN when the
 * environment has no notion of success. */
double mimic_env_success(const mimic_env *env, double episode_return, bool terminated,
                         double last_reward);

/* Starts an episode and writes the first observation. seed >= 0 reseeds;
 * MIMIC_SEED_NONE continues the generator. */
mimic_status mimic_env_reset(mimic_env *env, int64_t seed, float *obs);
/* Like reset, with Gymnasium reset options ("low=-0.1,high=0.1"). */
mimic_status mimic_env_reset_with(mimic_env *env, int64_t seed, const char *options, float *obs);
/* Applies one action; writes the observation, reward and the two flags.
 * A NaN, a non-integer or out-of-range discrete action is an error. */
mimic_status mimic_env_step(mimic_env *env, const float *action, float *obs, double *reward,
                            bool *terminated, bool *truncated);

/* The name of discrete action a ("forward"), or NULL when it has none. */
const char *mimic_env_action_name(const mimic_env *env, int a);
/* The name of dimension j of a Box action ("torque"), or NULL when it has none. */
const char *mimic_env_action_dim_name(const mimic_env *env, int j);

/* Asks the environment's built-in expert for the action in the current state. */
mimic_status mimic_env_expert_act(mimic_env *env, float *action);
/* True when the environment has a built-in expert. */
bool mimic_env_has_expert(const mimic_env *env);

/* The environment's internal state as doubles (for tests and replays):
 * Gymnasium's env.unwrapped.state first, then whatever else the class needs
 * to resume exactly (docs/envs.md lists them); returns the number of
 * values, or 0 when not supported. */
int mimic_env_get_state(const mimic_env *env, double *state, int cap);
/* Sets the internal state (the inverse of get_state; the classic-control
 * envs also take just Gymnasium's part, as right after reset). */
mimic_status mimic_env_set_state(mimic_env *env, const double *state, int n);

/* Bytes mimic_env_save_state needs for env now (0 when its class has no get_state). */
size_t mimic_env_saved_size(const mimic_env *env);
/* Writes everything that decides env's future into buf (size bytes from
 * mimic_env_saved_size, 8-byte aligned): its class's state, its generator
 * and the episode's clock, for mimic_env_load_state to resume from. */
mimic_status mimic_env_save_state(const mimic_env *env, void *buf, size_t size);
/* Restores what mimic_env_save_state wrote (buf 8-byte aligned) into an
 * environment made with the same id and options; every field is checked
 * before env changes (the class's set_state checks its own). */
mimic_status mimic_env_load_state(mimic_env *env, const void *buf, size_t size);

/* Writes a text picture of the current state into buf (NUL-terminated). */
mimic_status mimic_env_render_text(mimic_env *env, char *buf, size_t cap);
/* Renders an RGB frame (w*h*3 bytes, caller-owned); *w and *h give the size
 * of buf on entry (0 = ask) and the frame's size on return. */
mimic_status mimic_env_render_rgb(mimic_env *env, uint8_t *rgb, int *w, int *h);
/* Renders a frame and writes it as a PNG file (durably). */
mimic_status mimic_env_render_png(mimic_env *env, const char *path);

/* ---- copies stepped together -------------------------------------------- */

/* Makes n copies of env id with options into envs[n], to be stepped
 * together: copies of a program environment ("cmd:", "gym:") are then
 * served by one program in one message per step when it speaks protocol 2
 * (docs/env-protocol.md). On failure none is left. */
mimic_status mimic_env_make_copies(const char *id, const char *options, int n, mimic_env **envs);

/* One step of several copies (mimic_env_step_copies). Buffers have a row
 * per copy of envs (the caller's [N x width] batch); only the rows listed
 * are read and written. */
typedef struct mimic_env_batch {
  mimic_env *const *envs; /* [N] copies of one id (from mimic_env_make_copies) */
  const int *rows;        /* the m copies to step, in order; NULL: 0..m-1 */
  int m;
  const float *actions;         /* [N x act_width] */
  float *obs;                   /* [N x obs_dim] */
  double *reward;               /* [N] */
  bool *terminated, *truncated; /* [N] */
  float *final_obs; /* [N x obs_dim]: the last observation of an episode that ended (or NULL) */
  bool *reset;      /* [N]: whether the copy was reset in this step */
  int64_t
      next_seed; /* the j-th copy to end is reset with next_seed + j (MIMIC_SEED_NONE: continues) */
  long max_resets; /* at most this many copies are reset; others that end stay ended */
} mimic_env_batch;

/* Steps the listed copies (every action is checked before any copy moves).
 * A copy that ends is reset in the same call, in row order, while resets
 * remain (b->reset says which were): obs row i then holds the next episode's
 * first observation, as in a vector environment. */
mimic_status mimic_env_step_copies(const mimic_env_batch *b);
/* Resets envs[rows[k]] (k < m; rows NULL: envs[k]) with seeds[k] into their obs rows. */
mimic_status mimic_env_reset_copies(mimic_env *const *envs, const int *rows, int m,
                                    const int64_t *seeds, float *obs);

/* ---- vector environments ----------------------------------------------- */

/* N copies of one environment stepping into shared [N x obs_dim] buffers,
 * with auto-reset in the same step as Stable-Baselines3's VecEnv: when copy i
 * ends (terminated or truncated), obs row i holds the first observation of
 * its next episode and final_obs row i holds the last observation of the
 * episode that ended. */
typedef struct mimic_vecenv mimic_vecenv;

/* Creates n copies of env id with options. */
mimic_status mimic_vecenv_make(const char *id, const char *options, int n, mimic_vecenv **out);
/* Frees a vector environment (NULL is fine). */
void mimic_vecenv_free(mimic_vecenv *venv);
/* Number of copies. */
int mimic_vecenv_size(const mimic_vecenv *venv);
/* Copy i, for its spaces or its expert. */
mimic_env *mimic_vecenv_env(mimic_vecenv *venv, int i);
/* Resets every copy: copy i is reset with seed + i (as Gymnasium's vector
 * envs and SB3 do), or continues its stream with MIMIC_SEED_NONE. */
mimic_status mimic_vecenv_reset(mimic_vecenv *venv, int64_t seed, float *obs);
/* Steps every copy with actions [N x act_width]; writes obs [N x obs_dim],
 * rewards [N], terminated [N], truncated [N], and final_obs [N x obs_dim]
 * rows for copies that ended (final_obs may be NULL). */
mimic_status mimic_vecenv_step(mimic_vecenv *venv, const float *actions, float *obs,
                               double *rewards, bool *terminated, bool *truncated,
                               float *final_obs);

#ifdef __cplusplus
}
#endif
#endif
