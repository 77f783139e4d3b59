"""Datasets, policies and the trainers: collect, load_dataset, bc, evaluate.

Each is one call into libmimic with the command line's defaults, so
mimic.bc(data, seed=s) and `mimic train bc --data DIR --seed s` give the
same network, bit for bit.
"""
import json
import types

import numpy as np

from . import _mimic
from .foreign import as_mimic_env, copies_of


class Dataset(_mimic.Dataset):
    """Demonstrations in Minari's layout; every array is a read-only view of mimic's memory.

    observations  [steps + episodes, obs_dim] float32 (each episode's T+1 rows)
    actions       [steps] float32 ids (Discrete) or [steps, act_dim]
    rewards       [steps] float64; terminations, truncations [steps] bool
    episode_starts [episodes + 1] uint64; obs_rows [steps] (the row step j starts from)
    """

    @property
    def n_episodes(self):
        return self._info["n_episodes"]

    @property
    def env_id(self):
        return self._info["env_id"]

    @property
    def observation_space(self):
        from .spaces import from_mimic

        return from_mimic(self._info["observation_space"])

    @property
    def action_space(self):
        from .spaces import from_mimic

        return from_mimic(self._info["action_space"])

    @property
    def obs(self):
        """[steps, obs_dim]: the observation each step acted on (a gathered copy)."""
        return self.observations[self.obs_rows]

    def batches(self, batch_size=32, seed=0, epochs=1, drop_last=True):
        """(obs, actions) minibatches in BC's order: a seeded permutation per epoch.
        The arrays are views of one buffer that the next batch overwrites."""
        return _mimic.batches(self, int(batch_size), int(seed), int(epochs), bool(drop_last))

    def episode(self, i):
        """Episode i as a dict of views (Minari's EpisodeData fields)."""
        if not 0 <= i < self.n_episodes:
            raise IndexError(f"episode {i} of {self.n_episodes}")
        s, e = (int(x) for x in self.episode_starts[i : i + 2])
        return {
            "id": i,
            "observations": self.observations[s + i : e + i + 1],
            "actions": self.actions[s:e],
            "rewards": self.rewards[s:e],
            "terminations": self.terminations[s:e],
            "truncations": self.truncations[s:e],
        }

    def __iter__(self):
        return (self.episode(i) for i in range(self.n_episodes))

    def __repr__(self):
        return f"<mimic.Dataset {self.env_id}: {self.n_episodes} episodes, {len(self)} steps>"


class Policy(_mimic.Policy):
    """A policy: a network from bc/dagger or a policy file, or a built-in expert."""

    @property
    def info(self):
        return self._info()

    @property
    def action_space(self):
        from .spaces import from_mimic

        return from_mimic(self._info()["action_space"])

    @property
    def metadata(self):
        return json.loads(self._info().get("metadata", "{}"))

    def _discrete(self):
        return self._info()["action_space"][0] == "discrete"

    def predict(self, obs, deterministic=True):
        """(actions, confidence) for a batch [n, obs_dim] (or one observation)."""
        obs = np.asarray(obs)
        info = self._info()
        single = obs.ndim == 1 and obs.shape[0] == info["obs_dim"]
        actions, conf = self._act(obs, deterministic)
        if info["action_space"][0] == "discrete":
            actions = actions[:, 0].astype(np.int64)
        if single:
            return actions[0], conf[0]
        return actions, conf

    def act(self, obs, deterministic=True):
        """Actions for a batch of observations (int64 ids for Discrete, float32 rows for Box)."""
        return self.predict(obs, deterministic)[0]

    def __call__(self, obs):
        return self.act(obs)

    def state_dict(self):
        """The actor's parameters named as torch.nn.Sequential(Linear, act, ..., Linear) names them."""
        info = self._info()
        if not info["is_network"]:
            raise _mimic.InvalidError(f"{info['description']} has no parameters")
        if "trunk" in info:
            raise _mimic.InvalidError(f"{info['description']} has a {info['trunk']} trunk; only "
                                      "MLP policies give a state_dict yet")
        out = {}
        for l, (w, b) in enumerate(info["layers"]):
            out[f"{2 * l}.weight"] = w
            out[f"{2 * l}.bias"] = b
        return out

    def to_torch(self):
        """A torch.nn.Module computing the same actions (needs torch)."""
        from .torch_policy import to_torch

        return to_torch(self)

    def __repr__(self):
        return f"<mimic.Policy {self._info()['description']}>"


_mimic._set_policy_class(Policy)


def _expert(expert):
    """A policy spec (str), a Policy, a callable, or an SB3-style object with predict."""
    if isinstance(expert, (str, _mimic.Policy)):
        return expert
    predict = getattr(expert, "predict", None)
    if predict is not None and not isinstance(expert, types.FunctionType):
        return lambda obs: predict(obs, deterministic=True)[0]
    return expert


def load_dataset(path):
    """Loads a Minari dataset folder (written by mimic, Minari or `mimic collect`)."""
    return _mimic.load_dataset(Dataset, str(path))


def collect(env, expert="builtin", episodes=10, seed=0, path=None, epsilon=0.0, sample=False,
            overwrite=False, progress=False):
    """Records expert episodes (episode k from reset(seed + k)); writes them to path if given."""
    with as_mimic_env(env) as e:
        return _mimic.collect(Dataset, e, _expert(expert), int(episodes), seed=int(seed),
                              epsilon=float(epsilon), sample=bool(sample),
                              path=None if path is None else str(path),
                              overwrite=bool(overwrite), progress=bool(progress))


def bc(dataset, **config):
    """Behavioral cloning with `mimic train bc`'s defaults; config takes its flags' names
    (epochs, batches, batch_size, lr, ent_weight, l2_weight, max_grad_norm, hidden,
    activation, head, val_fraction, patience, normalize, seed, log, plot, progress)."""
    trained_on = "python"
    if not isinstance(dataset, _mimic.Dataset):
        trained_on = str(dataset)
        dataset = load_dataset(dataset)
    if "hidden" in config and config["hidden"] is not None:
        config["hidden"] = tuple(int(h) for h in config["hidden"])
    for key in ("log", "plot"):
        if config.get(key) is not None:
            config[key] = str(config[key])
    policy, report = _mimic.bc(dataset, config.pop("trained_on", trained_on), **config)
    policy.report = report
    return policy


def evaluate(policy, env, episodes=100, seed=0, deterministic=True, normalize=True,
             progress=False):
    """Runs episodes (episode k from reset(seed + k)); returns `mimic eval --json`'s fields."""
    with as_mimic_env(env) as e:
        return _mimic.evaluate(_expert(policy), e, int(episodes), int(seed), bool(deterministic),
                               bool(normalize), bool(progress))


def dagger(env, expert="builtin", rounds=15, beta="linear", query="all", seed=0, work_dir=None,
           **config):
    """DAgger with `mimic train dagger`'s defaults; returns the best learner (its per-round
    table in policy.rounds). expert: a spec (builtin, cmd:PROGRAM, a policy file), a
    Policy, a callable (batch of observations -> actions) or an object with SB3's predict.
    config: n_envs, min_steps, min_episodes, epochs, cap, eval_episodes, eval_sample,
    defer, expert_timeout, batch_size, lr, hidden, activation, normalize, progress."""
    if isinstance(expert, _mimic.Policy):
        expert = expert.act
    if copies_of(env):  # one copy per environment object given, or per vector env copy
        config.setdefault("n_envs", copies_of(env))
    with as_mimic_env(env) as e:
        policy, rows = _mimic.dagger(e, _expert(expert), rounds=int(rounds), beta=str(beta),
                                     query=str(query), seed=int(seed),
                                     work_dir=None if work_dir is None else str(work_dir),
                                     **config)
    policy.rounds = rows
    return policy


_PPO_SETTINGS = (
    "steps", "n_envs", "n_steps", "batch_size", "epochs", "lr", "lr_linear", "gamma",
    "gae_lambda", "clip", "clip_vf", "ent_coef", "vf_coef", "max_grad_norm", "target_kl",
    "log_std_init", "seed", "preset", "norm_obs", "norm_reward", "hidden", "vf_hidden",
    "activation",
)


def ppo(env, **config):
    """PPO as `mimic train ppo` runs it: SB3's defaults, then the environment's tuned preset
    (preset="auto"; "none" skips it), then config, whose keys are the command's flags:
    steps, n_envs, n_steps, batch_size, epochs, lr, lr_linear, gamma, gae_lambda, clip,
    clip_vf, ent_coef, vf_coef, max_grad_norm, target_kl, log_std_init, seed, norm_obs,
    norm_reward, hidden, vf_hidden, activation. Returns the policy (policy.iterations:
    SB3's logged values per iteration)."""
    unknown = sorted(set(config) - set(_PPO_SETTINGS))
    if unknown:
        raise TypeError(f"ppo() got unexpected settings {unknown}")
    if copies_of(env):
        config.setdefault("n_envs", copies_of(env))
    with as_mimic_env(env) as e:
        policy, rows = _mimic.ppo(e, dict(config))
    policy.iterations = rows
    return policy


_ADV_SETTINGS = _PPO_SETTINGS + (
    "disc_updates", "demo_batch_size", "disc_lr", "disc_weight_decay", "disc_hidden",
    "disc_warmup", "reward_inputs", "absorbing", "logit_reward",
)


def _adversarial(kind, env, dataset, reward_out, config):
    unknown = sorted(set(config) - set(_ADV_SETTINGS))
    if unknown:
        raise TypeError(f"{kind}() got unexpected settings {unknown}")
    if not isinstance(dataset, _mimic.Dataset):
        dataset = load_dataset(dataset)
    with as_mimic_env(env) as e:
        policy, rows = _mimic.adversarial(kind, e, dataset, dict(config),
                                          None if reward_out is None else str(reward_out))
    policy.iterations = rows
    return policy


def gail(env, dataset, reward_out=None, **config):
    """GAIL as `mimic train gail` runs it (PPO's settings as in mimic.ppo, plus disc_updates,
    demo_batch_size, disc_lr, disc_weight_decay, disc_hidden, disc_warmup, reward_inputs,
    absorbing, logit_reward); reward_out writes the discriminator's reward."""
    return _adversarial("gail", env, dataset, reward_out, config)


def airl(env, dataset, reward_out=None, **config):
    """AIRL as `mimic train airl` runs it (the settings of mimic.gail but logit_reward);
    reward_out writes the learned reward g(s), which trains new agents."""
    return _adversarial("airl", env, dataset, reward_out, config)


def load_policy(path):
    """Loads a policy file (any model file mimic wrote for a policy)."""
    return _mimic.load_policy(str(path))
