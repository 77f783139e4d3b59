#!/usr/bin/env bash
# Distributed DAgger rollouts under mpirun (docs/cluster.md; skipped, 77,
# without MPI): every rank steps CartPole with the broadcast learner and
# its expert labelling on the spot, and rank 0 also learns.
# - on 3 ranks (3 rolling out) the learner reaches 500, as one process's
#   does, and a round is all 3 ranks' copies;
# - on 4 ranks a rank killed mid-run stops the job, and the same command
#   resumes the work folder to the very policy of a run never interrupted;
# - a work folder refuses another rank count;
# - an expert program (tests/batch_expert.py) on 2 ranks (rank 0 asks the
#   driver's copy) reaches 500 and resumes exactly after a rank is killed;
#   a policy-file expert runs; a person is refused.
set -euo pipefail
mimic=$1
source "$(dirname "$0")/mpi_prelude.sh"

run 3 "$mimic" train dagger --env CartPole-v1 -o "$dir/d.mimic" --json > "$dir/out"
[ "$(grep -c '"policy"' "$dir/out")" = 1 ] || fail "not one summary (rank 0's): $(cat "$dir/out")"
best=$(grep -o '"return": [0-9.]*' "$dir/out" | sed 's/.*: //' | sort -g | tail -1)
awk -v r="$best" 'BEGIN { exit !(r >= 500) }' || fail "DAgger on 3 ranks reached $best"
# each rank's 1 copy runs its one episode of 500 steps: rank 0's copy is in the round
grep -q '"visited": 1500' "$dir/out" || fail "a round is not 3 copies' 500 steps: $(cat "$dir/out")"
ret=$("$mimic" eval --policy "$dir/d.mimic" --env CartPole-v1 --episodes 20 --json |
  sed -E 's/.*"return_mean": ([0-9.]+).*/\1/')
awk -v r="$ret" 'BEGIN { exit !(r >= 475) }' || fail "the saved learner returned $ret"

# runs mpirun -np NP ARGS... with rank RANK killing itself (SIGKILL) as
# round 3 begins (MIMIC_TEST_KILL_RANK: killed from outside, a quick run
# could finish first); leaves the job's exit status in rc
killed_run() { # RANK NP ARGS...
  local rank=$1
  shift
  set +e
  MIMIC_TEST_KILL_RANK=$rank:3 run "$@" 2> "$dir/err" > /dev/null
  rc=$?
  set -e
}

# a rank killed mid-run; the work folder resumes exactly
args=(train dagger --env CartPole-v1 --rounds 6 --quiet)
run 4 "$mimic" "${args[@]}" -o "$dir/whole.mimic" > /dev/null
killed_run 2 4 "$mimic" "${args[@]}" -o "$dir/cut.mimic"
[ $rc -ne 0 ] || fail "a job with a killed rank exited 0"
grep -qi "rank 2" "$dir/err" || fail "the error does not name rank 2: $(cat "$dir/err")"
[ ! -e "$dir/cut.mimic" ] || fail "a killed job wrote its policy"
[ -s "$dir/cut.mimic.dagger/learner.mimic" ] || fail "the killed job kept no round to resume from"
run 4 "$mimic" "${args[@]}" -o "$dir/cut.mimic" > /dev/null
cmp -s "$dir/whole.mimic" "$dir/cut.mimic" || fail "the resumed run differs from the whole one"

# the folder's rounds depend on the rank count
set +e
run 3 "$mimic" "${args[@]}" --rounds 7 -o "$dir/cut.mimic" > /dev/null 2> "$dir/err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "a work folder of 4 ranks resumed on 3"
grep -q "different ranks (4 then, 3 now)" "$dir/err" || fail "message: $(cat "$dir/err")"

# an expert program on 2 ranks (rank 1 starts its own copy, rank 0 asks
# the driver's): it reaches 500, its labels are logged under its name, and
# a killed rank's run resumes to the very policy of a run never interrupted
prog=(--expert "cmd:/usr/bin/python3 $here/batch_expert.py" --rounds 6 --quiet)
run 2 "$mimic" train dagger --env CartPole-v1 "${prog[@]}" -o "$dir/p.mimic" --json > "$dir/out"
pbest=$(grep -o '"return": [0-9.]*' "$dir/out" | sed 's/.*: //' | sort -g | tail -1)
awk -v r="$pbest" 'BEGIN { exit !(r >= 500) }' || fail "DAgger with a program expert reached only $pbest"
grep -aq "cmd:/usr/bin/python3" "$dir/p.mimic.dagger/labels.sqlite" ||
  fail "the labels are not logged under the program's name"
killed_run 1 2 "$mimic" train dagger --env CartPole-v1 "${prog[@]}" -o "$dir/pcut.mimic"
[ $rc -ne 0 ] || fail "a job with a killed rank (program expert) exited 0"
run 2 "$mimic" train dagger --env CartPole-v1 "${prog[@]}" -o "$dir/pcut.mimic" > /dev/null
cmp -s "$dir/p.mimic" "$dir/pcut.mimic" || fail "the resumed program-expert run differs"
# a policy file as the expert runs on every rank; a person is refused
run 3 "$mimic" train dagger --env CartPole-v1 --expert "$dir/d.mimic" --rounds 2 -o "$dir/f.mimic" \
  --quiet > /dev/null
[ -s "$dir/f.mimic" ] || fail "no policy from a policy-file expert"
set +e
run 2 "$mimic" train dagger --env CartPole-v1 --expert human -o "$dir/x.mimic" --quiet \
  > /dev/null 2> "$dir/err" < /dev/null
rc=$?
set -e
[ $rc -ne 0 ] || fail "a person was asked on the rollout ranks"
grep -q "runs on one process only" "$dir/err" || fail "message: $(cat "$dir/err")"
echo "ok: distributed DAgger reached $best; a killed rank's run resumed exactly"
