#!/usr/bin/env bash
# examples/langgraph/router.mjs, LangGraph.js against `mimic agent serve`:
# a confident state is acted on without the reasoning model, an unsure one
# goes to it and its choice comes back to mimic as a stored correction.
# Needs node and `npm install` in examples/langgraph (docs/agent-langgraph.md);
# without them it is skipped (exit 77).
set -u
mimic=$1
src=${MIMIC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
ex=$src/examples/langgraph
mission=$src/docs/agent-mission
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
if ! command -v node >/dev/null || [ ! -d "$ex/node_modules/@langchain/langgraph" ]; then
  echo "SKIP: needs node and 'npm install' in examples/langgraph"
  exit 77
fi
T=$(mktemp -d)
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$T"' EXIT
"$mimic" agent fit --traces "$mission/demos.jsonl" --policy frequency -o "$T/m.mimic" --quiet ||
  fail "agent fit"
"$mimic" agent serve --model "$T/m.mimic" --port 0 --store "$T/c.db" 2>"$T/serve.log" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q "serving" "$T/serve.log" && break; sleep 0.1; done
port=$(sed -n 's/.*http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/serve.log")
[ -n "$port" ] || fail "the server did not start: $(cat "$T/serve.log")"
MIMIC_URL=http://127.0.0.1:$port node "$ex/router.mjs" "$(sed -n 1p "$mission/pool.jsonl")" \
  "$(sed -n 2p "$mission/pool.jsonl")" >"$T/out" 2>"$T/err" || fail "router.mjs: $(cat "$T/err")"
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
python3 - "$T/out" <<'PY' || fail "paths: $(cat "$T/out")"
import json, sys
order, complaint = [json.loads(l) for l in open(sys.argv[1])]
# order_status: mimic is confident, the tool runs with the order id it filled in
assert order["path"][:2] == ["route", "act:search_orders"], order
assert order["moves"][0] == {"tool": "search_orders", "arguments": {"order_id": "F1207"}}, order
# complaint: mimic is unsure, the reasoning model decides
assert complaint["path"][:2] == ["route", "llm:escalate_to_human"], complaint
PY
# the model's choices came back as corrections: a fit on them learns the complaint
"$mimic" agent fit --traces "$mission/demos.jsonl" --corrections "$T/c.db" --policy frequency \
  -o "$T/m2.mimic" --quiet || fail "fit with the corrections"
out=$("$mimic" agent predict --model "$T/m2.mimic" --state "$(sed -n 2p "$mission/pool.jsonl")" --json)
grep -q '"action": *"escalate_to_human"' <<<"$out" || fail "the correction was not learned: $out"
echo "example_langgraph_js: ok"
