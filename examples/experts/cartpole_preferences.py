#!/usr/bin/env python3
"""A preference gatherer for `mimic train preferences --gatherer cmd:...`.

Speaks the expert protocol's "compare" requests (docs/expert-protocol.md):
each request holds two fragments of CartPole observations; the clip whose
pole stays nearer upright (smaller mean |angle|) is better. Standard
library only. Usage:

    mimic train preferences --env CartPole-v1 --env-opts fixed_horizon=1 \
        --gatherer "cmd:python3 -u cartpole_preferences.py" -o pref.mimic
"""
import json
import sys


def tilt(fragment):
    """Mean |pole angle| over a fragment's observations."""
    obs = fragment["observations"]
    return sum(abs(o[2]) for o in obs) / len(obs)


for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    a, b = tilt(request["first"]), tilt(request["second"])
    reply = {"id": request["id"]}
    if a == b:
        reply["choice"] = "equal"
    else:
        reply["choice"] = "first" if a < b else "second"
    print(json.dumps(reply), flush=True)
