/* The MPI tests' assertion (tests/test_mpi_*.c). Not cmocka: an assertion
 * failing on one rank would leave the others waiting in a collective, so a
 * failure prints with its rank and aborts the whole job. */
#ifndef MIMIC_TESTS_MPI_CHECK_H
#define MIMIC_TESTS_MPI_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

/* Makes a scratch folder for the job ("/tmp/mimic-<name>-XXXXXX", 64
 * bytes): rank 0 creates it, every rank learns its name. */
static inline void mpi_tmpdir(char *dir, const char *name) {
  snprintf(dir, 64, "/tmp/mimic-%s-XXXXXX", name);
  if (comm->rank == 0) CHECK(mkdtemp(dir) != NULL, "mkdtemp");
  CHECK(comm->bcast(comm, dir, 64, 0) == MIMIC_OK, "bcast");
}

/* Removes the folder once every rank is done with it. */
static inline void mpi_rmdir(const char *dir) {
  int done = 1;
  CHECK(comm->bcast(comm, &done, sizeof done, 0) == MIMIC_OK, "bcast");
  if (comm->rank == 0) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "removing %s", dir);
  }
}

/* The whole file at path (this rank's read), its size in *n. */
static inline unsigned char *mpi_slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  CHECK(f, "open %s", path);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc((size_t)len + 1);
  CHECK(buf && fread(buf, 1, (size_t)len, f) == (size_t)len, "read %s", path);
  fclose(f);
  *n = (size_t)len;
  return buf;
}

#endif
