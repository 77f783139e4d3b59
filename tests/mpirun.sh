#!/usr/bin/env bash
# mpirun.sh NP PROGRAM [ARGS...]: runs PROGRAM as an MPI job of NP ranks on
# this machine only, as the tests need it: shared memory between the ranks
# (no network, no ssh, no hostfile), more ranks than cores allowed, and
# root allowed (CI runs as root in a container). Exit 77 (skipped) when
# mimic was built without MPI (MIMIC_MPI_BUILT=0) or mpirun is missing.
set -euo pipefail
np=$1
shift
if [[ "${MIMIC_MPI_BUILT:-1}" == 0 ]]; then
  echo "mimic was built without MPI: skipped" >&2
  exit 77
fi
if ! command -v mpirun > /dev/null; then
  echo "no mpirun (scripts/bootstrap installs openmpi-bin): skipped" >&2
  exit 77
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI unloads its plugins in MPI_Finalize, so LeakSanitizer can
# neither name nor suppress what they keep: no leak check inside MPI jobs
# (the one-process runs of the same code, test_mpi_bc's first, keep theirs)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# one BLAS thread a rank: the ranks are the parallelism
export OPENBLAS_NUM_THREADS=1
# no single-copy (CMA needs ptrace rights a container may not grant)
exec mpirun --oversubscribe -np "$np" --mca btl self,vader \
  --mca btl_vader_single_copy_mechanism none --mca plm_rsh_agent false "$@"
