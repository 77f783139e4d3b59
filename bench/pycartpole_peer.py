#!/usr/bin/env python3
"""bench/env_protocol.py's `gym:`-style peer: the package's own bridge
(mimic/gym_bridge.py) serving examples/python/cartpole.py's PyCartPole, one
object per copy stepped in turn, as `--env gym:ID` serves a Gymnasium
environment that has no vector env. Run as cmd:python3 bench/pycartpole_peer.py."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples",
                                "python"))
from cartpole import PyCartPole  # noqa: E402
from mimic.gym_bridge import Bridge  # noqa: E402

if __name__ == "__main__":
    Bridge(lambda options: PyCartPole()).serve(sys.stdin.buffer, sys.stdout.buffer)
