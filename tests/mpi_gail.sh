#!/usr/bin/env bash
# Data-parallel GAIL under mpirun (docs/cluster.md; skipped, 77, without
# MPI): `mpirun -np S mimic train gail --envs n` is the run one process
# makes with --envs S*n, up to float summation order. Each rank steps its
# share of the environments (PPO's data-parallel update), reads only its
# shard of the demonstrations (5 episodes, uneven over 2 and 4 ranks), and
# every rank draws the one process's discriminator batches, computes on its
# share of each and adds its gradient in one all-reduce a step
# (test_mpi_gail checks the library, statistics included). Here the
# command: 8 rounds of 8
# CartPole environments on 1 process, 2 ranks of 4 and 4 ranks of 2 write
# policies and reward files within 1e-4 of each other (measured: 3e-7 at
# most; a discriminator that drew batches of its own on each rank, as
# before, was off by 1e-2). Trajectories split by float summation order
# apart over longer runs (an action sampled the other way), so the runs
# are short. Also: one summary, counting the whole file's demonstrations
# as one process does, a rerun writes the same bytes, a killed run resumes
# from its checkpoint to the same bytes, a truncated file and fewer
# episodes than ranks are refused naming the file, AIRL is refused.
set -euo pipefail
mimic=$1
source "$(dirname "$0")/mpi_prelude.sh"
"$mimic" collect --env CartPole-v1 --episodes 5 -o "$dir/five" --quiet > /dev/null
args=(train gail --env CartPole-v1 --data "$dir/five" --batch-size 128 --steps 2048)
"$mimic" "${args[@]}" --envs 8 -o "$dir/g1.mimic" --reward-out "$dir/r1.mimic" --json > "$dir/out1"
run 2 "$mimic" "${args[@]}" --envs 4 -o "$dir/g2.mimic" --reward-out "$dir/r2.mimic" \
  --json > "$dir/out"
[ "$(grep -c '"policy"' "$dir/out")" = 1 ] || fail "not one summary (rank 0's): $(cat "$dir/out")"
"$mimic" model info "$dir/g2.mimic" | grep -Eq '^ +ranks +2$' || fail "the policy does not record 2 ranks"
# each rank read only its shard, yet the summary counts the whole file's
for key in demo_episodes demo_transitions demo_return; do
  a=$(sed -E "s/.*\"$key\": ([0-9.e+-]+).*/\1/" "$dir/out1")
  b=$(sed -E "s/.*\"$key\": ([0-9.e+-]+).*/\1/" "$dir/out")
  [ "$a" = "$b" ] || fail "$key: one process $a, 2 ranks $b"
done
run 4 "$mimic" "${args[@]}" --envs 2 -o "$dir/g4.mimic" --reward-out "$dir/r4.mimic" --quiet \
  > /dev/null
diffs=""
for s in 2 4; do
  for k in g r; do
    d=$(python3 "$here/model_diff.py" "$dir/${k}1.mimic" "$dir/$k$s.mimic")
    diffs="$diffs $k$s ${d%% *}"
    awk -v d="${d%% *}" 'BEGIN { exit !(d <= 1e-4) }' ||
      fail "$s ranks' $([ $k = g ] && echo policy || echo reward) differs from one process's: $d"
  done
done
run 2 "$mimic" "${args[@]}" --envs 4 -o "$dir/again.mimic" --quiet > /dev/null
cmp -s "$dir/g2.mimic" "$dir/again.mimic" || fail "two 2-rank GAIL runs with one seed differ"
# a 2-rank run killed after iteration 4 resumes (every rank its part of
# rank 0's checkpoint) to the policy of an uninterrupted run
ck=(train gail --env CartPole-v1 --data "$dir/five" --envs 4 --batch-size 128 --steps 8192 --quiet)
run 2 "$mimic" "${ck[@]}" -o "$dir/whole.mimic" > /dev/null
set +e
MIMIC_TEST_KILL_AT=4 run 2 "$mimic" "${ck[@]}" -o "$dir/cut.mimic" --checkpoint "$dir/ck" \
  --checkpoint-every 1 > /dev/null 2>&1
rc=$?
set -e
[ $rc -ne 0 ] && [ -s "$dir/ck" ] || fail "the job told to die after iteration 4 exited $rc"
run 2 "$mimic" "${ck[@]}" -o "$dir/cut.mimic" --checkpoint "$dir/ck" --resume > /dev/null
cmp -s "$dir/whole.mimic" "$dir/cut.mimic" || fail "the resumed 2-rank GAIL run differs"
# a truncated file ends the job with an error naming it, no rank left
# waiting and no policy written; so do fewer episodes than ranks
truncated_refused "$dir/five" "$dir/trunc.mimic" train gail --env CartPole-v1 --envs 4
"$mimic" collect --env CartPole-v1 --episodes 1 -o "$dir/one" --quiet > /dev/null
set +e
run 2 "$mimic" train gail --env CartPole-v1 --data "$dir/one" --envs 4 -o "$dir/x.mimic" --quiet \
  > /dev/null 2> "$dir/err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "1 episode on 2 ranks ran"
grep -q "1 episodes cannot be shared out over 2 ranks" "$dir/err" || fail "$(cat "$dir/err")"
# AIRL stays on one process, and says so
set +e
run 2 "$mimic" train airl --env CartPole-v1 --data "$dir/one" -o "$dir/x.mimic" --quiet \
  > /dev/null 2> "$dir/err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "AIRL ran on 2 ranks"
grep -q "share their work out over ranks" "$dir/err" || fail "message: $(cat "$dir/err")"
echo "ok: GAIL on 2 and 4 ranks is one process's run; max |difference| (policy g, reward r):$diffs"
