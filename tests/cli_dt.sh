#!/usr/bin/env bash
# mimic train dt end to end on a short budget: a CartPole dataset from
# dataset generate, a model, CSV log and learning curve; mimic eval runs
# the model at its training target and at another; same seed = same file;
# a run resumed from a checkpoint ends with the straight run's file; bad
# flags, data and files are refused with a message; experiment offline
# --algos dt runs it beside BC.
set -euo pipefail
mimic=$1
. "$(dirname "$0")/prelude.sh"

"$mimic" dataset generate --env CartPole-v1 --kind expert --transitions 1500 -o "$dir/exp" --quiet > /dev/null
small=(--context 5 --layers 1 --embd 16 --batch-size 8 --lr 1e-3 --warmup 10)

json=$("$mimic" train dt --data "$dir/exp" -o "$dir/dt.mimic" "${small[@]}" --steps 60 \
  --log "$dir/dt.csv" --log-every 20 --eval-every 30 --eval-episodes 1 --plot "$dir/dt.png" \
  --episodes 2 --json)
[ "$(num "$json" steps)" = 60 ] || fail "steps: $json"
[ "$(num "$json" target_return)" = 500 ] || fail "the target is not the expert's return: $json"
echo "$json" | grep -q '"normalized_score": [-0-9]' || fail "no normalised score: $json"
[ -s "$dir/dt.png" ] || fail "no chart"
head -1 "$dir/dt.csv" | grep -q "^step,loss,lr,eval_return,seconds" || fail "log header"
[ "$(wc -l < "$dir/dt.csv")" -eq 4 ] || fail "log rows: $(cat "$dir/dt.csv")"
grep -q "^60,.*,[-0-9.]*,[0-9.]*$" "$dir/dt.csv" || fail "no evaluation at step 60"

# mimic eval runs it, by default at the target it was trained for
ev=$("$mimic" eval --policy "$dir/dt.mimic" --env CartPole-v1 --episodes 2 --seed 1000 \
  --no-normalize --json)
echo "$ev" | grep -q '"policy": "decision transformer (target 500)"' || fail "eval: $ev"
[ "$(num "$ev" return_mean)" = "$(num "$json" return_mean)" ] ||
  [ "$(num "$json" episodes)" != 2 ] || fail "eval differs from train's evaluation: $ev vs $json"
"$mimic" eval --policy "$dir/dt.mimic" --env CartPole-v1 --episodes 1 --target-return 10 \
  --no-normalize --quiet | grep -q "target 10" || fail "eval --target-return"
if out=$("$mimic" eval --policy "$dir/dt.mimic" --env Pendulum-v1 --episodes 1 2>&1); then
  fail "a CartPole model ran on Pendulum"
fi
echo "$out" | grep -q "differ from the model's" || fail "wrong env message: $out"
if "$mimic" eval --policy expert --env CartPole-v1 --episodes 1 --target-return 5 > /dev/null 2>&1; then
  fail "--target-return accepted for a policy that is not a Decision Transformer"
fi

# one seed, one file; a resumed run ends where a straight one does
common=(train dt --data "$dir/exp" "${small[@]}" --episodes 1 --quiet)
"$mimic" "${common[@]}" --steps 60 -o "$dir/dt2.mimic" > /dev/null
"$mimic" "${common[@]}" --steps 60 -o "$dir/straight.mimic" --episodes 2 > /dev/null
cmp -s "$dir/dt2.mimic" "$dir/straight.mimic" || fail "two runs with one seed differ"
"$mimic" "${common[@]}" --steps 25 -o "$dir/part.mimic" --checkpoint "$dir/dt.ckpt" > /dev/null
"$mimic" "${common[@]}" --steps 60 -o "$dir/resumed.mimic" --checkpoint "$dir/dt.ckpt" \
  --checkpoint-every 10 --resume > /dev/null
cmp -s "$dir/straight.mimic" "$dir/resumed.mimic" || fail "the resumed run differs"
cmp -s "$dir/straight.mimic" "$dir/part.mimic" && fail "25 steps gave the 60-step model"
"$mimic" "${common[@]}" --steps 60 --seed 1 -o "$dir/seed1.mimic" > /dev/null
cmp -s "$dir/straight.mimic" "$dir/seed1.mimic" && fail "seeds 0 and 1 gave the same model"

# the offline experiment runs it beside BC
json=$("$mimic" experiment offline --env CartPole-v1 --kinds expert --algos bc,dt --seeds 1 \
  --transitions 600 --dt-steps 20 --dt-context 5 --dt-layers 1 --dt-embd 16 --episodes 2 --json)
echo "$json" | grep -q '"dt": \[[-0-9.e]*, 0\]' || fail "experiment offline --algos dt: $json"

# refusals
set +e
"$mimic" experiment offline --env CartPole-v1 --algos dt --dt-context 0 > /dev/null 2>&1
[ $? -eq 2 ] || fail "--dt-context 0 accepted"
"$mimic" train dt --data "$dir/exp" -o "$dir/x.mimic" --heads 3 --embd 16 > /dev/null 2>&1
[ $? -eq 2 ] || fail "--heads 3 --embd 16 is not a usage error"
out=$("$mimic" train dt --data "$dir/nothing" -o "$dir/x.mimic" 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q nothing || fail "missing data: $out"
out=$("$mimic" "${common[@]}" --steps 5 -o "$dir/x.mimic" --checkpoint "$dir/dt.mimic" --resume 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "mimic.dt" || fail "a model taken for a checkpoint: $out"
printf 'garbage' > "$dir/bad.mimic"
out=$("$mimic" eval --policy "$dir/bad.mimic" --env CartPole-v1 --episodes 1 2>&1)
[ $? -ne 0 ] || fail "a damaged file evaluated"
set -e
[ ! -e "$dir/x.mimic" ] || fail "a failed run wrote its model"
echo "cli_dt: ok"
