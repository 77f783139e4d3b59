#!/usr/bin/env python3
"""bench/env_protocol: the env protocol's cost (--env cmd:, Python callbacks)
against plain Python loops stepping the same CartPole, as one JSON object.

What is compared: environment stepping as DAgger's and evaluation's rollouts
do it (mimic.evaluate: 32 copies side by side, episode k from reset(seed=k),
auto-reset, the 500-step limit), never training. Each "through mimic"
figure is paired with a plain Python loop doing the same episodes with the
same environment code and no mimic:

  cmd            mimic.evaluate of the random policy through `cmd:` against
                 examples/python/cartpole_peer.py (protocol 2: the peer
                 serves the 32 copies in one process, one binary frame each
                 way per step of all copies)
   vs vec_loop   a plain loop over the peer's VecCartPole(32), random actions
  cmd_expert     the same through `cmd:` with the environment's built-in
                 expert as the policy: the program computes an expert action
                 for every copy every step and sends it in the frame, what
                 DAgger's rollouts with --expert builtin ask (500-step episodes)
   vs vec_loop_expert  the plain loop over VecCartPole(32) acting with its
                 expert_action (the same 500-step episodes)
  callbacks      mimic.evaluate of the random policy over a list of 32
                 examples/python/cartpole.py PyCartPole objects (in-process,
                 python/src/foreign.c steps them)
   vs gym_loop   a plain loop over one PyCartPole, random actions
  bridge         the same 32 PyCartPole objects through `cmd:` and the
                 package's Gymnasium bridge (bench/pycartpole_peer.py: what
                 `--env gym:ID` runs for an environment without a vector env,
                 each copy stepped in turn in the program)
   vs gym_loop   the same plain loop
  vec_cmd        mimic.make_vec(cmd, 256).step from Python
   vs vec_loop256  a plain loop over VecCartPole(256)

Time: wall seconds and CPU seconds, the CPU of every process involved: this
one (time.process_time) plus the environment programs' (their
/proc/PID/schedstat run time, nanoseconds, for living children; RUSAGE_CHILDREN
for reaped ones; *_program_cpu_us_per_step is their share). The programs are started and warmed by an untimed run
before any timed one (mimic keeps them for the next environment made with
the same --env), so their start-up (Python importing NumPy) is outside the
timed windows; it is measured alone as startup_* (the peer run to the end
of an empty input). pipe_round_trip_* is the floor of any two-process frame
protocol on the machine: one 1 KB round trip through pipes to a Python echo
program (per frame, so per step of a copy it is divided by the copies).
Each pair runs alternately (A, B, A, B, ...) RUNS times; figures are
medians over the runs, ratios *_vs_* are loop / mimic (>= 0.8
is the issue's target: mimic at 80% of the plain loop's speed or better),
with their min and max over the runs' pairs.

Run: PYTHONPATH=build/python /usr/bin/python3 bench/env_protocol.py
(RUNS=N and SCALE=F in the environment change the runs and the windows;
PEER=PATH measures another peer program, e.g. an earlier version).
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

import mimic

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.environ.get("PEER") or os.path.abspath(
    os.path.join(HERE, "..", "examples", "python", "cartpole_peer.py"))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "python"))
from cartpole import PyCartPole  # noqa: E402
from cartpole_peer import VecCartPole  # noqa: E402

BRIDGE_PEER = os.path.join(HERE, "pycartpole_peer.py")
RUNS = int(os.environ.get("RUNS", 7))
SCALE = float(os.environ.get("SCALE", 1))
EPISODES = int(8000 * SCALE)  # random policy: ~22 steps each, ~180k steps a window
EXPERT_EPISODES = int(320 * SCALE)  # the expert: 500 steps each, 160k steps
COPIES = 32


def children_cpu():
    """CPU seconds of this process's children: living ones from /proc (ns), reaped ones
    from getrusage."""
    me, total = os.getpid(), 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != me:
                continue
            with open(f"/proc/{pid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, IndexError, ValueError):
            continue
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return total / 1e9 + reaped.ru_utime + reaped.ru_stime


class Window:
    """Wall and CPU time (this process and its children) from creation to stop()."""

    def __init__(self):
        self.children, self.cpu, self.wall = children_cpu(), time.process_time(), time.perf_counter()

    def stop(self, steps):
        wall = time.perf_counter() - self.wall
        mine, theirs = time.process_time() - self.cpu, children_cpu() - self.children
        return {"steps": steps, "steps_per_s": steps / wall,
                "cpu_us_per_step": (mine + theirs) / steps * 1e6,
                "program_cpu_us_per_step": theirs / steps * 1e6}


def through_mimic(env, episodes=EPISODES, policy="random"):
    w = Window()
    r = mimic.evaluate(policy, env() if callable(env) else env, episodes=episodes,
                       normalize=False)
    return w.stop(sum(r["lengths"]))


def gym_loop(episodes=EPISODES):
    """One PyCartPole stepped by a plain loop: the callbacks' episodes, random actions."""
    env = PyCartPole()
    actions = np.random.default_rng(0).integers(0, 2, size=1 << 16).tolist()
    w, steps = Window(), 0
    for k in range(episodes):
        env.reset(seed=k)
        done, n = False, 0
        while not done:
            _, _, terminated, truncated, _ = env.step(actions[steps & 0xFFFF])
            steps, n = steps + 1, n + 1
            done = terminated or truncated or n >= 500
    return w.stop(steps)


def vec_loop(episodes=EPISODES, n=COPIES, expert=False):
    """The peer's VecCartPole stepped by a plain loop as evaluate steps it: episode k
    from seed k, an ended copy restarts with the next episode, the 500-step limit;
    random actions drawn before the clock starts, or the expert's."""
    vec = VecCartPole(n)
    table = np.random.default_rng(0).integers(0, 2, size=(1 << 12, n))
    copies = min(n, episodes)
    rows = np.arange(copies)
    for i in rows:
        vec.reset(i, seed=int(i))
    started, elapsed, steps, t = copies, np.zeros(n, int), 0, 0
    w = Window()
    while len(rows):
        actions = vec.expert_action(rows) if expert else table[t & 0xFFF, : len(rows)]
        terminated = vec.step(rows, actions)
        t += 1
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
    return w.stop(steps)


def vec_cmd(cmd, n=256, steps=None):
    steps = steps or int(1000 * SCALE)
    env = mimic.make_vec(cmd, n)
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 2, size=(steps, n))
    w = Window()
    for a in actions:
        env.step(a)
    out = w.stop(n * steps)
    env.close()
    return out


def vec_loop256(n=256, steps=None):
    steps = steps or int(1000 * SCALE)
    vec = VecCartPole(n)
    rows = np.arange(n)
    for i in rows:
        vec.reset(i, seed=int(i))
    elapsed = np.zeros(n, int)
    actions = np.random.default_rng(0).integers(0, 2, size=(steps, n))
    w = Window()
    for a in actions:
        terminated = vec.step(rows, a)
        elapsed += 1
        for k in np.flatnonzero(terminated | (elapsed >= 500)):
            vec.reset(k)
            elapsed[k] = 0
    return w.stop(n * steps)


ECHO = "import os\nwhile True:\n    d = os.read(0, 65536)\n    if not d: break\n    os.write(1, d)\n"


def pipe_round_trip(n=20000, size=1024):
    """The floor of any frame protocol between two processes: CPU (both processes) and
    wall microseconds of one round trip of `size` bytes through pipes to a Python echo
    program that does nothing else (one read and one write system call a side)."""
    child = subprocess.Popen([sys.executable, "-c", ECHO], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, bufsize=0)
    msg, fd_out, fd_in = b"x" * size, child.stdin.fileno(), child.stdout.fileno()
    for _ in range(100):
        os.write(fd_out, msg)
        os.read(fd_in, 65536)
    w = Window()
    for _ in range(n):
        os.write(fd_out, msg)
        got = len(os.read(fd_in, 65536))
        while got < size:
            got += len(os.read(fd_in, 65536))
    r = w.stop(n)
    child.stdin.close()
    child.wait()
    return r


def startup(runs=3):
    """The peer's start-up alone: Python importing NumPy, run to the end of an empty input."""
    out = []
    for _ in range(runs):
        before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run([sys.executable, PEER], stdin=subprocess.DEVNULL, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        out.append((time.perf_counter() - t, cpu))
    return {"startup_wall_ms": round(statistics.median(w for w, _ in out) * 1e3, 1),
            "startup_cpu_ms": round(statistics.median(c for _, c in out) * 1e3, 1)}


def main():
    cmd = f"cmd:{sys.executable} {PEER}"
    bridge = f"cmd:{sys.executable} {BRIDGE_PEER}"
    out = {"bench": "env_protocol", "runs": RUNS, "statistic": f"median of {RUNS} alternating runs",
           "episodes": EPISODES, "expert_episodes": EXPERT_EPISODES, "copies": COPIES,
           "load_average": round(os.getloadavg()[0], 2)}
    out.update(startup())
    trips = [pipe_round_trip() for _ in range(3)]
    out["pipe_round_trip_cpu_us"] = round(statistics.median(t["cpu_us_per_step"] for t in trips), 2)
    out["pipe_round_trip_wall_us"] = round(statistics.median(1e6 / t["steps_per_s"] for t in trips), 2)
    # start the programs (32 copies, then 256) outside every timed window
    through_mimic(cmd, episodes=COPIES)
    through_mimic(bridge, episodes=COPIES)
    vec_cmd(cmd, steps=10)
    pairs = {
        "cmd": (lambda: through_mimic(cmd), lambda: vec_loop()),
        "cmd_expert": (lambda: through_mimic(cmd, EXPERT_EPISODES, "expert"),
                       lambda: vec_loop(EXPERT_EPISODES, expert=True)),
        "callbacks": (lambda: through_mimic(lambda: [PyCartPole() for _ in range(COPIES)]),
                      lambda: gym_loop()),
        "bridge": (lambda: through_mimic(bridge), lambda: gym_loop()),
        "vec_cmd": (lambda: vec_cmd(cmd), lambda: vec_loop256()),
    }
    loop_names = {"cmd": "vec_loop", "cmd_expert": "vec_loop_expert", "callbacks": "gym_loop",
                  "bridge": "gym_loop", "vec_cmd": "vec_loop256"}
    for name, (ours, loop) in pairs.items():
        a, b = [], []
        for _ in range(RUNS):
            a.append(ours())
            b.append(loop())
        for label, runs in ((name, a), (loop_names[name], b)):
            out[f"{label}_steps_per_s"] = round(statistics.median(r["steps_per_s"] for r in runs))
            out[f"{label}_cpu_us_per_step"] = round(
                statistics.median(r["cpu_us_per_step"] for r in runs), 3)
            if label.endswith("cmd") or label in ("cmd_expert", "bridge"):  # the program's share
                out[f"{label}_program_cpu_us_per_step"] = round(
                    statistics.median(r["program_cpu_us_per_step"] for r in runs), 3)
        wall = [x["steps_per_s"] / y["steps_per_s"] for x, y in zip(a, b)]
        cpu = [y["cpu_us_per_step"] / x["cpu_us_per_step"] for x, y in zip(a, b)]
        key = f"{name}_vs_{loop_names[name]}"
        out[key + "_wall"] = round(statistics.median(wall), 3)
        out[key + "_wall_range"] = [round(min(wall), 3), round(max(wall), 3)]
        out[key + "_cpu"] = round(statistics.median(cpu), 3)
        out[key + "_cpu_range"] = [round(min(cpu), 3), round(max(cpu), 3)]
    out["load_average_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
