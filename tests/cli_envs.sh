#!/usr/bin/env bash
# `mimic envs`: lists every control id with its spaces, classic control before
# the gridworlds; --json is strict JSON with Gymnasium's spaces; a bad id or
# flag is an error.
set -u
mimic="$1"
err=$(mktemp)
trap 'rm -f "$err"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$mimic" envs) || fail "mimic envs exited $?"
for id in CartPole-v1 MountainCar-v0 MountainCarContinuous-v0 Acrobot-v1 Pendulum-v1 \
          LaneKeep-v0 LaneKeepContinuous-v0; do
  grep -q "^$id\$" <<<"$out" || fail "$id missing from mimic envs"
done
# the families register in a fixed order: classic control, then the gridworlds
ids=$(grep -E '^[^ ]' <<<"$out")
[ "$(head -1 <<<"$ids")" = CartPole-v1 ] || fail "the listing does not start with CartPole-v1"
last_control=$(grep -n '^LaneKeepContinuous-v0$' <<<"$ids" | cut -d: -f1)
first_grid=$(grep -n '^MiniGrid-' <<<"$ids" | head -1 | cut -d: -f1)
[ -n "$first_grid" ] && [ "$last_control" -lt "$first_grid" ] \
  || fail "the gridworlds are missing or listed before classic control"
grep -q "Discrete(2)" <<<"$out" || fail "CartPole's action space not shown"
grep -q "horizon=T" <<<"$out" || fail "LaneKeep's options not shown"

json=$("$mimic" envs --json) || fail "mimic envs --json exited $?"
if command -v jq >/dev/null; then
  jq -e '.envs | length >= 7' <<<"$json" >/dev/null || fail "--json is not valid JSON with 7+ envs"
  jq -e '.envs[] | select(.id == "CartPole-v1") | .action_space.n == 2 and
         .observation_space.high[1] == "inf" and .max_episode_steps == 500 and
         .reward_threshold == 475' <<<"$json" >/dev/null || fail "CartPole-v1 JSON entry wrong"
  jq -e '.envs[] | select(.id == "Pendulum-v1") | .observation_space.high == [1, 1, 8] and
         .action_space.low == [-2] and .reward_threshold == null' <<<"$json" >/dev/null \
    || fail "Pendulum-v1 JSON entry wrong"
  jq -e '.envs[] | select(.id == "LaneKeep-v0") | .action_space.n == 7 and .expert' \
    <<<"$json" >/dev/null || fail "LaneKeep-v0 JSON entry wrong"
fi

# a test fixture is made by id but not listed
grep -q "BoxBall" <<<"$out$json" && fail "mimic envs lists the test fixture mimic-BoxBall-9x7"
"$mimic" envs mimic-BoxBall-9x7 | grep -q "^mimic-BoxBall-9x7$" || fail "envs mimic-BoxBall-9x7"

one=$("$mimic" envs Acrobot-v1) || fail "mimic envs Acrobot-v1 exited $?"
[ "$(grep -c -- '-v[0-9]$' <<<"$one")" = 1 ] || fail "mimic envs ID shows more than one id"

"$mimic" envs NoSuchEnv-v9 >/dev/null 2>"$err"; rc=$?
[ $rc = 1 ] || fail "unknown id exited $rc, want 1"
grep -q "NoSuchEnv-v9" "$err" || fail "unknown id not named in the error"
"$mimic" envs --bogus >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "unknown flag exited $rc, want 2"
echo "cli_envs: ok"
