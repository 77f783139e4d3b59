#!/usr/bin/env bash
# Checkpoint and resume of train ppo, gail and airl: a run killed (SIGKILL)
# after iteration K and resumed from its --checkpoint writes the same
# policy (and reward) files, byte for byte, as a run that never stopped.
# MIMIC_TEST_KILL_AT=K makes the command kill itself right after iteration
# K's checkpoint (a deterministic point); one run is killed from outside
# at whatever point it reached. Checkpoints from other settings, another
# algorithm or other demonstrations are refused naming what differs, and a
# damaged checkpoint is refused without being overwritten.
set -euo pipefail
mimic=$1
. "$(dirname "$0")/prelude.sh"
same() { cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"; }

# killed <label> <args...>: run with MIMIC_TEST_KILL_AT set; it must die of SIGKILL (137)
killed() {
  local label=$1 rc=0
  shift
  "$@" --quiet > /dev/null 2> "$dir/err" || rc=$?
  [ "$rc" -eq 137 ] || fail "$label: exit $rc instead of being killed: $(cat "$dir/err")"
}

# PPO on CartPole (discrete) and Pendulum (continuous, reward scaling):
# straight through, then killed after iteration K (of 32 and 4) and resumed
for run in CartPole-v1:5 Pendulum-v1:2; do
  env=${run%:*} k=${run#*:}
  args=(train ppo --env "$env" --steps 8192 --log "$dir/$env.csv")
  "$mimic" "${args[@]}" -o "$dir/$env.a.mimic" --quiet > /dev/null
  MIMIC_TEST_KILL_AT=$k killed "ppo $env" "$mimic" "${args[@]}" -o "$dir/$env.b.mimic" \
    --checkpoint "$dir/$env.ckpt" --checkpoint-every 1
  [ -s "$dir/$env.ckpt" ] && [ ! -e "$dir/$env.b.mimic" ] || fail "ppo $env: no checkpoint, or a policy"
  out=$("$mimic" "${args[@]}" -o "$dir/$env.b.mimic" --checkpoint "$dir/$env.ckpt" --resume 2>&1)
  echo "$out" | grep -q "resuming from $dir/$env.ckpt at step .* (iteration $k)" ||
    fail "ppo $env: no resume note: $out"
  same "$dir/$env.a.mimic" "$dir/$env.b.mimic" "ppo $env resumed"
  # the log goes on where it stopped: the same iterations and returns
  cut -d, -f1-6 "$dir/$env.csv" > "$dir/$env.resumed.csv"
  "$mimic" "${args[@]}" -o "$dir/$env.a.mimic" --quiet > /dev/null
  cut -d, -f1-6 "$dir/$env.csv" > "$dir/$env.straight.csv"
  same "$dir/$env.straight.csv" "$dir/$env.resumed.csv" "ppo $env log"
done

# resuming a finished run trains nothing more and writes the same file
"$mimic" train ppo --env CartPole-v1 --steps 8192 -o "$dir/again.mimic" \
  --checkpoint "$dir/CartPole-v1.ckpt" --resume --quiet > /dev/null
same "$dir/CartPole-v1.a.mimic" "$dir/again.mimic" "a finished run resumed"

# GAIL and AIRL: the generator and the learned reward
"$mimic" collect --env CartPole-v1 --episodes 2 -o "$dir/demos" --quiet > /dev/null
for alg in gail airl; do
  args=(train "$alg" --env CartPole-v1 --data "$dir/demos" --steps 6144)
  "$mimic" "${args[@]}" -o "$dir/$alg.a.mimic" --reward-out "$dir/$alg.ra.mimic" --quiet > /dev/null
  MIMIC_TEST_KILL_AT=4 killed "$alg" "$mimic" "${args[@]}" -o "$dir/$alg.b.mimic" \
    --reward-out "$dir/$alg.rb.mimic" --checkpoint "$dir/$alg.ckpt" --checkpoint-every 2
  "$mimic" "${args[@]}" -o "$dir/$alg.b.mimic" --reward-out "$dir/$alg.rb.mimic" \
    --checkpoint "$dir/$alg.ckpt" --checkpoint-every 2 --resume --quiet > /dev/null
  same "$dir/$alg.a.mimic" "$dir/$alg.b.mimic" "$alg policy resumed"
  same "$dir/$alg.ra.mimic" "$dir/$alg.rb.mimic" "$alg reward resumed"
done

# a real kill -9 from outside, wherever the run is: resumed, the same file
args=(train ppo --env CartPole-v1 --steps 40960 --seed 7)
"$mimic" "${args[@]}" -o "$dir/long.a.mimic" --quiet > /dev/null
"$mimic" "${args[@]}" -o "$dir/long.b.mimic" --checkpoint "$dir/long.ckpt" --checkpoint-every 1 \
  --quiet > /dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do
  [ -s "$dir/long.ckpt" ] && break
  sleep 0.05
done
sleep 0.5 # a few iterations in
kill -9 "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
# (where it was killed varies with the machine's load; the result may not)
"$mimic" "${args[@]}" -o "$dir/long.b.mimic" --checkpoint "$dir/long.ckpt" --resume > "$dir/out" 2>&1
grep -o "resuming from .*" "$dir/out" || echo "the run had finished before the kill"
same "$dir/long.a.mimic" "$dir/long.b.mimic" "ppo killed from outside, resumed"

# refusals, each naming what differs
expect_refusal() {
  local want=$1 rc=0
  shift
  "$@" --quiet > /dev/null 2> "$dir/err" || rc=$?
  [ "$rc" -eq 1 ] || fail "exit $rc, not 1, for: $*"
  grep -q -- "$want" "$dir/err" || fail "no '$want' in: $(cat "$dir/err")"
}
ck=(--checkpoint "$dir/CartPole-v1.ckpt" --resume)
expect_refusal "meta.ppo.seed: the checkpoint was written with 0, this run has 3" \
  "$mimic" train ppo --env CartPole-v1 --steps 8192 --seed 3 -o "$dir/x.mimic" "${ck[@]}"
expect_refusal "meta.ppo.n_envs" \
  "$mimic" train ppo --env CartPole-v1 --steps 8192 --envs 4 -o "$dir/x.mimic" "${ck[@]}"
expect_refusal "holds a 'mimic.adversarial-checkpoint', not a 'mimic.ppo-checkpoint'" \
  "$mimic" train ppo --env CartPole-v1 --steps 6144 -o "$dir/x.mimic" --checkpoint "$dir/gail.ckpt" --resume
expect_refusal 'meta.adversarial.algorithm: the checkpoint was written with "gail", this run has "airl"' \
  "$mimic" train airl --env CartPole-v1 --data "$dir/demos" --steps 6144 -o "$dir/x.mimic" \
  --checkpoint "$dir/gail.ckpt" --resume
"$mimic" collect --env CartPole-v1 --episodes 3 -o "$dir/demos3" --quiet > /dev/null
expect_refusal "meta.adversarial.demo_transitions" \
  "$mimic" train gail --env CartPole-v1 --data "$dir/demos3" --steps 6144 -o "$dir/x.mimic" \
  --checkpoint "$dir/gail.ckpt" --resume
# train ppo on a learned reward: the reward file is part of the run
args=(train ppo --env CartPole-v1 --steps 2048 --norm-reward -o "$dir/r.mimic" --checkpoint "$dir/r.ckpt")
"$mimic" "${args[@]}" --reward "$dir/airl.ra.mimic" --quiet > /dev/null
"$mimic" "${args[@]}" --reward "$dir/airl.ra.mimic" --resume --quiet > /dev/null
expect_refusal "meta.command: 'reward_crc32' differs from this run's" \
  "$mimic" "${args[@]}" --reward "$dir/gail.ra.mimic" --resume
head -c 3000 "$dir/gail.ckpt" > "$dir/cut.ckpt"
cp "$dir/cut.ckpt" "$dir/cut.keep"
rc=0
"$mimic" train gail --env CartPole-v1 --data "$dir/demos" --steps 6144 -o "$dir/x.mimic" \
  --checkpoint "$dir/cut.ckpt" --resume --quiet > /dev/null 2> "$dir/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "cut.ckpt" "$dir/err" || fail "a cut checkpoint: exit $rc, $(cat "$dir/err")"
same "$dir/cut.keep" "$dir/cut.ckpt" "a refused checkpoint was changed"
[ ! -e "$dir/x.mimic" ] || fail "a refused resume wrote a policy"

# usage: --resume and --checkpoint-every need --checkpoint
for bad in "--resume" "--checkpoint-every 2"; do
  rc=0
  # shellcheck disable=SC2086
  "$mimic" train ppo --env CartPole-v1 -o "$dir/x.mimic" $bad 2> /dev/null || rc=$?
  [ "$rc" -eq 2 ] || fail "$bad without --checkpoint: exit $rc"
done
echo "cli_checkpoint: ok"
