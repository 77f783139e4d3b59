/* mimic/comm.h: the communicator data-parallel training and distributed
 * rollouts talk through.
 *
 * A trainer that can run on several processes takes a mimic_comm: its rank
 * and size, and the few collectives it needs (sum a float block on every
 * rank, broadcast from one rank, gather equal-sized blocks to one rank).
 * The library never includes mpi.h: the `mimic` command fills a mimic_comm
 * from MPI (src/mpi, an optional build feature), and a program embedding
 * libmimic may fill one from its own MPI binding. A NULL communicator, or
 * one of size 1, is one process, and the trainers then run exactly as they
 * do without it.
 *
 * Every collective must be called by every rank in the same order; a
 * failing one returns a status with a message, but an MPI job usually
 * ends the whole job instead (a dead rank is fatal to its peers). */
#ifndef MIMIC_COMM_H
#define MIMIC_COMM_H

#include "mimic/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mimic_comm mimic_comm;
struct mimic_comm {
  int rank, size; /* this process's rank, of size (rank 0 writes the files) */
  void *impl;     /* the implementation's state */
  /* Sums buf[n] over all ranks in place; every rank gets the same bits, and
   * the same inputs on the same size give the same sum. */
  mimic_status (*allreduce_sum)(mimic_comm *c, float *buf, size_t n);
  /* Copies root's buf[bytes] to every rank. */
  mimic_status (*bcast)(mimic_comm *c, void *buf, size_t bytes, int root);
  /* Gathers each rank's send[bytes] into root's recv[size * bytes], rank order
   * (recv is ignored elsewhere). */
  mimic_status (*gather)(mimic_comm *c, const void *send, size_t bytes, void *recv, int root);
};

/* Whether c spans more than one process. */
static inline bool mimic_comm_parallel(const mimic_comm *c) { return c && c->size > 1; }
/* Whether this process writes the files (rank 0, or no communicator). */
static inline bool mimic_comm_writer(const mimic_comm *c) { return !c || c->rank == 0; }

/* Checks that buf[bytes] is identical on every rank (a checksum each,
 * compared on rank 0 and its verdict broadcast); fails naming `what` and
 * the first rank that differs. */
mimic_status mimic_comm_check_same(mimic_comm *c, const void *buf, size_t bytes, const char *what);

#ifdef __cplusplus
}
#endif
#endif
