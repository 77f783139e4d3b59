#!/usr/bin/env bash
# mpi_kill_rank.sh JOB RANK: kills (SIGKILL) the process of MPI rank RANK
# in the job tests/mpirun.sh started as background job JOB (its pid, or the
# pid of a shell running it): a rank dying mid-run, as a node would.
set -euo pipefail
job=$1 rank=$2
launcher=$(pgrep -P "$job" -x mpirun || echo "$job")
for p in $(pgrep -P "$launcher" || true); do
  if tr '\0' '\n' < /proc/"$p"/environ 2> /dev/null | grep -x "OMPI_COMM_WORLD_RANK=$rank" > /dev/null; then
    kill -9 "$p"
    exit 0
  fi
done
echo "rank $rank not found among the children of $launcher" >&2
exit 1
