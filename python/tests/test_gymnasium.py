"""When gymnasium is importable, mimic.Env is a gymnasium.Env and its spaces
are gymnasium's. Gymnasium is not packaged for Debian, so this runs mimic
in a child Python against a stand-in package with Gymnasium's class names
and constructor signatures (Env is Generic, as Gymnasium's)."""
import os
import subprocess
import sys
import textwrap

STUB = {
    "__init__.py": """
        from typing import Generic, TypeVar
        from . import spaces
        ObsType, ActType = TypeVar("ObsType"), TypeVar("ActType")
        class Env(Generic[ObsType, ActType]):
            metadata = {"render_modes": []}
            render_mode = None
            spec = None
            def step(self, action):
                raise NotImplementedError
            def reset(self, *, seed=None, options=None):
                raise NotImplementedError
            def close(self):
                pass
    """,
    "spaces.py": """
        import numpy as np
        class Space:
            pass
        class Box(Space):
            def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
                self.shape, self.dtype = tuple(shape), np.dtype(dtype)
                self.low = np.broadcast_to(np.asarray(low, dtype=dtype), self.shape)
                self.high = np.broadcast_to(np.asarray(high, dtype=dtype), self.shape)
        class Discrete(Space):
            def __init__(self, n, seed=None, start=0):
                self.n, self.start = np.int64(n), np.int64(start)
        class MultiDiscrete(Space):
            def __init__(self, nvec, seed=None):
                self.nvec = np.asarray(nvec)
    """,
}

CHILD = """
import gymnasium, numpy as np, mimic
env = mimic.make("CartPole-v1")
assert isinstance(env, gymnasium.Env), type(env).__mro__
assert type(env.observation_space) is gymnasium.spaces.Box
assert type(env.action_space) is gymnasium.spaces.Discrete and env.action_space.n == 2
obs, info = env.reset(seed=0)
obs, r, te, tr, info = env.step(1)
assert r == 1.0 and obs.shape == (4,)
env.close()
venv = mimic.make_vec("CartPole-v1", 3)
assert type(venv.action_space) is gymnasium.spaces.MultiDiscrete
assert type(mimic.make("Pendulum-v1").action_space) is gymnasium.spaces.Box
print("ok")
"""


def test_gymnasium_types_when_importable(tmp_path):
    pkg = tmp_path / "gymnasium"
    pkg.mkdir()
    for name, text in STUB.items():
        (pkg / name).write_text(textwrap.dedent(text))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
