/* A vector of N environments stepping into shared buffers.
 *
 * Row i of every buffer belongs to copy i. When a copy's episode ends, its
 * last observation goes to final_obs row i and the copy is reset in the same
 * call, so obs row i already holds the next episode's first observation,
 * exactly as Stable-Baselines3's VecEnv (and Gymnasium's SAME_STEP
 * autoreset) hand it to a learner. The copies are made and stepped
 * together (env_copies.c): a loop over mimic's own environments, one frame
 * each way for a program serving them all. A step that fails (a foreign
 * environment's) stops the call there: the copies before it have moved, the
 * ones after it have not. */
#include <stdlib.h>
#include <string.h>

#include "envs/env_impl.h"

struct mimic_vecenv {
  int n;
  mimic_env **envs;
  int obs_dim;
  int act_width;
  int64_t *seeds; /* [n] scratch for reset */
  bool *reset;    /* [n] scratch for step */
};

mimic_status mimic_vecenv_make(const char *id, const char *options, int n, mimic_vecenv **out) {
  *out = NULL;
  if (n < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "a vector environment needs at least 1 copy, got %d", n);
  mimic_vecenv *v = mimic_calloc(1, sizeof *v, "a vector environment");
  if (!v) return MIMIC_ERR_NOMEM;
  v->envs = mimic_calloc((size_t)n, sizeof *v->envs, "a vector environment");
  v->seeds = mimic_calloc((size_t)n, sizeof *v->seeds, "a vector environment");
  v->reset = mimic_calloc((size_t)n, sizeof *v->reset, "a vector environment");
  if (!v->envs || !v->seeds || !v->reset) {
    mimic_vecenv_free(v);
    return MIMIC_ERR_NOMEM;
  }
  mimic_status st = mimic_env_make_copies(id, options, n, v->envs);
  if (st != MIMIC_OK) {
    mimic_vecenv_free(v);
    return st;
  }
  v->n = n;
  v->obs_dim = v->envs[0]->obs_space.dim;
  v->act_width = mimic_space_width(&v->envs[0]->action_space);
  *out = v;
  return MIMIC_OK;
}

void mimic_vecenv_free(mimic_vecenv *v) {
  if (!v) return;
  for (int i = 0; i < v->n; i++) mimic_env_free(v->envs[i]);
  free(v->envs);
  free(v->seeds);
  free(v->reset);
  free(v);
}

int mimic_vecenv_size(const mimic_vecenv *v) { return v->n; }

mimic_env *mimic_vecenv_env(mimic_vecenv *v, int i) {
  return i >= 0 && i < v->n ? v->envs[i] : NULL;
}

mimic_status mimic_vecenv_reset(mimic_vecenv *v, int64_t seed, float *obs) {
  for (int i = 0; i < v->n; i++) v->seeds[i] = seed >= 0 ? seed + i : MIMIC_SEED_NONE;
  return mimic_env_reset_copies(v->envs, NULL, v->n, v->seeds, obs);
}

mimic_status mimic_vecenv_step(mimic_vecenv *v, const float *actions, float *obs, double *rewards,
                               bool *terminated, bool *truncated, float *final_obs) {
  mimic_env_batch b = {.envs = v->envs,
                       .m = v->n,
                       .actions = actions,
                       .obs = obs,
                       .reward = rewards,
                       .terminated = terminated,
                       .truncated = truncated,
                       .final_obs = final_obs,
                       .reset = v->reset,
                       .next_seed = MIMIC_SEED_NONE,
                       .max_resets = v->n};
  return mimic_env_step_copies(&b);
}
