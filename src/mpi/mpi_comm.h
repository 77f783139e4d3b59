/* mpi/mpi_comm.h: the mimic_comm of an MPI job (MPI_COMM_WORLD).
 *
 * The only place mimic includes mpi.h is mpi_comm.c; everything else
 * reaches MPI through a mimic_comm (mimic/comm.h). Built without MPI
 * (CMake found none), or started without a launcher, the same calls give a
 * one-process communicator, so the command's code has no #ifdefs. */
#ifndef MIMIC_MPI_COMM_H
#define MIMIC_MPI_COMM_H

#include "mimic/comm.h"

/* Whether this mimic was built with MPI. */
bool mimic_mpi_built(void);
/* Whether this process was started by an MPI launcher (mpirun, mpiexec,
 * srun): its environment names a rank. */
bool mimic_mpi_launched(void);
/* The number of processes the launcher started (1 without one), read from
 * its environment before joining the job. */
int mimic_mpi_launch_size(void);
/* Joins the MPI job when launched by one (MPI_Init) and returns its world
 * communicator; otherwise a one-process communicator (rank 0 of 1). Fails
 * when launched by MPI in a mimic built without it and the launcher says
 * the job has more than one process. */
mimic_status mimic_mpi_begin(mimic_comm **out);
/* Leaves the job (MPI_Finalize) after a successful run. */
void mimic_mpi_end(mimic_comm *c);
/* Ends the whole job after a failure on this rank (MPI_Abort), so the other
 * ranks do not wait for it forever; a one-process communicator returns. */
void mimic_mpi_abort(mimic_comm *c, int code);

#endif
