/* mimic/dagger.h: the one interactive imitation loop.
 *
 * DAgger (Ross, Gordon & Bagnell 2011) runs the learner, asks an expert
 * what it would have done in the states the learner reaches, aggregates
 * those labels and refits. Uncertainty sampling for a text classifier and
 * confidence-based deferral for an agent are the same loop with a rule for
 * which visited states go to the expert. This driver is written once; what
 * differs plugs in through mimic_dagger_ops:
 *
 *   gather      this round's candidate states: rollouts of the beta-mixture
 *               in a vector environment, or the unlabeled pool of a text set.
 *               A source may label some candidates itself while gathering
 *               (the expert acted in that state, or the learner deferred).
 *   uncertainty per candidate, how unsure the learner is (higher = more).
 *   label       asks the expert about one candidate and stores the answer
 *               durably before returning.
 *   fit         refits the learner on everything labeled so far.
 *   evaluate    measures the learner (return, accuracy, ...).
 *   end_round   makes the round durable, so a killed run resumes after it.
 *
 * The driver owns the schedule of beta, the query rule, counting and the
 * per-round report; it never looks inside a state. */
#ifndef MIMIC_DAGGER_H
#define MIMIC_DAGGER_H

#include <stddef.h>

#include "mimic/core.h"
#include "mimic/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- beta schedules ---------------------------------------------------- */

typedef enum mimic_beta_kind {
  MIMIC_BETA_LINEAR,      /* max(0, 1 - round / R): imitation's default, R = 15 */
  MIMIC_BETA_EXPONENTIAL, /* p^round */
  MIMIC_BETA_INDICATOR,   /* 1 in round 0, then 0 (often best in Ross et al.) */
  MIMIC_BETA_CONSTANT,    /* c every round */
} mimic_beta_kind;

typedef struct mimic_beta_schedule {
  mimic_beta_kind kind;
  double param; /* R for linear, p for exponential, c for constant */
} mimic_beta_schedule;

/* Parses "linear", "linear:R", "exp:p", "indicator" or "constant:c". */
mimic_status mimic_beta_parse(const char *text, mimic_beta_schedule *out);
/* The probability that the expert acts in round (0-based). */
double mimic_beta_at(const mimic_beta_schedule *s, int round);
/* Writes the schedule back as text ("linear:15"). */
void mimic_beta_format(const mimic_beta_schedule *s, char *buf, size_t cap);

/* ---- query rules ------------------------------------------------------- */

typedef enum mimic_query_kind {
  MIMIC_QUERY_ALL,             /* every candidate (classic DAgger) */
  MIMIC_QUERY_UNCERTAIN,       /* candidates whose confidence is below a threshold */
  MIMIC_QUERY_LEAST_CONFIDENT, /* the k with the lowest top probability */
  MIMIC_QUERY_MARGIN,          /* the k with the smallest top-1 minus top-2 margin */
  MIMIC_QUERY_ENTROPY,         /* the k with the highest predictive entropy */
  MIMIC_QUERY_RANDOM,          /* k uniformly at random (the baseline) */
} mimic_query_kind;

typedef struct mimic_query_rule {
  mimic_query_kind kind;
  double threshold; /* UNCERTAIN: ask when confidence < threshold */
  long k;           /* per-round label budget (0 = no budget; required for the top-k rules) */
} mimic_query_rule;

/* Parses "all", "uncertain:0.8", "least-confident:K", "budget:K" (= least-confident),
 * "margin:K", "entropy:K", "random:K". */
mimic_status mimic_query_parse(const char *text, mimic_query_rule *out);
/* Writes the rule back as text. */
void mimic_query_format(const mimic_query_rule *q, char *buf, size_t cap);
/* Uncertainty of each of n states for a rule kind (larger = ask first) from
 * their action probabilities proba [n x K] (may be NULL) and confidences
 * (may be NULL): LEAST_CONFIDENT and UNCERTAIN 1 - p_max, MARGIN
 * 1 - (p_max - p_second), ENTROPY -sum p ln p; ALL and RANDOM give 0.
 * Without proba every rule scores 1 - confidence. A NAN confidence (the
 * learner knows nothing there) scores NAN, ranked first by the selection. */
mimic_status mimic_query_scores(mimic_query_kind kind, const double *proba, const float *confidence,
                                size_t n, int K, double *scores);
/* Picks candidates from uncertainty scores (higher = more unsure, NAN
 * highest; for UNCERTAIN the score is 1 - confidence). Writes chosen indices to out in
 * descending score order (ties by index; RANDOM in random order) and returns
 * how many. already_labeled (may be NULL) marks candidates to skip. */
size_t mimic_query_select(const mimic_query_rule *q, const double *scores,
                          const bool *already_labeled, size_t n, mimic_rng *rng, size_t *out);

/* ---- the driver -------------------------------------------------------- */

#define MIMIC_DAGGER_MAX_METRICS 4

/* What one round did; the driver fills the counts, evaluate the metrics. */
typedef struct mimic_dagger_round {
  int round;
  double beta;
  size_t candidates;   /* states gathered this round */
  size_t queried;      /* expert labels this round (while gathering and by the query rule) */
  long expert_queries; /* all expert calls so far (incl. those made while gathering) */
  size_t dataset_size; /* labeled examples after aggregation */
  int n_metrics;
  const char *metric_names[MIMIC_DAGGER_MAX_METRICS];
  double metrics[MIMIC_DAGGER_MAX_METRICS];
  double seconds;
} mimic_dagger_round;

typedef struct mimic_dagger_ops {
  void *ctx;
  /* Optional: the first round to run (resume after the last durable round)
   * and how many answers that round already holds (a session that stopped
   * mid-round asks only the rest of its budget). */
  mimic_status (*resume)(void *ctx, int *first_round, size_t *answered);
  /* Gathers candidates for a round; *n gets their count. labeled[i] (sized
   * by the source, read through `labeled`) marks ones labeled while gathering. */
  mimic_status (*gather)(void *ctx, int round, double beta, size_t *n, const bool **labeled);
  /* Writes one uncertainty score per candidate for the rule's kind (may be
   * NULL when the rule is ALL). */
  mimic_status (*uncertainty)(void *ctx, mimic_query_kind kind, double *scores, size_t n);
  /* Asks the expert about candidate i and stores the answer durably.
   * *added is false when the expert skipped it. MIMIC_ERR_INTERRUPTED
   * stops the loop cleanly (a person quit). */
  mimic_status (*label)(void *ctx, size_t i, bool *added);
  /* Refits the learner on all labels. */
  mimic_status (*fit)(void *ctx, int round);
  /* Measures the learner; fills n_metrics, metric_names, metrics. */
  mimic_status (*evaluate)(void *ctx, int round, mimic_dagger_round *row);
  /* Makes the round durable (the resume point). */
  mimic_status (*end_round)(void *ctx, int round);
  /* Labeled examples held now. */
  size_t (*dataset_size)(void *ctx);
  /* All expert calls so far. */
  long (*expert_queries)(void *ctx);
} mimic_dagger_ops;

typedef struct mimic_dagger_config {
  int rounds;
  mimic_beta_schedule beta;
  mimic_query_rule query;
  uint64_t seed; /* for RANDOM selection */
  /* Called after each round (may be NULL), e.g. to print a table row. */
  void (*on_round)(const mimic_dagger_round *row, void *user);
  void *user;
} mimic_dagger_config;

/* Runs rounds [first, cfg->rounds) of the loop. rows (may be NULL, cap
 * entries) receives one row per round run; *n_rows their count. A person
 * quitting ends the loop with MIMIC_ERR_INTERRUPTED after the round's
 * answers are stored. */
mimic_status mimic_dagger_run(const mimic_dagger_config *cfg, const mimic_dagger_ops *ops,
                              mimic_dagger_round *rows, int cap, int *n_rows);

/* ---- DAgger in environments -------------------------------------------- */

struct mimic_model;
struct mimic_bc_config;

/* DAgger on an environment: rollouts of the beta-mixture in N copies, an
 * expert (built-in, program, policy file or a person) labeling visited
 * states, BC refits with warm start, evaluation after every round, and
 * durable round-by-round storage in work_dir:
 *   work_dir/labels/        the labeled states, a Minari dataset (runs of
 *                           consecutive labeled steps form its episodes)
 *   work_dir/learner.mimic  the learner after the last finished round
 *   work_dir/best.mimic     the best learner so far (by mean return)
 *   work_dir/state.json     the round counter, query count and scores
 * A killed run resumes after its last finished round; a partial round's
 * data is discarded and redone. */
typedef struct mimic_dagger_env_config {
  const char *env_id, *env_opts;
  const char *expert;       /* builtin, cmd:PROGRAM, human, or a policy file */
  double expert_timeout;    /* seconds per answer of a program */
  int rounds;               /* default 15 */
  mimic_beta_schedule beta; /* default linear:15 */
  mimic_query_rule query;   /* default all */
  bool defer;               /* the expert also acts where it is asked (uncertain rule) */
  long min_steps;           /* per round, default 500 */
  int min_episodes;         /* per round, default 3 */
  int n_envs;               /* environments rolled out side by side (default 4) */
  long epochs;              /* BC epochs per round (default 4) */
  long cap;                 /* keep at most this many labeled states in memory (0 = all) */
  int eval_episodes;        /* after each round (default 10; 0 = none) */
  bool eval_sample;         /* evaluate with sampled actions (breaks the loops a memoryless
                               policy falls into under partial observability) */
  uint64_t eval_seed;       /* evaluation episodes start from reset(eval_seed + k) */
  uint64_t seed;
  const char *work_dir; /* NULL: keep everything in memory (no resume) */
  const struct mimic_model
      *init; /* start from this learner (e.g. a BC clone), copied; may be NULL */
  bool progress;
  void (*on_round)(const mimic_dagger_round *row, void *user);
  void *user;
} mimic_dagger_env_config;

/* imitation's SimpleDAggerTrainer defaults (rounds 15, linear beta over 15
 * rounds, >= 500 steps and 3 episodes per round, 4 BC epochs per round). */
mimic_dagger_env_config mimic_dagger_env_defaults(void);
/* Runs DAgger; bc holds the learner's settings (its epochs are replaced by
 * cfg->epochs). The best learner is left in best (a fresh model; free it). */
mimic_status mimic_dagger_env_run(const mimic_dagger_env_config *cfg,
                                  const struct mimic_bc_config *bc, struct mimic_model *best,
                                  mimic_dagger_round *rows, int cap, int *n_rows);

#ifdef __cplusplus
}
#endif
#endif
