"""Weight initialisation, with PyTorch's names and formulas, reproducible without global state.

Every function fills a Tensor (or a NumPy array) in place and returns it. Randomness comes
from `rng` (a `numpy.random.Generator`) or `seed`; with neither, a fresh Generator is used.
Nothing ever touches NumPy's global random state.

fan_in is the number of inputs of a unit (in_features for a Linear weight of shape
(out_features, in_features)), fan_out the number of outputs.
"""

from __future__ import annotations

import math
from numbers import Integral
from typing import Any

import numpy as np

Seed = int | np.random.Generator | None


def make_rng(rng: np.random.Generator | None = None, seed: Seed = None) -> np.random.Generator:
    """The one way gradtrace.nn gets its randomness (layers, init, data, fit): `rng` if given,
    else one from `seed`, which is None (fresh entropy), an int >= 0, or a Generator used as
    is (so one Generator can drive a whole experiment). NumPy's global state is never used."""
    if rng is not None and seed is not None:
        raise ValueError("give rng or seed, not both")
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
        return rng
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, Integral) and not isinstance(seed, bool)):
        if seed is not None and seed < 0:
            raise ValueError(f"seed: must be non-negative, got {seed}")
        return np.random.default_rng(seed)
    raise ValueError(
        f"seed: expected None, an int or a numpy.random.Generator, got {type(seed).__name__}"
    )


def calculate_gain(nonlinearity: str = "relu", param: float | None = None) -> float:
    """The gain that keeps activations' variance steady through a layer (PyTorch's table):
    linear/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope**2))."""
    if nonlinearity in ("linear", "identity", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def _array(tensor: Any) -> np.ndarray:
    data = tensor if isinstance(tensor, np.ndarray) else getattr(tensor, "data", None)
    if not isinstance(data, np.ndarray):
        raise TypeError(f"init: expected a Tensor or an ndarray, got {type(tensor).__name__}")
    return data


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of this shape: (out, in, *kernel) as in PyTorch."""
    if len(shape) < 2:
        raise ValueError(f"fan_in and fan_out need a weight of at least 2 dimensions, got {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fill(tensor: Any, values: np.ndarray) -> Any:
    _array(tensor)[...] = values
    return tensor


def uniform_(tensor: Any, low: float = 0.0, high: float = 1.0, *, rng=None, seed=None) -> Any:
    """Fill with U(low, high)."""
    a = _array(tensor)
    return _fill(tensor, make_rng(rng, seed).uniform(low, high, size=a.shape))


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0, *, rng=None, seed=None) -> Any:
    """Fill with N(mean, std**2)."""
    a = _array(tensor)
    return _fill(tensor, make_rng(rng, seed).normal(mean, std, size=a.shape))


def zeros_(tensor: Any) -> Any:
    """Fill with 0."""
    return _fill(tensor, 0.0)


def kaiming_uniform_(
    tensor: Any,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    rng=None,
    seed=None,
) -> Any:
    """He et al. (2015): U(-bound, bound), bound = gain * sqrt(3 / fan). With a = sqrt(5) this
    is PyTorch's default for Linear, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    fan = _fan(_array(tensor).shape, mode)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, rng=rng, seed=seed)


def kaiming_normal_(
    tensor: Any,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    rng=None,
    seed=None,
) -> Any:
    """He et al. (2015): N(0, std**2), std = gain / sqrt(fan). Suits ReLU networks."""
    fan = _fan(_array(tensor).shape, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, rng=rng, seed=seed)


def xavier_uniform_(tensor: Any, gain: float = 1.0, *, rng=None, seed=None) -> Any:
    """Glorot & Bengio (2010): U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)). Suits tanh."""
    fan_in, fan_out = fans(_array(tensor).shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng=rng, seed=seed)


def xavier_normal_(tensor: Any, gain: float = 1.0, *, rng=None, seed=None) -> Any:
    """Glorot & Bengio (2010): N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(_array(tensor).shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, rng=rng, seed=seed)


def _fan(shape: tuple[int, ...], mode: str) -> int:
    fan_in, fan_out = fans(shape)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
