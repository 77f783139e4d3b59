/* What the two parts of the compounding experiment share: the learners
 * trained from a label budget, and the measurement of a learner over its
 * own episodes (compounding.c). */
#ifndef MIMIC_EXPERIMENTS_COMPOUNDING_IMPL_H
#define MIMIC_EXPERIMENTS_COMPOUNDING_IMPL_H

#include "experiments/experiments.h"
#include "mimic/nn.h"

/* What a learner did over its evaluation episodes (means per episode). */
typedef struct compounding_score {
  double cost;     /* steps whose action differs from the expert's (+ steps lost) */
  double failures; /* steps at which the task stopped paying */
  double failed;   /* share of episodes with a failure */
} compounding_score;

/* The seed of repetition s. */
uint64_t compounding_seed(const mimic_compounding_config *cfg, int s);
/* BC on `labels` expert labels drawn from the states of `episodes` expert
 * episodes of horizon T (more when they hold fewer states than labels). */
mimic_status compounding_bc(const mimic_compounding_config *cfg, int T, long labels, int episodes,
                            uint64_t seed, mimic_model *out);
/* DAgger of horizon T: BC on labels/rounds expert labels, then rounds-1
 * rounds of as many labels; *used gets the labels it took. */
mimic_status compounding_dagger(const mimic_compounding_config *cfg, int T, int rounds,
                                uint64_t seed, mimic_model *out, long *used);
/* Runs model in cfg->eval_episodes episodes of horizon T and scores it. */
mimic_status compounding_measure(const mimic_compounding_config *cfg, const mimic_model *model,
                                 int T, uint64_t seed, compounding_score *out);

#endif
