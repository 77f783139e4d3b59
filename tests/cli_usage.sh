#!/usr/bin/env bash
# The command line keeps README's promises: every command takes --help and
# exits 0 with it; an unknown flag, a missing required option or a bad
# value is a usage error (exit 2) naming the flag as it is typed (-o, not
# --o); --seed, --json and --quiet are where README says they are.
set -u
mimic="$1"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

commands=(envs collect refine eval play version "model info"
  "dataset info" "dataset validate" "dataset convert" "dataset merge" "dataset split"
  "dataset repair" "dataset strip-actions" "train bc" "train dagger" "train ppo" "train gail"
  "train airl" "train bco" "train sqil" "train density" "train preferences" "train maxent-irl" "text train" "text predict" "text eval" "text dagger" "text export"
  "agent import" "agent fit" "agent predict" "agent calibrate" "agent examples" "agent dagger"
  "agent serve" "agent eval" "experiment compounding" "experiment text-dagger"
  "dataset generate" "train sac" "train td3" "train td3bc" "train iql" "train cql" "train dt"
  "experiment offline" "train dqn" "train discrete-bc")
# README: "commands whose result depends on random draws take --seed"
seeded=(collect refine eval play "dataset split" "train bc" "train dagger" "train ppo"
  "train gail" "train airl" "train bco" "train sqil" "train density" "train preferences" "train maxent-irl" "text dagger" "agent calibrate" "agent dagger"
  "agent eval" "experiment compounding" "experiment text-dagger" "dataset generate" "train sac"
  "train td3" "train td3bc" "train iql" "train cql" "train dt" "experiment offline" "train dqn"
  "train discrete-bc")
# "... print no result": the others print one and take --json
no_json=(version "text export" "agent serve" "agent examples" "dataset strip-actions")
# "commands that show progress or print as they go take --quiet"
quiet=(collect refine eval play "train bc" "train dagger" "train ppo" "train gail" "train airl"
  "train bco" "train sqil" "train density" "train preferences" "train maxent-irl" "text train" "text predict" "text eval" "text dagger" "agent import"
  "agent fit" "agent calibrate" "agent dagger" "agent serve" "agent eval"
  "experiment compounding" "experiment text-dagger" "dataset generate" "train sac" "train td3"
  "train td3bc" "train iql" "train cql" "train dt" "experiment offline" "train dqn"
  "train discrete-bc")

in_list() {
  local x=$1
  shift
  for y in "$@"; do [ "$x" = "$y" ] && return 0; done
  return 1
}
# The main command's list must be the one this test knows.
for group in "" dataset train text agent experiment model; do
  # shellcheck disable=SC2086
  while read -r sub; do
    name=${group:+$group }$sub
    in_list "$name" "${commands[@]}" || fail "'mimic $name' is not covered by this test"
  done < <("$mimic" $group --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }' |
    grep -v -E '^(dataset|train|text|agent|experiment|model)$')
done

for c in "${commands[@]}"; do
  # shellcheck disable=SC2086
  help=$("$mimic" $c --help) || fail "mimic $c --help exited $?"
  has() { grep -q -E -- "^  $1( |$)" <<<"$help"; }
  if in_list "$c" "${seeded[@]}"; then has --seed || fail "mimic $c has no --seed"; fi
  if ! in_list "$c" "${no_json[@]}"; then has --json || fail "mimic $c has no --json"; fi
  if in_list "$c" "${quiet[@]}"; then has --quiet || fail "mimic $c has no --quiet"; fi
  [ "$c" = version ] && continue
  # shellcheck disable=SC2086
  "$mimic" $c --no-such-flag >/dev/null 2>"$T/err"
  rc=$?
  [ $rc = 2 ] || fail "mimic $c --no-such-flag exited $rc, want 2"
  grep -q -- "--no-such-flag" "$T/err" || fail "mimic $c: the error does not name the flag"
done

# a missing one-letter option is named as typed
"$mimic" train bc --data x >/dev/null 2>"$T/err"
[ $? = 2 ] || fail "train bc without -o is not a usage error"
grep -q -- "error: -o is required" "$T/err" || fail "missing -o: $(cat "$T/err")"
# refine's --steps has a default, so it is not required
"$mimic" refine --help | grep -q -- "--steps N.*(required)" && fail "refine --help calls --steps required"
"$mimic" refine --help | head -1 | grep -q -- "\[--steps N\]" || fail "refine's usage line"
# agent eval and calibrate: a bad split is a usage error, as is a split or
# fit flag beside an already fitted --model (it was silently ignored)
echo '{"id": "t", "task": "1", "steps": [{"action": {"tool": "a"}}]}' >"$T/t.jsonl"
for c in eval calibrate; do
  "$mimic" agent $c --traces "$T/t.jsonl" --split-by user >/dev/null 2>&1
  [ $? = 2 ] || fail "agent $c --split-by user is not a usage error"
  "$mimic" agent $c --traces "$T/t.jsonl" --test-fraction 1 >/dev/null 2>&1
  [ $? = 2 ] || fail "agent $c --test-fraction 1 is not a usage error"
  for flag in "--seed 5" "--test-fraction 0.5" "--policy markov" "-C 10" "--split-by trace"; do
    # shellcheck disable=SC2086
    "$mimic" agent $c --traces "$T/t.jsonl" --model "$T/none.mimic" $flag >/dev/null 2>"$T/err"
    [ $? = 2 ] || fail "agent $c --model M $flag was accepted"
    grep -q -- "${flag%% *} splits or fits" "$T/err" || fail "agent $c $flag: $(cat "$T/err")"
  done
done
echo "cli_usage: ok"
