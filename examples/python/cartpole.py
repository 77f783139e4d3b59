"""A Gymnasium-style environment written in Python, for mimic to step.

CartPole-v1 with Gymnasium's equations and seeding (NumPy's PCG64), as a
plain class: observation_space, action_space, reset(seed, options) ->
(obs, info), step(action) -> (obs, reward, terminated, truncated, info).
Any such object (a gymnasium.Env too) goes wherever mimic takes an
environment:

    import mimic
    from cartpole import PyCartPole, lean_expert
    policy = mimic.dagger(PyCartPole, lean_expert, rounds=4)
    print(mimic.evaluate(policy, PyCartPole(), episodes=10)["return_mean"])

mimic makes one object per copy it runs (here by calling the class) and
steps it through callbacks; see docs/python.md.
"""
import math

import numpy as np

import mimic


def lean_expert(obs):
    """A batch of observations -> a batch of actions: push under the falling pole
    (CartPole's built-in rule, gains of an LQR design's signs)."""
    u = 1.0 * obs[:, 0] + 1.9 * obs[:, 1] + 26.0 * obs[:, 2] + 4.3 * obs[:, 3]
    return (u > 0).astype(np.int64)


class PyCartPole:
    """Gymnasium's CartPole-v1 in Python: same dynamics, same initial states per seed."""

    def __init__(self):
        self.observation_space = mimic.spaces.Box(-np.inf, np.inf, shape=(4,))
        self.action_space = mimic.spaces.Discrete(2)
        self.max_episode_steps = 500
        self.reward_threshold = 475.0
        self.rng = np.random.Generator(np.random.PCG64())
        self.state = None

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.Generator(np.random.PCG64(seed))
        self.state = self.rng.uniform(low=-0.05, high=0.05, size=(4,))
        return np.array(self.state, dtype=np.float32), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = 10.0 if action == 1 else -10.0
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + 0.05 * theta_dot**2 * sintheta) / 1.1
        thetaacc = (9.8 * sintheta - costheta * temp) / (0.5 * (4.0 / 3.0 - 0.1 * costheta**2 / 1.1))
        xacc = temp - 0.05 * thetaacc * costheta / 1.1
        x, x_dot = x + 0.02 * x_dot, x_dot + 0.02 * xacc
        theta, theta_dot = theta + 0.02 * theta_dot, theta_dot + 0.02 * thetaacc
        self.state = (x, x_dot, theta, theta_dot)
        terminated = bool(x < -2.4 or x > 2.4 or theta < -0.2095 or theta > 0.2095)
        return np.array(self.state, dtype=np.float32), 1.0, terminated, False, {}

    def close(self):
        """Gymnasium's close: nothing to release."""
