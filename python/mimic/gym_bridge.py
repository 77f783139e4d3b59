#!/usr/bin/env python3
"""mimic's Gymnasium bridge: `--env gym:ID[:JSON-KWARGS]` runs

    python3 gym_bridge.py ID [JSON-KWARGS]

which makes `gymnasium.make(ID, **kwargs)` and speaks the env protocol
(docs/env-protocol.md) on stdin and stdout, so any Gymnasium environment
works with every mimic command that takes --env. Python's standard library
and NumPy, plus gymnasium itself, which it reports clearly when missing.
mimic finds this file where it is installed (share/mimic/), in its source
tree, or at $MIMIC_GYM_BRIDGE; $MIMIC_PYTHON names the interpreter.

Spaces: a Box (float32 values) or a Discrete starting at 0; anything else is
an error naming the space. An environment with an `expert_action()` method
(on it or on env.unwrapped) serves mimic's "builtin" expert.
"""
import json
import sys

import numpy as np


def _bound(values):
    """A Box bound as a flat list; non-finite values as the protocol's strings."""
    out = []
    for v in np.asarray(values, dtype=np.float64).ravel().tolist():
        out.append(v if np.isfinite(v) else ("Infinity" if v > 0 else "-Infinity"))
    return out


def space_json(space, name):
    """A Gymnasium space in the protocol's words."""
    kind = type(space).__name__
    if kind == "Discrete":
        if int(getattr(space, "start", 0)) != 0:
            raise ValueError(f"{name} is Discrete starting at {space.start}; mimic takes start 0")
        return {"type": "Discrete", "n": int(space.n)}
    if kind == "Box":
        return {"type": "Box", "shape": [int(k) for k in space.shape],
                "low": _bound(space.low), "high": _bound(space.high)}
    raise ValueError(f"{name} is a {kind}; mimic takes Box and Discrete")


def _values(x):
    """An observation or action as a flat list of floats (float32 values exactly)."""
    return np.asarray(x, dtype=np.float32).ravel().astype(np.float64).tolist()


class Bridge:
    """Answers the protocol's requests for one Gymnasium environment at a time."""

    def __init__(self, make):
        self.make = make  # options -> a new environment
        self.env = None

    def hello(self, request):
        if self.env is not None:
            self.env.close()
        self.env = self.make(request.get("options") or {})
        spec = getattr(self.env, "spec", None)
        expert = getattr(self.env, "expert_action", None) or getattr(
            getattr(self.env, "unwrapped", None), "expert_action", None)
        self.expert = expert
        return {"protocol": 1,
                "observation_space": space_json(self.env.observation_space, "observation_space"),
                "action_space": space_json(self.env.action_space, "action_space"),
                "max_episode_steps": getattr(spec, "max_episode_steps", None)
                or getattr(self.env, "max_episode_steps", None),
                "reward_threshold": getattr(spec, "reward_threshold", None)
                or getattr(self.env, "reward_threshold", None),
                "expert": expert is not None}

    def reset(self, request):
        obs, _ = self.env.reset(seed=request.get("seed"), options=request.get("options"))
        return {"obs": _values(obs)}

    def step(self, request):
        action = request["action"]
        space = self.env.action_space
        if type(space).__name__ == "Box":
            action = np.asarray(action, dtype=space.dtype).reshape(space.shape)
        obs, reward, terminated, truncated, _ = self.env.step(action)
        return {"obs": _values(obs), "reward": float(reward),
                "terminated": bool(terminated), "truncated": bool(truncated)}

    def expert_action(self, request):
        a = self.expert()
        return {"action": int(a) if np.ndim(a) == 0 else _values(a)}

    def serve(self, source, sink):
        """Answers requests, one JSON line each, until the end of input."""
        for line in source:
            request = json.loads(line)
            handler = getattr(self, str(request.get("type")), None)
            try:
                if request.get("type") not in ("hello", "reset", "step", "expert_action"):
                    raise ValueError(f"unknown request type {request.get('type')!r}")
                if self.env is None and request["type"] != "hello":
                    raise ValueError("no hello before the first request")
                reply = handler(request)
            except Exception as exc:  # mimic names the request and shows this
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            sink.write(json.dumps({"id": request["id"], **reply}) + "\n")
            sink.flush()
        if self.env is not None:
            self.env.close()


def _option(text):
    """An option's value: JSON when it parses (1, 0.5, true), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit("usage: gym_bridge.py ID [JSON-KWARGS]")
    env_id = argv[1]
    kwargs = json.loads(argv[2]) if len(argv) == 3 else {}
    if not isinstance(kwargs, dict):
        sys.exit(f"gym_bridge.py: the keyword arguments for {env_id} are not a JSON object")
    try:
        import gymnasium
    except ImportError as exc:
        # answer the hello with the reason, so mimic shows it
        why = (f"gymnasium is not importable by {sys.executable} ({exc}); install it "
               f"(pip install gymnasium) or set MIMIC_PYTHON to a Python that has it")
        for line in sys.stdin:
            sys.stdout.write(json.dumps({"id": json.loads(line)["id"], "error": why}) + "\n")
            sys.stdout.flush()
            break
        sys.exit(1)

    def make(options):
        return gymnasium.make(env_id, **kwargs, **{k: _option(v) for k, v in options.items()})

    Bridge(make).serve(sys.stdin, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
