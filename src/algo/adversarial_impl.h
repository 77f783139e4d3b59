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
  /* demonstrations: the whole file's M transitions (M_term terminated) are
   * drawn from; this rank holds rows [d_first, d_first + d_n) of them (all
   * but sharded, cfg.shard on several ranks) */
  size_t M, M_term;
  uint64_t d_first;
  size_t d_n;
  float *d_obs, *d_next, *d_act; /* (d_n) */
  bool *d_term;
  uint32_t demo_crc; /* the whole file's fingerprint (adv_demo_crc) */
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
  size_t gen_term; /* terminated transitions of the last rollout (data-parallel: the joint one's) */
  size_t n_gen;    /* rows of the rollout the generator rows are drawn from (the joint one's) */
  long round;
  /* the batch rows this rank computes on: [lo, hi) of 2B (one process: all) */
  int rank, lo, hi;
  /* data-parallel (cfg.ppo.comm of several ranks, GAIL; adversarial_dist.c) */
  bool par, sharded;
  float *reduce;     /* (n_params + ADV_SHARED) the all-reduced gradient and step sums */
  int64_t *all_term; /* (size) the ranks' terminated transitions */
  bool *s_held;      /* (2B) the batch rows whose inputs this rank assembled */
  /* what a checkpoint borrows until it is saved (adversarial_ckpt.c) */
  int64_t ckpt_counts[5];
  double *ckpt_rms; /* g's then h's [count, mean, var] */
  float *ckpt_norm; /* g's then h's [eps, clip, mean, var] */
};

/* ---- data-parallel GAIL as one run (adversarial_dist.c) ---------------- */

#define ADV_SHARED 5 /* a step's sums beside the gradient: loss, accuracies, logits */

/* Allocates the collectives' buffers, sets this rank's rows of a batch and
 * checks the ranks' initial discriminators agree. */
mimic_status adv_dist_start(mimic_adv *a);
/* The local row of row j of the joint rollout (j < n_gen) and, in *owner,
 * the rank that holds it (one process: j itself, rank 0). */
size_t adv_gen_row(const mimic_adv *a, size_t j, int *owner);
/* Sets *total to the sum over the ranks of mine (a count). */
mimic_status adv_dist_total(mimic_adv *a, size_t mine, size_t *total);
/* Sharded demonstrations (cfg.shard): checks that the ranks' shards
 * partition the file in rank order (bc_shard_open) and sets this rank's
 * rows, the whole file's M, M_term and demo_crc, as one process has them. */
mimic_status adv_dist_demos(mimic_adv *a, const mimic_dataset *demos,
                            const mimic_dataset_shard *info);
/* Completes g's assembled batch on every rank: the rows this rank did not
 * assemble are zeroed, then the rows are summed over ranks (the generator
 * half, or the whole batch when the expert rows are sharded too). */
mimic_status adv_dist_share_rows(mimic_adv *a);
/* Sums the discriminator's gradient and a step's sums[ADV_SHARED] over the
 * ranks, in one all-reduce. */
mimic_status adv_dist_sum(mimic_adv *a, double sums[ADV_SHARED]);

/* The CRC-32 of this rank's demonstrations, continuing crc, array after
 * array (obs, next obs, actions, terminated): what checkpoints record of
 * them (one process: adv_demo_crc(a, 0, ...) over the whole file). part
 * picks one array (0..3), or -1 for all four in turn. */
uint32_t adv_demo_crc(const mimic_adv *a, uint32_t crc, int part);

#endif
