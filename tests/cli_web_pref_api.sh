#!/usr/bin/env bash
# The preferences page's API (mimic train preferences --gatherer web):
# questions are pairs of clips with a PNG of both clips' frames; bad
# requests (an unknown item or choice, an answer for a pair already
# answered or held by another labeler, malformed JSON, an oversized body,
# another labeler's undo) get 4xx and change nothing; answers by two
# labelers, a skip and an undo end in the label log exactly as given; a run
# killed mid-round resumes keeping every answer and asks only the rest.
set -u
MIMIC=${1:?usage: cli_web_pref_api.sh path/to/mimic}
. "$(dirname "$0")/web_prelude.sh"
field() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v = None if v is None else v[int(k)] if isinstance(v, list) else v[k]
print("" if v is None else (json.dumps(v) if isinstance(v, (list, dict)) else v))' "$1" <<<"$BODY"; }
serve() { # the preference run with the page on a free port; sets PORT and PID
  "$MIMIC" train preferences --env CartPole-v1 --env-opts fixed_horizon=1 --comparisons 6 \
    --iterations 1 --initial-frac 0.5 --fragment-length 10 --initial-epoch-multiplier 2 \
    --steps 2048 --quiet --gatherer web:0 -o "$T/p.mimic" "$@" 2>"$T/err" >/dev/null &
  PID=$!
  page_port "$T/err"
}
next_item() { # next_item NAME: waits for NAME's question; sets ID
  ID=
  for _ in $(seq 1200); do
    expect 200 GET "/api/next?labeler=$1"
    ID=$(field item.id)
    [ -n "$ID" ] && return 0
    sleep 0.05
  done
  fail "$1 got no question: $BODY"
}
logged() { # the log's answers: item label labeler, in the order given
  python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute("select item, label, labeler from labels where undone = 0 order by id"):
    print(*r)' "$T/p.mimic.labels"
}

serve
next_item alice
A=$ID
[ "$(field item.kind)" = compare ] || fail "kind: $BODY"
[ "$(field item.actions)" = '["left", "right", "equal"]' ] || fail "actions: $(field item.actions)"
[ "$(field item.frame)" = True ] || fail "CartPole's clips have no frames: $BODY"
[ "$(field item.state.steps)" = 10 ] || fail "clip length: $(field item.state.steps)"
[ "$(field progress.budget)" = 6 ] && [ "$(field progress.count)" = 3 ] || fail "progress: $BODY"
python3 -c 'import json,sys; s=json.loads(sys.argv[1])["item"]["state"]
assert len(s["left"]["observations"]) == len(s["shown"]) == len(s["right"]["actions"]) == 10, s
assert all(len(r) == 4 for r in s["left"]["observations"])' "$BODY" || fail "clips: $BODY"
IDQ=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))' "$A")
expect 200 GET "/api/frame?item=$IDQ" 2>/dev/null
[ "${BODY:1:3}" = PNG ] || fail "the frame is not a PNG"
next_item bob
B=$ID
[ "$B" != "$A" ] || fail "bob was handed alice's pair $A"

expect 404 POST /api/answer '{"item":"comparison 99/0","label":"left","labeler":"alice"}'
expect 400 POST /api/answer '{"item":"'"$A"'","label":"left","labeler":"alice"'
expect 400 POST /api/answer '["left"]'
expect 413 POST /api/answer "{\"item\":\"$A\",\"label\":\"left\",\"labeler\":\"alice\",\"x\":\"$(printf '%*s' 20000 '' | tr ' ' a)\"}"
expect 400 POST /api/answer '{"item":"'"$A"'","label":"up","labeler":"alice"}'
expect 400 POST /api/answer '{"item":"'"$A"'","label":7,"labeler":"alice"}'
expect 400 POST /api/answer '{"item":"'"$A"'","labeler":"alice"}'
expect 409 POST /api/answer '{"item":"'"$A"'","label":"left","labeler":"bob"}'
expect 409 POST /api/undo '{"labeler":"alice"}'
expect 200 GET /api/progress
[ "$(field answered)" = 0 ] && [ "$(field total)" = 0 ] || fail "bad requests changed the progress: $BODY"
[ "$(logged | wc -l)" = 0 ] || fail "bad requests reached the log: $(logged)"

expect 200 POST /api/answer '{"item":"'"$A"'","label":"left","labeler":"alice"}'
[ "$(logged)" = "$A first web:alice" ] || fail "not on disk when the reply came: $(logged)"
expect 409 POST /api/answer '{"item":"'"$A"'","label":"right","labeler":"alice"}'
expect 409 POST /api/undo '{"labeler":"bob"}'
expect 200 POST /api/answer '{"item":"'"$B"'","label":"equal","labeler":"bob"}'
expect 200 POST /api/undo '{"labeler":"bob"}'
[ "$(logged | wc -l)" = 1 ] || fail "undo left $(logged)"
next_item bob
[ "$ID" = "$B" ] || fail "after undo bob got $ID, not $B again"
expect 200 POST /api/answer '{"item":"'"$B"'","label":"right","labeler":"bob"}'
expect 200 GET /api/progress
[ "$(field answered)" = 2 ] && [ "$(field total)" = 2 ] || fail "after two answers: $BODY"
# the round's last pair is held by nobody: killed before it is answered
kill -9 "$PID"
wait "$PID" 2>/dev/null
PID=
want=$(printf '%s first web:alice\n%s second web:bob\n' "$A" "$B")
[ "$(logged)" = "$want" ] || fail "after the kill the log holds '$(logged)', want '$want'"

# started again: the two answers are replayed, only the third pair is asked
serve
next_item carol
C=$ID
[ "$C" != "$A" ] && [ "$C" != "$B" ] || fail "a pair answered before the kill was asked again: $C"
expect 200 GET /api/progress
[ "$(field total)" = 2 ] || fail "the resumed page does not count the kept answers: $BODY"
expect 200 POST /api/skip '{"item":"'"$C"'","labeler":"carol"}'
for label in left right equal; do # the second round's three pairs
  next_item carol
  if [ $label = equal ]; then # before the last answer: once it is in, the run ends
    expect 200 GET /api/progress
    [ "$(field total)" = 5 ] && [ "$(field budget)" = 6 ] || fail "before the last pair: $BODY"
    [ "$(field history.0.metric)" = "reward accuracy" ] || fail "no chart of the rounds: $BODY"
  fi
  expect 200 POST /api/answer '{"item":"'"$ID"'","label":"'$label'","labeler":"carol"}'
done
wait "$PID" || fail "the run failed"
PID=
[ -s "$T/p.mimic" ] || fail "no policy written"
got=$(logged | awk '{print $(NF-1), $NF}' | tr '\n' ' ')
[ "$got" = "first web:alice second web:bob skip web:carol first web:carol second web:carol equal web:carol " ] ||
  fail "the label log holds '$got'"
[ "$(logged | cut -d/ -f1 | sort -u | wc -l)" = 6 ] || fail "items: $(logged)"
echo "ok: the preferences page's API stores exactly the answers given"
