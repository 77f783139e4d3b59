#!/usr/bin/env python3
"""mimic's Gymnasium bridge: `--env gym:ID[:JSON-KWARGS]` runs

    python3 gym_bridge.py ID [JSON-KWARGS]

which makes `gymnasium.make(ID, **kwargs)` and speaks the env protocol
(docs/env-protocol.md) on stdin and stdout, so any Gymnasium environment
works with every mimic command that takes --env. Python's standard library
and NumPy, plus gymnasium itself, which it reports clearly when missing.
mimic finds this file where it is installed (share/mimic/), in its source
tree, or at $MIMIC_GYM_BRIDGE; $MIMIC_PYTHON names the interpreter.

Spaces: a Box (float32 values) or a Discrete starting at 0; anything else is
an error naming the space. An environment with an `expert_action()` method
(on it or on env.unwrapped) serves mimic's "builtin" expert.

When mimic asks for N copies (protocol 2) the bridge serves them as one
Gymnasium vector env, `gymnasium.make_vec(ID, num_envs=N,
vectorization_mode="sync", **kwargs)`, when gymnasium has one that resets
chosen copies with chosen seeds (Gymnasium >= 1.1: metadata
"autoreset_mode" and reset(options={"reset_mask": ...})); else it makes N
environments with gymnasium.make and steps them in turn. Either way a frame
steps every copy it lists and resets the ones that ended in the same frame,
with mimic's seeds: one round trip per step of all N.
"""
import json
import struct
import sys

import numpy as np


def _bound(values):
    """A Box bound as a flat list; non-finite values as the protocol's strings."""
    out = []
    for v in np.asarray(values, dtype=np.float64).ravel().tolist():
        out.append(v if np.isfinite(v) else ("Infinity" if v > 0 else "-Infinity"))
    return out


def space_json(space, name):
    """A Gymnasium space in the protocol's words."""
    kind = type(space).__name__
    if kind == "Discrete":
        if int(getattr(space, "start", 0)) != 0:
            raise ValueError(f"{name} is Discrete starting at {space.start}; mimic takes start 0")
        return {"type": "Discrete", "n": int(space.n)}
    if kind == "Box":
        return {"type": "Box", "shape": [int(k) for k in space.shape],
                "low": _bound(space.low), "high": _bound(space.high)}
    raise ValueError(f"{name} is a {kind}; mimic takes Box and Discrete")


def _values(x):
    """An observation or action as a flat list of floats (float32 values exactly)."""
    return np.asarray(x, dtype=np.float32).ravel().astype(np.float64).tolist()


def _expert_of(env):
    return getattr(env, "expert_action", None) or getattr(
        getattr(env, "unwrapped", None), "expert_action", None)


# protocol 2's frames (docs/env-protocol.md): header, then little-endian arrays
HEADER = struct.Struct("<4sBBHII")
MAGIC, RESET, STEP, EXPERT, ERROR = b"MEP2", 1, 2, 3, 0x7F


def _autoreset_mode(vec):
    mode = (getattr(vec, "metadata", None) or {}).get("autoreset_mode")
    name = str(getattr(mode, "value", mode)).lower().replace("_", "")
    return name.split(".")[-1] if mode is not None else None


class VectorCopies:
    """N copies as one Gymnasium vector env, indexed like a list of environments:
    steps and resets go to the vector env in one call per frame."""

    def __init__(self, vec):
        self.vec, self.n, self.mode = vec, int(vec.num_envs), _autoreset_mode(vec)
        self.observation_space = vec.single_observation_space
        self.action_space = vec.single_action_space
        self.spec = getattr(vec, "spec", None)
        sub = getattr(vec, "envs", None)
        self.expert_action = _expert_of(sub[0]) if sub else None
        self.started = False
        box = type(self.action_space).__name__ == "Box"
        shape = tuple(self.action_space.shape) if box else ()
        self.actions = np.zeros((self.n, *shape), self.action_space.dtype if box else np.int64)

    def expert(self, c):
        return _expert_of(self.vec.envs[c])()

    def close(self):
        self.vec.close()

    def reset(self, rows, seeds):
        """Resets copies rows with seeds (None: continue); observations [N, od]."""
        seed_list = [None] * self.n
        mask = np.zeros(self.n, bool)
        for c, seed in zip(rows, seeds):
            seed_list[c], mask[c] = seed, True
        if self.started:
            obs, _ = self.vec.reset(seed=seed_list, options={"reset_mask": mask})
        else:  # the first reset is of every copy
            obs, _ = self.vec.reset(seed=seed_list)
            self.started = True
        return np.asarray(obs, np.float32).reshape(self.n, -1)

    def step(self, rows, actions, last, next_seed, max_resets):
        """One step of the copies rows, and mimic's auto-reset of those that end:
        (obs, final, reward, terminated, truncated), rows as given."""
        for k, c in enumerate(rows):
            self.actions[c] = actions[k].reshape(self.actions.shape[1:])
        o, r, te, tr, info = self.vec.step(self.actions)
        o = np.asarray(o, np.float32).reshape(self.n, -1)
        obs, final = o[rows], o[rows]
        ended = np.flatnonzero(te[rows] | tr[rows] | last)[:max(0, max_resets)]
        if self.mode == "samestep":  # o holds the next episode's first observation
            for k in np.flatnonzero(te[rows] | tr[rows]):
                final[k] = np.asarray(info["final_obs"][rows[k]], np.float32).ravel()
        seeds = [None if next_seed < 0 else next_seed + j for j in range(len(ended))]
        if self.mode == "samestep" and next_seed < 0:  # it reset those it ended, unseeded
            keep = ~(te[rows[ended]] | tr[rows[ended]])
            ended, seeds = ended[keep], [s for s, k in zip(seeds, keep) if k]
        if len(ended):
            obs[ended] = self.reset(rows[ended], seeds)[rows[ended]]
        return obs, final, r[rows], te[rows], tr[rows]


class Bridge:
    """Answers the protocol's requests for one Gymnasium environment at a
    time, or for N copies in frames after a protocol-2 hello."""

    def __init__(self, make, make_vec=None):
        self.make = make  # options -> a new environment
        self.make_vec = make_vec  # (options, n) -> VectorCopies, or None
        self.vector = None
        self.env = None
        self.copies = []  # protocol 2: every copy (self.env is copies[0])

    def close(self):
        for env in self.copies or ([self.env] if self.env is not None else []):
            env.close()
        self.env, self.copies = None, []

    def hello(self, request):
        self.close()
        options = request.get("options") or {}
        n = request.get("num_envs")
        batch = request.get("protocol", 1) >= 2 and isinstance(n, int) and n > 1
        self.vector = self.make_vec(options, n) if batch and self.make_vec else None
        if self.vector:
            self.env, self.copies = self.vector, [self.vector]
        else:
            self.env = self.make(options)
        if batch and not self.vector:
            self.copies = [self.env] + [self.make(options) for _ in range(n - 1)]
        self.od = int(np.prod(self.env.observation_space.shape))
        self.box = type(self.env.action_space).__name__ == "Box"
        self.aw = int(np.prod(self.env.action_space.shape)) if self.box else 1
        spec = getattr(self.env, "spec", None)
        expert = _expert_of(self.env)
        self.expert = expert
        extra = {"protocol": 2, "num_envs": n, "expert_on_request": True} if batch else {}
        return {"protocol": 1,
                "observation_space": space_json(self.env.observation_space, "observation_space"),
                "action_space": space_json(self.env.action_space, "action_space"),
                "max_episode_steps": getattr(spec, "max_episode_steps", None)
                or getattr(self.env, "max_episode_steps", None),
                "reward_threshold": getattr(spec, "reward_threshold", None)
                or getattr(self.env, "reward_threshold", None),
                "expert": expert is not None, **extra}

    def _action(self, env, a):
        space = env.action_space
        if type(space).__name__ == "Box":
            return np.asarray(a, dtype=space.dtype).reshape(space.shape)
        return int(a[0])

    def _experts(self, rows, width):
        if self.expert is None or not self.want_expert:
            return b""
        out = np.empty((len(rows), width), "<f4")
        for k, c in enumerate(rows):
            a = self.vector.expert(c) if self.vector else _expert_of(self.copies[c])()
            out[k] = np.asarray(a, np.float32).ravel()
        return out.tobytes()

    def frame(self, kind, m, payload, flags=1):
        """The reply payload to one request frame (flags bit 0: with the expert's actions)."""
        od, aw = self.od, self.aw
        self.want_expert = kind == EXPERT or bool(flags & 1)
        if kind == EXPERT:
            return self._experts(np.frombuffer(payload, "<u4", m, 0), aw)
        if kind == RESET:
            obs = np.empty((m, od), "<f4")
            rows = np.frombuffer(payload, "<u4", m, 0)
            seeds = np.frombuffer(payload, "<i8", m, 4 * m)
            if self.vector:
                seeds = [None if s < 0 else int(s) for s in seeds]
                obs[:] = self.vector.reset(rows.astype(np.intp), seeds)[rows]
                return obs.tobytes() + self._experts(rows, aw)
            for k, (c, seed) in enumerate(zip(rows, seeds)):
                o, _ = self.copies[c].reset(seed=None if seed < 0 else int(seed))
                obs[k] = np.asarray(o, np.float32).ravel()
            return obs.tobytes() + self._experts(rows, aw)
        if kind != STEP:
            raise ValueError(f"unknown frame kind {kind}")
        next_seed, max_resets = struct.unpack_from("<qq", payload)
        rows = np.frombuffer(payload, "<u4", m, 16)
        actions = np.frombuffer(payload, "<f4", m * aw, 16 + 4 * m).reshape(m, aw)
        last = np.frombuffer(payload, "u1", m, 16 + 4 * m + 4 * m * aw)
        if self.vector:
            reward, flags = np.empty(m, "<f8"), np.zeros((2, m), "u1")
            obs, final, reward[:], flags[0], flags[1] = self.vector.step(
                rows.astype(np.intp), actions, last.astype(bool), next_seed, max_resets)
            return b"".join((reward.tobytes(), obs.astype("<f4").tobytes(),
                             final.astype("<f4").tobytes(), self._experts(rows, aw),
                             flags.tobytes()))
        return self._step_copies(rows.tolist(), actions, last.tolist(), next_seed, max_resets)

    def _step_copies(self, rows, actions, last, next_seed, max_resets):
        """One step of each listed environment, in turn, and mimic's auto-reset of
        those that end. Python lists until one conversion per array at the end: a
        NumPy scalar assignment per copy and field would cost more than CartPole's
        own step."""
        if self.box:
            acts = [self._action(self.copies[c], a) for c, a in zip(rows, actions)]
        else:
            acts = actions[:, 0].astype(np.int64).tolist()
        obs, rewards, terminated, truncated, restarted = [], [], [], [], []
        j = 0
        for k, c in enumerate(rows):
            env = self.copies[c]
            o, r, term, trunc, _ = env.step(acts[k])
            obs.append(o)
            rewards.append(r)
            terminated.append(term)
            truncated.append(trunc)
            if (term or trunc or last[k]) and j < max_resets:
                obs[-1] = np.array(o, "<f4")  # before reset can change a buffer the env lent
                restarted.append((k, env.reset(seed=None if next_seed < 0 else next_seed + j)[0]))
                j += 1
        final = self._observations(rows, obs)
        first = final
        if restarted:
            first = final.copy()
            for k, o in restarted:
                first[k] = np.asarray(o, "<f4").ravel()
        m = len(rows)
        return b"".join((struct.pack(f"<{m}d", *rewards), first.tobytes(), final.tobytes(),
                         self._experts(rows, self.aw), bytes(map(bool, terminated)),
                         bytes(map(bool, truncated))))

    def _observations(self, rows, obs):
        """The copies' observations as one [m, od] array, or an error naming the
        first copy whose observation is not od numbers."""
        try:
            return np.asarray(obs, "<f4").reshape(len(rows), self.od)
        except ValueError:
            for c, o in zip(rows, obs):
                if np.size(o) != self.od:
                    raise ValueError(f"copy {c}: step returned an observation of "
                                     f"{np.size(o)} values; the space has {self.od}") from None
            raise

    def reset(self, request):
        obs, _ = self.env.reset(seed=request.get("seed"), options=request.get("options"))
        return {"obs": _values(obs)}

    def step(self, request):
        action = request["action"]
        space = self.env.action_space
        if type(space).__name__ == "Box":
            action = np.asarray(action, dtype=space.dtype).reshape(space.shape)
        obs, reward, terminated, truncated, _ = self.env.step(action)
        return {"obs": _values(obs), "reward": float(reward),
                "terminated": bool(terminated), "truncated": bool(truncated)}

    def expert_action(self, request):
        a = self.expert()
        return {"action": int(a) if np.ndim(a) == 0 else _values(a)}

    def serve(self, source, sink):
        """Answers requests until the end of input: JSON lines, and frames
        after a protocol-2 hello (a frame starts with MEP2, a line with {)."""
        while True:
            head = source.read(HEADER.size) if self.copies else source.readline()
            if not head:
                break
            if self.copies and head[:4] == MAGIC:
                _, kind, flags, _, m, size = HEADER.unpack(head)
                payload = source.read(size)
                try:
                    body, out = self.frame(kind, m, payload, flags), kind
                except Exception as exc:  # mimic names the frame and shows this
                    body, out, m = f"{type(exc).__name__}: {exc}".encode(), ERROR, 0
                sink.write(HEADER.pack(MAGIC, out, 0, 0, m, len(body)) + body)
                sink.flush()
                continue
            if self.copies:
                head += source.readline()
            request = json.loads(head)
            handler = getattr(self, str(request.get("type")), None)
            try:
                if request.get("type") not in ("hello", "reset", "step", "expert_action"):
                    raise ValueError(f"unknown request type {request.get('type')!r}")
                if self.env is None and request["type"] != "hello":
                    raise ValueError("no hello before the first request")
                reply = handler(request)
            except Exception as exc:  # mimic names the request and shows this
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            sink.write((json.dumps({"id": request["id"], **reply}) + "\n").encode())
            sink.flush()
        self.close()


def _option(text):
    """An option's value: JSON when it parses (1, 0.5, true), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit("usage: gym_bridge.py ID [JSON-KWARGS]")
    env_id = argv[1]
    kwargs = json.loads(argv[2]) if len(argv) == 3 else {}
    if not isinstance(kwargs, dict):
        sys.exit(f"gym_bridge.py: the keyword arguments for {env_id} are not a JSON object")
    try:
        import gymnasium
    except ImportError as exc:
        # answer the hello with the reason, so mimic shows it
        why = (f"gymnasium is not importable by {sys.executable} ({exc}); install it "
               f"(pip install gymnasium) or set MIMIC_PYTHON to a Python that has it")
        for line in sys.stdin:
            sys.stdout.write(json.dumps({"id": json.loads(line)["id"], "error": why}) + "\n")
            sys.stdout.flush()
            break
        sys.exit(1)

    def make(options):
        return gymnasium.make(env_id, **kwargs, **{k: _option(v) for k, v in options.items()})

    def make_vec(options, n):
        """N copies as a Gymnasium vector env, or None when gymnasium has none that resets
        one copy with a seed (it then makes N environments)."""
        try:
            import gymnasium.vector  # noqa: F401 (Gymnasium imports it itself; a stand-in may not)
        except ImportError:
            return None
        if not hasattr(gymnasium, "make_vec"):
            return None
        vec = gymnasium.make_vec(env_id, num_envs=n, vectorization_mode="sync", **kwargs,
                                 **{k: _option(v) for k, v in options.items()})
        if _autoreset_mode(vec) not in ("nextstep", "samestep", "disabled"):
            vec.close()
            return None
        return VectorCopies(vec)

    Bridge(make, make_vec).serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main(sys.argv)
