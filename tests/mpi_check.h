/* The MPI tests' assertion (tests/test_mpi_*.c). Not cmocka: an assertion
 * failing on one rank would leave the others waiting in a collective, so a
 * failure prints with its rank and aborts the whole job. */
#ifndef MIMIC_TESTS_MPI_CHECK_H
#define MIMIC_TESTS_MPI_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "mpi/mpi_comm.h"

static mimic_comm *comm; /* the job; set by main */

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "FAIL (rank %d): ", comm ? comm->rank : 0);                                  \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fprintf(stderr, " [%s]\n", mimic_errmsg());                                                  \
      mimic_mpi_abort(comm, 1);                                                                    \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

#endif
