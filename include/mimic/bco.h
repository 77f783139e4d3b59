/* mimic/bco.h: behavioral cloning from observation (Torabi, Warnell and
 * Stone 2018), for demonstrations that hold what the expert saw but not
 * what it did (a video, a log of states).
 *
 * The agent first acts at random in the environment for pre_steps steps
 * and learns an inverse dynamics model from what it did: an MLP that reads
 * (s, s') and predicts the action a that led from s to s' (categorical for
 * Discrete actions, a regression for Box). The model labels every
 * demonstrated transition with the action it infers, and a policy is
 * cloned from those labels (behavioral cloning, mimic/bc.h). BCO(alpha)
 * then iterates: the clone acts (sampling) for alpha * pre_steps steps,
 * those transitions join the model's data, the model is refitted, the
 * demonstrations relabelled and the clone refitted. alpha = 0 is plain
 * BCO. The point of BCO is how few environment interactions it needs, so
 * every run reports them.
 *
 * Both networks are trained by mimic_bc_fit with their own configuration;
 * the demonstrations' own actions, if the dataset has any, are never read
 * (they are only compared with the inferred ones, for the report). Same
 * configuration and seed: the same clone, bit for bit. */
#ifndef MIMIC_BCO_H
#define MIMIC_BCO_H

#include "mimic/bc.h"
#include "mimic/data.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mimic_bco_config {
  const char *env_id, *env_opts;
  mimic_bc_config policy; /* the clone: BC's defaults */
  mimic_bc_config idm;    /* the inverse dynamics model: BC's defaults, [64, 64] ReLU */
  long pre_steps;         /* random interactions before the first fit (default 10,000) */
  double alpha;           /* BCO(alpha): alpha * pre_steps interactions per iteration (0.1) */
  int iterations;         /* BCO(alpha) iterations after the first fit (5; 0 = plain BCO) */
  int n_envs;             /* environments side by side (8) */
  uint64_t seed;
} mimic_bco_config;

/* One fit of model and clone. */
typedef struct mimic_bco_round {
  int iteration;        /* 0: after the random interactions */
  long interactions;    /* environment steps taken so far */
  double idm_agreement; /* share of the demonstrations' own actions the model infers
                           (Discrete: equal; Box: within 10% of the action range);
                           NAN when the dataset has no usable actions */
  double clone_return;  /* mean return of the clone's episodes while it acted (NAN
                           in round 0) */
} mimic_bco_round;

/* Returns false to stop after this round. */
typedef bool (*mimic_bco_callback)(const mimic_bco_round *r, const mimic_model *clone, void *user);

/* BCO's defaults for env_id. */
mimic_bco_config mimic_bco_defaults(const char *env_id);
/* Checks a configuration; fails with a sentence naming the bad field. */
mimic_status mimic_bco_check(const mimic_bco_config *cfg);
/* Learns a clone from demos' observations: fills clone (free with
 * mimic_model_free) and, if last is not NULL, the last round. cb may be
 * NULL. The demonstrations' observation space must be the environment's. */
mimic_status mimic_bco_train(const mimic_bco_config *cfg, const mimic_dataset *demos,
                             mimic_bco_callback cb, void *user, mimic_model *clone,
                             mimic_bco_round *last);

#ifdef __cplusplus
}
#endif
#endif
