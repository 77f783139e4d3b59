/* Behavioral cloning of a recurrent policy on whole episodes (bc.c hands
 * models with a GRU here). Internal to mimic. */
#ifndef MIMIC_ALGO_BC_SEQUENCES_H
#define MIMIC_ALGO_BC_SEQUENCES_H

#include "mimic/bc.h"

/* Fits a recurrent model on the episodes of t: minibatches of
 * cfg->batch_size episodes (padded to the longest, masked), full
 * backpropagation through time from zero states, Adam. */
mimic_status mimic_bc_fit_sequences(const mimic_bc_config *cfg, const mimic_transitions *t,
                                    mimic_model *model, mimic_bc_report *report);

#endif
