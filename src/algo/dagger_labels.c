/* The labeled states of a DAgger run in environments as a Minari dataset
 * (work_dir/labels/), next to the label log: data `mimic train bc` and
 * Minari read directly.
 *
 * The source records every transition of a round's rollouts; when the
 * round ends, each copy's runs of consecutive answered steps become
 * episodes (the expert's answers as their actions; a run ends where the
 * copy's episode ended or an unanswered step comes), appended and
 * committed. The label log stays the record a resumed run is built from:
 * the dataset's episode count is kept in the session's state, and on
 * resume episodes a killed round left behind are dropped, so the round
 * that is replayed appends them exactly once. */
#include "algo/dagger_labels.h"

#include <stdlib.h>
#include <string.h>

/* Keeps the first `keep` episodes of the dataset at path (a killed round's are dropped). */
static mimic_status truncate_to(const char *path, size_t keep) {
  mimic_dataset ds;
  MIMIC_TRY(mimic_dataset_load(path, &ds));
  mimic_status st = MIMIC_OK;
  if (ds.n_episodes < keep)
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: holds %zu episodes, but the label log says %zu", path,
                    ds.n_episodes, keep);
  if (!st && ds.n_episodes > keep) {
    mimic_dataset kept;
    st = mimic_dataset_init(&kept, &ds.obs_space, &ds.act_space);
    for (size_t e = 0; !st && e < keep; e++) {
      mimic_episode ep = mimic_dataset_episode(&ds, e);
      st = mimic_dataset_add_episode(&kept, &ep);
    }
    if (!st) st = mimic_dataset_meta_copy(&kept.meta, &ds.meta);
    mimic_write_opts wo = mimic_write_opts_default();
    wo.overwrite = true;
    if (!st) st = mimic_dataset_save(&kept, path, &wo);
    mimic_dataset_free(&kept);
  }
  mimic_dataset_free(&ds);
  return st;
}

mimic_status dagger_labels_open(dagger_labels *l, const char *path, const char *env_id, int n,
                                const mimic_space *os, const mimic_space *as, long keep) {
  memset(l, 0, sizeof *l);
  l->n = n;
  l->od = os->dim;
  l->aw = mimic_space_width(as);
  mimic_status st = mimic_data_space_from_env(&l->os, os);
  if (!st) st = mimic_data_space_from_env(&l->as, as);
  if (!st && mimic_path_exists(path)) {
    if (keep >= 0) {
      st = truncate_to(path, (size_t)keep);
    } else { /* a run that never finished a round: its labels start afresh */
      mimic_dataset empty;
      st = mimic_dataset_init(&empty, &l->os, &l->as);
      mimic_write_opts wo = mimic_write_opts_default();
      wo.overwrite = true;
      if (!st) st = mimic_dataset_save(&empty, path, &wo);
      mimic_dataset_free(&empty);
    }
  }
  mimic_dataset_meta meta;
  mimic_dataset_meta_init(&meta);
  mimic_dataset_meta_set(&meta.env_id, env_id);
  mimic_dataset_meta_set(&meta.algorithm_name, "DAgger expert labels");
  mimic_dataset_meta_set(&meta.author, "mimic");
  mimic_writer_opts wo = mimic_writer_opts_default();
  if (!st) st = mimic_dataset_writer_open(path, &l->os, &l->as, &meta, &wo, &l->writer);
  mimic_dataset_meta_free(&meta);
  if (!st) st = mimic_episode_buf_init(&l->ep, l->od, l->aw);
  if (!st && !(l->act = mimic_malloc((size_t)l->aw * sizeof *l->act, "an action")))
    st = MIMIC_ERR_NOMEM;
  if (st) dagger_labels_close(l);
  return st;
}

mimic_status dagger_labels_step(dagger_labels *l, size_t i, const float *obs, const float *next,
                                double rew, bool term, bool trunc) {
  if (i >= l->cap) {
    size_t cap = l->cap ? l->cap : 1024;
    while (cap <= i) cap *= 2;
#define GROW(field, count)                                                                         \
  do {                                                                                             \
    void *p = mimic_realloc(l->field, cap * (size_t)(count), sizeof *l->field, "a round's steps"); \
    if (!p) return MIMIC_ERR_NOMEM;                                                                \
    l->field = p;                                                                                  \
  } while (0)
    GROW(obs, l->od);
    GROW(next, l->od);
    GROW(rew, 1);
    GROW(term, 1);
    GROW(trunc, 1);
#undef GROW
    l->cap = cap;
  }
  memcpy(l->obs + i * (size_t)l->od, obs, (size_t)l->od * sizeof(float));
  memcpy(l->next + i * (size_t)l->od, next, (size_t)l->od * sizeof(float));
  l->rew[i] = rew;
  l->term[i] = term;
  l->trunc[i] = trunc;
  if (i + 1 > l->len) l->len = i + 1;
  return MIMIC_OK;
}

static mimic_status append_run(dagger_labels *l) {
  mimic_episode v = mimic_episode_buf_view(&l->ep);
  return mimic_dataset_writer_append(l->writer, &v);
}

mimic_status dagger_labels_commit(dagger_labels *l, const mimic_dagger *d, long *episodes) {
  mimic_status st = MIMIC_OK;
  size_t ticks = l->len / (size_t)l->n;
  for (int c = 0; c < l->n && !st; c++) { /* copy by copy, step by step */
    bool open = false;
    for (size_t t = 0; t < ticks && !st; t++) {
      size_t i = t * (size_t)l->n + (size_t)c;
      if (!mimic_dagger_answer(d, i, l->act)) {
        if (open) st = append_run(l);
        open = false;
        continue;
      }
      if (!open) st = mimic_episode_buf_reset(&l->ep, l->obs + i * (size_t)l->od, MIMIC_NO_SEED);
      open = true;
      if (!st)
        st = mimic_episode_buf_step(&l->ep, l->act, l->rew[i], l->term[i], l->trunc[i],
                                    l->next + i * (size_t)l->od);
      if (!st && (l->term[i] || l->trunc[i])) {
        st = append_run(l);
        open = false;
      }
    }
    if (open && !st) st = append_run(l);
  }
  if (!st) st = mimic_dataset_writer_commit(l->writer);
  l->len = 0;
  *episodes = st ? 0 : (long)mimic_dataset_writer_episodes(l->writer);
  return st;
}

void dagger_labels_close(dagger_labels *l) {
  if (l->writer) mimic_dataset_writer_close(l->writer);
  mimic_episode_buf_free(&l->ep);
  mimic_data_space_free(&l->os);
  mimic_data_space_free(&l->as);
  free(l->obs);
  free(l->next);
  free(l->rew);
  free(l->term);
  free(l->trunc);
  free(l->act);
  memset(l, 0, sizeof *l);
}
