/* mimic/policy.h: one interface for everything that acts, and for learners.
 *
 * A policy takes a batch of states and answers an action and a confidence
 * for each: a trained network, an environment's built-in expert, a random
 * policy, an external program or a person at the terminal (an expert acting
 * as a policy). Learners, experts and evaluators all speak
 * this interface, so any of them can stand in for another.
 *
 * States come as rows of floats (environments: observations) or as items
 * of a domain's own type that only its policies read (a text document, an
 * agent state). A *learner* is a policy that can also fit on labeled
 * examples (warm-starting when it can), save itself and reload what it
 * saved: the BC network (mimic_bc_learner, mimic/bc.h) is one, and so are
 * the text classifier and the agent policy inside their DAgger loops
 * (mimic/textloop.h, mimic/agent.h); every loop drives them through the
 * same five calls: act, fit, save, reload, free.
 *
 * Confidence is in [0, 1]: the probability of the chosen action for a
 * categorical policy, 1 for experts; NAN when a learner knows nothing
 * about a state (an intent it never saw). Gaussian policies have a state-
 * independent spread, so their confidence says nothing about the state; it
 * is reported as 1 and confidence-based query rules need discrete actions.
 * Discrete learners also give the probability of every action (proba), from
 * which the query rules score uncertainty (mimic/dagger.h). */
#ifndef MIMIC_POLICY_H
#define MIMIC_POLICY_H

#include <stdio.h>

#include "mimic/core.h"
#include "mimic/env.h"
#include "mimic/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mimic_policy mimic_policy;

/* One batch of questions to a policy. */
typedef struct mimic_act_batch {
  int n;                    /* states in the batch */
  const float *obs;         /* [n x obs_dim] observations, or NULL for item states */
  const void *const *items; /* [n] states of the policy's own kind (documents, agent states) */
  mimic_env *
      *envs;      /* the n environments in those states (built-in experts read them); may be NULL */
  float *actions; /* out: [n x action width] */
  float *confidence;  /* out: [n], may be NULL */
  double *proba;      /* out: [n x mimic_policy_n_actions] for discrete policies that know their
                         probabilities (NAN rows where they know nothing); may be NULL */
  bool deterministic; /* argmax / mean instead of sampling */
  mimic_rng *rng;     /* for sampling (and random policies); may be NULL when deterministic */
  /* For policies with memory (a recurrent network): row i continues stream
   * streams[i] (a rollout's copy, >= 0) and starts[i] says its episode begins
   * at this state. NULL (both): every row is an episode's first state. */
  const int *streams;
  const bool *starts;
} mimic_act_batch;

/* Answers a batch of states. */
mimic_status mimic_policy_act(mimic_policy *p, mimic_act_batch *batch);
/* Frees a policy (NULL is fine). */
void mimic_policy_free(mimic_policy *p);
/* A short description ("mlp 4-32-32-2 tanh", "expert CartPole-v1", ...). */
const char *mimic_policy_describe(const mimic_policy *p);
/* The action space the policy answers in. */
const mimic_space *mimic_policy_action_space(const mimic_policy *p);
/* The observation width the policy expects (0 = any). */
int mimic_policy_obs_dim(const mimic_policy *p);
/* Discrete actions the policy chooses among now (a growing learner's may
 * grow after a fit); 0 for continuous actions. */
int mimic_policy_n_actions(const mimic_policy *p);

/* ---- learners ------------------------------------------------------------ */

/* Examples a learner fits on: states as act takes them, each with the action
 * it should answer (a discrete action is its id as a float). */
typedef struct mimic_labeled {
  size_t n;
  const float *obs;           /* [n x obs_dim] observation rows, or NULL for items */
  int obs_dim;                /* with obs */
  const void *const *items;   /* [n] item states, or NULL */
  const float *actions;       /* [n x action width] */
  const float *weights;       /* [n] loss weights >= 0, or NULL (all 1) */
  const char *const *details; /* [n] JSON object text per example (an agent tool's
                                 arguments), or NULL (entries may be NULL) */
  const bool *starts;         /* [n] an episode (or the part of one a loop kept) begins at this
                                 example, the next ones continue it; NULL: no episodes (a
                                 recurrent or transformer learner needs them) */
} mimic_labeled;

/* True when p can fit (it is a learner). */
bool mimic_policy_is_learner(const mimic_policy *p);
/* True when p can act: experts always; learners once fitted or reloaded. */
bool mimic_policy_fitted(const mimic_policy *p);
/* Fits a learner on data; warm continues from what it learned before (a
 * learner that cannot warm-start refits from scratch). seed varies the
 * fit's randomness (DAgger passes the round). */
mimic_status mimic_policy_fit(mimic_policy *p, const mimic_labeled *data, bool warm, uint64_t seed);
/* Saves a fitted learner durably (a model file its kind's loader reads). */
mimic_status mimic_policy_save(const mimic_policy *p, const char *path);
/* Replaces a learner's fitted state with one it saved to path earlier (a
 * resumed run continues from it). */
mimic_status mimic_policy_reload(mimic_policy *p, const char *path);

/* The built-in expert of the environments passed in each batch. */
mimic_status mimic_policy_builtin_expert(const mimic_env *like, mimic_policy **out);
/* Uniformly random actions from the space (seeded through the batch's rng). */
mimic_status mimic_policy_random(const mimic_space *action_space, mimic_policy **out);

/* ---- network policies ------------------------------------------------------ */

struct mimic_model;

/* Wraps a trained model (ownership passes to the policy) acting in
 * action_space: categorical heads answer argmax or a sample with the
 * probability of the chosen action as confidence; Gaussian and regression
 * heads answer the mean or a sample, clipped to the box as SB3 does. */
mimic_status mimic_policy_from_model(struct mimic_model *model, const mimic_space *action_space,
                                     mimic_policy **out);
/* Loads a policy file written by mimic (a model file whose metadata holds
 * the spaces; see docs/model-file.md). */
mimic_status mimic_policy_load(const char *path, mimic_policy **out);
/* The model inside a network policy (NULL for other policies). */
struct mimic_model *mimic_policy_model(mimic_policy *p);
/* Writes the spaces and env id into the model's metadata, merged with
 * extra_json (an object, may be NULL), so mimic_policy_load can rebuild it. */
mimic_status mimic_policy_describe_model(struct mimic_model *model, const char *env_id,
                                         const mimic_space *obs_space,
                                         const mimic_space *action_space, const char *extra_json);
/* Opens a policy from a command-line spec: "expert"/"builtin" (the env's
 * built-in expert), "random", "cmd:PROGRAM ARGS" (docs/expert-protocol.md),
 * "human" (a person at the terminal) or the path of a policy file. env
 * gives the spaces. */
mimic_status mimic_policy_open(const char *spec, const mimic_env *env, double timeout_s,
                               mimic_policy **out);

/* ---- for implementers ---------------------------------------------------- */

typedef struct mimic_policy_class {
  const char *kind;
  mimic_status (*act)(mimic_policy *p, mimic_act_batch *batch);
  void (*free_impl)(mimic_policy *p);
  /* learners only (NULL otherwise); fit sets p->fitted */
  mimic_status (*fit)(mimic_policy *p, const mimic_labeled *data, bool warm, uint64_t seed);
  mimic_status (*save)(const mimic_policy *p, const char *path);
  mimic_status (*reload)(mimic_policy *p, const char *path);
  /* discrete actions now, for a learner whose list grows (NULL: action_space.n) */
  int (*n_actions)(const mimic_policy *p);
} mimic_policy_class;

struct mimic_policy {
  const mimic_policy_class *cls;
  mimic_space action_space; /* bounds are copied into action_bounds */
  float *action_bounds;
  int obs_dim; /* 0 for item states */
  bool fitted; /* can act (always true for non-learners) */
  char description[128];
  void *impl;
};

/* Allocates a policy of class cls with a copy of the action space. */
mimic_status mimic_policy_alloc(const mimic_policy_class *cls, const mimic_space *action_space,
                                int obs_dim, mimic_policy **out);

#ifdef __cplusplus
}
#endif
#endif
