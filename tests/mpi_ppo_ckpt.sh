#!/usr/bin/env bash
# Multi-rank PPO checkpoints (docs/cluster.md), under mpirun on this
# machine only (tests/mpirun.sh; skipped, 77, without MPI): rank 0 writes
# one file holding every rank's part (each rank steps environments of its
# own), every rank restores its part, and a 2-rank run killed after
# iteration 5 and resumed writes the same policy file, byte for byte, as a
# 2-rank run that never stopped. A checkpoint of 2 ranks is refused on 1
# rank and on 3, and a one-process checkpoint on 2, naming the counts.
set -euo pipefail
mimic=$1
source "$(dirname "$0")/mpi_prelude.sh"
base=(train ppo --env CartPole-v1 --envs 2 --batch-size 64)
args=("${base[@]}" --steps 4096)
run 2 "$mimic" "${args[@]}" -o "$dir/whole.mimic" --quiet > /dev/null
set +e
MIMIC_TEST_KILL_AT=5 run 2 "$mimic" "${args[@]}" -o "$dir/cut.mimic" \
  --checkpoint "$dir/ck" --checkpoint-every 1 --quiet > /dev/null 2> "$dir/err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "the job told to die after iteration 5 exited 0"
[ -s "$dir/ck" ] && [ ! -e "$dir/cut.mimic" ] || fail "no checkpoint, or a policy: $(cat "$dir/err")"
cp "$dir/ck" "$dir/ck2"
# another number of ranks is refused, and the checkpoint kept
for np in 1 3; do
  set +e
  run $np "$mimic" "${args[@]}" -o "$dir/x.mimic" --checkpoint "$dir/ck" --resume \
    > /dev/null 2> "$dir/err"
  rc=$?
  set -e
  [ $rc -ne 0 ] || fail "a 2-rank checkpoint resumed on $np ranks"
  grep -q "written by a job of 2 ranks, resumed on $np" "$dir/err" || fail "message: $(cat "$dir/err")"
done
cmp -s "$dir/ck" "$dir/ck2" || fail "a refused resume changed the checkpoint"
out=$(run 2 "$mimic" "${args[@]}" -o "$dir/cut.mimic" --checkpoint "$dir/ck" --checkpoint-every 1 \
  --resume 2>&1)
echo "$out" | grep -q "at step .* (iteration 5)" || fail "no resume note: $out"
cmp -s "$dir/whole.mimic" "$dir/cut.mimic" || fail "the resumed 2-rank run differs from the whole one"
# a one-process checkpoint is not a 2-rank one
"$mimic" "${base[@]}" --steps 512 -o "$dir/one.mimic" --checkpoint "$dir/one.ck" --quiet > /dev/null
set +e
run 2 "$mimic" "${args[@]}" -o "$dir/x.mimic" --checkpoint "$dir/one.ck" --resume \
  > /dev/null 2> "$dir/err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "a one-process checkpoint resumed on 2 ranks"
grep -q "written by a job of 1 rank, resumed on 2" "$dir/err" || fail "message: $(cat "$dir/err")"
echo "ok: a 2-rank PPO run killed after iteration 5 resumed to the uninterrupted policy"
