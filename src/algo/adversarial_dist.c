/* GAIL on several ranks as one run: what makes the discriminator of
 * `mpirun -np S mimic train gail --envs n` the discriminator one process
 * trains with S*n environments, up to float summation order.
 *
 * The generator is data-parallel PPO (ppo_dist.c): rank r holds
 * environments r*n .. r*n+n-1 of the joint rollout, whose row t*S*n + e is
 * step t of environment e. Every rank keeps the one process's generator of
 * the discriminator's draws and draws every index of each batch of 2B rows
 * in one process's order: B expert rows over the whole file's
 * demonstrations (and as many absorbing rows as they terminated), B
 * generator rows over the joint rollout (and as many absorbing rows as the
 * whole rollout terminated). A rank assembles the input rows it can: the
 * generator rows of its own environments, the expert rows of its shard
 * (cfg.shard: rank r holds a run of whole episodes, global rows [d_first,
 * d_first + d_n), as train bc's ranks do, bc_shard.c), and rank 0 the
 * absorbing ones. One all-reduce of the batch, where each rank holds
 * zeros in the rows it did not assemble (x + 0 = x exactly), gives every
 * rank the one process's batch bit for bit, so the input statistics take
 * the one process's rows in its order and equal its statistics exactly.
 * A library caller may instead give every rank the whole demonstrations
 * (cfg.shard NULL): every rank then assembles every expert row and the
 * all-reduce covers only the generator half; the batches, and so the run,
 * are the same bits.
 *
 * What one process computes from the demonstrations at the start is the
 * whole file's here too: the shards are checked to partition the file in
 * rank order (bc_shard_open, every rank failing alike), the transitions
 * and terminations are summed, and the fingerprint checkpoints record is
 * the CRC-32 one process computes, continued rank after rank.
 *
 * The compute is then shared out: rank r runs the discriminator forward
 * and backward on the contiguous rows [r*2B/S, (r+1)*2B/S) of the batch,
 * every loss term divided by the whole batch's 2B as one process divides,
 * and one all-reduce over the parameter block (with the step's loss and
 * accuracy sums after it) adds the ranks' parts into the whole batch's
 * gradient. Every rank takes the same Adam step and holds the same
 * discriminator, so the rewards each gives its own environments are the
 * one process's rewards of those rows.
 *
 * Why the rows travel rather than the statistics' moments: the moments of
 * each rank's rows merged would differ from one process's in the last
 * bits, and the batch's generator half is B rows of in_dim floats, about
 * the size of the parameter block for small observations. */
#include <string.h>

#include "algo/adversarial_impl.h"
#include "algo/bc_shard.h"

mimic_status adv_dist_start(mimic_adv *a) {
  mimic_comm *c = a->cfg.ppo.comm;
  const int B2 = 2 * a->B;
  a->rank = c->rank;
  a->lo = (int)((long)c->rank * B2 / c->size);
  a->hi = (int)((long)(c->rank + 1) * B2 / c->size);
  a->reduce =
      mimic_malloc((a->g.model.n_params + ADV_SHARED) * sizeof(float), "the all-reduce buffer");
  a->all_term = mimic_malloc((size_t)c->size * sizeof(int64_t), "the ranks' termination counts");
  a->s_held = mimic_malloc((size_t)B2 * sizeof(bool), "the batch's rows this rank holds");
  if (!a->reduce || !a->all_term || !a->s_held) return MIMIC_ERR_NOMEM;
  return mimic_comm_check_same(c, a->g.model.params, a->g.model.n_params * sizeof(float),
                               "the initial discriminator parameters");
}

size_t adv_gen_row(const mimic_adv *a, size_t j, int *owner) {
  if (!a->par) {
    *owner = 0;
    return j;
  }
  const size_t n = (size_t)a->cfg.ppo.n_envs, Sn = n * (size_t)a->cfg.ppo.comm->size;
  const size_t t = j / Sn, e = j % Sn;
  *owner = (int)(e / n);
  return t * n + e % n;
}

mimic_status adv_dist_total(mimic_adv *a, size_t mine, size_t *total) {
  mimic_comm *c = a->cfg.ppo.comm;
  int64_t m = (int64_t)mine;
  MIMIC_TRY(c->gather(c, &m, sizeof m, a->all_term, 0));
  MIMIC_TRY(c->bcast(c, a->all_term, (size_t)c->size * sizeof(int64_t), 0));
  *total = 0;
  for (int r = 0; r < c->size; r++) *total += (size_t)a->all_term[r];
  return MIMIC_OK;
}

mimic_status adv_dist_demos(mimic_adv *a, const mimic_dataset *demos,
                            const mimic_dataset_shard *info) {
  mimic_comm *c = a->cfg.ppo.comm;
  mimic_transitions t = mimic_dataset_transitions(demos);
  bc_shard sh;
  MIMIC_TRY(bc_shard_open(&sh, c, info, &t));
  a->d_first = sh.first;
  a->M = (size_t)sh.global.n;
  bc_shard_close(&sh);
  MIMIC_TRY(adv_dist_total(a, a->M_term, &a->M_term));
  uint32_t crc = 0; /* one process's: each array over the whole file in turn */
  for (int part = 0; part < 4; part++)
    for (int r = 0; r < c->size; r++) {
      if (r == c->rank) crc = adv_demo_crc(a, crc, part);
      MIMIC_TRY(c->bcast(c, &crc, sizeof crc, r));
    }
  a->demo_crc = crc;
  return MIMIC_OK;
}

mimic_status adv_dist_share_rows(mimic_adv *a) {
  mimic_comm *c = a->cfg.ppo.comm;
  const size_t in = (size_t)a->g.in_dim, B2 = 2 * (size_t)a->B;
  const size_t from = a->sharded ? 0 : B2 / 2; /* unsharded, every rank holds every expert row */
  for (size_t k = from; k < B2; k++)
    if (!a->s_held[k]) memset(a->g.in_buf + k * in, 0, in * sizeof(float));
  return c->allreduce_sum(c, a->g.in_buf + from * in, (B2 - from) * in);
}

mimic_status adv_dist_sum(mimic_adv *a, double sums[ADV_SHARED]) {
  mimic_comm *c = a->cfg.ppo.comm;
  const size_t P = a->g.model.n_params;
  float *buf = a->reduce;
  memcpy(buf, a->g.model.grads, P * sizeof(float));
  for (int k = 0; k < ADV_SHARED; k++) buf[P + k] = (float)sums[k];
  MIMIC_TRY(c->allreduce_sum(c, buf, P + ADV_SHARED));
  memcpy(a->g.model.grads, buf, P * sizeof(float));
  for (int k = 0; k < ADV_SHARED; k++) sums[k] = buf[P + k];
  return MIMIC_OK;
}
