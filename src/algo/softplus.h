/* softplus, shared by the reward networks and the adversarial trainers. */
#ifndef MIMIC_ALGO_SOFTPLUS_H
#define MIMIC_ALGO_SOFTPLUS_H

#include <math.h>

/* log(1 + e^x), without overflow for large |x|. */
static inline double mimic_softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

#endif
