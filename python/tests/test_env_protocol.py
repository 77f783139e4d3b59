"""`--env gym:ID` and `--env cmd:PROGRAM` from the command line: mimic runs a
Gymnasium environment in a Python child (mimic's gym_bridge.py) and steps it
over the env protocol (docs/env-protocol.md). Gymnasium is not packaged for
Debian, so the child imports a stand-in gymnasium whose make() gives mimic's
own CartPole behind a plain object: DAgger through the protocol must then
equal DAgger on the built-in environment bit for bit."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mimic
from test_gymnasium import STUB

HERE = os.path.dirname(__file__)
STANDIN = """
    class _Spec:
        def __init__(self, steps, threshold):
            self.max_episode_steps, self.reward_threshold = steps, threshold

    class Disguised:
        \"\"\"mimic's CartPole as Gymnasium's make() would give it (TimeLimit and all).\"\"\"
        def __init__(self, env_id, **kwargs):
            import mimic  # not at import: mimic itself imports gymnasium
            self.inner = mimic.make(env_id, **kwargs)
            self.observation_space = self.inner.observation_space
            self.action_space = self.inner.action_space
            self.spec = _Spec(500, 475.0)
            self.unwrapped = self
        def reset(self, seed=None, options=None):
            return self.inner.reset(seed=seed)
        def step(self, action):
            return self.inner.step(int(action))
        def expert_action(self):
            import os
            if os.environ.get("STANDIN_EXPERT_LOG"):
                with open(os.environ["STANDIN_EXPERT_LOG"], "a") as log:
                    log.write("x\\n")
            return self.inner.expert_action()
        def close(self):
            self.inner.close()

    def make(env_id, **kwargs):
        return Disguised(env_id, **kwargs)
"""


def run(cli, args, env, check=True):
    out = subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert out.returncode == 0, out.stderr
    return out


@pytest.fixture
def standin_env(tmp_path):
    pkg = tmp_path / "standin" / "gymnasium"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent(STUB["__init__.py"]) + textwrap.dedent(STANDIN))
    (pkg / "spaces.py").write_text(textwrap.dedent(STUB["spaces.py"]))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "standin"), env.get("PYTHONPATH", "")])
    env["MIMIC_PYTHON"] = sys.executable
    return env


VECTOR = """
    def make_vec(env_id, num_envs=1, vectorization_mode=None, vector_kwargs=None, **kwargs):
        import os
        from .vector import SyncVectorEnv
        mode = os.environ.get("STANDIN_AUTORESET", "NextStep")
        with open(os.environ["STANDIN_VEC_LOG"], "a") as log:
            log.write(f"{env_id} {num_envs} {vectorization_mode} {mode}\\n")
        return SyncVectorEnv([lambda: make(env_id, **kwargs)] * num_envs, autoreset_mode=mode)
"""


@pytest.fixture(params=["NextStep", "SameStep", "Disabled"])
def standin_vec_env(request, standin_env, tmp_path):
    """The stand-in gymnasium with gymnasium.vector and make_vec (Gymnasium 1.1's API)."""
    pkg = tmp_path / "standin" / "gymnasium"
    with open(os.path.join(HERE, "standin_vector.py")) as f:
        (pkg / "vector.py").write_text(f.read())
    with open(pkg / "__init__.py", "a") as f:
        f.write(textwrap.dedent(VECTOR))
    env = dict(standin_env, STANDIN_AUTORESET=request.param,
               STANDIN_VEC_LOG=str(tmp_path / "vec.log"))
    return env


def dagger(cli, env_id, out, env, extra=()):
    args = ["train", "dagger", "--env", env_id, "--rounds", "3", "--seed", "4", "--envs", "2",
            "--eval-episodes", "4", "-o", str(out), "--json", "--quiet", *extra]
    rows = json.loads(run(cli, args, env).stdout)["rounds"]
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def test_gym_dagger_is_bit_identical_to_the_builtin_path(cli, standin_env, tmp_path):
    builtin = dagger(cli, "CartPole-v1", tmp_path / "b.mimic", standin_env)
    bridged = dagger(cli, "gym:CartPole-v1", tmp_path / "g.mimic", standin_env)
    assert bridged == builtin
    assert bridged[-1]["return"] == 500
    a = mimic.load_policy(str(tmp_path / "b.mimic")).state_dict()
    b = mimic.load_policy(str(tmp_path / "g.mimic")).state_dict()
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_gym_serves_copies_as_a_gymnasium_vector_env(cli, standin_vec_env, tmp_path):
    builtin = dagger(cli, "CartPole-v1", tmp_path / "b.mimic", standin_vec_env)
    bridged = dagger(cli, "gym:CartPole-v1", tmp_path / "g.mimic", standin_vec_env)
    assert bridged == builtin
    made = (tmp_path / "vec.log").read_text().splitlines()
    mode = standin_vec_env["STANDIN_AUTORESET"]
    assert f"CartPole-v1 2 sync {mode}" in made  # DAgger's two copies: one vector env
    a = mimic.load_policy(str(tmp_path / "b.mimic")).state_dict()
    b = mimic.load_policy(str(tmp_path / "g.mimic")).state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_expert_actions_only_when_asked(cli, standin_env, tmp_path):
    # 8 copies in one bridge: a random policy's evaluation never asks the
    # expert, so the bridge computes no expert action; the expert's does
    log = tmp_path / "expert.log"
    env = dict(standin_env, STANDIN_EXPERT_LOG=str(log))
    for policy, asked in (("random", False), ("expert", True)):
        out = run(cli, ["eval", "--env", "gym:CartPole-v1", "--policy", policy, "--episodes", "8",
                        "--no-normalize", "--json", "--quiet"], env)
        assert log.exists() == asked, policy
    assert json.loads(out.stdout)["return_mean"] == 500
    assert len(log.read_text().split()) >= 8 * 500  # each copy's states, asked through frames


def test_gym_kwargs_reach_make(cli, standin_env, tmp_path):
    # the stand-in passes kwargs to mimic.make: an unknown one is the child's error, shown
    out = run(cli, ["eval", "--env", 'gym:CartPole-v1:{"bogus": 1}', "--policy", "expert",
                    "--episodes", "2", "--no-normalize", "--quiet"], standin_env, check=False)
    assert out.returncode != 0
    assert "bogus" in out.stderr and "gym:CartPole-v1" in out.stderr, out.stderr


def test_gym_without_gymnasium_says_so(cli, tmp_path):
    env = dict(os.environ, MIMIC_PYTHON=sys.executable)
    env["PYTHONPATH"] = env.get("PYTHONPATH", "")
    probe = subprocess.run([sys.executable, "-c", "import gymnasium"], env=env, capture_output=True)
    if probe.returncode == 0:
        pytest.skip("gymnasium is installed here")
    out = run(cli, ["eval", "--env", "gym:CartPole-v1", "--policy", "expert",
                    "--episodes", "1", "--no-normalize", "--quiet"], env, check=False)
    assert out.returncode != 0
    assert "gymnasium is not importable" in out.stderr, out.stderr


def test_example_peer_plays_mimics_cartpole(cli):
    peer = os.path.join(HERE, "..", "..", "examples", "python", "cartpole_peer.py")
    spec = f"cmd:{sys.executable} {os.path.abspath(peer)}"

    def evaluate(env_id, policy):
        args = ["eval", "--env", env_id, "--policy", policy, "--episodes", "6", "--seed", "3",
                "--no-normalize", "--json", "--quiet"]
        return json.loads(run(cli, args, dict(os.environ)).stdout)

    # Gymnasium's dynamics and seeding: a random policy's episodes last as long
    # as on mimic's own CartPole, and the expert (expert_action) holds the pole
    ours, theirs = evaluate("CartPole-v1", "random"), evaluate(spec, "random")
    assert theirs["return_mean"] == ours["return_mean"] and theirs["length_mean"] == ours["length_mean"]
    assert evaluate(spec, "expert")["return_mean"] == 500


def test_batched_peer_dagger_is_bit_identical_to_the_builtin_path(cli, tmp_path):
    # protocol 2: one program serves the four copies of each rollout in binary
    # frames (auto-reset and expert answers included); the rounds and the
    # learner equal the built-in CartPole's bit for bit
    peer = os.path.abspath(os.path.join(HERE, "..", "..", "examples", "python", "cartpole_peer.py"))
    starts = tmp_path / "starts"
    spec = f"cmd:/bin/sh -c 'echo started >> {starts}; exec {sys.executable} {peer}'"
    env = dict(os.environ)
    extra = ("--envs", "4", "--eval-episodes", "8")
    builtin = dagger(cli, "CartPole-v1", tmp_path / "b.mimic", env, extra)
    served = dagger(cli, spec, tmp_path / "p.mimic", env, extra)
    assert served == builtin
    assert served[-1]["return"] == 500
    a = mimic.load_policy(str(tmp_path / "b.mimic")).state_dict()
    b = mimic.load_policy(str(tmp_path / "p.mimic")).state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    # one program serves the 4 training copies, one the 8 evaluation copies
    # (kept and reused every round; the rest are single environments DAgger
    # opens for spaces and references): a program per copy would be 12 or more
    assert starts.read_text().count("started") <= 4


def test_batched_peer_vector_env_steps_as_gymnasium_does(tmp_path):
    # mimic.make_vec over the protocol-2 peer against mimic's own vector env:
    # the same observations, rewards, flags and final observations step for step
    peer = os.path.abspath(os.path.join(HERE, "..", "..", "examples", "python", "cartpole_peer.py"))
    ours = mimic.make_vec("CartPole-v1", 5)
    theirs = mimic.make_vec(f"cmd:{sys.executable} {peer}", 5)
    o1, _ = ours.reset(seed=11)
    o2, _ = theirs.reset(seed=11)
    np.testing.assert_array_equal(o1, o2)
    rng = np.random.default_rng(0)
    ended = 0
    for _ in range(300):
        a = rng.integers(0, 2, size=5)
        r1 = ours.step(a)
        r2 = theirs.step(a)
        for x, y in zip(r1[:4], r2[:4]):
            np.testing.assert_array_equal(x, y)
        ended += int(np.sum(r1[2] | r1[3]))
    assert ended > 10
    ours.close()
    theirs.close()


def test_gym_bridge_serves_copies_in_frames():
    # the bridge answers a protocol-2 hello for 3 copies, then a reset frame
    # and a step frame, exactly as mimic's own vector env steps CartPole; the
    # expert's actions come only with a frame whose flags ask for them
    import io
    import struct

    from mimic import gym_bridge as gb

    def frame(kind, m, payload, flags=0):
        return gb.HEADER.pack(gb.MAGIC, kind, flags, 0, m, len(payload)) + payload

    hello = json.dumps({"id": 1, "type": "hello", "protocol": 2, "num_envs": 3}) + "\n"
    rows = struct.pack("<3I", 0, 1, 2)
    reset = frame(gb.RESET, 3, rows + struct.pack("<3q", 7, 8, 9), flags=1)
    step = frame(gb.STEP, 3, struct.pack("<qq", -1, 3) + rows + struct.pack("<3f", 0, 1, 1) + bytes(3))
    out = io.BytesIO()
    gb.Bridge(lambda options: mimic.make("CartPole-v1")).serve(
        io.BytesIO(hello.encode() + reset + step), out)
    data = out.getvalue()
    line, rest = data.split(b"\n", 1)
    assert json.loads(line)["protocol"] == 2 and json.loads(line)["num_envs"] == 3
    assert json.loads(line)["expert_on_request"] is True
    magic, kind, _, _, m, size = gb.HEADER.unpack_from(rest)
    assert (magic, kind, m, size) == (gb.MAGIC, gb.RESET, 3, 3 * 16 + 3 * 4)
    obs = np.frombuffer(rest, "<f4", 12, gb.HEADER.size).reshape(3, 4)
    ref = mimic.make_vec("CartPole-v1", 3)
    want, _ = ref.reset(seed=7)
    np.testing.assert_array_equal(obs, want)
    rest = rest[gb.HEADER.size + size:]
    magic, kind, _, _, m, size = gb.HEADER.unpack_from(rest)
    assert (kind, m, size) == (gb.STEP, 3, 3 * (8 + 32 + 2))  # no expert actions asked
    body = rest[gb.HEADER.size:]
    want_obs, want_r, want_term, want_trunc, _ = ref.step(np.array([0, 1, 1]))
    np.testing.assert_array_equal(np.frombuffer(body, "<f8", 3), want_r)
    np.testing.assert_array_equal(np.frombuffer(body, "<f4", 12, 24).reshape(3, 4), want_obs)
    assert list(body[-6:]) == [int(t) for t in want_term] + [int(t) for t in want_trunc]
    ref.close()


def test_gym_bridge_names_the_copy_whose_observation_is_wrong():
    # a list of environments stepped in turn: the copy whose step returns the
    # wrong number of values is named in the error frame mimic shows
    import io
    import struct

    from mimic import gym_bridge as gb

    class Short:
        def __init__(self, inner):
            self.inner, self.observation_space = inner, inner.observation_space
            self.action_space = inner.action_space

        def reset(self, seed=None, options=None):
            return self.inner.reset(seed=seed)

        def step(self, action):
            obs, *rest = self.inner.step(action)
            return (obs[:3], *rest)

        def close(self):
            self.inner.close()

    made = []

    def make(options):
        env = mimic.make("CartPole-v1")
        made.append(env)
        return Short(env) if len(made) == 2 else env

    def frame(kind, m, payload):
        return gb.HEADER.pack(gb.MAGIC, kind, 0, 0, m, len(payload)) + payload

    hello = json.dumps({"id": 1, "type": "hello", "protocol": 2, "num_envs": 3}) + "\n"
    rows = struct.pack("<3I", 0, 1, 2)
    reset = frame(gb.RESET, 3, rows + struct.pack("<3q", 7, 8, 9))
    step = frame(gb.STEP, 3, struct.pack("<qq", -1, 3) + rows + struct.pack("<3f", 0, 1, 1) + bytes(3))
    out = io.BytesIO()
    gb.Bridge(make).serve(io.BytesIO(hello.encode() + reset + step), out)
    rest = out.getvalue().split(b"\n", 1)[1]
    size = gb.HEADER.unpack_from(rest)[5]
    rest = rest[gb.HEADER.size + size:]
    _, kind, _, _, m, size = gb.HEADER.unpack_from(rest)
    assert kind == gb.ERROR and m == 0
    text = rest[gb.HEADER.size: gb.HEADER.size + size].decode()
    assert text == "ValueError: copy 1: step returned an observation of 3 values; the space has 4"


def test_gym_bridge_keeps_the_final_observation_of_an_env_that_lends_its_buffer():
    # an environment that returns its own state buffer (reset overwrites it):
    # a copy that ends sends the episode's last observation as final and the
    # next episode's first as obs, not the reset state twice
    import io
    import struct

    from mimic import gym_bridge as gb

    class Lender:
        def __init__(self):
            self.observation_space = mimic.spaces.Box(-np.inf, np.inf, shape=(4,))
            self.action_space = mimic.spaces.Discrete(2)
            self.buf = np.zeros(4, np.float32)

        def reset(self, seed=None, options=None):
            self.buf[:] = -1.0
            return self.buf, {}

        def step(self, action):
            self.buf[:] = 7.0
            return self.buf, 1.0, True, False, {}

        def close(self):
            pass

    def frame(kind, m, payload):
        return gb.HEADER.pack(gb.MAGIC, kind, 0, 0, m, len(payload)) + payload

    hello = json.dumps({"id": 1, "type": "hello", "protocol": 2, "num_envs": 2}) + "\n"
    rows = struct.pack("<2I", 0, 1)
    reset = frame(gb.RESET, 2, rows + struct.pack("<2q", 1, 2))
    step = frame(gb.STEP, 2, struct.pack("<qq", 5, 2) + rows + struct.pack("<2f", 0, 1) + bytes(2))
    out = io.BytesIO()
    gb.Bridge(lambda options: Lender()).serve(io.BytesIO(hello.encode() + reset + step), out)
    rest = out.getvalue().split(b"\n", 1)[1]
    rest = rest[gb.HEADER.size + gb.HEADER.unpack_from(rest)[5]:]
    _, kind, _, _, m, size = gb.HEADER.unpack_from(rest)
    assert (kind, m) == (gb.STEP, 2)
    body = rest[gb.HEADER.size:]
    np.testing.assert_array_equal(np.frombuffer(body, "<f4", 8, 16), np.full(8, -1.0))  # obs
    np.testing.assert_array_equal(np.frombuffer(body, "<f4", 8, 48), np.full(8, 7.0))  # final
