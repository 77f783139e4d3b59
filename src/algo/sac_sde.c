/* gSDE's squashed distribution and its gradient (sac_sde.h). Sums run in
 * double over a fixed order, so the same inputs give the same bits. The
 * products latent W and latent^2 sigma^2 are (B, F) x (F, A) with A the
 * action dimension (1 to a few): plain loops, no BLAS call worth its
 * overhead. */
#include "algo/sac_sde.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

void mimic_sde_weights(const float *log_std, const float *z, int F, int A, float *sigma, float *W) {
  for (size_t k = 0; k < (size_t)F * (size_t)A; k++) {
    sigma[k] = expf(log_std[k]);
    if (z) W[k] = sigma[k] * z[k];
  }
}

static inline float clip_mean(float m, float clip) {
  return clip > 0 ? (m < -clip ? -clip : m > clip ? clip : m) : m;
}

void mimic_sde_sample(const float *mean, const float *latent, const float *sigma, const float *W,
                      int B, int F, int A, float clip, float *action, float *log_prob, float *noise,
                      float *var) {
  const double half_log_2pi = 0.5 * log(2 * M_PI);
  for (int i = 0; i < B; i++) {
    const float *l = latent + (size_t)i * F;
    double lp = 0;
    for (int j = 0; j < A; j++) {
      double n = 0, v = 0;
      for (int k = 0; k < F; k++) {
        double s = sigma[(size_t)k * A + j];
        n += (double)l[k] * W[(size_t)k * A + j];
        v += (double)l[k] * l[k] * s * s;
      }
      v += MIMIC_SDE_EPS;
      size_t o = (size_t)i * A + j;
      float u = clip_mean(mean[o], clip) + (float)n;
      float a = tanhf(u);
      noise[o] = (float)n;
      var[o] = (float)v;
      action[o] = a;
      /* log N(u; mu, sqrt(v)) with u - mu = noise */
      lp += -0.5 * n * n / v - 0.5 * log(v) - half_log_2pi;
      lp -= log(1.0 - (double)a * a + MIMIC_SDE_EPS);
    }
    if (log_prob) log_prob[i] = (float)lp;
  }
}

void mimic_sde_backward(const float *mean, const float *latent, const float *sigma, const float *z,
                        const float *W, const float *action, const float *noise, const float *var,
                        int B, int F, int A, float clip, const float *daction,
                        const float *dlog_prob, float *dmean, float *dlog_std, float *dlatent) {
  for (int i = 0; i < B; i++) {
    const float *l = latent + (size_t)i * F;
    const double dlp = dlog_prob ? dlog_prob[i] : 0;
    if (dlatent)
      for (int k = 0; k < F; k++) dlatent[(size_t)i * F + k] = 0;
    for (int j = 0; j < A; j++) {
      size_t o = (size_t)i * A + j;
      double a = action[o], one_m = 1.0 - a * a, n = noise[o], v = var[o];
      /* through the action and the squash correction -log(1 - a^2 + eps) */
      double gu =
          (daction ? daction[o] * one_m : 0) + dlp * 2 * a * one_m / (one_m + MIMIC_SDE_EPS);
      /* the mean moves u alone: the Gaussian term sees u - mu = noise */
      bool inside = clip <= 0 || (mean[o] > -clip && mean[o] < clip); /* Hardtanh's gradient */
      dmean[o] = inside ? (float)gu : 0.0f;
      double gn = gu - dlp * n / v;                        /* d/d noise */
      double gv = dlp * (0.5 * n * n / (v * v) - 0.5 / v); /* d/d var */
      for (int k = 0; k < F; k++) {
        size_t q = (size_t)k * A + j;
        double s = sigma[q], lk = l[k];
        /* W = s z: dW/dlog_std = W; var = sum l^2 s^2: dvar/dlog_std = 2 l^2 s^2 */
        dlog_std[q] += (float)(gn * lk * s * z[q] + gv * 2.0 * lk * lk * s * s);
        if (dlatent) dlatent[(size_t)i * F + k] += (float)(gn * W[q] + gv * 2.0 * lk * s * s);
      }
    }
  }
}
