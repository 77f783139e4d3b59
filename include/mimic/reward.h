/* mimic/reward.h: rewards that replace an environment's own.
 *
 * A reward function maps a batch of transitions (s, a, s', terminated) to
 * numbers. PPO (mimic/ppo.h) asks one for the reward of every step it
 * collects instead of the environment's, which is how GAIL and AIRL train
 * their generators and how `mimic train ppo --reward net.mimic` trains on a
 * learned reward: the wrapper sits between the vector environment and the
 * learner, so it works for every environment without touching any.
 *
 * A reward network is a model file of kind "mimic.reward"
 * (docs/model-file.md): a model with a regression head of one output whose
 * input is what its metadata says:
 * "state" (s), "state-action" (s, a), "state-next-state" (s, s') or
 * "state-action-next-state" (s, a, s'), concatenated in that order, with a
 * Discrete action one-hot encoded (as `imitation`'s reward nets do). The
 * model's observation normalisation applies to the concatenated input, so a
 * file alone is enough to compute rewards. Metadata:
 *   {"reward_inputs": "state-action",
 *    "env_id": ..., "observation_space": ..., "action_space": ...,
 *    "reward_kind": "gail-logit" | "airl-g" | ..., ...}
 * Networks whose metadata asks for it ("output": "softplus") report
 * softplus(output) (GAIL's -log(1 - D)); the default is the raw output.
 *
 * Absorbing states (Kostrikov et al. 2019, "Discriminator-Actor-Critic"):
 * an adversarially learned reward is biased where episodes can end early
 * (a negative reward teaches the agent to die, a positive one to live). A
 * network with "absorbing": true reads one extra flag column after each
 * observation in its input (0 for real states; the absorbing state is all
 * zeros with flag 1), and as a reward function it adds "absorbing_value" =
 * gamma / (1 - gamma) * r(absorbing) to every terminated transition: the
 * discounted reward of staying in the absorbing state forever. */
#ifndef MIMIC_REWARD_H
#define MIMIC_REWARD_H

#include <stdbool.h>

#include "mimic/core.h"
#include "mimic/env.h"
#include "mimic/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* rewards (n) for transitions i = 0..n-1: obs and next_obs rows of obs_dim
 * floats (next_obs is the episode's last observation when it ended), act
 * rows of the action width (a Discrete action is one float), terminated
 * flags. Returns a status; the message says what failed. */
typedef mimic_status (*mimic_reward_fn)(void *user, const float *obs, const float *act,
                                        const float *next_obs, const bool *terminated, int n,
                                        double *rewards);

/* The kind of a reward network's file. */
#define MIMIC_KIND_REWARD "mimic.reward"

/* What a reward network reads. */
typedef enum mimic_reward_inputs {
  MIMIC_REWARD_STATE = 1,                   /* r(s) */
  MIMIC_REWARD_STATE_ACTION = 2,            /* r(s, a) */
  MIMIC_REWARD_STATE_NEXT_STATE = 3,        /* r(s, s') */
  MIMIC_REWARD_STATE_ACTION_NEXT_STATE = 4, /* r(s, a, s') */
} mimic_reward_inputs;

/* Returns "state", "state-action", ... (NULL if unknown). */
const char *mimic_reward_inputs_name(mimic_reward_inputs in);
/* Parses a name of mimic_reward_inputs_name; false if unknown. */
bool mimic_reward_inputs_parse(const char *name, mimic_reward_inputs *out);

/* What the network's output becomes. */
typedef enum mimic_reward_output {
  MIMIC_REWARD_RAW = 0,      /* the output itself */
  MIMIC_REWARD_SOFTPLUS = 1, /* softplus(output) = -log(1 - sigmoid(output)) (GAIL) */
} mimic_reward_output;

typedef struct mimic_reward_net {
  mimic_model model;          /* regression head, 1 output; model.cfg.obs_dim = in_dim */
  mimic_reward_inputs inputs; /* what it reads */
  mimic_reward_output output; /* how the output becomes a reward */
  int obs_dim;                /* floats per observation */
  int act_in;                 /* floats the action takes in the input (n for one-hot) */
  int act_width;              /* floats per action row (1 for Discrete) */
  int n_discrete;             /* Discrete(n) actions (one-hot), 0 for Box */
  bool absorbing;             /* a flag column follows each observation (see above) */
  double absorbing_value;     /* added to terminated transitions by mimic_reward_net_fn */
  int in_dim;                 /* obs_dim [+1] [+ act_in] [+ obs_dim [+1]] */
  int cap;                    /* rows in_buf holds */
  float *in_buf;              /* (cap, in_dim) assembled inputs */
} mimic_reward_net;

/* Creates an untrained reward network for observations of obs_dim floats
 * and actions in action_space (needed unless inputs ignore actions; may be
 * NULL then): an MLP in_dim -> hidden -> 1 with activation act,
 * initialised like torch's nn.Linear from rng; absorbing adds the flag
 * columns. */
mimic_status mimic_reward_net_create(mimic_reward_net *r, mimic_reward_inputs inputs, int obs_dim,
                                     const mimic_space *action_space, bool absorbing, int n_hidden,
                                     const int *hidden, mimic_activation act, mimic_rng *rng);
/* Frees a reward network (safe on a zeroed struct). */
void mimic_reward_net_free(mimic_reward_net *r);
/* Rewards (n) of n transitions: the outputs mapped by r->output. */
mimic_status mimic_reward_net_predict(mimic_reward_net *r, const float *obs, const float *act,
                                      const float *next_obs, int n, double *rewards);
/* A mimic_reward_fn over a mimic_reward_net (user = the network): its
 * rewards, plus absorbing_value on terminated transitions. */
mimic_status mimic_reward_net_fn(void *user, const float *obs, const float *act,
                                 const float *next_obs, const bool *terminated, int n,
                                 double *rewards);
/* Writes the network as a model file with its metadata (env_id may be
 * NULL; extra_json, an object or NULL, is merged in). */
mimic_status mimic_reward_net_save(mimic_reward_net *r, const char *path, const char *env_id,
                                   const mimic_space *obs_space, const mimic_space *action_space,
                                   const char *extra_json);
/* Loads a reward network written by mimic_reward_net_save (a file of kind
 * "mimic.reward", or one of the older binary layout whose metadata says
 * "format": "mimic-reward-1"). */
mimic_status mimic_reward_net_load(const char *path, mimic_reward_net *r);
/* Checks that a loaded reward network fits an environment's spaces. */
mimic_status mimic_reward_net_check_env(const mimic_reward_net *r, const mimic_env *env);

#ifdef __cplusplus
}
#endif
#endif
