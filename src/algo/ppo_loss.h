/* PPO's math, as SB3 computes it: the time-limit bootstrap, generalised
 * advantage estimation (RolloutBuffer.compute_returns_and_advantage) and
 * the loss of one minibatch (PPO.train) with its scratch buffers. Internal
 * to mimic (not installed): the trainer (mimic/ppo.h) runs them; the
 * reference tests (testdata/nn/gae.json, ppo_loss.json) check them. */
#ifndef MIMIC_ALGO_PPO_LOSS_H
#define MIMIC_ALGO_PPO_LOSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/ppo.h"

/* ---- GAE (SB3 RolloutBuffer.compute_returns_and_advantage) -------------- */

/* Time-limit bootstrap of SB3's collect_rollouts, in place over n steps:
 * rewards[i] += gamma * terminal_values[i] where truncated[i] and not
 * terminated[i], in float32 (r + (float)gamma * tv). */
void mimic_gae_bootstrap(float *rewards, const float *terminal_values, const uint8_t *terminated,
                         const uint8_t *truncated, size_t n, double gamma);
/* Advantages and returns (T, N) of a rollout of T steps of N envs, all
 * row-major (step t, env n at t*N + n): rewards (already bootstrapped),
 * values V(obs_t), episode_starts (1 if obs_t began an episode), last_values
 * (N) = V(obs_T), last_dones (N). Pure float32 in the order
 *   delta = ((r + (g * nv) * nnt) - v);  A = delta + (gl * nnt) * A;  ret = A + v
 * with g = (float)gamma and gl = (float)(gamma * gae_lambda). */
void mimic_gae(const float *rewards, const float *values, const uint8_t *episode_starts,
               const float *last_values, const uint8_t *last_dones, int T, int N, double gamma,
               double gae_lambda, float *advantages, float *returns);

/* ---- the loss of one minibatch (SB3 PPO.train) -------------------------- */

/* One minibatch. obs are the actor's and critic's inputs (already
 * normalised); acts (categorical) or actions (gaussian, (B, act_dim)). */
typedef struct mimic_ppo_batch {
  int B;
  const float *obs;            /* (B, obs_dim) */
  const int32_t *acts;         /* (B) categorical */
  const float *actions;        /* (B, act_dim) gaussian */
  const float *old_log_prob;   /* (B) */
  const float *old_values;     /* (B) */
  const float *advantages;     /* (B) raw, as in the buffer */
  const float *returns;        /* (B) */
  const float *anchor_out;     /* (B, act_dim) the clone's logits/means, or NULL */
  const float *anchor_log_std; /* (act_dim) the clone's log_std (gaussian) */
  mimic_anchor_kind anchor_kind;
  double anchor_coef;
  /* Data-parallel: these B rows are this rank's part of a minibatch of
   * B_total rows spread over the ranks, so every mean divides by B_total
   * (0: B) and the summed gradients and results are the whole minibatch's;
   * adv_norm (or NULL) gives that minibatch's advantage mean and unbiased
   * std, which normalise_advantage then uses instead of these rows'. */
  int B_total;
  const double *adv_norm;
} mimic_ppo_batch;

typedef struct mimic_ppo_loss_config {
  double clip_range;    /* c */
  double clip_range_vf; /* <= 0: no value clipping */
  double ent_coef, vf_coef;
  bool normalize_advantage;
} mimic_ppo_loss_config;

/* What one minibatch logs (SB3's names). */
typedef struct mimic_ppo_loss_result {
  double policy_loss, value_loss, entropy_loss, loss;
  double clip_fraction, approx_kl;
  double anchor_loss; /* the anchor term before its coefficient (0 without one) */
} mimic_ppo_loss_result;

/* Scratch buffers of the loss, sized once for max_batch rows. After a call
 * they hold the minibatch's intermediate values (for tests and logging). */
typedef struct mimic_ppo_work {
  int max_batch, act_dim;
  float *mem;                       /* one allocation */
  float *logp;                      /* (B, act_dim) categorical log-softmax */
  float *log_prob, *entropy;        /* (B) */
  float *adv, *ratio, *values_pred; /* (B) normalised advantages, ratios, clipped values */
  float *dlogprob, *dent, *dvalues; /* (B) */
  float *dout;                      /* (B, act_dim) dLoss/d(actor output) */
} mimic_ppo_work;

/* Allocates the scratch of mimic_ppo_loss for model's head and max_batch. */
mimic_status mimic_ppo_work_create(mimic_ppo_work *w, const mimic_model *model, int max_batch);
/* Frees the scratch. */
void mimic_ppo_work_free(mimic_ppo_work *w);
/* PPO's loss on one minibatch: actor and critic forward on b->obs (no
 * further normalisation), the clipped surrogate, value and entropy terms
 * (plus the anchor term when b->anchor_out), and their gradient ADDED to
 * model->grads (zero them first; clip afterwards). The model needs a critic. */
mimic_status mimic_ppo_loss(mimic_model *model, const mimic_ppo_batch *b,
                            const mimic_ppo_loss_config *c, mimic_ppo_work *w,
                            mimic_ppo_loss_result *r);

#endif
