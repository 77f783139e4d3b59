"""DAgger from Python: a Python-callable expert, Python environments
stepped by mimic through callbacks, and the same results as the built-in
path when the Python environment is a mimic environment in disguise."""
import os
import sys

import numpy as np
import pytest

import mimic

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python"))
from cartpole import PyCartPole, lean_expert as lqr_expert  # noqa: E402


class Disguised:
    """mimic's own CartPole behind a plain Python object with Gymnasium's API."""

    def __init__(self):
        self.inner = mimic.make("CartPole-v1")
        self.observation_space = self.inner.observation_space
        self.action_space = self.inner.action_space
        self.max_episode_steps = 500
        self.reward_threshold = 475.0  # success: a return of 475 or more

    def reset(self, seed=None, options=None):
        obs, info = self.inner.reset(seed=seed)
        return obs.copy(), info

    def step(self, action):
        obs, r, te, tr, info = self.inner.step(action)
        return obs.copy(), r, te, tr, info

    def expert_action(self):
        return self.inner.expert_action()


def test_python_expert_reaches_500():
    policy = mimic.dagger("CartPole-v1", lqr_expert, rounds=5, seed=0)
    assert [r["round"] for r in policy.rounds] == [1, 2, 3, 4, 5]
    assert policy.rounds[-1]["expert_queries"] > 0
    result = mimic.evaluate(policy, "CartPole-v1", episodes=20, seed=100)
    assert result["return_mean"] == 500.0
    assert policy.metadata["algorithm"] == "dagger"


def test_python_env_in_disguise_is_bit_identical_to_the_builtin_path():
    config = dict(rounds=3, seed=4, n_envs=2, eval_episodes=4)
    builtin = mimic.dagger("CartPole-v1", "builtin", **config)
    foreign = mimic.dagger(Disguised, "builtin", **config)
    for k, v in builtin.state_dict().items():
        np.testing.assert_array_equal(foreign.state_dict()[k], v)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    assert strip(foreign.rounds) == strip(builtin.rounds)


def test_a_python_env_learned_with_a_python_expert():
    env = PyCartPole()
    first, _ = env.reset(seed=0)  # Gymnasium's seeding: mimic's CartPole starts the same
    np.testing.assert_array_equal(first, mimic.make("CartPole-v1").reset(seed=0)[0])
    policy = mimic.dagger(PyCartPole, lqr_expert, rounds=4, seed=0, eval_episodes=3)
    assert policy.rounds[-1]["return"] >= 475
    r = mimic.evaluate(policy, PyCartPole(), episodes=5)
    assert r["return_mean"] >= 475 and r["normalized_score"] is None  # no built-in expert
    demos = mimic.collect([PyCartPole(), PyCartPole()], lqr_expert, episodes=3, seed=7)
    assert demos.n_episodes == 3 and np.all(demos.rewards == 1.0)


class Lying(PyCartPole):
    def __init__(self, lie):
        super().__init__()
        self.lie, self.t = lie, 0

    def step(self, action):
        self.t += 1
        obs, r, te, tr, info = super().step(action)
        if self.t == 5:
            if self.lie == "nan":
                obs[1] = np.nan
            elif self.lie == "shape":
                obs = obs[:3]
            elif self.lie == "raise":
                raise RuntimeError("the simulator crashed")
            elif self.lie == "reward":
                r = float("nan")
        return obs, r, te, tr, info


@pytest.mark.parametrize(
    "lie,error,match",
    [
        ("nan", mimic.Error, r"step 5 gave NaN in observation\[1\]"),
        ("reward", mimic.Error, "step 5 gave a NaN reward"),
        ("shape", ValueError, "expected 4 values, got 3"),
        ("raise", RuntimeError, "the simulator crashed"),
    ],
)
def test_a_lying_env_is_a_clear_error(lie, error, match):
    with pytest.raises(error, match=match):
        mimic.evaluate(lqr_expert, lambda: Lying(lie), episodes=1, normalize=False)


def test_expert_errors_and_retired_ids():
    def broken(obs):
        raise KeyError("no answer")

    with pytest.raises(KeyError, match="no answer"):
        mimic.dagger("CartPole-v1", broken, rounds=1)
    with pytest.raises(ValueError, match="expert"):
        mimic.dagger("CartPole-v1", lambda obs: np.zeros(len(obs) + 2), rounds=1)
    with pytest.raises(mimic.Error):
        mimic.dagger("CartPole-v1", lambda obs: np.full(len(obs), 9), rounds=1)
    env_id = mimic.register_env(PyCartPole)
    assert mimic.make(env_id).observation_space.shape == (4,)
    mimic._mimic.retire_env(env_id)
    with pytest.raises(mimic.Error, match="retired"):
        mimic.make(env_id)
    with pytest.raises(mimic.InvalidError, match="beta"):
        mimic.dagger("CartPole-v1", lqr_expert, beta="sometimes")


def test_dagger_equals_train_dagger(cli, tmp_path):
    import subprocess

    out = tmp_path / "d.mimic"
    subprocess.run([cli, "train", "dagger", "--env", "CartPole-v1", "--rounds", "3", "--seed", "1",
                    "--query", "uncertain:0.9", "-o", str(out), "--quiet"], check=True)
    from_cli = mimic.load_policy(out)
    for work_dir in (None, tmp_path / "work"):
        py = mimic.dagger("CartPole-v1", "builtin", rounds=3, seed=1, query="uncertain:0.9",
                          work_dir=work_dir)
        for k, v in from_cli.state_dict().items():
            np.testing.assert_array_equal(py.state_dict()[k], v)
    assert (tmp_path / "work" / "labels.sqlite").exists()  # durable, resumable like the command's


def test_a_crash_loses_no_finished_round_and_the_run_resumes_exactly(tmp_path):
    budget = {"steps": 2000}  # round 1 (3 episodes of 500 steps) finishes, round 2 crashes

    def crashing():
        env = PyCartPole()
        step = env.step

        def limited(action):
            budget["steps"] -= 1
            if budget["steps"] < 0:
                raise RuntimeError("the simulator crashed")
            return step(action)

        env.step = limited
        return env

    config = dict(rounds=3, seed=0, eval_episodes=0, n_envs=2)
    work = tmp_path / "work"
    with pytest.raises(RuntimeError, match="crashed"):
        mimic.dagger(crashing, lqr_expert, work_dir=work, **config)
    assert (work / "labels.sqlite").exists()
    resumed = mimic.dagger(PyCartPole, lqr_expert, work_dir=work, **config)
    assert [r["round"] for r in resumed.rounds] == [2, 3]  # round 1 came back from the log
    whole = mimic.dagger(PyCartPole, lqr_expert, **config)
    for k, v in whole.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[k], v)


def test_a_list_or_sync_vector_env_gives_the_copies():
    class SyncVectorLike:  # what DAgger reads of gymnasium.vector.SyncVectorEnv
        def __init__(self, envs):
            self.envs, self.num_envs = envs, len(envs)

    made = [PyCartPole() for _ in range(3)]
    vec = SyncVectorLike(made)
    a = mimic.dagger(vec, lqr_expert, rounds=2, seed=3, eval_episodes=2)
    b = mimic.dagger([PyCartPole() for _ in range(3)], lqr_expert, rounds=2, seed=3,
                     eval_episodes=2)
    c = mimic.dagger(PyCartPole, lqr_expert, rounds=2, seed=3, eval_episodes=2, n_envs=3)
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k], v)
        np.testing.assert_array_equal(c.state_dict()[k], v)
    assert all(e.state is not None for e in made)  # the given objects were the copies stepped
