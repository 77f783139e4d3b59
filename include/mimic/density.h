/* mimic/density.h: a reward from the density of the demonstrations
 * (imitation's DensityAlgorithm): a kernel density estimate fitted to the
 * demonstrated states (or state-action pairs, or state-next-state pairs)
 * whose log density is the reward an agent is then trained on with PPO.
 * The agent is paid for going where, and doing what, the demonstrator did.
 *
 * The estimate is scikit-learn's KernelDensity with a Gaussian kernel over
 * inputs standardised by the demonstrations' mean and standard deviation
 * (StandardScaler; a constant column keeps scale 1), as imitation fits it:
 *   log p(x) = logsumexp_i(-|x - x_i|^2 / (2 h^2)) - log N - (d/2) log(2 pi h^2).
 * A Discrete action is one-hot encoded before standardising.
 *
 * Where episodes can end early a raw log density teaches the agent to end
 * them (every step away from the data costs more than stopping), so the
 * reward is clipped below at a floor and shifted by it:
 *   r = max(log p(x), floor) - floor >= 0,
 * which is what giving the absorbing state after a termination the floor's
 * density (Kostrikov et al. 2019) amounts to. The default floor is the
 * density at 3 bandwidths from a lone demonstration:
 * -log N - (d/2) log(2 pi h^2) - 4.5. */
#ifndef MIMIC_DENSITY_H
#define MIMIC_DENSITY_H

#include "mimic/data.h"
#include "mimic/reward.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mimic_density_config {
  mimic_reward_inputs inputs; /* what the density is of (state; imitation: state-action) */
  double bandwidth;           /* h, in standardised units (0.5, imitation's) */
  bool standardise;           /* standardise the inputs (true) */
  double floor;               /* NAN: the default above */
} mimic_density_config;

typedef struct mimic_density {
  mimic_density_config cfg;
  mimic_reward_net shape; /* assembles input rows (its network is unused) */
  int in_dim;
  size_t n;                /* demonstrated points */
  float *points;           /* (n, in_dim), standardised */
  float *mean, *inv_scale; /* (in_dim) */
  double log_norm;         /* -log N - (d/2) log(2 pi h^2) */
  double floor;            /* the floor in use */
} mimic_density;

/* The defaults: the density of states (imitation's is of state-action
 * pairs, which on CartPole-v1 reaches 436 where states reach 500: see
 * docs/density.md), bandwidth 0.5, standardised. */
mimic_density_config mimic_density_defaults(void);
/* Fits the estimate to demos (next observations are needed for the
 * state-next-state kinds) for an environment with action_space. */
mimic_status mimic_density_fit(mimic_density *d, const mimic_density_config *cfg,
                               const mimic_transitions *demos, const mimic_space *action_space);
/* Frees the estimate (safe on a zeroed struct). */
void mimic_density_free(mimic_density *d);
/* log p(x) of n transitions into out (n). */
mimic_status mimic_density_log(mimic_density *d, const float *obs, const float *act,
                               const float *next_obs, int n, double *out);
/* A mimic_reward_fn (user = the estimate): max(log p, floor) - floor. */
mimic_status mimic_density_reward_fn(void *user, const float *obs, const float *act,
                                     const float *next_obs, const bool *terminated, int n,
                                     double *rewards);

#ifdef __cplusplus
}
#endif
#endif
