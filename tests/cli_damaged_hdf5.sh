#!/usr/bin/env bash
# Damaged HDF5 files cannot crash mimic: a dataset mimic did not commit (or
# whose main_data.hdf5 changed since) is read in a child process first, and
# a crash there is reported as "the HDF5 library crashed reading FILE: the
# file is damaged" (issue 22). The crash is simulated with
# MIMIC_TEST_HDF5_CRASH; then 80 copies damaged by scripts/mutate-dataset
# must each be accepted or refused with exit 1, never kill the command.
set -u
mimic=$1
here=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/prelude.sh"

"$mimic" collect --env CartPole-v1 --episodes 3 -o "$dir/demos" --quiet > /dev/null || fail "collect"
[ -s "$dir/demos/data/mimic-checksum" ] || fail "no checksum beside the committed main_data.hdf5"
"$mimic" dataset validate "$dir/demos" > /dev/null || fail "a fresh dataset does not validate"

# a crash of the library while reading: contained and reported
for cmd in "dataset validate $dir/demos" "dataset info $dir/demos" \
           "train bc --data $dir/demos -o $dir/p.mimic --epochs 1 --quiet"; do
  MIMIC_CONTAIN=always MIMIC_TEST_HDF5_CRASH=main_data.hdf5 "$mimic" $cmd > /dev/null 2> "$dir/err"
  rc=$?
  [ $rc -eq 1 ] || fail "$cmd: exit $rc, not 1"
  grep -q "the HDF5 library crashed reading $dir/demos/data/main_data.hdf5 (signal 11" "$dir/err" \
    || fail "$cmd: $(cat "$dir/err")"
  grep -q "the file is damaged" "$dir/err" || fail "$cmd: $(cat "$dir/err")"
done
[ ! -e "$dir/p.mimic" ] || fail "a model was written from a damaged dataset"
# a file changed after mimic committed it is no longer trusted: read in a child first
printf 'x' >> "$dir/demos/data/main_data.hdf5"
MIMIC_TEST_HDF5_CRASH=main_data.hdf5 "$mimic" dataset validate "$dir/demos" > /dev/null 2> "$dir/err"
grep -q "the HDF5 library crashed reading" "$dir/err" || fail "a changed file was trusted: $(cat "$dir/err")"

# damaged copies: accepted or refused, the command never dies
python3 "$here/scripts/mutate-dataset" "$dir/demos" "$dir/mut" 80 7 || fail "mutate-dataset"
ok=0 refused=0 crashed=0
for m in "$dir"/mut/m*; do
  "$mimic" dataset validate "$m" > /dev/null 2> "$dir/err"
  rc=$?
  case $rc in
    0) ok=$((ok + 1)) ;;
    1) refused=$((refused + 1)); grep -q "error:" "$dir/err" || fail "$m: exit 1 without a message"
       if grep -q "the HDF5 library crashed" "$dir/err"; then crashed=$((crashed + 1)); fi ;;
    *) fail "$m: dataset validate exited $rc: $(tail -3 "$dir/err")" ;;
  esac
done
echo "80 damaged copies: $ok accepted, $refused refused ($crashed crashed the HDF5 library in the child), none crashed mimic"
[ $refused -ge 20 ] || fail "only $refused of 80 damaged copies were refused"
echo ok
