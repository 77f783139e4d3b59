/* One gradient step of SAC, TD3, TD3+BC and IQL on a minibatch (the math
 * of mimic/offpolicy.h; the losses themselves are in offline_loss.c).
 *
 * nn's MLPs keep one activation cache each, so every backward pass follows
 * the forward pass of the same network before that network runs again:
 * the target is computed first, then the critics learn, then the actor.
 * The random draws of a step are made first, in SB3's order, so
 * reordering changes no number. When the actor's loss is backpropagated
 * through a critic, the critic's parameter gradients are written too and
 * discarded: the critic step zeroes them before its own pass. */
#include <math.h>
#include <string.h>

#include "algo/offline_loss.h"
#include "algo/offpolicy_impl.h"
#include "nn/layers.h"

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

/* Trains both critics towards w->target with loss scale * sum_c mean (q_c - y)^2. */
static void critic_step(mimic_offpolicy *t, double scale) {
  op_work *w = &t->w;
  const int B = t->B;
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

static void sac_update(mimic_offpolicy *t) {
  op_work *w = &t->w;
  const int B = t->B, A = t->A, D = t->D;
  const size_t BA = (size_t)B * A;
  for (size_t k = 0; k < BA; k++) w->eps[k] = (float)mimic_rng_normal(&t->rng);
  for (size_t k = 0; k < BA; k++) w->eps2[k] = (float)mimic_rng_normal(&t->rng);
  const float alpha = expf(t->log_alpha); /* this step's temperature, before its update */
  /* target: min of the target critics at a fresh action, minus alpha log pi */
  mimic_mlp_forward(&t->actor, w->next_obs, B);
  mimic_squashed_sample(t->actor.out, w->eps2, B, A, w->a_next, w->logp_next);
  fill_sa(w->sa, w->next_obs, w->a_next, B, D, A);
  memcpy(w->q1, q_forward(&t->q_targ[0], w->sa, B), (size_t)B * sizeof(float));
  const float *qt2 = q_forward(&t->q_targ[1], w->sa, B);
  for (int i = 0; i < B; i++)
    w->v[i] = (w->q1[i] < qt2[i] ? w->q1[i] : qt2[i]) - alpha * w->logp_next[i];
  td_target(t, w->v);
  critic_step(t, 0.5); /* SB3: 0.5 * sum of the two MSEs */
  mimic_optim_step(&t->critic_opt, t->c_params, t->c_grads);
  /* actor: alpha log pi - min Q at its own action, through the new critics */
  mimic_mlp_forward(&t->actor, w->obs, B);
  mimic_squashed_sample(t->actor.out, w->eps, B, A, w->a_pi, w->logp);
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
    mimic_mlp_backward(&t->q[c], w->sa, w->dq, B, w->dsa);
    add_action_grad(w->dact, w->dsa, B, D, A);
  }
  for (int i = 0; i < B; i++) {
    float mq = w->q1[i] < w->q2[i] ? w->q1[i] : w->q2[i];
    loss += (double)alpha * w->logp[i] - mq;
    logp_sum += w->logp[i];
    w->dv[i] = alpha / B; /* d loss / d log_prob */
  }
  mimic_squashed_backward(t->actor.out, w->eps, w->a_pi, B, A, w->dact, w->dv, w->dout);
  memset(t->a_grads, 0, t->n_actor * sizeof(float));
  mimic_mlp_backward(&t->actor, w->obs, w->dout, B, NULL);
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
static void td3_update(mimic_offpolicy *t) {
  op_work *w = &t->w;
  const int B = t->B, A = t->A, D = t->D;
  const size_t BA = (size_t)B * A;
  const float sigma = (float)t->cfg.target_noise, clip = (float)t->cfg.target_noise_clip;
  for (size_t k = 0; k < BA; k++) {
    float e = (float)mimic_rng_normal(&t->rng) * sigma;
    w->eps2[k] = e < -clip ? -clip : e > clip ? clip : e;
  }
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
  mimic_optim_step(&t->critic_opt, t->c_params, t->c_grads);
  t->updates++;
  if (t->updates % t->cfg.policy_delay != 0) return;
  /* actor: -Q1(s, pi(s)) (+ TD3+BC's behaviour cloning) */
  mimic_mlp_forward(&t->actor, w->obs, B);
  for (size_t k = 0; k < BA; k++) w->a_pi[k] = tanhf(t->actor.out[k]);
  fill_sa(w->sa, w->obs, w->a_pi, B, D, A);
  const float *q = q_forward(&t->q[0], w->sa, B);
  double loss;
  if (t->cfg.algo == MIMIC_OFFPOLICY_TD3BC) {
    loss = mimic_td3bc_actor_loss(q, w->a_pi, w->act, B, A, t->cfg.alpha, NULL, NULL, NULL, w->dq,
                                  w->dact);
  } else {
    double s = 0;
    for (int i = 0; i < B; i++) s += q[i];
    loss = -s / B;
    for (int i = 0; i < B; i++) w->dq[i] = -1.0f / B;
    memset(w->dact, 0, BA * sizeof(float));
  }
  mimic_mlp_backward(&t->q[0], w->sa, w->dq, B, w->dsa);
  add_action_grad(w->dact, w->dsa, B, D, A);
  for (size_t k = 0; k < BA; k++) w->dout[k] = w->dact[k] * (1.0f - w->a_pi[k] * w->a_pi[k]);
  memset(t->a_grads, 0, t->n_actor * sizeof(float));
  mimic_mlp_backward(&t->actor, w->obs, w->dout, B, NULL);
  mimic_optim_step(&t->actor_opt, t->a_params, t->a_grads);
  t->sum_actor += loss;
  t->n_actor_terms++;
  polyak(t->c_targ, t->c_params, t->n_q, (float)t->cfg.tau);
  polyak(t->a_targ, t->a_params, t->n_actor, (float)t->cfg.tau);
}

static inline float clamp_iql(float s) {
  return s < IQL_LOG_STD_MIN ? IQL_LOG_STD_MIN : s > IQL_LOG_STD_MAX ? IQL_LOG_STD_MAX : s;
}

static void iql_update(mimic_offpolicy *t) {
  op_work *w = &t->w;
  const int B = t->B, A = t->A, D = t->D;
  const size_t BA = (size_t)B * A;
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
  mimic_optim_step(&t->actor_opt, t->a_params, t->a_grads);
  t->sum_actor += loss;
  t->n_actor_terms++;
  t->updates++;
  polyak(t->c_targ, t->c_params, t->n_q, (float)t->cfg.tau);
  (void)BA;
}

void op_update(mimic_offpolicy *t) {
  switch (t->cfg.algo) {
  case MIMIC_OFFPOLICY_SAC:
    sac_update(t);
    t->updates++;
    break;
  case MIMIC_OFFPOLICY_TD3:
  case MIMIC_OFFPOLICY_TD3BC: td3_update(t); break;
  case MIMIC_OFFPOLICY_IQL: iql_update(t); break;
  }
}

void op_actor_deterministic(mimic_offpolicy *t, const float *obs, int n, float *out) {
  mimic_mlp_forward(&t->actor, obs, n);
  const int A = t->A;
  const int stride = t->cfg.algo == MIMIC_OFFPOLICY_SAC ? 2 * A : A;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < A; j++)
      out[(size_t)i * A + j] = tanhf(t->actor.out[(size_t)i * stride + j]);
}
