#!/usr/bin/env bash
# The MPI commands end to end (docs/cluster.md), under mpirun on this
# machine only (tests/mpirun.sh; skipped, 77, without MPI):
# - train bc on 2 ranks writes one policy (rank 0), the same bits on a
#   rerun, and a clone as good as one process's;
# - each rank reads its shard, the summary counts the whole set; a
#   truncated or damaged dataset ends the job with an error naming the
#   file (never a hang), fewer episodes than ranks is refused;
# - a command that does not share its work out refuses to run on 2 ranks;
# - a rank killed mid-run (rank 1, and rank 0, which writes the files)
#   stops the job with an error naming it, and the run resumed from its
#   checkpoint ends with the very model of a run that was never
#   interrupted.
set -euo pipefail
mimic=$1
source "$(dirname "$0")/mpi_prelude.sh"
"$mimic" collect --env CartPole-v1 --episodes 10 --seed 0 -o "$dir/demos" --quiet > /dev/null

run 2 "$mimic" train bc --data "$dir/demos" -o "$dir/bc2.mimic" --log "$dir/curve.csv" --json \
  > "$dir/out"
[ "$(grep -c '"policy"' "$dir/out")" = 1 ] || fail "not one summary (rank 0's): $(cat "$dir/out")"
grep -q '"ranks": 2' "$dir/out" || fail "the summary does not say 2 ranks: $(cat "$dir/out")"
[ "$(wc -l < "$dir/curve.csv")" -eq 31 ] || fail "the curve has not 30 epochs"
run 2 "$mimic" train bc --data "$dir/demos" -o "$dir/again.mimic" --quiet > /dev/null
cmp -s "$dir/bc2.mimic" "$dir/again.mimic" || fail "two 2-rank trainings with one seed differ"
ret=$("$mimic" eval --policy "$dir/bc2.mimic" --env CartPole-v1 --episodes 50 --json |
  sed -E 's/.*"return_mean": ([0-9.]+).*/\1/')
awk -v r="$ret" 'BEGIN { exit !(r >= 475) }' || fail "the 2-rank clone returned $ret"

# each rank reads only its shard, yet the summary counts the whole set, as one process does
"$mimic" train bc --data "$dir/demos" -o "$dir/bc1.mimic" --epochs 1 --json > "$dir/one"
run 4 "$mimic" train bc --data "$dir/demos" -o "$dir/bc4.mimic" --epochs 1 --json > "$dir/four"
for key in episodes transitions; do
  a=$(sed -E "s/.*\"$key\": ([0-9]+).*/\1/" "$dir/one")
  b=$(sed -E "s/.*\"$key\": ([0-9]+).*/\1/" "$dir/four")
  [ "$a" = "$b" ] || fail "$key: one process $a, 4 ranks $b"
done

# hostile files: every run ends (no rank left waiting) with exit 1 and an
# error naming the file; a truncated file fails on every rank that gets to
# read it, a damaged episode on the rank that holds it
truncated_refused "$dir/demos" "$dir/cut.mimic" train bc
"$mimic" collect --env CartPole-v1 --episodes 1 -o "$dir/one-ep" --quiet > /dev/null
set +e
run 2 "$mimic" train bc --data "$dir/one-ep" -o "$dir/x.mimic" --quiet > /dev/null 2> "$dir/err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "1 episode on 2 ranks ran"
grep -q "1 episodes cannot be shared out over 2 ranks" "$dir/err" || fail "$(cat "$dir/err")"
python3 "$here/../scripts/mutate-dataset" "$dir/demos" "$dir/mut" 12 3 > /dev/null
refused=0
for m in "$dir"/mut/m*; do
  set +e
  timeout 300 bash "$here/mpirun.sh" 2 "$mimic" train bc --data "$m" -o "$m.mimic" --epochs 1 \
    --quiet > /dev/null 2> "$dir/err"
  rc=$?
  set -e
  case $rc in
    0) ;;
    124) fail "$m: the job hung" ;;
    *) refused=$((refused + 1))
       grep -q "error on rank [01] of 2: .*$m" "$dir/err" || fail "$m: exit $rc: $(cat "$dir/err")"
       [ ! -e "$m.mimic" ] || fail "$m: refused, yet a policy was written" ;;
  esac
done
echo "12 damaged copies on 2 ranks: $refused refused, none hung"
[ $refused -ge 3 ] || fail "only $refused of 12 damaged copies were refused"

# a command that does not share its work out is refused on several ranks
set +e
run 2 "$mimic" eval --policy expert --env CartPole-v1 --episodes 1 > /dev/null 2> "$dir/err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "eval ran on 2 ranks"
grep -q "share their work out over ranks" "$dir/err" || fail "message: $(cat "$dir/err")"

# a rank killed mid-run, rank 1 and then rank 0 (the one that writes the
# files): the job stops with an error naming the rank and writes no policy,
# and the run resumed from the checkpoint it left ends with the very model
# of a run that was never interrupted
args=(train bc --data "$dir/demos" --batches 12000 --checkpoint-every 300 --quiet)
run 2 "$mimic" "${args[@]}" --checkpoint "$dir/whole.ck" -o "$dir/whole.mimic" > /dev/null
for victim in 1 0; do
  cut=(--checkpoint "$dir/ck$victim" -o "$dir/cut$victim.mimic")
  run 2 "$mimic" "${args[@]}" "${cut[@]}" 2> "$dir/err$victim" &
  job=$!
  while [ ! -s "$dir/ck$victim" ]; do
    kill -0 $job 2> /dev/null || fail "the job ended before its first checkpoint"
    sleep 0.05
  done
  bash "$here/mpi_kill_rank.sh" $job $victim
  set +e
  wait $job
  rc=$?
  set -e
  [ $rc -ne 0 ] || fail "a job whose rank $victim was killed exited 0"
  grep -qi "rank $victim" "$dir/err$victim" ||
    fail "the error does not name rank $victim: $(cat "$dir/err$victim")"
  [ ! -e "$dir/cut$victim.mimic" ] || fail "a job whose rank $victim was killed wrote its policy"
  run 2 "$mimic" "${args[@]}" "${cut[@]}" --resume > /dev/null
  cmp -s "$dir/whole.mimic" "$dir/cut$victim.mimic" ||
    fail "the run resumed after rank $victim was killed differs from the whole one"
done
cat "$dir/err0"
echo "ok: killed jobs (rank 1, then rank 0) resumed to the uninterrupted model"
