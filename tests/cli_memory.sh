#!/usr/bin/env bash
# Memory (issue 16): on MiniGrid-DoorKey-8x8 (partially observable: the
# agent sees 7x7 ahead), a GRU policy cloned from the planner's episodes
# succeeds more often with argmax actions than an MLP cloned from the same
# episodes, because it remembers what it has done instead of looping; the
# policy file says what it is; DAgger trains a GRU; DAgger with a query rule that labels only
# some states and continuous actions refuse a GRU with a message.
set -euo pipefail
mimic=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
success() { echo "$1" | sed -E 's/.*"success_rate": ([0-9.]+).*/\1/'; }
env=MiniGrid-DoorKey-8x8-v0

"$mimic" collect --env $env --episodes 100 --seed 0 -o "$dir/demos" --quiet > /dev/null
said=$("$mimic" train bc --data "$dir/demos" --policy gru --batch-size 8 --epochs 100 \
  -o "$dir/gru.mimic" --quiet)
# a sequence model trains on every step (it said "on 0 transitions" once)
steps=$(echo "$said" | sed -E 's/.*\(of ([0-9]+) in 100 episodes.*/\1/')
[ "$steps" -gt 0 ] && echo "$said" | grep -q "on $steps transitions (of $steps in" \
  || fail "said: $said"
"$mimic" train bc --data "$dir/demos" -o "$dir/mlp.mimic" --quiet > /dev/null
gru=$("$mimic" eval --policy "$dir/gru.mimic" --env $env --episodes 100 --seed 1000 --json --quiet)
mlp=$("$mimic" eval --policy "$dir/mlp.mimic" --env $env --episodes 100 --seed 1000 --json --quiet)
echo "$gru" | grep -q '"policy": "gru 984-gru64-64-7 relu categorical"' || fail "description: $gru"
g=$(success "$gru")
m=$(success "$mlp")
awk -v g="$g" -v m="$m" 'BEGIN { exit !(g >= 0.9 && g > m) }' \
  || fail "GRU success $g, MLP $m on $env"
"$mimic" model info "$dir/gru.mimic" | grep -q "gru  *{\"hidden\": 64}\|gru  *hidden 64" \
  || fail "model info: $("$mimic" model info "$dir/gru.mimic")"

# the same seed trains the same GRU, bit for bit
"$mimic" train bc --data "$dir/demos" --policy gru --batch-size 8 --epochs 100 -o "$dir/gru2.mimic" \
  --quiet > /dev/null
cmp -s "$dir/gru.mimic" "$dir/gru2.mimic" || fail "two trainings with one seed differ"

# DAgger refits the GRU on the episodes it rolled out, end to end
"$mimic" train dagger --env MiniGrid-DoorKey-5x5-v0 --policy gru --batch-size 8 --rounds 2 \
  --min-steps 300 --eval-episodes 5 -o "$dir/dg.mimic" --quiet > /dev/null
"$mimic" model info "$dir/dg.mimic" | grep -q "gru  *{\"hidden\": 64}\|gru  *hidden 64" \
  || fail "DAgger's learner: $("$mimic" model info "$dir/dg.mimic")"

set +e
"$mimic" train dagger --env $env --policy gru --query uncertain:0.9 --rounds 1 -o "$dir/d.mimic" \
  2> "$dir/err"
[ $? -eq 1 ] || fail "DAgger with a GRU and an uncertainty query"
grep -q "recurrent.*--query all" "$dir/err" || fail "message: $(cat "$dir/err")"
"$mimic" collect --env Pendulum-v1 --episodes 2 -o "$dir/pend" --quiet > /dev/null
"$mimic" train bc --data "$dir/pend" --policy gru -o "$dir/p.mimic" 2> "$dir/err"
[ $? -eq 1 ] || fail "a GRU on continuous actions"
grep -q "categorical\|discrete" "$dir/err" || fail "message: $(cat "$dir/err")"
"$mimic" train bc --data "$dir/demos" --policy gru:0 -o "$dir/p.mimic" 2> /dev/null
[ $? -eq 2 ] || fail "--policy gru:0 is not a usage error"
"$mimic" train bc --data "$dir/demos" --policy gru --val-fraction 0.2 -o "$dir/p.mimic" 2> "$dir/err"
[ $? -eq 1 ] || fail "validation with a GRU"
set -e
echo ok
