/* Distributed rollouts for DAgger in environments (dagger_dist.c): every
 * rank of the job rolls out. Rank 0 is also the learner (the driver, the
 * label log, the fits); each round every rank steps n_envs copies with the
 * learner rank 0 broadcast and the beta mixture, the expert (built-in, a
 * program or a policy file; each rank runs its own) labelling every state
 * on the spot, where the environments are, and the round's records come
 * to rank 0 in one gather. Private to src/algo. */
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
  int n, od, aw, G; /* copies per rank, widths, copies of all ranks */
  size_t width;     /* floats per record */
  float *local;     /* this rank's records, tick-major [ticks x n x width] */
  size_t local_cap; /* records it holds room for */
  float *all;       /* rank 0: [size x ticks x n x width], each rank's block as it sent it */
  size_t all_cap;
  long ticks; /* of the last round */
  /* every rank's rollouts */
  mimic_rollout roll;
  mimic_policy *random, *learner;
  mimic_rng rng;
  const mimic_space *as;
  mimic_codec *codec;   /* the expert's (not the built-in one's) */
  mimic_expert *expert; /* NULL: the built-in expert, asked per environment */
  bool own_expert;      /* opened here (not the caller's), so closed here */
  uint8_t *bytes;       /* the round's learner, a model file's encoding */
  size_t bytes_cap;
  mimic_answer *answers; /* [n] */
} dagger_dist;

/* Prepares a rank's side: its n_envs copies and its copy of the expert
 * (expert, when not NULL and the expert is not built in: the caller's, used
 * as this rank's copy and not closed here). An expert that is a person is
 * refused. A communicator of one process rolls out alone (bench/mpi's
 * one-process rate). */
mimic_status dagger_dist_open(dagger_dist *x, mimic_comm *comm, const mimic_dagger_env_config *cfg,
                              mimic_expert *expert);
/* Rank 0: one round on every rank, itself included, with learner (NULL:
 * act at random); afterwards x->ticks ticks of x->G copies are in x->all. */
mimic_status dagger_dist_round(dagger_dist *x, int round, double beta, mimic_policy *learner);
/* Views record (tick, copy) of x->all. */
dagger_dist_record dagger_dist_get(const dagger_dist *x, long tick, int copy);
/* Rank 0: tells the rollout ranks the run is over. */
mimic_status dagger_dist_stop(dagger_dist *x);
/* A rank other than 0: rolls out rounds until rank 0 stops. */
mimic_status dagger_dist_serve(dagger_dist *x);
/* Frees either side. */
void dagger_dist_close(dagger_dist *x);

#endif
