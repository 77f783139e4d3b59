#!/usr/bin/env python3
"""bench/python: mimic from Python, as one JSON object (medians of 5 runs).

  env_steps_per_s        mimic.make("CartPole-v1").step(a) in a Python loop
                         (random actions drawn beforehand, reset when an episode ends)
  vec256_env_steps_per_s mimic.make_vec("CartPole-v1", 256).step(actions): env steps/s
  pyenv_loop_steps_per_s a plain Python loop stepping a Python CartPole
                         (examples/python/cartpole.py): 4000 episodes, episode k
                         from reset(seed=k), random actions
  pyenv_mimic_steps_per_s mimic stepping the same Python CartPole through callbacks,
                         the same episodes (mimic.evaluate of the random policy)
  pyenv_ratio            pyenv_mimic / pyenv_loop (the callbacks' cost: >= 0.8 wanted)
Each figure divides by wall time; the *_cpu twin by this process's CPU time
(what a machine shared with other work still shows truthfully).
Run: PYTHONPATH=build/python /usr/bin/python3 bench/python.py
"""
import json
import os
import statistics
import sys
import time

import numpy as np

import mimic

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples",
                                "python"))
from cartpole import PyCartPole  # noqa: E402

REPEATS = 5


class Clock:
    """Wall and CPU seconds since start."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rates(self, n):
        return n / (time.perf_counter() - self.wall), n / (time.process_time() - self.cpu)


def single(n=1_000_000):
    env = mimic.make("CartPole-v1")
    actions = np.random.default_rng(0).integers(0, 2, size=n).tolist()
    env.reset(seed=0)
    step, reset = env.step, env.reset
    t = Clock()
    for a in actions:
        _, _, terminated, truncated, _ = step(a)
        if terminated or truncated:
            reset()
    return t.rates(n)


def vec(n_envs=256, steps=20_000):
    venv = mimic.make_vec("CartPole-v1", n_envs)
    actions = np.random.default_rng(0).integers(0, 2, size=(64, n_envs))
    venv.reset(seed=0)
    step = venv.step
    t = Clock()
    for i in range(steps):
        step(actions[i & 63])
    return t.rates(steps * n_envs)


def pyenv_loop(episodes=4000):
    """The same work as pyenv_mimic: episode k from reset(seed=k), random actions."""
    env = PyCartPole()
    actions = np.random.default_rng(0).integers(0, 2, size=1 << 16).tolist()
    t = Clock()
    steps = 0
    for k in range(episodes):
        env.reset(seed=k)
        done = False
        while not done:
            _, _, terminated, truncated, _ = env.step(actions[steps & 0xFFFF])
            steps += 1
            done = terminated or truncated
    return t.rates(steps)


def pyenv_mimic(episodes=4000):
    t = Clock()
    r = mimic.evaluate("random", PyCartPole, episodes=episodes, normalize=False)
    return t.rates(sum(r["lengths"]))


def main():
    out = {"bench": "python", "statistic": f"median of {REPEATS} runs"}
    for name, f in (("env_steps_per_s", single), ("vec256_env_steps_per_s", vec),
                    ("pyenv_loop_steps_per_s", pyenv_loop),
                    ("pyenv_mimic_steps_per_s", pyenv_mimic)):
        runs = [f() for _ in range(REPEATS)]
        out[name] = round(statistics.median(r[0] for r in runs))
        out[name[:-6] + "_cpu_per_s"] = round(statistics.median(r[1] for r in runs))
    out["pyenv_ratio"] = round(out["pyenv_mimic_steps_per_s"] / out["pyenv_loop_steps_per_s"], 3)
    out["pyenv_ratio_cpu"] = round(
        out["pyenv_mimic_steps_cpu_per_s"] / out["pyenv_loop_steps_cpu_per_s"], 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
