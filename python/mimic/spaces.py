"""Spaces: Gymnasium's when gymnasium is importable, else mimic's own.

mimic's Box, Discrete and MultiDiscrete have the attributes and methods of
Gymnasium's (shape, dtype, low, high, n, start, nvec, sample(), contains(),
seed()), so code written against Gymnasium's spaces runs on either.
"""
import numpy as np

try:  # pragma: no cover - gymnasium is not packaged for Debian
    import gymnasium as _gym
except ImportError:  # the usual case here
    _gym = None


class Space:
    """Base of mimic's spaces: a shape, a dtype and a seedable generator."""

    def __init__(self, shape, dtype, seed=None):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self._np_random = None
        if seed is not None:
            self.seed(seed)

    @property
    def np_random(self):
        if self._np_random is None:
            self.seed()
        return self._np_random

    def seed(self, seed=None):
        """Seeds the space's generator (NumPy's PCG64, as Gymnasium); returns [seed]."""
        self._np_random = np.random.Generator(np.random.PCG64(seed))
        return [seed]

    def __contains__(self, x):
        return self.contains(x)

    @property
    def is_np_flattenable(self):
        return True


class Box(Space):
    """Box(low, high, shape, dtype): a float32 box, bounds per element."""

    def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
        if shape is None:
            shape = np.shape(low) if np.ndim(low) else np.shape(high)
        shape = tuple(int(s) for s in shape)
        super().__init__(shape, dtype, seed)
        self.low = np.broadcast_to(np.asarray(low, dtype=self.dtype), shape).copy()
        self.high = np.broadcast_to(np.asarray(high, dtype=self.dtype), shape).copy()
        self.bounded_below = np.isfinite(self.low)
        self.bounded_above = np.isfinite(self.high)

    def is_bounded(self, manner="both"):
        below, above = bool(np.all(self.bounded_below)), bool(np.all(self.bounded_above))
        return {"both": below and above, "below": below, "above": above}[manner]

    def sample(self, mask=None):
        """Uniform where bounded on both sides, exponential tails on one, normal on none."""
        r = self.np_random
        out = np.empty(self.shape, dtype=np.float64)
        both = self.bounded_below & self.bounded_above
        low_only = self.bounded_below & ~self.bounded_above
        high_only = ~self.bounded_below & self.bounded_above
        none = ~self.bounded_below & ~self.bounded_above
        out[none] = r.normal(size=none[none].shape)
        out[low_only] = r.exponential(size=low_only[low_only].shape) + self.low[low_only]
        out[high_only] = self.high[high_only] - r.exponential(size=high_only[high_only].shape)
        out[both] = r.uniform(self.low[both], self.high[both])
        return out.astype(self.dtype)

    def contains(self, x):
        if not isinstance(x, np.ndarray):
            try:
                x = np.asarray(x, dtype=self.dtype)
            except (ValueError, TypeError):
                return False
        return bool(
            np.can_cast(x.dtype, self.dtype)
            and x.shape == self.shape
            and np.all(x >= self.low)
            and np.all(x <= self.high)
        )

    def __repr__(self):
        return f"Box({self.low.min()}, {self.high.max()}, {self.shape}, {self.dtype})"

    def __eq__(self, other):
        return (
            isinstance(other, Box)
            and self.shape == other.shape
            and np.array_equal(self.low, other.low)
            and np.array_equal(self.high, other.high)
        )


class Discrete(Space):
    """Discrete(n, start=0): integers start .. start + n - 1."""

    def __init__(self, n, seed=None, start=0):
        super().__init__((), np.int64, seed)
        self.n = np.int64(n)
        self.start = np.int64(start)

    def sample(self, mask=None):
        return np.int64(self.start + self.np_random.integers(self.n))

    def contains(self, x):
        if isinstance(x, (int, np.integer)):
            v = int(x)
        elif isinstance(x, np.ndarray) and x.shape == () and np.issubdtype(x.dtype, np.integer):
            v = int(x)
        else:
            return False
        return bool(self.start <= v < self.start + self.n)

    def __repr__(self):
        return f"Discrete({self.n})"

    def __eq__(self, other):
        return isinstance(other, Discrete) and self.n == other.n and self.start == other.start


class MultiDiscrete(Space):
    """MultiDiscrete(nvec): a vector of independent Discrete choices."""

    def __init__(self, nvec, seed=None):
        self.nvec = np.asarray(nvec, dtype=np.int64)
        super().__init__(self.nvec.shape, np.int64, seed)

    def sample(self, mask=None):
        return (self.np_random.random(self.nvec.shape) * self.nvec).astype(self.dtype)

    def contains(self, x):
        x = np.asarray(x)
        return bool(
            x.shape == self.shape
            and np.issubdtype(x.dtype, np.integer)
            and np.all(x >= 0)
            and np.all(x < self.nvec)
        )

    def __repr__(self):
        return f"MultiDiscrete({self.nvec})"


if _gym is not None:  # pragma: no cover
    Box = _gym.spaces.Box  # noqa: F811
    Discrete = _gym.spaces.Discrete  # noqa: F811
    MultiDiscrete = _gym.spaces.MultiDiscrete  # noqa: F811


def from_mimic(desc):
    """A space from the extension's description: ("discrete", n) or ("box", shape, low, high)."""
    if desc[0] == "discrete":
        return Discrete(desc[1])
    _, shape, low, high = desc
    return Box(
        np.asarray(low, dtype=np.float32).reshape(shape),
        np.asarray(high, dtype=np.float32).reshape(shape),
        shape=shape,
        dtype=np.float32,
    )


def batch(space, n):
    """The space of n stacked elements of space (Gymnasium's batch_space)."""
    if isinstance(space, Discrete):
        return MultiDiscrete(np.full((n,), space.n, dtype=np.int64))
    return Box(
        np.broadcast_to(space.low, (n,) + space.shape),
        np.broadcast_to(space.high, (n,) + space.shape),
        shape=(n,) + space.shape,
        dtype=space.dtype,
    )
