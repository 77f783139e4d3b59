#!/usr/bin/env python3
"""PointMass-v0's expert (examples/point_env.c) as a separate program.

It speaks docs/expert-protocol.md: one JSON request per line on stdin,
one reply per line on stdout. The observation is the offset to the target,
then the velocity (N values each); the answer is the same saturated PD
controller as the built-in expert, a = clip(3 offset - 3 velocity, -1, 1).
With an argument, every answer is also appended to that file, so a test can
count the questions it was asked. With a second argument LIMIT, the question
after the LIMIT-th answer kills the process asking (SIGKILL, as a crash
would), to test that every answer already given survives.
"""
import json
import os
import signal
import sys

log = open(sys.argv[1], "a") if len(sys.argv) > 1 else None
limit = int(sys.argv[2]) if len(sys.argv) > 2 else 0
answered = 0
for line in sys.stdin:
    if not line.strip():
        continue
    if limit and answered == limit:
        os.kill(os.getppid(), signal.SIGKILL)
        sys.exit(0)
    answered += 1
    request = json.loads(line)
    obs = request["observation"]
    n = len(obs) // 2
    action = [max(-1.0, min(1.0, 3 * obs[i] - 3 * obs[n + i])) for i in range(n)]
    reply = json.dumps({"id": request["id"], "action": action})
    if log:
        log.write(reply + "\n")
        log.flush()
    print(reply, flush=True)
