/* The replay buffer of the off-policy learners (see replay.h): a ring of
 * rows in five arrays of one allocation, written in place, sampled with
 * replacement. Nothing allocates after init. */
#include "data/replay.h"

#include <stdlib.h>
#include <string.h>

mimic_status mimic_replay_init(mimic_replay *r, size_t capacity, int obs_dim, int act_dim) {
  memset(r, 0, sizeof *r);
  if (capacity < 1 || obs_dim < 1 || act_dim < 1)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "replay buffer: capacity %zu, obs_dim %d, act_dim %d must be >= 1", capacity,
                      obs_dim, act_dim);
  /* doubles first so every array stays aligned */
  size_t floats = capacity * (2 * (size_t)obs_dim + (size_t)act_dim);
  size_t bytes = capacity * sizeof(double) + floats * sizeof(float) + capacity;
  char *mem = mimic_malloc(bytes, "a replay buffer");
  if (!mem) return MIMIC_ERR_NOMEM;
  r->rew = (double *)mem;
  r->obs = (float *)(mem + capacity * sizeof(double));
  r->next_obs = r->obs + capacity * (size_t)obs_dim;
  r->act = r->next_obs + capacity * (size_t)obs_dim;
  r->done = (uint8_t *)(r->act + capacity * (size_t)act_dim);
  r->capacity = capacity;
  r->obs_dim = obs_dim;
  r->act_dim = act_dim;
  return MIMIC_OK;
}

void mimic_replay_free(mimic_replay *r) {
  free(r->rew);
  memset(r, 0, sizeof *r);
}

void mimic_replay_add(mimic_replay *r, const float *obs, const float *act, double rew,
                      const float *next_obs, bool done) {
  size_t i = r->pos, od = (size_t)r->obs_dim, ad = (size_t)r->act_dim;
  memcpy(r->obs + i * od, obs, od * sizeof *obs);
  memcpy(r->next_obs + i * od, next_obs, od * sizeof *next_obs);
  memcpy(r->act + i * ad, act, ad * sizeof *act);
  r->rew[i] = rew;
  r->done[i] = done;
  r->pos = (i + 1) % r->capacity;
  if (r->size < r->capacity) r->size++;
}

void mimic_replay_sample(const mimic_replay *r, mimic_rng *rng, size_t n, const mimic_batch *out) {
  size_t od = (size_t)r->obs_dim, ad = (size_t)r->act_dim;
  for (size_t k = 0; k < n; k++) {
    size_t i = (size_t)mimic_rng_integers(rng, 0, (int64_t)r->size);
    if (out->obs) memcpy(out->obs + k * od, r->obs + i * od, od * sizeof(float));
    if (out->next_obs) memcpy(out->next_obs + k * od, r->next_obs + i * od, od * sizeof(float));
    if (out->act) memcpy(out->act + k * ad, r->act + i * ad, ad * sizeof(float));
    if (out->rew) out->rew[k] = r->rew[i];
    if (out->done) out->done[k] = r->done[i];
    if (out->index) out->index[k] = (uint32_t)i;
    if (out->weight) out->weight[k] = 1.0f;
  }
}
