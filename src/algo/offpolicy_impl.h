/* The inside of the off-policy learners (mimic/offpolicy.h), shared by
 * offpolicy.c (create, the online and offline loops, files) and
 * offpolicy_update.c (one gradient step of SAC, TD3, TD3+BC or IQL).
 * Private to src/algo.
 *
 * Networks are nn's MLPs. The twin critics Q1 | Q2 (and IQL's value net V
 * after them) share one parameter allocation with one gradient mirror, one
 * target copy and one Adam, so the Polyak update and the optimizer step are
 * single loops. Critics read [obs | action] rows of the `sa` buffer.
 * Actions are in [-1, 1] everywhere inside; the policy file scales them. */
#ifndef MIMIC_ALGO_OFFPOLICY_IMPL_H
#define MIMIC_ALGO_OFFPOLICY_IMPL_H

#include <stdint.h>

#include "data/replay.h"
#include "mimic/offpolicy.h"
#include "mimic/rollout.h"
#include "nn/optim.h"

/* One minibatch and the scratch of an update, (B, ...) each. */
typedef struct op_work {
  float *obs, *act, *next_obs, *rew, *done; /* the batch: obs normalised, act in [-1, 1] */
  double *rew_d;                            /* rewards as sampled */
  uint8_t *done_u8;                         /* dones as sampled */
  uint32_t *rows;                           /* offline: sampled transition ids */
  float *sa, *dsa;                          /* (B, D + A) critic inputs and their gradient */
  float *eps, *eps2;                        /* (B, A) normal draws */
  float *a_pi, *a_next, *logp, *logp_next;  /* (B, A), (B, A), (B), (B) */
  float *q1, *q2, *target, *dq, *v, *dv;    /* (B) each */
  float *dact;                              /* (B, A) gradient w.r.t. the actor's action */
  float *dout;                              /* (B, 2A) gradient w.r.t. the actor's output */
} op_work;

struct mimic_offpolicy {
  mimic_offpolicy_config cfg;
  char *env_id, *env_opts; /* owned copies (cfg points at them) */
  int D, A, B;             /* obs dim, action dim (Discrete: 1, the id), batch */
  int lo, Bs;              /* data-parallel: this rank's rows lo..lo+Bs of each batch
                              (one process: 0, B) */
  float *reduce;           /* data-parallel: the all-reduce buffer (NULL: one process) */
  int *own;                /* sharded: the batch positions of this rank's Bs rows */
  int K;                   /* Discrete: the number of actions (0 otherwise) */
  bool discrete;           /* DQN, discrete CQL, discrete BC: the actor is D -> K */
  int32_t *act_ids;        /* Discrete: the batch's actions (B) */
  float *qbuf;             /* Discrete: (2, B, K) the online net's outputs at s', dLoss/dout */
  bool offline;
  float *act_low, *act_high; /* (A) the Box bounds */
  mimic_space act_space, obs_space;
  float *obs_bounds;
  /* networks */
  mimic_mlp actor, actor_targ;   /* SAC: D -> 2A (mean | log_std); others D -> A */
  float *log_std, *grad_log_std; /* IQL's state-independent log_std (A) */
  mimic_mlp q[2], q_targ[2], vnet;
  /* gSDE (SAC with use_sde): the actor (D -> ... -> F -> A, the mean) seen
   * also as a trunk (D -> ... -> F, its last layer linear) + ReLU + head
   * (F -> A) over the same parameters, so the noise's gradient reaches the
   * features; log_std (F, A) follows the actor's parameters (one Adam) */
  mimic_mlp sde_trunk, sde_head;
  int F;
  float *sde_log_std, *sde_grad_log_std;
  float *sde_buf;                           /* one allocation for everything below */
  float *sde_latent, *sde_dlatent, *sde_dx; /* (B, F) the features and two gradients */
  float *sde_noise, *sde_var;               /* (B, A) the last sample's, for its backward */
  float *sde_z, *sde_w, *sde_sigma;         /* (F, A) this update's draws, matrix, exp(log_std) */
  float *sde_explore;                       /* (F, A) the rollout's matrix (env steps) */
  float *c_params, *c_grads, *c_targ;       /* Q1 | Q2 (| V), one allocation each */
  size_t n_critic;                          /* floats in c_params */
  size_t n_q;                               /* floats of Q1 | Q2 (the targets' span) */
  float *a_params, *a_grads, *a_targ;       /* actor (| IQL log_std) */
  size_t n_actor;
  mimic_optim actor_opt, critic_opt, alpha_opt;
  float log_alpha, grad_log_alpha; /* SAC's and CQL's temperature */
  /* CQL: the Lagrangian weight of the penalty, and the sampled actions'
   * critic inputs, B * 3N rows ordered (state b, sample k) */
  mimic_optim cql_opt;
  float log_cql, grad_log_cql;
  float *big_sa, *big_lp, *big_dq, *big_q; /* (B3N, D + A), (B3N), (B3N), (2, B3N) */
  float *out_next;                         /* (B, 2A) the actor's output at s' */
  double target_entropy;
  /* observation standardisation (offline), applied before every network */
  float *obs_mean, *obs_scale; /* (D): (obs - mean) * scale; NULL: none */
  /* data */
  mimic_replay replay;           /* online */
  const mimic_transitions *data; /* offline */
  mimic_rollout roll;            /* online: one environment */
  mimic_rng rng;
  mimic_dataset *record;    /* online: finished training episodes go here (may be NULL) */
  mimic_episode_buf rec_ep; /* the training episode in progress */
  op_work w;
  float *step_act; /* (A) the action being taken, in [-1, 1] */
  long steps, updates;
  /* running sums for the log */
  double sum_critic, sum_actor, sum_value, sum_q;
  long n_critic_terms, n_actor_terms;
  double t0;
};

/* The running loss sums a data-parallel step shares along with its gradients. */
#define OP_N_SHARED 4

/* One gradient step of the configured algorithm on the batch in t->w
 * (obs, act, next_obs, rew, done filled); fails only when a
 * data-parallel collective does. */
mimic_status op_update(mimic_offpolicy *t);
/* The deterministic action in [-1, 1] of n normalised observations (n <= B)
 * into out (n, A). */
void op_actor_deterministic(mimic_offpolicy *t, const float *obs, int n, float *out);
/* gSDE: draws the rollout's exploration matrix from the current log_std. */
void op_sde_reset_explore(mimic_offpolicy *t);
/* gSDE: the sampled action in [-1, 1] of one normalised observation with
 * the rollout's matrix into out (A). */
void op_sde_act(mimic_offpolicy *t, const float *obs, float *out);
/* Discrete: the greedy action of one observation (argmax of the actor's outputs). */
int op_greedy(mimic_offpolicy *t, const float *obs);
/* Discrete: target <- tau * online + (1 - tau) * target (tau 1: a copy). */
void op_update_target(mimic_offpolicy *t);

#endif
