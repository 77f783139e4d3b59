/* A replay buffer: the last `capacity` transitions an off-policy learner
 * saw (SB3's ReplayBuffer), in one allocation, sampled uniformly with
 * replacement. Each row keeps its own next observation (so an episode's
 * final observation is stored even though the environment has already
 * been reset) and `done` means terminated, never truncated: SB3's
 * handle_timeout_termination, so a time limit bootstraps. Internal to
 * mimic: SAC and TD3 (src/algo/offpolicy.c) hold one. */
#ifndef MIMIC_DATA_REPLAY_H
#define MIMIC_DATA_REPLAY_H

#include "mimic/data.h"
#include "mimic/rng.h"

typedef struct mimic_replay {
  size_t capacity, size, pos; /* rows held, rows filled, next row to write */
  int obs_dim, act_dim;
  float *obs, *next_obs; /* [capacity][obs_dim] */
  float *act;            /* [capacity][act_dim] */
  double *rew;           /* [capacity] */
  uint8_t *done;         /* [capacity] */
} mimic_replay;

/* Allocates an empty buffer of capacity rows. */
mimic_status mimic_replay_init(mimic_replay *r, size_t capacity, int obs_dim, int act_dim);
/* Frees the buffer (safe on a zeroed struct). */
void mimic_replay_free(mimic_replay *r);
/* Adds one transition, overwriting the oldest once full. */
void mimic_replay_add(mimic_replay *r, const float *obs, const float *act, double rew,
                      const float *next_obs, bool done);
/* Fills n rows of out (obs, act, next_obs, rew, done; NULL fields are
 * skipped) with rows drawn uniformly with replacement (n draws of
 * mimic_rng_integers(0, size)); the buffer must not be empty. */
void mimic_replay_sample(const mimic_replay *r, mimic_rng *rng, size_t n, const mimic_batch *out);

#endif
