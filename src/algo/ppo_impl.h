/* The inside of the PPO trainer, shared by ppo.c (create, collect),
 * ppo_update.c (rewards, GAE, epochs) and ppo_util.c (config, files), and
 * what GAIL and AIRL (adversarial.c) and refinement reach for in a
 * trainer: the last rollout, log-probabilities and the anchor. Private to
 * src/algo (not installed).
 *
 * Buffers are allocated once in mimic_ppo_create. Rollout rows are
 * t * N + i (step t, env i), SB3's (buffer_size, n_envs) layout. */
#ifndef MIMIC_ALGO_PPO_IMPL_H
#define MIMIC_ALGO_PPO_IMPL_H

#include "algo/ppo_loss.h"
#include "algo/rl_running.h"
#include "mimic/ppo.h"
#include "mimic/rollout.h"
#include "nn/optim.h"

/* ---- for GAIL, AIRL and refinement ------------------------------------- */

/* Adds an anchor to clone (a categorical or gaussian model with the same
 * actor input and output; copied): cfg's anchor, anchor_coef and
 * anchor_decay_steps apply. The clone must normalise observations as the
 * trainer does (mimic_ppo_create with init = clone ensures it). */
mimic_status mimic_ppo_set_anchor(mimic_ppo *p, const mimic_model *clone);

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

/* log pi(a|s) (n) of raw observations and environment actions under the
 * current policy (for AIRL's discriminator). */
mimic_status mimic_ppo_log_prob(mimic_ppo *p, const float *obs, const float *actions, int n,
                                float *out);

#define PPO_RING MIMIC_EPISODE_RECENT /* SB3's ep_info_buffer */
#define PPO_SHARED 6                  /* the losses averaged with the gradient */

struct mimic_ppo {
  mimic_ppo_config cfg;
  char *env_id, *env_opts; /* owned copies (cfg points at them) */
  mimic_rollout roll;      /* the N environments and their episode log */
  int N, T, D, K, aw;      /* envs, steps, obs dim, actor outputs, env action width */
  bool discrete;
  mimic_space act_space; /* bounds point into act_bounds */
  mimic_space obs_space; /* bounds point into obs_bounds */
  float *act_bounds, *obs_bounds;
  mimic_model model;
  mimic_optim opt;
  mimic_ppo_work work;
  mimic_rng rng;
  /* VecNormalize */
  rl_running obs_rms, ret_rms;
  bool obs_frozen;
  float *norm_mean, *norm_var; /* (D) float copies for the model */
  double *ret_acc;             /* (N) discounted returns for reward scaling */
  /* the state between steps */
  bool started;
  float *cur_raw, *cur_norm; /* (N, D) */
  uint8_t *last_starts;      /* (N) */
  /* rollout buffer, n = T * N rows */
  int n;
  float *b_obs, *b_raw, *b_next; /* (n, D) normalised obs, raw obs, raw next obs */
  float *b_env_act;              /* (n, aw) */
  int32_t *b_acts;               /* (n) categorical */
  float *b_actions;              /* (n, K) gaussian, unclipped */
  float *b_values, *b_logp, *b_rew, *b_tv, *b_adv, *b_ret; /* (n) */
  double *b_env_rew, *b_train_rew;                         /* (n) */
  bool *b_term, *b_trunc;                                  /* (n) */
  uint8_t *b_starts;                                       /* (n) */
  float *last_values;                                      /* (N) */
  uint8_t *last_dones;                                     /* (N) */
  bool rollout_ready;
  /* step scratch; s_env_act .. s_trunc are the rollout's own rows */
  float *s_actions, *s_tmp;            /* (N,K) (N,D) */
  float *s_env_act, *s_next, *s_final; /* (N,aw) (N,D) (N,D) */
  double *s_rew;                       /* (N) */
  bool *s_term, *s_trunc;              /* (N) */
  int32_t *s_acts;
  int *s_rows; /* (N) */
  /* minibatch scratch (batch_size rows) */
  int mb;
  float *m_obs, *m_actions, *m_olp, *m_ov, *m_adv, *m_ret;
  int32_t *m_acts;
  uint32_t *perm; /* (n) */
  /* episodes: the environment's in roll.log; the trained-on reward's here */
  double *ep_train; /* (N) running returns of the training reward */
  double ring_train[PPO_RING];
  int ring_train_n, ring_train_pos;
  long timesteps, iteration;
  double t0;
  /* data-parallel (cfg.comm of several ranks) */
  uint64_t env_seed; /* this rank's first environment's seed */
  float *all_obs;    /* (size*N, D) every rank's new observations, for the statistics */
  double *all_ret;   /* (size*N) every rank's discounted returns, for the reward statistics */
  float *reduce;     /* (n_params + PPO_SHARED) the all-reduced gradient and losses */
  uint32_t *gperm;   /* (size*n) the permutation of the global buffer */
  uint32_t *gidx;    /* (mb) this rank's rows of a global minibatch */
  /* reward replacement */
  mimic_reward_fn reward_fn;
  void *reward_user;
  /* anchor to a clone */
  bool has_anchor;
  mimic_mlp anchor;
  float *anchor_log_std; /* (K) */
  /* what a checkpoint borrows until it is saved (ppo_ckpt.c) */
  int64_t ckpt_counts[6];
  double *ckpt_rms;
};

/* Adds the trainer's state to checkpoint c (meta "ppo", arrays "ppo.*"),
 * between iterations; c borrows the trainer's memory until it is saved. */
mimic_status ppo_ckpt_add(mimic_ppo *p, mimic_container *c);
/* Restores what ppo_ckpt_add wrote, after checking meta "ppo" against the
 * trainer's configuration. */
mimic_status ppo_ckpt_load(mimic_ppo *p, const mimic_container *c);
/* Fails naming the first setting of want (a JSON object, released) that
 * differs from c's meta object key. */
mimic_status ckpt_same_settings(const mimic_container *c, const char *key, json_t *want);

/* ---- data-parallel PPO as one run (ppo_dist.c) ------------------------ */

/* Allocates the collectives' buffers and checks the ranks' initial parameters agree. */
mimic_status ppo_dist_start(mimic_ppo *p);
/* Draws (and drops) the action noise of `envs` other ranks' environments. */
void ppo_dist_skip_draws(mimic_ppo *p, int envs);
/* This rank's local rows of the global minibatch rows global[Bg], in
 * minibatch order, into local; returns how many. */
int ppo_dist_rows(const mimic_ppo *p, const uint32_t *global, int Bg, uint32_t *local);
/* The global minibatch's advantage mean and unbiased std (out[2]) from this
 * rank's B of its Bg advantages. */
mimic_status ppo_dist_adv_norm(mimic_ppo *p, const float *adv, int B, int Bg, double out[2]);
/* Sums the gradient and losses of every rank's rows of the minibatch. */
mimic_status ppo_dist_sum(mimic_ppo *p, mimic_ppo_loss_result *r);

/* Writes the running observation statistics into the model's normaliser. */
mimic_status ppo_sync_norm(mimic_ppo *p);
/* Normalises n raw rows into dst with the model's normaliser. */
mimic_status ppo_normalize(mimic_ppo *p, const float *raw, int n, float *dst);

#endif
