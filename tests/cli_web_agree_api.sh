#!/usr/bin/env bash
# Agreement mode of the labeling page (mimic text dagger --expert web
# --web-agreement K): distinct labelers are handed the same question, one
# labeler never gets it twice, every vote is in the label log (session
# NAME/votes) with its labeler before its reply, the loop learns the
# majority (a tie goes to the tied label voted for first), undo takes back
# only the labeler's own vote, a run killed with SIGKILL keeps its votes,
# and progress reports pairwise agreement and Fleiss' kappa, checked against
# values worked out by hand. Bad requests get 4xx and change nothing; the
# flag is refused without the page. train preferences --gatherer web takes
# it too.
set -u
MIMIC=${1:?usage: cli_web_agree_api.sh path/to/mimic}
. "$(dirname "$0")/web_prelude.sh"
field() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v = None if v is None else v[int(k)] if isinstance(v, list) else v[k]
print("" if v is None else (round(v, 6) if isinstance(v, float) else v))' "$1" <<<"$BODY"; }
serve() { # serve K [ARGS...]: text dagger with the page on a free port; sets PORT and PID
  local k=$1; shift
  "$MIMIC" text dagger --pool "$T/pool.csv" --labeled "$T/seed.csv" --expert web:0 \
    --db "$T/l.sqlite" --web-agreement "$k" --labels lost_card --quiet "$@" 2>"$T/err" &
  PID=$!
  page_port "$T/err"
}
next() { # next NAME: the item id handed to NAME ("" when none), waiting for the round's questions
  for _ in $(seq 400); do
    expect 200 GET "/api/next?labeler=$1"
    ITEM=$(field item.id)
    [ -n "$ITEM" ] && return
    [ "$(field progress.open)" = True ] && return
    sleep 0.05
  done
}
vote() { expect 200 POST /api/answer '{"item":"'"$2"'","label":"'"$3"'","labeler":"'"$1"'"}'; }
wait_round() { # wait_round R: the page has round R's questions open
  for _ in $(seq 1200); do
    expect 200 GET /api/progress
    [ "$(field round)" = "$1" ] && [ "$(field open)" = True ] && return
    sleep 0.05
  done
  fail "round $1 never opened: $BODY"
}
log_of() { # log_of SESSION: "item label labeler" of its answers after the seed, sorted
  "$MIMIC" text export --db "$T/l.sqlite" --session "$1" -o "$T/x.jsonl" 2>/dev/null || fail "export $1"
  python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["round"] > 0: print(r["item"], r["label"], r["labeler"])' "$T/x.jsonl" | sort
}

text_fixtures 6

# the flag needs the page, and K >= 1
"$MIMIC" text dagger --pool "$T/pool.csv" --labeled "$T/seed.csv" --expert "file:$T/seed.csv" \
  --db "$T/no.sqlite" --web-agreement 2 2>"$T/err" && fail "--web-agreement with a label file ran"
grep -q "web-agreement 2 asks several people at the labeling page.*--expert web" "$T/err" ||
  fail "no clear refusal: $(cat "$T/err")"
"$MIMIC" train dagger --env CartPole-v1 --expert builtin --web-agreement 3 -o "$T/p.mimic" \
  2>"$T/err" && fail "train dagger --web-agreement with builtin ran"
grep -q "give --expert web" "$T/err" || fail "train dagger: $(cat "$T/err")"
"$MIMIC" text dagger --pool "$T/pool.csv" --labeled "$T/seed.csv" --expert web:0 \
  --db "$T/no.sqlite" --web-agreement 0 2>"$T/err" && fail "--web-agreement 0 ran"
grep -q "at least 1" "$T/err" || fail "--web-agreement 0: $(cat "$T/err")"
[ ! -e "$T/no.sqlite" ] || fail "a refused run made a label store"

# ---- K = 2: three labelers, one round of three questions, then round 2
serve 2 --rounds 2 --batch 3
next alice; X=$ITEM
next bob
[ "$ITEM" = "$X" ] || fail "bob got '$ITEM', alice '$X': K = 2 hands a question to two labelers"
next carol; Y=$ITEM
[ -n "$Y" ] && [ "$Y" != "$X" ] || fail "carol got '$Y': $X already has two labelers"
expect 404 POST /api/answer '{"item":"pool.csv:99","label":"refund","labeler":"alice"}'
expect 400 POST /api/answer '{"item":"'"$X"'","label":"refund","labeler":"alice"'
expect 400 POST /api/answer '[1, 2]'
expect 413 POST /api/answer "{\"item\":\"$X\",\"label\":\"refund\",\"labeler\":\"alice\",\"x\":\"$(printf '%*s' 20000 '' | tr ' ' a)\"}"
expect 400 POST /api/answer '{"item":"'"$X"'","label":"no_such_label","labeler":"alice"}'
expect 400 POST /api/answer '{"item":"'"$X"'","labeler":"alice"}'
expect 409 POST /api/answer '{"item":"'"$X"'","label":"refund","labeler":"carol"}' # X has 2 holders
expect 409 POST /api/undo '{"labeler":"alice"}'
expect 400 POST /api/undo '{"labeler":"alice","item":7}'
expect 200 GET /api/progress
[ "$(field answered)" = 0 ] && [ "$(field agreement.overall.complete)" = 0 ] &&
  [ "$(field labelers)" = "{}" ] || fail "bad requests changed the progress: $BODY"
vote alice "$X" card_arrival
[ "$(field votes)" = 1 ] && [ "$(field of)" = 2 ] || fail "alice's vote: $BODY"
expect 409 POST /api/answer '{"item":"'"$X"'","label":"refund","labeler":"alice"}'
expect 409 POST /api/undo '{"labeler":"bob","item":"'"$X"'"}' # bob has no vote: not alice's
expect 409 POST /api/undo '{"labeler":"carol"}'
next alice
[ "$ITEM" != "$X" ] || fail "alice was handed $X again after voting on it"
expect 200 POST /api/undo '{"labeler":"alice"}' # her own vote, X still open
[ "$(field undone)" = "$X" ] || fail "undo: $BODY"
expect 200 GET /api/progress
[ "$(field labelers.alice)" = 0 ] || fail "after the undo: $BODY"
vote alice "$X" refund
vote bob "$X" card_arrival # a tie: alice's refund came first
expect 200 GET /api/progress
[ "$(field answered)" = 1 ] && [ "$(field agreement.this_round.complete)" = 1 ] &&
  [ "$(field agreement.this_round.pairwise)" = 0.0 ] || fail "after X: $BODY"
expect 409 POST /api/undo '{"labeler":"bob"}' # X has its votes: its majority is stored
vote carol "$Y" card_arrival
# SIGKILL mid-round: carol's vote on Y is on disk, the majority of X too
kill -9 "$PID"
wait "$PID" 2>/dev/null
PID=
serve 2 --rounds 2 --batch 3
wait_round 1
[ "$(field agreement.overall.complete)" = 1 ] || fail "the restarted run lost X's votes: $BODY"
next carol; Z=$ITEM
[ -n "$Z" ] && [ "$Z" != "$Y" ] && [ "$Z" != "$X" ] || fail "carol got '$Z' after the restart (voted on $Y)"
expect 409 POST /api/answer '{"item":"'"$Y"'","label":"refund","labeler":"carol"}'
next alice
[ "$ITEM" = "$Y" ] || fail "alice got '$ITEM', want $Y (one vote of two)"
vote alice "$Y" card_arrival
vote carol "$Z" refund
vote bob "$Z" refund
wait_round 2
# X {refund, card_arrival}, Y {card_arrival x2}, Z {refund x2}: P = (2+4+4 - 6)/(6*1) = 2/3;
# label shares 1/2, 1/2: Pe = 1/2; kappa = (2/3 - 1/2)/(1/2) = 1/3
[ "$(field agreement.overall.complete)" = 3 ] && [ "$(field agreement.overall.pairwise)" = 0.666667 ] &&
  [ "$(field agreement.overall.kappa)" = 0.333333 ] && [ "$(field agreement.rounds.0.round)" = 1 ] &&
  [ "$(field agreement.this_round.complete)" = 0 ] || fail "agreement after round 1: $BODY"
kill -9 "$PID"
wait "$PID" 2>/dev/null
PID=
got=$(log_of text-dagger)
want=$(printf '%s refund web:majority\n%s card_arrival web:majority\n%s refund web:majority\n' "$X" "$Y" "$Z" | sort)
[ "$got" = "$want" ] || fail "the loop's log holds '$got', want '$want'"
got=$(log_of text-dagger/votes)
want=$(printf '%s refund web:alice\n%s card_arrival web:bob\n%s card_arrival web:carol\n%s card_arrival web:alice\n%s refund web:carol\n%s refund web:bob\n' \
  "$X" "$X" "$Y" "$Y" "$Z" "$Z" | sort)
[ "$got" = "$want" ] || fail "the votes are '$got', want '$want'"
serve 3 --rounds 2 --batch 3
wait "$PID" && fail "a session of K = 2 resumed with K = 3"
PID=
grep -q "not --web-agreement 3" "$T/err" || fail "K changed: $(cat "$T/err")"

# ---- K = 3: four labelers, a 2-1 majority and a three-way tie
rm -f "$T"/l.sqlite*
serve 3 --rounds 2 --batch 2
next alice; P=$ITEM
for who in bob carol; do
  next $who
  [ "$ITEM" = "$P" ] || fail "$who got '$ITEM', want $P (K = 3)"
done
next dave; Q=$ITEM
[ -n "$Q" ] && [ "$Q" != "$P" ] || fail "dave got '$Q': $P has three labelers"
expect 200 POST /api/skip '{"item":"'"$Q"'","labeler":"dave"}' # a pass: others are still asked
next dave
[ -z "$ITEM" ] || fail "dave got '$ITEM' after passing on $Q (and $P is full)"
vote alice "$P" card_arrival
vote bob "$P" refund
expect 409 POST /api/undo '{"labeler":"carol","item":"'"$P"'"}'
vote carol "$P" refund # 2-1: refund, though card_arrival came first
for who in bob carol alice; do
  next $who
  [ "$ITEM" = "$Q" ] || fail "$who got '$ITEM', want $Q"
done
vote bob "$Q" lost_card
vote carol "$Q" card_arrival
vote alice "$Q" refund # three ways: bob's lost_card came first
wait_round 2
# P {card, refund x2}, Q {lost, card, refund}: P = (5 + 3 - 6)/(6*2) = 1/6;
# shares card 2/6, refund 3/6, lost 1/6: Pe = 14/36; kappa = (1/6 - 14/36)/(22/36) = -4/11
[ "$(field agreement.overall.complete)" = 2 ] && [ "$(field agreement.overall.pairwise)" = 0.166667 ] &&
  [ "$(field agreement.overall.kappa)" = -0.363636 ] || fail "agreement, K = 3: $BODY"
kill -9 "$PID"
wait "$PID" 2>/dev/null
PID=
got=$(log_of text-dagger)
want=$(printf '%s refund web:majority\n%s lost_card web:majority\n' "$P" "$Q" | sort)
[ "$got" = "$want" ] || fail "K = 3: the loop's log holds '$got', want '$want'"
[ "$(log_of text-dagger/votes | wc -l)" = 6 ] || fail "K = 3: votes $(log_of text-dagger/votes)"

# ---- an agent: the majority's arguments are the earliest winning vote's
M=$(cd "$here/../docs/agent-mission" && pwd)
cat >"$T/apool.jsonl" <<'JSONL'
{"id":"p-1","intent":"order_status","request":"Where is my order #Z9876? It is late.","steps":[{"action":{"tool":"search_orders","arguments":{"order_id":"Z9876"}}}]}
JSONL
"$MIMIC" agent dagger --demos "$M/demos.jsonl" --pool "$T/apool.jsonl" --store "$T/a.sqlite" \
  -o "$T/a.mimic" --query uncertain:1 --expert web:0 --web-agreement 2 --quiet 2>"$T/err" &
PID=$!
page_port "$T/err"
next alice; A=$ITEM
expect 200 POST /api/answer '{"item":"'"$A"'","label":"search_orders","labeler":"alice","arguments":{"order_id":"A1"}}'
expect 200 POST /api/answer '{"item":"'"$A"'","label":"search_orders","labeler":"bob","arguments":{"order_id":"B2"}}'
wait "$PID" || fail "agent dagger failed"
PID=
"$MIMIC" text export --db "$T/a.sqlite" -o "$T/x.jsonl" 2>/dev/null || fail "export"
got=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["round"] > 0: print(r["labeler"], r["label"], json.dumps((r["meta"] or {}).get("arguments")))' "$T/x.jsonl" | sort)
want=$(printf '%s\n' 'web:alice search_orders {"order_id": "A1"}' 'web:bob search_orders {"order_id": "B2"}' \
  'web:majority search_orders {"order_id": "A1"}' | sort)
[ "$got" = "$want" ] || fail "agent: the log holds '$got', want '$want'"

# ---- preferences: two people vote on the same pair; a tie goes to the first vote
"$MIMIC" train preferences --env CartPole-v1 --env-opts fixed_horizon=1 --comparisons 6 \
  --iterations 1 --initial-frac 0.5 --fragment-length 10 --initial-epoch-multiplier 2 \
  --steps 2048 --quiet --gatherer web:0 --web-agreement 2 -o "$T/p.mimic" 2>"$T/err" >/dev/null &
PID=$!
page_port "$T/err"
next alice; C=$ITEM
next bob
[ -n "$C" ] && [ "$ITEM" = "$C" ] || fail "bob got '$ITEM', alice '$C'"
vote alice "$C" left
vote bob "$C" right
expect 200 GET /api/progress
[ "$(field answered)" = 1 ] && [ "$(field agreement.overall.kappa)" = -1.0 ] ||
  fail "preferences agreement: $BODY"
kill -9 "$PID"
wait "$PID" 2>/dev/null
PID=
"$MIMIC" text export --db "$T/p.mimic.labels" -o "$T/x.jsonl" 2>/dev/null || fail "export"
got=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(r["item"], r["label"], r["labeler"])' "$T/x.jsonl" | sort)
want=$(printf '%s first web:majority\n%s left web:alice\n%s right web:bob\n' "$C" "$C" "$C" | sort)
[ "$got" = "$want" ] || fail "preferences: the log holds '$got', want '$want'"
echo "ok: agreement mode hands each question to K labelers and learns their majority"
