"""mimic's environments with Gymnasium's API (make, make_vec).

The stepping is in C (mimic._mimic.Env / VecEnv); this layer adds the
spaces, render modes and the attributes Gymnasium users look for. When
gymnasium is importable, Env is also a gymnasium.Env, so wrappers and
checkers accept it.

Observations are views: step and reset return the same read-only array
each time, overwritten by the next step (no copy per step, PufferLib's
way). Keep one across steps with obs.copy().
"""
import numpy as np

from . import _mimic
from . import spaces as _spaces

_bases = (_mimic.Env,)
if _spaces._gym is not None:  # pragma: no cover
    _bases = (_mimic.Env, _spaces._gym.Env)

_RENDER_MODES = ["ansi", "rgb_array", "human"]


def options_text(options):
    """"key=value,..." from keyword options (mimic's option strings)."""
    parts = []
    for k, v in options.items():
        if isinstance(v, bool):
            v = int(v)
        text = f"{k}={v}"
        if "," in text:
            raise _mimic.InvalidError(f"option {k}: a value cannot hold a comma ({v!r})")
        parts.append(text)
    return ",".join(parts)


class _Common:
    """What Env and VecEnv share: options, unwrapped, with-blocks."""

    def _options(self, options):
        if "max_episode_steps" in options:  # Gymnasium's word for mimic's max_steps
            options["max_steps"] = options.pop("max_episode_steps")
        self.options = dict(options)
        return options_text(options)

    @property
    def unwrapped(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Env(_Common, *_bases):
    """One mimic environment (mimic.make). reset/step/close are C methods."""

    metadata = {"render_modes": _RENDER_MODES, "render_fps": 50}

    def __init__(self, id, render_mode=None, **options):
        if render_mode is not None and render_mode not in _RENDER_MODES:
            raise _mimic.InvalidError(
                f"render_mode {render_mode!r}: expected one of {_RENDER_MODES} or None"
            )
        _mimic.Env.__init__(self, id, self._options(options))
        obs_desc, act_desc = self._spaces()
        self.observation_space = _spaces.from_mimic(obs_desc)
        self.action_space = _spaces.from_mimic(act_desc)
        d = self._describe()
        self.id = d["id"]
        self.render_mode = render_mode
        self.reward_range = (-float("inf"), float("inf"))
        self.reward_threshold = d["reward_threshold"]
        self.max_episode_steps = d["max_episode_steps"]
        self.action_names = d["action_names"]
        self.has_expert = d["has_expert"]
        self.spec = None

    @property
    def elapsed_steps(self):
        """Steps taken in the current episode."""
        return self._elapsed()

    def render(self):
        """The current state as render_mode asks: an RGB frame (H, W, 3), text, or printed text."""
        if self.render_mode == "rgb_array":
            return self._render_rgb()
        if self.render_mode == "ansi":
            return self._render_text()
        if self.render_mode == "human":
            print(self._render_text())
            return None
        return None

    def __repr__(self):
        return f"<mimic.Env {self.id}>"

    def __str__(self):
        return self.__repr__()


class VecEnv(_Common, _mimic.VecEnv):
    """n copies stepping into one batch, auto-reset in the same step as SB3's VecEnv."""

    metadata = {"autoreset_mode": "same-step"}

    def __init__(self, id, n, **options):
        _mimic.VecEnv.__init__(self, id, int(n), self._options(options))
        obs_desc, act_desc = self._spaces()
        self.single_observation_space = _spaces.from_mimic(obs_desc)
        self.single_action_space = _spaces.from_mimic(act_desc)
        self.observation_space = _spaces.batch(self.single_observation_space, self.num_envs)
        self.action_space = _spaces.batch(self.single_action_space, self.num_envs)
        self.id = id

    def __repr__(self):
        return f"<mimic.VecEnv {self.id} x {self.num_envs}>"


def make(id, **options):
    """A mimic environment with Gymnasium's API: mimic.make("CartPole-v1", render_mode="ansi")."""
    return Env(id, **options)


def make_vec(id, n, **options):
    """n copies of id stepping as one batch: obs [n, ...], rewards/terminated/truncated [n]."""
    return VecEnv(id, n, **options)


def env_ids():
    """Every registered environment id."""
    return [e[0] for e in _mimic.env_ids()]
