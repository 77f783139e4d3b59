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
 * (rewards, GAE, epochs). The two halves are separate so that work can go
 * between them (GAIL and AIRL train their discriminator on a rollout before
 * the generator learns from it); mimic_ppo_learn is the plain loop. A reward function
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

#include "mimic/comm.h"
#include "mimic/container.h"
#include "mimic/core.h"
#include "mimic/env.h"
#include "mimic/nn.h"
#include "mimic/reward.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the trainer ------------------------------------------------------------ */

/* How a refined policy is held near its clone. */
typedef enum mimic_anchor_kind {
  MIMIC_ANCHOR_NONE = 0,
  MIMIC_ANCHOR_KL = 1, /* coef * KL(clone || policy), per state */
  MIMIC_ANCHOR_BC = 2, /* coef * -log policy(clone's action), per state */
} mimic_anchor_kind;

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
  /* refinement: an anchor to a frozen clone (see mimic_ppo_create_refine) */
  mimic_anchor_kind anchor;
  double anchor_coef;      /* starting coefficient */
  long anchor_decay_steps; /* the coefficient falls linearly to 0 over this many env steps */
  /* data-parallel over comm's ranks (NULL: one process): rank r steps its
   * own n_envs environments, seeded as envs r*n_envs.. of one process with
   * size*n_envs; observation and reward statistics take every rank's
   * observations and returns;
   * each minibatch's gradient is averaged over the ranks (one all-reduce),
   * so a rollout is size*n_envs*n_steps steps and a minibatch size*batch_size
   * rows; timesteps and total_steps count every rank's steps. Episode
   * statistics in mimic_ppo_iter are this rank's. */
  mimic_comm *comm;
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

/* Rewards (reward function or environment), VecNormalize's reward scaling,
 * time-limit bootstrap, GAE, then n_epochs of minibatch updates; fills it. */
mimic_status mimic_ppo_update(mimic_ppo *p, mimic_ppo_iter *it);
/* Runs collect + update until total_steps env steps (cfg.total_steps when
 * 0) or until cb returns false; cb may be NULL. */
mimic_status mimic_ppo_learn(mimic_ppo *p, long total_steps, mimic_ppo_callback cb, void *user);
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
/* Starts checkpoint container c (kind "mimic.ppo-checkpoint") holding
 * everything the trainer needs to go on as if it had never stopped:
 * parameters, Adam's state, the generator, the running normalisers, the
 * environments mid-episode and the episode statistics. Call it between
 * iterations. The caller may add arrays (names not starting "ppo.") and
 * meta keys of its own, then saves c with mimic_container_save and frees
 * it; c borrows the trainer's memory until then. */
mimic_status mimic_ppo_checkpoint(mimic_ppo *p, mimic_container *c);
/* Restores checkpoint c into a trainer created with the same configuration
 * (a setting that differs is refused by name); a trainer whose restore
 * failed is only fit to be freed. */
mimic_status mimic_ppo_restore(mimic_ppo *p, const mimic_container *c);
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
