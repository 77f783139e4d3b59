/* Behavioral-cloning losses exactly as imitation's
 * BehaviorCloningLossCalculator defines them:
 *
 *   loss = neglogp + ent_loss + l2_loss
 *   neglogp  = -mean_i log_prob_i          ent_loss = -ent_weight * mean_i H_i
 *   l2_norm  = 0.5 * sum of squares of EVERY parameter (weights, biases,
 *              value branch, log_std)       l2_loss = l2_weight * l2_norm
 *   prob_true_act = mean_i exp(log_prob_i)
 *
 * The data term and its gradient with respect to the head's input (logits
 * or mean, and log_std) are computed here; the L2 term acts on a flat
 * parameter array (mimic_l2_penalty), which is why a model keeps all its
 * parameters in one allocation. Sums run in double; per-row work is
 * recomputed rather than buffered, so nothing allocates. */
#include "mimic/nn.h"
#include "nn/heads.h"

#include <math.h>

#define HALF_LOG_2PI 0.91893853320467274178

mimic_status mimic_bc_categorical(const float *logits, const int32_t *acts, const float *weight,
                                  int B, int K, float ent_weight, float *dlogits,
                                  mimic_bc_stats *st) {
  if (B < 1 || K < 1) return mimic_fail(MIMIC_ERR_INVALID, "bc loss: empty batch (%d x %d)", B, K);
  for (int i = 0; i < B; i++)
    if (acts[i] < 0 || acts[i] >= K)
      return mimic_fail(MIMIC_ERR_RANGE, "bc loss: row %d: action %d is outside 0..%d", i,
                        (int)acts[i], K - 1);
  double nlp = 0, ent = 0, ptrue = 0, invB = 1.0 / B;
  for (int i = 0; i < B; i++) {
    const float *z = logits + (size_t)i * K;
    float *d = dlogits + (size_t)i * K;
    float mx = z[0];
    for (int j = 1; j < K; j++)
      if (z[j] > mx) mx = z[j];
    double s = 0;
    for (int j = 0; j < K; j++) s += exp((double)z[j] - mx);
    double lse = mx + log(s), h = 0;
    for (int j = 0; j < K; j++) {
      double lp = z[j] - lse;
      h -= exp(lp) * lp;
    }
    double lpa = z[acts[i]] - lse, w = weight ? weight[i] : 1.0; /* x * 1.0 is exact */
    nlp -= w * lpa;
    ent += w * h;
    ptrue += w * exp(lpa);
    // dloss/dz_ij = w_i ((p_ij - [j == a_i]) / B + (ent_weight / B) p_ij (lp_ij + H_i))
    for (int j = 0; j < K; j++) {
      double lp = z[j] - lse, p = exp(lp);
      d[j] =
          (float)(((p - (j == acts[i] ? 1.0 : 0.0)) * invB + ent_weight * invB * p * (lp + h)) * w);
    }
  }
  st->neglogp = nlp * invB;
  st->entropy = ent * invB;
  st->ent_loss = -(double)ent_weight * st->entropy;
  st->prob_true_act = ptrue * invB;
  st->mse = 0;
  return MIMIC_OK;
}

void mimic_bc_gaussian(const float *mean, const float *log_std, const float *actions,
                       const float *weight, int B, int A, float ent_weight, float *dmean,
                       float *dlog_std, mimic_bc_stats *st) {
  double invB = 1.0 / B, nlp = 0, ptrue = 0, sq = 0;
  for (int i = 0; i < B; i++) {
    double lp = 0, w = weight ? weight[i] : 1.0;
    for (int j = 0; j < A; j++) {
      size_t k = (size_t)i * A + j;
      double d = (double)actions[k] - mean[k], inv_var = exp(-2.0 * log_std[j]);
      lp += -0.5 * d * d * inv_var - log_std[j] - HALF_LOG_2PI;
      sq += d * d;
      dmean[k] = (float)(-d * inv_var * invB * w); // dnll/dmu = -w (a - mu) / (s^2 B)
    }
    nlp -= w * lp;
    ptrue += w * exp(lp);
  }
  for (int j = 0; j < A; j++) {
    // dnll/dlog_std_j = (1/B) sum_i (1 - (a - mu)^2 / s^2); d(-ent_weight H)/dlog_std_j =
    // -ent_weight
    double inv_var = exp(-2.0 * log_std[j]), acc = 0;
    for (int i = 0; i < B; i++) {
      size_t k = (size_t)i * A + j;
      double d = (double)actions[k] - mean[k];
      acc += (1.0 - d * d * inv_var) * (weight ? weight[i] : 1.0);
    }
    dlog_std[j] += (float)(acc * invB - ent_weight);
  }
  st->neglogp = nlp * invB;
  st->entropy = mimic_gauss_entropy(log_std, A);
  st->ent_loss = -(double)ent_weight * st->entropy;
  st->prob_true_act = ptrue * invB;
  st->mse = sq / ((double)B * A);
}

double mimic_l2_penalty(const float *params, float *grads, size_t n, float l2_weight) {
  double s = 0;
  for (size_t k = 0; k < n; k++) s += (double)params[k] * params[k];
  if (grads && l2_weight != 0.0f)
    for (size_t k = 0; k < n; k++) grads[k] += l2_weight * params[k];
  return 0.5 * s;
}

void mimic_bc_finish(mimic_bc_stats *st, double l2_norm, float l2_weight) {
  st->l2_norm = l2_norm;
  st->l2_loss = l2_weight != 0 ? (double)l2_weight * l2_norm : 0.0;
  st->loss = st->neglogp + st->ent_loss + st->l2_loss;
}
