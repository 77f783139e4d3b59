/* mimic/offpolicy.h: actor-critic learning from a replay buffer (SAC, TD3)
 * and from a fixed dataset (offline RL: TD3+BC, IQL).
 *
 * Online, SAC (Haarnoja et al. 2018, automatic temperature) and TD3
 * (Fujimoto et al. 2018) follow Stable-Baselines3: one environment, a
 * replay buffer of 1e6 transitions, random actions for the first
 * learning_starts steps, then one gradient step per environment step on a
 * minibatch of 256 drawn with replacement, Polyak-averaged target critics
 * (tau 0.005), time limits bootstrapped (done = terminated). Actions are
 * learned in [-1, 1] and scaled to the Box's bounds (the actor ends in
 * tanh).
 *
 * Offline, the same networks learn from a dataset's transitions without
 * touching the environment, with d3rlpy's defaults: TD3+BC (Fujimoto & Gu
 * 2021: TD3 whose actor loss adds a behaviour-cloning term, observations
 * standardised by the dataset's statistics), IQL (Kostrikov et al. 2021:
 * an expectile value function, a twin Q trained against it, an
 * advantage-weighted Gaussian actor) and CQL (Kumar et al. 2020: SAC whose
 * critics pay a Lagrangian-weighted logsumexp penalty over sampled
 * actions). total_steps counts gradient steps.
 *
 * The result is a policy file (mimic/nn.h, kind "mimic.policy"): the
 * deterministic actor (tanh of the mean, scaled to the action bounds) that
 * `mimic eval` and mimic_policy_load run like any other. Same
 * configuration, data and seed, one BLAS thread: the same file bit for
 * bit. Nothing allocates after create. See docs/offline-rl.md. */
#ifndef MIMIC_OFFPOLICY_H
#define MIMIC_OFFPOLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/comm.h"
#include "mimic/core.h"
#include "mimic/data.h"
#include "mimic/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mimic_offpolicy_algo {
  MIMIC_OFFPOLICY_SAC = 0,          /* online */
  MIMIC_OFFPOLICY_TD3 = 1,          /* online */
  MIMIC_OFFPOLICY_TD3BC = 2,        /* offline */
  MIMIC_OFFPOLICY_IQL = 3,          /* offline */
  MIMIC_OFFPOLICY_CQL = 4,          /* offline (continuous, SAC's actor) */
  MIMIC_OFFPOLICY_DQN = 5,          /* online, Discrete actions (SB3's DQN) */
  MIMIC_OFFPOLICY_DISCRETE_CQL = 6, /* offline, Discrete (d3rlpy's DiscreteCQL: double DQN
                                       + alpha CQL(H)) */
  MIMIC_OFFPOLICY_DISCRETE_BC = 7,  /* offline, Discrete (d3rlpy's DiscreteBC) */
} mimic_offpolicy_algo;

/* Returns "sac", "td3", "td3bc", "iql", "cql", "dqn", "discrete-cql",
 * "discrete-bc" (NULL if unknown). */
const char *mimic_offpolicy_algo_name(mimic_offpolicy_algo algo);
/* Finds an algorithm by name; false if there is none. */
bool mimic_offpolicy_algo_parse(const char *name, mimic_offpolicy_algo *out);
/* True for the algorithms that learn from a dataset. */
bool mimic_offpolicy_is_offline(mimic_offpolicy_algo algo);
/* True for the algorithms of Discrete action spaces (DQN, discrete CQL and BC). */
bool mimic_offpolicy_is_discrete(mimic_offpolicy_algo algo);

typedef struct mimic_offpolicy_config {
  mimic_offpolicy_algo algo;
  const char *env_id, *env_opts; /* online: where to learn; offline: where to evaluate */
  long total_steps;              /* online: environment steps; offline: gradient steps */
  long buffer_size;              /* replay capacity (1e6; online only) */
  long learning_starts;          /* random-action steps before learning (100; online only) */
  int batch_size;                /* 256 */
  double actor_lr;               /* SAC 3e-4, TD3 1e-3 (SB3); TD3+BC, IQL 3e-4 (d3rlpy) */
  double critic_lr;              /* the same */
  double gamma;                  /* 0.99 */
  double tau;                    /* 0.005 */
  int gradient_steps;            /* per environment step (1; online only) */
  int n_hidden;                  /* hidden layers of actor and critics: SAC, TD3+BC, IQL
                                    [256, 256]; TD3 [400, 300]; ReLU */
  int hidden[MIMIC_MLP_MAX_LAYERS - 1];
  /* SAC */
  bool ent_auto;         /* learn the temperature (true) */
  double ent_coef;       /* its initial (or fixed) value (1.0) */
  double target_entropy; /* NAN: -action_dim */
  /* SAC with gSDE, generalized state-dependent exploration (Raffin et al.
   * 2021; SB3's use_sde): the noise is the actor's last hidden features
   * times a matrix W ~ N(0, exp(log_std)^2) (features x actions, log_std
   * learned), W drawn at the start of every rollout of train_freq steps
   * (and every sde_sample_freq steps within one), so the exploration is
   * smooth along an episode; the policy file still acts with the mean */
  bool use_sde;            /* (false) */
  int sde_sample_freq;     /* steps between draws within a rollout (-1: only at its start) */
  double log_std_init;     /* log_std's initial value (-3, SB3's SAC) */
  double clip_mean;        /* the mean is clipped to [-clip_mean, clip_mean] before the squash
                              (2, SB3's; 0: no clip) */
  bool sde_learn_features; /* the noise's gradient reaches the actor's hidden layers (true:
                              SB3's SAC passes learn_features=True) */
  /* TD3, TD3+BC */
  int policy_delay;         /* actor and target updates every this many steps (2) */
  double target_noise;      /* target policy smoothing std (0.2) */
  double target_noise_clip; /* (0.5) */
  double action_noise;      /* TD3's Gaussian exploration std (0.1, rl-zoo's; SB3 has none) */
  double alpha;             /* TD3+BC's Q weight (2.5) */
  bool normalize_obs;       /* TD3+BC, IQL: standardise observations by the dataset's
                               mean and std + 1e-3 (true for TD3+BC, false for IQL) */
  /* IQL */
  double expectile;  /* 0.7 */
  double beta;       /* inverse temperature of the advantage weights (3.0) */
  double max_weight; /* 100 */
  /* CQL */
  double conservative_weight; /* 5.0 */
  int n_action_samples;       /* per state, of each kind: policy at s, at s', uniform (10) */
  double alpha_threshold;     /* the Lagrangian's target gap (10.0; < 0: alpha stays fixed) */
  double cql_alpha;           /* its initial weight (1.0) */
  double alpha_lr;            /* its learning rate (1e-4) */
  double temp_lr;             /* the temperature's learning rate (1e-4) */
  /* DQN, discrete CQL (whose alpha is cql_alpha, fixed), discrete BC. The
   * Q-network (or BC's logits) is the "actor": D -> K, Huber TD loss, a
   * target copied with weight tau (1: a hard copy) every
   * target_update_interval steps (DQN: environment steps) */
  int train_freq;                 /* online: gradient_steps updates every train_freq env steps
                                     (DQN 4, SAC and TD3 1) */
  long target_update_interval;    /* DQN 10000 (SB3), discrete CQL 8000 (d3rlpy) */
  double exploration_fraction;    /* DQN: epsilon decays over this fraction of the run (0.1) */
  double exploration_initial_eps; /* (1.0) */
  double exploration_final_eps;   /* (0.05) */
  double max_grad_norm;           /* DQN 10 (SB3); 0: no clipping */
  double adam_eps;                /* Adam's epsilon (1e-8; discrete CQL 1e-2 / 32, d3rlpy's) */
  bool double_q;                  /* the target's action from the online network (discrete CQL) */
  double logit_penalty;           /* discrete BC's beta: weight of mean(logits^2) (0.5) */
  uint64_t seed;
  /* TD3+BC, IQL: data-parallel over these ranks (NULL: one process). Every
   * rank draws the same global batch and computes on its slice; one
   * all-reduce per network step sums the gradients (docs/cluster.md). */
  mimic_comm *comm;
  /* Sharded (with comm): the data given are this rank's transitions,
   * [shard_first, shard_first + n) of the whole dataset's shard_total
   * (mimic_dataset_load_shard). Every rank draws the same global batch
   * over all shard_total and computes on the rows it holds. 0: every rank
   * holds the whole dataset. */
  uint64_t shard_first, shard_total;
} mimic_offpolicy_config;

/* The defaults of algo (SB3's for SAC, TD3 and DQN, d3rlpy's for the
 * offline ones) with 100000 steps (offline: 100000 gradient steps), seed 0.
 * DQN: lr 1e-4, batch 32, (64, 64), buffer 1e6, learning_starts 100,
 * train_freq 4, target every 10000 steps, epsilon 1 -> 0.05 over 10%, clip
 * 10. Discrete CQL: lr 6.25e-5, Adam eps 1e-2/32, batch 32, (256, 256),
 * target every 8000 steps, alpha 1, double DQN. Discrete BC: lr 1e-3,
 * batch 100, (256, 256), beta 0.5. */
mimic_offpolicy_config mimic_offpolicy_defaults(mimic_offpolicy_algo algo);
/* Checks a configuration; fails with a sentence naming the bad field. */
mimic_status mimic_offpolicy_check(const mimic_offpolicy_config *cfg);

typedef struct mimic_offpolicy mimic_offpolicy;

/* What a learner reports every log interval. */
typedef struct mimic_offpolicy_log {
  long step;                      /* environment steps (online) or gradient steps (offline) */
  long updates;                   /* gradient steps so far */
  long episodes;                  /* finished training episodes (online) */
  double ep_return_mean;          /* training return, last 100 episodes (NAN: none, or offline) */
  double critic_loss, actor_loss; /* means since the last report (NAN: none yet) */
  double value_loss;              /* IQL's expectile loss, CQL's penalty (NAN otherwise) */
  double ent_coef;                /* SAC's and CQL's temperature (NAN otherwise) */
  double q_mean;                  /* mean Q(s, a) of the data's actions */
  double eval_return;             /* filled in by callers (NAN if none) */
  double seconds;
} mimic_offpolicy_log;

/* Returns false to stop learning. */
typedef bool (*mimic_offpolicy_callback)(mimic_offpolicy *t, const mimic_offpolicy_log *row,
                                         void *user);

/* Creates a learner. Online algorithms make the environment and their
 * replay buffer (data must be NULL); offline ones learn from data's
 * transitions (kept by pointer: it must outlive the learner), whose spaces
 * must match the environment's (a Box action space with finite bounds). */
mimic_status mimic_offpolicy_create(const mimic_offpolicy_config *cfg,
                                    const mimic_transitions *data, mimic_offpolicy **out);
/* Frees the learner (NULL is fine). */
void mimic_offpolicy_free(mimic_offpolicy *t);
/* Learns for steps more steps (0: up to cfg.total_steps), calling cb (may
 * be NULL) every log_every steps and at the end. */
mimic_status mimic_offpolicy_learn(mimic_offpolicy *t, long steps, long log_every,
                                   mimic_offpolicy_callback cb, void *user);
/* Online: appends every training episode that ends from now on to ds (an
 * empty dataset is initialised with the environment's spaces), in the
 * environment's action units; ds must outlive the learning. The episodes
 * of a whole run are its replay buffer (D4RL's "-replay" datasets). */
mimic_status mimic_offpolicy_record(mimic_offpolicy *t, mimic_dataset *ds);
/* Writes everything a run needs to continue (networks, targets, optimizer
 * moments, temperatures, generator, step counts, the settings; online also
 * the replay buffer and the environment mid-episode) to path atomically, a
 * container of kind "mimic.offpolicy-checkpoint". Refused while recording
 * into a dataset (mimic_offpolicy_record). Data-parallel, every rank calls
 * it: they are checked to hold the same parameters and rank 0 writes
 * (every rank restores the same file). */
mimic_status mimic_offpolicy_save_checkpoint(mimic_offpolicy *t, const char *path);
/* Data-parallel: checks every rank holds the same actor and critic
 * parameters (fails naming the first rank that differs); one process: OK. */
mimic_status mimic_offpolicy_check_same(mimic_offpolicy *t);
/* Restores a checkpoint into a learner made with the same configuration
 * and data; the run then continues bit for bit as if it had not stopped.
 * A file of another shape or settings is refused naming the field; t is
 * untouched on failure. */
mimic_status mimic_offpolicy_load_checkpoint(mimic_offpolicy *t, const char *path);
/* Steps taken so far (environment steps online, gradient steps offline). */
long mimic_offpolicy_steps(const mimic_offpolicy *t);
/* The configuration in use. */
const mimic_offpolicy_config *mimic_offpolicy_get_config(const mimic_offpolicy *t);
/* The deterministic actor as a model (a copy; free with mimic_model_free). */
mimic_status mimic_offpolicy_actor_model(mimic_offpolicy *t, mimic_model *out);
/* Writes the deterministic actor as a policy file (env id, spaces, the
 * algorithm and its configuration in the metadata, merged with extra_json,
 * an object or NULL). */
mimic_status mimic_offpolicy_save(mimic_offpolicy *t, const char *path, const char *extra_json);
/* Mean and std of the return of `episodes` deterministic episodes from
 * reset(seed + k) (mimic_evaluate on a copy of the actor). */
mimic_status mimic_offpolicy_evaluate(mimic_offpolicy *t, int episodes, uint64_t seed, double *mean,
                                      double *std);

/* ---- datasets of known quality (D4RL's recipe) ------------------------------ */

typedef enum mimic_data_quality {
  MIMIC_QUALITY_RANDOM = 0,        /* uniformly random actions */
  MIMIC_QUALITY_MEDIUM = 1,        /* a SAC policy stopped at about a third of the expert */
  MIMIC_QUALITY_EXPERT = 2,        /* the environment's built-in expert */
  MIMIC_QUALITY_MEDIUM_REPLAY = 3, /* every episode of the medium policy's training run */
  MIMIC_QUALITY_MEDIUM_EXPERT = 4, /* half medium, then half expert */
} mimic_data_quality;

/* Returns "random", "medium", "expert", "medium-replay", "medium-expert". */
const char *mimic_data_quality_name(mimic_data_quality q);
/* Finds a kind by name; false if there is none. */
bool mimic_data_quality_parse(const char *name, mimic_data_quality *out);

typedef struct mimic_generate_config {
  const char *env_id, *env_opts;
  mimic_data_quality kind;
  long transitions;           /* steps in the dataset (medium-replay: the whole run instead) */
  double medium_score;        /* the medium policy is the first SAC snapshot whose normalised
                                 score reaches this (1/3) */
  long eval_every;            /* SAC steps between snapshots (200) */
  int eval_episodes;          /* episodes per snapshot evaluation (10, from seed 1000) */
  mimic_offpolicy_config sac; /* the medium policy's trainer (SAC's defaults; total_steps is
                                 the most it may take) */
  mimic_offpolicy_config dqn; /* the same for Discrete actions: DQN with rl-zoo's CartPole
                                 settings (lr 2.3e-3, batch 64, (256, 256), learning_starts
                                 1000, train_freq 256 x 128 updates, target every 10 steps,
                                 epsilon to 0.04 over 16%), 50000 steps at most */
  double expert_noise;        /* Box actions: the expert's recorded actions get Gaussian noise of
                                 this std in half-ranges (mimic_collect_config.action_noise), a
                                 stochastic expert as D4RL's sampled SAC experts are (0) */
  uint64_t seed;              /* episodes are recorded from reset(seed + k) */
  bool progress;
} mimic_generate_config;

/* SAC's defaults, 1/3, every 200 steps over 10 episodes, 100000 steps at
 * most; on MountainCarContinuous-v0 rl-zoo's SAC with gSDE (use_sde,
 * log_std_init -3.67, (64, 64), batch 512, fixed ent_coef 0.1, train_freq
 * and gradient_steps 32, gamma 0.9999, tau 0.01, buffer 50000,
 * learning_starts 0, 50000 steps at most). */
mimic_generate_config mimic_generate_defaults(const char *env_id, mimic_data_quality kind,
                                              long transitions);

typedef struct mimic_generate_result {
  double random_return, expert_return; /* the references: normalised 0 and 1 (100 episodes
                                          from seed 1000, as mimic eval scores) */
  double medium_return, medium_score;  /* the medium policy on those 100 episodes (NAN: unused) */
  long medium_steps;                   /* SAC steps it trained (0: unused) */
  double data_return;                  /* mean return of the dataset's finished episodes */
} mimic_generate_result;

/* Makes a dataset of the configured kind into ds (zeroed by the caller;
 * free it with mimic_dataset_free), its metadata filled in Minari's
 * fields: ref_min_score and ref_max_score are the random and expert
 * returns, and "kind" and "policies" (each policy's return, normalised
 * score and training steps) join them. */
mimic_status mimic_generate_dataset(const mimic_generate_config *cfg, mimic_dataset *ds,
                                    mimic_generate_result *res);

#ifdef __cplusplus
}
#endif
#endif
