"""A stand-in for gymnasium.vector (Gymnasium is not packaged for Debian):
SyncVectorEnv written to Gymnasium 1.1's documented vector API, with its
three autoreset modes (metadata["autoreset_mode"]): next-step (the
default: a sub-environment that ended is reset by the next step, which
ignores its action), same-step (reset in the step that ended it, the last
observation in infos["final_obs"]) and disabled; reset(seed=[...],
options={"reset_mask": mask}) resets only the masked sub-environments.
test_env_batch.py uses it directly; test_env_protocol.py installs it as
the stand-in gymnasium package's vector module."""
import numpy as np


class AutoresetMode:
    NEXT_STEP, SAME_STEP, DISABLED = "NextStep", "SameStep", "Disabled"


class SyncVectorEnv:
    def __init__(self, env_fns, copy=True, observation_mode="same",
                 autoreset_mode=AutoresetMode.NEXT_STEP):
        self.env_fns = list(env_fns)
        self.envs = [fn() for fn in self.env_fns]
        self.num_envs = len(self.envs)
        self.metadata = {"autoreset_mode": autoreset_mode}
        self.single_observation_space = self.envs[0].observation_space
        self.single_action_space = self.envs[0].action_space
        self.spec = getattr(self.envs[0], "spec", None)
        dim = int(np.prod(self.single_observation_space.shape))
        self.obs = np.zeros((self.num_envs, dim), np.float32)
        self.autoreset = np.zeros(self.num_envs, bool)
        self.steps = 0

    def __deepcopy__(self, memo):  # fresh sub-environments, as made
        return SyncVectorEnv(self.env_fns, autoreset_mode=self.metadata["autoreset_mode"])

    def reset(self, *, seed=None, options=None):
        if seed is None or isinstance(seed, int):
            seed = [None if seed is None else seed + i for i in range(self.num_envs)]
        assert len(seed) == self.num_envs, "a seed list has num_envs seeds"
        mask = (options or {}).get("reset_mask", np.ones(self.num_envs, bool))
        assert mask.dtype == np.bool_ and mask.shape == (self.num_envs,) and mask.any()
        for i in np.flatnonzero(mask):
            self.obs[i], _ = self.envs[i].reset(seed=seed[i])
            self.autoreset[i] = False
        return self.obs.copy(), {}

    def step(self, actions):
        self.steps += 1
        mode = self.metadata["autoreset_mode"]
        rew = np.zeros(self.num_envs)
        te = np.zeros(self.num_envs, bool)
        tr = np.zeros(self.num_envs, bool)
        infos = {}
        for i, env in enumerate(self.envs):
            if mode == AutoresetMode.NEXT_STEP and self.autoreset[i]:
                self.obs[i], _ = env.reset()
                continue
            self.obs[i], rew[i], te[i], tr[i], _ = env.step(actions[i])
            if mode == AutoresetMode.SAME_STEP and (te[i] or tr[i]):
                infos.setdefault("final_obs", np.empty(self.num_envs, object))[i] = self.obs[i].copy()
                self.obs[i], _ = env.reset()
        self.autoreset = te | tr
        return self.obs.copy(), rew, te, tr, infos

    def close(self):
        for env in self.envs:
            getattr(env, "close", lambda: None)()


