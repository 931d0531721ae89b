"""Anomaly mode: find the first gate that turns finite numbers into NaN or inf.

Off by default, so ordinary gates pay nothing for it. Inside `detect_anomaly()` every Tensor
gate records where it was called from (the first line of code outside `autograd/`), checks
its output in the forward pass and its gradients in the backward pass, and raises
`AnomalyError` at the first NaN or inf, naming the gate and that line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))


class AnomalyError(FloatingPointError):
    """A gate produced NaN or inf while anomaly mode was on."""


class _AnomalyMode:
    """The anomaly switch (off unless inside `detect_anomaly()`)."""

    enabled = False


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this block, raise at the first Tensor gate whose output or gradient is NaN/inf."""
    previous = _AnomalyMode.enabled
    _AnomalyMode.enabled = True
    try:
        yield
    finally:
        _AnomalyMode.enabled = previous


def creation_site() -> str:
    """'file:line in function' of the innermost caller outside the autograd package."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _HERE:
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


def _describe(a: np.ndarray) -> str:
    nan, inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
    parts = [f"{nan} NaN"] * bool(nan) + [f"{inf} inf"] * bool(inf)
    return " and ".join(parts) + f" among {a.size} element" + "s" * (a.size != 1)


def check_forward(op: str, out: np.ndarray, inputs: list[np.ndarray], site: str) -> None:
    """Raise if the output of gate `op` is not finite."""
    if np.isfinite(out).all():
        return
    bad_inputs = [i for i, x in enumerate(inputs) if not np.isfinite(x).all()]
    note = (
        f" (input {', '.join(map(str, bad_inputs))} already held NaN or inf)"
        if bad_inputs
        else " from finite inputs"
    )
    raise AnomalyError(
        f"anomaly: the {op!r} gate produced {_describe(out)}{note}; "
        f"the tensor was created at {site}"
    )


def check_backward(op: str, i: int, grad: np.ndarray, site: str) -> None:
    """Raise if the gradient gate `op` hands to its input `i` is not finite."""
    if np.isfinite(grad).all():
        return
    raise AnomalyError(
        f"anomaly: the backward of the {op!r} gate produced {_describe(grad)} in the gradient "
        f"of its input {i}; the gate's output tensor was created at {site}"
    )
