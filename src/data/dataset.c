/* Trajectories in memory: episodes stored back to back in a few
 * contiguous arrays (see mimic/data.h), the transitions view over them,
 * the episode recording buffer and the train/validation split.
 *
 * Why contiguous: a trainer reads random transitions, so the arrays must
 * be addressable by step id without chasing per-episode pointers, and
 * memory must stay close to the data itself (a million transitions fit in
 * ~1.1x the obs+act+next_obs arrays imitation would build, because
 * next_obs is never materialised: it is the following observation row).
 * Loading reserves exact sizes; appending grows geometrically. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_impl.h"

void mimic_dataset_free(mimic_dataset *ds) {
  if (!ds) return;
  mimic_data_space_free(&ds->obs_space);
  mimic_data_space_free(&ds->act_space);
  free(ds->obs);
  free(ds->act);
  free(ds->rew);
  free(ds->term);
  free(ds->trunc);
  free(ds->ep_start);
  free(ds->ep_seed);
  free(ds->obs_row);
  mimic_dataset_meta_free(&ds->meta);
  memset(ds, 0, sizeof *ds);
}

mimic_status mimic_dataset_init(mimic_dataset *ds, const mimic_data_space *obs_space,
                                const mimic_data_space *act_space) {
  memset(ds, 0, sizeof *ds);
  mimic_dataset_meta_init(&ds->meta);
  if (mimic_data_space_copy(&ds->obs_space, obs_space) ||
      mimic_data_space_copy(&ds->act_space, act_space)) {
    mimic_dataset_free(ds);
    return mimic_errcode();
  }
  ds->obs_dim = mimic_space_width(&ds->obs_space.space);
  ds->act_dim = mimic_space_width(&ds->act_space.space);
  ds->ep_start = mimic_calloc(1, sizeof(uint64_t), "dataset");
  if (!ds->ep_start) {
    mimic_dataset_free(ds);
    return MIMIC_ERR_NOMEM;
  }
  return MIMIC_OK;
}

static mimic_status grow(void **p, size_t count, size_t size, const char *what) {
  void *np = mimic_realloc(*p, count ? count : 1, size, what);
  if (!np) return MIMIC_ERR_NOMEM;
  *p = np;
  return MIMIC_OK;
}

static mimic_status set_capacity(mimic_dataset *ds, size_t steps, size_t eps) {
  if (steps + eps >= UINT32_MAX)
    return mimic_fail(MIMIC_ERR_RANGE, "a dataset holds at most %u observation rows",
                      UINT32_MAX - 1);
  if (steps > ds->cap_steps) {
    MIMIC_TRY(grow((void **)&ds->act, steps * (size_t)ds->act_dim, sizeof(float), "actions"));
    MIMIC_TRY(grow((void **)&ds->rew, steps, sizeof(double), "rewards"));
    MIMIC_TRY(grow((void **)&ds->term, steps, 1, "terminations"));
    MIMIC_TRY(grow((void **)&ds->trunc, steps, 1, "truncations"));
    MIMIC_TRY(grow((void **)&ds->obs_row, steps, sizeof(uint32_t), "transition index"));
  }
  if (eps > ds->cap_episodes) {
    MIMIC_TRY(grow((void **)&ds->ep_start, eps + 1, sizeof(uint64_t), "episode index"));
    MIMIC_TRY(grow((void **)&ds->ep_seed, eps, sizeof(int64_t), "episode seeds"));
  }
  if (steps > ds->cap_steps || eps > ds->cap_episodes) {
    size_t cs = steps > ds->cap_steps ? steps : ds->cap_steps;
    size_t ce = eps > ds->cap_episodes ? eps : ds->cap_episodes;
    MIMIC_TRY(
        grow((void **)&ds->obs, (cs + ce) * (size_t)ds->obs_dim, sizeof(float), "observations"));
    ds->cap_steps = cs;
    ds->cap_episodes = ce;
  }
  return MIMIC_OK;
}

mimic_status mimic_dataset_reserve(mimic_dataset *ds, size_t steps, size_t episodes) {
  return set_capacity(ds, ds->n_steps + steps, ds->n_episodes + episodes);
}

/* Checks one episode against the spaces; label prefixes messages. */
mimic_status ddata_check_episode(const mimic_data_space *os, const mimic_data_space *as,
                                 const mimic_episode *ep, const char *label) {
  int od = mimic_space_width(&os->space), ad = mimic_space_width(&as->space);
  if (!ep->obs || (ep->T && (!ep->act || !ep->rew || !ep->term || !ep->trunc)))
    return mimic_fail(MIMIC_ERR_INVALID, "%s: missing arrays", label);
  for (size_t i = 0; i <= ep->T; i++) {
    const float *row = ep->obs + i * (size_t)od;
    for (int c = 0; c < od; c++)
      if (!isfinite(row[c]))
        return mimic_fail(MIMIC_ERR_RANGE, "%s: observations: row %zu, column %d is not finite",
                          label, i, c);
    if (os->space.kind == MIMIC_SPACE_DISCRETE && !mimic_space_contains(&os->space, row))
      return mimic_fail(MIMIC_ERR_RANGE, "%s: observations: row %zu is %g, outside Discrete(%d)",
                        label, i, (double)row[0], os->space.n);
  }
  for (size_t i = 0; i < ep->T; i++) {
    const float *row = ep->act + i * (size_t)ad;
    if (!mimic_space_contains(&as->space, row)) {
      if (as->space.kind == MIMIC_SPACE_DISCRETE)
        return mimic_fail(MIMIC_ERR_RANGE, "%s: actions: row %zu is %g, outside Discrete(%d)",
                          label, i, (double)row[0], as->space.n);
      for (int c = 0; c < ad; c++)
        if (!(row[c] >= as->lowf[c] && row[c] <= as->highf[c]))
          return mimic_fail(MIMIC_ERR_RANGE,
                            "%s: actions: row %zu, column %d is %g, outside [%g, %g]", label, i, c,
                            (double)row[c], (double)as->lowf[c], (double)as->highf[c]);
    }
    if (!isfinite(ep->rew[i]))
      return mimic_fail(MIMIC_ERR_RANGE, "%s: rewards: row %zu is not finite", label, i);
    if (ep->term[i] > 1 || ep->trunc[i] > 1)
      return mimic_fail(MIMIC_ERR_RANGE, "%s: terminations/truncations: row %zu is not 0 or 1",
                        label, i);
  }
  return MIMIC_OK;
}

mimic_status mimic_dataset_add_episode(mimic_dataset *ds, const mimic_episode *ep) {
  char label[48];
  snprintf(label, sizeof label, "episode %zu", ds->n_episodes);
  MIMIC_TRY(ddata_check_episode(&ds->obs_space, &ds->act_space, ep, label));
  size_t need_s = ds->n_steps + ep->T, need_e = ds->n_episodes + 1;
  if (need_s > ds->cap_steps || need_e > ds->cap_episodes) {
    size_t cs = ds->cap_steps, ce = ds->cap_episodes;
    if (need_s > cs) cs = need_s > 2 * cs ? need_s : 2 * cs;
    if (need_e > ce) ce = need_e > 2 * ce ? need_e : 2 * ce;
    MIMIC_TRY(set_capacity(ds, cs, ce));
  }
  size_t e = ds->n_episodes, s0 = ds->n_steps, row0 = s0 + e;
  size_t od = (size_t)ds->obs_dim, ad = (size_t)ds->act_dim;
  memcpy(ds->obs + row0 * od, ep->obs, (ep->T + 1) * od * sizeof(float));
  if (ep->T) {
    memcpy(ds->act + s0 * ad, ep->act, ep->T * ad * sizeof(float));
    memcpy(ds->rew + s0, ep->rew, ep->T * sizeof(double));
    memcpy(ds->term + s0, ep->term, ep->T);
    memcpy(ds->trunc + s0, ep->trunc, ep->T);
  }
  for (size_t j = 0; j < ep->T; j++) ds->obs_row[s0 + j] = (uint32_t)(row0 + j);
  ds->ep_seed[e] = ep->seed;
  ds->n_steps += ep->T;
  ds->n_episodes++;
  ds->ep_start[ds->n_episodes] = ds->n_steps;
  return MIMIC_OK;
}

mimic_episode mimic_dataset_episode(const mimic_dataset *ds, size_t e) {
  mimic_episode ep;
  size_t s0 = ds->ep_start[e];
  ep.T = ds->ep_start[e + 1] - s0;
  ep.obs = ds->obs + (s0 + e) * (size_t)ds->obs_dim;
  ep.act = ds->act + s0 * (size_t)ds->act_dim;
  ep.rew = ds->rew + s0;
  ep.term = ds->term + s0;
  ep.trunc = ds->trunc + s0;
  ep.seed = ds->ep_seed[e];
  return ep;
}

size_t mimic_dataset_step_episode(const mimic_dataset *ds, size_t j) {
  /* obs_row[j] - j is the episode index */
  return (size_t)ds->obs_row[j] - j;
}

double mimic_dataset_episode_return(const mimic_dataset *ds, size_t e) {
  double r = 0;
  for (uint64_t j = ds->ep_start[e]; j < ds->ep_start[e + 1]; j++) r += ds->rew[j];
  return r;
}

/* ---- recording buffer ------------------------------------------------- */

mimic_status mimic_episode_buf_init(mimic_episode_buf *b, int obs_dim, int act_dim) {
  memset(b, 0, sizeof *b);
  if (obs_dim <= 0 || act_dim <= 0)
    return mimic_fail(MIMIC_ERR_INVALID, "episode buffer needs positive widths");
  b->obs_dim = obs_dim;
  b->act_dim = act_dim;
  b->seed = MIMIC_NO_SEED;
  return MIMIC_OK;
}

static mimic_status buf_grow(mimic_episode_buf *b, size_t steps) {
  if (steps <= b->cap && b->obs) return MIMIC_OK;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < steps) cap *= 2;
  MIMIC_TRY(grow((void **)&b->obs, (cap + 1) * (size_t)b->obs_dim, sizeof(float), "episode"));
  MIMIC_TRY(grow((void **)&b->act, cap * (size_t)b->act_dim, sizeof(float), "episode"));
  MIMIC_TRY(grow((void **)&b->rew, cap, sizeof(double), "episode"));
  MIMIC_TRY(grow((void **)&b->term, cap, 1, "episode"));
  MIMIC_TRY(grow((void **)&b->trunc, cap, 1, "episode"));
  b->cap = cap;
  return MIMIC_OK;
}

mimic_status mimic_episode_buf_reset(mimic_episode_buf *b, const float *obs0, int64_t seed) {
  MIMIC_TRY(buf_grow(b, 1));
  b->T = 0;
  b->seed = seed;
  memcpy(b->obs, obs0, (size_t)b->obs_dim * sizeof(float));
  return MIMIC_OK;
}

mimic_status mimic_episode_buf_step(mimic_episode_buf *b, const float *act, double rew,
                                    bool terminated, bool truncated, const float *next_obs) {
  MIMIC_TRY(buf_grow(b, b->T + 1));
  size_t t = b->T;
  memcpy(b->act + t * (size_t)b->act_dim, act, (size_t)b->act_dim * sizeof(float));
  memcpy(b->obs + (t + 1) * (size_t)b->obs_dim, next_obs, (size_t)b->obs_dim * sizeof(float));
  b->rew[t] = rew;
  b->term[t] = terminated;
  b->trunc[t] = truncated;
  b->T = t + 1;
  return MIMIC_OK;
}

mimic_episode mimic_episode_buf_view(const mimic_episode_buf *b) {
  mimic_episode ep = {b->T, b->obs, b->act, b->rew, b->term, b->trunc, b->seed};
  return ep;
}

void mimic_episode_buf_free(mimic_episode_buf *b) {
  free(b->obs);
  free(b->act);
  free(b->rew);
  free(b->term);
  free(b->trunc);
  memset(b, 0, sizeof *b);
}
