#!/usr/bin/env bash
# Off-policy and offline RL end to end, on short budgets: train sac and
# td3 (CSV log, a policy file `mimic eval` runs, same seed = same file),
# SAC with gSDE (same seed = same file, resumed mid-rollout bit for bit),
# dataset generate (Minari metadata with the kind and reference returns,
# exactly N transitions), train td3bc and iql from a generated dataset;
# train dqn, and train cql and discrete-bc on a CartPole dataset;
# bad flags and bad data are refused with a message.
set -euo pipefail
mimic=$1
. "$(dirname "$0")/prelude.sh"

# SAC and TD3 run, log, save; the file evaluates; one seed, one file
for algo in sac td3; do
  json=$("$mimic" train $algo --env Pendulum-v1 --steps 400 --hidden 16,16 --batch-size 32 \
    -o "$dir/$algo.mimic" --log "$dir/$algo.csv" --log-every 100 --episodes 2 \
    --eval-every 200 --eval-episodes 1 --plot "$dir/$algo.png" --json)
  [ -s "$dir/$algo.png" ] || fail "$algo: no chart"
  [ "$(num "$json" steps)" = 400 ] || fail "$algo steps: $json"
  head -1 "$dir/$algo.csv" | grep -q "^step,updates,episodes,ep_return_mean" || fail "$algo log header"
  [ "$(wc -l < "$dir/$algo.csv")" -eq 5 ] || fail "$algo log rows"
  "$mimic" eval --policy "$dir/$algo.mimic" --env Pendulum-v1 --episodes 2 --quiet > /dev/null ||
    fail "eval $algo"
  "$mimic" train $algo --env Pendulum-v1 --steps 400 --hidden 16,16 --batch-size 32 \
    -o "$dir/${algo}2.mimic" --episodes 1 --quiet > /dev/null
  cmp -s "$dir/$algo.mimic" "$dir/${algo}2.mimic" || fail "two $algo runs with one seed differ"
done
"$mimic" model info "$dir/sac.mimic" | grep -q squash || fail "model info does not show the squash"

# SAC with gSDE (rl-zoo's MountainCarContinuous flags, small networks): one
# seed, one file; a run stopped mid-rollout resumes bit for bit
sde=(train sac --env MountainCarContinuous-v0 --sde --log-std-init -3.67 --hidden 16,16
  --batch-size 32 --ent-coef 0.1 --train-freq 32 --gradient-steps 32 --learning-starts 0
  --episodes 1 --quiet)
"$mimic" "${sde[@]}" --steps 300 -o "$dir/sde.mimic" > /dev/null
"$mimic" "${sde[@]}" --steps 300 -o "$dir/sde2.mimic" > /dev/null
cmp -s "$dir/sde.mimic" "$dir/sde2.mimic" || fail "two gSDE runs with one seed differ"
rc=0 # killed at step 150 = 4 x 32 + 22, mid-rollout
MIMIC_TEST_KILL_AT=150 "$mimic" "${sde[@]}" --steps 300 -o "$dir/sde3.mimic" \
  --checkpoint "$dir/sde.ckpt" --checkpoint-every 50 > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 137 ] || fail "gSDE: exit $rc instead of being killed at step 150"
"$mimic" "${sde[@]}" --steps 300 -o "$dir/sde3.mimic" --checkpoint "$dir/sde.ckpt" --resume \
  > /dev/null
cmp -s "$dir/sde.mimic" "$dir/sde3.mimic" || fail "gSDE: the resumed run differs"
"$mimic" "${sde[@]}" --steps 300 --sde-sample-freq 4 -o "$dir/sde4.mimic" > /dev/null
cmp -s "$dir/sde.mimic" "$dir/sde4.mimic" && fail "--sde-sample-freq changed nothing"

# datasets of known quality
json=$("$mimic" dataset generate --env Pendulum-v1 --kind random --transitions 450 -o "$dir/rand" --json)
[ "$(num "$json" transitions)" = 450 ] || fail "random transitions: $json"
grep -q '"kind": *"random"' "$dir/rand/data/metadata.json" || fail "no kind in metadata"
grep -q '"ref_min_score"' "$dir/rand/data/metadata.json" || fail "no ref_min_score"
"$mimic" dataset validate "$dir/rand" > /dev/null || fail "the generated dataset does not validate"
"$mimic" dataset generate --env Pendulum-v1 --kind expert --transitions 1000 -o "$dir/exp" --quiet > /dev/null

# offline learners on it (a few steps: CQL scores 30 sampled actions per state)
for algo in td3bc iql cql; do
  json=$("$mimic" train $algo --data "$dir/exp" --steps 200 --hidden 16,16 --batch-size 32 \
    -o "$dir/$algo.mimic" --episodes 2 --json)
  [ "$(num "$json" steps)" = 200 ] || fail "$algo steps: $json"
  echo "$json" | grep -q '"env": "Pendulum-v1"' || fail "$algo did not take the env from the dataset"
done

# a run resumed from a checkpoint ends where a straight run ends, bit for bit
for algo in td3bc iql cql; do
  common=(train $algo --data "$dir/exp" --hidden 16,16 --batch-size 32 --episodes 1 --quiet)
  "$mimic" "${common[@]}" --steps 60 -o "$dir/straight.mimic" > /dev/null
  "$mimic" "${common[@]}" --steps 25 -o "$dir/part.mimic" --checkpoint "$dir/$algo.ckpt" > /dev/null
  "$mimic" "${common[@]}" --steps 60 -o "$dir/resumed.mimic" --checkpoint "$dir/$algo.ckpt" \
    --checkpoint-every 10 --resume > /dev/null
  cmp -s "$dir/straight.mimic" "$dir/resumed.mimic" || fail "$algo: the resumed run differs"
  cmp -s "$dir/straight.mimic" "$dir/part.mimic" && fail "$algo: 25 steps gave the 60-step policy"
done
if out=$("$mimic" train iql --data "$dir/exp" --hidden 8,8 --batch-size 32 --steps 60 -o "$dir/x.mimic" \
  --checkpoint "$dir/iql.ckpt" --resume 2>&1); then fail "resumed into other widths"; fi
echo "$out" | grep -q "hidden" || fail "the refusal does not name the widths: $out"

# the experiment's table (tiny budgets: this checks the plumbing, not the scores)
json=$("$mimic" experiment offline --env Pendulum-v1 --kinds random,expert --algos bc,iql --seeds 2 \
  --transitions 400 --steps 20 --hidden 8,8 --episodes 1 --plot "$dir/offline.png" --json)
echo "$json" | grep -q '"random": {"data": \[' || fail "experiment: no random row: $json"
echo "$json" | grep -q '"expert": {.*"iql": \[' || fail "experiment: no iql cell: $json"
# every cell's seeds, whose mean is the table's
echo "$json" | /usr/bin/python3 -c '
import json, sys
o = json.load(sys.stdin)
for kind, row in o["scores"].items():
    for name, (mean, _) in row.items():
        seeds = o["per_seed"][kind][name]
        assert len(seeds) == o["seeds"], (kind, name, seeds)
        assert abs(sum(seeds) / len(seeds) - mean) <= 1e-9 * max(1, abs(mean)), (kind, name, seeds, mean)
' || fail "experiment: per_seed does not give the table's cells: $json"
[ -s "$dir/offline.png" ] || fail "experiment: no chart"
expect_fail_early() { if "$@" > /dev/null 2>&1; then fail "accepted: $*"; fi; }
expect_fail_early "$mimic" experiment offline --env Pendulum-v1 --algos sac

# Discrete actions: DQN online, a medium-replay set made by DQN, discrete
# CQL (chosen by train cql from the dataset) and discrete BC on it, a
# discrete CQL run resumed bit for bit, and the experiment's discrete rows
json=$("$mimic" train dqn --env CartPole-v1 --steps 600 --hidden 16,16 --learning-starts 100 \
  -o "$dir/dqn.mimic" --log "$dir/dqn.csv" --log-every 200 --episodes 2 --json)
[ "$(num "$json" steps)" = 600 ] || fail "dqn steps: $json"
[ "$(wc -l < "$dir/dqn.csv")" -eq 4 ] || fail "dqn log rows"
"$mimic" model info "$dir/dqn.mimic" | grep -qi categorical || fail "dqn's file is no Categorical model"
"$mimic" dataset generate --env CartPole-v1 --kind medium-replay -o "$dir/cpmr" --hidden 32,32 \
  --quiet > /dev/null
grep -q '"algorithm": *"dqn"' "$dir/cpmr/data/metadata.json" || fail "the medium policy is not DQN's"
for algo in cql discrete-bc; do
  json=$("$mimic" train $algo --data "$dir/cpmr" --steps 200 --hidden 16,16 -o "$dir/d$algo.mimic" \
    --episodes 2 --json)
  [ "$(num "$json" steps)" = 200 ] || fail "$algo on CartPole: $json"
done
"$mimic" model info "$dir/dcql.mimic" | grep -q "discrete-cql" || fail "train cql did not pick DiscreteCQL"
common=(train cql --data "$dir/cpmr" --hidden 16,16 --target-update-interval 20 --episodes 1 --quiet)
"$mimic" "${common[@]}" --steps 60 -o "$dir/straight.mimic" > /dev/null
"$mimic" "${common[@]}" --steps 25 -o "$dir/part.mimic" --checkpoint "$dir/dcql.ckpt" > /dev/null
"$mimic" "${common[@]}" --steps 60 -o "$dir/resumed.mimic" --checkpoint "$dir/dcql.ckpt" --resume \
  > /dev/null
cmp -s "$dir/straight.mimic" "$dir/resumed.mimic" || fail "discrete cql: the resumed run differs"
json=$("$mimic" experiment offline --env CartPole-v1 --kinds random --seeds 1 --transitions 300 \
  --steps 20 --hidden 8,8 --episodes 1 --json)
echo "$json" | grep -q '"random": {.*"bc": \[.*"cql": \[' || fail "experiment on CartPole: $json"
expect_fail_early "$mimic" experiment offline --env CartPole-v1 --kinds random --algos iql --seeds 1 \
  --transitions 300 --steps 20 --episodes 1

# refusals
expect_fail() {
  local want=$1
  shift
  if out=$("$@" 2>&1); then fail "accepted: $*"; fi
  echo "$out" | grep -q "$want" || fail "'$*' said: $out"
}
expect_fail "kind" "$mimic" dataset generate --env Pendulum-v1 --kind great --transitions 10 -o "$dir/x"
expect_fail "transitions" "$mimic" dataset generate --env Pendulum-v1 --kind random -o "$dir/x"
expect_fail "Discrete" "$mimic" train sac --env CartPole-v1 -o "$dir/x.mimic" --steps 10
expect_fail "Box" "$mimic" train dqn --env Pendulum-v1 -o "$dir/x.mimic" --steps 10
expect_fail "Box" "$mimic" train discrete-bc --data "$dir/exp" -o "$dir/x.mimic" --steps 10
expect_fail "data" "$mimic" train td3bc -o "$dir/x.mimic"
"$mimic" collect --env CartPole-v1 --episodes 1 -o "$dir/cp" --quiet > /dev/null
expect_fail "Discrete" "$mimic" train iql --data "$dir/cp" -o "$dir/x.mimic" --steps 10
expect_fail "add --sde" "$mimic" train sac --env MountainCarContinuous-v0 --log-std-init -2 \
  -o "$dir/x.mimic" --steps 10
expect_fail "ent-coef" "$mimic" train sac --env Pendulum-v1 --ent-coef hot -o "$dir/x.mimic"
expect_fail "sde_sample_freq" "$mimic" train sac --env Pendulum-v1 --sde --sde-sample-freq 0 \
  -o "$dir/x.mimic"
expect_fail "gSDE" "$mimic" dataset generate --env MountainCarContinuous-v0 --kind medium \
  --transitions 100 --sac-steps 200 -o "$dir/x"
expect_fail "exists" "$mimic" dataset generate --env Pendulum-v1 --kind random --transitions 10 -o "$dir/rand"
echo "cli_offline: ok"
