#!/usr/bin/env bash
# examples/point_demo: a user's environment registered at run time is made,
# drawn, recorded, evaluated and cloned by id, with 2 and with 12 dimensions;
# a bad option is an error naming it.
set -u
demo="$1"
err=$(mktemp)
trap 'rm -f "$err"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# "clone   return   -12.34  length   24.7  success 100%" -> 100
success() { awk -v who="$1" '$1 == who { sub("%", "", $NF); print $NF }' <<<"$2"; }
score() { sed -n 's/.*normalised score is \([0-9.]*\)$/\1/p' <<<"$1"; }

out=$("$demo") || fail "point_demo exited $?"
grep -q '^PointMass-v0 (default options): observation Box(4), action Box(2, \[-1, 1\]), time limit 100$' \
  <<<"$out" || fail "spaces not as declared: $out"
grep -q '^PointMass, dims=2: distance' <<<"$out" || fail "no text picture"
[ "$(grep -c '^[.oX*]\{31\}$' <<<"$out")" = 11 ] || fail "the picture is not 11 rows of 31"
grep -q 'o' <<<"$(grep '^[.oX*]\{31\}$' <<<"$out")" || fail "the point is not drawn"
grep -q '^expert demonstrations: 20 episodes' <<<"$out" || fail "no demonstrations"
[ "$(success random "$out")" -le 20 ] || fail "a random policy reaches the target too often"
[ "$(success clone "$out")" = 100 ] || fail "the clone does not always reach the target"
awk -v s="$(score "$out")" 'BEGIN { exit !(s >= 0.95) }' || fail "clone score $(score "$out") < 0.95"

out=$("$demo" dims=12) || fail "point_demo dims=12 exited $?"
grep -q 'observation Box(24), action Box(12, \[-1, 1\])' <<<"$out" || fail "dims=12 spaces: $out"
[ "$(success clone "$out")" -ge 90 ] || fail "dims=12: the clone succeeds too rarely"
awk -v s="$(score "$out")" 'BEGIN { exit !(s >= 0.9) }' || fail "dims=12: clone score $(score "$out") < 0.9"

"$demo" dims=0 >/dev/null 2>"$err"; rc=$?
[ $rc = 1 ] || fail "dims=0 exited $rc, want 1"
grep -q "PointMass-v0: option dims=0" "$err" || fail "dims=0 not named: $(cat "$err")"
echo "example_point_env: ok"
