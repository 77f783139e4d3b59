#!/usr/bin/env python3
"""bench/env_protocol: environments in another process (--env cmd:), as one
JSON object of medians over REPEATS runs, wall-clock steps per second.

  builtin_steps_per_s   mimic stepping its own CartPole-v1 (mimic.evaluate of
                        the random policy: episode k from reset(seed=k))
  cmd_steps_per_s       the same episodes through the env protocol against
                        examples/python/cartpole_peer.py (one Python process
                        per parallel copy: evaluate runs min(episodes, 32)),
                        programs warm (started by a first, untimed run)
  python_loop_steps_per_s  a plain Python loop stepping the peer's CartPole
                        class in this process, the same episodes, random
                        actions: what the program could do without mimic
  cmd_vs_python_loop    cmd / python_loop
  cmd_single_steps_per_s one copy stepped from Python (mimic.make("cmd:...").step,
                        random actions): one round trip at a time
  cmd_single_mimic_cpu_us_per_step  this process's CPU time per step there
                        (encoding, decoding, checking, the pipe's system calls)
  load_average          the 1-minute load when the run began (the machine is shared)
The protocol's cost is a round trip per step (two pipe writes, two process
wake-ups, a JSON line each way); a loaded machine pays mostly in wake-ups.
Run: PYTHONPATH=build/python /usr/bin/python3 bench/env_protocol.py
"""
import json
import os
import statistics
import sys
import time

import numpy as np

import mimic

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "..", "examples", "python", "cartpole_peer.py")
sys.path.insert(0, os.path.dirname(PEER))
from cartpole_peer import CartPole  # noqa: E402

REPEATS = 5
EPISODES = 320


def through_mimic(env_id, episodes=EPISODES):
    t = time.perf_counter()
    r = mimic.evaluate("random", env_id, episodes=episodes, normalize=False)
    return sum(r["lengths"]) / (time.perf_counter() - t)


def python_loop(episodes=EPISODES):
    env = CartPole()
    actions = np.random.default_rng(0).integers(0, 2, size=1 << 16).tolist()
    t, steps = time.perf_counter(), 0
    for k in range(episodes):
        env.reset(seed=k)
        done, n = False, 0
        while not done:
            _, _, terminated = env.step(actions[steps & 0xFFFF])
            steps, n = steps + 1, n + 1
            done = terminated or n >= 500
    return steps / (time.perf_counter() - t)


def single(cmd, n=5000):
    env = mimic.make(cmd)
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 2, size=n).tolist()
    t, c = time.perf_counter(), time.process_time()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.reset()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    env.close()
    return n / wall, cpu / n * 1e6


def main():
    cmd = f"cmd:{sys.executable} {os.path.abspath(PEER)}"
    out = {"bench": "env_protocol", "statistic": f"median of {REPEATS} runs",
           "episodes": EPISODES, "load_average": os.getloadavg()[0]}
    through_mimic(cmd)  # starts the programs; later runs reuse them
    for name, f in (("builtin_steps_per_s", lambda: through_mimic("CartPole-v1")),
                    ("cmd_steps_per_s", lambda: through_mimic(cmd)),
                    ("python_loop_steps_per_s", python_loop)):
        out[name] = round(statistics.median(f() for _ in range(REPEATS)))
    out["cmd_vs_python_loop"] = round(out["cmd_steps_per_s"] / out["python_loop_steps_per_s"], 3)
    runs = [single(cmd) for _ in range(REPEATS)]
    out["cmd_single_steps_per_s"] = round(statistics.median(r[0] for r in runs))
    out["cmd_single_mimic_cpu_us_per_step"] = round(statistics.median(r[1] for r in runs), 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
