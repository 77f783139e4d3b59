#!/usr/bin/env python3
"""An environment program that misbehaves on cue, for tests/cli_env_program.sh.

    hostile_env_peer.py MODE [STEP]

serves examples/python/cartpole_peer.py's CartPole until its STEP-th step
(counted over the program's life; default 3), then, by MODE: nan_obs,
short_obs, nan_reward, bad_flag, garbage (a line that is not JSON), crash
(exit 3), hang (sleeps), error (an {"error": ...} reply); bad_render sends
a text that is not a string and a frame too short for its size. MODE bad_space
lies in the handshake; ok never misbehaves. MIMIC_PEER_FAULT=MODE@STEP
overrides the arguments, so a test changes the behaviour without changing
the environment's id; it counts only steps of episodes reset without a seed
(a DAgger rollout's, not an evaluation's, which seeds every episode).

Modes batch_*, for protocol 2 (several copies, binary frames), spoil the
STEP-th step frame instead: batch_short (half the frame, then exit),
batch_length (a payload size that is off by 4), batch_count (one copy
fewer), batch_magic (a header that is not MEP2), batch_nan (copy 1's obs[2]),
batch_reward (copy 0's reward NaN), batch_flag (copy 0's terminated is 7),
batch_crash (exit 3), batch_hang (sleeps), batch_error (an error frame),
batch_ok. Counting only unseeded steps means frames whose auto-reset seed
is none (a training rollout's).
"""
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples", "python"))
from cartpole_peer import ERROR, HEADER, STEP, CartPole, answer, frame, serve  # noqa: E402

mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
at = int(sys.argv[2]) if len(sys.argv) > 2 else 3
if os.environ.get("MIMIC_PEER_FAULT"):
    mode, at = os.environ["MIMIC_PEER_FAULT"].split("@")
    at = int(at)
only_unseeded = bool(os.environ.get("MIMIC_PEER_FAULT"))
env, steps, counting = CartPole(), 0, True


class Spoiler:
    """Reads each step frame's auto-reset seed, spoils the at-th reply."""

    def __init__(self, source):
        self.source, self.frames, self.seeded = source, 0, False

    def readinto(self, buf):
        n = self.source.readinto(buf)
        if n == HEADER.size and bytes(buf[:4]) == b"MEP2" and buf[4] == STEP:
            self.peek = True
        elif getattr(self, "peek", False):
            self.seeded, self.peek = struct.unpack_from("<q", buf)[0] >= 0, False
        return n

    def readline(self):
        return self.source.readline()

    def __call__(self, kind, m, reply):
        if kind != STEP or (only_unseeded and self.seeded):
            return reply
        self.frames += 1
        if self.frames != at:
            return reply
        body = bytearray(reply)
        if mode == "batch_short":
            sys.stdout.buffer.write(reply[: len(reply) // 2])
            sys.stdout.buffer.flush()
            sys.exit(0)
        if mode == "batch_length":
            struct.pack_into("<I", body, 12, len(reply) - HEADER.size + 4)
        elif mode == "batch_count":
            struct.pack_into("<I", body, 8, m - 1)
        elif mode == "batch_magic":
            body[:4] = b"HTTP"
        elif mode == "batch_nan":
            struct.pack_into("<f", body, HEADER.size + 8 * m + 4 * (4 + 2), float("nan"))
        elif mode == "batch_reward":
            struct.pack_into("<d", body, HEADER.size, float("nan"))
        elif mode == "batch_flag":
            body[len(body) - 2 * m] = 7
        elif mode == "batch_crash":
            sys.exit(3)
        elif mode == "batch_hang":
            time.sleep(60)
        elif mode == "batch_error":
            return frame(ERROR, 0, b"the simulator diverged in copy 1")
        return bytes(body)


if mode.startswith("batch_"):
    source = Spoiler(sys.stdin.buffer)
    serve(env, source=source, tamper=source)
    sys.exit(0)
for line in sys.stdin:
    request = json.loads(line)
    reply = answer(env, request)
    if request["type"] == "reset":
        counting = not only_unseeded or request.get("seed") is None
    if request["type"] == "render" and mode == "bad_render":
        reply = dict(reply, rgb=reply["rgb"][:400]) if "rgb" in reply else {"text": 5}
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
