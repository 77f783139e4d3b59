/* Loading a Minari dataset into memory, validating everything.
 *
 * Files come from anyone, so nothing is trusted: metadata.json is checked
 * key by key (meta.c), the root of main_data.hdf5 must hold exactly
 * episode_0 .. episode_{N-1}, and every episode's fields are checked for
 * rank, shape, dtype and row counts *before* the arrays are allocated
 * (pass 1, metadata reads only), then read straight into the dataset's
 * contiguous arrays and checked value by value (pass 2). Episodes a crash
 * left in the journal follow the committed ones. Errors name the file,
 * the episode and the field: "demos/data/main_data.hdf5: episode_3/actions:
 * row 7 is NaN". */
#include <stdlib.h>
#include <string.h>

#include "data/data_impl.h"

/* Loads shard `shard` of n_shards (1: the whole dataset) and says where it
 * sits in info (may be NULL); every episode's shapes are checked, only the
 * shard's values are read. */
static mimic_status load_range(const char *path, int shard, int n_shards, mimic_dataset *ds,
                               mimic_dataset_shard *info) {
  memset(ds, 0, sizeof *ds);
  dsrc s;
  MIMIC_TRY(dsrc_open_shard(path, shard, n_shards, &s));
  int64_t total = s.n_main + (int64_t)s.n_journal;
  size_t *T = mimic_calloc(total ? (size_t)total : 1, sizeof(size_t), "episode lengths");
  dh5_scratch sc = {0};
  mimic_status st = T ? MIMIC_OK : MIMIC_ERR_NOMEM;
  uint64_t committed_steps = 0, steps = 0;
  char name[48];
  /* pass 1: shapes, dtypes, counts */
  for (int64_t k = 0; !st && k < total; k++) {
    hid_t loc, f;
    const char *fname;
    st = dsrc_episode(&s, k, &loc, &f, &fname, name, sizeof name);
    if (!st) st = dh5_episode_steps(loc, fname, name, &s.meta.obs_space, &s.meta.act_space, &T[k]);
    dh5_close(f);
    if (!st) {
      steps += T[k];
      if (k < s.n_main) committed_steps += T[k];
    }
  }
  if (!st && committed_steps != (uint64_t)s.meta.total_steps)
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: total_steps is %lld but the episodes hold %llu steps",
                    s.paths.meta_path, (long long)s.meta.total_steps,
                    (unsigned long long)committed_steps);
  /* a shard: a run of whole episodes, rank r of n holding [r E/n, (r+1) E/n) */
  int64_t lo = 0, hi = total;
  if (!st && n_shards > 1) {
    if (total < n_shards)
      st = mimic_fail(MIMIC_ERR_INVALID, "%s: %lld episodes cannot be shared out over %d ranks",
                      path, (long long)total, n_shards);
    lo = total * shard / n_shards;
    hi = total * (shard + 1) / n_shards;
  }
  uint64_t first = 0, mine = 0;
  for (int64_t k = 0; k < total && !st; k++) {
    if (k < lo) first += T[k];
    if (k >= lo && k < hi) mine += T[k];
  }
  if (info && !st)
    *info = (mimic_dataset_shard){.first_episode = (size_t)lo,
                                  .episodes = (size_t)total,
                                  .first_step = first,
                                  .steps = steps};
  if (!st) st = mimic_dataset_init(ds, &s.meta.obs_space, &s.meta.act_space);
  if (!st) st = mimic_dataset_meta_copy(&ds->meta, &s.meta.meta);
  if (!st) st = mimic_dataset_reserve(ds, (size_t)mine, (size_t)(hi - lo));
  /* pass 2: values (of the shard's episodes only) */
  for (int64_t k = lo; !st && k < hi; k++) {
    hid_t loc, f;
    const char *fname;
    st = dsrc_episode(&s, k, &loc, &f, &fname, name, sizeof name);
    size_t e = ds->n_episodes, s0 = ds->n_steps, row0 = s0 + e;
    if (!st)
      st =
          dh5_read_episode(loc, fname, name, k, &ds->obs_space, &ds->act_space, T[k],
                           ds->obs + row0 * (size_t)ds->obs_dim, ds->act + s0 * (size_t)ds->act_dim,
                           ds->rew + s0, ds->term + s0, ds->trunc + s0, &ds->ep_seed[e], &sc);
    dh5_close(f);
    if (st) break;
    for (size_t j = 0; j < T[k]; j++) ds->obs_row[s0 + j] = (uint32_t)(row0 + j);
    ds->n_steps += T[k];
    ds->n_episodes++;
    ds->ep_start[ds->n_episodes] = ds->n_steps;
  }
  free(T);
  dh5_scratch_free(&sc);
  dsrc_close(&s);
  if (st) mimic_dataset_free(ds);
  return st;
}

mimic_status mimic_dataset_load(const char *path, mimic_dataset *ds) {
  return load_range(path, 0, 1, ds, NULL);
}

mimic_status mimic_dataset_load_shard(const char *path, int shard, int n_shards, mimic_dataset *ds,
                                      mimic_dataset_shard *info) {
  if (n_shards < 1 || shard < 0 || shard >= n_shards)
    return mimic_fail(MIMIC_ERR_INVALID, "shard %d of %d does not exist", shard, n_shards);
  return load_range(path, shard, n_shards, ds, info);
}

mimic_status mimic_dataset_summarize(const char *path, mimic_dataset_summary *sum,
                                     mimic_dataset_meta *meta, mimic_data_space *obs_space,
                                     mimic_data_space *act_space) {
  memset(sum, 0, sizeof *sum);
  dsrc s;
  MIMIC_TRY(dsrc_open(path, &s));
  sum->n_episodes = (size_t)s.n_main + s.n_journal;
  sum->n_pending = s.n_journal;
  sum->main_bytes = dstore_file_size(s.paths.main_path);
  size_t journal_steps = 0;
  mimic_status st = dsrc_journal_totals(&s, &journal_steps, NULL);
  sum->n_steps = (size_t)s.meta.total_steps + journal_steps;
  if (!st && meta) st = mimic_dataset_meta_copy(meta, &s.meta.meta);
  if (!st && obs_space) st = mimic_data_space_copy(obs_space, &s.meta.obs_space);
  if (!st && act_space) st = mimic_data_space_copy(act_space, &s.meta.act_space);
  dsrc_close(&s);
  return st;
}
