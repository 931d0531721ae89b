"""micrograd's op names and the local gradients they stand for.

A micrograd-style node records only its inputs (`_prev`, often a set) and a name (`_op`: "+",
"*", "**2", "ReLU", "tanh", "exp"); its gradient rule hides in a closure. To draw or step such a
node like gradtrace's own (`gradtrace.viz.adapt`), or to build one from micrograd's
`Value(data, _children, _op)` (`gradtrace.micrograd`), the local gradients are worked out here
from the op name and the recorded numbers, by gradtrace's gate rules: the right ones, whatever
the learner's closure does, so a picture can set the learner's numbers beside them.

Why from the name and not numerically: a finite difference needs the gate's forward function,
and a micrograd node keeps only its output number, never the function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

Locals = tuple[float, ...]


def _pow(xs: Sequence[float], out: float, n: float) -> Locals:
    x = xs[0]
    return (0.0 if n == 0 else n * x ** (n - 1),)


# name (lower case) -> local gradients from (input numbers, output number); two-input rules
# take (a, b) in operand order.
_UNARY: dict[str, Callable[[float, float], float]] = {
    "relu": lambda x, out: 1.0 if out > 0 else 0.0,
    "tanh": lambda x, out: 1.0 - out * out,
    "exp": lambda x, out: out,
    "log": lambda x, out: 1.0 / x,
    "sigmoid": lambda x, out: out * (1.0 - out),
    "neg": lambda x, out: -1.0,
}
_BINARY: dict[str, Callable[[float, float], Locals]] = {
    "+": lambda a, b: (1.0, 1.0),
    "*": lambda a, b: (b, a),
    "-": lambda a, b: (1.0, -1.0),
    "/": lambda a, b: (1.0 / b, -a / (b * b)),
}
_FORWARD: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "*": lambda a, b: a * b,
    "-": lambda a, b: a - b,
    "/": lambda a, b: a / b if b else math.nan,
}
_ALIASES = {"add": "+", "mul": "*", "sub": "-", "div": "/", "truediv": "/", "-x": "neg"}


def canonical(op: str) -> str:
    """The rule's name for a micrograd op: "ReLU" -> "relu", "add" -> "+", "**3" -> "**"."""
    name = op.strip().lower()
    if name.startswith("**") or name == "pow":
        return "**"
    return _ALIASES.get(name, name)


def exponent(op: str) -> float | None:
    """The number in a micrograd power op ("**2" -> 2.0, "**-1" -> -1.0), or None."""
    try:
        return float(op.strip()[2:])
    except ValueError:
        return None


def local_grads(op: str, xs: Sequence[float], out: float) -> Locals | None:
    """d out / d input for each input of a micrograd node with op `op`, inputs `xs` (in
    operand order) and output `out`; None when the op is not one micrograd-style engines use.

    A two-input op with one input given (micrograd keeps `a + a` as the set {a}) gets the sum
    of both wires: a + a -> 2, a * a -> 2a, a - a -> 0, a / a -> 0."""
    name = canonical(op)
    if name == "**":
        n = exponent(op)
        return None if n is None or len(xs) != 1 else _pow(xs, out, n)
    if name in _UNARY and len(xs) == 1:
        return (_UNARY[name](xs[0], out),)
    if name not in _BINARY:
        return None
    if len(xs) == 2:
        return _BINARY[name](*xs)
    if len(xs) == 1:
        return (sum(_BINARY[name](xs[0], xs[0])),)
    if name in ("+", "*") and len(xs) > 2:  # an n-ary sum or product
        if name == "+":
            return (1.0,) * len(xs)
        return tuple(math.prod(x for j, x in enumerate(xs) if j != i) for i in range(len(xs)))
    return None


def operand_order(op: str, xs: Sequence[float], out: float) -> tuple[int, int] | None:
    """For a two-input op whose inputs came as a set (order lost): (0, 1) or (1, 0), the order
    whose forward gives `out` (a - b against b - a); None when the op does not care or both fit."""
    name = canonical(op)
    if name not in ("-", "/") or len(xs) != 2:
        return None
    a, b = xs
    fits = [
        math.isclose(_FORWARD[name](x, y), out, rel_tol=1e-9, abs_tol=1e-12)
        for x, y in ((a, b), (b, a))
    ]
    if fits == [False, True]:
        return (1, 0)
    return (0, 1) if fits == [True, False] else None
