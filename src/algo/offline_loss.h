/* The losses of the off-policy and offline-RL algorithms, as plain
 * functions of the network outputs they take (the papers' formulas; d3rlpy
 * computes the same): IQL's expectile value loss and advantage-weighted
 * actor loss, TD3+BC's actor loss, CQL(H)'s penalty for discrete actions,
 * the soft-Q (SQIL) target, and SAC's squashed-Gaussian policy. Each is
 * checked against testdata/nn/offline_rl.json; the trainers (src/algo/
 * offpolicy*.c) call them on minibatches. Gradients are written
 * (overwritten), sums accumulate in double; nothing allocates. Internal to
 * mimic. */
#ifndef MIMIC_ALGO_OFFLINE_LOSS_H
#define MIMIC_ALGO_OFFLINE_LOSS_H

#include <stdint.h>

#include "mimic/rng.h"

/* IQL (Kostrikov et al. 2021). With u = q - v and w = tau if u > 0 else
 * 1 - tau: returns value_loss = mean w u^2 and writes grad_v = -2 w u / B
 * (B); weight (B, may be NULL) receives w. */
double mimic_iql_value_loss(const float *q, const float *v, int B, double tau, float *weight,
                            float *grad_v);
/* IQL's actor: adv_weight = min(exp(beta (q - v)), w_max) (q, v detached);
 * returns -mean adv_weight * log_prob and writes adv_weight (B, may be NULL)
 * and grad_log_prob = -adv_weight / B (B). */
double mimic_iql_actor_loss(const float *q, const float *v, const float *log_prob, int B,
                            double beta, double w_max, float *adv_weight, float *grad_log_prob);

/* TD3+BC's actor loss (Fujimoto & Gu 2021) from q = Q1(s, pi(s)) (B), pi
 * (B,A) and the dataset's actions (B,A): lambda = alpha / mean|q| (a
 * constant), loss = -lambda mean q + mean (pi - a)^2. Writes grad_q (B)
 * and grad_pi (B,A); lambda, q_term and bc_term may be NULL. */
double mimic_td3bc_actor_loss(const float *q, const float *pi, const float *actions, int B, int A,
                              double alpha, double *lambda, double *q_term, double *bc_term,
                              float *grad_q, float *grad_pi);
/* The same with lambda given: data-parallel ranks each hold a slice of the
 * batch, and lambda is the whole batch's (mean|q| summed over the ranks). */
double mimic_td3bc_actor_loss_at(const float *q, const float *pi, const float *actions, int B,
                                 int A, double lam, double *q_term, double *bc_term, float *grad_q,
                                 float *grad_pi);

/* CQL(H) for discrete actions (Kumar et al. 2020) over q (B,K): returns
 * mean_b (logsumexp_k q[b,k] - q[b, actions[b]]) and writes grad_q (B,K);
 * logsumexp and q_data (B) may be NULL. Rows are max-shifted. */
double mimic_cql_h_penalty(const float *q, const int32_t *actions, int B, int K, float *logsumexp,
                           float *q_data, float *grad_q);

/* The soft-Q target: v_next = alpha logsumexp(q_next / alpha) (B, may be
 * NULL), target = r + gamma (1 - done) v_next (B). */
void mimic_soft_q_target(const float *q_next, const float *rewards, const float *dones, int B,
                         int K, double gamma, double alpha, float *v_next, float *target);
/* The gradient of sum_b up[b] * target[b] w.r.t. q_next (B,K). */
void mimic_soft_q_target_backward(const float *q_next, const float *dones, const float *up, int B,
                                  int K, double gamma, double alpha, float *grad_q_next);
/* Returns mean (q_sa - target)^2 and writes grad_q_sa = 2 (q_sa - target) / B. */
double mimic_td_loss(const float *q_sa, const float *target, int B, float *grad_q_sa);

/* SAC's squashed Gaussian (SB3's SquashedDiagGaussianDistribution). From
 * the actor's output out (B, 2A) = [mean | log_std], with log_std clamped
 * to [-20, 2] and eps (B,A) standard normal draws: u = mean + std eps,
 * action = tanh(u) (B,A), log_prob (B) = sum_j log N(u; mean, std) -
 * log(1 - tanh(u)^2 + 1e-6). */
void mimic_squashed_sample(const float *out, const float *eps, int B, int A, float *action,
                           float *log_prob);
/* Backward of mimic_squashed_sample: dout (B, 2A) (overwritten) given
 * daction (B,A) = dL/daction (may be NULL) and dlog_prob (B) = dL/dlog_prob. */
void mimic_squashed_backward(const float *out, const float *eps, const float *action, int B, int A,
                             const float *daction, const float *dlog_prob, float *dout);

#endif
