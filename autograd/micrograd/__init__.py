"""micrograd's public API on gradtrace's engine: a course switches with one line.

    from gradtrace.micrograd import Value          # instead of: from micrograd.engine import Value
    from gradtrace.micrograd.nn import MLP         # instead of: from micrograd.nn import MLP

`Value(data, _children=(), _op='')` gives a gradtrace `Value`, so everything gradtrace does
(iterative backward, draw, explain, check_gates) works on it, and so does what micrograd
courses do: `_prev` (the inputs, a set), `_op`, `relu()`, `backward()`, `+ - * / **` with
numbers on either side. `isinstance(v, Value)` holds for every gradtrace Value.

Where the two differ, gradtrace's rule stands and is documented: a number is folded into its
gate (`a + 1` is one "+1" gate, not a "+" with a leaf 1), and a second `backward()` on the same
graph recomputes inner gradients instead of adding to them (micrograd issue #53).
Facts about micrograd (Andrej Karpathy, MIT) are from its public API; no code is copied.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import micrograd_ops
from .. import value as _engine

__all__ = ["Value"]


class _ValueType(type):
    """Calling `Value(...)` builds a gradtrace Value; any gradtrace Value is an instance."""

    def __call__(cls, data: Any, _children: Iterable[Any] = (), _op: str = "", label: str = ""):
        return make(data, tuple(_children), _op, label)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _engine.Value)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, _engine.Value)


class Value(metaclass=_ValueType):
    """micrograd's `Value(data, _children=(), _op='')`, made by gradtrace's engine.

    With `_children` (a learner building a node by hand, as micrograd's own gates do), the
    node's local gradients come from `_op` by gradtrace's rules ("+", "*", "**2", "ReLU",
    "tanh", "exp", ...): the engine then backpropagates through it like any of its gates."""


def make(data: Any, children: tuple, op: str, label: str = "") -> _engine.Value:
    """A gradtrace Value: a leaf, or a node over `children` whose gate is named `op`."""
    if not children:
        return _engine.Value(data, label)
    bad = [type(c).__name__ for c in children if not isinstance(c, _engine.Value)]
    if bad:
        raise TypeError(f"Value(data, _children, _op): children must be Values, got {bad}")
    node = _engine.Value(data, label)  # checks data is a number
    inputs = list(dict.fromkeys(children))  # a + a keeps one input, as micrograd's set does
    local = micrograd_ops.local_grads(op, [c.data for c in inputs], node.data)
    if local is None:
        raise ValueError(
            f"Value(data, _children, _op={op!r}): gradtrace works out a gate's local gradients "
            "from its op, and knows + * - / **n ReLU tanh exp log sigmoid neg; use one of "
            "those, or gradtrace.gate to define your own"
        )
    out = _engine.new_node(node.data, op, tuple(inputs), local)
    out.label = label
    return out
