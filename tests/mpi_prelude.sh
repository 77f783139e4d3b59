# Sourced by tests/mpi_*.sh after `set -euo pipefail; mimic=$1`: run (an
# mpirun job on this machine, tests/mpirun.sh), a scratch folder $dir
# removed on exit, fail, and exit 77 (skipped) when mimic has no MPI.
here=$(dirname "${BASH_SOURCE[0]}")
run() { bash "$here/mpirun.sh" "$@"; }
. "$here/prelude.sh"
run 1 true || exit $? # 77 when built without MPI
