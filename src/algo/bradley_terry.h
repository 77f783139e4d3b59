/* The Bradley-Terry loss of preference comparisons (mimic/preferences.h),
 * on its own so the reference vectors (testdata/nn/offline_rl.json,
 * bradley_terry cases) test exactly what training uses. Internal to mimic. */
#ifndef MIMIC_ALGO_BRADLEY_TERRY_H
#define MIMIC_ALGO_BRADLEY_TERRY_H

/* imitation's clip of the return difference (never reached by sane rewards). */
#define MIMIC_BT_CLIP 50.0

/* Loss of B pairs of L-step segments with per-step rewards r1, r2 (B, L)
 * and preferences pref (B, the probability that segment 1 is preferred):
 * returns the mean over pairs of -(p log P1 + (1 - p) log P2) with
 * P1 = sigmoid(R1 - R2), Ri discounted sums. Writes the gradients of that
 * mean into g1, g2 (B, L; may be NULL) and P1 into prob1 (B; may be NULL). */
double mimic_bt_loss(const float *r1, const float *r2, const double *pref, int B, int L,
                     double discount, float *g1, float *g2, double *prob1);

/* The discounted return of one L-step segment. */
double mimic_bt_return(const float *r, int L, double discount);

#endif
