#!/usr/bin/env bash
# mimic text train / predict / eval on a small intent set: outputs, JSON
# shape, exit codes, and errors that name the row (malformed CSV, invalid
# UTF-8, empty text), an unknown flag, and a damaged model file.
set -u
MIMIC=${1:?usage: cli_text.sh path/to/mimic}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$T/train.csv" <<'CSV'
text,category
my card was declined at the shop,card_declined
card declined again today,card_declined
why was my card refused,card_declined
"the payment with my card, at a cafe, was declined",card_declined
how do I top up my account,top_up
top up with apple pay failed,top_up
can I top up by bank transfer,top_up
"top up ""instantly""?",top_up
I want a refund for this charge,refund
refund not showing up,refund
"where is my refund
it has been a week",refund
the refund was rejected,refund
CSV
cat > "$T/test.csv" <<'CSV'
text,category
card declined at the shop,card_declined
how to top up,top_up
my refund is not showing,refund
CSV

"$MIMIC" text train --data "$T/train.csv" -o "$T/m.mimic" --quiet || fail "train"
# a folder given for --data is named as one
mkdir "$T/folder"
"$MIMIC" text train --data "$T/folder" -o "$T/f.mimic" 2> "$T/err" && fail "a folder trained"
grep -q "folder is a directory" "$T/err" || fail "message: $(cat "$T/err")"
[ -s "$T/m.mimic" ] || fail "no model file"
out=$("$MIMIC" text train --data "$T/train.csv" -o "$T/m2.mimic" --model ovr --ngram 1,2 --json) || fail "train ovr"
echo "$out" | grep -q '"kind":"ovr"' || fail "train --json: $out"

json=$("$MIMIC" text eval --model "$T/m.mimic" --data "$T/test.csv" --json) || fail "eval"
echo "$json" | grep -q '"accuracy":1' || fail "eval accuracy: $json"
echo "$json" | grep -q '"macro_f1":' || fail "eval macro_f1: $json"
echo "$json" | grep -q '"confusion":' || fail "eval confusion: $json"
[ "$(echo "$json" | wc -l)" -eq 1 ] || fail "eval --json prints one line"

human=$("$MIMIC" text eval --model "$T/m.mimic" --data "$T/test.csv") || fail "eval human"
echo "$human" | grep -q "accuracy  1.0000" || fail "eval human accuracy"
echo "$human" | grep -q "confusion matrix" || fail "eval human confusion"
echo "$human" | grep -q "card_declined" || fail "eval human per-class"

printf 'card declined\nrefund please\n' > "$T/new.txt"
pred=$("$MIMIC" text predict --model "$T/m.mimic" --data "$T/new.txt") || fail "predict"
[ "$(echo "$pred" | head -1 | cut -f1)" = "card_declined" ] || fail "predict label: $pred"
pj=$("$MIMIC" text predict --model "$T/m.mimic" --data "$T/new.txt" --json --top 3) || fail "predict json"
[ "$(echo "$pj" | wc -l)" -eq 2 ] || fail "predict --json lines"
echo "$pj" | head -1 | grep -q '"top":\[{"label":"card_declined"' || fail "predict json top: $pj"

# errors name the row; exit code 1
printf 'text,category\nfine,a\nbad,row,extra\n' > "$T/bad.csv"
err=$("$MIMIC" text train --data "$T/bad.csv" -o "$T/x.mimic" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "malformed csv exit $rc"
echo "$err" | grep -q "row 2 (line 3)" || fail "malformed csv message: $err"
printf 'text,category\nfine,a\n"bad \xff",b\n' > "$T/utf.csv"
err=$("$MIMIC" text train --data "$T/utf.csv" -o "$T/x.mimic" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "row 2 (line 3).*invalid UTF-8" || fail "utf8: $rc $err"
printf 'text,category\nfine,a\n,b\n' > "$T/empty.csv"
err=$("$MIMIC" text train --data "$T/empty.csv" -o "$T/x.mimic" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "row 2 (line 3).*empty" || fail "empty: $rc $err"
[ ! -e "$T/x.mimic" ] || fail "a model was written from bad data"

# usage errors: exit 2
"$MIMIC" text train --data "$T/train.csv" -o "$T/x.mimic" --bogus 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "unknown flag exit $rc"
"$MIMIC" text train --data "$T/train.csv" -o "$T/x.mimic" --model forest 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "bad model kind exit $rc"
"$MIMIC" text train --data "$T/train.csv" -o "$T/x.mimic" --ngram 3,1 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "bad ngram exit $rc"

# a damaged model file is a clean error
head -c 200 "$T/m.mimic" > "$T/broken.mimic"
err=$("$MIMIC" text eval --model "$T/broken.mimic" --data "$T/test.csv" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "broken model exit $rc: $err"
echo "hello" > "$T/notamodel.mimic"
err=$("$MIMIC" text predict --model "$T/notamodel.mimic" --data "$T/new.txt" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "not a mimic model file" || fail "not a model: $err"

# unknown labels in test data count as errors, not crashes
printf 'text,category\ncard declined,card_declined\nsomething new,brand_new_intent\n' > "$T/unseen.csv"
json=$("$MIMIC" text eval --model "$T/m.mimic" --data "$T/unseen.csv" --json) || fail "eval unseen"
echo "$json" | grep -q '"unseen_labels":1' || fail "unseen labels: $json"
echo "$json" | grep -q '"accuracy":0.5' || fail "unseen accuracy: $json"
echo "PASS"
