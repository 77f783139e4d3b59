/* The Bradley-Terry preference loss, in double: a fragment's return sums
 * up to a few hundred float rewards, and the loss of a confident pair is a
 * small difference of large numbers. */
#include "algo/bradley_terry.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

double mimic_bt_return(const float *r, int L, double discount) {
  double R = 0, w = 1;
  for (int t = 0; t < L; t++, w *= discount) R += w * r[t];
  return R;
}

double mimic_bt_loss(const float *r1, const float *r2, const double *pref, int B, int L,
                     double discount, float *g1, float *g2, double *prob1) {
  double loss = 0;
  for (int b = 0; b < B; b++) {
    const float *a = r1 + (size_t)b * L, *c = r2 + (size_t)b * L;
    const double diff = mimic_bt_return(a, L, discount) - mimic_bt_return(c, L, discount);
    const bool clipped = fabs(diff) > MIMIC_BT_CLIP;
    const double d = clipped ? copysign(MIMIC_BT_CLIP, diff) : diff;
    /* log sigma(d) and log sigma(-d) without overflow */
    const double lp1 = -log1p(exp(-fabs(d))) + (d < 0 ? d : 0);
    const double lp2 = lp1 - d;
    const double p1 = exp(lp1), p = pref[b];
    loss -= p * lp1 + (1 - p) * lp2;
    if (prob1) prob1[b] = p1;
    if (!g1) continue;
    const double g = clipped ? 0.0 : (p1 - p) / B;
    double w = 1;
    for (int t = 0; t < L; t++, w *= discount) {
      g1[(size_t)b * L + t] = (float)(w * g);
      g2[(size_t)b * L + t] = (float)(-w * g);
    }
  }
  return loss / B;
}
