#!/usr/bin/env bash
# mimic agent fit / predict / dagger / serve with --policy transformer on
# the mission's demonstrations: the same seed gives the same file byte for
# byte, predict and the server agree, DAgger learns the expert's answer for
# the complaint, arguments are filled from the request, bad settings are
# usage errors.
set -u
MIMIC=${1:?usage: cli_agent_transformer.sh path/to/mimic}
SRC=${MIMIC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
MISSION=$SRC/docs/agent-mission
T=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }
TF="--policy transformer --tf-context 64 --tf-embd 32 --tf-merges 64 --tf-epochs 60 --tf-batch 4"

"$MIMIC" agent fit --traces "$MISSION/demos.jsonl" $TF -o "$T/a.mimic" --quiet || fail "fit"
"$MIMIC" agent fit --traces "$MISSION/demos.jsonl" $TF -o "$T/b.mimic" --quiet || fail "fit again"
cmp -s "$T/a.mimic" "$T/b.mimic" || fail "the same seed gave different files"
"$MIMIC" agent fit --traces "$MISSION/demos.jsonl" $TF --tf-seed 1 -o "$T/c.mimic" --quiet || fail "fit seed 1"
cmp -s "$T/a.mimic" "$T/c.mimic" && fail "another seed gave the same file"

# a refund request: the only refund demonstration starts with search_orders,
# whose order_id comes from the request
STATE='{"intent": "refund", "request": "Please refund order B3341, it never came."}'
out=$("$MIMIC" agent predict --model "$T/a.mimic" --state "$STATE" --json) || fail "predict"
[ "$(echo "$out" | jget '["action"]')" = search_orders ] || fail "refund: $out"
[ "$(echo "$out" | jget '["arguments"]["order_id"]')" = B3341 ] || fail "argument from the request: $out"

# DAgger with the transformer: the complaint is asked, answered, learned
out=$("$MIMIC" agent dagger --demos "$MISSION/demos.jsonl" --pool "$MISSION/pool.jsonl" \
      --expert "cmd:$MISSION/expert.sh" --store "$T/corr.db" $TF --threshold 0.9 -o "$T/d.mimic" --json) \
  || fail "dagger"
[ "$(echo "$out" | jget '["expert_queries"]')" -ge 1 ] || fail "no question asked: $out"
out=$("$MIMIC" agent predict --model "$T/d.mimic" --state '{"intent": "complaint", "request": "It arrived broken!"}' --json) \
  || fail "predict after dagger"
[ "$(echo "$out" | jget '["action"]')" = escalate_to_human ] || fail "learned: $out"

# the server answers what predict answers
"$MIMIC" agent serve --model "$T/a.mimic" --port 0 2> "$T/serve.log" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q "serving" "$T/serve.log" && break; sleep 0.1; done
PORT=$(sed -n 's/.*http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/serve.log")
[ -n "$PORT" ] || fail "server did not start: $(cat "$T/serve.log")"
grep -q "transformer policy" "$T/serve.log" || fail "serve log: $(cat "$T/serve.log")"
source "$(dirname "${BASH_SOURCE[0]}")/http.sh"
http POST /predict "{\"state\": $STATE, \"k\": 0}"
[ "$CODE" = 200 ] || fail "/predict: $CODE $BODY"
[ "$(echo "$BODY" | jget '["action"]')" = search_orders ] || fail "/predict: $BODY"

# bad settings are usage errors (exit 2)
"$MIMIC" agent fit --traces "$MISSION/demos.jsonl" --policy transformer --tf-heads 3 -o "$T/x.mimic" 2> "$T/err"
[ $? = 2 ] && grep -q "multiple of the heads" "$T/err" || fail "--tf-heads 3: $(cat "$T/err")"
"$MIMIC" agent fit --traces "$MISSION/demos.jsonl" --policy transformer --tf-lr 0 -o "$T/x.mimic" 2> "$T/err"
[ $? = 2 ] || fail "--tf-lr 0"
[ ! -e "$T/x.mimic" ] || fail "a refused fit wrote a file"
echo "cli_agent_transformer: ok"
