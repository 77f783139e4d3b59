#!/usr/bin/env bash
# --env cmd:PROGRAM from the command line: an environment program that lies,
# crashes or hangs is a clear error naming the program, the step and the
# field; DAgger keeps every label given before a crash, and the rerun
# resumes to the uninterrupted result.
set -euo pipefail
mimic=$1
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
peer="cmd:$py $here/hostile_env_peer.py"

# each misbehaviour: a non-zero exit and a message with the step and the field
check() { # MODE EXPECTED... (EPISODES=N: that many copies at once)
  local mode=$1
  shift
  set +e
  "$mimic" eval --env "$peer $mode 3" --env-opts timeout=5 --policy random --episodes "${EPISODES:-1}" \
    --no-normalize --quiet > /dev/null 2> "$dir/err"
  local rc=$?
  set -e
  [ $rc -ne 0 ] || fail "$mode: exit status 0"
  for want in "$@"; do
    grep -qF -- "$want" "$dir/err" || fail "$mode: no '$want' in: $(cat "$dir/err")"
  done
}
check nan_obs "step 3 of episode 1" "obs[2] is NaN"
check short_obs "step 3 of episode 1" "obs has 3 values, the space takes 4"
check nan_reward "step 3 of episode 1" "reward is NaN"
check bad_flag "step 3 of episode 1" "terminated is another value, not true or false"
check garbage "step 3 of episode 1" "not a JSON object" "<html>"
check crash "step 3 of episode 1" "exited with status 3"
check hang "step 3 of episode 1" "did not answer request" "within 5 s"
check error "step 3 of episode 1" "the simulator diverged"
check bad_space "hello" "observation_space.low has 2 values, the shape holds 4"
# render: mimic play draws the program's text picture and writes its frames
"$mimic" play --env "$peer ok" --steps 2 --delay 0 > "$dir/play" || fail "play: $(cat "$dir/play")"
grep -q "^CartPole  x=" "$dir/play" || fail "play drew no picture: $(cat "$dir/play")"
[ "$(grep -c '^|.*|$' "$dir/play")" -eq 3 ] || fail "play drew no track each step: $(cat "$dir/play")"
"$mimic" play --env "$peer ok" --steps 2 --frames "$dir/frames" --quiet > /dev/null
[ "$(ls "$dir/frames" | wc -l)" -eq 3 ] || fail "play wrote $(ls "$dir/frames" | wc -l) frames, not 3"
$py -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); assert d[:8]==b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", d[16:24])==(600,400), d' \
  "$dir/frames/frame_000000.png" || fail "frame is not a 600x400 PNG"
for how in "--delay 0" "--frames $dir/bad --quiet"; do
  set +e
  "$mimic" play --env "$peer bad_render" --steps 2 $how > /dev/null 2> "$dir/err"
  rc=$?
  set -e
  [ $rc -ne 0 ] || fail "bad_render ($how): exit status 0"
  grep -qE 'render at reset of episode 1: ("text" is not a string|rgb holds too few bytes, 600x400 pixels take 720000 bytes)' "$dir/err" ||
    fail "bad_render ($how): $(cat "$dir/err")"
done

# protocol 2: four copies served by one program in binary frames; frame 1
# resets them, frame 4 is the third step
check_batch() { EPISODES=4 check "$@"; }
frame="step frame 4 (4 copies; copy 0 at step 3 of episode 1)"
check_batch batch_short "$frame" "exited with status 0 without answering"
# (no expert actions: the random policy asks none, so frames do not carry them)
check_batch batch_length "$frame" "payload is 172 bytes, 4 copies take 168"
check_batch batch_count "$frame" "the reply holds 3 copies, the request 4"
check_batch batch_magic "$frame" 'does not start with "MEP2"'
check_batch batch_nan "step 3 of episode 1, copy 1: obs[2] is NaN"
check_batch batch_reward "step 3 of episode 1, copy 0: reward is NaN"
check_batch batch_flag "step 3 of episode 1, copy 0: terminated is 7, not 0 or 1"
check_batch batch_crash "$frame" "exited with status 3"
check_batch batch_hang "$frame" "did not answer" "within 5 s"
check_batch batch_error "$frame" "the simulator diverged in copy 1"
set +e
"$mimic" eval --env "cmd:$dir/no-such-program" --policy random --episodes 1 --no-normalize \
  --quiet 2> "$dir/err"
[ $? -ne 0 ] || fail "a missing program"
set -e
grep -q "cannot start '$dir/no-such-program'" "$dir/err" || fail "missing: $(cat "$dir/err")"

# DAgger: a crash in round 2 keeps round 1's labels; the rerun resumes
# (episodes of at most 50 steps keep the expert's reference runs short).
# Once with one copy (protocol 1), once with four in frames (protocol 2).
strip() { $py -c 'import json,sys; print([{k: v for k, v in r.items() if k != "seconds"} for r in json.load(open(sys.argv[1]))["rounds"] if r["round"] >= 2])' "$1"; }
resume() { # MODE FAULT-AT NAME ARGS...
  local mode=$1 at=$2 name=$3
  shift 3
  local args=(train dagger --env "$peer $mode" --env-opts max_steps=50 --rounds 3 --min-steps 300
    --eval-episodes 2 --seed 1 --json --quiet "$@")
  "$mimic" "${args[@]}" -o "$dir/$name-whole.mimic" > "$dir/whole.json"
  set +e
  MIMIC_PEER_FAULT=$at "$mimic" "${args[@]}" -o "$dir/$name.mimic" > /dev/null 2> "$dir/err"
  [ $? -ne 0 ] || fail "$name: a crash in round 2 went unnoticed"
  set -e
  grep -q "exited with status 3" "$dir/err" || fail "$name: crash message: $(cat "$dir/err")"
  [ -s "$dir/$name.mimic.dagger/labels/data/main_data.hdf5" ] || fail "$name: round 1's labels are gone"
  "$mimic" dataset validate "$dir/$name.mimic.dagger/labels" > /dev/null ||
    fail "$name: labels do not validate"
  "$mimic" "${args[@]}" -o "$dir/$name.mimic" > "$dir/rest.json"
  grep -q '"round": 1,' "$dir/rest.json" && fail "$name: round 1 was redone: $(cat "$dir/rest.json")"
  [ "$(strip "$dir/whole.json")" = "$(strip "$dir/rest.json")" ] ||
    fail "$name: resumed rounds differ: $(strip "$dir/whole.json") vs $(strip "$dir/rest.json")"
  cmp -s "$dir/$name-whole.mimic" "$dir/$name.mimic" ||
    fail "$name: the resumed learner differs from the uninterrupted one"
}
resume ok crash@400 single
resume batch_ok batch_crash@100 batch --envs 4
echo ok
