# Sourced by the shell tests after `set -euo pipefail; mimic=$1`: a scratch
# folder $dir removed on exit, fail MESSAGE (exit 1), and num JSON FIELD
# (a number field of a one-line JSON object, as the commands' --json print).
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
num() { echo "$1" | sed -E "s/.*\"$2\": (-?[0-9.e+-]+|null).*/\1/"; }
