#!/usr/bin/env bash
# Preference gatherers besides the oracle, end to end: a person at a
# pseudo-terminal (script(1)) answers and quits; every answer is in the
# label log; a run killed (SIGKILL) mid-way keeps every answer given and,
# started again, replays them and asks only the rest, ending with the same
# policy file, byte for byte, as a run that got all the answers at once; a
# run with other settings refuses the log; a program gatherer (the
# expert protocol's "compare" requests) trains, and a program's bad reply
# is an error naming the field.
set -euo pipefail
mimic=$1
src=${MIMIC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/prelude.sh"
answers_in() { # number of answers a label log holds
  /usr/bin/python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from labels where undone = 0").fetchone()[0])' "$1"
}
run=(train preferences --env CartPole-v1 --env-opts fixed_horizon=1 --comparisons 8 --iterations 1
  --fragment-length 10 --initial-epoch-multiplier 2 --steps 2048 --quiet)
all="1 2 e s 1 2 1 2"

# all eight answers at once: the reference
printf '%s\n' $all | "$mimic" "${run[@]}" --gatherer human -o "$dir/ref.mimic" 2> "$dir/err" > /dev/null ||
  fail "uninterrupted run: $(cat "$dir/err")"
[ "$(answers_in "$dir/ref.mimic.labels")" = 8 ] || fail "the log holds $(answers_in "$dir/ref.mimic.labels") answers"

# a person at a pseudo-terminal answers three and quits: exit 0, three kept
printf '1\n2\ne\nq\n' | script -qec "'$mimic' ${run[*]} --gatherer human -o '$dir/p.mimic'" /dev/null \
  > "$dir/tty" || fail "quitting at the terminal: $(tail -3 "$dir/tty")"
grep -q "comparison 4" "$dir/tty" || fail "no fourth question: $(tail -5 "$dir/tty")"
grep -q "3 answers are kept" "$dir/tty" || fail "no resume hint: $(tail -3 "$dir/tty")"
[ "$(answers_in "$dir/p.mimic.labels")" = 3 ] || fail "after quitting: $(answers_in "$dir/p.mimic.labels")"

# started again, it replays three, is fed two more, and is killed hard
mkfifo "$dir/in"
"$mimic" "${run[@]}" --gatherer human -o "$dir/p.mimic" < "$dir/in" 2> "$dir/err2" > /dev/null &
pid=$!
exec 3> "$dir/in"
printf 's\n1\n' >&3
for _ in $(seq 600); do
  [ "$(answers_in "$dir/p.mimic.labels")" = 5 ] && break
  sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2> /dev/null || true
exec 3>&-
grep -q "3 answers in .* are replayed; asking from comparison 4" "$dir/err2" || fail "replay: $(cat "$dir/err2")"
[ "$(answers_in "$dir/p.mimic.labels")" = 5 ] || fail "after the kill: $(answers_in "$dir/p.mimic.labels")"
[ ! -e "$dir/p.mimic" ] || fail "a killed run wrote its policy"

# resumed once more with the last three answers: the same policy as the reference
printf '2\n1\n2\n' | "$mimic" "${run[@]}" --gatherer human -o "$dir/p.mimic" 2> "$dir/err3" > /dev/null ||
  fail "resume: $(cat "$dir/err3")"
[ "$(answers_in "$dir/p.mimic.labels")" = 8 ] || fail "at the end: $(answers_in "$dir/p.mimic.labels")"
cmp -s "$dir/p.mimic" "$dir/ref.mimic" || fail "the resumed run's policy differs from the uninterrupted one's"

# a log is refused by a run with other settings, and a finished one is not reopened
set +e
printf '1\nq\n' | "$mimic" "${run[@]}" --gatherer human -o "$dir/o.mimic" > /dev/null 2>&1
printf '1\n' | "$mimic" "${run[@]}" --seed 9 --gatherer human -o "$dir/o.mimic" 2> "$dir/err4" > /dev/null
[ $? -eq 1 ] || fail "a log of other settings was accepted"
grep -q "other settings" "$dir/err4" || fail "other settings message: $(cat "$dir/err4")"
printf '1\n' | "$mimic" "${run[@]}" --gatherer human -o "$dir/x.mimic" --label-log "$dir/ref.mimic.labels" \
  2> "$dir/err4" > /dev/null
[ $? -eq 1 ] || fail "a finished session was reopened"
grep -q "finished" "$dir/err4" || fail "finished message: $(cat "$dir/err4")"
set -e

# a program answers (the expert protocol's compare requests)
json=$("$mimic" "${run[@]}" --gatherer "cmd:/usr/bin/python3 -u $src/examples/experts/cartpole_preferences.py" \
  -o "$dir/prog.mimic" --json | tr -d '\n')
case "$json" in *'"comparisons": 8'* | *'"comparisons":8'*) ;; *) fail "program gatherer: $json" ;; esac
[ "$(answers_in "$dir/prog.mimic.labels")" = 8 ] || fail "program answers not logged"
cat > "$dir/bad.py" << 'PY'
import json, sys
for line in sys.stdin:
    print(json.dumps({"id": json.loads(line)["id"], "preference": 3}), flush=True)
PY
set +e
"$mimic" "${run[@]}" --gatherer "cmd:/usr/bin/python3 -u $dir/bad.py" -o "$dir/bad.mimic" 2> "$dir/err5"
[ $? -eq 1 ] || fail "a bad reply was accepted"
grep -q '"preference" must be a number in \[0, 1\]' "$dir/err5" || fail "bad reply message: $(cat "$dir/err5")"
"$mimic" "${run[@]}" --gatherer telepathy -o x 2> /dev/null
[ $? -eq 2 ] || fail "unknown gatherer"
set -e
echo "cli_pref_gather: ok"
