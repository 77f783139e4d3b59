/* Heads: what turns an MLP's output into an action distribution.
 *
 * Categorical (torch.distributions.Categorical on logits): log-softmax with
 * the max subtracted, the row sum of exp accumulated in double; entropy is
 * -sum p log p from the log-probabilities. The backward takes per-row
 * gradients with respect to log_prob and entropy, so BC, PPO and anything
 * else built from those two quantities share it:
 *   dlog_prob_i/dz_ij = [j == a_i] - p_ij,   dH_i/dz_ij = -p_ij (lp_ij + H_i).
 *
 * Diagonal Gaussian with a state-independent log_std (SB3's
 * DiagGaussianDistribution): log-prob and entropy are summed over action
 * dimensions; std = exp(log_std) is recomputed per call (A values).
 *   dlog_prob_i/dmu_ij = (a_ij - mu_ij) / s_j^2,
 *   dlog_prob_i/dlog_std_j = (a_ij - mu_ij)^2 / s_j^2 - 1,  dH_i/dlog_std_j = 1.
 *
 * Regression is torch's F.mse_loss (mean over every element). Rows are
 * processed one at a time in double where K or A is small, so none of this
 * allocates. */
#include "mimic/nn.h"
#include "nn/heads.h"

#include <math.h>

#define HALF_LOG_2PI 0.91893853320467274178

/* Returns the log-sum-exp of row z (K). */
static double row_lse(const float *z, int K) {
  float mx = z[0];
  for (int j = 1; j < K; j++)
    if (z[j] > mx) mx = z[j];
  double s = 0;
  for (int j = 0; j < K; j++) s += exp((double)z[j] - mx);
  return mx + log(s);
}

void mimic_cat_log_softmax(const float *logits, int B, int K, float *logp) {
  for (int i = 0; i < B; i++) {
    const float *z = logits + (size_t)i * K;
    float *lp = logp + (size_t)i * K;
    double lse = row_lse(z, K);
    for (int j = 0; j < K; j++) lp[j] = (float)(z[j] - lse);
  }
}

void mimic_cat_probs(const float *logits, int B, int K, float *probs) {
  for (int i = 0; i < B; i++) {
    const float *z = logits + (size_t)i * K;
    float *p = probs + (size_t)i * K;
    double lse = row_lse(z, K);
    for (int j = 0; j < K; j++) p[j] = (float)exp(z[j] - lse);
  }
}

void mimic_cat_entropy(const float *logp, int B, int K, float *ent) {
  for (int i = 0; i < B; i++) {
    const float *lp = logp + (size_t)i * K;
    double h = 0;
    for (int j = 0; j < K; j++) h -= exp((double)lp[j]) * lp[j];
    ent[i] = (float)h;
  }
}

void mimic_cat_log_prob(const float *logp, const int32_t *acts, int B, int K, float *out) {
  for (int i = 0; i < B; i++) out[i] = logp[(size_t)i * K + acts[i]];
}

void mimic_cat_argmax(const float *logits, int B, int K, int32_t *acts) {
  for (int i = 0; i < B; i++) {
    const float *z = logits + (size_t)i * K;
    int best = 0;
    for (int j = 1; j < K; j++)
      if (z[j] > z[best]) best = j;
    acts[i] = best;
  }
}

void mimic_cat_sample(const float *logits, int B, int K, mimic_rng *rng, int32_t *acts) {
  for (int i = 0; i < B; i++) {
    const float *z = logits + (size_t)i * K;
    float mx = z[0];
    for (int j = 1; j < K; j++)
      if (z[j] > mx) mx = z[j];
    double total = 0;
    for (int j = 0; j < K; j++) total += exp((double)z[j] - mx);
    double u = mimic_rng_double(rng) * total, acc = 0;
    int pick = K - 1; // rounding may leave u at the very top
    for (int j = 0; j < K; j++) {
      acc += exp((double)z[j] - mx);
      if (u < acc) {
        pick = j;
        break;
      }
    }
    acts[i] = pick;
  }
}

void mimic_cat_backward(const float *logp, const int32_t *acts, const float *dlogprob,
                        const float *dent, int B, int K, float *dlogits) {
  for (int i = 0; i < B; i++) {
    const float *lp = logp + (size_t)i * K;
    float *d = dlogits + (size_t)i * K;
    double h = 0;
    if (dent)
      for (int j = 0; j < K; j++) h -= exp((double)lp[j]) * lp[j];
    double glp = dlogprob ? dlogprob[i] : 0.0, gh = dent ? dent[i] : 0.0;
    int a = dlogprob ? acts[i] : -1;
    for (int j = 0; j < K; j++) {
      double p = exp((double)lp[j]);
      double g = glp * ((j == a ? 1.0 : 0.0) - p) - gh * p * (lp[j] + h);
      d[j] = (float)g;
    }
  }
}

/* ---- diagonal Gaussian -------------------------------------------------- */

void mimic_gauss_log_prob(const float *mean, const float *log_std, const float *actions, int B,
                          int A, float *out) {
  for (int i = 0; i < B; i++) {
    double s = 0;
    for (int j = 0; j < A; j++) {
      double inv_var = exp(-2.0 * log_std[j]);
      double d = (double)actions[(size_t)i * A + j] - mean[(size_t)i * A + j];
      s += -0.5 * d * d * inv_var - log_std[j] - HALF_LOG_2PI;
    }
    out[i] = (float)s;
  }
}

float mimic_gauss_entropy(const float *log_std, int A) {
  double s = 0;
  for (int j = 0; j < A; j++) s += 0.5 + HALF_LOG_2PI + log_std[j];
  return (float)s;
}

void mimic_gauss_sample(const float *mean, const float *log_std, int B, int A, mimic_rng *rng,
                        float *actions) {
  for (int i = 0; i < B; i++)
    for (int j = 0; j < A; j++) {
      size_t k = (size_t)i * A + j;
      actions[k] = (float)(mean[k] + exp((double)log_std[j]) * mimic_rng_normal(rng));
    }
}

void mimic_gauss_backward(const float *mean, const float *log_std, const float *actions, int B,
                          int A, const float *dlogprob, float dent_sum, float *dmean,
                          float *dlog_std) {
  for (int j = 0; j < A; j++) {
    double inv_var = exp(-2.0 * log_std[j]);
    double acc = dent_sum; // dH_i/dlog_std_j = 1
    for (int i = 0; i < B; i++) {
      size_t k = (size_t)i * A + j;
      double d = (double)actions[k] - mean[k];
      double g = dlogprob ? dlogprob[i] : 0.0;
      dmean[k] = (float)(g * d * inv_var);
      acc += g * (d * d * inv_var - 1.0);
    }
    dlog_std[j] += (float)acc;
  }
}

/* ---- regression --------------------------------------------------------- */

double mimic_mse(const float *pred, const float *target, size_t n, float *dpred) {
  double s = 0;
  for (size_t k = 0; k < n; k++) {
    double d = (double)pred[k] - target[k];
    s += d * d;
    if (dpred) dpred[k] = (float)(2.0 * d / (double)n);
  }
  return n ? s / (double)n : 0.0;
}
