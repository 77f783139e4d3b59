/* The flat transitions view (see mimic/data.h): what trainers read.
 *
 * A view lends arrays that live elsewhere (a dataset's, a DAgger pool's)
 * and adds nothing but an optional row index, so a trainer never needs the
 * data copied into a dataset of its own. Everything that used to walk
 * episodes (the validation split, normalisation statistics, minibatch
 * gathering) walks rows here, grouped by the view's episode bounds when it
 * has them:
 *
 *   split   ShuffleSplit over the groups (episodes, or single transitions
 *           when the view has none), the first ceil(f * groups) of a
 *           seeded permutation held out; rows come back ascending.
 *   stats   Welford within each maximal run of selected rows that are
 *           consecutive in memory and share an episode, Chan et al.
 *           between runs: for a dataset that is exactly one run per
 *           episode, as the statistics were always computed.
 *   gather  one memcpy per row and field into the caller's batch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_impl.h"

mimic_transitions mimic_dataset_transitions(const mimic_dataset *ds) {
  return (mimic_transitions){.n = ds->n_steps,
                             .obs_dim = ds->obs_dim,
                             .act_dim = ds->act_dim,
                             .act_space = &ds->act_space.space,
                             .obs = ds->obs,
                             .obs_row = ds->obs_row,
                             .act = ds->act,
                             .rew = ds->rew,
                             .done = ds->term,
                             .ep_start = ds->ep_start,
                             .n_episodes = ds->n_episodes};
}

mimic_status mimic_transitions_check(const mimic_transitions *t) {
  if (t->n == 0) return mimic_fail(MIMIC_ERR_INVALID, "the training set holds no transitions");
  if (t->n > UINT32_MAX)
    return mimic_fail(MIMIC_ERR_INVALID, "%zu transitions are more than one view holds", t->n);
  if (t->obs_dim < 1 || t->act_dim < 1 || !t->obs || !t->act || !t->act_space)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "a transitions view needs observations, actions and an action space");
  if (t->ep_start && (t->ep_start[0] != 0 || t->ep_start[t->n_episodes] != t->n))
    return mimic_fail(MIMIC_ERR_INVALID, "the episode bounds do not cover the %zu transitions",
                      t->n);
  for (size_t j = 0; t->weight && j < t->n; j++)
    if (!(t->weight[j] >= 0 && isfinite(t->weight[j])))
      return mimic_fail(MIMIC_ERR_INVALID,
                        "transition %zu has weight %g (weights are finite, >= 0)", j,
                        (double)t->weight[j]);
  return MIMIC_OK;
}

/* Groups of the view: its episodes, or one group per transition. */
static size_t n_groups(const mimic_transitions *t) { return t->ep_start ? t->n_episodes : t->n; }
static size_t group_start(const mimic_transitions *t, size_t g) {
  return t->ep_start ? (size_t)t->ep_start[g] : g;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Writes the rows of the listed groups (ascending) into rows; returns their count. */
static size_t rows_of(const mimic_transitions *t, const uint32_t *groups, size_t n,
                      uint32_t *rows) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = group_start(t, groups[i]); j < group_start(t, groups[i] + 1); j++)
      rows[k++] = (uint32_t)j;
  return k;
}

mimic_status mimic_transitions_split(const mimic_transitions *t, double val_fraction, uint64_t seed,
                                     uint32_t **train, size_t *n_train, uint32_t **val,
                                     size_t *n_val) {
  *train = *val = NULL;
  *n_train = *n_val = 0;
  if (!(val_fraction >= 0 && val_fraction < 1))
    return mimic_fail(MIMIC_ERR_INVALID, "validation fraction %g is outside [0, 1)", val_fraction);
  size_t n = n_groups(t);
  size_t nv = (size_t)ceil(val_fraction * (double)n - 1e-9);
  if (val_fraction > 0 && nv == 0 && n >= 2) nv = 1;
  if (nv >= n && n >= 1) nv = n - 1;
  uint32_t *perm = mimic_calloc(n ? n : 1, sizeof(uint32_t), "split");
  uint32_t *tr = mimic_calloc(t->n ? t->n : 1, sizeof(uint32_t), "split");
  uint32_t *va = mimic_calloc(t->n ? t->n : 1, sizeof(uint32_t), "split");
  if (!perm || !tr || !va) {
    free(perm);
    free(tr);
    free(va);
    return MIMIC_ERR_NOMEM;
  }
  mimic_rng r;
  mimic_rng_seed(&r, seed);
  mimic_rng_permutation(&r, perm, n);
  /* as ShuffleSplit: the first n_test of the permutation are the test set */
  qsort(perm, nv, sizeof(uint32_t), cmp_u32);
  qsort(perm + nv, n - nv, sizeof(uint32_t), cmp_u32);
  *n_val = rows_of(t, perm, nv, va);
  *n_train = rows_of(t, perm + nv, n - nv, tr);
  free(perm);
  *train = tr;
  *val = va;
  return MIMIC_OK;
}

/* The observation row of transition j. */
static size_t obs_row(const mimic_transitions *t, size_t j) {
  return t->obs_row ? (size_t)t->obs_row[j] : j;
}

void mimic_transitions_gather(const mimic_transitions *t, const uint32_t *rows, size_t n,
                              const mimic_batch *out) {
  const size_t od = (size_t)t->obs_dim, ad = (size_t)t->act_dim;
  if (out->obs) {
    float *o = out->obs;
    if (od == 4) { /* CartPole-sized rows: let the compiler use one vector move */
      for (size_t i = 0; i < n; i++) memcpy(o + i * 4, t->obs + obs_row(t, rows[i]) * 4, 16);
    } else {
      for (size_t i = 0; i < n; i++)
        memcpy(o + i * od, t->obs + obs_row(t, rows[i]) * od, od * sizeof(float));
    }
  }
  if (out->next_obs && t->obs_row)
    for (size_t i = 0; i < n; i++)
      memcpy(out->next_obs + i * od, t->obs + (obs_row(t, rows[i]) + 1) * od, od * sizeof(float));
  if (out->act) {
    if (ad == 1) {
      for (size_t i = 0; i < n; i++) out->act[i] = t->act[rows[i]];
    } else {
      for (size_t i = 0; i < n; i++)
        memcpy(out->act + i * ad, t->act + (size_t)rows[i] * ad, ad * sizeof(float));
    }
  }
  if (out->weight)
    for (size_t i = 0; i < n; i++) out->weight[i] = t->weight ? t->weight[rows[i]] : 1.0f;
  if (out->rew && t->rew)
    for (size_t i = 0; i < n; i++) out->rew[i] = t->rew[rows[i]];
  if (out->done && t->done)
    for (size_t i = 0; i < n; i++) out->done[i] = t->done[rows[i]];
  if (out->index) memcpy(out->index, rows, n * sizeof(uint32_t));
}

mimic_status mimic_obs_stats_of_transitions(mimic_obs_stats *st, const mimic_transitions *t,
                                            const uint32_t *rows, size_t n_rows) {
  MIMIC_TRY(mimic_obs_stats_init(st, t->obs_dim));
  mimic_status rc = mimic_obs_stats_add_transitions(st, t, rows, n_rows);
  if (rc) mimic_obs_stats_free(st);
  return rc;
}

mimic_status mimic_obs_stats_add_transitions(mimic_obs_stats *st, const mimic_transitions *t,
                                             const uint32_t *rows, size_t n_rows) {
  if (st->dim != t->obs_dim)
    return mimic_fail(MIMIC_ERR_INVALID, "statistics of %d features, observations of %d", st->dim,
                      t->obs_dim);
  if (!rows) n_rows = t->n;
  size_t g = 0; /* the group of the run's first row, advanced monotonically */
  for (size_t i = 0; i < n_rows;) {
    size_t j = rows ? rows[i] : i;
    if (j >= t->n)
      return mimic_fail(MIMIC_ERR_INVALID, "statistics: transition %zu is outside the view", j);
    while (t->ep_start && g + 1 < t->n_episodes && t->ep_start[g + 1] <= j) g++;
    size_t end_of_group = t->ep_start ? (size_t)t->ep_start[g + 1] : t->n;
    size_t len = 1;
    while (i + len < n_rows) {
      size_t k = rows ? rows[i + len] : i + len;
      if (k != j + len || k >= end_of_group || obs_row(t, k) != obs_row(t, j) + len) break;
      len++;
    }
    mimic_obs_stats_add(st, t->obs + obs_row(t, j) * (size_t)t->obs_dim, len);
    i += len;
  }
  return MIMIC_OK;
}

mimic_status mimic_transitions_check_ids(const mimic_transitions *t, int n) {
  if (t->act_dim != 1)
    return mimic_fail(MIMIC_ERR_INVALID, "actions of %d values are not Discrete ids", t->act_dim);
  for (size_t j = 0; j < t->n; j++) {
    float a = t->act[j];
    if (!(a >= 0 && a < (float)n) || a != floorf(a))
      return mimic_fail(MIMIC_ERR_INVALID, "transition %zu: action %g is not in Discrete(%d)", j,
                        (double)a, n);
  }
  return MIMIC_OK;
}
