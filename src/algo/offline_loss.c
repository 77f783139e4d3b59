/* The losses of SAC, TD3+BC, IQL and CQL over network outputs (see
 * offline_loss.h for the formulas). Means and sums are accumulated in
 * double and rounded once, so the float32 results stay within a few ulp of
 * the float64 references whatever the batch size. */
#include "algo/offline_loss.h"

#include <math.h>
#include <stdbool.h>

#define LOG_STD_MIN (-20.0f)
#define LOG_STD_MAX 2.0f
#define SQUASH_EPS 1e-6 /* SB3's TanhBijector epsilon */

double mimic_iql_value_loss(const float *q, const float *v, int B, double tau, float *weight,
                            float *grad_v) {
  double sum = 0;
  for (int i = 0; i < B; i++) {
    double u = (double)q[i] - (double)v[i];
    double w = u > 0 ? tau : 1 - tau;
    sum += w * u * u;
    if (weight) weight[i] = (float)w;
    grad_v[i] = (float)(-2 * w * u / B);
  }
  return sum / B;
}

double mimic_iql_actor_loss(const float *q, const float *v, const float *log_prob, int B,
                            double beta, double w_max, float *adv_weight, float *grad_log_prob) {
  double sum = 0;
  for (int i = 0; i < B; i++) {
    double w = exp(beta * ((double)q[i] - (double)v[i]));
    if (!(w < w_max)) w = w_max; /* also an overflow to inf */
    sum += w * (double)log_prob[i];
    if (adv_weight) adv_weight[i] = (float)w;
    grad_log_prob[i] = (float)(-w / B);
  }
  return -sum / B;
}

double mimic_td3bc_actor_loss(const float *q, const float *pi, const float *actions, int B, int A,
                              double alpha, double *lambda, double *q_term, double *bc_term,
                              float *grad_q, float *grad_pi) {
  double abs_sum = 0;
  for (int i = 0; i < B; i++) abs_sum += fabs((double)q[i]);
  /* d3rlpy and the paper: lambda = alpha / mean|Q|, detached */
  double lam = alpha / (abs_sum / B);
  if (lambda) *lambda = lam;
  return mimic_td3bc_actor_loss_at(q, pi, actions, B, A, lam, q_term, bc_term, grad_q, grad_pi);
}

double mimic_td3bc_actor_loss_at(const float *q, const float *pi, const float *actions, int B,
                                 int A, double lam, double *q_term, double *bc_term, float *grad_q,
                                 float *grad_pi) {
  double q_sum = 0, sq = 0;
  for (int i = 0; i < B; i++) q_sum += q[i];
  size_t n = (size_t)B * (size_t)A;
  for (size_t k = 0; k < n; k++) {
    double d = (double)pi[k] - (double)actions[k];
    sq += d * d;
    grad_pi[k] = (float)(2 * d / (double)n);
  }
  for (int i = 0; i < B; i++) grad_q[i] = (float)(-lam / B);
  double qt = -lam * q_sum / B, bt = sq / (double)n;
  if (q_term) *q_term = qt;
  if (bc_term) *bc_term = bt;
  return qt + bt;
}

/* Row logsumexp with the maximum subtracted; writes softmax into p (may be NULL). */
static double row_lse(const float *z, int K, double scale, float *p) {
  double m = (double)z[0] * scale;
  for (int k = 1; k < K; k++)
    if ((double)z[k] * scale > m) m = (double)z[k] * scale;
  double s = 0;
  for (int k = 0; k < K; k++) s += exp((double)z[k] * scale - m);
  double lse = m + log(s);
  if (p)
    for (int k = 0; k < K; k++) p[k] = (float)exp((double)z[k] * scale - lse);
  return lse;
}

double mimic_cql_h_penalty(const float *q, const int32_t *actions, int B, int K, float *logsumexp,
                           float *q_data, float *grad_q) {
  double sum = 0;
  for (int b = 0; b < B; b++) {
    const float *row = q + (size_t)b * (size_t)K;
    float *g = grad_q + (size_t)b * (size_t)K;
    double lse = row_lse(row, K, 1.0, g);
    double qd = row[actions[b]];
    sum += lse - qd;
    if (logsumexp) logsumexp[b] = (float)lse;
    if (q_data) q_data[b] = (float)qd;
    for (int k = 0; k < K; k++) g[k] = (float)(((double)g[k] - (k == actions[b])) / B);
  }
  return sum / B;
}

void mimic_soft_q_target(const float *q_next, const float *rewards, const float *dones, int B,
                         int K, double gamma, double alpha, float *v_next, float *target) {
  for (int b = 0; b < B; b++) {
    double v = alpha * row_lse(q_next + (size_t)b * (size_t)K, K, 1.0 / alpha, NULL);
    if (v_next) v_next[b] = (float)v;
    target[b] = (float)((double)rewards[b] + gamma * (1.0 - (double)dones[b]) * v);
  }
}

void mimic_soft_q_target_backward(const float *q_next, const float *dones, const float *up, int B,
                                  int K, double gamma, double alpha, float *grad_q_next) {
  for (int b = 0; b < B; b++) {
    float *g = grad_q_next + (size_t)b * (size_t)K;
    row_lse(q_next + (size_t)b * (size_t)K, K, 1.0 / alpha, g);
    double c = (double)up[b] * gamma * (1.0 - (double)dones[b]);
    for (int k = 0; k < K; k++) g[k] = (float)(c * (double)g[k]);
  }
}

double mimic_td_loss(const float *q_sa, const float *target, int B, float *grad_q_sa) {
  double sum = 0;
  for (int b = 0; b < B; b++) {
    double d = (double)q_sa[b] - (double)target[b];
    sum += d * d;
    if (grad_q_sa) grad_q_sa[b] = (float)(2 * d / B);
  }
  return sum / B;
}

static inline float clamp_log_std(float s) {
  return s < LOG_STD_MIN ? LOG_STD_MIN : s > LOG_STD_MAX ? LOG_STD_MAX : s;
}

void mimic_squashed_sample(const float *out, const float *eps, int B, int A, float *action,
                           float *log_prob) {
  const double half_log_2pi = 0.5 * log(2 * M_PI);
  for (int i = 0; i < B; i++) {
    const float *mean = out + (size_t)i * 2 * (size_t)A, *ls = mean + A;
    double lp = 0;
    for (int j = 0; j < A; j++) {
      float s = clamp_log_std(ls[j]);
      float e = eps[(size_t)i * A + j];
      float u = mean[j] + expf(s) * e;
      float a = tanhf(u);
      action[(size_t)i * A + j] = a;
      /* log N(u; mean, std) with u - mean = std * eps exactly */
      lp += -0.5 * (double)e * e - s - half_log_2pi;
      lp -= log(1.0 - (double)a * a + SQUASH_EPS);
    }
    log_prob[i] = (float)lp;
  }
}

void mimic_squashed_backward(const float *out, const float *eps, const float *action, int B, int A,
                             const float *daction, const float *dlog_prob, float *dout) {
  for (int i = 0; i < B; i++) {
    const float *ls = out + (size_t)i * 2 * (size_t)A + A;
    float *dm = dout + (size_t)i * 2 * (size_t)A, *ds = dm + A;
    double dlp = dlog_prob ? dlog_prob[i] : 0;
    for (int j = 0; j < A; j++) {
      size_t k = (size_t)i * A + j;
      double a = action[k], one_m = 1.0 - a * a;
      double gu = (daction ? daction[k] * one_m : 0) + dlp * 2 * a * one_m / (one_m + SQUASH_EPS);
      dm[j] = (float)gu;
      /* the Gaussian term's gradient w.r.t. the mean cancels (u - mean =
       * std eps); w.r.t. log_std it is -1, plus the path through u */
      bool inside = ls[j] >= LOG_STD_MIN && ls[j] <= LOG_STD_MAX;
      double std = exp((double)clamp_log_std(ls[j]));
      ds[j] = inside ? (float)(gu * std * eps[k] - dlp) : 0.0f;
    }
  }
}
