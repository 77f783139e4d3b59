/* mimic/evaluate.h: how well does a policy do?
 *
 * Runs N episodes of a policy, deterministic (argmax / mean) or sampled,
 * and reports the mean and standard deviation of the return, the episode
 * length, the success rate, and the normalised score, where the random
 * policy scores 0 and the environment's built-in expert scores 1. Their
 * returns, the references, are fixed per environment (id and options),
 * D4RL-style: the means over the MIMIC_EVAL_REF_EPISODES episodes from
 * reset(0), whatever the evaluation's own episodes and seed, so every
 * command scores a policy against the same two numbers. Episode k always
 * starts from reset(seed + k), so a result never depends on how many
 * environments ran side by side. */
#ifndef MIMIC_EVALUATE_H
#define MIMIC_EVALUATE_H

#include "mimic/core.h"
#include "mimic/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Episodes the references of the normalised score are measured on. */
#define MIMIC_EVAL_REF_EPISODES 100

typedef struct mimic_eval_config {
  int episodes;   /* default 100 */
  uint64_t seed;  /* episode k starts from reset(seed + k) */
  bool sample;    /* sample actions instead of argmax / mean */
  int parallel;   /* environments stepped side by side (0 = min(episodes, 32)) */
  bool normalize; /* also measure the references for the normalised score */
  bool progress;  /* show a progress bar */
} mimic_eval_config;

typedef struct mimic_eval_result {
  int episodes;
  double return_mean, return_std;
  double length_mean;
  double success_rate;     /* NAN when the environment has no notion of success */
  double expert_return;    /* NAN unless normalize */
  double random_return;    /* NAN unless normalize */
  double normalized_score; /* (return - random) / (expert - random); NAN unless normalize */
  double *returns;         /* [episodes], malloc'd; free with mimic_eval_result_free */
  int *lengths;            /* [episodes] */
} mimic_eval_result;

/* Default configuration: 100 deterministic episodes from seed 0, normalised. */
mimic_eval_config mimic_eval_defaults(void);
/* Evaluates policy on env id (with options) and fills out. */
mimic_status mimic_evaluate(mimic_policy *policy, const char *env_id, const char *env_opts,
                            const mimic_eval_config *cfg, mimic_eval_result *out);
/* The references of the normalised score: the built-in expert's and the
 * random policy's mean returns over the fixed episodes reset(0) ..
 * reset(MIMIC_EVAL_REF_EPISODES - 1) (cfg gives only parallel and progress). */
mimic_status mimic_eval_references(const char *env_id, const char *env_opts,
                                   const mimic_eval_config *cfg, double *expert_return,
                                   double *random_return);
struct mimic_model;
/* Mean (and std, which may be NULL) of the return of a network model's
 * deterministic episodes from reset(seed + k), k < episodes, with actions in
 * action_space; model is taken over (freed, whatever happens). */
mimic_status mimic_evaluate_model(struct mimic_model *model, const mimic_space *action_space,
                                  const char *env_id, const char *env_opts, int episodes,
                                  uint64_t seed, double *mean, double *std);
/* Frees the per-episode arrays of a result. */
void mimic_eval_result_free(mimic_eval_result *r);

#ifdef __cplusplus
}
#endif
#endif
