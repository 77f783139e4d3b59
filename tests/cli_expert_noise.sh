#!/usr/bin/env bash
# A stochastic expert's data teach recovery: on LaneKeepContinuous-v0 (built
# so that a clone of the deterministic expert drifts off the road), BC on
# the expert's episodes recorded with Gaussian action noise (--action-noise,
# D4RL's sampled experts) keeps the car on the road, BC on the noiseless
# episodes does not. The same seed gives the same data; noise is refused
# where it has no meaning (Discrete or unbounded actions, negative std)
# and nothing is written then.
set -euo pipefail
mimic=$1
. "$(dirname "$0")/prelude.sh"
env=LaneKeepContinuous-v0

score() { # score DATASET OUT: BC on the dataset, normalised score on 20 unseen roads
  "$mimic" train bc --data "$1" -o "$2" --hidden 64,64 --epochs 30 --quiet > /dev/null
  num "$("$mimic" eval --policy "$2" --env $env --episodes 20 --seed 1000 --json)" normalized_score
}

"$mimic" collect --env $env --episodes 13 --seed 100000 -o "$dir/plain" --quiet > /dev/null
"$mimic" collect --env $env --episodes 13 --seed 100000 --action-noise 0.1 -o "$dir/noisy" \
  --quiet > /dev/null
plain=$(score "$dir/plain" "$dir/plain.mimic")
noisy=$(score "$dir/noisy" "$dir/noisy.mimic")
echo "BC normalised score: plain expert $plain, expert with action noise 0.1 $noisy"
awk -v s="$noisy" 'BEGIN { exit !(s >= 0.9) }' || fail "BC on noisy expert data scored $noisy"
awk -v s="$plain" 'BEGIN { exit !(s < 0.9) }' ||
  fail "BC on noiseless expert data scored $plain: the noise would not be what helps"

# the same seed, the same bytes (the same folder name: it is the dataset's id)
mkdir "$dir/again"
"$mimic" collect --env $env --episodes 13 --seed 100000 --action-noise 0.1 -o "$dir/again/noisy" \
  --quiet > /dev/null
cmp -s "$dir/noisy/data/main_data.hdf5" "$dir/again/noisy/data/main_data.hdf5" ||
  fail "one seed gave two noisy datasets"

# dataset generate records the noise in the metadata
"$mimic" dataset generate --env $env --kind expert --transitions 800 --expert-noise 0.1 \
  -o "$dir/gen" --quiet > /dev/null
grep -q '"action_noise": *0.1' "$dir/gen/data/metadata.json" || fail "no action_noise in metadata"

# refusals: exit 2 for a bad flag, 1 for an env that cannot take noise; nothing written
set +e
"$mimic" collect --env $env --episodes 1 --action-noise -1 -o "$dir/neg" > "$dir/out" 2>&1
[ $? -eq 2 ] || fail "negative noise: exit code"
grep -q "action-noise" "$dir/out" || fail "negative noise: message: $(cat "$dir/out")"
"$mimic" collect --env CartPole-v1 --episodes 1 --action-noise 0.1 -o "$dir/disc" > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "Discrete actions: exit code"
grep -q "needs Box actions" "$dir/out" || fail "Discrete actions: message: $(cat "$dir/out")"
"$mimic" dataset generate --env CartPole-v1 --kind expert --transitions 100 --expert-noise 0.1 \
  -o "$dir/gdisc" > "$dir/out" 2>&1
[ $? -eq 1 ] || fail "generate, Discrete actions: exit code"
grep -q "needs Box actions" "$dir/out" || fail "generate, Discrete: message: $(cat "$dir/out")"
set -e
for d in neg disc gdisc; do [ ! -e "$dir/$d" ] || fail "a refused run left $d behind"; done
echo "ok"
