#!/usr/bin/env bash
# mimic train bc --policy transformer[:K] end to end on a short budget: on
# MiniGrid-DoorKey-8x8 from the planner's episodes the file says what it
# is, mimic eval runs it (the rollout carries each copy's window) and it
# reaches the goal on unseen seeds; model info shows the trunk; the same
# seed trains the same file; DAgger with a query rule that leaves holes in
# the episodes, continuous actions, validation and a bad context are refused
# with a message.
set -euo pipefail
mimic=$1
. "$(dirname "$0")/prelude.sh"
success() { echo "$1" | sed -E 's/.*"success_rate": ([0-9.]+).*/\1/'; }
env=MiniGrid-DoorKey-8x8-v0

"$mimic" collect --env $env --episodes 30 --seed 0 -o "$dir/demos" --quiet > /dev/null
"$mimic" train bc --data "$dir/demos" --policy transformer:8 --batch-size 16 --epochs 60 \
  -o "$dir/tf.mimic" --quiet > /dev/null
ev=$("$mimic" eval --policy "$dir/tf.mimic" --env $env --episodes 20 --seed 1000 --json --quiet)
echo "$ev" | grep -q '"policy": "transformer 984-tf8x2x64-64-7 relu categorical"' ||
  fail "description: $ev"
s=$(success "$ev")
awk -v s="$s" 'BEGIN { exit !(s >= 0.4) }' || fail "success $s on $env from 30 demonstrations"
"$mimic" model info "$dir/tf.mimic" | grep -q "transformer" ||
  fail "model info: $("$mimic" model info "$dir/tf.mimic")"
"$mimic" train bc --data "$dir/demos" --policy transformer:8 --batch-size 16 --epochs 60 \
  -o "$dir/tf2.mimic" --quiet > /dev/null
cmp -s "$dir/tf.mimic" "$dir/tf2.mimic" || fail "two trainings with one seed differ"

set +e
"$mimic" train dagger --env $env --policy transformer --query random:50 --rounds 1 \
  -o "$dir/d.mimic" 2> "$dir/err"
[ $? -eq 1 ] || fail "DAgger with a transformer and a random query"
grep -q "transformer.*--query all" "$dir/err" || fail "message: $(cat "$dir/err")"
"$mimic" collect --env Pendulum-v1 --episodes 2 -o "$dir/pend" --quiet > /dev/null
"$mimic" train bc --data "$dir/pend" --policy transformer -o "$dir/p.mimic" 2> "$dir/err"
[ $? -eq 1 ] || fail "a transformer on continuous actions"
grep -q "categorical\|discrete" "$dir/err" || fail "message: $(cat "$dir/err")"
"$mimic" train bc --data "$dir/demos" --policy transformer:0 -o "$dir/p.mimic" 2> /dev/null
[ $? -eq 2 ] || fail "--policy transformer:0 is not a usage error"
"$mimic" train bc --data "$dir/demos" --policy transformer --val-fraction 0.2 -o "$dir/p.mimic" \
  2> "$dir/err"
[ $? -eq 1 ] || fail "validation with a transformer"
set -e
[ ! -e "$dir/p.mimic" ] || fail "a refused run wrote a file"
echo ok
