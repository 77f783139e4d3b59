#!/usr/bin/env bash
# examples/experts/torch_expert.py, a PyTorch policy answering batches with
# one forward pass, as the expert of mimic train dagger (the learner reaches
# the expert's 500 on CartPole-v1) and as the policy of mimic eval.
set -euo pipefail
mimic=$1
. "$(dirname "$0")/prelude.sh"
expert="cmd:/usr/bin/python3 $MIMIC_SOURCE_DIR/examples/experts/torch_expert.py"

json=$("$mimic" train dagger --env CartPole-v1 --expert "$expert" --rounds 4 --beta linear:4 \
  --envs 4 -o "$dir/clone.mimic" --json)
last=$(/usr/bin/python3 -c 'import json,sys; r = json.load(sys.stdin)["rounds"][-1]; print(r["return"], r["expert_queries"])' <<<"$json")
[ "${last% *}" = 500 ] || fail "the learner returns ${last% *} after 4 rounds, not 500: $json"
[ "${last#* }" -gt 1000 ] || fail "too few expert labels: $json"

out=$("$mimic" eval --env CartPole-v1 --policy "$expert" --episodes 20 --json)
ret=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["return_mean"])' <<<"$out")
[ "${ret%.0}" = 500 ] || fail "the torch expert itself returns $ret: $out"
echo "ok: DAgger with a batched PyTorch expert reaches 500; the expert scores $ret"
