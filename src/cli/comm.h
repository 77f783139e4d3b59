/* cli/comm.h: the command's MPI job (data-parallel training, distributed
 * rollouts): joining it, and ending it on success or failure. */
#ifndef MIMIC_CLI_COMM_H
#define MIMIC_CLI_COMM_H

#include "mimic/comm.h"

/* Joins the MPI job this process was launched in (a one-process
 * communicator without a launcher); NULL with the error printed. */
mimic_comm *cli_comm_begin(const char *cmd);
/* Prints the last error as cli_fail does, naming the rank when there are
 * several, and ends the whole job so no rank waits for this one; returns
 * the exit status (when the job has one process). */
int cli_comm_fail(const char *cmd, mimic_comm *c);
/* Leaves the job after rc (a failure ends it with cli_comm_fail's abort);
 * returns rc. */
int cli_comm_end(mimic_comm *c, int rc);

#endif
