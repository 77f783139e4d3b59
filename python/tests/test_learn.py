"""collect, load_dataset, bc, evaluate, Policy and to_torch against the
command line: the same data and seed give the same numbers, bit for bit."""
import json
import os
import subprocess

import numpy as np
import pytest

import mimic


def run(cli, *args):
    out = subprocess.run([cli, *args], check=True, capture_output=True, text=True)
    return out.stdout


@pytest.fixture
def cartpole_demos(cli, tmp_path):
    path = tmp_path / "demos"
    run(cli, "collect", "--env", "CartPole-v1", "--expert", "builtin", "--episodes", "4",
        "--seed", "3", "-o", str(path), "--quiet")
    return path


def assert_same_network(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        assert sa[k].dtype == np.float32
        np.testing.assert_array_equal(sa[k], sb[k])
    na, nb = a.info["obs_norm"], b.info["obs_norm"]
    np.testing.assert_array_equal(na["mean"], nb["mean"])
    np.testing.assert_array_equal(na["var"], nb["var"])


def test_collect_equals_the_command_line(cartpole_demos, tmp_path):
    cli_data = mimic.load_dataset(cartpole_demos)
    py = mimic.collect("CartPole-v1", "builtin", episodes=4, seed=3, path=tmp_path / "py")
    again = mimic.load_dataset(tmp_path / "py")
    for d in (py, again):
        assert d.n_episodes == 4 and len(d) == len(cli_data)
        np.testing.assert_array_equal(d.observations, cli_data.observations)
        np.testing.assert_array_equal(d.actions, cli_data.actions)
        np.testing.assert_array_equal(d.rewards, cli_data.rewards)
        np.testing.assert_array_equal(d.terminations, cli_data.terminations)
        np.testing.assert_array_equal(d.truncations, cli_data.truncations)
    assert py.env_id == "CartPole-v1"


def test_dataset_arrays_are_views(cartpole_demos):
    d = mimic.load_dataset(cartpole_demos)
    a, b = d.observations, d.observations
    assert np.shares_memory(a, b)  # both views of mimic's buffer
    assert not a.flags.writeable
    assert d.observations.shape == (len(d) + d.n_episodes, 4)
    ep = d.episode(1)
    assert len(ep["observations"]) == len(ep["actions"]) + 1
    s = int(d.episode_starts[1])
    np.testing.assert_array_equal(ep["observations"][0], d.observations[s + 1])
    np.testing.assert_array_equal(d.obs[s], ep["observations"][0])
    assert sum(len(e["actions"]) for e in d) == len(d)
    with pytest.raises(IndexError):
        d.episode(4)


@pytest.mark.parametrize(
    "flags,config",
    [
        ([], {}),
        (["--epochs", "3", "--batch-size", "64", "--lr", "3e-3", "--hidden", "16,8",
          "--activation", "relu", "--ent-weight", "0.01", "--l2-weight", "1e-4"],
         dict(epochs=3, batch_size=64, lr=3e-3, hidden=[16, 8], activation="relu",
              ent_weight=0.01, l2_weight=1e-4)),
    ],
)
def test_bc_equals_train_bc_bit_for_bit(cli, cartpole_demos, tmp_path, flags, config):
    out = tmp_path / "cli.mimic"
    run(cli, "train", "bc", "--data", str(cartpole_demos), "-o", str(out), "--seed", "11",
        "--quiet", *flags)
    from_cli = mimic.load_policy(out)
    py = mimic.bc(mimic.load_dataset(cartpole_demos), seed=11, **config)
    assert_same_network(py, from_cli)
    py_path = mimic.bc(str(cartpole_demos), seed=11, **config)  # a path works too
    assert_same_network(py_path, from_cli)
    other_seed = mimic.bc(mimic.load_dataset(cartpole_demos), seed=12, **config)
    assert not np.array_equal(other_seed.state_dict()["0.weight"], py.state_dict()["0.weight"])


def test_bc_continuous_equals_train_bc(cli, tmp_path):
    data = tmp_path / "pend"
    run(cli, "collect", "--env", "Pendulum-v1", "--expert", "builtin", "--episodes", "2",
        "--seed", "0", "-o", str(data), "--quiet")
    out = tmp_path / "p.mimic"
    run(cli, "train", "bc", "--data", str(data), "-o", str(out), "--seed", "2", "--batches",
        "300", "--quiet")
    py = mimic.bc(mimic.load_dataset(data), seed=2, batches=300)
    assert_same_network(py, mimic.load_policy(out))
    np.testing.assert_array_equal(py.info["log_std"], mimic.load_policy(out).info["log_std"])


def test_evaluate_equals_mimic_eval(cli, cartpole_demos, tmp_path):
    out = tmp_path / "cli.mimic"
    run(cli, "train", "bc", "--data", str(cartpole_demos), "-o", str(out), "--epochs", "5",
        "--quiet")
    want = json.loads(run(cli, "eval", "--policy", str(out), "--env", "CartPole-v1",
                          "--episodes", "12", "--seed", "4", "--json", "--quiet"))
    got = mimic.evaluate(mimic.load_policy(out), mimic.make("CartPole-v1"), episodes=12, seed=4)
    for key in ("episodes", "return_mean", "return_std", "length_mean", "success_rate",
                "normalized_score", "expert_return", "random_return"):
        assert got[key] == pytest.approx(want[key], rel=1e-9), key  # the CLI prints 10 digits
    expert = mimic.evaluate("builtin", "CartPole-v1", episodes=5, normalize=False)
    assert expert["return_mean"] == 500.0 and expert["normalized_score"] is None


def test_policy_act_save_load(tmp_path, cartpole_demos):
    p = mimic.bc(mimic.load_dataset(cartpole_demos), epochs=2)
    obs = mimic.load_dataset(cartpole_demos).obs
    a, conf = p.predict(obs)
    assert a.dtype == np.int64 and a.shape == (len(obs),)
    assert np.all((conf > 0.5) & (conf <= 1.0))  # argmax of two actions
    np.testing.assert_array_equal(p.act(obs.astype(np.float64)), a)  # any float dtype
    single, c = p.predict(obs[7])
    # one row may take another BLAS path than a batch (gemv, or another
    # kernel for the CPU): the same action, the confidence to float rounding
    assert single == a[7] and abs(c - conf[7]) <= 1e-6
    path = tmp_path / "saved.mimic"
    p.save(str(path))
    np.testing.assert_array_equal(mimic.load_policy(path).act(obs), a)
    with pytest.raises(ValueError):
        p.act(np.zeros((3, 5), dtype=np.float32))
    with pytest.raises(mimic.Error):
        mimic.load_policy(tmp_path / "missing.mimic")


def test_to_torch_reproduces_actions(cartpole_demos):
    torch = pytest.importorskip("torch")
    p = mimic.bc(mimic.load_dataset(cartpole_demos), epochs=3)
    net = p.to_torch()
    assert list(net.net.state_dict()) == list(p.state_dict())
    rng = np.random.default_rng(0)
    obs = np.concatenate([mimic.load_dataset(cartpole_demos).obs,
                          rng.normal(0, 1, size=(5000, 4)).astype(np.float32)])
    np.testing.assert_array_equal(net.act(obs).numpy(), p.act(obs))
    # the same Sequential a user would write, loaded from state_dict
    seq = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32),
                              torch.nn.Tanh(), torch.nn.Linear(32, 2))
    seq.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in p.state_dict().items()})


def test_to_torch_gaussian_means_agree():
    pytest.importorskip("torch")
    demos = mimic.collect("Pendulum-v1", "builtin", episodes=2, seed=0)
    p = mimic.bc(demos, batches=200)
    obs = np.random.default_rng(1).normal(0, 1, size=(3000, 3)).astype(np.float32)
    want = p.act(obs)  # the mean, clipped to [-2, 2]
    got = p.to_torch().act(obs).numpy()
    assert got.shape == want.shape == (3000, 1)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)  # float32 rounding of two BLAS


def test_python_callables_as_policies():
    def lean(obs):  # a batch in, a batch out
        assert obs.ndim == 2 and obs.dtype == np.float32 and not obs.flags.writeable
        return (obs[:, 2] + obs[:, 3] > 0).astype(np.int64)

    r = mimic.evaluate(lean, "CartPole-v1", episodes=5, normalize=False)
    assert r["return_mean"] > 100
    demos = mimic.collect("CartPole-v1", lean, episodes=2, seed=0)
    assert demos.n_episodes == 2

    class SB3Like:
        def predict(self, obs, deterministic=True):
            return lean(obs), None

    sb3 = mimic.evaluate(SB3Like(), "CartPole-v1", episodes=5, normalize=False)
    assert sb3["returns"] == r["returns"]

    def broken(obs):
        raise ZeroDivisionError("expert is broken")

    with pytest.raises(ZeroDivisionError, match="expert is broken"):
        mimic.evaluate(broken, "CartPole-v1", episodes=2)
    with pytest.raises(ValueError, match="actions"):
        mimic.evaluate(lambda obs: np.zeros(len(obs) + 1), "CartPole-v1", episodes=2)
    with pytest.raises(mimic.Error):  # an action outside Discrete(2)
        mimic.evaluate(lambda obs: np.full(len(obs), 5), "CartPole-v1", episodes=2)


def test_bad_config_and_files(tmp_path):
    demos = mimic.collect("CartPole-v1", episodes=1)
    with pytest.raises(mimic.InvalidError, match="activation"):
        mimic.bc(demos, activation="sigmoid")
    with pytest.raises(TypeError):
        mimic.bc(demos, no_such_option=1)
    with pytest.raises(mimic.Error, match="nowhere"):
        mimic.load_dataset(tmp_path / "nowhere")


def test_minibatches_are_views_in_a_seeded_order():
    d = mimic.collect("CartPole-v1", "builtin", episodes=2, seed=0)  # 1000 steps
    it = d.batches(batch_size=64, seed=5, drop_last=False)
    seen, arrays = [], set()
    for obs, act in it:
        arrays.add(id(obs.base if len(obs) < 64 else obs))
        assert not obs.flags.writeable and obs.dtype == np.float32
        seen.append(np.concatenate([obs, act[:, None]], axis=1).copy())
    seen = np.concatenate(seen)
    assert len(seen) == len(d) == 1000  # one epoch: every transition once
    want = np.concatenate([d.obs, d.actions[:, None]], axis=1)
    np.testing.assert_array_equal(seen[np.lexsort(seen.T)], want[np.lexsort(want.T)])
    assert len(arrays) == 1  # every full batch is the same buffer
    first = [o.copy() for o, _ in d.batches(64, seed=5, epochs=2)]
    assert len(first) == 2 * (1000 // 64)  # drop_last by default, as imitation's loader
    again = [o.copy() for o, _ in d.batches(64, seed=5, epochs=2)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    other = next(iter(d.batches(64, seed=6)))[0]
    assert not np.array_equal(other, first[0])
    assert not np.array_equal(first[0], first[len(first) // 2])  # epoch 2 is a new permutation


@pytest.mark.parametrize("flags,config", [
    (["--steps", "4096", "--seed", "3"], dict(steps=4096, seed=3)),
    (["--preset", "none", "--steps", "2048", "--envs", "2", "--n-steps", "256", "--hidden",
      "16,16", "--lr", "1e-3", "--lr-linear", "--norm-obs", "--seed", "1"],
     dict(preset="none", steps=2048, n_envs=2, n_steps=256, hidden=[16, 16], lr=1e-3,
          lr_linear=True, norm_obs=True, seed=1)),
])
def test_ppo_equals_train_ppo(cli, tmp_path, flags, config):
    out = tmp_path / "ppo.mimic"
    run(cli, "train", "ppo", "--env", "CartPole-v1", "-o", str(out), "--quiet", *flags)
    from_cli = mimic.load_policy(out)
    py = mimic.ppo("CartPole-v1", **config)
    sa, sb = py.state_dict(), from_cli.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k])
    na, nb = py.info["obs_norm"], from_cli.info["obs_norm"]
    assert (na is None) == (nb is None) == (not config.get("norm_obs"))
    if na is not None:
        np.testing.assert_array_equal(na["mean"], nb["mean"])
        np.testing.assert_array_equal(na["var"], nb["var"])
    assert py.iterations[-1]["timesteps"] == config["steps"]
    with pytest.raises(TypeError, match="learning_rate"):
        mimic.ppo("CartPole-v1", learning_rate=1e-3)


@pytest.mark.parametrize("kind,flags,config", [
    ("gail", [], {}),
    ("airl", ["--disc-updates", "3", "--no-absorbing", "--gamma", "0.98"],
     dict(disc_updates=3, absorbing=False, gamma=0.98)),
])
def test_adversarial_equals_the_command_line(cli, cartpole_demos, tmp_path, kind, flags, config):
    out, reward = tmp_path / "gen.mimic", tmp_path / "reward.mimic"
    run(cli, "train", kind, "--env", "CartPole-v1", "--data", str(cartpole_demos), "--steps",
        "2048", "--seed", "2", "-o", str(out), "--reward-out", str(reward), "--quiet", *flags)
    py_reward = tmp_path / "py_reward.mimic"
    py = getattr(mimic, kind)("CartPole-v1", str(cartpole_demos), reward_out=py_reward,
                              steps=2048, seed=2, **config)
    from_cli = mimic.load_policy(out)
    for k, v in from_cli.state_dict().items():
        np.testing.assert_array_equal(py.state_dict()[k], v)
    assert "disc_loss" in py.iterations[-1] and py.iterations[-1]["timesteps"] >= 2048
    assert py_reward.read_bytes() == reward.read_bytes()  # the same reward file, byte for byte
