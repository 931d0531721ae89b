"""`gradcheck`: compare the gradients backward computes with central finite differences."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import Any

from .engine import no_grad
from .value import Value


class GradcheckError(AssertionError):
    """Backward and finite differences disagree; the message names the worst mismatch."""


def gradcheck(
    fn: Callable[..., Any],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> bool:
    """Check d fn / d input for every input: backward against (f(x+eps) - f(x-eps)) / (2 eps).

    `fn` takes one node per input and returns a scalar node. Returns True, or raises
    GradcheckError naming the input whose gradient is furthest off."""
    if not inputs:
        raise ValueError("gradcheck: give at least one input")
    values = [_as_float(x, i) for i, x in enumerate(inputs)]
    leaves = [Value(x) for x in values]
    out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: fn must return a Value, got {type(out).__name__}")
    out.backward()

    worst = None
    for i, leaf in enumerate(leaves):
        numeric = (_at(fn, values, i, eps) - _at(fn, values, i, -eps)) / (2 * eps)
        excess = abs(leaf.grad - numeric) - (atol + rtol * abs(numeric))
        if worst is None or excess > worst[0]:
            worst = (excess, i, leaf.grad, numeric)
    excess, i, analytic, numeric = worst
    if not excess <= 0:  # also catches NaN
        raise GradcheckError(
            f"gradcheck: gradient of input {i} (value {values[i]}) is {analytic} by backward "
            f"but {numeric} by finite differences (|difference| {abs(analytic - numeric):.3g} "
            f"> atol {atol} + rtol {rtol} * |numeric|)"
        )
    return True


def _as_float(x: Any, i: int) -> float:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, Real):
        return float(x)
    raise TypeError(f"gradcheck: input {i} must be a Value or a real number, got {type(x).__name__}")


def _at(fn: Callable[..., Any], values: list[float], i: int, shift: float) -> float:
    """fn evaluated with input i moved by `shift`, without recording a graph."""
    moved = [Value(x + shift if j == i else x) for j, x in enumerate(values)]
    with no_grad():
        return fn(*moved).data
