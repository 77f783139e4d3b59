"""Python environments inside mimic: any object with Gymnasium's Env API.

mimic steps them through callbacks (python/src/foreign.c): each is
registered as a mimic environment class under an id "py:<Name>-<k>", and
every copy mimic makes (DAgger's rollouts, an evaluation's episodes) is a
Python object of its own:
  - a function or class making one: called for each copy;
  - an environment object: used for the first copy, deep copies for more;
  - a list of objects: one per copy, in order (deep copies beyond them);
    a Gymnasium SyncVectorEnv that does not say its autoreset mode
    (Gymnasium 0.29, whose vector API cannot reset one copy with a seed)
    is the list of its envs;
  - a Gymnasium >= 1.1 vector env (metadata["autoreset_mode"]): copy k is
    its sub-environment k (copies beyond num_envs: deep copies of it).
Copies of a list or a vector env made together (a rollout's) are stepped
as one batch, with mimic's auto-reset: copies that end are reset in the
same call, the j-th to end with seed next_seed + j. A list's batch is one
C loop over the copies' own step methods (_ListBatch); a vector env's is
one callback per step for all of them (_VectorBatch), so it is
stepped once per step whatever its mode (next-step, same-step, disabled),
and the copies that end are reset through reset(seed=[...],
options={"reset_mask": mask}), so its episodes are the ones mimic seeds.
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


def _autoreset_mode(env):
    """A Gymnasium vector env's autoreset mode ("nextstep", "samestep", "disabled"), or None."""
    meta = getattr(env, "metadata", None)
    mode = meta.get("autoreset_mode") if isinstance(meta, dict) else None
    if mode is None:
        return None
    name = str(getattr(mode, "value", mode)).lower().replace("_", "").replace("-", "")
    return name.split(".")[-1]


def _is_vector(env):
    return hasattr(env, "num_envs") and hasattr(env, "single_observation_space")


def unvector(env):
    """A Gymnasium vector env that cannot reset one copy with a seed (no autoreset_mode
    in its metadata: Gymnasium 0.29) as the list of its environments; else env as it is."""
    sub = getattr(env, "envs", None)
    if (sub is not None and hasattr(env, "num_envs") and not isinstance(env, (list, tuple))
            and _autoreset_mode(env) is None):
        return list(sub)
    return env


def copies_of(env):
    """How many copies env gives without deep copies (a list's length, a vector env's
    num_envs), or None."""
    env = unvector(env)
    if isinstance(env, (list, tuple)):
        return len(env)
    if _is_vector(env):
        return int(env.num_envs)
    return None


def _copy_error(k, what, err):
    return type(err)(f"copy {k}: {what}: {err}") if type(err).__init__ is Exception.__init__ \
        else RuntimeError(f"copy {k}: {what}: {type(err).__name__}: {err}")


def _action(space, row):
    """One copy's action as the environment takes it (an int for Discrete)."""
    if getattr(space, "n", None) is not None and np.ndim(space.n) == 0:
        return int(row[0])
    return np.asarray(row, dtype=np.float32).reshape(space.shape)


class _Copy:
    """Copy k of a batch: the object stepped, and its place (for messages). mimic
    calls env's step and reset directly (_mimic_copy)."""

    _mimic_copy = True

    def __init__(self, env, k):
        self.env, self.k = env, k

    def reset(self, seed=None, options=None):
        return self.env.reset(seed=seed, options=options)

    def step(self, action):
        return self.env.step(action)

    def expert_action(self):
        return self.env.expert_action()


class _ListBatch:
    """Copies that are environments of their own, made together: mimic steps them
    in one C loop (python/src/foreign.c), each through its own step and reset, with
    no Python call for the batch (its arrays cost more than the calls it saved)."""

    per_copy = True

    def __init__(self, space, obs_dim):
        self.space, self.obs_dim = space, obs_dim

    @staticmethod
    def failed(k, what, err):
        """Raises err again naming copy k (called from C when copy k's `what` failed)."""
        raise _copy_error(k, what, err) from err


def _row(o, od, k, what):
    a = np.asarray(o, dtype=np.float32).reshape(-1)
    if a.size != od:
        raise ValueError(f"copy {k}: {what} has {a.size} values, the observation space {od}")
    return a


class _Slot:
    """Sub-environment `slot` of a leased vector env: copy k of a batch."""

    def __init__(self, lease, slot, k):
        self.lease, self.slot, self.k = lease, slot, k
        lease.held += 1

    def __del__(self):
        self.lease.held -= 1

    def _alone(self, *args, **kwargs):
        raise RuntimeError(f"copy {self.k} is sub-environment {self.slot} of a vector env: "
                           "mimic steps it with the others, in a batch")

    reset = step = _alone

    def expert_action(self):
        vec = self.lease.vec
        sub = getattr(vec, "envs", None)
        if sub is not None:
            return sub[self.slot].expert_action()
        return vec.call("expert_action")[self.slot]


class _Lease:
    """A vector env and how many of its sub-environments are copies alive."""

    def __init__(self, vec):
        self.vec, self.held, self.started = vec, 0, False
        self.n = int(vec.num_envs)
        self.mode = _autoreset_mode(vec)
        self.space = vec.single_action_space
        self.discrete = getattr(self.space, "n", None) is not None and np.ndim(self.space.n) == 0
        shape = () if self.discrete else tuple(self.space.shape)
        self.actions = np.zeros((self.n, *shape), np.int64 if self.discrete else np.float32)


class _VectorBatch:
    """Copies that are sub-environments of Gymnasium vector envs: each vector env is
    stepped once per batch, and copies that end are reset with mimic's seeds."""

    def __init__(self, vec, obs_dim):
        self.original, self.obs_dim = vec, obs_dim
        self.leases, self.group = [], []

    def make(self, k, n):
        """Copy k of n made together (k -1: made alone, as_mimic_env's probe)."""
        if k <= 0:
            self.group = []
        if k < 0:
            return _Probe(self.original)
        per = int(self.original.num_envs)
        while k // per >= len(self.group):
            free = [lz for lz in self.leases if lz.held == 0 and lz not in self.group]
            if free:
                lease = free[0]
            else:
                lease = _Lease(self.original if not self.leases else
                               copy.deepcopy(self.original))
                self.leases.append(lease)
            lease.started = False
            self.group.append(lease)
        return _Slot(self.group[k // per], k % per, k)

    @staticmethod
    def _by_lease(copies):
        groups = {}
        for pos, c in enumerate(copies):
            groups.setdefault(id(c.lease), (c.lease, []))[1].append(pos)
        return groups.values()

    def _reset(self, lease, slots, seeds):
        """Resets the given sub-environments (all of them before the first step)."""
        vec = lease.vec
        seed_list = [None] * lease.n
        for s, seed in zip(slots, seeds):
            seed_list[s] = seed
        if not lease.started:
            obs, _ = vec.reset(seed=seed_list)
            lease.started = True
        else:
            mask = np.zeros(lease.n, bool)
            mask[list(slots)] = True
            obs, _ = vec.reset(seed=seed_list, options={"reset_mask": mask})
        return np.asarray(obs, dtype=np.float32).reshape(lease.n, -1)

    def reset(self, copies, seeds):
        out = np.empty((len(copies), self.obs_dim), np.float32)
        for lease, pos in self._by_lease(copies):
            slots = [copies[p].slot for p in pos]
            try:
                obs = self._reset(lease, slots, [None if seeds[p] < 0 else seeds[p] for p in pos])
            except Exception as e:
                raise _copy_error(copies[pos[0]].k, "the vector env's reset", e) from e
            for p, s in zip(pos, slots):
                out[p] = _row(obs[s], self.obs_dim, copies[p].k, "reset's obs")
        return out

    def step(self, copies, actions, at_limit, next_seed, max_resets):
        m, od = len(copies), self.obs_dim
        obs = np.empty((m, od), np.float32)
        final = np.empty((m, od), np.float32)
        reward = np.empty(m)
        flags = np.zeros((3, m), bool)
        ended = []
        for lease, pos in self._by_lease(copies):
            for p in pos:
                lease.actions[copies[p].slot] = _action(lease.space, actions[p])
            try:
                o, r, te, tr, info = lease.vec.step(lease.actions)
            except Exception as e:
                raise _copy_error(copies[pos[0]].k, "the vector env's step", e) from e
            o = np.asarray(o, dtype=np.float32).reshape(lease.n, -1)
            for p in pos:
                s, k = copies[p].slot, copies[p].k
                obs[p] = _row(o[s], od, k, "step's obs")
                reward[p], flags[0, p], flags[1, p] = r[s], te[s], tr[s]
                if not (te[s] or tr[s] or at_limit[p]):
                    continue
                if (te[s] or tr[s]) and lease.mode == "samestep":  # obs is the next episode's
                    final[p] = _row(info["final_obs"][s], od, k, "info['final_obs']")
                else:
                    final[p] = obs[p]
                ended.append(p)
        ended.sort()  # copy order: the j-th to end takes next_seed + j
        take = ended[:max(0, max_resets)]
        for p in take:
            flags[2, p] = True
        seeds = {p: None if next_seed < 0 else next_seed + j for j, p in enumerate(take)}
        if next_seed < 0:  # same-step mode reset those it ended, unseeded, as mimic would
            take = [p for p in take if copies[p].lease.mode != "samestep"
                    or not (flags[0, p] or flags[1, p])]
        for lease, pos in self._by_lease([copies[p] for p in take]):
            ps = [take[q] for q in pos]
            slots = [copies[p].slot for p in ps]
            try:
                o = self._reset(lease, slots, [seeds[p] for p in ps])
            except Exception as e:
                raise _copy_error(copies[ps[0]].k, "the vector env's reset", e) from e
            for p, s in zip(ps, slots):
                obs[p] = _row(o[s], od, copies[p].k, "reset's obs")
        return obs, reward, flags[0], flags[1], flags[2], final


class _Probe:
    """What as_mimic_env holds of a vector env: its spaces, never stepped."""

    def __init__(self, vec):
        self.vec = vec

    def _never(self, *args, **kwargs):
        raise RuntimeError("a vector env is stepped by mimic's rollouts, in batches")

    reset = step = _never


_DONE = object()


def _next(made, more):
    """The next object given, or more() once they are used up."""
    obj = next(made, _DONE)
    return more() if obj is _DONE else obj


def _obs_dim(space):
    return int(np.prod(space.shape))


def _factory(env):
    """(a sample env, its factory, the batch stepping copies made together or None)."""
    env = unvector(env)
    if isinstance(env, (list, tuple)):
        objs = list(env)
        if not objs or not all(_is_env(e) for e in objs):
            raise TypeError("a list of environments holds objects with Gymnasium's Env API")
        # the first make is as_mimic_env's probe (made alone), which mimic never
        # steps: it shares the first object, and the copies mimic steps are the
        # objects, each handed out once, then deep copies
        made, probed = iter(objs), []

        def make(k, n):
            if k < 0 and not probed:
                probed.append(k)
                return objs[0]
            return _Copy(_next(made, lambda: copy.deepcopy(objs[0])), k)

        return objs[0], make, _ListBatch(objs[0].action_space, _obs_dim(objs[0].observation_space))
    if _is_vector(env):
        mode = _autoreset_mode(env)
        if mode not in ("nextstep", "samestep", "disabled"):
            raise TypeError(
                f"a vector env whose autoreset mode is {mode!r}: mimic seeds the copies it "
                "resets through reset(options={'reset_mask': ...}), which Gymnasium >= 1.1 "
                "vector envs take (metadata['autoreset_mode']); for Gymnasium 0.29 pass "
                "SyncVectorEnv (or its .envs) instead")
        batch = _VectorBatch(env, _obs_dim(env.single_observation_space))
        return _VectorSample(env), batch.make, batch
    if _is_env(env):
        made = iter([env, env])
        return env, lambda: _next(made, lambda: copy.deepcopy(env)), None
    if callable(env):
        sample = env()
        if not _is_env(sample):
            raise TypeError(f"{env!r} made {type(sample).__name__}, not an environment")
        first = [sample]
        return sample, lambda: first.pop() if first else env(), None
    raise TypeError(f"expected a mimic id, a mimic.Env or a Gymnasium-style env, got {env!r}")


class _VectorSample:
    """A vector env as register() reads one environment: its single spaces and spec."""

    def __init__(self, vec):
        self.observation_space = vec.single_observation_space
        self.action_space = vec.single_action_space
        self.spec = getattr(vec, "spec", None)
        sub = getattr(vec, "envs", None)
        if sub is not None and len(sub) and hasattr(sub[0], "expert_action"):
            self.expert_action = None  # answered per copy by _Slot.expert_action
        for key in ("max_episode_steps", "reward_threshold"):
            if hasattr(vec, key):
                setattr(self, key, getattr(vec, key))
        self.name = getattr(self.spec, "id", None) or type(vec).__name__


def register(env):
    """Registers a Python environment (object, factory, list or vector env); returns its
    mimic id."""
    sample, factory, batch = _factory(env)
    spec = getattr(sample, "spec", None)
    limit = getattr(sample, "max_episode_steps", None)
    if limit is None and spec is not None:
        limit = getattr(spec, "max_episode_steps", None)
    threshold = getattr(sample, "reward_threshold", None)
    if threshold is None and spec is not None:
        threshold = getattr(spec, "reward_threshold", None)
    name = getattr(spec, "id", None) or getattr(sample, "name", None) or type(sample).__name__
    return _mimic.register_env(
        factory,
        str(name),
        _space(sample.observation_space, "observation_space"),
        _space(sample.action_space, "action_space"),
        int(limit or 0),
        float("nan") if threshold is None else float(threshold),
        hasattr(sample, "expert_action"),
        batch,
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
