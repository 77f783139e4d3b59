"""A list of Python environments, or a Gymnasium vector env, handed to mimic
steps as one batch (a list: one C loop over the copies; a vector env: one
callback per step for all copies), with mimic's
auto-reset (copies that end are reset in the same call, the j-th to end
with seed next_seed + j). The environments are mimic's CartPole behind
plain Python objects, so DAgger and evaluate must give the built-in
CartPole-v1's results bit for bit. Gymnasium is not packaged for Debian:
the vector env here is written to Gymnasium 1.1's documented vector API
(autoreset_mode in metadata; next-step, same-step and disabled modes;
reset(seed=[...], options={"reset_mask": mask}))."""
import numpy as np
import pytest

import mimic
import test_dagger
from mimic import foreign
from standin_vector import SyncVectorEnv


class Disguised(test_dagger.Disguised):
    """mimic's own CartPole behind a plain Python object (test_dagger's)."""

    def __deepcopy__(self, memo):  # a fresh one: mimic makes fresh copies too
        return type(self)()


class _Spec:
    id, max_episode_steps, reward_threshold = "CartPole-v1", 500, 475.0


class Spec(Disguised):
    spec = _Spec()


def vector_env(mode):
    return SyncVectorEnv([Spec] * 4, autoreset_mode=mode)


CONFIG = dict(rounds=3, seed=4, eval_episodes=4)


def strip(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


@pytest.fixture(scope="module")
def builtin():
    policy = mimic.dagger("CartPole-v1", "builtin", n_envs=4, **CONFIG)
    return policy, mimic.evaluate(policy, "CartPole-v1", episodes=40, seed=7)


def same_as_builtin(builtin, env_for_dagger, env_for_eval):
    ref, ref_eval = builtin
    got = mimic.dagger(env_for_dagger, "builtin", **CONFIG)
    for k, v in ref.state_dict().items():
        np.testing.assert_array_equal(got.state_dict()[k], v)
    assert strip(got.rounds) == strip(ref.rounds)
    result = mimic.evaluate(got, env_for_eval, episodes=40, seed=7)
    assert result.pop("env").startswith("py:")
    assert result == {k: v for k, v in ref_eval.items() if k != "env"}


def counting(monkeypatch, cls):
    calls = []
    step = cls.step

    def counted(self, copies, *args):
        calls.append(len(copies))
        return step(self, copies, *args)

    monkeypatch.setattr(cls, "step", counted)
    return calls


def test_a_list_steps_as_one_batch_and_equals_the_builtin_path(builtin, monkeypatch):
    stepped = set()
    step = Disguised.step

    def counted(self, action):
        stepped.add(id(self))
        return step(self, action)

    monkeypatch.setattr(Disguised, "step", counted)
    train, held = [Disguised() for _ in range(4)], [Disguised() for _ in range(4)]
    same_as_builtin(builtin, train, held)
    assert {id(e) for e in train + held} <= stepped  # the objects given, each a copy


@pytest.mark.parametrize("mode", ["NextStep", "SameStep", "Disabled"])
def test_a_vector_env_steps_as_one_batch_and_equals_the_builtin_path(builtin, monkeypatch, mode):
    calls = counting(monkeypatch, foreign._VectorBatch)
    vec = vector_env(mode)
    same_as_builtin(builtin, vec, vector_env(mode))
    assert 0 < vec.steps <= len(calls)  # the vector env given was stepped, once per batch
    assert 4 in calls  # the training rollout's four copies in one call


class Raising(Disguised):
    steps = 0

    def step(self, action):
        self.steps += 1
        if self.steps == 3:
            raise KeyError("the simulator fell over")
        return super().step(action)


class Short(Disguised):
    def step(self, action):
        obs, r, te, tr, info = super().step(action)
        return obs[:3], r, te, tr, info


def test_an_exception_in_the_batch_names_the_copy():
    envs = [Disguised(), Disguised(), Raising(), Disguised()]
    with pytest.raises(Exception, match=r"copy 2: step: .*the simulator fell over"):
        mimic.evaluate(lambda obs: np.zeros(len(obs)), envs, episodes=4)


def test_a_wrong_shape_in_the_batch_names_the_copy_and_field():
    envs = [Disguised(), Short(), Disguised(), Disguised()]
    with pytest.raises(Exception, match=r"copy 1: step: .*observation: expected 4 values, got 3"):
        mimic.evaluate(lambda obs: np.zeros(len(obs)), envs, episodes=4)


def test_a_vector_env_that_cannot_reset_one_copy_is_refused():
    class Old:  # Gymnasium 0.29's AsyncVectorEnv: no autoreset_mode, no .envs
        num_envs = 2
        metadata = {}
        single_observation_space = Disguised().observation_space
        single_action_space = Disguised().action_space

    with pytest.raises(TypeError, match=r"reset_mask.*Gymnasium >= 1.1"):
        mimic.evaluate(lambda obs: np.zeros(len(obs)), Old(), episodes=2)
