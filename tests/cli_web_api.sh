#!/usr/bin/env bash
# The labeling page's API (mimic text dagger --expert web): bad requests
# (an unknown item id, an answer for an item already answered or held by
# another labeler, malformed JSON, an oversized body, a bad labeler name or
# label, a missing token where the page is served beyond loopback) get 4xx
# and change nothing: the label log ends with exactly the good answers. An
# agent's question carries the learner's suggested tool arguments.
set -u
MIMIC=${1:?usage: cli_web_api.sh path/to/mimic}
. "$(dirname "$0")/web_prelude.sh"
field() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[k] if v is not None else None
print("" if v is None else v)' "$1" <<<"$BODY"; }
serve() { # serve [ARGS...]: text dagger with the page on a free port; sets PORT and PID
  "$MIMIC" text dagger --pool "$T/pool.csv" --labeled "$T/seed.csv" --expert web:0 \
    --db "$T/l.sqlite" --rounds 1 --batch 2 --quiet "$@" 2>"$T/err" &
  PID=$!
  page_port "$T/err"
}

text_fixtures 3

serve
for _ in $(seq 200); do # the page is up before the loop asks its first questions
  expect 200 GET "/api/next?labeler=alice"
  A=$(field item.id)
  [ -n "$A" ] && break
  sleep 0.05
done
[ -n "$A" ] || fail "alice got no question: $BODY"
expect 200 GET "/api/next?labeler=bob"
B=$(field item.id)
[ -n "$B" ] && [ "$B" != "$A" ] || fail "bob got '$B', alice '$A'"
expect 404 POST /api/answer '{"item":"pool.csv:99","label":"refund","labeler":"alice"}'
expect 400 POST /api/answer '{"item":"'"$A"'","label":"refund","labeler":"alice"'
expect 400 POST /api/answer '[1, 2]'
expect 400 POST /api/answer ''
expect 413 POST /api/answer "{\"item\":\"$A\",\"label\":\"refund\",\"labeler\":\"alice\",\"x\":\"$(printf '%*s' 20000 '' | tr ' ' a)\"}"
expect 400 POST /api/answer '{"item":"'"$A"'","label":"refund","labeler":"al ice"}'
expect 400 POST /api/answer '{"item":"'"$A"'","label":"no_such_label","labeler":"alice"}'
expect 400 POST /api/answer '{"item":"'"$A"'","labeler":"alice"}'
expect 400 POST /api/answer '{"item":"'"$A"'","label":"refund","labeler":"alice","arguments":[1]}'
expect 409 POST /api/answer '{"item":"'"$A"'","label":"refund","labeler":"bob"}'
expect 409 POST /api/undo '{"labeler":"alice"}'
expect 404 GET /api/nothing
expect 405 PUT /api/next
expect 200 GET /api/progress
[ "$(field answered)" = 0 ] || fail "bad requests changed the progress: $BODY"
expect 200 POST /api/answer '{"item":"'"$A"'","label":"card_arrival","labeler":"alice"}'
expect 409 POST /api/answer '{"item":"'"$A"'","label":"refund","labeler":"alice"}'
expect 409 POST /api/skip '{"item":"'"$A"'","labeler":"alice"}'
expect 409 POST /api/undo '{"labeler":"bob"}'
expect 200 GET /api/progress
[ "$(field answered)" = 1 ] || fail "after one answer: $BODY"
expect 200 POST /api/answer '{"item":"'"$B"'","label":"refund","labeler":"bob"}'
wait "$PID" || fail "text dagger failed"
PID=
"$MIMIC" text export --db "$T/l.sqlite" --session text-dagger -o "$T/x.jsonl" 2>/dev/null ||
  fail "export"
got=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["round"] > 0: print(r["item"], r["label"], r["labeler"])' "$T/x.jsonl" | sort)
want=$(printf '%s card_arrival web:alice\n%s refund web:bob\n' "$A" "$B" | sort)
[ "$got" = "$want" ] || fail "the label log holds '$got', want '$want'"

# an agent's question carries the arguments the learner fills for its
# suggested tool (here copied from the request), which the page starts with
M=$(cd "$here/../docs/agent-mission" && pwd)
cat >"$T/apool.jsonl" <<'JSONL'
{"id":"p-1","intent":"order_status","request":"Where is my order #Z9876? It is late.","steps":[{"action":{"tool":"search_orders","arguments":{"order_id":"Z9876"}}}]}
JSONL
"$MIMIC" agent dagger --demos "$M/demos.jsonl" --pool "$T/apool.jsonl" --store "$T/a.sqlite" \
  -o "$T/a.mimic" --query uncertain:1 --expert web:0 --quiet 2>"$T/err" &
PID=$!
page_port "$T/err"
for _ in $(seq 200); do
  expect 200 GET "/api/next?labeler=alice"
  A=$(field item.id)
  [ -n "$A" ] && break
  sleep 0.05
done
[ "$(field item.suggested)" = search_orders ] || fail "the agent learner suggests $(field item.suggested)"
got=$(python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["item"]["state"]["guess"]["arguments"]))' <<<"$BODY")
[ "$got" = '{"order_id": "Z9876"}' ] || fail "the suggestion's arguments are $got: $BODY"
expect 200 POST /api/answer '{"item":"'"$A"'","label":"search_orders","labeler":"alice","arguments":{"order_id":"Z9876"}}'
wait "$PID" || fail "agent dagger failed"
PID=

# beyond loopback: a warning, and every API call needs the token
rm -f "$T"/l.sqlite*
serve --bind 0.0.0.0
grep -q "warning: the labeling page is served on 0.0.0.0" "$T/err" || fail "no warning: $(cat "$T/err")"
TOKEN=$(sed -n 's/.*?token=\([0-9a-f]*\).*/\1/p' "$T/err")
[ ${#TOKEN} = 32 ] || fail "no token printed: $(cat "$T/err")"
expect 403 GET "/api/next?labeler=alice"
expect 403 GET "/api/next?labeler=alice&token=0123"
expect 200 GET "/"
expect 200 GET "/api/next?labeler=alice&token=$TOKEN"
kill "$PID"
wait "$PID" 2>/dev/null
PID=
echo "ok: the page's API refuses bad requests and changes nothing"
