/* Policy heads (categorical, diagonal Gaussian, regression) and
 * imitation's BC loss over them. Internal to mimic (not installed): BC
 * (mimic/bc.h) and PPO (mimic/ppo.h) train through these; users call the
 * trainers. Gradients of intermediate values (dlogits, dmean) are
 * overwritten; nothing allocates. */
#ifndef MIMIC_NN_HEADS_H
#define MIMIC_NN_HEADS_H

#include <stddef.h>
#include <stdint.h>

#include "mimic/nn.h"

/* ---- heads -------------------------------------------------------------- */

/* Categorical over K classes, from logits (B,K). */

/* logp (B,K) = log_softmax(logits) (logp may equal logits). */
void mimic_cat_log_softmax(const float *logits, int B, int K, float *logp);
/* probs (B,K) = softmax(logits) (probs may equal logits). */
void mimic_cat_probs(const float *logits, int B, int K, float *probs);
/* ent (B) = -sum_j p log p, from log-probabilities logp (B,K). */
void mimic_cat_entropy(const float *logp, int B, int K, float *ent);
/* out (B) = logp[i, acts[i]]; acts must lie in 0..K-1. */
void mimic_cat_log_prob(const float *logp, const int32_t *acts, int B, int K, float *out);
/* acts (B) = argmax_j logits[i,j] (the first on ties). */
void mimic_cat_argmax(const float *logits, int B, int K, int32_t *acts);
/* acts (B) ~ Categorical(softmax(logits)), one uniform double per row
 * (inverse CDF). */
void mimic_cat_sample(const float *logits, int B, int K, mimic_rng *rng, int32_t *acts);
/* dlogits (B,K) = dL/dlogits given dlogprob (B) = dL/dlog_prob[i] (NULL = 0)
 * and dent (B) = dL/dentropy[i] (NULL = 0), where log_prob[i] =
 * logp[i, acts[i]]. acts may be NULL when dlogprob is NULL. Overwrites. */
void mimic_cat_backward(const float *logp, const int32_t *acts, const float *dlogprob,
                        const float *dent, int B, int K, float *dlogits);

/* Diagonal Gaussian with a state-independent log_std (A): std = exp(log_std),
 * mean (B,A) = the actor's output (also the deterministic action). */

/* out (B) = sum_j log N(actions[i,j]; mean[i,j], std_j). */
void mimic_gauss_log_prob(const float *mean, const float *log_std, const float *actions, int B,
                          int A, float *out);
/* Returns the entropy of one row: sum_j (0.5 + 0.5 ln(2 pi) + log_std_j). */
float mimic_gauss_entropy(const float *log_std, int A);
/* actions (B,A) = mean + std * N(0,1) (mimic_rng_normal, row-major order). */
void mimic_gauss_sample(const float *mean, const float *log_std, int B, int A, mimic_rng *rng,
                        float *actions);
/* dmean (B,A) (overwritten) and dlog_std (A) (added to) given dlogprob (B) =
 * dL/dlog_prob[i] and dent_sum = sum_i dL/dentropy[i]. */
void mimic_gauss_backward(const float *mean, const float *log_std, const float *actions, int B,
                          int A, const float *dlogprob, float dent_sum, float *dmean,
                          float *dlog_std);

/* Regression: returns mean((pred - target)^2) over n floats (torch's
 * F.mse_loss) and, unless dpred is NULL, writes dpred = 2 (pred - target) / n. */
double mimic_mse(const float *pred, const float *target, size_t n, float *dpred);

/* ---- losses ------------------------------------------------------------- */

/* The numbers imitation's BC logs for one batch. */
typedef struct mimic_bc_stats {
  double loss;          /* neglogp + ent_loss + l2_loss (mse + l2_loss for regression) */
  double neglogp;       /* -mean log_prob (0 for regression) */
  double entropy;       /* mean entropy (0 for regression) */
  double ent_loss;      /* -ent_weight * entropy */
  double l2_norm;       /* 0.5 * sum of squares of ALL parameters */
  double l2_loss;       /* l2_weight * l2_norm */
  double prob_true_act; /* mean exp(log_prob) (a density for Gaussian; 0 for regression) */
  double mse;           /* mean squared error of the mean/prediction (diagnostic) */
} mimic_bc_stats;

/* Categorical BC data term over logits (B,K): sets neglogp, entropy,
 * ent_loss, prob_true_act, and writes dlogits (B,K) = d(neglogp -
 * ent_weight*entropy)/dlogits. Row i's terms are scaled by weight[i]
 * (weight NULL: all 1), each still divided by B. Fails if an action is
 * outside 0..K-1. */
mimic_status mimic_bc_categorical(const float *logits, const int32_t *acts, const float *weight,
                                  int B, int K, float ent_weight, float *dlogits,
                                  mimic_bc_stats *st);
/* Gaussian BC data term: sets neglogp, entropy, ent_loss, prob_true_act,
 * mse; writes dmean (B,A) and adds d/dlog_std to dlog_std (A). Row i's
 * likelihood terms are scaled by weight[i] (NULL: all 1). */
void mimic_bc_gaussian(const float *mean, const float *log_std, const float *actions,
                       const float *weight, int B, int A, float ent_weight, float *dmean,
                       float *dlog_std, mimic_bc_stats *st);
/* Returns 0.5 * sum(params^2) (double accumulation) and, if grads and
 * l2_weight != 0, adds l2_weight * params to grads. */
double mimic_l2_penalty(const float *params, float *grads, size_t n, float l2_weight);
/* Completes st with l2_norm, l2_loss and the total loss. */
void mimic_bc_finish(mimic_bc_stats *st, double l2_norm, float l2_weight);

#endif
