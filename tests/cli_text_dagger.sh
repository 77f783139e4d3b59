#!/usr/bin/env bash
# mimic text dagger / text export: a label-file expert, resuming a finished
# session, exports, a person driven through a pipe (skip, quit, resume,
# undo), a program expert (an unknown label is a clear error, nothing
# stored is lost; a program that SIGKILLs mimic between answers loses
# nothing and the resumed session ends as an uninterrupted one), and bad
# input (malformed CSV, empty text, invalid UTF-8, a changed pool) giving
# errors that name the row while the store keeps everything.
set -u
MIMIC=${1:?usage: cli_text_dagger.sh path/to/mimic}
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
count() { "$MIMIC" text export --db "$1" --session "$2" -o "$T/count.jsonl" 2>/dev/null && wc -l < "$T/count.jsonl"; }
triples() { sed -E 's/.*"item":"([^"]*)".*"label":"([^"]*)".*"round":([0-9]+).*/\1 \2 \3/' "$1"; }

cat > "$T/seed.csv" <<'CSV'
text,category
my card has not arrived yet,card_arrival
when will my new card come,card_arrival
I want my money back for this purchase,refund
please refund the last payment,refund
how do I top up my account,top_up
top up with a bank transfer,top_up
why was my card declined at the shop,card_declined
my card payment got refused,card_declined
CSV
cat > "$T/gold.csv" <<'CSV'
id,text,category
a1,the card still has not been delivered,card_arrival
a2,how long does delivery of a card take,card_arrival
a3,"where is my card, it has been two weeks",card_arrival
a4,tracking my card delivery,card_arrival
b1,I need a refund for an order,refund
b2,refund not showing in my account,refund
b3,can I get my money back,refund
b4,"the seller agreed to a refund, where is it",refund
c1,add money to my account with apple pay,top_up
c2,top up failed twice,top_up
c3,can I top up by cash,top_up
c4,how much can I top up,top_up
d1,card declined at a restaurant,card_declined
d2,why do payments with my card keep failing,card_declined
d3,the terminal refused my card,card_declined
d4,declined again at the supermarket,card_declined
CSV
# the pool: the gold file without its labels
printf 'id,text\n' > "$T/pool.csv"
tail -n +2 "$T/gold.csv" | sed -E 's/,(card_arrival|refund|top_up|card_declined)$//' >> "$T/pool.csv"
cat > "$T/test.csv" <<'CSV'
text,category
has my card been sent,card_arrival
I still have no card,card_arrival
money back please,refund
refund for a double charge,refund
top up my balance,top_up
top up limit,top_up
card was declined,card_declined
payment refused at the store,card_declined
CSV
DB="$T/labels.sqlite"
common=(--pool "$T/pool.csv" --labeled "$T/seed.csv" --db "$DB" --test "$T/test.csv")

# 1. a label-file expert: 3 rounds of 3 questions
out=$("$MIMIC" text dagger "${common[@]}" --expert "file:$T/gold.csv" --rounds 3 --batch 3 --json 2>"$T/err") || fail "file expert: $(cat "$T/err")"
echo "$out" | grep -q '"answers":9' || fail "file expert answers: $out"
echo "$out" | grep -q '"finished":true' || fail "file expert finished: $out"
echo "$out" | grep -q '"round":3,"labels":17,"asked":3,"accuracy":' || fail "file expert rows: $out"
[ "$(count "$DB" text-dagger)" = 17 ] || fail "store holds $(count "$DB" text-dagger) labels, want 8 + 9"
# the same command again: nothing to ask
out=$("$MIMIC" text dagger "${common[@]}" --expert "file:$T/gold.csv" --rounds 3 --batch 3 --json 2>/dev/null) || fail "rerun"
echo "$out" | grep -q '"resumed":true' || fail "rerun resumed: $out"
echo "$out" | grep -q '"asked":0,' || fail "rerun asked: $out"
# exports: CSV is training data for text train; JSONL has who, round and time
"$MIMIC" text export --db "$DB" -o "$T/labels.csv" 2>/dev/null || fail "export csv"
"$MIMIC" text train --data "$T/labels.csv" --label-column label -o "$T/m.mimic" --quiet || fail "train on the export"
"$MIMIC" text export --db "$DB" --session text-dagger -o "$T/labels.jsonl" 2>/dev/null || fail "export jsonl"
grep -q '"labeler":"file:' "$T/labels.jsonl" || fail "export labeler"
grep -q '"labeler":"seed:seed.csv","round":0' "$T/labels.jsonl" || fail "export seed rows"
grep -q '"round":3,"time":' "$T/labels.jsonl" || fail "export round"
"$MIMIC" text export --db "$DB" --session nope -o "$T/x.jsonl" 2>"$T/err" && fail "export of an unknown session"
grep -q "no session 'nope'" "$T/err" || fail "unknown session message: $(cat "$T/err")"
# another rule on the same session is refused
"$MIMIC" text dagger "${common[@]}" --expert "file:$T/gold.csv" --rounds 3 --batch 3 --query entropy 2>"$T/err" >/dev/null && fail "changed rule accepted"
grep -q "different query rule" "$T/err" || fail "changed rule message: $(cat "$T/err")"

# 2. a person through a pipe: answer, skip, quit; resume with undo
H=(--pool "$T/pool.csv" --labeled "$T/seed.csv" --db "$DB" --session person --labels aaa_other --rounds 2 --batch 3 --expert human)
printf '1\ns\nq\n' | "$MIMIC" text dagger "${H[@]}" >"$T/out" 2>"$T/err" || fail "person quit: exit $? $(cat "$T/err")"
grep -q "run the same command again to resume" "$T/err" || fail "quit message: $(cat "$T/err")"
grep -q "question 3 of 3" "$T/err" || fail "third question not shown"
[ "$(count "$DB" person)" = 9 ] || fail "after quitting: $(count "$DB" person) labels, want 8 + 1"
# resume: undo the skip (the second text is asked again), undo the first
# answer (asked again: 4 = aaa_other, the first label of the list), then 1s
{ printf 'u\nu\n4\n'; yes 1 | head -20; } | "$MIMIC" text dagger "${H[@]}" --json >"$T/out" 2>"$T/err" || fail "person resume: $(cat "$T/err")"
grep -q '"resumed":true' "$T/out" || fail "person resume json: $(cat "$T/out")"
grep -q '"answers":6' "$T/out" || fail "person answers: $(cat "$T/out")"
grep -q "(again, after undo)" "$T/err" || fail "undo not shown"
"$MIMIC" text export --db "$DB" --session person -o "$T/p.jsonl" 2>/dev/null || fail "export person"
[ "$(grep -c '"labeler":"human"' "$T/p.jsonl")" = 6 ] || fail "human answers in export"
grep '"labeler":"human"' "$T/p.jsonl" | head -1 | grep -q '"label":"aaa_other"' || fail "undo did not replace the first answer: $(head -12 "$T/p.jsonl")"

# 3. a program expert: answers the model's first guess; BAD=n names an unknown label
cat > "$T/guess.sh" <<'SH'
#!/bin/bash
n=0
while IFS= read -r line; do
  n=$((n+1))
  id=$(printf '%s' "$line" | sed -E 's/.*"id": ?([0-9]+).*/\1/')
  label=$(printf '%s' "$line" | sed -E 's/.*"guesses": ?\[\{"label": ?"([^"]*)".*/\1/')
  if [ "$n" = "${BAD:-0}" ]; then label=no_such_label; fi
  if [ "$n" = "${KILL:-0}" ]; then kill -9 "$PPID"; sleep 5; fi
  printf '{"id": %s, "label": "%s"}\n' "$id" "$label"
done
SH
chmod +x "$T/guess.sh"
P=(--pool "$T/pool.csv" --labeled "$T/seed.csv" --rounds 3 --batch 3)
"$MIMIC" text dagger "${P[@]}" --db "$DB" --session prog --expert "cmd:env BAD=3 $T/guess.sh" >/dev/null 2>"$T/err" && fail "unknown label accepted"
grep -q "no_such_label" "$T/err" && grep -q "not one of the" "$T/err" || fail "unknown label message: $(cat "$T/err")"
[ "$(count "$DB" prog)" = 10 ] || fail "after the bad reply: $(count "$DB" prog) labels, want 8 + 2"
"$MIMIC" text dagger "${P[@]}" --db "$DB" --session prog --expert "cmd:$T/guess.sh" >/dev/null 2>"$T/err" || fail "program resume: $(cat "$T/err")"
[ "$(count "$DB" prog)" = 17 ] || fail "program session: $(count "$DB" prog) labels"
# killed between answers (the program SIGKILLs mimic when asked question 5)
"$MIMIC" text dagger "${P[@]}" --db "$T/ref.sqlite" --expert "cmd:$T/guess.sh" >/dev/null 2>&1 || fail "reference run"
"$MIMIC" text dagger "${P[@]}" --db "$T/kill.sqlite" --expert "cmd:env KILL=5 $T/guess.sh" >/dev/null 2>&1
rc=$?
[ $rc = 137 ] || fail "the killed run exited $rc, not by SIGKILL"
[ "$(count "$T/kill.sqlite" text-dagger)" = 12 ] || fail "killed run kept $(count "$T/kill.sqlite" text-dagger) labels, want 8 + 4"
out=$("$MIMIC" text dagger "${P[@]}" --db "$T/kill.sqlite" --expert "cmd:$T/guess.sh" --json 2>/dev/null) || fail "resume after kill"
echo "$out" | grep -q '"asked":5,' || fail "resume after kill asked: $out"
"$MIMIC" text export --db "$T/ref.sqlite" -o "$T/ref.jsonl" 2>/dev/null
"$MIMIC" text export --db "$T/kill.sqlite" -o "$T/kill.jsonl" 2>/dev/null
[ "$(triples "$T/ref.jsonl")" = "$(triples "$T/kill.jsonl")" ] || fail "killed + resumed differs from uninterrupted"

# 4. bad input: errors name the row; the store keeps every label
before=$(count "$DB" text-dagger)
run_bad() { "$MIMIC" text dagger --pool "$1" --labeled "$2" --db "$DB" --expert "file:$T/gold.csv" --rounds 3 --batch 3 2>"$T/err" >/dev/null; }
printf 'id,text\nx1,fine text\nx2,"broken "quote" here"\n' > "$T/bad1.csv"
run_bad "$T/bad1.csv" "$T/seed.csv" && fail "malformed CSV accepted"
grep -q "bad1.csv: row 2" "$T/err" || fail "malformed CSV message: $(cat "$T/err")"
printf 'id,text\nx1,fine text\nx2,  \n' > "$T/bad2.csv"
run_bad "$T/bad2.csv" "$T/seed.csv" && fail "empty text accepted"
grep -q "bad2.csv: row 2" "$T/err" && grep -qi "empty" "$T/err" || fail "empty text message: $(cat "$T/err")"
printf 'id,text\nx1,fine text\nx2,caf\xe9 latte\n' > "$T/bad3.csv"
run_bad "$T/bad3.csv" "$T/seed.csv" && fail "invalid UTF-8 accepted"
grep -q "bad3.csv: row 2" "$T/err" && grep -q "UTF-8" "$T/err" || fail "invalid UTF-8 message: $(cat "$T/err")"
printf 'text,category\ngood text,refund\n,refund\n' > "$T/bad4.csv"
run_bad "$T/pool.csv" "$T/bad4.csv" && fail "empty seed text accepted"
grep -q "bad4.csv: row 2" "$T/err" || fail "empty seed text message: $(cat "$T/err")"
head -10 "$T/pool.csv" > "$T/pool2.csv"
run_bad "$T/pool2.csv" "$T/seed.csv" && fail "a changed pool accepted"
grep -q "different pool" "$T/err" || fail "changed pool message: $(cat "$T/err")"
[ "$(count "$DB" text-dagger)" = "$before" ] || fail "bad input changed the store"

# 5. usage errors exit 2
"$MIMIC" text dagger --pool "$T/pool.csv" --labeled "$T/seed.csv" --expert human 2>/dev/null
[ $? = 2 ] || fail "missing --db should exit 2"
"$MIMIC" text dagger "${common[@]}" --expert human --bogus 2>/dev/null
[ $? = 2 ] || fail "unknown flag should exit 2"
"$MIMIC" text dagger "${common[@]}" --expert oracle 2>"$T/err" >/dev/null
[ $? = 1 ] && grep -q "unknown expert 'oracle'" "$T/err" || fail "unknown expert: $(cat "$T/err")"
# a person typing a label the seed lacks is told how to allow it
if command -v script >/dev/null; then
  printf 'no_such_label\nq\n' | script -qec "$MIMIC text dagger --pool $T/pool.csv --labeled $T/seed.csv --db $T/person.db --expert human" \
    /dev/null >"$T/person.txt" 2>&1
  grep -q "labels the seed file lacks are named with --labels" "$T/person.txt" ||
    fail "no hint for a label outside the list: $(cat "$T/person.txt")"
fi
echo "cli_text_dagger: ok"
