/* mimic/ppo.h: proximal policy optimisation as Stable-Baselines3 does it.
 *
 * Clipped surrogate objective, generalised advantage estimation, a value
 * loss (optionally clipped), an entropy bonus, minibatch epochs over each
 * rollout, per-minibatch advantage normalisation, separate actor and
 * critic MLPs (SB3's net_arch=dict(pi=[64, 64], vf=[64, 64])) with
 * orthogonal init, one Adam (eps 1e-5) over actor, critic and log_std,
 * global gradient clipping (0.5), categorical or diagonal-Gaussian
 * policies, and N environments stepped side by side with SB3's auto-reset.
 * Observations (and optionally rewards) are normalised as VecNormalize does,
 * with running statistics that are saved in the policy file. Episodes cut by
 * a time limit bootstrap from the value of their final observation, as
 * SB3's collect_rollouts does.
 *
 * A run is a loop of collect (one rollout of n_steps x n_envs) and update
 * (rewards, GAE, epochs). The two halves are public so that GAIL and AIRL
 * can train their discriminator on a rollout before the generator learns
 * from it; mimic_ppo_learn is the plain loop. A reward function
 * (mimic/reward.h) may replace the environment's reward; an anchor (a
 * frozen copy of a cloned policy) adds a decaying KL or BC term that keeps
 * a refined policy near its clone at the start (`mimic refine`).
 *
 * Same configuration and seed, same thread count: same parameters bit for
 * bit. Nothing allocates after mimic_ppo_create. */
#ifndef MIMIC_PPO_H
#define MIMIC_PPO_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/core.h"
#include "mimic/env.h"
#include "mimic/nn.h"
#include "mimic/reward.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- GAE (SB3 RolloutBuffer.compute_returns_and_advantage) --------------- */

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

/* ---- the loss of one minibatch (SB3 PPO.train) ---------------------------- */

/* How a refined policy is held near its clone. */
typedef enum mimic_anchor_kind {
  MIMIC_ANCHOR_NONE = 0,
  MIMIC_ANCHOR_KL = 1, /* coef * KL(clone || policy), per state */
  MIMIC_ANCHOR_BC = 2, /* coef * -log policy(clone's action), per state */
} mimic_anchor_kind;

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

/* ---- the trainer ------------------------------------------------------------ */

typedef struct mimic_ppo_config {
  const char *env_id, *env_opts;
  int n_envs;               /* environments side by side (default 8) */
  int n_steps;              /* steps per env per rollout (SB3 default 2048) */
  int batch_size;           /* minibatch size (64) */
  int n_epochs;             /* passes over each rollout (10) */
  double learning_rate;     /* Adam lr (3e-4) */
  bool lr_linear;           /* decay lr linearly to 0 over total_steps (rl-zoo's lin_) */
  double gamma;             /* 0.99 */
  double gae_lambda;        /* 0.95 */
  double clip_range;        /* 0.2 */
  bool clip_linear;         /* decay the clip range linearly too */
  double clip_range_vf;     /* <= 0: none (default) */
  bool normalize_advantage; /* true */
  double ent_coef;          /* 0 */
  double vf_coef;           /* 0.5 */
  double max_grad_norm;     /* 0.5 (<= 0: no clipping) */
  double target_kl;   /* stop an update's epochs when approx_kl > 1.5 * target_kl (<= 0: off) */
  double adam_eps;    /* 1e-5 (SB3's policies) */
  bool norm_obs;      /* VecNormalize observations (default true) */
  bool norm_reward;   /* VecNormalize rewards by the discounted return's std (default false) */
  double clip_obs;    /* 10 */
  double clip_reward; /* 10 */
  int n_hidden;       /* actor hidden layers: default [64, 64] */
  int hidden[MIMIC_MLP_MAX_LAYERS - 1];
  int vf_n_hidden; /* critic hidden layers: default [64, 64] */
  int vf_hidden[MIMIC_MLP_MAX_LAYERS - 1];
  mimic_activation activation; /* tanh */
  double log_std_init;         /* gaussian (0) */
  bool ortho_init;             /* SB3's orthogonal init (true); false = torch's default */
  long total_steps;            /* env steps of a run (schedules; learn's budget) */
  uint64_t seed;               /* envs reset with seed + i; the policy's rng from seed */
  /* refinement: an anchor to a frozen clone (see mimic_ppo_set_anchor) */
  mimic_anchor_kind anchor;
  double anchor_coef;      /* starting coefficient */
  long anchor_decay_steps; /* the coefficient falls linearly to 0 over this many env steps */
} mimic_ppo_config;

/* SB3's PPO defaults with 8 environments, VecNormalize on observations,
 * 100000 steps. */
mimic_ppo_config mimic_ppo_defaults(void);
/* Applies tuned hyperparameters for env_id (from rl-zoo, adapted; see
 * docs/rl.md): sets the rollout, optimisation, schedule, normalisation and
 * step-budget fields, leaving the rest; returns false (cfg unchanged) when
 * there are none. */
bool mimic_ppo_preset(const char *env_id, mimic_ppo_config *cfg);
/* Checks a configuration; fails with a sentence naming the bad field. */
mimic_status mimic_ppo_check(const mimic_ppo_config *cfg);

typedef struct mimic_ppo mimic_ppo;

/* One iteration (rollout + update), SB3's logged values. */
typedef struct mimic_ppo_iter {
  long iteration;        /* 1-based */
  long timesteps;        /* env steps so far */
  long episodes;         /* finished episodes so far */
  double ep_return_mean; /* environment return, last 100 episodes (NAN before the first) */
  double ep_len_mean;
  double ep_reward_mean; /* the reward trained on (learned reward), last 100 episodes */
  double policy_loss, value_loss, entropy_loss, anchor_loss; /* means over the update */
  double approx_kl, clip_fraction, explained_variance;
  double learning_rate, clip_range, anchor_coef;
  double std;         /* gaussian: mean exp(log_std); NAN for categorical */
  double eval_return; /* deterministic evaluation, filled in by callers (NAN if none) */
  int epochs;         /* epochs done (fewer with target_kl) */
  double seconds;     /* since create */
  double fps;         /* env steps per second overall */
} mimic_ppo_iter;

/* Returns false to stop learning after this iteration. */
typedef bool (*mimic_ppo_callback)(mimic_ppo *ppo, const mimic_ppo_iter *it, void *user);

/* Creates the trainer: the vector environment, the model (a fresh
 * actor-critic, or a copy of init: its actor and log_std are kept, its
 * critic too when it has one of the configured shape, else a new critic is
 * made; its observation statistics, if any, are kept fixed), the optimizer
 * and every buffer. */
mimic_status mimic_ppo_create(const mimic_ppo_config *cfg, const mimic_model *init,
                              mimic_ppo **out);
/* Frees the trainer (NULL is fine). */
void mimic_ppo_free(mimic_ppo *p);
/* Replaces the environment reward by fn (NULL restores it). */
void mimic_ppo_set_reward(mimic_ppo *p, mimic_reward_fn fn, void *user);
/* Adds an anchor to clone (a categorical or gaussian model with the same
 * actor input and output; copied): cfg's anchor, anchor_coef and
 * anchor_decay_steps apply. The clone must normalise observations as the
 * trainer does (mimic_ppo_create with init = clone ensures it). */
mimic_status mimic_ppo_set_anchor(mimic_ppo *p, const mimic_model *clone);

/* Clone, then refine: a trainer that starts from clone (its actor,
 * log_std and observation statistics; a new critic) and, when cfg->anchor
 * is set, holds the policy near a frozen copy of the clone with a
 * coefficient that decays to 0 over cfg->anchor_decay_steps. */
mimic_status mimic_ppo_create_refine(const mimic_ppo_config *cfg, const mimic_model *clone,
                                     mimic_ppo **out);
/* Refinement defaults on top of cfg: a KL anchor with coefficient 1 that
 * decays over the first half of total_steps. */
void mimic_ppo_refine_defaults(mimic_ppo_config *cfg);

/* Collects one rollout (n_steps x n_envs transitions) with the current
 * policy; environment rewards are kept, not yet processed. */
mimic_status mimic_ppo_collect(mimic_ppo *p);

/* The raw transitions of the last rollout, for discriminators: row
 * t*n_envs + i is step t of env i. */
typedef struct mimic_ppo_rollout {
  int n; /* n_steps * n_envs rows */
  int obs_dim, act_width;
  const float *obs;          /* (n, obs_dim) raw observations */
  const float *next_obs;     /* (n, obs_dim) raw next observations (final ones at episode ends) */
  const float *actions;      /* (n, act_width) as the environment received them (clipped) */
  const bool *terminated;    /* (n) */
  const bool *truncated;     /* (n) */
  const double *env_rewards; /* (n) */
} mimic_ppo_rollout;

/* Views the last rollout. */
mimic_ppo_rollout mimic_ppo_last_rollout(const mimic_ppo *p);
/* Rewards (reward function or environment), VecNormalize's reward scaling,
 * time-limit bootstrap, GAE, then n_epochs of minibatch updates; fills it. */
mimic_status mimic_ppo_update(mimic_ppo *p, mimic_ppo_iter *it);
/* Runs collect + update until total_steps env steps (cfg.total_steps when
 * 0) or until cb returns false; cb may be NULL. */
mimic_status mimic_ppo_learn(mimic_ppo *p, long total_steps, mimic_ppo_callback cb, void *user);

/* log pi(a|s) (n) of raw observations and environment actions under the
 * current policy (for AIRL's discriminator). */
mimic_status mimic_ppo_log_prob(mimic_ppo *p, const float *obs, const float *actions, int n,
                                float *out);
/* The policy model with the current observation statistics written into
 * it (owned by the trainer). */
mimic_model *mimic_ppo_model(mimic_ppo *p);
/* A deep copy of the policy model (free with mimic_model_free). */
mimic_status mimic_ppo_copy_model(mimic_ppo *p, mimic_model *out);
/* The configuration in use. */
const mimic_ppo_config *mimic_ppo_get_config(const mimic_ppo *p);
/* Environment steps taken so far. */
long mimic_ppo_timesteps(const mimic_ppo *p);
/* Writes the policy as a policy file (env id, spaces and the configuration
 * in its metadata, merged with extra_json, an object or NULL). */
mimic_status mimic_ppo_save(mimic_ppo *p, const char *path, const char *extra_json);
/* Mean and std of the return of `episodes` deterministic episodes from
 * reset(seed + k), k = 0.. (mimic_evaluate on a copy of the policy). */
mimic_status mimic_ppo_evaluate(mimic_ppo *p, int episodes, uint64_t seed, double *mean,
                                double *std);

/* ---- logs -------------------------------------------------------------------- */

/* Writes iterations as CSV (or JSON Lines for *.jsonl), atomically. */
mimic_status mimic_ppo_write_log(const char *path, const mimic_ppo_iter *rows, int n);
/* Draws the return against env steps (.png or .svg); reference may be NAN. */
mimic_status mimic_ppo_plot(const char *path, const char *title, const mimic_ppo_iter *rows, int n,
                            double reference, const char *reference_name);

#ifdef __cplusplus
}
#endif
#endif
