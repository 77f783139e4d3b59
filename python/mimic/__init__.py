"""mimic: imitation learning in C, from Python.

    import mimic
    env = mimic.make("CartPole-v1")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

See docs/python.md.
"""
from ._mimic import Error, InvalidError
from .envs import Env, VecEnv, env_ids, make, make_vec
from . import spaces

__all__ = ["Env", "Error", "InvalidError", "VecEnv", "env_ids", "make", "make_vec", "spaces"]
__version__ = "0.1.0"
