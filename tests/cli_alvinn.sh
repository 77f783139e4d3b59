#!/usr/bin/env bash
# ALVINN re-created (issue 16): a CNN cloned from the built-in driver's
# camera demonstrations on LaneKeep-v0 obs=camera keeps the car on the road
# on unseen roads; DAgger trains the same network; the policy file says
# what it is and reloads; --policy cnn on non-image observations is a usage
# error naming the fix.
set -euo pipefail
mimic=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
score() { echo "$1" | sed -E 's/.*"normalized_score": ([-0-9.e]+).*/\1/'; }

"$mimic" collect --env LaneKeep-v0 --env-opts obs=camera --episodes 20 --seed 0 -o "$dir/demos" \
  --quiet > /dev/null
"$mimic" train bc --data "$dir/demos" --policy cnn --epochs 5 -o "$dir/cnn.mimic" --quiet > /dev/null
"$mimic" model info "$dir/cnn.mimic" > "$dir/info"
grep -q "Box(shape=(1, 24, 32)" "$dir/info" || fail "model info: $(cat "$dir/info")"
grep -q "conv  *1x24x32, 16 5x5/2, 32 3x3/2, relu" "$dir/info" || fail "model info: $(cat "$dir/info")"
json=$("$mimic" eval --policy "$dir/cnn.mimic" --env LaneKeep-v0 --env-opts obs=camera \
  --episodes 20 --seed 500 --json --quiet)
echo "$json" | grep -q '"policy": "cnn 1x24x32-c16k5s2-c32k3s2-64-7 relu categorical"' \
  || fail "description: $json"
s=$(score "$json")
awk -v s="$s" 'BEGIN { exit !(s >= 0.9) }' || fail "the cloned CNN scored $s on unseen roads"

# the same seed trains the same network, bit for bit
"$mimic" train bc --data "$dir/demos" --policy cnn --epochs 5 -o "$dir/cnn2.mimic" --quiet > /dev/null
cmp -s "$dir/cnn.mimic" "$dir/cnn2.mimic" || fail "two trainings with one seed differ"

# DAgger with the CNN runs end to end and keeps the car on the road
"$mimic" train dagger --env LaneKeep-v0 --env-opts obs=camera --policy cnn --rounds 2 \
  --min-steps 1000 --epochs 3 --eval-episodes 3 -o "$dir/dagger.mimic" --quiet > /dev/null
json=$("$mimic" eval --policy "$dir/dagger.mimic" --env LaneKeep-v0 --env-opts obs=camera \
  --episodes 10 --seed 500 --json --quiet)
s=$(score "$json")
awk -v s="$s" 'BEGIN { exit !(s >= 0.8) }' || fail "the DAgger CNN scored $s"

# a CNN needs pictures
set +e
"$mimic" collect --env LaneKeep-v0 --episodes 1 -o "$dir/numbers" --quiet > /dev/null
"$mimic" train bc --data "$dir/numbers" --policy cnn -o "$dir/x.mimic" 2> "$dir/err"
[ $? -eq 2 ] || fail "--policy cnn on 6 numbers is not a usage error"
grep -q "obs=camera" "$dir/err" || fail "message: $(cat "$dir/err")"
"$mimic" train bc --data "$dir/demos" --policy rnn -o "$dir/x.mimic" 2> "$dir/err"
[ $? -eq 2 ] || fail "--policy rnn is not a usage error"
"$mimic" eval --policy "$dir/cnn.mimic" --env LaneKeep-v0 --episodes 1 2> "$dir/err"
[ $? -eq 1 ] || fail "a camera policy on the numbers env"
set -e
echo ok
