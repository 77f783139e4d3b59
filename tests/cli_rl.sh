#!/usr/bin/env bash
# The reinforcement-learning commands end to end, on short budgets:
# train ppo (log, plot, policy file that `mimic eval` reads, same seed =
# same file), train gail and airl from demonstrations (reward files),
# train ppo --reward on a learned reward, train preferences (its reward
# file trains PPO), train bco on a dataset stripped of its actions, train sqil, train density,
# train maxent-irl (heat map,
# JSON, expert match), refine a clone of a noisy expert; bad flags.
set -euo pipefail
mimic=$1
. "$(dirname "$0")/prelude.sh"

# PPO solves CartPole-v1 (the preset's 100k steps)
json=$("$mimic" train ppo --env CartPole-v1 -o "$dir/ppo.mimic" --log "$dir/ppo.csv" --plot "$dir/ppo.png" \
  --eval-every 20 --json)
[ -s "$dir/ppo.png" ] || fail "no plot"
head -1 "$dir/ppo.csv" | grep -q "^iteration,timesteps,episodes,ep_return_mean" || fail "log header"
[ "$(wc -l < "$dir/ppo.csv")" -eq 392 ] || fail "the log has not 391 iterations"
ret=$(num "$json" return_mean)
awk -v r="$ret" 'BEGIN { exit !(r >= 475) }' || fail "ppo returned $ret: $json"
"$mimic" eval --policy "$dir/ppo.mimic" --env CartPole-v1 --episodes 10 --quiet > /dev/null || fail "eval"

# same seed, same policy file; another seed, another
"$mimic" train ppo --env CartPole-v1 --steps 4096 -o "$dir/a.mimic" --quiet > /dev/null
"$mimic" train ppo --env CartPole-v1 --steps 4096 -o "$dir/b.mimic" --quiet > /dev/null
"$mimic" train ppo --env CartPole-v1 --steps 4096 --seed 1 -o "$dir/c.mimic" --quiet > /dev/null
cmp -s "$dir/a.mimic" "$dir/b.mimic" || fail "two runs with one seed differ"
cmp -s "$dir/a.mimic" "$dir/c.mimic" && fail "two seeds gave the same policy"

# GAIL from one episode, stopping at the target
"$mimic" collect --env CartPole-v1 --episodes 1 -o "$dir/one" --quiet > /dev/null
json=$("$mimic" train gail --env CartPole-v1 --data "$dir/one" -o "$dir/gail.mimic" --reward-out "$dir/gail_r.mimic" \
  --eval-every 10 --target 475 --json)
[ "$(num "$json" target_reached_at_steps)" != null ] || fail "gail did not reach 475: $json"
[ -s "$dir/gail_r.mimic" ] || fail "no GAIL reward file"

# AIRL's reward g trains a fresh agent
"$mimic" collect --env CartPole-v1 --episodes 10 -o "$dir/ten" --quiet > /dev/null
"$mimic" train airl --env CartPole-v1 --data "$dir/ten" --steps 40000 -o "$dir/airl.mimic" \
  --reward-out "$dir/g.mimic" --shaping-out "$dir/h.mimic" --quiet > /dev/null
json=$("$mimic" train ppo --env CartPole-v1 --reward "$dir/g.mimic" --norm-reward -o "$dir/on_g.mimic" --json --quiet)
echo "$json" | grep -q '"learned_reward": true' || fail "ppo --reward: $json"
"$mimic" train ppo --env Pendulum-v1 --reward "$dir/g.mimic" -o "$dir/x.mimic" 2> "$dir/err" && fail "wrong env"
grep -q "reads observations of 4 values" "$dir/err" || fail "message: $(cat "$dir/err")"

# MaxEnt IRL on a gridworld
json=$("$mimic" train maxent-irl --env MiniGrid-Empty-8x8-v0 --heatmap "$dir/heat.png" -o "$dir/reward.json" \
  --log "$dir/irl.csv" --plot "$dir/irl.png" --json)
[ -s "$dir/heat.png" ] && [ -s "$dir/irl.png" ] || fail "no heat map or curve"
grep -q '"format": "mimic-tabular-reward-1"' "$dir/reward.json" || fail "reward JSON"
match=$(num "$json" expert_match)
awk -v r="$match" 'BEGIN { exit !(r >= 0.95) }' || fail "expert match $match"

# clone a noisy expert, then refine past it
noisy=$(num "$("$mimic" collect --env Pendulum-v1 --episodes 20 --epsilon 0.5 -o "$dir/noisy" --json --quiet)" \
  return_mean)
"$mimic" train bc --data "$dir/noisy" -o "$dir/bc.mimic" --quiet > /dev/null
json=$("$mimic" refine --policy "$dir/bc.mimic" --env Pendulum-v1 --steps 50000 -o "$dir/refined.mimic" --json --quiet)
ret=$(num "$json" return_mean)
clone=$(num "$json" clone_return)
awk -v r="$ret" -v c="$clone" -v n="$noisy" 'BEGIN { exit !(r > c + 100 && r > n + 100) }' ||
  fail "refined $ret, clone $clone, noisy expert $noisy"
# one normalised score: refine and eval, with any episodes and seed, score
# against the same references (the environment's, not the evaluation's)
refs() { echo "$(num "$1" expert_return) $(num "$1" random_return)"; }
want=$(refs "$json")
for flags in "--episodes 10 --seed 5" "--episodes 100"; do
  # shellcheck disable=SC2086
  e=$("$mimic" eval --policy "$dir/refined.mimic" --env Pendulum-v1 $flags --json --quiet)
  [ "$(refs "$e")" = "$want" ] || fail "eval $flags references $(refs "$e"), refine $want"
done

# bad flags: exit code 2 with a message
# preferences (short: the full bar is in test_algo_preferences): the reward
# file trains PPO, the JSON counts the comparisons kept
json=$("$mimic" train preferences --env CartPole-v1 --env-opts fixed_horizon=1 --comparisons 60 \
  --iterations 2 --fragment-length 20 --initial-epoch-multiplier 5 --steps 1024 \
  -o "$dir/pref.mimic" --reward-out "$dir/pref_r.mimic" --json)
[ "$(num "$json" comparisons)" = 60 ] || fail "preferences: $json"
"$mimic" train ppo --env CartPole-v1 --reward "$dir/pref_r.mimic" --steps 1024 -o "$dir/on_pref.mimic" \
  --quiet > /dev/null || fail "ppo on the preference reward"

# observations only: strip the actions, BC refuses, BCO clones
"$mimic" dataset strip-actions "$dir/one" -o "$dir/obs-only" > /dev/null
json=$("$mimic" train bco --data "$dir/obs-only" --pre-steps 2000 --iterations 1 -o "$dir/bco.mimic" --json | tr -d "\n")
[ "$(num "$json" interactions)" = 2200 ] || fail "bco interactions: $json"
"$mimic" eval --policy "$dir/bco.mimic" --env CartPole-v1 --episodes 2 --quiet > /dev/null || fail "eval bco"

# SQIL: a short run writes a policy eval runs; the JSON says how many steps it took
json=$("$mimic" train sqil --data "$dir/one" --steps 1500 --learning-starts 500 -o "$dir/sqil.mimic" --json | tr -d "\n")
[ "$(num "$json" steps)" = 1500 ] || fail "sqil steps: $json"
"$mimic" eval --policy "$dir/sqil.mimic" --env CartPole-v1 --episodes 2 --quiet > /dev/null || fail "eval sqil"

# density: PPO on the demonstrations' log density; the policy says what it learned from
json=$("$mimic" train density --data "$dir/one" --steps 2048 -o "$dir/density.mimic" --json | tr -d "\n")
case "$json" in *'"floor":'*) ;; *) fail "density JSON: $json" ;; esac
"$mimic" model info "$dir/density.mimic" | grep -q density || fail "density metadata"

set +e
"$mimic" train bc --data "$dir/obs-only" -o x 2> "$dir/err"; [ $? -eq 1 ] || fail "bc on observations only"
grep -q "train bco" "$dir/err" || fail "message: $(cat "$dir/err")"
"$mimic" train bco --data "$dir/obs-only" -o x --alpha -1 2> /dev/null; [ $? -eq 2 ] || fail "alpha -1"
"$mimic" train sqil --data "$dir/one" -o x --temperature 0 2> "$dir/err"; [ $? -eq 2 ] || fail "sqil T 0"
grep -q temperature "$dir/err" || fail "sqil message: $(cat "$dir/err")"
"$mimic" train sqil --data "$dir/one" --env Pendulum-v1 -o x 2> "$dir/err"; [ $? -eq 1 ] || fail "sqil on a Box"
grep -q Discrete "$dir/err" || fail "sqil Box message: $(cat "$dir/err")"
"$mimic" train density --data "$dir/one" -o x --inputs everything 2> /dev/null; [ $? -eq 2 ] || fail "density inputs"
"$mimic" train density --data "$dir/one" -o x --env Acrobot-v1 2> "$dir/err"; [ $? -eq 1 ] || fail "density env"
grep -q "observations of 4" "$dir/err" || fail "density env message: $(cat "$dir/err")"
"$mimic" train preferences --env CartPole-v1 -o x --pairs sideways 2> "$dir/err"; [ $? -eq 2 ] || fail "pairs"
"$mimic" train preferences --env CartPole-v1 -o x --pairs disagreement --ensemble 1 2> "$dir/err"
[ $? -eq 2 ] || fail "disagreement without an ensemble"
grep -q "ensemble" "$dir/err" || fail "message: $(cat "$dir/err")"
"$mimic" train preferences --env CartPole-v1 -o x --gatherer wizard 2> /dev/null; [ $? -eq 2 ] || fail "gatherer"
"$mimic" train ppo --env CartPole-v1 > /dev/null 2>&1; [ $? -eq 2 ] || fail "missing -o is not a usage error"
"$mimic" train ppo --env CartPole-v1 -o x --gamma 2 2> "$dir/err"; [ $? -eq 2 ] || fail "gamma 2"
grep -q "gamma" "$dir/err" || fail "message: $(cat "$dir/err")"
"$mimic" train ppo --env CartPole-v1 -o x --hidden 64,x 2> /dev/null; [ $? -eq 2 ] || fail "bad --hidden"
"$mimic" refine --policy "$dir/bc.mimic" --env Pendulum-v1 -o x --anchor wrong 2> /dev/null; [ $? -eq 2 ] || fail "anchor"
"$mimic" refine --policy "$dir/bc.mimic" --env CartPole-v1 -o x --steps 100 2> "$dir/err"; [ $? -eq 1 ] || fail "misfit"
"$mimic" train maxent-irl --env MiniGrid-DoorKey-5x5-v0 2> "$dir/err"; [ $? -eq 1 ] || fail "doors"
"$mimic" train gail --env CartPole-v1 --data "$dir/noisy" -o x 2> "$dir/err"; [ $? -eq 1 ] || fail "wrong demos"
grep -q "demonstrations" "$dir/err" || fail "message: $(cat "$dir/err")"
set -e
echo "cli_rl: ok"
