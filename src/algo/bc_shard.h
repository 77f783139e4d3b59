/* Behavioral cloning on sharded data (algo/bc_shard.c): each rank of a
 * data-parallel job holds only its run of whole episodes of one dataset
 * (mimic_dataset_load_shard); what one process computes over the whole set
 * (the validation split, the observation statistics, each epoch's
 * permutation) is computed over the dataset's global shape, the same on
 * every rank, and each rank works on the rows it holds. Data-parallel GAIL
 * checks its demonstrations' shards with bc_shard_open too
 * (adversarial_dist.c). */
#ifndef MIMIC_ALGO_BC_SHARD_H
#define MIMIC_ALGO_BC_SHARD_H

#include "mimic/bc.h"

/* The whole dataset's shape as every rank sees it. */
typedef struct bc_shard {
  uint64_t first, n;        /* this rank's transitions: global rows [first, first + n) */
  uint64_t *ep_start;       /* [n_episodes + 1] every episode's first global row */
  mimic_transitions global; /* only n, ep_start and n_episodes set: for the split and sampler */
} bc_shard;

/* Collective: learns every rank's episode lengths and checks that the
 * ranks' shards partition the dataset in rank order (none twice, none
 * missing); every rank fails alike, naming the first rank out of place. */
mimic_status bc_shard_open(bc_shard *s, mimic_comm *c, const mimic_dataset_shard *info,
                           const mimic_transitions *t);
/* Frees what bc_shard_open allocated. */
void bc_shard_close(bc_shard *s);
/* Writes into own the local ids of the global rows[0..n) this rank holds,
 * in the rows' order; returns how many. */
size_t bc_shard_own(const bc_shard *s, const uint32_t *rows, size_t n, uint32_t *own);
/* Collective: the observation statistics of every rank's rows, continued
 * rank after rank in dataset order, which are one process's bit for bit. */
mimic_status bc_shard_obs_stats(mimic_comm *c, const mimic_transitions *t, mimic_obs_stats *st);

#endif
