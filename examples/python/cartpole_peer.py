#!/usr/bin/env python3
"""An environment in another process for mimic: CartPole-v1 speaking the env
protocol (docs/env-protocol.md) on stdin and stdout. Python's standard
library and NumPy only; the same few messages work from any language.

    mimic train dagger --env "cmd:python3 examples/python/cartpole_peer.py" --expert builtin
    mimic evaluate --env "cmd:python3 examples/python/cartpole_peer.py" --model policy.mimic

mimic starts the program, says hello (make the environment anew), then
asks reset / step / expert_action one JSON line at a time and reads one
JSON line back for each, echoing the request's "id". mimic may say hello
again to reuse the program for a new environment; end of input means close.

When mimic runs several copies (evaluation, DAgger's rollouts) its hello
asks for protocol 2 with num_envs N: this program then serves all N copies
at once (VecCartPole, NumPy arrays of N states) in binary frames, one frame
per step of every copy, resetting the copies that ended in the same frame.

The dynamics and the seeding are Gymnasium's (NumPy's PCG64 seeded with
reset's seed), so mimic's built-in CartPole-v1 starts every episode in the
same state. "builtin" experts get expert_action: push under the falling pole.
"""
import base64
import json
import math
import struct
import sys

import numpy as np


class CartPole:
    """Gymnasium's CartPole-v1: state (x, x_dot, theta, theta_dot), actions 0/1."""

    def __init__(self):
        self.rng = np.random.Generator(np.random.PCG64())
        self.state = (0.0, 0.0, 0.0, 0.0)

    def reset(self, seed=None):
        if seed is not None:
            self.rng = np.random.Generator(np.random.PCG64(seed))
        self.state = tuple(float(v) for v in self.rng.uniform(low=-0.05, high=0.05, size=(4,)))
        return self.state

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = 10.0 if action == 1 else -10.0
        cos, sin = math.cos(theta), math.sin(theta)
        temp = (force + 0.05 * theta_dot**2 * sin) / 1.1
        theta_acc = (9.8 * sin - cos * temp) / (0.5 * (4.0 / 3.0 - 0.1 * cos**2 / 1.1))
        x_acc = temp - 0.05 * theta_acc * cos / 1.1
        x, x_dot = x + 0.02 * x_dot, x_dot + 0.02 * x_acc
        theta, theta_dot = theta + 0.02 * theta_dot, theta_dot + 0.02 * theta_acc
        self.state = (x, x_dot, theta, theta_dot)
        terminated = x < -2.4 or x > 2.4 or theta < -0.2095 or theta > 0.2095
        return self.state, 1.0, terminated

    def expert_action(self):
        x, x_dot, theta, theta_dot = self.state
        return int(1.0 * x + 1.9 * x_dot + 26.0 * theta + 4.3 * theta_dot > 0)

    def render_text(self):
        """A line of numbers and the track: C the cart, o the pole's tip."""
        x, x_dot, theta, theta_dot = self.state
        track = [" "] * 49
        for pos, mark in ((x, "C"), (x + math.sin(theta), "o")):
            track[min(48, max(0, round((pos + 2.4) / 4.8 * 48)))] = mark
        return (f"CartPole  x={x:+.3f}  x_dot={x_dot:+.3f}  theta={math.degrees(theta):+.2f} deg"
                f"  theta_dot={theta_dot:+.3f}\n|{''.join(track)}|")

    def render_rgb(self):
        """Gymnasium's 600x400 picture, roughly: a black cart, a brown pole."""
        x, _, theta, _ = self.state
        img = np.full((400, 600, 3), 255, np.uint8)
        img[300, :] = 0
        cx = int(300 + x * 125)
        img[285:315, max(0, cx - 25):max(0, cx + 25)] = 0
        for t in np.linspace(0, 125, 200):  # the pole, 1 m long at 125 px per m
            px, py = int(cx + t * math.sin(theta)), int(285 - t * math.cos(theta))
            if 0 <= px < 600 and 0 <= py < 400:
                img[py, max(0, px - 4):px + 5] = (202, 152, 101)
        return img


def observation(state):
    """float32 values, as the observation space says, written exactly."""
    return [float(v) for v in np.asarray(state, dtype=np.float32)]


HELLO = {
    "protocol": 1,
    "observation_space": {"type": "Box", "shape": [4], "low": None, "high": None},
    "action_space": {"type": "Discrete", "n": 2},
    "max_episode_steps": 500,
    "reward_threshold": 475.0,
    "expert": True,
    "render_modes": ["ansi", "rgb_array"],
}


def answer(env, request):
    """The reply to one request (without its id)."""
    kind = request["type"]
    if kind == "hello":
        if request.get("options"):
            raise ValueError(f"CartPole takes no options, got {sorted(request['options'])}")
        env.__init__()  # a new environment: a fresh generator
        return HELLO
    if kind == "reset":
        return {"obs": observation(env.reset(request.get("seed"))), "info": {}}
    if kind == "step":
        state, reward, terminated = env.step(request["action"])
        return {"obs": observation(state), "reward": reward, "terminated": terminated,
                "truncated": False, "info": {}}
    if kind == "expert_action":
        return {"action": env.expert_action()}
    if kind == "render" and request.get("mode") == "ansi":
        return {"text": env.render_text()}
    if kind == "render" and request.get("mode") == "rgb_array":
        frame = env.render_rgb()
        return {"width": frame.shape[1], "height": frame.shape[0],
                "rgb": base64.b64encode(frame.tobytes()).decode()}
    raise ValueError(f"unknown request type {kind!r}")


class VecCartPole:
    """N CartPoles as arrays: the same dynamics and seeding as CartPole, copy by copy."""

    def __init__(self, n):
        self.rngs = [np.random.Generator(np.random.PCG64()) for _ in range(n)]
        self.state = np.zeros((n, 4))

    def reset(self, i, seed=None):
        if seed is not None:
            self.rngs[i] = np.random.Generator(np.random.PCG64(seed))
        self.state[i] = self.rngs[i].uniform(low=-0.05, high=0.05, size=(4,))

    def step(self, rows, actions):
        """Steps copies rows with actions; returns whether each terminated."""
        x, x_dot, theta, theta_dot = self.state[rows].T
        force = np.where(actions == 1, 10.0, -10.0)
        # libm's cos and sin, as math's: NumPy's own differ in the last bit on some CPUs
        cos = np.fromiter(map(math.cos, theta), float, len(rows))
        sin = np.fromiter(map(math.sin, theta), float, len(rows))
        temp = (force + 0.05 * theta_dot**2 * sin) / 1.1
        theta_acc = (9.8 * sin - cos * temp) / (0.5 * (4.0 / 3.0 - 0.1 * cos**2 / 1.1))
        x_acc = temp - 0.05 * theta_acc * cos / 1.1
        x, x_dot = x + 0.02 * x_dot, x_dot + 0.02 * x_acc
        theta, theta_dot = theta + 0.02 * theta_dot, theta_dot + 0.02 * theta_acc
        self.state[rows] = np.stack((x, x_dot, theta, theta_dot), axis=1)
        return (x < -2.4) | (x > 2.4) | (theta < -0.2095) | (theta > 0.2095)

    def expert_action(self, rows):
        x, x_dot, theta, theta_dot = self.state[rows].T
        return (1.0 * x + 1.9 * x_dot + 26.0 * theta + 4.3 * theta_dot > 0).astype(np.float32)


# Protocol 2's frames (docs/env-protocol.md): a 16-byte header, then arrays,
# all little-endian. Kinds: 1 reset, 2 step, 3 expert, 0x7f an error (UTF-8
# text). Header byte 5, bit 0: the reply carries the expert's actions (this
# peer says "expert_on_request" in hello, so it computes them only then).
HEADER = struct.Struct("<4sBBHII")
MAGIC, RESET, STEP, EXPERT, ERROR = b"MEP2", 1, 2, 3, 0x7F


def frame(kind, count, payload):
    return HEADER.pack(MAGIC, kind, 0, 0, count, len(payload)) + payload


class Frames:
    """Protocol 2's request and reply buffers for n copies, allocated at the
    handshake: a frame is read into one buffer (one read system call for a
    whole frame) and answered from NumPy views of the other (one write), so
    that stepping costs no per-frame bytes objects or joins. Views are made
    once for each (kind, copy count, expert flag) seen."""

    def __init__(self, n, od=4, aw=1):
        self.od, self.aw = od, aw
        self.request = bytearray(HEADER.size + 16 + n * (4 + 4 * aw + 1) + 12 * n)
        self.reply = bytearray(HEADER.size + n * (8 + 8 * od + 4 * aw + 2))
        self.req_view, self.reply_view = memoryview(self.request), memoryview(self.reply)
        self.views = {}

    def read(self, source):
        """The next request into self.request: (kind, flags, m), or the first bytes of
        a JSON line (hello again, to reuse this program), or None at the end of input."""
        head = self.req_view[: HEADER.size]
        got = source.readinto(head)
        if got != HEADER.size or self.request[:1] == b"{":
            return bytes(head[:got]) if got else None
        magic, kind, flags, _, m, size = HEADER.unpack_from(self.request)
        if magic != MAGIC:
            raise ValueError(f"a frame starts with {bytes(head[:4])!r}, not MEP2")
        if HEADER.size + size > len(self.request):
            raise ValueError(f"a request of {size} bytes, more than {len(self.request)} copies need")
        if source.readinto(self.req_view[HEADER.size: HEADER.size + size]) != size:
            return None
        return kind, flags, m

    def layout(self, kind, m, expert):
        """Views of the request's fields and the reply's for m copies."""
        key = (kind, m, expert)
        if key not in self.views:
            q, r, od, aw = self.request, self.reply, self.od, self.aw
            h = HEADER.size
            v = {"rows": np.frombuffer(q, "<u4", m, h + (16 if kind == STEP else 0))}
            if kind == STEP:
                v["actions"] = np.frombuffer(q, "<f4", m * aw, h + 16 + 4 * m)
                v["last"] = np.frombuffer(q, "u1", m, h + 16 + 4 * m + 4 * aw * m).view(bool)
                v["head"] = np.frombuffer(q, "<i8", 2, h)
                v["reward"] = np.frombuffer(r, "<f8", m, h)
                at = h + 8 * m
                v["obs"] = np.frombuffer(r, "<f4", m * od, at).reshape(m, od)
                v["final"] = np.frombuffer(r, "<f4", m * od, at + 4 * m * od).reshape(m, od)
                at += 8 * m * od
            elif kind == RESET:
                v["seeds"] = np.frombuffer(q, "<i8", m, h + 4 * m)
                at = h
                v["obs"] = np.frombuffer(r, "<f4", m * od, at).reshape(m, od)
                at += 4 * m * od
            else:
                at = h
            if expert or kind == EXPERT:
                v["expert"] = np.frombuffer(r, "<f4", m * aw, at)
                at += 4 * m * aw
            if kind == STEP:
                v["terminated"] = np.frombuffer(r, "u1", m, at).view(bool)
                v["truncated"] = np.frombuffer(r, "u1", m, at + m).view(bool)
                at += 2 * m
            v["size"] = at
            self.views[key] = v
        return self.views[key]


def answer_frame(vec, frames, kind, flags, m):
    """Answers the request in frames.request into frames.reply; returns the
    reply's bytes (a view of frames.reply)."""
    v = frames.layout(kind, m, bool(flags & 1))
    HEADER.pack_into(frames.reply, 0, MAGIC, kind, 0, 0, m, v["size"] - HEADER.size)
    rows = v["rows"]
    if kind == STEP:
        next_seed, max_resets = v["head"].tolist()
        terminated = vec.step(rows, v["actions"])
        state = vec.state[rows]
        v["final"][:] = state
        ended = np.flatnonzero(terminated | v["last"])[:max_resets]
        for j, k in enumerate(ended.tolist()):  # SB3's auto-reset, with mimic's seeds
            vec.reset(rows[k], None if next_seed < 0 else next_seed + j)
        v["obs"][:] = vec.state[rows] if len(ended) else state
        v["reward"].fill(1.0)
        v["terminated"][:] = terminated
        v["truncated"].fill(False)
    elif kind == RESET:
        for i, seed in zip(rows.tolist(), v["seeds"].tolist()):
            vec.reset(i, None if seed < 0 else seed)
        v["obs"][:] = vec.state[rows]
    elif kind != EXPERT:
        raise ValueError(f"unknown frame kind {kind}")
    if "expert" in v:
        v["expert"][:] = vec.expert_action(rows)
    return frames.reply_view[: v["size"]]


def serve(env, source=sys.stdin.buffer, sink=sys.stdout.buffer, tamper=None):
    """Answers requests until the end of input: JSON lines, and frames after
    a hello that agreed on protocol 2. tamper(kind, count, reply) may change
    a reply frame (tests/hostile_env_peer.py)."""
    vec = frames = None
    while True:
        request = frames.read(source) if vec else source.readline()
        if not request:
            return
        if isinstance(request, tuple):
            kind, flags, m = request
            try:
                reply = answer_frame(vec, frames, kind, flags, m)
            except Exception as exc:  # the error goes back to mimic, which names it
                reply = frame(ERROR, 0, f"{type(exc).__name__}: {exc}".encode())
            if tamper:
                reply = tamper(kind, m, reply)
            sink.write(reply)
            sink.flush()
            continue
        head = request + source.readline() if vec else request
        request = json.loads(head)
        try:
            reply = answer(env, request)
            n = request.get("num_envs")
            if request["type"] == "hello" and request.get("protocol", 1) >= 2 and n:
                vec, frames = VecCartPole(n), Frames(n)
                reply = dict(reply, protocol=2, num_envs=n, expert_on_request=True)
            elif request["type"] == "hello":
                vec = frames = None
        except Exception as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        sink.write((json.dumps({"id": request["id"], **reply}) + "\n").encode())
        sink.flush()


if __name__ == "__main__":
    serve(CartPole())
