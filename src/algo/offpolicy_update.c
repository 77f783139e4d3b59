/* One gradient step of SAC, TD3, TD3+BC and IQL on a minibatch (the math
 * of mimic/offpolicy.h; the losses themselves are in offline_loss.c).
 *
 * nn's MLPs keep one activation cache each, so every backward pass follows
 * the forward pass of the same network before that network runs again:
 * the target is computed first, then the critics learn, then the actor.
 * The random draws of a step are made first, in SB3's order, so
 * reordering changes no number. The actor's loss is backpropagated
 * through a critic to its input only (mimic_mlp_backward_input): the
 * critic's weight gradient would be the update's largest product, and
 * unused.
 *
 * Data-parallel (TD3+BC, IQL over a mimic_comm): every rank samples the
 * same global batch and draws the same noise, then computes on its slice of
 * Bs rows; before each optimizer step one all-reduce sums the network's
 * gradients weighted by the slice's share of the batch (each loss is a mean
 * over rows), so every rank takes the same step. TD3+BC's lambda needs the
 * whole batch's mean|Q|: one more (one-number) sum. Sharded, a rank holds
 * only part of the dataset and computes on the rows of the global batch it
 * holds (a varying Bs, weighted the same way). */
#include <math.h>
#include <string.h>

#include "algo/offline_loss.h"
#include "algo/offpolicy_impl.h"
#include "algo/sac_sde.h"
#include "nn/layers.h"
#include "nn/optim.h"

#define IQL_LOG_STD_MIN (-5.0f) /* d3rlpy's NormalPolicy */
#define IQL_LOG_STD_MAX 2.0f

/* sa (B, D + A) = [obs | act]. */
static void fill_sa(float *sa, const float *obs, const float *act, int B, int D, int A) {
  for (int i = 0; i < B; i++) {
    memcpy(sa + (size_t)i * (D + A), obs + (size_t)i * D, (size_t)D * sizeof(float));
    memcpy(sa + (size_t)i * (D + A) + D, act + (size_t)i * A, (size_t)A * sizeof(float));
  }
}

/* Adds the action columns of dsa (B, D + A) to dact (B, A). */
static void add_action_grad(float *dact, const float *dsa, int B, int D, int A) {
  for (int i = 0; i < B; i++)
    for (int j = 0; j < A; j++) dact[(size_t)i * A + j] += dsa[(size_t)i * (D + A) + D + j];
}

/* SB3's polyak_update: targ = targ * (1 - tau) + tau * p, in float32. */
static void polyak(float *targ, const float *p, size_t n, float tau) {
  const float keep = 1.0f - tau;
  for (size_t k = 0; k < n; k++) targ[k] = targ[k] * keep + p[k] * tau;
}

/* Critic c on t->w.sa (B rows); returns its output (B). */
static const float *q_forward(mimic_mlp *q, const float *sa, int B) {
  mimic_mlp_forward(q, sa, B);
  return q->out;
}

/* Data-parallel: moves this rank's rows of the batch (and of the step's
 * target noise, drawn for the whole batch) to the front of the buffers. */
static void take_slice(mimic_offpolicy *t) {
  op_work *w = &t->w;
  if (t->own) { /* sharded: the batch already holds only this rank's rows; the noise follows */
    const size_t A = (size_t)t->A;
    for (int k = 0; k < t->Bs; k++)
      memmove(w->eps2 + (size_t)k * A, w->eps2 + (size_t)t->own[k] * A, A * sizeof(float));
    return;
  }
  if (!t->reduce || t->lo == 0) return;
  const size_t lo = (size_t)t->lo, n = (size_t)t->Bs, D = (size_t)t->D, A = (size_t)t->A;
  memmove(w->obs, w->obs + lo * D, n * D * sizeof(float));
  memmove(w->next_obs, w->next_obs + lo * D, n * D * sizeof(float));
  memmove(w->act, w->act + lo * A, n * A * sizeof(float));
  memmove(w->eps2, w->eps2 + lo * A, n * A * sizeof(float));
  memmove(w->rew, w->rew + lo, n * sizeof(float));
  memmove(w->done, w->done + lo, n * sizeof(float));
}

/* Data-parallel: sums grads[n] over the ranks, each rank's weighted by its
 * share of the batch, together with the loss sums added since mark (which
 * then moves to the shared sums), so every rank holds the whole batch's
 * gradient and log. One process: nothing. */
static mimic_status share(mimic_offpolicy *t, float *grads, size_t n, double *mark) {
  if (!t->reduce) return MIMIC_OK;
  mimic_comm *c = t->cfg.comm;
  double *sums[OP_N_SHARED] = {&t->sum_critic, &t->sum_actor, &t->sum_value, &t->sum_q};
  const float w = (float)t->Bs / (float)t->B;
  float *r = t->reduce;
  for (size_t k = 0; k < n; k++) r[k] = grads[k] * w;
  for (int k = 0; k < OP_N_SHARED; k++) r[n + k] = (float)((*sums[k] - mark[k]) * w);
  if (t->Bs == 0) /* sharded, and none of the batch's rows here: means of nothing are NaN */
    memset(r, 0, (n + OP_N_SHARED) * sizeof(float));
  MIMIC_TRY(c->allreduce_sum(c, r, n + OP_N_SHARED));
  memcpy(grads, r, n * sizeof(float));
  for (int k = 0; k < OP_N_SHARED; k++) mark[k] = *sums[k] = mark[k] + r[n + k];
  return MIMIC_OK;
}

/* The loss sums as they stand (share's mark). */
static void mark_sums(const mimic_offpolicy *t, double *mark) {
  mark[0] = t->sum_critic;
  mark[1] = t->sum_actor;
  mark[2] = t->sum_value;
  mark[3] = t->sum_q;
}

/* Trains both critics towards w->target with loss scale * sum_c mean (q_c - y)^2. */
static void critic_step(mimic_offpolicy *t, double scale) {
  op_work *w = &t->w;
  const int B = t->Bs;
  memset(t->c_grads, 0, t->n_critic * sizeof(float));
  fill_sa(w->sa, w->obs, w->act, B, t->D, t->A);
  double loss = 0, qsum = 0;
  for (int c = 0; c < 2; c++) {
    const float *q = q_forward(&t->q[c], w->sa, B);
    double l = mimic_td_loss(q, w->target, B, w->dq);
    for (int i = 0; i < B; i++) {
      w->dq[i] = (float)(scale * w->dq[i]);
      if (c == 0) qsum += q[i];
    }
    loss += scale * l;
    mimic_mlp_backward(&t->q[c], w->sa, w->dq, B, NULL);
  }
  t->sum_critic += loss;
  t->sum_q += qsum / B;
  t->n_critic_terms++;
}

/* y = r + gamma (1 - done) * next (B). */
static void td_target(mimic_offpolicy *t, const float *next) {
  op_work *w = &t->w;
  const float gamma = (float)t->cfg.gamma;
  for (int i = 0; i < t->B; i++) w->target[i] = w->rew[i] + (1.0f - w->done[i]) * gamma * next[i];
}

/* gSDE: the actor's features at obs (B rows) into sde_latent, its mean
 * into sde_head.out, and the squashed sample with matrix W. */
static void sde_forward(mimic_offpolicy *t, const float *obs, int B, const float *W, float *action,
                        float *logp) {
  mimic_mlp_forward(&t->sde_trunk, obs, B);
  mimic_relu_forward(t->sde_latent, t->sde_trunk.out, (size_t)B * t->F);
  mimic_mlp_forward(&t->sde_head, t->sde_latent, B);
  mimic_sde_sample(t->sde_head.out, t->sde_latent, t->sde_sigma, W, B, t->F, t->A,
                   (float)t->cfg.clip_mean, action, logp, t->sde_noise, t->sde_var);
}

/* gSDE: backward of the last sde_forward given dL/daction and dL/dlog_prob,
 * into the actor's gradients (head, log_std, and through the features the
 * trunk). */
static void sde_backward(mimic_offpolicy *t, const float *obs, const float *action,
                         const float *daction, const float *dlogp) {
  const int B = t->B, F = t->F;
  float *dmean = t->w.dout;
  float *dlat = t->cfg.sde_learn_features ? t->sde_dlatent : NULL;
  mimic_sde_backward(t->sde_head.out, t->sde_latent, t->sde_sigma, t->sde_z, t->sde_w, action,
                     t->sde_noise, t->sde_var, B, F, t->A, (float)t->cfg.clip_mean, daction, dlogp,
                     dmean, t->sde_grad_log_std, dlat);
  mimic_mlp_backward(&t->sde_head, t->sde_latent, dmean, B, t->sde_dx);
  if (dlat)
    for (size_t k = 0; k < (size_t)B * F; k++) t->sde_dx[k] += dlat[k];
  mimic_relu_backward(t->sde_dx, t->sde_dx, t->sde_latent, (size_t)B * F);
  mimic_mlp_backward(&t->sde_trunk, obs, t->sde_dx, B, NULL);
}

void op_sde_reset_explore(mimic_offpolicy *t) {
  const size_t FA = (size_t)t->F * t->A;
  for (size_t k = 0; k < FA; k++) t->sde_z[k] = (float)mimic_rng_normal(&t->rng);
  mimic_sde_weights(t->sde_log_std, t->sde_z, t->F, t->A, t->sde_sigma, t->sde_explore);
}

void op_sde_act(mimic_offpolicy *t, const float *obs, float *out) {
  sde_forward(t, obs, 1, t->sde_explore, out, NULL);
}

/* SAC's step; with gSDE one matrix W (drawn here, as SB3's train() resets
 * the noise before each gradient step) serves the batch's actions at s'
 * and at s. */
static void sac_update(mimic_offpolicy *t) {
  op_work *w = &t->w;
  const int B = t->B, A = t->A, D = t->D;
  const size_t BA = (size_t)B * A;
  const bool sde = t->cfg.use_sde;
  if (sde) {
    for (size_t k = 0; k < (size_t)t->F * A; k++) t->sde_z[k] = (float)mimic_rng_normal(&t->rng);
    mimic_sde_weights(t->sde_log_std, t->sde_z, t->F, A, t->sde_sigma, t->sde_w);
  } else {
    for (size_t k = 0; k < BA; k++) w->eps[k] = (float)mimic_rng_normal(&t->rng);
    for (size_t k = 0; k < BA; k++) w->eps2[k] = (float)mimic_rng_normal(&t->rng);
  }
  const float alpha = expf(t->log_alpha); /* this step's temperature, before its update */
  /* target: min of the target critics at a fresh action, minus alpha log pi */
  if (sde) {
    sde_forward(t, w->next_obs, B, t->sde_w, w->a_next, w->logp_next);
  } else {
    mimic_mlp_forward(&t->actor, w->next_obs, B);
    mimic_squashed_sample(t->actor.out, w->eps2, B, A, w->a_next, w->logp_next);
  }
  fill_sa(w->sa, w->next_obs, w->a_next, B, D, A);
  memcpy(w->q1, q_forward(&t->q_targ[0], w->sa, B), (size_t)B * sizeof(float));
  const float *qt2 = q_forward(&t->q_targ[1], w->sa, B);
  for (int i = 0; i < B; i++)
    w->v[i] = (w->q1[i] < qt2[i] ? w->q1[i] : qt2[i]) - alpha * w->logp_next[i];
  td_target(t, w->v);
  critic_step(t, 0.5); /* SB3: 0.5 * sum of the two MSEs */
  mimic_optim_step(&t->critic_opt, t->c_params, t->c_grads);
  /* actor: alpha log pi - min Q at its own action, through the new critics */
  if (sde) {
    sde_forward(t, w->obs, B, t->sde_w, w->a_pi, w->logp);
  } else {
    mimic_mlp_forward(&t->actor, w->obs, B);
    mimic_squashed_sample(t->actor.out, w->eps, B, A, w->a_pi, w->logp);
  }
  fill_sa(w->sa, w->obs, w->a_pi, B, D, A);
  memcpy(w->q1, q_forward(&t->q[0], w->sa, B), (size_t)B * sizeof(float));
  memcpy(w->q2, q_forward(&t->q[1], w->sa, B), (size_t)B * sizeof(float));
  double loss = 0, logp_sum = 0;
  memset(w->dact, 0, BA * sizeof(float));
  for (int c = 0; c < 2; c++) {
    for (int i = 0; i < B; i++) {
      bool first = w->q1[i] <= w->q2[i];
      w->dq[i] = (c == 0) == first ? -1.0f / B : 0.0f;
    }
    mimic_mlp_backward_input(&t->q[c], w->sa, w->dq, B, w->dsa);
    add_action_grad(w->dact, w->dsa, B, D, A);
  }
  for (int i = 0; i < B; i++) {
    float mq = w->q1[i] < w->q2[i] ? w->q1[i] : w->q2[i];
    loss += (double)alpha * w->logp[i] - mq;
    logp_sum += w->logp[i];
    w->dv[i] = alpha / B; /* d loss / d log_prob */
  }
  memset(t->a_grads, 0, t->n_actor * sizeof(float));
  if (sde) {
    sde_backward(t, w->obs, w->a_pi, w->dact, w->dv);
  } else {
    mimic_squashed_backward(t->actor.out, w->eps, w->a_pi, B, A, w->dact, w->dv, w->dout);
    mimic_mlp_backward(&t->actor, w->obs, w->dout, B, NULL);
  }
  mimic_optim_step(&t->actor_opt, t->a_params, t->a_grads);
  t->sum_actor += loss / B;
  t->n_actor_terms++;
  if (t->cfg.ent_auto) { /* -(log_alpha * (log_prob + target_entropy)).mean() */
    t->grad_log_alpha = (float)(-(logp_sum / B + t->target_entropy));
    mimic_optim_step(&t->alpha_opt, &t->log_alpha, &t->grad_log_alpha);
  }
  polyak(t->c_targ, t->c_params, t->n_q, (float)t->cfg.tau);
}

/* TD3 and TD3+BC. */
static mimic_status td3_update(mimic_offpolicy *t) {
  op_work *w = &t->w;
  const int A = t->A, D = t->D;
  const float sigma = (float)t->cfg.target_noise, clip = (float)t->cfg.target_noise_clip;
  for (size_t k = 0; k < (size_t)t->B * A; k++) {
    float e = (float)mimic_rng_normal(&t->rng) * sigma;
    w->eps2[k] = e < -clip ? -clip : e > clip ? clip : e;
  }
  take_slice(t);
  const int B = t->Bs;
  const size_t BA = (size_t)B * A;
  double mark[OP_N_SHARED];
  mark_sums(t, mark);
  /* target policy smoothing: clip(pi'(s') + clipped noise, -1, 1) */
  mimic_mlp_forward(&t->actor_targ, w->next_obs, B);
  for (size_t k = 0; k < BA; k++) {
    float a = tanhf(t->actor_targ.out[k]) + w->eps2[k];
    w->a_next[k] = a < -1.0f ? -1.0f : a > 1.0f ? 1.0f : a;
  }
  fill_sa(w->sa, w->next_obs, w->a_next, B, D, A);
  memcpy(w->q1, q_forward(&t->q_targ[0], w->sa, B), (size_t)B * sizeof(float));
  const float *qt2 = q_forward(&t->q_targ[1], w->sa, B);
  for (int i = 0; i < B; i++) w->v[i] = w->q1[i] < qt2[i] ? w->q1[i] : qt2[i];
  td_target(t, w->v);
  critic_step(t, 1.0); /* the sum of the two MSEs */
  MIMIC_TRY(share(t, t->c_grads, t->n_critic, mark));
  mimic_optim_step(&t->critic_opt, t->c_params, t->c_grads);
  t->updates++;
  if (t->updates % t->cfg.policy_delay != 0) return MIMIC_OK;
  /* actor: -Q1(s, pi(s)) (+ TD3+BC's behaviour cloning) */
  mimic_mlp_forward(&t->actor, w->obs, B);
  for (size_t k = 0; k < BA; k++) w->a_pi[k] = tanhf(t->actor.out[k]);
  fill_sa(w->sa, w->obs, w->a_pi, B, D, A);
  const float *q = q_forward(&t->q[0], w->sa, B);
  double loss;
  if (t->cfg.algo == MIMIC_OFFPOLICY_TD3BC && !t->reduce) {
    loss = mimic_td3bc_actor_loss(q, w->a_pi, w->act, B, A, t->cfg.alpha, NULL, NULL, NULL, w->dq,
                                  w->dact);
  } else if (t->cfg.algo == MIMIC_OFFPOLICY_TD3BC) { /* lambda from the whole batch's mean|Q| */
    double abs_sum = 0;
    for (int i = 0; i < B; i++) abs_sum += fabs((double)q[i]);
    float all = (float)abs_sum;
    MIMIC_TRY(t->cfg.comm->allreduce_sum(t->cfg.comm, &all, 1));
    double lam = t->cfg.alpha / ((double)all / t->B);
    loss = mimic_td3bc_actor_loss_at(q, w->a_pi, w->act, B, A, lam, NULL, NULL, w->dq, w->dact);
  } else {
    double s = 0;
    for (int i = 0; i < B; i++) s += q[i];
    loss = -s / B;
    for (int i = 0; i < B; i++) w->dq[i] = -1.0f / B;
    memset(w->dact, 0, BA * sizeof(float));
  }
  mimic_mlp_backward_input(&t->q[0], w->sa, w->dq, B, w->dsa);
  add_action_grad(w->dact, w->dsa, B, D, A);
  for (size_t k = 0; k < BA; k++) w->dout[k] = w->dact[k] * (1.0f - w->a_pi[k] * w->a_pi[k]);
  memset(t->a_grads, 0, t->n_actor * sizeof(float));
  mimic_mlp_backward(&t->actor, w->obs, w->dout, B, NULL);
  t->sum_actor += loss;
  MIMIC_TRY(share(t, t->a_grads, t->n_actor, mark));
  mimic_optim_step(&t->actor_opt, t->a_params, t->a_grads);
  t->n_actor_terms++;
  polyak(t->c_targ, t->c_params, t->n_q, (float)t->cfg.tau);
  polyak(t->a_targ, t->a_params, t->n_actor, (float)t->cfg.tau);
  return MIMIC_OK;
}

static inline float clamp_iql(float s) {
  return s < IQL_LOG_STD_MIN ? IQL_LOG_STD_MIN : s > IQL_LOG_STD_MAX ? IQL_LOG_STD_MAX : s;
}

static mimic_status iql_update(mimic_offpolicy *t) {
  op_work *w = &t->w;
  take_slice(t);
  const int B = t->Bs, A = t->A, D = t->D;
  double mark[OP_N_SHARED];
  mark_sums(t, mark);
  /* Q towards r + gamma (1 - done) V(s') */
  mimic_mlp_forward(&t->vnet, w->next_obs, B);
  memcpy(w->v, t->vnet.out, (size_t)B * sizeof(float));
  td_target(t, w->v);
  critic_step(t, 1.0); /* zeroes every critic gradient, V's too */
  /* V towards the expectile of min Q'(s, a) */
  fill_sa(w->sa, w->obs, w->act, B, D, A);
  memcpy(w->q1, q_forward(&t->q_targ[0], w->sa, B), (size_t)B * sizeof(float));
  const float *qt2 = q_forward(&t->q_targ[1], w->sa, B);
  for (int i = 0; i < B; i++) w->target[i] = w->q1[i] < qt2[i] ? w->q1[i] : qt2[i];
  mimic_mlp_forward(&t->vnet, w->obs, B);
  t->sum_value += mimic_iql_value_loss(w->target, t->vnet.out, B, t->cfg.expectile, NULL, w->dv);
  mimic_mlp_backward(&t->vnet, w->obs, w->dv, B, NULL);
  MIMIC_TRY(share(t, t->c_grads, t->n_critic, mark));
  mimic_optim_step(&t->critic_opt, t->c_params, t->c_grads);
  /* actor: advantage-weighted log-likelihood of the data's actions under
   * N(tanh(mu), exp(log_std)), weights from the updated V */
  mimic_mlp_forward(&t->vnet, w->obs, B);
  mimic_mlp_forward(&t->actor, w->obs, B);
  const float *mu = t->actor.out;
  const double half_log_2pi = 0.5 * log(2 * M_PI);
  for (int i = 0; i < B; i++) {
    double lp = 0;
    for (int j = 0; j < A; j++) {
      float s = clamp_iql(t->log_std[j]);
      double m = tanhf(mu[(size_t)i * A + j]);
      double z = ((double)w->act[(size_t)i * A + j] - m) / exp((double)s);
      lp += -0.5 * z * z - s - half_log_2pi;
    }
    w->logp[i] = (float)lp;
  }
  double loss = mimic_iql_actor_loss(w->target, t->vnet.out, w->logp, B, t->cfg.beta,
                                     t->cfg.max_weight, NULL, w->dq);
  memset(t->a_grads, 0, t->n_actor * sizeof(float));
  for (int i = 0; i < B; i++)
    for (int j = 0; j < A; j++) {
      size_t k = (size_t)i * A + j;
      float s = clamp_iql(t->log_std[j]);
      double m = tanhf(mu[k]), var = exp(2.0 * s);
      double d = (double)w->act[k] - m;
      /* d log_prob / d mean = (a - m) / var; through tanh: (1 - m^2) */
      w->dout[k] = (float)(w->dq[i] * d / var * (1 - m * m));
      if (t->log_std[j] >= IQL_LOG_STD_MIN && t->log_std[j] <= IQL_LOG_STD_MAX)
        t->grad_log_std[j] += (float)(w->dq[i] * (d * d / var - 1));
    }
  mimic_mlp_backward(&t->actor, w->obs, w->dout, B, NULL);
  t->sum_actor += loss;
  MIMIC_TRY(share(t, t->a_grads, t->n_actor, mark));
  mimic_optim_step(&t->actor_opt, t->a_params, t->a_grads);
  t->n_actor_terms++;
  t->updates++;
  polyak(t->c_targ, t->c_params, t->n_q, (float)t->cfg.tau);
  return MIMIC_OK;
}

/* CQL (Kumar et al. 2020) as d3rlpy's CQL: SAC's actor and temperature
 * (d3rlpy's temperature loss, -temp (log pi - dim A)), a deterministic
 * target (no entropy term: soft_q_backup off), and critics that also pay
 * alpha (w * penalty - threshold), where the penalty is the mean over
 * critics of mean_b [logsumexp over 3N sampled actions of (Q(s, a) - log
 * density) - Q(s, a_data)], the samples being N actions of the policy at s,
 * N at s' (both scored at s) and N uniform ones. The Lagrangian alpha rises
 * while the penalty exceeds the threshold. d3rlpy draws separate samples
 * for the alpha step; here the critic step's samples serve both. */
static void cql_update(mimic_offpolicy *t) {
  op_work *w = &t->w;
  const int B = t->B, A = t->A, D = t->D, N = t->cfg.n_action_samples, W = D + A;
  const size_t BA = (size_t)B * A, rows = (size_t)B * 3 * N;
  const float temp = expf(t->log_alpha), cql_alpha = expf(t->log_cql);
  const float log_uniform = (float)(A * log(0.5)); /* density of U(-1, 1)^A */
  /* the target: min Q'(s', tanh(mu(s'))) */
  mimic_mlp_forward(&t->actor, w->next_obs, B);
  memcpy(t->out_next, t->actor.out, BA * 2 * sizeof(float));
  for (int i = 0; i < B; i++)
    for (int j = 0; j < A; j++)
      w->a_next[(size_t)i * A + j] = tanhf(t->out_next[(size_t)i * 2 * A + j]);
  fill_sa(w->sa, w->next_obs, w->a_next, B, D, A);
  memcpy(w->q1, q_forward(&t->q_targ[0], w->sa, B), (size_t)B * sizeof(float));
  const float *qt2 = q_forward(&t->q_targ[1], w->sa, B);
  for (int i = 0; i < B; i++) w->v[i] = w->q1[i] < qt2[i] ? w->q1[i] : qt2[i];
  td_target(t, w->v);
  /* the sampled actions: policy at s, policy at s', uniform; all scored at s */
  mimic_mlp_forward(&t->actor, w->obs, B);
  for (int kind = 0; kind < 3; kind++)
    for (int k = 0; k < N; k++) {
      const float *out = kind == 0 ? t->actor.out : t->out_next;
      if (kind < 2) {
        for (size_t e = 0; e < BA; e++) w->eps[e] = (float)mimic_rng_normal(&t->rng);
        mimic_squashed_sample(out, w->eps, B, A, w->a_pi, w->logp);
      } else {
        for (size_t e = 0; e < BA; e++) w->a_pi[e] = (float)mimic_rng_uniform(&t->rng, -1.0, 1.0);
      }
      for (int b = 0; b < B; b++) {
        size_t r = (size_t)b * 3 * N + (size_t)kind * N + k;
        float *row = t->big_sa + r * W;
        memcpy(row, w->obs + (size_t)b * D, (size_t)D * sizeof(float));
        memcpy(row + D, w->a_pi + (size_t)b * A, (size_t)A * sizeof(float));
        t->big_lp[r] = kind < 2 ? w->logp[b] : log_uniform;
      }
    }
  /* critics: TD (sum over the two) + alpha * w * mean over critics of the penalty */
  const double coef = (double)cql_alpha * t->cfg.conservative_weight;
  memset(t->c_grads, 0, t->n_critic * sizeof(float));
  double td = 0, penalty = 0, qsum = 0;
  for (int c = 0; c < 2; c++) {
    const float *qb = q_forward(&t->q[c], t->big_sa, (int)rows);
    double lse_sum = 0;
    for (int b = 0; b < B; b++) {
      const float *q = qb + (size_t)b * 3 * N;
      const float *lp = t->big_lp + (size_t)b * 3 * N;
      float *g = t->big_dq + (size_t)b * 3 * N;
      double m = -INFINITY, sum = 0;
      for (int k = 0; k < 3 * N; k++) m = fmax(m, (double)q[k] - lp[k]);
      for (int k = 0; k < 3 * N; k++) sum += exp((double)q[k] - lp[k] - m);
      double lse = m + log(sum);
      lse_sum += lse;
      for (int k = 0; k < 3 * N; k++)
        g[k] = (float)(coef * exp((double)q[k] - lp[k] - lse) / (2.0 * B));
    }
    mimic_mlp_backward(&t->q[c], t->big_sa, t->big_dq, (int)rows, NULL);
    fill_sa(w->sa, w->obs, w->act, B, D, A);
    const float *q = q_forward(&t->q[c], w->sa, B);
    double data = 0;
    td += mimic_td_loss(q, w->target, B, w->dq);
    for (int i = 0; i < B; i++) {
      data += q[i];
      w->dq[i] -= (float)(coef / (2.0 * B));
    }
    if (c == 0) qsum = data / B;
    penalty += 0.5 * (lse_sum - data) / B;
    mimic_mlp_backward(&t->q[c], w->sa, w->dq, B, NULL);
  }
  mimic_optim_step(&t->critic_opt, t->c_params, t->c_grads);
  const double gap = t->cfg.conservative_weight * penalty - t->cfg.alpha_threshold;
  t->sum_critic += td + cql_alpha * gap;
  t->sum_value += penalty; /* logged in the value-loss column */
  t->sum_q += qsum;
  t->n_critic_terms++;
  if (t->cfg.alpha_threshold >= 0) { /* the Lagrangian: minimise -alpha * gap */
    t->grad_log_cql = (float)(-(double)cql_alpha * gap);
    mimic_optim_step(&t->cql_opt, &t->log_cql, &t->grad_log_cql);
  }
  /* actor: temp log pi - min Q(s, a_pi) (SAC's), then the temperature */
  for (size_t e = 0; e < BA; e++) w->eps[e] = (float)mimic_rng_normal(&t->rng);
  mimic_mlp_forward(&t->actor, w->obs, B);
  mimic_squashed_sample(t->actor.out, w->eps, B, A, w->a_pi, w->logp);
  fill_sa(w->sa, w->obs, w->a_pi, B, D, A);
  memcpy(w->q1, q_forward(&t->q[0], w->sa, B), (size_t)B * sizeof(float));
  memcpy(w->q2, q_forward(&t->q[1], w->sa, B), (size_t)B * sizeof(float));
  memset(w->dact, 0, BA * sizeof(float));
  for (int c = 0; c < 2; c++) {
    for (int i = 0; i < B; i++) w->dq[i] = (c == 0) == (w->q1[i] <= w->q2[i]) ? -1.0f / B : 0.0f;
    mimic_mlp_backward_input(&t->q[c], w->sa, w->dq, B, w->dsa);
    add_action_grad(w->dact, w->dsa, B, D, A);
  }
  double loss = 0, logp_sum = 0;
  for (int i = 0; i < B; i++) {
    loss += (double)temp * w->logp[i] - fmin(w->q1[i], w->q2[i]);
    logp_sum += w->logp[i];
    w->dv[i] = temp / B;
  }
  mimic_squashed_backward(t->actor.out, w->eps, w->a_pi, B, A, w->dact, w->dv, w->dout);
  memset(t->a_grads, 0, t->n_actor * sizeof(float));
  mimic_mlp_backward(&t->actor, w->obs, w->dout, B, NULL);
  mimic_optim_step(&t->actor_opt, t->a_params, t->a_grads);
  t->sum_actor += loss / B;
  t->n_actor_terms++;
  t->grad_log_alpha = (float)(-(double)temp * (logp_sum / B + t->target_entropy));
  mimic_optim_step(&t->alpha_opt, &t->log_alpha, &t->grad_log_alpha);
  t->updates++;
  polyak(t->c_targ, t->c_params, t->n_q, (float)t->cfg.tau);
}

/* Huber loss (delta 1: SB3's smooth_l1_loss, d3rlpy's compute_huber_loss)
 * of q - y averaged over B; writes its gradient w.r.t. q. */
static double huber(const float *q, const float *y, int B, float *dq) {
  double loss = 0;
  for (int i = 0; i < B; i++) {
    double d = (double)q[i] - y[i];
    if (fabs(d) < 1.0) {
      loss += 0.5 * d * d;
      dq[i] = (float)(d / B);
    } else {
      loss += fabs(d) - 0.5;
      dq[i] = (float)((d > 0 ? 1.0 : -1.0) / B);
    }
  }
  return loss / B;
}

/* DQN (SB3's: max over the target network) and discrete CQL (d3rlpy's:
 * double DQN's target, the action from the online network, plus alpha
 * times CQL(H), mean_b logsumexp_k Q(s, k) - Q(s, a_data)). */
static void dqn_update(mimic_offpolicy *t) {
  op_work *w = &t->w;
  const int B = t->B, K = t->K;
  float *q_next = t->qbuf, *dout = t->qbuf + (size_t)B * K;
  if (t->cfg.double_q) {
    mimic_mlp_forward(&t->actor, w->next_obs, B);
    memcpy(q_next, t->actor.out, (size_t)B * K * sizeof(float));
  }
  mimic_mlp_forward(&t->actor_targ, w->next_obs, B);
  const float *qt = t->actor_targ.out;
  for (int i = 0; i < B; i++) {
    const float *row = (t->cfg.double_q ? q_next : qt) + (size_t)i * K;
    int best = 0;
    for (int k = 1; k < K; k++)
      if (row[k] > row[best]) best = k;
    w->v[i] = qt[(size_t)i * K + best];
  }
  td_target(t, w->v);
  mimic_mlp_forward(&t->actor, w->obs, B);
  const float *q = t->actor.out;
  for (int i = 0; i < B; i++) w->q1[i] = q[(size_t)i * K + t->act_ids[i]];
  double loss = huber(w->q1, w->target, B, w->dq), qsum = 0;
  const bool cql = t->cfg.algo == MIMIC_OFFPOLICY_DISCRETE_CQL;
  double penalty = 0;
  if (cql) {
    const float alpha = (float)t->cfg.cql_alpha;
    penalty = mimic_cql_h_penalty(q, t->act_ids, B, K, NULL, NULL, dout);
    for (size_t k = 0; k < (size_t)B * K; k++) dout[k] *= alpha;
    loss += alpha * penalty;
  } else {
    memset(dout, 0, (size_t)B * K * sizeof(float));
  }
  for (int i = 0; i < B; i++) {
    dout[(size_t)i * K + t->act_ids[i]] += w->dq[i];
    qsum += w->q1[i];
  }
  memset(t->a_grads, 0, t->n_actor * sizeof(float));
  mimic_mlp_backward(&t->actor, w->obs, dout, B, NULL);
  if (t->cfg.max_grad_norm > 0)
    mimic_clip_grad_norm(t->a_grads, t->n_actor, (float)t->cfg.max_grad_norm);
  mimic_optim_step(&t->actor_opt, t->a_params, t->a_grads);
  t->sum_critic += loss;
  t->sum_value += penalty;
  t->sum_q += qsum / B;
  t->n_critic_terms++;
  t->updates++;
  /* offline, the target follows gradient steps (d3rlpy); DQN's follows env steps */
  if (t->offline && t->updates % t->cfg.target_update_interval == 0) op_update_target(t);
}

/* d3rlpy's DiscreteBC: cross-entropy of the data's actions plus beta times
 * mean(logits^2) over the batch and the actions. */
static void discrete_bc_update(mimic_offpolicy *t) {
  op_work *w = &t->w;
  const int B = t->B, K = t->K;
  float *dout = t->qbuf + (size_t)B * K;
  mimic_mlp_forward(&t->actor, w->obs, B);
  const float *z = t->actor.out;
  const double beta = t->cfg.logit_penalty;
  double nll = 0, sq = 0;
  for (int i = 0; i < B; i++) {
    const float *row = z + (size_t)i * K;
    double m = row[0], sum = 0;
    for (int k = 1; k < K; k++) m = fmax(m, row[k]);
    for (int k = 0; k < K; k++) sum += exp((double)row[k] - m);
    double lse = m + log(sum);
    nll += lse - row[t->act_ids[i]];
    for (int k = 0; k < K; k++) {
      double p = exp((double)row[k] - lse);
      sq += (double)row[k] * row[k];
      dout[(size_t)i * K + k] =
          (float)((p - (k == t->act_ids[i])) / B + beta * 2.0 * row[k] / ((double)B * K));
    }
  }
  memset(t->a_grads, 0, t->n_actor * sizeof(float));
  mimic_mlp_backward(&t->actor, w->obs, dout, B, NULL);
  mimic_optim_step(&t->actor_opt, t->a_params, t->a_grads);
  t->sum_actor += nll / B + beta * sq / ((double)B * K);
  t->n_actor_terms++;
  t->updates++;
}

void op_update_target(mimic_offpolicy *t) {
  polyak(t->a_targ, t->a_params, t->n_actor, (float)t->cfg.tau);
}

int op_greedy(mimic_offpolicy *t, const float *obs) {
  mimic_mlp_forward(&t->actor, obs, 1);
  int best = 0;
  for (int k = 1; k < t->K; k++)
    if (t->actor.out[k] > t->actor.out[best]) best = k;
  return best;
}

mimic_status op_update(mimic_offpolicy *t) {
  switch (t->cfg.algo) {
  case MIMIC_OFFPOLICY_SAC:
    sac_update(t);
    t->updates++;
    break;
  case MIMIC_OFFPOLICY_TD3:
  case MIMIC_OFFPOLICY_TD3BC: return td3_update(t);
  case MIMIC_OFFPOLICY_IQL: return iql_update(t);
  case MIMIC_OFFPOLICY_CQL: cql_update(t); break;
  case MIMIC_OFFPOLICY_DQN:
  case MIMIC_OFFPOLICY_DISCRETE_CQL: dqn_update(t); break;
  case MIMIC_OFFPOLICY_DISCRETE_BC: discrete_bc_update(t); break;
  }
  return MIMIC_OK;
}

void op_actor_deterministic(mimic_offpolicy *t, const float *obs, int n, float *out) {
  mimic_mlp_forward(&t->actor, obs, n);
  const int A = t->A;
  const bool gauss =
      (t->cfg.algo == MIMIC_OFFPOLICY_SAC && !t->cfg.use_sde) || t->cfg.algo == MIMIC_OFFPOLICY_CQL;
  const int stride = gauss ? 2 * A : A;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < A; j++)
      out[(size_t)i * A + j] = tanhf(t->actor.out[(size_t)i * stride + j]);
}
