#!/usr/bin/env bash
# Data-parallel PPO under mpirun (docs/cluster.md; skipped, 77, without
# MPI): 2 ranks of 4 CartPole environments are the run of one process's 8
# environments (the preset) up to float summation order (test_mpi_ppo
# compares the parameters); end to end, the one-process run of this budget
# scores 500 (tests/cli_rl.sh checks it reaches 475), and so must this one.
set -euo pipefail
mimic=$1
here=$(dirname "$0")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
bash "$here/mpirun.sh" 1 true || exit $?

bash "$here/mpirun.sh" 2 "$mimic" train ppo --env CartPole-v1 --envs 4 \
  -o "$dir/ppo.mimic" --log "$dir/ppo.csv" --json > "$dir/out"
[ "$(grep -c '"policy"' "$dir/out")" = 1 ] || fail "not one summary (rank 0's): $(cat "$dir/out")"
grep -q '"steps": 100096' "$dir/out" || fail "the budget counts both ranks' steps: $(cat "$dir/out")"
ret=$(sed -E 's/.*"return_mean": ([0-9.]+).*/\1/' "$dir/out")
awk -v r="$ret" 'BEGIN { exit !(r >= 475) }' || fail "2-rank PPO returned $ret"
"$mimic" model info "$dir/ppo.mimic" | grep -Eq '^ +ranks +2$' ||
  fail "the policy file does not record its 2 ranks"
# observation statistics from every rank's observations (the preset has none)
bash "$here/mpirun.sh" 2 "$mimic" train ppo --env CartPole-v1 --envs 4 --norm-obs \
  --steps 4096 -o "$dir/norm.mimic" --quiet > /dev/null
"$mimic" model info "$dir/norm.mimic" | grep -Eq '^ +obs_norm +eps ' ||
  fail "no observation statistics: $("$mimic" model info "$dir/norm.mimic" | grep obs_norm)"

# reward normalisation (Pendulum's preset) takes every rank's returns in
# rank order: the ranks' statistics agree, so a rerun writes the same bytes
for k in a b; do
  bash "$here/mpirun.sh" 2 "$mimic" train ppo --env Pendulum-v1 --steps 4096 -o "$dir/p$k.mimic" \
    --quiet > /dev/null
done
cmp -s "$dir/pa.mimic" "$dir/pb.mimic" || fail "two 2-rank runs with reward normalisation differ"
echo "ok: 2-rank PPO returned $ret"
