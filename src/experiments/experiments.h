/* The experiments that reproduce papers' claims, as calls of the command.
 *
 * They live outside libmimic (DESIGN: experiments are front ends); the
 * `mimic experiment` command and their tests link this folder.
 *
 * Compounding error (Ross, Gordon & Bagnell 2011): for each horizon T, give
 * behavioral cloning and DAgger the same number of expert labels and
 * measure, over episodes of length T that the learner drives itself, its
 * cost: the number of steps in which its action differs from the one the
 * expert would take in that state (every step after the learner ended an
 * episode early, e.g. off the road, counts as one: the expert would not be
 * there). The theory bounds BC's cost by T^2 times its error rate and
 * DAgger's by T times its; the exponent of cost ~ T^k is fitted for each,
 * with a 95 % interval from resampling seeds (powerfit.c), whatever it
 * turns out to be. Failures (steps at which the task stops paying: the car
 * leaves the road or, with lanes=2, its lane) are counted separately and
 * not fitted. A second part counts failures per episode against expert
 * labels, for BC given more demonstrations and for DAgger round by round
 * (compounding_labels.c). docs/dagger.md has the results. */
#ifndef MIMIC_EXPERIMENTS_H
#define MIMIC_EXPERIMENTS_H

#include "mimic/core.h"
#include "mimic/dagger.h"
#include "mimic/dt.h"
#include "mimic/nn.h"
#include "mimic/textloop.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MIMIC_EXPERIMENT_MAX_HORIZONS 16
#define MIMIC_EXPERIMENT_MAX_SEEDS 128
#define MIMIC_EXPERIMENT_MAX_POINTS 16 /* label counts in the failures-against-labels part */

/* ---- power laws with bootstrap intervals (powerfit.c) -------------------- */

/* An exponent k of y ~ c x^k and its 95 % bootstrap interval (NAN: not fitted). */
typedef struct mimic_power_fit {
  double k, lo, hi;
} mimic_power_fit;

/* Least-squares slope of log y against log x over n points; NAN unless every
 * x and y is positive and n >= 2. */
double mimic_power_exponent(const double *x, const double *y, int n);
/* Fits the exponent of each series' mean over seeds (series[s] is
 * [n x seeds], row i the seeds' values at x[i]) and its 95 % percentile
 * bootstrap interval over seeds (resamples draws seeded by seed, the same
 * draws for every series). gap (may be NULL) gets series 0's exponent minus
 * series 1's with its interval; mean_lo/mean_hi (may be NULL) [m x n] the
 * 95 % interval of each mean. */
mimic_status mimic_power_bootstrap(const double *x, int n, int seeds, const double *const *series,
                                   int m, int resamples, uint64_t seed, mimic_power_fit *fits,
                                   mimic_power_fit *gap, double *mean_lo, double *mean_hi);
/* The mean of y[0..seeds) and its 95 % percentile bootstrap interval. */
mimic_status mimic_bootstrap_mean(const double *y, int seeds, int resamples, uint64_t seed,
                                  double *mean, double *lo, double *hi);
/* Whether two intervals overlap (true when either is unknown). */
bool mimic_power_overlap(const mimic_power_fit *a, const mimic_power_fit *b);

/* ---- offline RL on datasets of known quality (offline.c) ----------------- */

#define MIMIC_EXP_OFFLINE_BC (-1) /* behavioural cloning, beside mimic_offpolicy_algo values */
#define MIMIC_EXP_OFFLINE_DT (-2) /* Decision Transformer (mimic/dt.h) at the expert's return */

typedef struct mimic_exp_offline_config {
  const char *env_id, *env_opts;
  int kinds[8], n_kinds; /* mimic_data_quality values */
  int algos[8], n_algos; /* MIMIC_EXP_OFFLINE_BC, _DT or offline mimic_offpolicy_algo values */
  int seeds;             /* seeds first_seed .. first_seed + seeds - 1 (datasets and learners) */
  uint64_t first_seed;
  long transitions;    /* per dataset (medium-replay: its whole run) */
  long steps;          /* gradient steps of each offline learner */
  long eval_every;     /* SAC steps between the medium policy's snapshots */
  double expert_noise; /* mimic_generate_config.expert_noise (0) */
  int eval_episodes;   /* evaluation episodes, from seed 1000 */
  int n_hidden;        /* 0: every network keeps its default widths */
  /* Discrete actions: "bc" is d3rlpy's DiscreteBC, "cql" its DiscreteCQL,
   * whose target interval and learning rate these override (0: defaults) */
  long target_update_interval;
  double cql_lr;
  int hidden[MIMIC_MLP_MAX_LAYERS - 1];
  mimic_dt_config dt; /* the Decision Transformer's (steps 0: use steps) */
  bool progress;
} mimic_exp_offline_config;

/* Runs every algorithm on every kind for every seed: scores[(a * n_kinds
 * + k) * seeds + s] gets the normalised score of algorithm a on kind k
 * with seed s, data_scores[k * seeds + s] the dataset's own. */
mimic_status mimic_exp_offline_run(const mimic_exp_offline_config *c, double *scores,
                                   double *data_scores);

/* ---- the experiment (mimic experiment compounding) ----------------------- */

typedef struct mimic_compounding_config {
  const char *env_id;   /* default LaneKeep-v0 (it takes horizon=T) */
  const char *env_opts; /* more make options for every episode ("lanes=2"), or NULL */
  int n_horizons;
  int horizons[MIMIC_EXPERIMENT_MAX_HORIZONS]; /* default 25, 50, 100, 200, 400, 800 */
  long labels; /* expert labels per method and horizon (default 400) */
  int rounds;  /* DAgger: a BC start on labels/rounds, then rounds-1 rounds (default 5) */
  mimic_query_kind query; /* which visited states DAgger labels: RANDOM (default: a sample of
                             the learner's own state distribution) or LEAST_CONFIDENT */
  int sample_episodes;    /* labels are drawn uniformly from the states of this many episodes
                             (default 10): the expert's (BC) or, every round, the learner's
                             (DAgger); driving costs no label, answering does */
  int seeds;              /* repetitions with different seeds (default 40) */
  int eval_episodes;      /* per horizon, method and seed (default 50) */
  int resamples;          /* bootstrap resamples for the intervals (default 2000) */
  /* failures against labels (mimic_experiment_compounding_labels) */
  int labels_horizon; /* the horizon (default 400) */
  int labels_points;  /* label counts labels/rounds * (1 .. points) (default 10) */
  uint64_t seed;
  bool progress;
} mimic_compounding_config;

/* One learner at one horizon, over seeds. */
typedef struct mimic_compounding_arm {
  double cost, cost_lo, cost_hi; /* mean disagreements per episode, 95 % interval of the mean */
  double failures;               /* failures per episode */
  double failed;                 /* share of episodes with a failure */
  long labels;                   /* expert labels used (mean over seeds) */
  double per_seed[MIMIC_EXPERIMENT_MAX_SEEDS]; /* each seed's mean cost */
} mimic_compounding_arm;

typedef struct mimic_compounding_row {
  int horizon;
  mimic_compounding_arm bc, dagger;
} mimic_compounding_row;

typedef struct mimic_compounding_result {
  int n, seeds;
  mimic_compounding_row rows[MIMIC_EXPERIMENT_MAX_HORIZONS];
  mimic_power_fit bc, dagger; /* cost ~ T^k */
  mimic_power_fit gap;        /* BC's exponent minus DAgger's */
  bool overlap;               /* the two intervals overlap */
  double seconds;
} mimic_compounding_result;

/* Failures per episode against expert labels at one horizon. */
typedef struct mimic_compounding_labels_result {
  int horizon, n, seeds;
  long labels[MIMIC_EXPERIMENT_MAX_POINTS]; /* labels/rounds * (1 .. n) */
  /* BC on that many expert labels; DAgger after as many rounds (the BC start counts as one) */
  double bc[MIMIC_EXPERIMENT_MAX_POINTS], bc_lo[MIMIC_EXPERIMENT_MAX_POINTS],
      bc_hi[MIMIC_EXPERIMENT_MAX_POINTS];
  double dagger[MIMIC_EXPERIMENT_MAX_POINTS], dagger_lo[MIMIC_EXPERIMENT_MAX_POINTS],
      dagger_hi[MIMIC_EXPERIMENT_MAX_POINTS];
  double seconds;
} mimic_compounding_labels_result;

/* The defaults above. */
mimic_compounding_config mimic_compounding_defaults(void);
/* Checks a configuration before any work; fails with a sentence. */
mimic_status mimic_compounding_check(const mimic_compounding_config *cfg);
/* Runs the cost-against-horizon part. */
mimic_status mimic_experiment_compounding(const mimic_compounding_config *cfg,
                                          mimic_compounding_result *out);
/* Runs the failures-against-labels part. */
mimic_status mimic_experiment_compounding_labels(const mimic_compounding_config *cfg,
                                                 mimic_compounding_labels_result *out);
/* Draws cost against horizon (log-log): each method's mean with its 95 %
 * band, the exponents and intervals in the legend, to path (.png or .svg). */
mimic_status mimic_compounding_plot(const mimic_compounding_result *r, const char *task,
                                    const char *path);
/* Draws failures per episode against expert labels for both methods. */
mimic_status mimic_compounding_labels_plot(const mimic_compounding_labels_result *r,
                                           const char *task, const char *path);

/* ---- the experiment (mimic experiment text-dagger) ----------------------- */

#define MIMIC_TEXT_EXP_MAX_POINTS 64
#define MIMIC_TEXT_EXP_MAX_RULES 4

/* Mean and spread over seeds of a learning curve: accuracy against labels. */
typedef struct mimic_text_curve {
  char rule[32];
  int n;
  double labels[MIMIC_TEXT_EXP_MAX_POINTS];
  double acc[MIMIC_TEXT_EXP_MAX_POINTS], acc_std[MIMIC_TEXT_EXP_MAX_POINTS];
  double acc_min[MIMIC_TEXT_EXP_MAX_POINTS], acc_max[MIMIC_TEXT_EXP_MAX_POINTS];
  double f1[MIMIC_TEXT_EXP_MAX_POINTS];
} mimic_text_curve;

typedef struct mimic_text_experiment_config {
  const char *data_dir;     /* train.csv and test.csv (default: BANKING77 in ../shared/data) */
  const char *label_column; /* NULL: label/category/intent */
  bool small, scale;        /* which parts run (default both) */
  /* part 1, the small exercise: 20 seed labels, a pool of 50 */
  int small_seeds;   /* default 10 */
  int small_labeled; /* seed labels (default 20) */
  int small_pool;    /* pool size (default 50) */
  int small_batch;   /* asked per round (default 10) */
  int small_rounds;  /* default 3 (run on until the pool is used up, to answer the question) */
  /* part 2, at scale */
  int scale_seeds;                         /* default 5 */
  long scale_start, scale_end, scale_step; /* labels: 200 to 2000 by 100 */
  uint64_t seed;
  int n_threads; /* LIBLINEAR threads (0 = all cores) */
  bool progress;
} mimic_text_experiment_config;

typedef struct mimic_text_experiment_result {
  /* part 1 */
  int small_rounds_run;      /* rounds until the pool was used up */
  mimic_text_curve small[3]; /* least-confident (the exercise), margin, random */
  int n_small;
  double seed_acc, seed_acc_std, seed_f1;          /* the seed-only model */
  double start50_acc, start50_acc_std, start50_f1; /* labels-from-the-start baseline */
  int start_labels;              /* its label count (= the loop's after its rounds) */
  double pool_acc, pool_acc_std; /* the whole pool labeled */
  int match_round;               /* first round whose mean reaches start50 (-1: none) */
  int match_per_seed[MIMIC_TEXT_EXP_MAX_POINTS]; /* seeds first matching at round r (r = 1..) */
  int never_match;                               /* seeds that never matched */
  /* part 2 */
  mimic_text_curve scale[MIMIC_TEXT_EXP_MAX_RULES];
  int n_scale;
  double seconds_small, seconds_scale;
  int n_train, n_test, n_classes;
} mimic_text_experiment_result;

/* The defaults above. */
mimic_text_experiment_config mimic_text_experiment_defaults(void);
/* Runs the experiment (all expert labels through mimic_text_dagger_run with a label-file expert).
 */
mimic_status mimic_experiment_text_dagger(const mimic_text_experiment_config *cfg,
                                          mimic_text_experiment_result *out);
/* Draws the learning curves (mean with a band of min..max over seeds) to path (.png or .svg). */
mimic_status mimic_text_experiment_plot(const mimic_text_experiment_result *r, const char *path);

#ifdef __cplusplus
}
#endif
#endif
