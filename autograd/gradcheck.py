"""`gradcheck`: compare the gradients backward computes with central finite differences."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import Any

import numpy as np

from .grad_mode import no_grad
from .tensor import Tensor
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
    GradcheckError naming the input whose gradient is furthest off.

    With Tensor inputs, every Tensor input is checked element by element (in float64, on a
    copy); other inputs (index arrays, numbers) are passed to `fn` unchanged. If `fn` returns
    a tensor with more than one element, its sum is checked."""
    if not inputs:
        raise ValueError("gradcheck: give at least one input")
    if any(isinstance(x, Tensor) for x in inputs):
        return _gradcheck_tensors(fn, inputs, eps, atol, rtol)
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
        if worst is None or not excess <= worst[0]:  # `not <=` so that a NaN is the worst
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
    raise TypeError(
        f"gradcheck: input {i} must be a Value or a real number, got {type(x).__name__}"
    )


def _at(fn: Callable[..., Any], values: list[float], i: int, shift: float) -> float:
    """fn evaluated with input i moved by `shift`, without recording a graph."""
    moved = [Value(x + shift if j == i else x) for j, x in enumerate(values)]
    with no_grad():
        return fn(*moved).data


def _gradcheck_tensors(
    fn: Callable[..., Any], inputs: tuple, eps: float, atol: float, rtol: float
) -> bool:
    """gradcheck for Tensor inputs: central differences for every element of every input."""
    arrays = [np.array(x.data, dtype=np.float64) if isinstance(x, Tensor) else None for x in inputs]

    def call(grad_on: bool) -> tuple[Tensor, list[Any]]:
        args = [
            x if a is None else Tensor(a, requires_grad=grad_on)
            for x, a in zip(inputs, arrays, strict=True)
        ]
        out = fn(*args)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
        return (out if out.size == 1 else out.sum()), args

    out, leaves = call(True)
    out.backward()

    worst = None
    for i, a in enumerate(arrays):
        if a is None:
            continue
        analytic = leaves[i].grad if leaves[i].grad is not None else np.zeros_like(a)
        for j in np.ndindex(a.shape):
            x0 = a[j]
            a[j] = x0 + eps
            with no_grad():
                up = call(False)[0].item()
            a[j] = x0 - eps
            with no_grad():
                down = call(False)[0].item()
            a[j] = x0
            numeric = (up - down) / (2 * eps)
            excess = abs(analytic[j] - numeric) - (atol + rtol * abs(numeric))
            if worst is None or not excess <= worst[0]:
                worst = (excess, i, j, analytic[j], numeric)
    if worst is None:
        raise ValueError("gradcheck: no Tensor input to check")
    excess, i, j, got, numeric = worst
    if not excess <= 0:  # also catches NaN
        raise GradcheckError(
            f"gradcheck: gradient of input {i} at element {j} (value {arrays[i][j]}) is {got} "
            f"by backward but {numeric} by finite differences (|difference| "
            f"{abs(got - numeric):.3g} > atol {atol} + rtol {rtol} * |numeric|)"
        )
    return True
