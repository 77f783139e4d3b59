/* mimic/adversarial.h: adversarial imitation, GAIL and AIRL.
 *
 * A discriminator learns to tell expert transitions from the generator's;
 * the generator (PPO, mimic/ppo.h) is trained on a reward made from the
 * discriminator. Both follow the `imitation` library's AdversarialTrainer:
 *
 *  - GAIL (Ho & Ermon 2016): the discriminator logit is an MLP over
 *    (s, a) (32x32 ReLU, inputs normalised by running statistics, a
 *    Discrete action one-hot); the generator's reward is
 *    -log(1 - D) = softplus(logit).
 *  - AIRL (Fu et al. 2018): f(s, a, s') = g(s) + gamma (1 - done) h(s')
 *    - h(s), the logit is f - log pi(a|s) with pi the current generator;
 *    the generator's reward is f (imitation's reward_train). g, the
 *    disentangled reward, is what is saved for reuse: a reward network
 *    file (mimic/reward.h) that `mimic train ppo --reward` accepts.
 *
 * One round = one PPO rollout (n_steps x n_envs environment steps), then
 * n_disc_updates discriminator steps on demo_batch_size expert and as many
 * generator transitions (both drawn uniformly with replacement: the expert's
 * from the demonstrations, the generator's from that rollout), then one PPO
 * update on the rewards of the updated discriminator (Ho & Ermon's
 * Algorithm 1 order). The discriminator's loss is the binary cross-entropy
 * with logits (expert = 1), optimised by Adam. Same seed: same result.
 *
 * Episodes that end early bias both rewards (AIRL's f is mostly negative
 * away from the expert, so the generator learns to end episodes at once).
 * With `absorbing` (Kostrikov et al. 2019), a terminated transition leads
 * to an absorbing state that the discriminator also classifies (the
 * generator's rollouts contain one absorbing transition per termination,
 * the expert's as many as it terminated), and the generator's reward of a
 * terminated step includes gamma / (1 - gamma) times the absorbing state's
 * reward. This is what lets AIRL imitate on CartPole-v1, whose expert never
 * terminates. */
#ifndef MIMIC_ADVERSARIAL_H
#define MIMIC_ADVERSARIAL_H

#include "mimic/data.h"
#include "mimic/ppo.h"
#include "mimic/reward.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mimic_adv_kind {
  MIMIC_ADV_GAIL = 1,
  MIMIC_ADV_AIRL = 2,
} mimic_adv_kind;

typedef struct mimic_adv_config {
  mimic_adv_kind kind;
  mimic_ppo_config ppo; /* the generator; ppo.total_steps is the run's env-step budget;
                           ppo.comm of several ranks (GAIL only): data-parallel, the run
                           one process makes with every rank's environments; each rank
                           computes the discriminator on its share of every batch */
  int disc_n_hidden;    /* GAIL discriminator / AIRL g: default [32, 32] */
  int disc_hidden[MIMIC_MLP_MAX_LAYERS - 1];
  int shaping_n_hidden; /* AIRL h: default [32, 32] */
  int shaping_hidden[MIMIC_MLP_MAX_LAYERS - 1];
  mimic_activation disc_activation;  /* relu (imitation's build_mlp) */
  mimic_reward_inputs reward_inputs; /* 0 = default: GAIL state-action, AIRL state */
  double disc_lr;                    /* Adam lr (imitation: 1e-3) */
  double disc_weight_decay;          /* AdamW's decoupled weight decay (0: plain Adam) */
  int n_disc_updates;                /* discriminator steps per round (imitation: 2) */
  int disc_warmup;                   /* extra discriminator steps in the first round, before the
                                        generator learns from it (0 = none) */
  int demo_batch_size;               /* expert (and generator) transitions per step (default 256) */
  bool disc_normalize;              /* running normalisation of the discriminator's inputs (true) */
  bool gail_logit_reward;           /* GAIL: reward log D - log(1 - D) = logit instead of
                                       -log(1 - D) = softplus(logit) (imitation's) */
  bool absorbing;                   /* absorbing states for terminated episodes (mimic/reward.h);
                                       default true for AIRL, false for GAIL */
  const mimic_dataset_shard *shard; /* with ppo.comm of several ranks: the demonstrations given
                                       are only this rank's shard of the file
                                       (mimic_dataset_load_shard), and the ranks share out the
                                       expert rows of every batch; NULL: every rank holds all */
} mimic_adv_config;

/* One round's numbers. */
typedef struct mimic_adv_round {
  long round;                           /* 1-based */
  double disc_loss;                     /* mean BCE over the round's discriminator steps */
  double disc_acc_expert, disc_acc_gen; /* fraction classified right, last step */
  double expert_logit, gen_logit;       /* mean logits, last step */
  mimic_ppo_iter ppo;                   /* the generator's iteration (returns, losses, timesteps) */
} mimic_adv_round;

/* imitation-like defaults for kind on env_id: the generator is PPO with
 * the env's preset (mimic_ppo_preset) and reward scaling on. */
mimic_adv_config mimic_adv_defaults(mimic_adv_kind kind, const char *env_id);
/* Checks a configuration; fails with a sentence naming the bad field. */
mimic_status mimic_adv_check(const mimic_adv_config *cfg);

typedef struct mimic_adv mimic_adv;

/* Sets up the trainer for demonstrations demos (copied; their spaces must
 * match the environment's). With cfg->shard, collective: demos is this
 * rank's shard, and the ranks check that the shards partition the file;
 * the run is the one a process holding the whole file makes. */
mimic_status mimic_adv_create(const mimic_adv_config *cfg, const mimic_dataset *demos,
                              mimic_adv **out);
/* Frees the trainer (NULL is fine). */
void mimic_adv_free(mimic_adv *a);
/* Runs one round (rollout, discriminator steps, generator update). */
mimic_status mimic_adv_round_run(mimic_adv *a, mimic_adv_round *out);
/* Returns false to stop training after this round. */
typedef bool (*mimic_adv_callback)(mimic_adv *a, const mimic_adv_round *r, void *user);
/* Runs rounds until total_steps env steps (cfg.ppo.total_steps when 0) or
 * until cb returns false (cb may be NULL). */
mimic_status mimic_adv_learn(mimic_adv *a, long total_steps, mimic_adv_callback cb, void *user);
/* The generator (evaluate it, save it with mimic_ppo_save). */
mimic_ppo *mimic_adv_generator(mimic_adv *a);
/* The learned reward: GAIL's discriminator (softplus output) or AIRL's g. */
mimic_reward_net *mimic_adv_reward(mimic_adv *a);
/* Starts checkpoint container c (kind "mimic.adversarial-checkpoint"):
 * the generator's state (as mimic_ppo_checkpoint), the discriminator (and
 * AIRL's shaping net) with its optimiser and input statistics, the
 * generator of draws and the round. Call it between rounds; then as
 * mimic_ppo_checkpoint. */
mimic_status mimic_adv_checkpoint(mimic_adv *a, mimic_container *c);
/* Restores checkpoint c into a trainer created with the same configuration
 * and demonstrations (what differs is refused by name); a trainer whose
 * restore failed is only fit to be freed. */
mimic_status mimic_adv_restore(mimic_adv *a, const mimic_container *c);
/* Saves the learned reward as a reward network file (env id and spaces in
 * its metadata). For AIRL this is g; shaping_path (may be NULL) gets h. */
mimic_status mimic_adv_save_reward(mimic_adv *a, const char *path, const char *shaping_path);

#ifdef __cplusplus
}
#endif
#endif
