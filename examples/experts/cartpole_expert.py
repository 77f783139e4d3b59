#!/usr/bin/env python3
"""A CartPole-v1 expert as a separate program, with nothing but the
standard library: the smallest program speaking docs/expert-protocol.md.

    mimic train dagger --env CartPole-v1 --expert "cmd:python3 -u my_expert.py" -o p.mimic

mimic writes one JSON request per line on stdin and reads one reply per
line on stdout. The observation is [cart position, cart velocity, pole
angle, pole angular velocity]; pushing the cart towards the side the pole
falls to (angle plus a share of its angular velocity) balances it for the
whole 500 steps. Replace `act` with your own controller, model or LLM call.

The first reply says "protocol": 2, so every later request carries a batch
of states ("batch") answered by one list ("actions"): one message per
rollout step of all the states asked, not one per state.
"""
import json
import sys


def act(observation):
    """0 pushes the cart left, 1 right."""
    _, _, angle, angular_velocity = observation
    return 1 if angle + 0.5 * angular_velocity > 0 else 0


for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    if "batch" in request:
        reply = {"id": request["id"], "actions": [act(s["observation"]) for s in request["batch"]]}
    else:
        reply = {"id": request["id"], "action": act(request["observation"]), "protocol": 2}
    print(json.dumps(reply), flush=True)
