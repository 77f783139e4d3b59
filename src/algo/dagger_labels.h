/* The labeled states of a DAgger run in environments as a Minari dataset
 * (dagger_labels.c). Private to src/algo. */
#ifndef MIMIC_ALGO_DAGGER_LABELS_H
#define MIMIC_ALGO_DAGGER_LABELS_H

#include "mimic/dagger.h"
#include "mimic/data.h"

typedef struct dagger_labels {
  int n, od, aw; /* copies, observation and action width */
  mimic_data_space os, as;
  mimic_dataset_writer *writer;
  mimic_episode_buf ep;
  size_t cap, len; /* the round's transitions, indexed by candidate */
  float *obs, *next, *act;
  double *rew;
  uint8_t *term, *trunc;
} dagger_labels;

/* Opens the dataset at path for appending; keep >= 0 drops episodes past
 * it (a killed round's), keep < 0 empties it (no round finished yet). */
mimic_status dagger_labels_open(dagger_labels *l, const char *path, const char *env_id, int n,
                                const mimic_space *os, const mimic_space *as, long keep);
/* Records candidate i's transition. */
mimic_status dagger_labels_step(dagger_labels *l, size_t i, const float *obs, const float *next,
                                double rew, bool term, bool trunc);
/* Appends the round's answered runs as episodes and commits; *episodes
 * gets the dataset's episode count. */
mimic_status dagger_labels_commit(dagger_labels *l, const mimic_dagger *d, long *episodes);
/* Closes the dataset (safe on a zeroed struct). */
void dagger_labels_close(dagger_labels *l);

#endif
