"""Python environments inside mimic: any object with Gymnasium's Env API.

mimic steps them through callbacks (python/src/foreign.c): each is
registered as a mimic environment class under an id "py:<Name>-<k>", and
every copy mimic makes (DAgger's rollouts, an evaluation's episodes) is a
Python object of its own:
  - a function or class making one: called for each copy;
  - an environment object: used for the first copy, deep copies for more;
  - a list of objects: one per copy, in order (deep copies beyond them);
    a Gymnasium SyncVectorEnv is the list of its envs.
Resets pass mimic's seed on (None when mimic continues the generator);
an object with expert_action() serves as the built-in expert ("builtin").
"""
import contextlib
import copy

import numpy as np

from . import _mimic


def _is_env(obj):
    return hasattr(obj, "step") and hasattr(obj, "reset") and hasattr(obj, "action_space")


def _space(space, what):
    n = getattr(space, "n", None)
    if n is not None and np.ndim(n) == 0:
        if int(getattr(space, "start", 0)) != 0:
            raise _mimic.InvalidError(f"{what}: Discrete spaces starting at {space.start}, not 0")
        return ("discrete", int(n))
    shape = tuple(int(s) for s in space.shape)
    low = np.broadcast_to(np.asarray(space.low, dtype=np.float64), shape).ravel().tolist()
    high = np.broadcast_to(np.asarray(space.high, dtype=np.float64), shape).ravel().tolist()
    return ("box", shape, low, high)


def unvector(env):
    """A Gymnasium SyncVectorEnv as the list of its environments (anything else as it is)."""
    sub = getattr(env, "envs", None)
    if sub is not None and hasattr(env, "num_envs") and not isinstance(env, (list, tuple)):
        return list(sub)
    return env


_DONE = object()


def _next(made, more):
    """The next object given, or more() once they are used up."""
    obj = next(made, _DONE)
    return more() if obj is _DONE else obj


def _factory(env):
    env = unvector(env)
    if isinstance(env, (list, tuple)):
        objs = list(env)
        if not objs or not all(_is_env(e) for e in objs):
            raise TypeError("a list of environments holds objects with Gymnasium's Env API")
        # the first make is as_mimic_env's probe, which mimic never steps: it
        # shares the first object, and the copies mimic steps are the objects
        made = iter([objs[0]] + objs)
        return objs[0], lambda: _next(made, lambda: copy.deepcopy(objs[0]))
    if _is_env(env):
        made = iter([env, env])
        return env, lambda: _next(made, lambda: copy.deepcopy(env))
    if callable(env):
        sample = env()
        if not _is_env(sample):
            raise TypeError(f"{env!r} made {type(sample).__name__}, not an environment")
        first = [sample]
        return sample, lambda: first.pop() if first else env()
    raise TypeError(f"expected a mimic id, a mimic.Env or a Gymnasium-style env, got {env!r}")


def register(env):
    """Registers a Python environment (object, factory or list); returns its mimic id."""
    sample, factory = _factory(env)
    spec = getattr(sample, "spec", None)
    limit = getattr(sample, "max_episode_steps", None)
    if limit is None and spec is not None:
        limit = getattr(spec, "max_episode_steps", None)
    threshold = getattr(sample, "reward_threshold", None)
    if threshold is None and spec is not None:
        threshold = getattr(spec, "reward_threshold", None)
    name = getattr(spec, "id", None) or type(sample).__name__
    return _mimic.register_env(
        factory,
        str(name),
        _space(sample.observation_space, "observation_space"),
        _space(sample.action_space, "action_space"),
        int(limit or 0),
        float("nan") if threshold is None else float(threshold),
        hasattr(sample, "expert_action"),
    )


@contextlib.contextmanager
def as_mimic_env(env):
    """A mimic.Env for env: a mimic id or Env as it is, a Python environment registered
    for the block's duration (its factory is dropped when the block ends)."""
    from .envs import Env, make

    if isinstance(env, str):
        yield make(env)
        return
    if isinstance(env, _mimic.Env):
        yield env
        return
    env_id = register(env)
    try:
        yield Env(env_id)
    finally:
        _mimic.retire_env(env_id)
