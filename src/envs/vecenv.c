/* A vector of N environments stepping into shared buffers.
 *
 * Row i of every buffer belongs to copy i. When a copy's episode ends, its
 * last observation goes to final_obs row i and the copy is reset in the same
 * call, so obs row i already holds the next episode's first observation,
 * exactly as Stable-Baselines3's VecEnv (and Gymnasium's SAME_STEP
 * autoreset) hand it to a learner. The step loop calls the class directly:
 * no allocation, no per-copy validation beyond the action check. A step
 * that fails (a foreign environment's) stops the call there: the copies
 * before it have moved, the ones after it have not. */
#include <stdlib.h>
#include <string.h>

#include "envs/env_impl.h"

struct mimic_vecenv {
  int n;
  mimic_env **envs;
  int obs_dim;
  int act_width;
};

mimic_status mimic_vecenv_make(const char *id, const char *options, int n, mimic_vecenv **out) {
  *out = NULL;
  if (n < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "a vector environment needs at least 1 copy, got %d", n);
  mimic_vecenv *v = mimic_calloc(1, sizeof *v, "a vector environment");
  if (!v) return MIMIC_ERR_NOMEM;
  v->envs = mimic_calloc((size_t)n, sizeof *v->envs, "a vector environment");
  if (!v->envs) {
    free(v);
    return MIMIC_ERR_NOMEM;
  }
  v->n = n;
  for (int i = 0; i < n; i++) {
    mimic_status st = mimic_env_make(id, options, &v->envs[i]);
    if (st != MIMIC_OK) {
      mimic_vecenv_free(v);
      return st;
    }
  }
  v->obs_dim = v->envs[0]->obs_space.dim;
  v->act_width = mimic_space_width(&v->envs[0]->action_space);
  *out = v;
  return MIMIC_OK;
}

void mimic_vecenv_free(mimic_vecenv *v) {
  if (!v) return;
  for (int i = 0; i < v->n; i++) mimic_env_free(v->envs[i]);
  free(v->envs);
  free(v);
}

int mimic_vecenv_size(const mimic_vecenv *v) { return v->n; }

mimic_env *mimic_vecenv_env(mimic_vecenv *v, int i) {
  return i >= 0 && i < v->n ? v->envs[i] : NULL;
}

mimic_status mimic_vecenv_reset(mimic_vecenv *v, int64_t seed, float *obs) {
  for (int i = 0; i < v->n; i++) {
    int64_t s = seed >= 0 ? seed + i : MIMIC_SEED_NONE;
    mimic_status st = mimic_env_reset(v->envs[i], s, obs + (size_t)i * (size_t)v->obs_dim);
    if (st != MIMIC_OK) return mimic_errctx("copy %d", i);
  }
  return MIMIC_OK;
}

mimic_status mimic_vecenv_step(mimic_vecenv *v, const float *actions, float *obs, double *rewards,
                               bool *terminated, bool *truncated, float *final_obs) {
  const size_t od = (size_t)v->obs_dim, aw = (size_t)v->act_width;
  /* every action is checked before any copy moves, so a bad action leaves
   * all copies where they were */
  for (int i = 0; i < v->n; i++)
    if (mimic_env_check_action(&v->envs[i]->action_space, actions + (size_t)i * aw) != MIMIC_OK)
      return mimic_errctx("%s copy %d", v->envs[i]->id, i);
  for (int i = 0; i < v->n; i++) {
    mimic_env *e = v->envs[i];
    const float *a = actions + (size_t)i * aw;
    float *o = obs + (size_t)i * od;
    if (e->cls->step(e->impl, a, o, &rewards[i], &terminated[i]) != MIMIC_OK)
      return mimic_errctx("%s copy %d", e->id, i);
    e->elapsed++;
    truncated[i] = e->max_steps > 0 && e->elapsed >= e->max_steps;
    if (terminated[i] || truncated[i]) {
      if (final_obs) memcpy(final_obs + (size_t)i * od, o, od * sizeof *o);
      mimic_env_clock_reset(e);
      mimic_kv none; /* no options: only n is read, so 4 KB are not zeroed per reset */
      none.n = 0;
      mimic_status st = e->cls->reset(e->impl, &e->rng, &none, o);
      if (st != MIMIC_OK) return mimic_errctx("%s copy %d", e->id, i);
    }
  }
  return MIMIC_OK;
}
