#!/usr/bin/env python3
"""bench/env_protocol: environments in another process (--env cmd:), as one
JSON object of medians over REPEATS runs, wall-clock steps per second.

  builtin_steps_per_s   mimic stepping its own CartPole-v1 (mimic.evaluate of
                        the random policy: episode k from reset(seed=k))
  cmd_steps_per_s       the same episodes through the env protocol against
                        examples/python/cartpole_peer.py: evaluate runs
                        min(episodes, 32) copies, which the peer serves in one
                        process (protocol 2: one binary frame each way per
                        step of all copies), program warm (a first, untimed run)
  python_vec_loop_steps_per_s  "the same env" stepped without mimic: a plain
                        Python loop over the peer's VecCartPole with 32 copies,
                        the same episodes (episode k from seed k, auto-reset
                        as the peer does, the 500-step limit), random actions
  cmd_vs_python_vec_loop  cmd / python_vec_loop: the protocol's overhead
  python_loop_steps_per_s  a plain Python loop stepping the peer's scalar
                        CartPole class, the same episodes, random actions
  cmd_vs_python_loop    cmd / python_loop
  cmd_v1_steps_per_s    the same episodes in protocol 1 (one JSON round trip
                        per step of each copy, 32 programs): --env-opts
                        protocol=1 is not an option, so this runs evaluate
                        with copies of a program that only speaks version 1
  vec_cmd_steps_per_s / vec_python_loop_steps_per_s  mimic.make_vec(cmd, 256)
                        stepped from Python against the same plain loop over
                        VecCartPole(256) (Python drives both)
  cmd_expert_steps_per_s  the same episodes through cmd: with the environment's
                        built-in expert as the policy: the program answers an
                        expert action for every copy every step, as DAgger's
                        rollouts with --expert builtin ask (environment
                        stepping and labels, no training)
  callbacks_steps_per_s  the same episodes of a Python CartPole with
                        Gymnasium's API (examples/python/cartpole.py's
                        PyCartPole) handed to mimic.evaluate as a list of 32
                        objects: stepped in-process, one callback per step of
                        all copies (python/mimic/foreign.py's _ListBatch)
  gym_loop_steps_per_s  a plain Python loop stepping PyCartPole, the same
                        episodes, random actions
  cpu_gym_loop_vs_callbacks  loop CPU / callbacks CPU per step
  cpu_python_vec_loop_vs_cmd_expert  loop CPU / cmd_expert CPU per step
  cmd_single_steps_per_s one copy stepped from Python (mimic.make("cmd:...").step,
                        random actions): one JSON round trip at a time
  cmd_single_mimic_cpu_us_per_step  this process's CPU time per step there
  cmd_cpu_us_per_step   CPU time per step of evaluate through cmd: (mimic's
                        process and the environment program together)
  python_vec_loop_cpu_us_per_step, python_loop_cpu_us_per_step  the plain loops'
  cpu_python_vec_loop_vs_cmd, cpu_python_loop_vs_cmd  loop CPU / cmd CPU: the
                        ratio that a loaded machine's scheduling does not move
                        (wall-clock favours two processes that take turns over
                        one busy process when other work competes for the cores)
  load_average          the 1-minute load when the run began (the machine is shared)
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
from cartpole import PyCartPole  # noqa: E402
from cartpole_peer import CartPole, VecCartPole  # noqa: E402

REPEATS = 5
EPISODES = 320


def children_cpu():
    """CPU seconds of this process's living children (the environment programs)."""
    me, total = os.getpid(), 0
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if pid.isdigit() and int(fields[1]) == me:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


CPU = {}  # name -> CPU microseconds per step of the last run (mimic's and the programs')


def through_mimic(env_id, episodes=EPISODES, name=None, policy="random"):
    t, c, k = time.perf_counter(), time.process_time(), children_cpu()
    r = mimic.evaluate(policy, env_id() if callable(env_id) else env_id, episodes=episodes,
                       normalize=False)
    steps = sum(r["lengths"])
    if name:
        CPU.setdefault(name, []).append(
            (time.process_time() - c + children_cpu() - k) / steps * 1e6)
    return steps / (time.perf_counter() - t)


def timed(name, f):
    """Runs a plain loop f, recording its CPU time per step too."""
    c = time.process_time()
    rate, steps = f()
    CPU.setdefault(name, []).append((time.process_time() - c) / steps * 1e6)
    return rate


def plain_loop(env, gym_api, episodes=EPISODES):
    """Steps env with random actions in one Python loop (gym_api: step returns
    Gymnasium's five values, whose fourth is truncated; else three)."""
    actions = np.random.default_rng(0).integers(0, 2, size=1 << 16).tolist()
    t, steps = time.perf_counter(), 0
    for k in range(episodes):
        env.reset(seed=k)
        done, n = False, 0
        while not done:
            result = env.step(actions[steps & 0xFFFF])
            steps, n = steps + 1, n + 1
            done = result[2] or (gym_api and result[3]) or n >= 500
    return steps / (time.perf_counter() - t), steps


def python_loop(episodes=EPISODES):
    """The peer's scalar CartPole: step returns (obs, reward, terminated)."""
    return plain_loop(CartPole(), False, episodes)


def gym_loop(episodes=EPISODES):
    """The Gymnasium-API PyCartPole: step returns (obs, reward, terminated, truncated, info)."""
    return plain_loop(PyCartPole(), True, episodes)


def python_vec_loop(episodes=EPISODES, n=32):
    """The peer's VecCartPole stepped by a plain loop, as evaluate steps it
    (actions drawn before the clock starts, as python_loop's)."""
    vec = VecCartPole(n)
    table = np.random.default_rng(0).integers(0, 2, size=(1 << 12, n))
    copies = min(n, episodes)
    rows = np.arange(copies)
    for i in rows:
        vec.reset(i, seed=int(i))
    started, elapsed, steps, t_ = copies, np.zeros(n, int), 0, 0
    t = time.perf_counter()
    while len(rows):
        terminated = vec.step(rows, table[t_ & 0xFFF, : len(rows)])
        t_ += 1
        steps += len(rows)
        elapsed[rows] += 1
        done = np.flatnonzero(terminated | (elapsed[rows] >= 500))
        if len(done):
            idle = []
            for k in done:
                if started < episodes:
                    vec.reset(rows[k], seed=started)
                    elapsed[rows[k]] = 0
                    started += 1
                else:
                    idle.append(k)
            if idle:
                rows = np.delete(rows, idle)
    return steps / (time.perf_counter() - t), steps


def vec_through_mimic(cmd, n=256, steps=400):
    env = mimic.make_vec(cmd, n)
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 2, size=(steps, n))
    t = time.perf_counter()
    for a in actions:
        env.step(a)
    wall = time.perf_counter() - t
    env.close()
    return n * steps / wall


def vec_python_loop(n=256, steps=400):
    vec = VecCartPole(n)
    rows = np.arange(n)
    for i in rows:
        vec.reset(i, seed=int(i))
    elapsed = np.zeros(n, int)
    actions = np.random.default_rng(0).integers(0, 2, size=(steps, n))
    t = time.perf_counter()
    for a in actions:
        terminated = vec.step(rows, a)
        elapsed += 1
        for k in np.flatnonzero(terminated | (elapsed >= 500)):
            vec.reset(k)
            elapsed[k] = 0
    return n * steps / (time.perf_counter() - t)


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
    # a program that only speaks version 1: the hostile peer in its "ok" mode
    v1 = f"cmd:{sys.executable} {os.path.join(HERE, '..', 'tests', 'hostile_env_peer.py')} ok"
    out = {"bench": "env_protocol", "statistic": f"median of {REPEATS} runs",
           "episodes": EPISODES, "load_average": os.getloadavg()[0]}
    through_mimic(cmd)  # starts the programs; later runs reuse them
    through_mimic(v1)
    for name, f in (("builtin_steps_per_s", lambda: through_mimic("CartPole-v1")),
                    ("cmd_steps_per_s", lambda: through_mimic(cmd, name="cmd")),
                    ("cmd_expert_steps_per_s",
                     lambda: through_mimic(cmd, name="cmd_expert", policy="expert")),
                    ("callbacks_steps_per_s", lambda: through_mimic(
                        lambda: [PyCartPole() for _ in range(32)], name="callbacks")),
                    ("gym_loop_steps_per_s", lambda: timed("gym_loop", gym_loop)),
                    ("python_vec_loop_steps_per_s", lambda: timed("python_vec_loop", python_vec_loop)),
                    ("python_loop_steps_per_s", lambda: timed("python_loop", python_loop)),
                    ("cmd_v1_steps_per_s", lambda: through_mimic(v1)),
                    ("vec_cmd_steps_per_s", lambda: vec_through_mimic(cmd)),
                    ("vec_python_loop_steps_per_s", vec_python_loop)):
        out[name] = round(statistics.median(f() for _ in range(REPEATS)))
    out["cmd_vs_python_vec_loop"] = round(out["cmd_steps_per_s"] / out["python_vec_loop_steps_per_s"], 3)
    out["cmd_vs_python_loop"] = round(out["cmd_steps_per_s"] / out["python_loop_steps_per_s"], 3)
    out["vec_cmd_vs_python_loop"] = round(out["vec_cmd_steps_per_s"] / out["vec_python_loop_steps_per_s"], 3)
    for name in CPU:
        out[f"{name}_cpu_us_per_step"] = round(statistics.median(CPU[name]), 2)
    out["cpu_python_vec_loop_vs_cmd"] = round(
        out["python_vec_loop_cpu_us_per_step"] / out["cmd_cpu_us_per_step"], 3)
    out["cpu_python_vec_loop_vs_cmd_expert"] = round(
        out["python_vec_loop_cpu_us_per_step"] / out["cmd_expert_cpu_us_per_step"], 3)
    out["cpu_gym_loop_vs_callbacks"] = round(
        out["gym_loop_cpu_us_per_step"] / out["callbacks_cpu_us_per_step"], 3)
    out["callbacks_vs_gym_loop"] = round(
        out["callbacks_steps_per_s"] / out["gym_loop_steps_per_s"], 3)
    out["cpu_python_loop_vs_cmd"] = round(
        out["python_loop_cpu_us_per_step"] / out["cmd_cpu_us_per_step"], 3)
    runs = [single(cmd) for _ in range(REPEATS)]
    out["cmd_single_steps_per_s"] = round(statistics.median(r[0] for r in runs))
    out["cmd_single_mimic_cpu_us_per_step"] = round(statistics.median(r[1] for r in runs), 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
