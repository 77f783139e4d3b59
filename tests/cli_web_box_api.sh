#!/usr/bin/env bash
# Box (continuous) actions on the labeling page: `mimic train dagger --env
# Pendulum-v1 --expert web:0`. A question carries the action space (shape,
# bounds, the dimension's name) and the frame; an answer is a JSON list of
# exactly dim finite numbers inside the bounds; anything else (wrong length,
# NaN, a string, out of range, not a list) gets 400 and changes neither the
# progress nor the label log; mimic killed with SIGKILL mid-round and
# started again keeps every answer and asks on from there; the label log
# ends with exactly the vectors sent (as float32), by whom they were sent.
set -u
MIMIC=${1:?usage: cli_web_box_api.sh path/to/mimic}
. "$(dirname "$0")/web_prelude.sh"
field() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[k] if v is not None else None
print("" if v is None else json.dumps(v) if not isinstance(v, str) else v)' "$1" <<<"$BODY"; }
# the log's answers (rounds >= 1, not undone), oldest first: item|label|labeler
log_rows() { python3 -c 'import sqlite3,sys
for r in sqlite3.connect(sys.argv[1]).execute("SELECT item, label, labeler FROM labels WHERE round > 0 AND undone = 0 ORDER BY id"): print("|".join(r))' "$T/w/labels.sqlite" 2>/dev/null; }
serve() { # the run on a free port; sets PORT and PID
  : >"$T/err"
  "$MIMIC" train dagger --env Pendulum-v1 --expert web:0 --rounds 2 --min-steps 4 \
    --min-episodes 0 --eval-episodes 1 -o "$T/p.mimic" --work "$T/w" --quiet 2>"$T/err" &
  PID=$!
  page_port "$T/err"
}
question() { # waits for alice's question; sets Q (its id), or Q= when the run has ended
  Q=
  for _ in $(seq 1200); do
    kill -0 "$PID" 2>/dev/null || return 0
    http GET "/api/next?labeler=alice" && [ "$CODE" = 200 ] &&
      Q=$(sed -n 's/^{"item":{"id":"\([^"]*\)".*/\1/p' <<<"$BODY") # python is slow to start on a loaded machine
    [ -n "$Q" ] && return 0
    sleep 0.05
  done
  fail "no question came"
}
SENT=() # item|label|labeler as the log must hold them
# a JSON list as the float32 values it means (the log's 9 digits read back to the same bits)
F32='import json,struct,sys
f32 = lambda x: repr(struct.unpack("f", struct.pack("f", float(x)))[0])
def vec(text): return "[" + ", ".join(f32(x) for x in json.loads(text)) + "]"'
answer() { # answer VECTOR: sends it for Q, checks the reply names the float32 stored
  expect 200 POST /api/answer '{"item":"'"$Q"'","label":'"$1"',"labeler":"alice"}'
  python3 -c "$F32"'
got, want = vec(json.load(sys.stdin)["label"]), vec(sys.argv[1])
if got != want: sys.exit("stored %s, want %s" % (got, want))' "$1" <<<"$BODY" || fail "answering $1: $BODY"
  SENT+=("$Q|$1|web:alice")
}

serve
question
[ -n "$Q" ] || fail "the run ended before asking: $(cat "$T/err")"
[ "$(field item.box.names)" = '["torque"]' ] || fail "the dimension's name: $BODY"
[ "$(field item.box.shape)" = '[1]' ] || fail "the shape: $BODY"
[ "$(field item.box.low)" = '[-2.0]' ] && [ "$(field item.box.high)" = '[2.0]' ] ||
  fail "the bounds: $BODY"
[ "$(field item.frame)" = true ] || fail "no frame: $BODY"
[ "$(field item.must_act)" = true ] || fail "a live rollout's question must act: $BODY"
expect 200 GET "/api/frame?item=$Q" 2>/dev/null # a PNG: bash drops its NUL bytes
[ "${BODY:1:3}" = PNG ] || fail "the frame is not a PNG"

# bad vectors: 400, and nothing changes
bad() {
  expect 400 POST /api/answer '{"item":"'"$Q"'","label":'"$1"',"labeler":"alice"}'
  expect 200 GET /api/progress
  [[ $BODY == *'"answered":0,'* ]] || fail "label $1 changed the progress: $BODY"
}
bad '[]'              # wrong length
bad '[0.5, 0.5]'      # wrong length
bad '[NaN]'           # not JSON
bad '[Infinity]'      # not JSON
bad '[1e400]'         # beyond a double
bad '["0.5"]'         # a string
bad '"0.5"'           # not a list
bad '0.5'             # a number, not a list
bad '{"torque":0.5}'  # not a list
bad '[true]'
bad '[null]'
bad '[2.5]'           # out of range: refused, not clipped
bad '[-2.0000001]'    # out of range before float32 rounding
bad '[[0.5]]'
expect 400 POST /api/answer '{"item":"'"$Q"'","labeler":"alice"}'
expect 404 POST /api/answer '{"item":"nothing","label":[0.5],"labeler":"alice"}'
expect 200 GET /api/progress
[ "$(field answered)" = 0 ] || fail "bad requests changed the progress: $BODY"
[ -z "$(log_rows)" ] || fail "bad requests reached the log: $(log_rows)"

# good ones: the bounds themselves, a value float32 does not hold exactly
answer '[0.3]'
question
answer '[2]'
question
answer '[-2.0]'
expect 200 GET /api/progress
[ "$(field answered)" = 3 ] || fail "after three answers: $BODY"
[ "$(log_rows | wc -l)" = 3 ] || fail "three answers, the log holds: $(log_rows)"

# killed mid-round: the same command resumes with every answer kept and asks on
question
{ kill -9 "$PID" && wait "$PID"; } 2>/dev/null
PID=
serve
question
[ -n "$Q" ] || fail "the resumed run ended before asking: $(cat "$T/err")"
for s in "${SENT[@]}"; do [ "${s%%|*}" != "$Q" ] || fail "$Q was answered before the kill and is asked again"; done
[ "$(log_rows | wc -l)" = 3 ] || fail "after the restart the log holds: $(log_rows)"
answer '[-1.2345678]'
answer_all=('[0.25]' '[1.5]' '[-0.75]' '[0]' '[1.9999999]' '[-1e-5]' '[0.125]')
for ((k = 0; ; k++)); do
  question
  [ -n "$Q" ] || break
  [ "$(field item.suggested)" != "" ] || [ "$(field progress.round)" = 1 ] ||
    fail "round 2's question carries no suggestion: $BODY"
  answer "${answer_all[k % ${#answer_all[@]}]}"
done
wait "$PID" || fail "train dagger failed: $(cat "$T/err")"
PID=
[ -f "$T/p.mimic" ] || fail "no learner written"

# the log holds exactly the vectors sent, as float32, by whom
as_f32='
for l in sys.stdin:
    item, label, who = l.rstrip("\n").split("|")
    print(item, vec(label), who)'
got=$(log_rows | python3 -c "$F32$as_f32")
want=$(printf '%s\n' "${SENT[@]}" | python3 -c "$F32$as_f32")
[ "$got" = "$want" ] || fail "the label log holds
$got
but the page sent
$want"
n=$(log_rows | wc -l)
[ "$n" -ge 8 ] || fail "only $n answers over two rounds"
echo "ok: Box answers through the page's API: $n vectors in the log exactly as sent, bad ones refused"
