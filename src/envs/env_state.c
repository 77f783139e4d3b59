/* Saving and restoring an environment mid-episode, for trainers'
 * checkpoints (mimic/env.h: mimic_env_save_state / mimic_env_load_state).
 *
 * What decides an environment's future is more than its class's get_state:
 * the generator (a training rollout resets later episodes by continuing it)
 * and the episode's clock (steps taken, this episode's time limit) live in
 * the generic layer. The bytes are a fixed header, then the class's state
 * as doubles. They are meant to be read back by the same build on the same
 * kind of machine (the generator is stored as it sits in memory); a reader
 * checks every field it can before anything changes. */
#include <string.h>

#include "envs/env_impl.h"

#define SAVED_MAGIC 0x31564e45u /* "ENV1" */
#define SAVED_MAX_STATE (1 << 20)

/* The fixed part; n_state doubles follow. Its size is a multiple of 16 (the
 * generator's alignment), so the doubles stay aligned. */
typedef struct env_saved {
  uint32_t magic;
  int32_t n_state;
  int32_t elapsed, max_steps;
  int64_t reset_seed;
  int32_t seeded, reserved;
  mimic_rng rng;
} env_saved;

size_t mimic_env_saved_size(const mimic_env *env) {
  int n = mimic_env_get_state(env, NULL, 0);
  return n > 0 && n <= SAVED_MAX_STATE ? sizeof(env_saved) + (size_t)n * sizeof(double) : 0;
}

mimic_status mimic_env_save_state(const mimic_env *env, void *buf, size_t size) {
  size_t need = mimic_env_saved_size(env);
  if (need == 0)
    return mimic_fail(MIMIC_ERR_INVALID, "%s cannot save its state (its class has no get_state)",
                      env->id);
  if (size != need)
    return mimic_fail(MIMIC_ERR_INVALID, "%s: its state takes %zu bytes, not %zu", env->id, need,
                      size);
  env_saved h;
  memset(&h, 0, sizeof h);
  h.magic = SAVED_MAGIC;
  h.n_state = (int32_t)((need - sizeof h) / sizeof(double));
  h.elapsed = env->elapsed;
  h.max_steps = env->max_steps;
  h.reset_seed = env->reset_seed;
  h.seeded = env->seeded;
  h.rng = env->rng;
  memcpy(buf, &h, sizeof h);
  double *state = (double *)((char *)buf + sizeof h);
  if (mimic_env_get_state(env, state, h.n_state) != h.n_state)
    return mimic_fail(MIMIC_ERR_INVALID, "%s: its state changed size while being saved", env->id);
  return MIMIC_OK;
}

mimic_status mimic_env_load_state(mimic_env *env, const void *buf, size_t size) {
  env_saved h;
  if (size < sizeof h)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: a saved state of %zu bytes is too short", env->id,
                      size);
  memcpy(&h, buf, sizeof h);
  if (h.magic != SAVED_MAGIC || h.n_state < 1 || h.n_state > SAVED_MAX_STATE ||
      size != sizeof h + (size_t)h.n_state * sizeof(double))
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: the bytes are not a saved environment state", env->id);
  if (h.elapsed < 0 || h.max_steps < 0 || (h.seeded != 0 && h.seeded != 1) ||
      (h.reset_seed < 0 && h.reset_seed != MIMIC_SEED_NONE) || !mimic_rng_plausible(&h.rng))
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: the saved clock (%d steps of %d) or generator is not valid", env->id,
                      h.elapsed, h.max_steps);
  int have = mimic_env_get_state(env, NULL, 0);
  if (have != h.n_state)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: the saved state has %d values, this environment's has %d (other "
                      "options?)",
                      env->id, h.n_state, have);
  /* the class sets its state (a gridworld's sets the clock too), then the
   * generic layer's part */
  MIMIC_TRY(mimic_env_set_state(env, (const double *)((const char *)buf + sizeof h), h.n_state));
  env->elapsed = h.elapsed;
  env->max_steps = h.max_steps;
  env->reset_seed = h.reset_seed;
  env->seeded = h.seeded;
  env->rng = h.rng;
  return MIMIC_OK;
}
