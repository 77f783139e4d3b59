#!/usr/bin/env bash
# README.md's tour, run as written: every command of the section "The
# command, a tour", in order, in one shell (so its `export`, `cd` and
# variables carry over), each of which must succeed. It runs in a scratch
# copy of the repository's folder: build/ and examples/ are links to the
# real ones and ../shared/data to the real data, so the tour's own paths
# work unchanged. Two kinds of command cannot run unattended as a person
# would run them, and get the least help:
# - a human expert (`--expert human`) reads a terminal: the command runs
#   under script(1), which gives it one, and a few answers are typed;
# - `agent serve` runs until interrupted: it runs in the background on a
#   free port (8080 may be taken by another test), answers /health and
#   /predict, and is stopped.
# Usage: readme_tour.sh MIMIC (the built command; MIMIC_SOURCE_DIR the repo)
set -u
mimic=$(realpath "$1")
src=${MIMIC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
data=${MIMIC_DATA:-$src/../shared/data}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
[ -d "$data/text-agents" ] || fail "no data sets in $data (set MIMIC_DATA)"

T=$(mktemp -d)
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/repo" "$T/shared"
ln -s "$(dirname "$mimic")" "$T/repo/build"
ln -s "$src/examples" "$T/repo/examples"
ln -s "$(realpath "$data")" "$T/shared/data"

# The tour: the indented lines of the section, continuation lines joined.
commands=$(awk '
  /^## The command, a tour/ { on = 1; next }
  on && /^Every command takes/ { exit }
  on && /^    / {
    line = substr($0, 5)
    if (cont != "") { line = cont " " line; cont = "" }
    if (line ~ /\\$/) { cont = substr(line, 1, length(line) - 1); next }
    print line
  }' "$src/README.md")
n=$(grep -c . <<<"$commands")
[ "$n" -ge 40 ] || fail "found only $n commands in README's tour"

source "$(dirname "${BASH_SOURCE[0]}")/http.sh"

# A person's answers: quit at once in the gridworld, take the model's best
# guess for all 30 text questions, answer five agent states and quit.
answers() {
  case "$1" in
  *"train dagger"*) printf 'q' ;;
  *"text dagger"*) for _ in $(seq 30); do printf 'g\n'; done ;;
  *"agent dagger"*) printf 'g\ng\ng\ng\ng\nq\n' ;;
  esac
}

serve() {
  local cmd=${1/--port 8080/--port 0}
  eval "${cmd%%#*} 2>\"\$T/serve.log\" &" # the server itself is the job: $! stops it
  SERVER_PID=$!
  for _ in $(seq 100); do grep -q "serving" "$T/serve.log" && break; sleep 0.1; done
  PORT=$(sed -n 's/.*http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/serve.log")
  [ -n "$PORT" ] || fail "the server did not start: $(cat "$T/serve.log")"
  http GET /health && [ "$CODE" = 200 ] || fail "GET /health: $CODE $BODY"
  http POST /predict '{"state": {"request": "I need to cancel my reservation."}}'
  [ "$CODE" = 200 ] && grep -q '"action"' <<<"$BODY" || fail "POST /predict: $CODE $BODY"
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=
}

cd "$T/repo" || fail "no scratch folder"
set -a # the tour's variables reach the commands run under script(1)
i=0
while IFS= read -r cmd; do
  [[ "$cmd" =~ ^[[:space:]]*(#|$) ]] && continue
  i=$((i + 1))
  start=$(date +%s.%N)
  if [[ "$cmd" == *"--expert human"* ]]; then
    answers "$cmd" | script -qec "$cmd" /dev/null >"$T/human.log" 2>&1
    rc=$?
    [ $rc = 0 ] || fail "exit $rc: $cmd
$(tail -5 "$T/human.log")"
  elif [[ "$cmd" == *"agent serve"* ]]; then
    serve "$cmd"
  else
    eval "$cmd" >"$T/out.log" 2>&1 </dev/null
    rc=$?
    [ $rc = 0 ] || fail "exit $rc: $cmd
$(tail -5 "$T/out.log")"
  fi
  printf '[%d] %6.1f s  %s\n' "$i" "$(echo "$(date +%s.%N) - $start" | bc)" "$cmd"
done <<<"$commands"
set +a

# What the tour made, as the README says.
cd "$T/repo/tour" || fail "the tour made no tour/ folder"
for f in policy.mimic curve.png lanekeep.mimic dagger.png mine.mimic.dagger p.mimic ppo.png \
  gail.mimic reward.mimic airl.mimic g.mimic on_g.mimic reward.png reward.json refined.mimic \
  intents.mimic labels.jsonl traces.jsonl agent.mimic calibration.png corrections.sqlite; do
  [ -s "$f" ] || [ -d "$f" ] || fail "the tour did not make $f"
done
ls frames/*.png >/dev/null 2>&1 || fail "no PNG frames in frames/"
[ "$(wc -l <labels.jsonl)" = 50 ] || fail "labels.jsonl holds $(wc -l <labels.jsonl) labels, want 20 + 30"
[ "$(grep -c '"labeler":"human"' labels.jsonl)" = 30 ] || fail "labels.jsonl does not hold the 30 answers"
grep -qE ':-?0\.[0-9]{15,}' labels.jsonl && fail "labels.jsonl prints numbers with 17 digits"
echo "readme_tour: ok ($i commands)"
