#!/usr/bin/python3
"""A CartPole-v1 expert program that speaks docs/expert-protocol.md in
either version, for the tests of batched questions.

    batch_expert.py [--single] [--max-batch K] [--log FILE] [--kill-after N]

--single     answers as a version-1 program: one state a message, never
             mentions "protocol" (mimic must keep sending one state).
--max-batch  the limit it announces in its first reply (version 2).
--log        appends one line per message: the number of states in it.
--kill-after when a message arrives after N states were answered, kills
             the process asking (SIGKILL, as a crash would) before answering.

The rule is a fixed balancer on the pole's angle and angular velocity,
the same whatever the batching, so batched and single runs must agree.
"""
import argparse
import json
import os
import signal
import sys


def act(obs):
    return 1 if obs[2] + 0.3 * obs[3] + 0.01 * obs[1] > 0 else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--single", action="store_true")
    ap.add_argument("--max-batch", type=int, default=0)
    ap.add_argument("--log")
    ap.add_argument("--kill-after", type=int, default=0)
    args = ap.parse_args()
    log = open(args.log, "a") if args.log else None
    answered = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        states = req["batch"] if "batch" in req else [req]
        if args.kill_after and answered >= args.kill_after:
            os.kill(os.getppid(), signal.SIGKILL)
            return
        if log:
            log.write(f"{len(states)}\n")
            log.flush()
        actions = [act(s["observation"]) for s in states]
        answered += len(actions)
        if "batch" in req:
            reply = {"id": req["id"], "actions": actions}
        else:
            reply = {"id": req["id"], "action": actions[0]}
            if "protocol" in req and not args.single:
                reply["protocol"] = 2
                if args.max_batch:
                    reply["max_batch"] = args.max_batch
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
