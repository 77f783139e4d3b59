/* Behavioral cloning on sharded data: the dataset's global shape, and the
 * observation statistics, shared out between the ranks.
 *
 * A rank holds a run of whole episodes. Everything one process decides
 * over the whole dataset must come out the same here, so the ranks first
 * trade their episodes' lengths (a gather of where each shard sits, then
 * one broadcast per rank of its episode starts: 8 bytes an episode) and
 * every rank builds the global episode table. The validation split and
 * each epoch's permutation are then drawn over that table, as one process
 * draws them over its view; only the rows a rank holds are ever read.
 *
 * The statistics are not summed but continued: rank 0 adds its rows,
 * broadcasts (count, mean, M2), rank 1 continues from them, and so on.
 * mimic_obs_stats_add_transitions takes the same runs (one per episode,
 * cut every 4096 rows) and merges them in the same order as one process
 * over the whole view, so the statistics are one process's bit for bit;
 * the cost is one pass over the data, as in one process, while the other
 * ranks wait quietly (the broadcasts sleep, src/mpi). */
#include "algo/bc_shard.h"

#include <stdlib.h>
#include <string.h>

/* Where a rank's shard sits, as gathered (all uint64). */
enum { AT_FIRST_STEP, AT_STEPS, AT_FIRST_EP, AT_EPS, AT_TOTAL_STEPS, AT_TOTAL_EPS, AT_N };

/* Rank 0's verdict on the gathered table: -1 when the shards partition the
 * set, else the first rank out of place. */
static int first_misplaced(const uint64_t *all, int size) {
  uint64_t step = 0, ep = 0;
  for (int r = 0; r < size; r++) {
    const uint64_t *a = all + (size_t)r * AT_N;
    if (a[AT_FIRST_STEP] != step || a[AT_FIRST_EP] != ep ||
        a[AT_TOTAL_STEPS] != all[AT_TOTAL_STEPS] || a[AT_TOTAL_EPS] != all[AT_TOTAL_EPS])
      return r;
    step += a[AT_STEPS];
    ep += a[AT_EPS];
  }
  return step == all[AT_TOTAL_STEPS] && ep == all[AT_TOTAL_EPS] ? -1 : size - 1;
}

mimic_status bc_shard_open(bc_shard *s, mimic_comm *c, const mimic_dataset_shard *info,
                           const mimic_transitions *t) {
  memset(s, 0, sizeof *s);
  const int N = c->size;
  /* a view without episodes cannot be a shard: say so as a misplaced shard,
     so every rank fails together instead of leaving the others waiting */
  uint64_t mine[AT_N] = {info->first_step,    t->n,
                         info->first_episode, t->ep_start ? t->n_episodes : 0,
                         info->steps,         info->episodes};
  if (!t->ep_start) mine[AT_FIRST_STEP] = UINT64_MAX;
  uint64_t *all = mimic_calloc((size_t)N * AT_N, sizeof(uint64_t), "the shards' table");
  if (!all) return MIMIC_ERR_NOMEM; /* a job out of memory ends on every rank (abort) */
  mimic_status st = c->gather(c, mine, sizeof mine, all, 0);
  int bad = c->rank == 0 ? first_misplaced(all, N) : 0;
  if (!st) st = c->bcast(c, all, (size_t)N * AT_N * sizeof(uint64_t), 0);
  if (!st) st = c->bcast(c, &bad, sizeof bad, 0);
  if (!st && bad >= 0) {
    const uint64_t *a = all + (size_t)bad * AT_N;
    st = mimic_fail(MIMIC_ERR_INVALID,
                    "the ranks' shards do not partition the dataset in rank order: rank %d holds "
                    "%llu transitions from %llu (episodes %llu..%llu) of %llu",
                    bad, (unsigned long long)a[AT_STEPS], (unsigned long long)a[AT_FIRST_STEP],
                    (unsigned long long)a[AT_FIRST_EP],
                    (unsigned long long)(a[AT_FIRST_EP] + a[AT_EPS]),
                    (unsigned long long)all[AT_TOTAL_STEPS]);
  }
  const uint64_t E = all[AT_TOTAL_EPS];
  if (!st && !(s->ep_start = mimic_calloc((size_t)E + 1, sizeof(uint64_t), "the episode table")))
    st = MIMIC_ERR_NOMEM;
  if (!st)
    for (size_t k = 0; k < t->n_episodes; k++)
      s->ep_start[info->first_episode + k] = info->first_step + t->ep_start[k];
  for (int r = 0; r < N && !st; r++) {
    const uint64_t *a = all + (size_t)r * AT_N;
    st = c->bcast(c, s->ep_start + a[AT_FIRST_EP], (size_t)a[AT_EPS] * sizeof(uint64_t), r);
  }
  if (!st) {
    s->ep_start[E] = all[AT_TOTAL_STEPS];
    s->first = info->first_step;
    s->n = t->n;
    s->global = (mimic_transitions){
        .n = (size_t)all[AT_TOTAL_STEPS], .ep_start = s->ep_start, .n_episodes = (size_t)E};
  }
  free(all);
  if (st) bc_shard_close(s);
  return st;
}

void bc_shard_close(bc_shard *s) {
  free(s->ep_start);
  memset(s, 0, sizeof *s);
}

size_t bc_shard_own(const bc_shard *s, const uint32_t *rows, size_t n, uint32_t *own) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t g = (uint64_t)rows[i] - s->first; /* wraps past n for rows before the shard */
    if (g < s->n) own[k++] = (uint32_t)g;
  }
  return k;
}

mimic_status bc_shard_obs_stats(mimic_comm *c, const mimic_transitions *t, mimic_obs_stats *st) {
  MIMIC_TRY(mimic_obs_stats_init(st, t->obs_dim));
  const size_t D = (size_t)t->obs_dim;
  double *msg = mimic_malloc((1 + 2 * D) * sizeof(double), "the statistics' message");
  mimic_status rc = msg ? MIMIC_OK : MIMIC_ERR_NOMEM;
  for (int r = 0; r < c->size && !rc; r++) {
    if (r == c->rank) {
      rc = mimic_obs_stats_add_transitions(st, t, NULL, 0);
      if (rc) break;                           /* the job ends on this rank's error (abort) */
      memcpy(msg, &st->count, sizeof(double)); /* a uint64 carried in a double's bytes */
      memcpy(msg + 1, st->mean, D * sizeof(double));
      memcpy(msg + 1 + D, st->m2, D * sizeof(double));
    }
    rc = c->bcast(c, msg, (1 + 2 * D) * sizeof(double), r);
    if (!rc && r != c->rank) {
      memcpy(&st->count, msg, sizeof(double));
      memcpy(st->mean, msg + 1, D * sizeof(double));
      memcpy(st->m2, msg + 1 + D, D * sizeof(double));
    }
  }
  free(msg);
  if (rc) mimic_obs_stats_free(st);
  return rc;
}
