"""mimic: imitation learning in C, from Python.

    import mimic
    env = mimic.make("CartPole-v1")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

    demos = mimic.collect("CartPole-v1", "builtin", episodes=10)
    policy = mimic.bc(demos)
    print(mimic.evaluate(policy, "CartPole-v1")["return_mean"])

See docs/python.md.
"""
from ._mimic import Error, InvalidError
from . import agent, spaces, text
from .envs import Env, VecEnv, env_ids, make, make_vec
from .foreign import register as register_env
from .learn import (Dataset, Policy, airl, bc, collect, dagger, evaluate, gail, load_dataset,
                    load_policy, ppo)

__all__ = [
    "Dataset", "Env", "Error", "InvalidError", "Policy", "VecEnv", "agent", "airl", "bc", "collect",
    "dagger", "gail",
    "env_ids", "evaluate", "load_dataset", "load_policy", "make", "make_vec", "ppo", "register_env",
    "spaces", "text",
]
__version__ = "0.1.0"
