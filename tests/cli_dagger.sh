#!/usr/bin/env bash
# mimic train dagger from the command line: the per-round table and JSON,
# the chart, resuming a finished work folder, and bad settings.
set -euo pipefail
mimic=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$mimic" train dagger --env CartPole-v1 --rounds 3 --beta linear:3 -o "$dir/p.mimic" --plot "$dir/d.png")
echo "$out" | grep -q "^ *3 " || fail "no row for round 3: $out"
# --quiet leaves only the result line
out=$("$mimic" train dagger --env CartPole-v1 --rounds 1 --beta linear:3 -o "$dir/q.mimic" --quiet)
[ "$out" = "wrote the best learner to $dir/q.mimic" ] || fail "--quiet printed: $out"
[ -s "$dir/d.png" ] || fail "no chart"
[ -s "$dir/p.mimic.dagger/labels/data/main_data.hdf5" ] || fail "labels are not on disk"
"$mimic" dataset validate "$dir/p.mimic.dagger/labels" > /dev/null || fail "the labels do not validate"
"$mimic" eval --policy "$dir/p.mimic" --env CartPole-v1 --episodes 5 --no-normalize --quiet > /dev/null

# running the same command again finds every round done: nothing is asked
json=$("$mimic" train dagger --env CartPole-v1 --rounds 3 --beta linear:3 -o "$dir/p.mimic" --json --quiet)
[ "$json" = "{\"policy\": \"$dir/p.mimic\", \"env\": \"CartPole-v1\", \"rounds\": []}" ] || fail "resumed: $json"
# one more round continues from the work folder
json=$("$mimic" train dagger --env CartPole-v1 --rounds 4 --beta linear:3 -o "$dir/p.mimic" --json --quiet)
echo "$json" | grep -q '"round": 4' || fail "round 4 missing: $json"
echo "$json" | grep -q '"round": 1,' && fail "round 1 was redone: $json"

set +e
"$mimic" train dagger --env CartPole-v1 --beta cosine -o "$dir/x.mimic" > /dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown schedule is not a usage error"
"$mimic" train dagger --env CartPole-v1 --query margin -o "$dir/x.mimic" > /dev/null 2>&1
[ $? -eq 2 ] || fail "margin without a count is not a usage error"
"$mimic" train dagger --env Pendulum-v1 --query margin:5 -o "$dir/x.mimic" --quiet 2> "$dir/err" > /dev/null
[ $? -eq 1 ] || fail "margin on continuous actions"
grep -q "discrete actions" "$dir/err" || fail "message: $(cat "$dir/err")"
"$mimic" train dagger --env CartPole-v1 --expert "cmd:$dir/missing-expert" -o "$dir/x.mimic" --quiet 2> "$dir/err"
[ $? -eq 1 ] || fail "a missing expert program"
grep -q "cannot start" "$dir/err" || fail "message: $(cat "$dir/err")"
# the same -o with another seed is refused, naming the work folder, and the
# earlier result stays as it was
sum=$(cksum < "$dir/p.mimic")
"$mimic" train dagger --env CartPole-v1 --rounds 4 --beta linear:3 --seed 7 -o "$dir/p.mimic" --quiet 2> "$dir/err"
[ $? -eq 1 ] || fail "another seed in the same work folder"
grep -q "work folder $dir/p.mimic.dagger: .*different seed" "$dir/err" || fail "message: $(cat "$dir/err")"
[ "$(cksum < "$dir/p.mimic")" = "$sum" ] || fail "the refused run changed the earlier result"
set -e
echo ok

# a person as the expert (under script(1), which gives the command a
# terminal): a person's budget by default, a gridworld without the map
# file's header lines and with a legend, and q quits with exit 0
if command -v script > /dev/null; then
  printf 'q' | script -qec "$mimic train dagger --env MiniGrid-DoorKey-5x5-v0 --expert human -o $dir/person.mimic" \
    /dev/null > "$dir/person.txt" 2>&1 || fail "a person quitting: exit $?"
  grep -q "you are the expert: 5 rounds, each asking about the states of at least 50 steps" \
    "$dir/person.txt" || fail "no person's budget: $(cat "$dir/person.txt")"
  grep -q "legend: .*L locked door, K key, G goal, then the colour: y yellow" "$dir/person.txt" ||
    fail "no legend: $(cat "$dir/person.txt")"
  grep -q "max_steps:\|see_through_walls:" "$dir/person.txt" && fail "the map file's header is shown"
  grep -q "round 1 of 5, question 1" "$dir/person.txt" || fail "no round counter"
  # what is left of the round, and a notice when an episode ends: pushing
  # left 25 times drops CartPole's pole within the first 20 steps
  printf '%s' "$(printf '0%.0s' $(seq 25))q" |
    script -qec "$mimic train dagger --env CartPole-v1 --expert human -o $dir/left.mimic" \
      /dev/null > "$dir/left.txt" 2>&1 || fail "a person pushing left: exit $?"
  grep -q "this round: at least 50 more steps and 1 more episode" "$dir/left.txt" ||
    fail "no steps left before the first question: $(head -20 "$dir/left.txt")"
  grep -q "this round: at least 49 more steps and 1 more episode" "$dir/left.txt" ||
    fail "the steps left do not count down"
  grep -Eq "^episode 1 of round 1 ended: return ([0-9]+)\.0 after \1 steps" "$dir/left.txt" ||
    fail "no notice of the episode's end: $(grep -n ended "$dir/left.txt")"
  grep "this round: at least [0-9]* more steps" "$dir/left.txt" | grep -vq "episode" ||
    fail "the episode that ended is not counted"
fi
echo "cli_dagger: person ok"
