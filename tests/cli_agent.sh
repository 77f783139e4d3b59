#!/usr/bin/env bash
# mimic agent import / fit / predict / calibrate / examples / dagger / serve
# / eval: the mission's example end to end (0.67, the complaint deferred,
# corrected by a program, stored, learned), tau-bench eval --json with
# coverage and accuracy at 0.5/0.7/0.9, malformed records named by line and
# field, the server answering /predict, /correct and /health and refusing
# malformed JSON with 400, and usage errors.
set -u
MIMIC=${1:?usage: cli_agent.sh path/to/mimic}
SRC=${MIMIC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${MIMIC_DATA:-$SRC/../shared/data}
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

# --- import: the shipped files and malformed lines ---------------------------
out=$("$MIMIC" agent import "$DATA/text-agents/tau-bench/gpt-4o-airline.json" -o "$T/tau.jsonl" --json) \
  || fail "import tau-bench"
[ "$(echo "$out" | jget '["traces"]')" = 200 ] || fail "tau-bench traces: $out"
[ "$(echo "$out" | jget '["tool_calls"]')" = 1164 ] || fail "tau-bench tool calls: $out"
[ "$(echo "$out" | jget '["replies"]')" = 1290 ] || fail "tau-bench replies: $out"
[ "$(echo "$out" | jget '["tools"].__len__()')" = 14 ] || fail "tau-bench tools: $out"
[ "$(wc -l < "$T/tau.jsonl")" = 200 ] || fail "tau.jsonl lines"
out=$("$MIMIC" agent import "$DATA/text-agents/fireact/hotpotqa.jsonl" --json) || fail "import fireact"
[ "$(echo "$out" | jget '["tools"]["search"]')" = 885 ] || fail "fireact search: $out"
[ "$(echo "$out" | jget '["tools"]["finish"]')" = 500 ] || fail "fireact finish: $out"

head -n 3 "$MISSION/demos.jsonl" > "$T/bad.jsonl"
echo '{"id": "x", "request": "r", "steps": [{"action": {"tool": "reply"}}]}' >> "$T/bad.jsonl"
echo 'not json at all' >> "$T/bad.jsonl"
echo '{"id": "y", "request": "r", "steps": [{"action": {"tool": "t", "arguments": "no"}}]}' >> "$T/bad.jsonl"
"$MIMIC" agent import "$T/bad.jsonl" -o "$T/good.jsonl" 2> "$T/err" > "$T/out" || fail "import with bad lines"
grep -q "bad.jsonl: line 4: steps\[0\].action.tool" "$T/err" || fail "line 4 not reported: $(cat "$T/err")"
grep -q "bad.jsonl: line 5: .*not valid JSON" "$T/err" || fail "line 5 not reported: $(cat "$T/err")"
grep -q "bad.jsonl: line 6: steps\[0\].action.arguments" "$T/err" || fail "line 6 not reported"
grep -q "3 trajectories" "$T/out" || fail "the good lines did not load: $(cat "$T/out")"
[ "$(wc -l < "$T/good.jsonl")" = 3 ] || fail "good.jsonl"
"$MIMIC" agent import "$T/bad.jsonl" --strict > /dev/null 2>&1 && fail "--strict should fail"
"$MIMIC" agent import "$T/nope.jsonl" > /dev/null 2>&1; [ $? = 1 ] || fail "missing file: exit 1"

# --- the mission: fit, predict, the complaint, dagger, learned ---------------
"$MIMIC" agent fit --traces "$MISSION/demos.jsonl" --policy frequency -o "$T/m.mimic" --quiet \
  || fail "fit frequency"
out=$("$MIMIC" agent predict --model "$T/m.mimic" --state '{"intent": "order_status", "request": "Where is order F1207?"}' --json) \
  || fail "predict"
[ "$(echo "$out" | jget '["action"]')" = search_orders ] || fail "order_status: $out"
[ "$(echo "$out" | python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["confidence"])')" = 0.67 ] \
  || fail "confidence 0.67: $out"
[ "$(echo "$out" | jget '["route"]')" = act ] || fail "route act: $out"
[ "$(echo "$out" | jget '["arguments"]["order_id"]')" = F1207 ] || fail "argument from the request: $out"
out=$("$MIMIC" agent predict --model "$T/m.mimic" --state '{"intent": "complaint", "request": "It arrived broken!"}' --json --fallback expert) \
  || fail "predict complaint"
[ "$(echo "$out" | jget '["route"]')" = expert ] || fail "complaint goes to the expert: $out"

out=$("$MIMIC" agent dagger --demos "$MISSION/demos.jsonl" --pool "$MISSION/pool.jsonl" \
      --expert "cmd:$MISSION/expert.sh" --store "$T/corr.db" --policy frequency -o "$T/m2.mimic" --json) \
  || fail "dagger"
[ "$(echo "$out" | jget '["expert_queries"]')" = 1 ] || fail "one question: $out"
# the router's threshold is where the expert is asked: at 0.7 the state
# predicted with confidence 0.67 is asked too
out=$("$MIMIC" agent dagger --demos "$MISSION/demos.jsonl" --pool "$MISSION/pool.jsonl" \
      --expert "cmd:$MISSION/expert.sh" --store "$T/corr07.db" --policy frequency --threshold 0.7 \
      -o "$T/m07.mimic" --json) || fail "dagger --threshold 0.7"
[ "$(echo "$out" | jget '["expert_queries"]')" = 2 ] || fail "--threshold 0.7 asks both: $out"
out=$("$MIMIC" agent predict --model "$T/m2.mimic" --state '{"intent": "complaint", "request": "It arrived broken!"}' --json) \
  || fail "predict after dagger"
[ "$(echo "$out" | jget '["action"]')" = escalate_to_human ] || fail "learned: $out"
# the one correction's argument, copied from nowhere, is reproduced
[ "$(echo "$out" | jget '["arguments"]["reason"]')" = complaint ] || fail "the correction's arguments: $out"
[ "$(echo "$out" | jget '["confidence"]')" = 1.0 ] || fail "confidence 1: $out"
# the correction is in the store: fit from demos + store gives the same
"$MIMIC" agent fit --traces "$MISSION/demos.jsonl" --corrections "$T/corr.db" --policy frequency -o "$T/m3.mimic" --quiet \
  || fail "fit with corrections"
out=$("$MIMIC" agent predict --model "$T/m3.mimic" --state '{"intent": "complaint", "request": "x"}' --json)
[ "$(echo "$out" | jget '["action"]')" = escalate_to_human ] || fail "fit --corrections: $out"

# --- examples (few-shot retrieval) -----------------------------------------------
"$MIMIC" agent fit --traces "$MISSION/demos.jsonl" -o "$T/lr.mimic" --quiet || fail "fit logreg"
"$MIMIC" agent examples --model "$T/lr.mimic" --state '{"intent": "refund", "request": "my blender is broken, money back"}' -k 2 -o "$T/shots.json" \
  || fail "examples"
[ "$(jget '[0]["trace"]' < "$T/shots.json")" = demo-4 ] || fail "nearest demonstration: $(cat "$T/shots.json")"
[ "$(jget '.__len__()' < "$T/shots.json")" -le 2 ] || fail "k=2"

# --- eval and calibrate on tau-bench -----------------------------------------
out=$("$MIMIC" agent eval --traces "$DATA/text-agents/tau-bench/gpt-4o-airline.json" --split-by task \
      --test-fraction 0.3 --seed 1 --json) || fail "eval"
python3 - "$out" <<'PY' || fail "eval --json: $out"
import json, sys
d = json.loads(sys.argv[1])
assert d["split_by"] == "task" and d["test_groups"] == 15 and d["test_traces"] == 60, d
# the held-out tasks are named, so the split can be reproduced elsewhere
assert len(d["held_out"]) == 15 and len(set(d["held_out"])) == 15, d["held_out"]
assert 0.6 < d["accuracy"] < 0.9, d["accuracy"]
t = {r["threshold"]: r for r in d["thresholds"]}
assert set(t) == {0.5, 0.7, 0.9}
assert t[0.5]["coverage"] >= t[0.7]["coverage"] >= t[0.9]["coverage"]
assert t[0.9]["accuracy"] >= t[0.5]["accuracy"] > d["accuracy"]
assert d["coverage_at"]["0.7"] == t[0.7]["coverage"] and d["accuracy_at"]["0.7"] == t[0.7]["accuracy"]
PY
# ... and --held-out reproduces it: the same test side, the same accuracy
held=$(echo "$out" | jget '["held_out"]' | tr -d "[]' ")
out2=$("$MIMIC" agent eval --traces "$DATA/text-agents/tau-bench/gpt-4o-airline.json" --held-out "$held" \
       --json) || fail "eval --held-out"
[ "$(echo "$out2" | jget '["accuracy"]')" = "$(echo "$out" | jget '["accuracy"]')" ] ||
  fail "--held-out $held did not reproduce the split"
"$MIMIC" agent calibrate --traces "$T/tau.jsonl" --plot "$T/calib.png" > "$T/cal.txt" || fail "calibrate"
[ -s "$T/calib.png" ] || fail "no plot"
grep -q "threshold" "$T/cal.txt" || fail "calibrate table"
[ "$(grep -c '^ *0\.[0-9]' "$T/cal.txt")" -ge 20 ] || fail "calibrate rows: $(cat "$T/cal.txt")"

# --- serve -----------------------------------------------------------------------
"$MIMIC" agent serve --model "$T/lr.mimic" --port 0 --store "$T/served.db" 2> "$T/serve.log" &
SERVER_PID=$!
for _ in $(seq 50); do grep -q "serving" "$T/serve.log" && break; sleep 0.1; done
PORT=$(sed -n 's/.*http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/serve.log")
[ -n "$PORT" ] || fail "server did not start: $(cat "$T/serve.log")"
source "$(dirname "${BASH_SOURCE[0]}")/http.sh"
http GET /health || fail "health"
[ "$(echo "$BODY" | jget '["status"]')" = ok ] || fail "health: $BODY"
http POST /predict '{"state": {"intent": "order_status", "request": "Where is order F1207?"}, "k": 1}'
[ "$(echo "$BODY" | jget '["action"]')" = search_orders ] || fail "/predict: $BODY"
[ "$(echo "$BODY" | jget '["examples"].__len__()')" = 1 ] || fail "/predict examples: $BODY"
[ "$(echo "$BODY" | jget '["act"]')" = "$( [ "$(echo "$BODY" | jget '["route"]')" = act ] && echo True || echo False)" ] \
  || fail "/predict act does not agree with route: $BODY"
# unknown or missing keys are a 400, not a confident answer to another question
http POST /predict '{}'
[ "$CODE" = 400 ] && echo "$BODY" | grep -q "the state is empty" || fail "empty state: $CODE $BODY"
http POST /predict '{"stat": {"request": "Where is order F1207?"}}'
[ "$CODE" = 400 ] && echo "$BODY" | grep -q 'unknown key \\"stat\\"' || fail "misspelled key: $CODE $BODY"
http POST /predict '{"state": {"requets": "Where is order F1207?"}}'
[ "$CODE" = 400 ] && echo "$BODY" | grep -q 'unknown key \\"requets\\"' || fail "misspelled state key: $CODE $BODY"
http POST /predict '{"request": "Where is order F1207?", "k": 0, "threshold": 0.7}'
[ "$CODE" = 200 ] || fail "a bare state: $CODE $BODY"
# numbers in the fewest digits that read back the same: 0.7, not 0.69999999999999996
echo "$BODY" | grep -q '"threshold":0.7,' || fail "threshold printed as: $BODY"
# "reply" is reserved for plain replies here as on import
http POST /predict '{"request": "x", "previous_actions": [{"tool": "reply", "arguments": {}}]}'
[ "$CODE" = 400 ] && echo "$BODY" | grep -q "reserved for plain replies" || fail "tool reply: $CODE $BODY"
http POST /correct '{"state": {"request": "x"}, "action": "reply", "arguments": {"a": 1}}'
[ "$CODE" = 400 ] && echo "$BODY" | grep -q "reserved for plain replies" || fail "correct reply: $CODE $BODY"
http POST /predict '{"state": '
[ "$CODE" = 400 ] || fail "malformed JSON: $CODE"
echo "$BODY" | grep -q "malformed JSON" || fail "400 message: $BODY"
http POST /correct '{"state": {"intent": "complaint", "request": "broken"}, "action": "escalate_to_human"}'
[ "$CODE" = 201 ] || fail "/correct: $CODE"
http GET /nowhere
[ "$CODE" = 404 ] || fail "404: $CODE"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
grep -q "1 corrections" "$T/serve.log" || fail "server summary: $(cat "$T/serve.log")"
"$MIMIC" agent fit --corrections "$T/served.db" --policy frequency -o "$T/c.mimic" --json | grep -q '"corrections":1' \
  || fail "served correction not stored"

# --- usage errors ----------------------------------------------------------------
"$MIMIC" agent fit --traces "$MISSION/demos.jsonl" -o "$T/x.mimic" --policy nonsense > /dev/null 2>&1
[ $? = 2 ] || fail "unknown policy: exit 2"
"$MIMIC" agent predict --model "$T/m.mimic" --state '{"request": ' > /dev/null 2>&1
[ $? = 1 ] || fail "bad --state: exit 1"
"$MIMIC" agent eval --traces "$T/tau.jsonl" --test-fraction 2 > /dev/null 2>&1
[ $? = 2 ] || fail "bad --test-fraction: exit 2"
"$MIMIC" agent bogus > /dev/null 2>&1
[ $? = 2 ] || fail "unknown subcommand: exit 2"
"$MIMIC" agent fit --traces "$MISSION/demos.jsonl" -o "$T/x.mimic" --trees -1 > /dev/null 2>&1
[ $? = 2 ] || fail "--trees -1: exit 2"

# --- logreg averaged with a random forest ------------------------------------------
"$MIMIC" agent fit --traces "$DATA/text-agents/tau-bench/gpt-4o-airline.json" --trees 20 \
  -o "$T/forest.mimic" --quiet || fail "fit --trees 20"
out=$("$MIMIC" agent predict --model "$T/forest.mimic" --state '{"request": "cancel my trip", "previous": []}' --json) \
  || fail "predict with a forest"
[ "$(echo "$out" | jget '["action"]')" = reply ] || fail "first move with a forest: $out"
echo "cli_agent: all passed"
