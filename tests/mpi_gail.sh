#!/usr/bin/env bash
# Data-parallel GAIL under mpirun (docs/cluster.md; skipped, 77, without
# MPI): each rank's generator steps environments of its own (PPO's
# data-parallel update), each rank samples its own expert and generator
# batches for the discriminator, whose gradient is averaged over the ranks
# in one all-reduce a step; the reward normalisation and the
# discriminator's input statistics take every rank's numbers in rank order.
# The ranks sample their own streams, so the tolerance is the outcome: 2
# ranks of 4 CartPole environments reach the target 475 from one
# demonstration, as one process's 8 do (tests/cli_rl.sh); rank 0 writes
# one policy and one reward file, and a rerun writes the same bytes; a
# killed run resumes from its checkpoint to the same bytes.
set -euo pipefail
mimic=$1
source "$(dirname "$0")/mpi_prelude.sh"
"$mimic" collect --env CartPole-v1 --episodes 1 -o "$dir/one" --quiet > /dev/null
args=(train gail --env CartPole-v1 --data "$dir/one" --envs 4 --batch-size 128 --eval-every 10
  --target 475)
run 2 "$mimic" "${args[@]}" -o "$dir/g.mimic" --reward-out "$dir/r.mimic" --json > "$dir/out"
[ "$(grep -c '"policy"' "$dir/out")" = 1 ] || fail "not one summary (rank 0's): $(cat "$dir/out")"
grep -q '"target_reached_at_steps": [0-9]' "$dir/out" || fail "2-rank GAIL did not reach 475: $(cat "$dir/out")"
[ -s "$dir/r.mimic" ] || fail "no reward file"
"$mimic" model info "$dir/g.mimic" | grep -Eq '^ +ranks +2$' || fail "the policy does not record 2 ranks"
run 2 "$mimic" "${args[@]}" -o "$dir/again.mimic" --quiet > /dev/null
cmp -s "$dir/g.mimic" "$dir/again.mimic" || fail "two 2-rank GAIL runs with one seed differ"
# a 2-rank run killed after iteration 4 resumes (every rank its part of
# rank 0's checkpoint) to the policy of an uninterrupted run
ck=(train gail --env CartPole-v1 --data "$dir/one" --envs 4 --batch-size 128 --steps 8192 --quiet)
run 2 "$mimic" "${ck[@]}" -o "$dir/whole.mimic" > /dev/null
set +e
MIMIC_TEST_KILL_AT=4 run 2 "$mimic" "${ck[@]}" -o "$dir/cut.mimic" --checkpoint "$dir/ck" \
  --checkpoint-every 1 > /dev/null 2>&1
rc=$?
set -e
[ $rc -ne 0 ] && [ -s "$dir/ck" ] || fail "the job told to die after iteration 4 exited $rc"
run 2 "$mimic" "${ck[@]}" -o "$dir/cut.mimic" --checkpoint "$dir/ck" --resume > /dev/null
cmp -s "$dir/whole.mimic" "$dir/cut.mimic" || fail "the resumed 2-rank GAIL run differs"
# AIRL stays on one process, and says so
set +e
run 2 "$mimic" train airl --env CartPole-v1 --data "$dir/one" -o "$dir/x.mimic" --quiet \
  > /dev/null 2> "$dir/err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "AIRL ran on 2 ranks"
grep -q "share their work out over ranks" "$dir/err" || fail "message: $(cat "$dir/err")"
echo "ok: 2-rank GAIL reached 475 at $(sed -E 's/.*"target_reached_at_steps": ([0-9]+).*/\1/' "$dir/out") steps"
