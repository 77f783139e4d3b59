#!/usr/bin/env bash
# MiniGrid images through the CNN (issue 16): `obs=view` (MiniGrid's 7x7x3
# encoding as a 3x7x7 image) gets the small 2x2 conv trunk; BC with it,
# cloned from the planner on an easy gridworld, reaches the goal on unseen
# seeds with argmax actions; DAgger with it runs end to end from the CLI;
# `obs=rgb` is a 3x56x56 picture the CNN takes too.
set -euo pipefail
mimic=$1
. "$(dirname "$0")/prelude.sh"
env=MiniGrid-Empty-Random-6x6-v0

"$mimic" collect --env $env --env-opts obs=view --episodes 100 --seed 0 -o "$dir/demos" \
  --quiet > /dev/null
"$mimic" train bc --data "$dir/demos" --policy cnn --epochs 20 -o "$dir/cnn.mimic" \
  --quiet > /dev/null
"$mimic" model info "$dir/cnn.mimic" > "$dir/info"
grep -q "Box(shape=(3, 7, 7)" "$dir/info" || fail "model info: $(cat "$dir/info")"
grep -q "conv  *3x7x7, 16 2x2/1, 32 2x2/1, 64 2x2/1, relu" "$dir/info" \
  || fail "model info: $(cat "$dir/info")"
json=$("$mimic" eval --policy "$dir/cnn.mimic" --env $env --env-opts obs=view --episodes 50 \
  --seed 100000 --json --quiet)
s=$(num "$json" success_rate)
awk -v s="$s" 'BEGIN { exit !(s >= 0.9) }' || fail "the cloned CNN's success is $s"

# DAgger with the CNN on the same observations, end to end
"$mimic" train dagger --env $env --env-opts obs=view --policy cnn --rounds 2 --min-steps 500 \
  --epochs 3 --eval-episodes 3 -o "$dir/dagger.mimic" --quiet > /dev/null
json=$("$mimic" eval --policy "$dir/dagger.mimic" --env $env --env-opts obs=view \
  --episodes 20 --seed 100000 --json --quiet)
s=$(num "$json" success_rate)
awk -v s="$s" 'BEGIN { exit !(s >= 0.5) }' || fail "the DAgger CNN's success is $s"

# the RGB view is an image the CNN reads (NatureCNN at 56x56)
"$mimic" collect --env $env --env-opts obs=rgb --episodes 4 --seed 0 -o "$dir/rgb" \
  --quiet > /dev/null
"$mimic" train bc --data "$dir/rgb" --policy cnn --epochs 1 --batch-size 8 -o "$dir/rgb.mimic" --quiet > /dev/null
"$mimic" model info "$dir/rgb.mimic" | grep -q "conv  *3x56x56, 32 8x8/4, 64 4x4/2, 64 3x3/1" \
  || fail "rgb model info: $("$mimic" model info "$dir/rgb.mimic")"

# a view policy on one-hot observations is refused
set +e
"$mimic" eval --policy "$dir/cnn.mimic" --env $env --episodes 1 2> "$dir/err"
[ $? -eq 1 ] || fail "a 3x7x7 policy ran on one-hot observations"
set -e
echo ok
