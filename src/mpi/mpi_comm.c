/* The MPI communicator: mimic_comm's collectives on MPI_COMM_WORLD.
 *
 * Sums use MPI_Allreduce with MPI_SUM on floats. Open MPI picks its
 * reduction algorithm from the job's size and the message's length only,
 * so a fixed number of ranks sums in a fixed order: the same run gives the
 * same bits. Whether every rank gets the very same bits is not promised by
 * the MPI standard, so the trainers check it (mimic_comm_check_same).
 *
 * Broadcasts and gathers wait quietly: Open MPI's shared-memory transport
 * polls while a rank waits, taking a core, and those are the collectives a
 * rank may wait in for long (rank 0 gathering a round of DAgger rollouts,
 * the rollout ranks waiting for the next policy while rank 0 trains). So
 * they are non-blocking collectives tested in a loop that polls for a few
 * microseconds (the common case of ranks arriving together costs nothing),
 * longer for a large message (wait_quietly), and then sleeps, 20 us
 * doubling to 250 us, giving the core to the ranks that have work
 * (bench/mpi's rollouts measure it). The all-reduce stays
 * blocking: it is the per-step sum of data-parallel training, where every
 * rank computes until it arrives, and its blocking algorithm is the one
 * whose summation order the tests pin down. MIMIC_MPI_SPIN=1 in the
 * environment makes broadcasts and gathers block (and so poll) as MPI's
 * own do, for nodes with a core per rank where polling answers soonest.
 *
 * MPI is joined only when a launcher started the process: `mimic` run by
 * hand never touches MPI (no singleton start-up, no warnings), so a build
 * with MPI behaves as one without it. */
#include "mpi/mpi_comm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef MIMIC_HAVE_MPI
#include <mpi.h>
#endif

static mimic_comm self_comm;

/* The environment variables launchers set (Open MPI's mpirun, PMIx and
 * PMI-2 under Slurm's srun, MPICH's Hydra). */
static const char *launcher_size(void) {
  static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE",
                               "SLURM_NTASKS_ON_JOB"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
    const char *v = getenv(vars[i]);
    if (v && *v) return v;
  }
  return getenv("PMIX_RANK") ? "1" : NULL;
}

int mimic_mpi_launch_size(void) {
  const char *size = mimic_mpi_launched() ? launcher_size() : NULL;
  int n = size ? atoi(size) : 1;
  return n > 1 ? n : 1;
}

bool mimic_mpi_launched(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

bool mimic_mpi_built(void) {
#ifdef MIMIC_HAVE_MPI
  return true;
#else
  return false;
#endif
}

#ifdef MIMIC_HAVE_MPI
static mimic_comm world_comm;

static mimic_status mpi_fail(int rc, const char *call) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return mimic_fail(MIMIC_ERR_EXTERNAL, "%s failed: %.*s", call, len, msg);
}

/* MPI counts are int: a block longer than INT_MAX goes in pieces. */
#define CHUNK ((size_t)1 << 30)

#define SPIN_S 50e-6            /* poll this long before sleeping, */
#define SPIN_S_PER_BYTE 0.25e-9 /* and as long as moving the bytes at 4 GB/s takes */
#define SLEEP_MIN 20000         /* ns, doubling to */
#define SLEEP_MAX 250000

static bool spin; /* MIMIC_MPI_SPIN: wait as MPI does */

/* Waits for req, which moves `bytes` through this rank, polling first and
 * then sleeping between tests. A large message moves only while its ranks
 * test (Open MPI's shared memory has no progress thread: a test copies the
 * fragments that fit), so sleeping through one stretches it: a 3 MB gather
 * of 2 ranks took 9-10 ms with sleeps after 50 us, 0.2 ms polled. So the
 * polling lasts as long as the copy would at 4 GB/s (shared memory ran it
 * at 15 GB/s; a budget of 0.3 ms was enough for the 0.2 ms), and a rank
 * that waits for a late peer wastes no more than that before it sleeps. */
static int wait_quietly(MPI_Request *req, size_t bytes) {
  if (spin) return MPI_Wait(req, MPI_STATUS_IGNORE);
  const double t0 = MPI_Wtime(), poll = SPIN_S + SPIN_S_PER_BYTE * (double)bytes;
  long ns = 0;
  for (;;) {
    int done = 0;
    int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS || done) return rc;
    if (MPI_Wtime() - t0 < poll) continue;
    ns = ns ? (ns * 2 < SLEEP_MAX ? ns * 2 : SLEEP_MAX) : SLEEP_MIN;
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
  }
}

static mimic_status world_allreduce(mimic_comm *c, float *buf, size_t n) {
  for (size_t off = 0; off < n; off += CHUNK) {
    int len = (int)(n - off < CHUNK ? n - off : CHUNK);
    int rc = MPI_Allreduce(MPI_IN_PLACE, buf + off, len, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, "MPI_Allreduce");
  }
  return MIMIC_OK;
}

static mimic_status world_bcast(mimic_comm *c, void *buf, size_t bytes, int root) {
  for (size_t off = 0; off < bytes; off += CHUNK) {
    int len = (int)(bytes - off < CHUNK ? bytes - off : CHUNK);
    MPI_Request req;
    int rc = MPI_Ibcast((char *)buf + off, len, MPI_BYTE, root, MPI_COMM_WORLD, &req);
    if (rc == MPI_SUCCESS) rc = wait_quietly(&req, (size_t)len);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, "MPI_Ibcast");
  }
  return MIMIC_OK;
}

static mimic_status world_gather(mimic_comm *c, const void *send, size_t bytes, void *recv,
                                 int root) {
  if (bytes > CHUNK)
    return mimic_fail(MIMIC_ERR_RANGE, "a gathered block of %zu bytes is over MPI's limit", bytes);
  MPI_Request req;
  int rc = MPI_Igather(send, (int)bytes, MPI_BYTE, recv, (int)bytes, MPI_BYTE, root, MPI_COMM_WORLD,
                       &req);
  /* the root takes in every rank's block */
  if (rc == MPI_SUCCESS) rc = wait_quietly(&req, c->rank == root ? bytes * (size_t)c->size : bytes);
  if (rc != MPI_SUCCESS) return mpi_fail(rc, "MPI_Igather");
  return MIMIC_OK;
}
#endif

/* The one-process collectives: a sum of one, a broadcast to oneself. */
static mimic_status self_allreduce(mimic_comm *c, float *buf, size_t n) { return MIMIC_OK; }
static mimic_status self_bcast(mimic_comm *c, void *buf, size_t bytes, int root) {
  return MIMIC_OK;
}
static mimic_status self_gather(mimic_comm *c, const void *send, size_t bytes, void *recv,
                                int root) {
  if (recv != send) memmove(recv, send, bytes);
  return MIMIC_OK;
}

mimic_status mimic_mpi_begin(mimic_comm **out) {
  self_comm = (mimic_comm){.rank = 0,
                           .size = 1,
                           .allreduce_sum = self_allreduce,
                           .bcast = self_bcast,
                           .gather = self_gather};
  *out = &self_comm;
  if (!mimic_mpi_launched()) return MIMIC_OK;
#ifdef MIMIC_HAVE_MPI
  int done = 0;
  MPI_Initialized(&done);
  const char *sp = getenv("MIMIC_MPI_SPIN");
  spin = sp && strcmp(sp, "1") == 0;
  if (!done) {
    int rc = MPI_Init(NULL, NULL);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, "MPI_Init");
  }
  world_comm =
      (mimic_comm){.allreduce_sum = world_allreduce, .bcast = world_bcast, .gather = world_gather};
  MPI_Comm_rank(MPI_COMM_WORLD, &world_comm.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_comm.size);
  *out = &world_comm;
  return MIMIC_OK;
#else
  const char *size = launcher_size();
  if (size && atoi(size) > 1)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "started by an MPI launcher with %s processes, but this mimic was built "
                      "without MPI (install libopenmpi-dev and rebuild)",
                      size);
  return MIMIC_OK;
#endif
}

void mimic_mpi_end(mimic_comm *c) {
#ifdef MIMIC_HAVE_MPI
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (init && !fin) MPI_Finalize();
#endif
}

void mimic_mpi_abort(mimic_comm *c, int code) {
#ifdef MIMIC_HAVE_MPI
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (init && !fin && c && c->size > 1) MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
#endif
}
