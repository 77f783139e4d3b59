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

The dynamics and the seeding are Gymnasium's (NumPy's PCG64 seeded with
reset's seed), so mimic's built-in CartPole-v1 starts every episode in the
same state. "builtin" experts get expert_action: push under the falling pole.
"""
import json
import math
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
    raise ValueError(f"unknown request type {kind!r}")


def serve(env, source=sys.stdin, sink=sys.stdout):
    """Answers requests until the end of input."""
    for line in source:
        request = json.loads(line)
        try:
            reply = answer(env, request)
        except Exception as exc:  # the error goes back to mimic, which names it
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        sink.write(json.dumps({"id": request["id"], **reply}) + "\n")
        sink.flush()


if __name__ == "__main__":
    serve(CartPole())
