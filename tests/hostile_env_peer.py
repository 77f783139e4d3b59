#!/usr/bin/env python3
"""An environment program that misbehaves on cue, for tests/cli_env_program.sh.

    hostile_env_peer.py MODE [STEP]

serves examples/python/cartpole_peer.py's CartPole until its STEP-th step
(counted over the program's life; default 3), then, by MODE: nan_obs,
short_obs, nan_reward, bad_flag, garbage (a line that is not JSON), crash
(exit 3), hang (sleeps), error (an {"error": ...} reply). MODE bad_space
lies in the handshake; ok never misbehaves. MIMIC_PEER_FAULT=MODE@STEP
overrides the arguments, so a test changes the behaviour without changing
the environment's id; it counts only steps of episodes reset without a seed
(a DAgger rollout's, not an evaluation's, which seeds every episode).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples", "python"))
from cartpole_peer import CartPole, answer  # noqa: E402

mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
at = int(sys.argv[2]) if len(sys.argv) > 2 else 3
if os.environ.get("MIMIC_PEER_FAULT"):
    mode, at = os.environ["MIMIC_PEER_FAULT"].split("@")
    at = int(at)
only_unseeded = bool(os.environ.get("MIMIC_PEER_FAULT"))
env, steps, counting = CartPole(), 0, True
for line in sys.stdin:
    request = json.loads(line)
    reply = answer(env, request)
    if request["type"] == "reset":
        counting = not only_unseeded or request.get("seed") is None
    if request["type"] == "hello" and mode == "bad_space":
        reply = dict(reply, observation_space={"type": "Box", "shape": [4], "low": [0, 0]})
    if request["type"] == "step" and counting:
        steps += 1
        if steps == at:
            if mode == "nan_obs":
                reply["obs"][2] = float("nan")
            elif mode == "short_obs":
                reply["obs"] = reply["obs"][:3]
            elif mode == "nan_reward":
                reply["reward"] = float("nan")
            elif mode == "bad_flag":
                reply["terminated"] = "no"
            elif mode == "garbage":
                print("<html>oops</html>", flush=True)
                continue
            elif mode == "crash":
                sys.exit(3)
            elif mode == "hang":
                time.sleep(60)
            elif mode == "error":
                reply = {"error": "the simulator diverged"}
    print(json.dumps({"id": request["id"], **reply}), flush=True)
