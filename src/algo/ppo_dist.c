/* PPO on several ranks as one run: what makes `mpirun -np S` with N
 * environments a rank the run one process makes with S*N environments,
 * up to float summation order.
 *
 * Rank r steps environments r*N .. r*N+N-1 of that process. Every rank
 * keeps the one action generator of the one process: each step it draws
 * the noise of all S*N environments in their order and samples its own
 * slice with its part of the stream (a categorical action is one uniform;
 * a gaussian action's normals come in pairs from the polar method, so
 * drawing every value in order is what reproduces the stream). The epoch's
 * permutation is drawn over the global buffer of T*S*N rows, identically
 * on every rank; each rank computes the loss on the rows of each global
 * minibatch it holds, every mean dividing by the global minibatch size, so
 * the sum over ranks (one all-reduce) is the whole minibatch's gradient
 * and losses. The advantages are normalised with the global minibatch's
 * mean and standard deviation (two one-number sums). */
#include <math.h>
#include <string.h>

#include "algo/ppo_impl.h"

mimic_status ppo_dist_start(mimic_ppo *p) {
  mimic_comm *c = p->cfg.comm;
  const size_t S = (size_t)c->size;
  p->all_obs =
      mimic_malloc(S * (size_t)p->N * (size_t)p->D * sizeof(float), "the ranks' observations");
  p->reduce =
      mimic_malloc((p->model.n_params + PPO_SHARED) * sizeof(float), "the all-reduce buffer");
  p->all_ret = mimic_malloc(S * (size_t)p->N * sizeof(double), "the ranks' returns");
  p->gperm = mimic_malloc(S * (size_t)p->n * sizeof(uint32_t), "the global permutation");
  p->gidx = mimic_malloc((size_t)p->mb * sizeof(uint32_t), "the rank's minibatch rows");
  if (!p->all_obs || !p->reduce || !p->all_ret || !p->gperm || !p->gidx) return MIMIC_ERR_NOMEM;
  return mimic_comm_check_same(c, p->model.params, p->model.n_params * sizeof(float),
                               "the initial parameters");
}

void ppo_dist_skip_draws(mimic_ppo *p, int envs) {
  if (p->discrete)
    for (int i = 0; i < envs; i++) (void)mimic_rng_double(&p->rng);
  else
    for (long i = 0; i < (long)envs * p->K; i++) (void)mimic_rng_normal(&p->rng);
}

int ppo_dist_rows(const mimic_ppo *p, const uint32_t *global, int Bg, uint32_t *local) {
  const uint32_t N = (uint32_t)p->N, SN = N * (uint32_t)p->cfg.comm->size;
  const uint32_t first = N * (uint32_t)p->cfg.comm->rank;
  int m = 0;
  for (int k = 0; k < Bg; k++) {
    uint32_t t = global[k] / SN, j = global[k] % SN;
    if (j >= first && j < first + N) local[m++] = t * N + (j - first);
  }
  return m;
}

mimic_status ppo_dist_adv_norm(mimic_ppo *p, const float *adv, int B, int Bg, double out[2]) {
  mimic_comm *c = p->cfg.comm;
  double s = 0;
  for (int i = 0; i < B; i++) s += adv[i];
  float v = (float)s;
  MIMIC_TRY(c->allreduce_sum(c, &v, 1));
  const double mean = (double)v / Bg;
  s = 0;
  for (int i = 0; i < B; i++) s += (adv[i] - mean) * (adv[i] - mean);
  v = (float)s;
  MIMIC_TRY(c->allreduce_sum(c, &v, 1));
  out[0] = mean;
  out[1] = sqrt((double)v / (Bg - 1));
  return MIMIC_OK;
}

mimic_status ppo_dist_sum(mimic_ppo *p, mimic_ppo_loss_result *r) {
  mimic_comm *c = p->cfg.comm;
  const size_t P = p->model.n_params;
  float *buf = p->reduce;
  memcpy(buf, p->model.grads, P * sizeof(float));
  double *fields[PPO_SHARED] = {&r->policy_loss, &r->value_loss, &r->entropy_loss,
                                &r->anchor_loss, &r->approx_kl,  &r->clip_fraction};
  for (int k = 0; k < PPO_SHARED; k++) buf[P + k] = (float)*fields[k];
  MIMIC_TRY(c->allreduce_sum(c, buf, P + PPO_SHARED));
  memcpy(p->model.grads, buf, P * sizeof(float));
  for (int k = 0; k < PPO_SHARED; k++) *fields[k] = buf[P + k];
  return MIMIC_OK;
}
