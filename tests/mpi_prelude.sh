# Sourced by tests/mpi_*.sh after `set -euo pipefail; mimic=$1`: run (an
# mpirun job on this machine, tests/mpirun.sh), a scratch folder $dir
# removed on exit, fail, and exit 77 (skipped) when mimic has no MPI.
here=$(dirname "${BASH_SOURCE[0]}")
run() { bash "$here/mpirun.sh" "$@"; }
. "$here/prelude.sh"
run 1 true || exit $? # 77 when built without MPI

# A copy of dataset folder SRC cut to half its bytes ends a 2-rank job of
# mimic ARGS... --data COPY -o OUT with an error naming the file, without a
# hang (timeout) and without writing OUT: truncated_refused SRC OUT ARGS...
truncated_refused() {
  local src=$1 out=$2 copy="$dir/truncated" rc
  shift 2
  rm -rf "$copy" && cp -r "$src" "$copy"
  local f="$copy/data/main_data.hdf5"
  head -c $(($(stat -c %s "$f") / 2)) "$f" > "$f.half" && mv "$f.half" "$f"
  set +e
  timeout 300 bash "$here/mpirun.sh" 2 "$mimic" "$@" --data "$copy" -o "$out" --quiet \
    > /dev/null 2> "$dir/err"
  rc=$?
  set -e
  [ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "a truncated dataset: exit $rc"
  grep -q "error on rank [01] of 2: .*$f" "$dir/err" || fail "truncated: $(cat "$dir/err")"
  [ ! -e "$out" ] || fail "a policy was written from a truncated dataset"
}
