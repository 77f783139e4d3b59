#!/usr/bin/env bash
# Checkpoint and resume of the online off-policy learners (train sac, td3,
# dqn): a run killed (SIGKILL, MIMIC_TEST_KILL_AT=step) right after a
# checkpoint taken mid-episode, with a partly filled replay buffer, and
# resumed from it writes the same policy file, byte for byte, as a run
# that never stopped. A checkpoint from other settings is refused naming
# the setting; a damaged one is refused and left as it was.
set -euo pipefail
mimic=$1
. "$(dirname "$0")/prelude.sh"

# name:env:steps:kill step (Pendulum's episodes are 200 steps, CartPole's vary: mid-episode)
for run in sac:Pendulum-v1:700:300 td3:Pendulum-v1:700:300 dqn:CartPole-v1:1500:700; do
  IFS=: read -r algo env steps k <<< "$run"
  args=(train "$algo" --env "$env" --steps "$steps" --hidden 32,32 --learning-starts 200
    --episodes 2 --seed 3)
  [ "$algo" = dqn ] && args+=(--target-update-interval 300 --batch-size 32)
  "$mimic" "${args[@]}" -o "$dir/$algo.a.mimic" --quiet > /dev/null
  rc=0
  MIMIC_TEST_KILL_AT=$k "$mimic" "${args[@]}" -o "$dir/$algo.b.mimic" \
    --checkpoint "$dir/$algo.ckpt" --checkpoint-every 100 --quiet > /dev/null 2>&1 || rc=$?
  [ "$rc" -eq 137 ] || fail "$algo: exit $rc instead of being killed at step $k"
  [ -s "$dir/$algo.ckpt" ] && [ ! -e "$dir/$algo.b.mimic" ] || fail "$algo: no checkpoint, or a policy"
  out=$("$mimic" "${args[@]}" -o "$dir/$algo.b.mimic" --checkpoint "$dir/$algo.ckpt" --resume 2>&1)
  echo "$out" | grep -q "resuming from $dir/$algo.ckpt at step $k" || fail "$algo: no resume note: $out"
  cmp -s "$dir/$algo.a.mimic" "$dir/$algo.b.mimic" || fail "$algo: the resumed run's policy differs"
done

# other settings are refused naming the one that differs; the file is kept
cp "$dir/sac.ckpt" "$dir/keep.ckpt"
base=(train sac --env Pendulum-v1 --steps 700 --hidden 32,32 --learning-starts 200 --episodes 2)
if out=$("$mimic" "${base[@]}" --seed 3 --gamma 0.9 -o "$dir/x.mimic" \
  --checkpoint "$dir/sac.ckpt" --resume 2>&1); then
  fail "resumed with another gamma"
fi
echo "$out" | grep -q "meta.settings.gamma" || fail "the gamma refusal does not name it: $out"
if out=$("$mimic" "${base[@]}" --seed 4 -o "$dir/x.mimic" --checkpoint "$dir/sac.ckpt" \
  --resume 2>&1); then
  fail "resumed with another seed"
fi
echo "$out" | grep -q "meta.settings.seed" || fail "the seed refusal does not name it: $out"
if out=$("$mimic" train td3 --env Pendulum-v1 --steps 700 --hidden 32,32 --learning-starts 200 \
  --seed 3 -o "$dir/x.mimic" --checkpoint "$dir/sac.ckpt" --resume 2>&1); then
  fail "a sac checkpoint resumed td3"
fi
echo "$out" | grep -q "meta.algorithm" || fail "the algorithm refusal does not name it: $out"
cmp -s "$dir/sac.ckpt" "$dir/keep.ckpt" || fail "a refused checkpoint was changed"
[ ! -e "$dir/x.mimic" ] || fail "a refused resume wrote a policy"

# damaged: a byte flipped in the replay buffer's region, and a cut file
size=$(stat -c %s "$dir/keep.ckpt")
cp "$dir/keep.ckpt" "$dir/bad.ckpt"
printf '\xff\xff\xff\x7f' | dd of="$dir/bad.ckpt" bs=1 seek=$((size - 4000)) conv=notrunc 2> /dev/null
head -c $((size / 2)) "$dir/keep.ckpt" > "$dir/cut.ckpt"
for f in bad cut; do
  cp "$dir/$f.ckpt" "$dir/$f.orig"
  if out=$("$mimic" "${base[@]}" --seed 3 -o "$dir/x.mimic" --checkpoint "$dir/$f.ckpt" \
    --resume 2>&1); then
    fail "$f checkpoint accepted"
  fi
  echo "$out" | grep -q "$dir/$f.ckpt" || fail "$f: the error does not name the file: $out"
  cmp -s "$dir/$f.ckpt" "$dir/$f.orig" || fail "$f: the refused checkpoint was overwritten"
done
echo "ok"
