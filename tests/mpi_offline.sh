#!/usr/bin/env bash
# Data-parallel TD3+BC and IQL end to end (docs/cluster.md), under mpirun on
# this machine only (tests/mpirun.sh; skipped, 77, without MPI):
# - train td3bc and iql on 2 ranks write one policy (rank 0's summary
#   says 2 ranks), the same bits on a rerun;
# - a 2-rank run stopped after a checkpoint and resumed (every rank
#   restores rank 0's file) ends with the very policy of a run that was
#   never interrupted;
# - each rank reads its shard of the episodes (fewer episodes than ranks
#   is refused).
# tests/test_mpi_offline.c compares the parameters with one process's.
set -euo pipefail
mimic=$1
source "$(dirname "$0")/mpi_prelude.sh"
"$mimic" collect --env Pendulum-v1 --episodes 3 --seed 0 -o "$dir/demos" --quiet > /dev/null
base=(--data "$dir/demos" --batch-size 64 --hidden 32,32 --episodes 2 --quiet)
common=("${base[@]}" --steps 600)

for algo in td3bc iql; do
  run 2 "$mimic" train $algo "${common[@]}" -o "$dir/$algo-2.mimic" --json > "$dir/out"
  [ "$(grep -c '"policy"' "$dir/out")" = 1 ] || fail "$algo: not one summary: $(cat "$dir/out")"
  grep -q '"ranks": 2' "$dir/out" || fail "$algo: the summary does not say 2 ranks: $(cat "$dir/out")"
  run 2 "$mimic" train $algo "${common[@]}" -o "$dir/$algo-again.mimic" > /dev/null
  cmp -s "$dir/$algo-2.mimic" "$dir/$algo-again.mimic" || fail "$algo: two 2-rank runs differ"
  # checkpoint every 200 steps; the first run stops at 400, the second resumes to 600
  ck=(--checkpoint "$dir/$algo.ck" --checkpoint-every 200)
  run 2 "$mimic" train $algo "${base[@]}" --steps 400 "${ck[@]}" -o "$dir/$algo-cut.mimic" > /dev/null
  run 2 "$mimic" train $algo "${common[@]}" "${ck[@]}" --resume -o "$dir/$algo-res.mimic" > /dev/null
  cmp -s "$dir/$algo-2.mimic" "$dir/$algo-res.mimic" ||
    fail "$algo: the resumed 2-rank run differs from the uninterrupted one"
done

# each rank reads its shard of the episodes: fewer episodes than ranks is refused
"$mimic" collect --env Pendulum-v1 --episodes 1 --seed 0 -o "$dir/one" --quiet > /dev/null
set +e
run 2 "$mimic" train iql --data "$dir/one" --steps 10 -o "$dir/x.mimic" --quiet 2> "$dir/err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "1 episode was shared out over 2 ranks"
grep -q "1 episodes cannot be shared out over 2 ranks" "$dir/err" || fail "message: $(cat "$dir/err")"
echo "ok: td3bc and iql on 2 ranks (one summary, rerun identical, resume identical)"
