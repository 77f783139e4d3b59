/* mimic/collect.h: recording demonstrations.
 *
 * A policy (usually an expert) acts for N episodes; episode k starts from
 * reset(seed + k). Episodes go to an in-memory dataset, to a durable
 * dataset writer (each finished episode is on disk before the next
 * begins), or both. epsilon mixes in uniformly random actions, which makes
 * a deliberately weakened expert; action_noise makes a deterministic expert
 * stochastic, as D4RL's experts (SAC policies sampled, not run greedily)
 * are, so its data show it coming back from its own small mistakes. */
#ifndef MIMIC_COLLECT_H
#define MIMIC_COLLECT_H

#include "mimic/data.h"
#include "mimic/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mimic_collect_config {
  const char *env_id, *env_opts;
  int episodes;
  uint64_t seed;
  double epsilon;      /* probability of a random action instead of the policy's */
  double action_noise; /* Box actions: Gaussian noise of this std, in units of each bounded
                          dimension's half-range, added to the action taken (and recorded),
                          then clipped to the bounds; 0 = none */
  bool sample;         /* sample the policy's actions instead of its best action */
  bool progress;
  long transitions; /* > 0: stop after this many steps in all, the last episode cut short
                       (its last step marked truncated), as D4RL's fixed-size datasets */
} mimic_collect_config;

typedef struct mimic_collect_result {
  int episodes;
  size_t steps;
  double return_mean, length_mean;
} mimic_collect_result;

/* Runs policy for cfg->episodes episodes; appends them to ds (if not NULL;
 * initialised with the env's spaces when it holds no episodes) and to
 * writer (if not NULL). */
mimic_status mimic_collect(const mimic_collect_config *cfg, mimic_policy *policy, mimic_dataset *ds,
                           mimic_dataset_writer *writer, mimic_collect_result *result);
/* Fails, naming env_id, unless action noise can be added to actions of as
 * (bounded Box actions). */
mimic_status mimic_collect_check_noise(const char *env_id, const mimic_space *as);
/* Records the built-in expert of env_id into a new in-memory dataset. */
mimic_status mimic_collect_expert(const char *env_id, const char *env_opts, int episodes,
                                  uint64_t seed, mimic_dataset *ds);

#ifdef __cplusplus
}
#endif
#endif
