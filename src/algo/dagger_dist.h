/* Distributed rollouts for DAgger in environments (dagger_dist.c): rank 0
 * is the learner (the driver, the label log, the fits); ranks 1..R step
 * n_envs copies each with the broadcast learner and the beta mixture, the
 * expert (built-in, a program or a policy file; each rollout rank runs its
 * own) labelling every state on the spot, where the environments are, and
 * send the round's records to rank 0. Private to src/algo. */
#ifndef MIMIC_ALGO_DAGGER_DIST_H
#define MIMIC_ALGO_DAGGER_DIST_H

#include "mimic/comm.h"
#include "mimic/dagger.h"
#include "mimic/expert.h"
#include "mimic/rollout.h"

/* A record's flags (stored in a float). */
enum { DIST_TERM = 1, DIST_TRUNC = 2, DIST_ASKED = 4, DIST_TAKES = 8 };

/* One state a rollout rank met: where record() puts what. */
typedef struct dagger_dist_record {
  const float *obs, *next, *label, *guess; /* [od] [od] [aw] [aw] */
  float conf, reward;
  int flags;
} dagger_dist_record;

typedef struct dagger_dist {
  mimic_comm *comm;
  const mimic_dagger_env_config *cfg;
  int n, od, aw, G; /* copies per rollout rank, widths, copies of all ranks */
  size_t width;     /* floats per record */
  float *local;     /* this rank's records, tick-major [ticks x n x width] */
  size_t local_cap; /* records it holds room for */
  float *all;       /* rank 0: [ticks x G x width], tick-major over all copies */
  size_t all_cap;
  long ticks; /* of the last round */
  /* rollout ranks */
  mimic_rollout roll;
  mimic_policy *random, *learner;
  mimic_rng rng;
  const mimic_space *as;
  mimic_codec *codec;    /* the expert's (not the built-in one's) */
  mimic_expert *expert;  /* NULL: the built-in expert, asked per environment */
  mimic_answer *answers; /* [n] */
} dagger_dist;

/* Prepares either side: rank 0 (n_envs copies per rollout rank, the
 * spaces' widths) or a rollout rank (its environments and its copy of the
 * expert). Needs 2+ ranks and an expert that is not a person. */
mimic_status dagger_dist_open(dagger_dist *x, mimic_comm *comm, const mimic_dagger_env_config *cfg);
/* Rank 0: one round on the rollout ranks with learner (NULL: act at
 * random); afterwards x->ticks ticks of x->G copies are in x->all. */
mimic_status dagger_dist_round(dagger_dist *x, int round, double beta, mimic_policy *learner);
/* Views record (tick, copy) of x->all. */
dagger_dist_record dagger_dist_get(const dagger_dist *x, long tick, int copy);
/* Rank 0: tells the rollout ranks the run is over. */
mimic_status dagger_dist_stop(dagger_dist *x);
/* A rollout rank: serves rounds until rank 0 stops. */
mimic_status dagger_dist_serve(dagger_dist *x);
/* Frees either side. */
void dagger_dist_close(dagger_dist *x);

#endif
