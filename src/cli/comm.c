/* The command's side of an MPI job (see cli/comm.h and docs/cluster.md). */
#include "cli/comm.h"

#include <stdio.h>

#include "cli/args.h"
#include "mpi/mpi_comm.h"

mimic_comm *cli_comm_begin(const char *cmd) {
  mimic_comm *c = NULL;
  if (mimic_mpi_begin(&c) != MIMIC_OK) {
    cli_fail(cmd);
    return NULL;
  }
  if (c->rank > 0) { /* rank 0 speaks for the job */
    mimic_progress_set_enabled(false);
    mimic_log_set_level(MIMIC_LOG_WARN);
  }
  return c;
}

int cli_comm_fail(const char *cmd, mimic_comm *c) {
  if (!mimic_comm_parallel(c)) return cli_fail(cmd);
  const char *msg = mimic_errmsg();
  fprintf(stderr, "mimic %s: error on rank %d of %d: %s\n", cmd, c->rank, c->size,
          *msg ? msg : "failed");
  fflush(stderr);
  mimic_mpi_abort(c, CLI_EXIT_FAIL);
  return CLI_EXIT_FAIL;
}

int cli_comm_end(mimic_comm *c, int rc) {
  if (rc != CLI_EXIT_OK && mimic_comm_parallel(c)) mimic_mpi_abort(c, rc);
  mimic_mpi_end(c);
  return rc;
}
