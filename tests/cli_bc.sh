#!/usr/bin/env bash
# The behavioral-cloning commands end to end: collect, train bc, eval,
# play; machine-readable output; bad flags; a collect killed midway leaves
# a valid dataset of the episodes it finished.
set -euo pipefail
mimic=$1
. "$(dirname "$0")/prelude.sh"

"$mimic" collect --env CartPole-v1 --episodes 10 --seed 0 -o "$dir/demos" --quiet > /dev/null
"$mimic" train bc --data "$dir/demos" -o "$dir/bc.mimic" --log "$dir/curve.csv" --plot "$dir/curve.png" --quiet \
  > /dev/null
[ -s "$dir/curve.png" ] || fail "no learning-curve plot"
[ "$(wc -l < "$dir/curve.csv")" -eq 31 ] || fail "the curve has not 30 epochs"
json=$("$mimic" eval --policy "$dir/bc.mimic" --env CartPole-v1 --episodes 100 --json)
for key in return_mean return_std length_mean success_rate normalized_score; do
  echo "$json" | grep -q "\"$key\": " || fail "eval --json lacks $key: $json"
done
ret=$(echo "$json" | sed -E 's/.*"return_mean": ([0-9.]+).*/\1/')
awk -v r="$ret" 'BEGIN { exit !(r >= 475) }' || fail "clone returned $ret"

# the same seed trains the same policy, bit for bit
"$mimic" train bc --data "$dir/demos" -o "$dir/bc2.mimic" --quiet > /dev/null
cmp -s "$dir/bc.mimic" "$dir/bc2.mimic" || fail "two trainings with one seed differ"

# collecting into a dataset already there must say so: --append or --overwrite
episodes() { "$mimic" dataset info "$1" --json | tr -d '\n' | sed -E 's/.*"total_episodes": ([0-9]+).*/\1/'; }
set +e
"$mimic" collect --env CartPole-v1 --episodes 10 --seed 0 -o "$dir/demos" --quiet > /dev/null 2> "$dir/err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "collect into an existing dataset exited $rc, want 2"
grep -q -- "--append" "$dir/err" || fail "the refusal does not name --append: $(cat "$dir/err")"
[ "$(episodes "$dir/demos")" = 10 ] || fail "a refused collect changed the dataset"
"$mimic" collect --env CartPole-v1 --episodes 2 --seed 10 -o "$dir/demos" --append > "$dir/out"
grep -q "now holds 12 episodes (2 new)" "$dir/out" || fail "--append: $(cat "$dir/out")"
"$mimic" collect --env CartPole-v1 --episodes 10 --seed 0 -o "$dir/demos" --overwrite --quiet > /dev/null
[ "$(episodes "$dir/demos")" = 10 ] || fail "--overwrite did not replace the dataset"
mkdir "$dir/empty"
"$mimic" collect --env CartPole-v1 --episodes 1 -o "$dir/empty" --quiet > /dev/null || fail "an empty folder is new"

# --val-fraction: the count trained on is the training split's
"$mimic" train bc --data "$dir/demos" --val-fraction 0.2 --epochs 1 -o "$dir/v.mimic" > "$dir/out"
grep -q "on 4000 transitions (of 5000 in 10 episodes, 1000 more held out for validation): 1 epoch," \
  "$dir/out" || fail "train bc with validation: $(cat "$dir/out")"

# playing writes frames
"$mimic" play --policy "$dir/bc.mimic" --env CartPole-v1 --steps 3 --frames "$dir/frames" > /dev/null
[ -s "$dir/frames/frame_000000.png" ] || fail "no frames"

# bad flags and files: a message and exit code 2 (usage) or 1 (failure)
set +e
"$mimic" train bc --data "$dir/demos" > /dev/null 2>&1; [ $? -eq 2 ] || fail "missing -o is not a usage error"
"$mimic" eval --policy expert --env CartPole-v1 --episodes abc > /dev/null 2>&1; [ $? -eq 2 ] || fail "bad number"
"$mimic" eval --policy expert --env NoSuch-v0 2> "$dir/err"; [ $? -eq 1 ] || fail "unknown env"
grep -q "unknown environment 'NoSuch-v0'" "$dir/err" || fail "message: $(cat "$dir/err")"
"$mimic" eval --policy "$dir/curve.csv" --env CartPole-v1 2> "$dir/err"; [ $? -eq 1 ] || fail "a CSV is no policy"
"$mimic" eval --policy "$dir/bc.mimic" --env Pendulum-v1 2> "$dir/err"; [ $? -eq 1 ] || fail "wrong env for policy"
grep -q "expects observations of 4 values" "$dir/err" || fail "message: $(cat "$dir/err")"
"$mimic" collect --env CartPole-v1 --frobnicate -o x > /dev/null 2>&1; [ $? -eq 2 ] || fail "unknown flag"
# a collect that fails before its first episode leaves no dataset folder behind
"$mimic" collect --env CartPole-v1 --expert "cmd:sh -c 'read x; exit 3'" -o "$dir/failed" --quiet 2> "$dir/err"
[ $? -eq 1 ] || fail "a failing expert does not fail collect"
[ ! -e "$dir/failed" ] || fail "a failed collect left $dir/failed behind"
# an expert's error text reaches the terminal without its control characters
cat > "$dir/esc.sh" <<'EOF'
read -r line
printf '{"id": 1, "error": "\\u001b[2Jgone"}\n'
EOF
"$mimic" collect --env CartPole-v1 --expert "cmd:sh $dir/esc.sh" -o "$dir/failed" --quiet 2> "$dir/err"
grep -q '?\[2Jgone' "$dir/err" || fail "message: $(cat -v "$dir/err")"
if grep -q "$(printf '\033')" "$dir/err"; then fail "an escape character reached the terminal"; fi
# zero epochs or batches would leave an untrained model: refused
"$mimic" train bc --data "$dir/demos" -o "$dir/zero.mimic" --epochs 0 2> "$dir/err"; [ $? -eq 2 ] || fail "--epochs 0 accepted"
grep -q "at least 1" "$dir/err" || fail "message: $(cat "$dir/err")"
"$mimic" train bc --data "$dir/demos" -o "$dir/zero.mimic" --batches 0 2> /dev/null; [ $? -eq 2 ] || fail "--batches 0 accepted"
[ ! -e "$dir/zero.mimic" ] || fail "a refused training wrote a model"
# a network that cannot fit in memory is refused before anything is allocated
"$mimic" train bc --data "$dir/demos" -o "$dir/huge.mimic" --hidden "$(printf "65536,%.0s" $(seq 14))65536" 2> "$dir/err"; [ $? -eq 1 ] || fail "a huge network was not refused"
grep -q "GB of memory to train, more than this machine's" "$dir/err" || fail "message: $(cat "$dir/err")"
set -e

# --json output is JSON whatever the names hold (quotes, backslashes, a tab)
odd="$dir/q\"x\\y$(printf '\t')z"
strict_json() { python3 -c 'import json,sys; json.loads(sys.stdin.read())'; }
"$mimic" collect --env CartPole-v1 --episodes 2 -o "$odd" --json | strict_json || fail "collect --json is not JSON"
"$mimic" train bc --data "$odd" -o "$odd.mimic" --epochs 1 --json | strict_json || fail "train bc --json is not JSON"
"$mimic" eval --policy "$odd.mimic" --env CartPole-v1 --episodes 2 --json | strict_json || fail "eval --json is not JSON"
"$mimic" model info "$odd.mimic" --json | python3 -c '
import json, sys
meta = json.loads(sys.stdin.read())
assert meta["metadata"]["trained_on"].endswith("q\"x\\y\tz"), meta' || fail "the model does not record the dataset's name"
"$mimic" dataset info "$odd" --json | python3 -c '
import json, sys
info = json.loads(sys.stdin.read())
box = info["observation_space"]
assert box["type"] == "Box" and box["shape"] == [4], box
assert box["low"][1] == "-inf" and box["high"][1] == "inf", box
assert abs(box["low"][0] + 4.8) < 1e-6, box
assert info["action_space"] == {"type": "Discrete", "n": 2, "start": 0}, info' || fail "dataset info --json spaces"

# kill a long collect midway: the dataset holds every finished episode
"$mimic" collect --env CartPole-v1 --episodes 100000 -o "$dir/killed" --quiet > /dev/null &
pid=$!
for _ in $(seq 100); do
  n=$( (ls "$dir/killed/data/main_data.journal" 2>/dev/null || true) | wc -l)
  [ "$n" -ge 3 ] && break
  sleep 0.1
done
kill -9 $pid
wait $pid 2>/dev/null || true
"$mimic" dataset validate "$dir/killed" > /dev/null || fail "the killed dataset does not validate"
episodes=$("$mimic" dataset info "$dir/killed" --json | tr -d '\n' | sed -E 's/.*"total_episodes": ([0-9]+).*/\1/')
[ "$episodes" -ge 3 ] || fail "the killed dataset lost finished episodes ($episodes)"
"$mimic" train bc --data "$dir/killed" -o "$dir/k.mimic" --epochs 1 --quiet > /dev/null || fail "cannot train on it"
echo ok
