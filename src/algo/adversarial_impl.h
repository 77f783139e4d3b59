/* The inside of the GAIL/AIRL trainer (mimic/adversarial.h), shared by
 * adversarial.c (the discriminator and the rounds) and adversarial_ckpt.c
 * (checkpoints). Private to src/algo. */
#ifndef MIMIC_ALGO_ADVERSARIAL_IMPL_H
#define MIMIC_ALGO_ADVERSARIAL_IMPL_H

#include "algo/ppo_impl.h"
#include "algo/rl_running.h"
#include "mimic/adversarial.h"

struct mimic_adv {
  mimic_adv_config cfg;
  mimic_ppo *gen;
  int D, aw, B, n_roll;
  mimic_space act_space; /* kind, n and dim (no bounds) */
  /* demonstrations */
  size_t M, M_term; /* transitions, terminated ones */
  float *d_obs, *d_next, *d_act;
  bool *d_term;
  /* networks */
  mimic_reward_net g, h; /* h only for AIRL */
  mimic_optim opt_g, opt_h;
  rl_running norm_g, norm_h;
  mimic_rng rng;
  /* step scratch (2B rows; h uses 4B) */
  float *s_obs, *s_next, *s_act, *s_logpi, *s_logit, *s_dl, *s_hin, *s_hd;
  bool *s_mask; /* (2B) h(s') is masked out (terminated, no absorbing state) */
  bool *s_abs;  /* (4B) absorbing s rows, then absorbing s' rows */
  float *zeros; /* (D + aw) an absorbing row's placeholder */
  bool one[1];  /* {true} */
  /* rollout reward scratch (n_roll rows) */
  float *r_g, *r_hs;
  size_t gen_term; /* terminated transitions of the last rollout */
  long round;
  /* data-parallel (cfg.ppo.comm of several ranks, GAIL): the discriminator's
   * all-reduced gradient and every rank's inputs for its statistics */
  float *reduce, *all_in;
  /* what a checkpoint borrows until it is saved (adversarial_ckpt.c) */
  int64_t ckpt_counts[5];
  double *ckpt_rms; /* g's then h's [count, mean, var] */
  float *ckpt_norm; /* g's then h's [eps, clip, mean, var] */
};

/* The demonstrations' fingerprint: CRC-32 of their arrays. */
uint32_t adv_demo_crc(const mimic_adv *a);

#endif
