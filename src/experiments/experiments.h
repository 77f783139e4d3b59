/* The experiments that reproduce papers' claims, as calls of the command.
 *
 * They live outside libmimic (DESIGN: experiments are front ends); the
 * `mimic experiment` command and their tests link this folder.
 *
 * Compounding error (Ross, Gordon & Bagnell 2011): for each horizon T, give
 * behavioral cloning and DAgger the same number of expert labels and
 * measure the cost of the learner over episodes of length T: the steps in
 * which it did not do what the expert would have done there, counting every
 * step after it left the road (the episode ended early) as a mistake. BC's
 * cost is expected to grow like T^2, DAgger's like T; the fitted exponent of
 * cost ~ T^k is reported for each, whatever it turns out to be. */
#ifndef MIMIC_EXPERIMENTS_H
#define MIMIC_EXPERIMENTS_H

#include "mimic/core.h"
#include "mimic/textloop.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MIMIC_EXPERIMENT_MAX_HORIZONS 16

typedef struct mimic_compounding_config {
  const char *env_id; /* default LaneKeep-v0 (it takes horizon=T) */
  int n_horizons;
  int horizons[MIMIC_EXPERIMENT_MAX_HORIZONS]; /* default 50, 100, 200, 400, 800 */
  long labels;       /* expert labels per method and horizon (default 400) */
  int rounds;        /* DAgger: a BC start on labels/rounds, then rounds-1 rounds (default 5) */
  int seeds;         /* repetitions with different seeds (default 3) */
  int eval_episodes; /* per horizon, method and seed (default 20) */
  uint64_t seed;
  bool progress;
} mimic_compounding_config;

typedef struct mimic_compounding_row {
  int horizon;
  double bc_cost, bc_cost_std, dagger_cost, dagger_cost_std; /* mean over seeds */
  double bc_success, dagger_success;                         /* full horizon on the road */
  double bc_lost,
      dagger_lost; /* steps lost after leaving the road (the failures part of the cost) */
  long bc_labels, dagger_labels; /* mean labels actually used */
} mimic_compounding_row;

typedef struct mimic_compounding_result {
  int n;
  mimic_compounding_row rows[MIMIC_EXPERIMENT_MAX_HORIZONS];
  double bc_exponent,
      dagger_exponent; /* slope of log cost against log T (horizons with cost 0 left out) */
  double bc_lost_exponent, dagger_lost_exponent; /* the same for the lost steps alone */
} mimic_compounding_result;

/* The defaults above. */
mimic_compounding_config mimic_compounding_defaults(void);
/* Runs the experiment. */
mimic_status mimic_experiment_compounding(const mimic_compounding_config *cfg,
                                          mimic_compounding_result *out);
/* Writes a table (text) and a chart of cost against horizon (log-log). */
mimic_status mimic_compounding_plot(const mimic_compounding_result *r, const char *env_id,
                                    const char *path);

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
  /* part 1, the mission's exercise */
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
