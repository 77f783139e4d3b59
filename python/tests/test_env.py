"""mimic.make and mimic.make_vec against Gymnasium's Env API, checker style:
seeding, spaces and dtypes, terminated against truncated, errors."""
import numpy as np
import pytest

import mimic

# Gymnasium's CartPole-v1: reset(seed=0) gives this state (NumPy PCG64).
CARTPOLE_SEED0 = np.array([0.01369617, -0.02302133, -0.04590265, -0.04834723], dtype=np.float32)


def test_reset_matches_gymnasium_and_is_seeded():
    env = mimic.make("CartPole-v1")
    obs, info = env.reset(seed=0)
    assert isinstance(info, dict)
    np.testing.assert_allclose(obs, CARTPOLE_SEED0, rtol=0, atol=1e-7)
    first = obs.copy()
    env.reset(seed=1)
    assert not np.array_equal(env.reset(seed=1)[0], first)
    assert np.array_equal(env.reset(seed=0)[0], first)


def test_spaces_and_dtypes():
    env = mimic.make("CartPole-v1")
    assert env.observation_space.shape == (4,)
    assert env.observation_space.dtype == np.float32
    assert env.action_space.n == 2
    obs, _ = env.reset(seed=3)
    assert obs.dtype == np.float32 and obs.shape == (4,)
    assert env.observation_space.contains(obs)
    env.action_space.seed(7)
    a = [env.action_space.sample() for _ in range(50)]
    env.action_space.seed(7)
    assert a == [env.action_space.sample() for _ in range(50)]
    assert all(env.action_space.contains(x) for x in a)
    assert not env.action_space.contains(2)
    obs, reward, terminated, truncated, info = env.step(a[0])
    assert type(reward) is float and type(terminated) is bool and type(truncated) is bool
    assert isinstance(info, dict)
    pend = mimic.make("Pendulum-v1")
    assert pend.action_space.shape == (1,)
    np.testing.assert_array_equal(pend.action_space.low, [-2.0])
    np.testing.assert_array_equal(pend.action_space.high, [2.0])
    np.testing.assert_array_equal(pend.observation_space.high, [1.0, 1.0, 8.0])
    pend.reset(seed=0)
    pend.step(np.array([0.3], dtype=np.float64))  # any float dtype
    pend.step([0.3])


def test_terminated_and_truncated():
    env = mimic.make("CartPole-v1")
    env.reset(seed=0)
    steps = 0
    while True:  # always pushing left: the pole falls long before the limit
        _, _, terminated, truncated, _ = env.step(0)
        steps += 1
        if terminated or truncated:
            break
    assert terminated and not truncated and steps < 50
    short = mimic.make("CartPole-v1", max_episode_steps=20)
    assert short.max_episode_steps == 20
    short.reset(seed=0)
    for t in range(20):
        _, _, terminated, truncated, _ = short.step(short.expert_action())
        assert not terminated
        assert truncated == (t == 19)


def test_expert_reaches_500():
    env = mimic.make("CartPole-v1")
    env.reset(seed=5)
    total, done = 0.0, False
    while not done:
        _, r, te, tr, _ = env.step(env.expert_action())
        total += r
        done = te or tr
    assert total == 500.0 and env.max_episode_steps == 500


def test_observation_is_a_read_only_view():
    env = mimic.make("CartPole-v1")
    obs, _ = env.reset(seed=0)
    obs2 = env.step(1)[0]
    assert obs2 is obs  # no copy per step
    with pytest.raises(ValueError):
        obs[0] = 1.0


def test_errors():
    with pytest.raises(mimic.InvalidError, match="NoSuchEnv"):
        mimic.make("NoSuchEnv-v0")
    with pytest.raises(mimic.InvalidError, match="bogus"):
        mimic.make("CartPole-v1", bogus=3)
    env = mimic.make("CartPole-v1")
    with pytest.raises(mimic.Error, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError):
        env.step(2)
    with pytest.raises(ValueError):
        env.step(float("nan"))
    with pytest.raises(ValueError):
        env.step([0, 1])
    with pytest.raises(mimic.InvalidError):
        env.reset(seed=-1)
    pend = mimic.make("Pendulum-v1")
    pend.reset(seed=0)
    with pytest.raises(ValueError, match="expected 1 value"):
        pend.step(np.zeros(3))
    env.close()
    with pytest.raises(mimic.Error, match="closed"):
        env.reset()


def test_render_modes():
    env = mimic.make("CartPole-v1", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.max() > frame.min()
    text = mimic.make("MiniGrid-Empty-5x5-v0", render_mode="ansi")
    text.reset(seed=0)
    assert isinstance(text.render(), str) and len(text.render()) > 10
    with pytest.raises(mimic.InvalidError):
        mimic.make("CartPole-v1", render_mode="opengl")


def test_env_ids_and_options():
    ids = mimic.env_ids()
    assert "CartPole-v1" in ids and "LaneKeep-v0" in ids
    assert mimic.make("LaneKeep-v0").max_episode_steps == 400
    assert mimic.make("LaneKeep-v0", max_steps=50).max_episode_steps == 50
    assert mimic.make("MiniGrid-Empty-5x5-v0").action_names[2] == "forward"


def test_vec_matches_single_envs_with_same_step_autoreset():
    n = 3
    venv = mimic.make_vec("CartPole-v1", n)
    assert venv.num_envs == n
    assert venv.observation_space.shape == (n, 4)
    assert venv.single_action_space.n == 2
    singles = [mimic.make("CartPole-v1") for _ in range(n)]
    obs, _ = venv.reset(seed=10)
    for i, e in enumerate(singles):
        np.testing.assert_array_equal(obs[i], e.reset(seed=10 + i)[0])
    rng = np.random.default_rng(0)
    ended = 0
    for _ in range(200):
        actions = rng.integers(0, 2, size=n)
        obs, rewards, term, trunc, info = venv.step(actions)
        assert rewards.dtype == np.float64 and term.dtype == np.bool_
        for i, e in enumerate(singles):
            o, r, te, tr, _ = e.step(int(actions[i]))
            assert r == rewards[i] and te == term[i] and tr == trunc[i]
            if te or tr:
                ended += 1
                assert info["_final_obs"][i]
                np.testing.assert_array_equal(info["final_obs"][i], o)
                o, _ = e.reset()  # continues its generator, as the copy does
            np.testing.assert_array_equal(obs[i], o)
    assert ended > 5
    with pytest.raises(ValueError, match="actions"):
        venv.step(np.zeros(n + 1))
    with pytest.raises(mimic.InvalidError):
        mimic.make_vec("CartPole-v1", 0)
