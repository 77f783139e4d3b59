#!/usr/bin/env bash
# README.md's library example (built from the README's own text by
# scripts/readme-example, against the public headers and the shared library
# only) runs and clones CartPole-v1 to the expert's return.
set -u
out=$("$1") || { echo "FAIL: the README example exited $?: $out" >&2; exit 1; }
echo "$out"
grep -q '^return 500.0, normalised score 1.000$' <<<"$out" || { echo "FAIL: unexpected: $out" >&2; exit 1; }
