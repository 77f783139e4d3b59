#!/usr/bin/env bash
# One example per page of docs/, run as written: each page holds a block
# of commands after the marker line below, and every command of it must
# succeed, run in order from a scratch copy of the repository's folder
# (build/, examples/ and docs/ linked to the real ones, ../shared/data to
# the data) with the built command on the PATH, as README's tour puts it.
# A page without such a block fails the test, except agent-langgraph.md,
# whose example tests/example_langgraph_js.sh runs, and python.md, whose
# examples python/tests runs (python_pytest; a sanitized build has no module),
# fuzzing.md, whose `make fuzz` CI runs, web-expert.md, whose page
# tests/cli_web_browser.sh drives in a browser, and cluster.md when mimic
# was built without MPI or mpirun is missing (tests/mpi_*.sh skip then too).
# Usage: docs_examples.sh MIMIC (the built command; MIMIC_SOURCE_DIR the repo)
set -u
mimic=$(realpath "$1")
src=${MIMIC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
data=${MIMIC_DATA:-$src/../shared/data}
marker='<!-- run as written by make check: tests/docs_examples.sh -->'
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/shared"
ln -s "$(realpath "$data")" "$T/shared/data"

path0=$PATH
for page in "$src"/docs/*.md; do
  name=$(basename "$page" .md)
  [ "$name" = agent-langgraph ] || [ "$name" = python ] && continue
  # the labeling page needs a person or a browser: tests/cli_web_browser.sh runs it
  [ "$name" = web-expert ] && continue
  # fuzzing needs clang's libFuzzer, which only CI installs (scripts/bootstrap --ci)
  [ "$name" = fuzzing ] && continue
  if [ "$name" = cluster ] && ! { command -v mpirun && ldd "$mimic" | grep -q libmpi; } > /dev/null; then
    echo "docs/cluster.md: skipped (no MPI)"
    continue
  fi
  block=$(awk -v m="$marker" '
    $0 == m { on = 1; next }
    on && /^    / { line = substr($0, 5)
      if (cont != "") { line = cont " " line; cont = "" }
      if (line ~ /\\$/) { cont = substr(line, 1, length(line) - 1); next }
      print line; got = 1; next }
    on && got && /^[^ ]/ { exit }' "$page")
  [ -n "$block" ] || fail "docs/$name.md has no example marked '$marker'"
  # each page starts from a fresh copy of the repository's folder
  repo=$T/$name
  mkdir -p "$repo"
  ln -s "$(dirname "$mimic")" "$repo/build"
  ln -s "$src/examples" "$repo/examples"
  ln -s "$src/docs" "$repo/docs"
  i=0
  while IFS= read -r cmd; do
    [[ "$cmd" =~ ^[[:space:]]*(#|$) ]] && continue
    i=$((i + 1))
    cd "$repo" || fail "no scratch folder"
    PATH="$repo/build:$path0" eval "$cmd" >"$T/out.log" 2>&1 </dev/null ||
      fail "docs/$name.md, command $i exited $?: $cmd
$(tail -5 "$T/out.log")"
  done <<<"$block"
  echo "docs/$name.md: $i commands ok"
done
echo "docs_examples: ok"
