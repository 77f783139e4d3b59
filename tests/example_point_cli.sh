#!/usr/bin/env bash
# examples/mimic-point: the mimic command with PointMass-v0 built in (as
# -DMIMIC_USER_ENVS builds it) lists the id after the built-in families and
# takes it in every command: collect, train bc, eval, and train dagger with
# a program expert (tests/point_expert.py).
set -u
mimic="$1"
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
# the success_rate of an eval --json line, as a percentage
success() { sed -n 's/.*"success_rate": \([0-9.]*\).*/\1/p' <<<"$1" | awk '{ printf "%d", $1 * 100 }'; }

ids=$("$mimic" envs | grep -E '^[^ ]') || fail "mimic envs exited $?"
[ "$(tail -1 <<<"$ids")" = PointMass-v0 ] || fail "PointMass-v0 is not listed last"
[ "$(head -1 <<<"$ids")" = CartPole-v1 ] || fail "the built-in families are not listed first"
"$mimic" envs PointMass-v0 | grep -q 'action Box(2, \[-1, 1\])' || fail "PointMass-v0's spaces"

"$mimic" collect --env PointMass-v0 --env-opts dims=3 --expert builtin --episodes 10 --seed 0 \
  -o demos/ --quiet || fail "collect exited $?"
"$mimic" train bc --data demos/ -o bc.mimic --quiet || fail "train bc exited $?"
out=$("$mimic" eval --policy bc.mimic --env PointMass-v0 --env-opts dims=3 --episodes 20 --json) \
  || fail "eval exited $?"
[ "$(success "$out")" -ge 90 ] || fail "the clone reaches the target too rarely: $out"

"$mimic" train dagger --env PointMass-v0 --expert "cmd:python3 $src/tests/point_expert.py" \
  --rounds 2 -o dagger.mimic --quiet >/dev/null || fail "train dagger exited $?"
out=$("$mimic" eval --policy dagger.mimic --env PointMass-v0 --episodes 20 --json) \
  || fail "eval exited $?"
[ "$(success "$out")" -ge 90 ] || fail "the DAgger learner reaches the target too rarely: $out"

"$mimic" eval --policy bc.mimic --env PointMass-v0 --env-opts dims=4 >/dev/null 2>&1 \
  && fail "a dims=3 policy was evaluated on dims=4"
echo "example_point_cli: ok"
