/* gSDE, generalized state-dependent exploration (Raffin et al. 2021), as
 * SB3's StateDependentNoiseDistribution with a tanh squash (SAC's
 * use_sde=True): the exploration noise of a state is its actor features
 * times a random matrix, noise = latent(s) W, with W (F, A) ~ N(0, sigma^2)
 * drawn now and then instead of every step, so one draw gives a smooth,
 * consistent perturbation along an episode. sigma = exp(log_std) is a
 * learned (F, A) matrix (SB3's full_std, exp rather than expln). Given the
 * draw, the action is tanh(mu + latent W), mu = clip(mean, -clip, clip)
 * (SB3's Hardtanh, clip_mean 2), and it is scored as a Gaussian of
 * variance latent^2 sigma^2 + 1e-6 per action, squashed.
 *
 * Plain functions over caller-owned buffers; the SAC update
 * (offpolicy_update.c) calls them on minibatches, the online loop on one
 * state. Internal to src/algo. */
#ifndef MIMIC_ALGO_SAC_SDE_H
#define MIMIC_ALGO_SAC_SDE_H

/* SB3's StateDependentNoiseDistribution epsilon, added to the variance. */
#define MIMIC_SDE_EPS 1e-6

/* sigma (F, A) = exp(log_std) and W (F, A) = sigma * z for standard
 * normal draws z (F, A); z NULL: sigma alone. */
void mimic_sde_weights(const float *log_std, const float *z, int F, int A, float *sigma, float *W);

/* The squashed gSDE sample of B rows. mean (B, A) is the actor's output
 * before the clip (clip <= 0: none), latent (B, F) its last hidden layer,
 * log_std and W (F, A). Writes action = tanh(clip(mean) + latent W) (B, A),
 * log_prob (B, may be NULL) = sum_j log N(u_j; mu_j, var_j) - log(1 -
 * action_j^2 + 1e-6), and keeps noise = latent W and var = latent^2
 * sigma^2 + 1e-6 (B, A each) for the backward; sigma = exp(log_std). */
void mimic_sde_sample(const float *mean, const float *latent, const float *sigma, const float *W,
                      int B, int F, int A, float clip, float *action, float *log_prob, float *noise,
                      float *var);

/* Backward of mimic_sde_sample, W = sigma z being a function of log_std
 * (the reparameterisation SB3's rsample uses). Given daction (B, A)
 * and dlog_prob (B) (either may be NULL): writes dmean (B, A), ADDS the
 * gradient w.r.t. log_std into dlog_std (F, A), and writes dlatent (B, F)
 * unless it is NULL (SB3's SAC learns the features: learn_features). */
void mimic_sde_backward(const float *mean, const float *latent, const float *sigma, const float *z,
                        const float *W, const float *action, const float *noise, const float *var,
                        int B, int F, int A, float clip, const float *daction,
                        const float *dlog_prob, float *dmean, float *dlog_std, float *dlatent);

#endif
