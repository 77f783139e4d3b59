/* mimic/sqil.h: soft Q imitation learning (Reddy, Dragan and Levine 2019),
 * for Discrete action spaces.
 *
 * SQIL needs no reward and no discriminator: every demonstrated transition
 * gets reward 1, every transition of the agent's own gets reward 0, and an
 * ordinary off-policy learner does the rest. Each gradient step draws half
 * its batch from the demonstrations and half from the agent's replay
 * buffer, so the agent is paid for reaching demonstrated states and
 * doing what the demonstrator did there, and (through the discount) for
 * returning to them when it strays: the long-horizon correction BC lacks.
 *
 * The learner is the paper's soft Q-learning: the target of (s, a, s') is
 * r + gamma * (1 - terminated) * V(s') with the soft value
 * V(s) = T * logsumexp(Q(s, .) / T) of a target network (copied every
 * target_update_interval steps), the loss is the squared Bellman error,
 * and the agent acts by sampling softmax(Q / T). (imitation's SQIL runs
 * SB3's DQN instead: a hard max and epsilon-greedy exploration, the limit
 * T -> 0.) Terminated transitions of the agent have value 0 after them,
 * which is below what staying with the demonstrations pays, so SQIL
 * learns to avoid ending episodes the demonstrator did not end.
 *
 * The result is a policy file (kind "mimic.policy", a categorical head)
 * whose logits are Q / T: deterministic evaluation takes the greedy
 * action, sampling follows the soft policy. Same configuration, data and
 * seed, one BLAS thread: the same file bit for bit. See docs/sqil.md. */
#ifndef MIMIC_SQIL_H
#define MIMIC_SQIL_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/core.h"
#include "mimic/data.h"
#include "mimic/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mimic_sqil_config {
  const char *env_id, *env_opts;
  long total_steps;            /* environment steps (30,000) */
  long buffer_size;            /* the agent's replay capacity (100,000) */
  long learning_starts;        /* steps of the initial policy before learning (1,000) */
  int batch_size;              /* rows from EACH buffer per gradient step (64) */
  double lr;                   /* Adam (1e-3) */
  double gamma;                /* 0.99 */
  double temperature;          /* T of the soft value and the soft policy (0.1) */
  int train_freq;              /* environment steps between gradient steps (1) */
  int gradient_steps;          /* gradient steps each time (1) */
  long target_update_interval; /* gradient steps between target copies (500) */
  double max_grad_norm;        /* 10 (SB3's DQN) */
  int n_hidden;                /* Q-network hidden layers ([64, 64], ReLU) */
  int hidden[MIMIC_MLP_MAX_LAYERS - 1];
  uint64_t seed;
} mimic_sqil_config;

/* What the learner reports every log interval. */
typedef struct mimic_sqil_log {
  long step;              /* environment steps */
  long updates;           /* gradient steps */
  long episodes;          /* finished training episodes */
  double ep_return_mean;  /* the environment's return, last 100 training episodes (NAN: none) */
  double loss;            /* mean Bellman loss since the last report (NAN: none) */
  double q_demo, q_agent; /* mean Q of the demonstrated / the agent's (s, a) in those batches */
  double seconds;
} mimic_sqil_log;

/* Returns false to stop learning; q is the network as it is (its logits
 * are Q / T), for evaluating it on the way. */
typedef bool (*mimic_sqil_callback)(const mimic_sqil_log *row, const mimic_model *q, void *user);

/* SQIL's defaults (above) for env_id. */
mimic_sqil_config mimic_sqil_defaults(const char *env_id);
/* Checks a configuration; fails with a sentence naming the bad field. */
mimic_status mimic_sqil_check(const mimic_sqil_config *cfg);
/* Learns from demos (a dataset's transitions with next observations and
 * terminated flags; their rewards are ignored) by interacting with
 * cfg->env_id, whose spaces must match the demonstrations' (Discrete
 * actions). Calls cb every log_every environment steps (cb may be NULL).
 * Fills q (free with mimic_model_free): the policy whose logits are Q / T. */
mimic_status mimic_sqil_learn(const mimic_sqil_config *cfg, const mimic_transitions *demos,
                              long log_every, mimic_sqil_callback cb, void *user, mimic_model *q);

#ifdef __cplusplus
}
#endif
#endif
