#!/usr/bin/env bash
# mimic model info on every kind mimic writes (policy, reward network, text
# classifier, agent), freshly written and in the layouts before format
# version 2: the text output, and --json read by Python; a damaged file
# (exit 1, the message names the file) and bad usage (exit 2).
set -u
MIMIC=${1:?usage: cli_model.sh path/to/mimic}
SRC=${MIMIC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
LEGACY=$SRC/tests/data/legacy-models
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- fresh files of every kind -------------------------------------------------
"$MIMIC" collect --env CartPole-v1 --episodes 2 --seed 0 -o "$T/d" --quiet > /dev/null || fail "collect"
"$MIMIC" train bc --data "$T/d" --epochs 1 --hidden 8 -o "$T/bc.mimic" --quiet > /dev/null || fail "bc"
"$MIMIC" train gail --env CartPole-v1 --data "$T/d" --steps 128 --envs 2 --n-steps 64 \
  --batch-size 64 --epochs 1 --hidden 8 --vf-hidden 8 --disc-hidden 8 -o "$T/gail.mimic" \
  --reward-out "$T/reward.mimic" --quiet > /dev/null || fail "gail"
"$MIMIC" text train --data "$LEGACY/intents.csv" -o "$T/text.mimic" --quiet || fail "text train"
"$MIMIC" agent fit --traces "$SRC/docs/agent-mission/demos.jsonl" --trees 2 --threads 1 \
  -o "$T/agent.mimic" --quiet || fail "agent fit"

# check_json FILE KIND FORMAT TREES: --json says FILE holds KIND in format FORMAT
check_json() {
  "$MIMIC" model info "$1" --json > "$T/info.json" || fail "info --json $1"
  "$PY" - "$T/info.json" "$2" "$3" "$4" <<'PY' || fail "info --json $1: $(cat "$T/info.json")"
import json, sys
d = json.load(open(sys.argv[1]))
kind, fmt, check = sys.argv[2], int(sys.argv[3]), sys.argv[4]
assert d["kind"] == kind and d["kind_version"] == 1 and d["format_version"] == fmt, d
assert (d["legacy"] is False) == (fmt == 2), d["legacy"]
a, m = d["architecture"], d["metadata"]
assert isinstance(m, dict) and "architecture" not in m
assert all(set(x) == {"name", "dtype", "count"} for x in d["arrays"])
if kind == "mimic.policy":
    assert a["head"] == "categorical" and a["obs_dim"] == 4 and a["act_dim"] == 2, a
    assert a["actor"]["sizes"][0] == 4 and a["actor"]["sizes"][-1] == 2
    assert a["actor"]["activation"] == "tanh" and a["obs_norm"]["clip"] == 10
    assert a["parameters"] == [x for x in d["arrays"] if x["name"] == "params"][0]["count"]
    assert d["env_id"] == "CartPole-v1"
    assert json.loads(d["action_space"]) == {"type": "Discrete", "dtype": "int64", "start": 0, "n": 2}
    assert json.loads(d["observation_space"])["shape"] == [4]
elif kind == "mimic.reward":
    assert a["inputs"] == "state-action" and a["output"] == "softplus", a
    assert a["obs_dim"] == 4 and a["input_width"] == 6 and a["network"]["sizes"][0] == 6
    assert d["env_id"] == "CartPole-v1" and m["reward_kind"] == "gail-softplus-logit"
elif kind == "mimic.text_classifier":
    assert a["classes"] == ["card_declined", "refund", "top_up"] and a["n_classes"] == 3, a
    assert a["classifier"] == "ovr" and a["vocabulary_size"] == 32
    assert d["env_id"] is None and d["action_space"] is None
elif kind == "mimic.agent":
    assert a["policy"] == "logreg" and a["n_actions"] == 5 and a["demonstrations_kept"] == 12, a
    assert a["forest_trees"] == int(check), a
PY
}
check_json "$T/bc.mimic" mimic.policy 2 -
check_json "$T/reward.mimic" mimic.reward 2 -
check_json "$T/text.mimic" mimic.text_classifier 2 -
check_json "$T/agent.mimic" mimic.agent 2 2
check_json "$LEGACY/bc-cartpole.mimic" mimic.policy 1 -
check_json "$LEGACY/gail-reward.mimic" mimic.reward 1 -
check_json "$LEGACY/text-ovr.mimic" mimic.text_classifier 1 -
check_json "$LEGACY/agent-forest.mimic" mimic.agent 1 3

# --- the text output ---------------------------------------------------------------
out=$("$MIMIC" model info "$T/bc.mimic") || fail "info policy"
echo "$out" | grep -q "^kind  *mimic.policy (version 1)$" || fail "policy kind: $out"
echo "$out" | grep -q "^format version  *2$" || fail "policy format: $out"
echo "$out" | grep -q "^env  *CartPole-v1$" || fail "policy env: $out"
echo "$out" | grep -q "^observation  *Box(shape=(4,), float32)$" || fail "policy obs: $out"
echo "$out" | grep -q "^action  *Discrete(2)$" || fail "policy action: $out"
echo "$out" | grep -q "^  actor  *4 -> 8 -> 2, tanh$" || fail "policy actor: $out"
echo "$out" | grep -q "^  critic  *none$" || fail "policy critic: $out"
echo "$out" | grep -q "^  obs_norm  *eps 1e-08, clip 10$" || fail "policy norm: $out"
echo "$out" | grep -q "^  params  *<f4 x " || fail "policy arrays: $out"
echo "$out" | grep -q "^  algorithm  *bc$" || fail "policy metadata: $out"
out=$("$MIMIC" model info "$LEGACY/ppo-pendulum.mimic") || fail "info legacy policy"
echo "$out" | grep -q "^format version  *1 (legacy: binary policy layout" || fail "legacy: $out"
echo "$out" | grep -q "^  head  *gaussian$" || fail "gaussian: $out"
echo "$out" | grep -q "^  critic  *3 -> 8 -> 1, tanh$" || fail "ppo critic: $out"
out=$("$MIMIC" model info "$T/reward.mimic") || fail "info reward"
echo "$out" | grep -q "^  inputs  *state-action$" || fail "reward inputs: $out"
echo "$out" | grep -q "^  action  *Discrete(2), one-hot$" || fail "reward action: $out"
out=$("$MIMIC" model info "$LEGACY/text-softmax.mimic") || fail "info text"
echo "$out" | grep -q "^kind  *mimic.text_classifier (version 1)$" || fail "text kind: $out"
echo "$out" | grep -q "^  classifier  *softmax$" || fail "text classifier: $out"
echo "$out" | grep -q "^  classes  *card_declined, refund, top_up$" || fail "text classes: $out"
out=$("$MIMIC" model info "$T/agent.mimic") || fail "info agent"
echo "$out" | grep -q "^  policy  *logreg$" || fail "agent policy: $out"
echo "$out" | grep -q "^  forest_trees  *2$" || fail "agent trees: $out"
echo "$out" | grep -q "^  demonstrations_kept  *12$" || fail "agent demos: $out"

# --- damaged files: exit 1, the file named -----------------------------------------
head -c 300 "$T/bc.mimic" > "$T/short.mimic"
err=$("$MIMIC" model info "$T/short.mimic" 2>&1 > /dev/null); rc=$?
[ $rc -eq 1 ] || fail "truncated file: exit $rc"
echo "$err" | grep -q "$T/short.mimic: .*truncated" || fail "truncated file message: $err"
cp "$T/text.mimic" "$T/flipped.mimic"
size=$(stat -c %s "$T/flipped.mimic")
printf '\x55' | dd of="$T/flipped.mimic" bs=1 seek=$((size - 10)) conv=notrunc status=none
err=$("$MIMIC" model info "$T/flipped.mimic" --json 2>&1 > /dev/null); rc=$?
[ $rc -eq 1 ] || fail "flipped byte: exit $rc"
echo "$err" | grep -q "$T/flipped.mimic: checksum mismatch" || fail "flipped message: $err"
# a valid container whose policy lies: the kind's loader finds it
"$PY" - "$T/bc.mimic" "$T/lie.mimic" <<'PY' || fail "could not write the lying file"
import json, struct, sys, zlib
b = open(sys.argv[1], "rb").read()
H = struct.unpack("<I", b[12:16])[0]
h = json.loads(b[16:16 + H])
h["meta"]["architecture"]["actor"]["activation"] = "gelu"
t = json.dumps(h, separators=(",", ":")).encode()
off = 16 + H + (-(16 + H)) % 8
head = b[:12] + struct.pack("<I", len(t)) + t
head += b"\0" * ((-len(head)) % 8)
body = head + b[off:-4]
open(sys.argv[2], "wb").write(body + struct.pack("<I", zlib.crc32(body)))
PY
err=$("$MIMIC" model info "$T/lie.mimic" 2>&1 > /dev/null); rc=$?
[ $rc -eq 1 ] || fail "lying file: exit $rc"
echo "$err" | grep -q "$T/lie.mimic: meta.architecture.actor: activation 'gelu' is unknown" \
  || fail "lying file message: $err"
err=$("$MIMIC" model info "$T/missing.mimic" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "missing.mimic" || fail "missing file: $rc $err"

# --- bad usage: exit 2 ---------------------------------------------------------------
"$MIMIC" model info > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "no file: exit $rc"
"$MIMIC" model info "$T/bc.mimic" "$T/text.mimic" > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "two files: exit $rc"
"$MIMIC" model info "$T/bc.mimic" --bogus > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "unknown flag: exit $rc"
"$MIMIC" model frobnicate > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "unknown verb: exit $rc"
"$MIMIC" model info --help | grep -q "usage: mimic model info FILE" || fail "--help"
echo "cli_model: ok"
