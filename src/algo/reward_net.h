/* The reward network's own steps (mimic/reward.h): growing its buffers,
 * assembling inputs (with absorbing states) and its raw outputs, which the
 * adversarial trainers (adversarial.c) train through. Internal to mimic
 * (not installed): users predict rewards with mimic_reward_net_predict or
 * mimic_reward_net_fn. */
#ifndef MIMIC_ALGO_REWARD_NET_H
#define MIMIC_ALGO_REWARD_NET_H

#include <stdbool.h>

#include "mimic/reward.h"

/* Grows the input buffer and model caches to n rows (not in a hot loop). */
mimic_status mimic_reward_net_reserve(mimic_reward_net *r, int n);
/* Builds the (n, in_dim) inputs of n transitions into r->in_buf (any of
 * act and next_obs may be NULL when the inputs do not use them). */
mimic_status mimic_reward_net_inputs(mimic_reward_net *r, const float *obs, const float *act,
                                     const float *next_obs, int n);
/* Like mimic_reward_net_inputs for a network with absorbing flags: rows
 * where abs_obs[i] (or abs_next[i]) is true get the absorbing state in
 * place of obs (next_obs) row i, and a zero action when abs_obs[i]. Either
 * flag array may be NULL (no absorbing states). */
mimic_status mimic_reward_net_inputs_abs(mimic_reward_net *r, const float *obs, const float *act,
                                         const float *next_obs, const bool *abs_obs,
                                         const bool *abs_next, int n);
/* Raw network outputs (n) of n transitions (normalisation applied). */
mimic_status mimic_reward_net_forward(mimic_reward_net *r, const float *obs, const float *act,
                                      const float *next_obs, int n, float *out);

#endif
