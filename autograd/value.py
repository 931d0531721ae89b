"""`Value`: a scalar node of the computation graph, and its gates.

Every gate below computes its output and records, right beside it, the local gradient of
the output with respect to each input (a plain number). Backward is then the slides' rule
for every node: parent.grad += local_gradient * node.grad. There are no closures: the local
gradients are numbers stored on the node, which is also what `viz` prints on the wires.

Primitive gates: add, mul, max, exp, log, reciprocal, pow (number exponent), tanh, sigmoid
(fused), relu. Subtraction, negation and division are compositions of them, so a graph shows
the gates the lecture draws: a - b = a + b*(-1) and a / b = a * (1/b). A plain number on one
side is folded into the gate (x + 1 becomes one "+1" gate, as on the slides).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Real
from operator import mul

from .engine import _GradMode, backward, topological_order

Number = int | float


class Value:
    """A scalar in the graph: `data` (forward value), `grad` (d root / d this, 0.0 until
    backward), `op` (the gate that made it, "" for a leaf), `parents` (its inputs, in operand
    order) and `local_grads` (d this / d parent for each parent, recorded at forward time)."""

    __slots__ = ("data", "grad", "op", "parents", "local_grads", "label")

    # Tells the engine that `_backward` below is exactly "parent.grad += local * self.grad",
    # so it may run that line inline (see engine._scalar_pass).
    _scalar_rule = True

    def __init__(self, data: Number, label: str = "") -> None:
        if type(data) is float:  # the common case first: isinstance(x, Real) is slow
            pass
        elif isinstance(data, Value):
            data = data.data
        elif not isinstance(data, Real):
            raise TypeError(
                f"Value(data): data must be a real number, got {type(data).__name__} {data!r}"
            )
        self.data = float(data)
        self.grad = 0.0
        self.op = ""
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self.label = label

    # ------------------------------------------------------------------ gates: binary
    def __add__(self, other: Value | Number) -> Value:
        """add gate: f = a + b; df/da = 1, df/db = 1 (the distributor)."""
        if type(other) is Value:
            return _binary(self.data + other.data, "+", self, other, _ONE_ONE)
        c = _constant(other, "+")
        return _unary(self.data + c, _fmt("+", c), self, _ONE)

    def __mul__(self, other: Value | Number) -> Value:
        """mul gate: f = a * b; df/da = b, df/db = a (the switcher)."""
        if type(other) is Value:
            return _binary(self.data * other.data, "*", self, other, (other.data, self.data))
        c = _constant(other, "*")
        return _unary(self.data * c, _fmt("*", c), self, (c,))

    def max(self, other: Value | Number) -> Value:
        """max gate: f = max(a, b); the whole gradient goes to the larger input (the router).

        On a tie the first operand (self) gets it, so max(x, x) gives x gradient 1, not 2."""
        if type(other) is Value:
            if self.data >= other.data:
                return _binary(self.data, "max", self, other, _ONE_ZERO)
            return _binary(other.data, "max", self, other, _ZERO_ONE)
        c = _constant(other, "max")
        if self.data >= c:
            return _unary(self.data, _fmt("max ", c), self, _ONE)
        return _unary(c, _fmt("max ", c), self, _ZERO)

    def __pow__(self, exponent: Number) -> Value:
        """pow gate (number exponent): f = x**n; df/dx = n * x**(n-1)."""
        if isinstance(exponent, Value):
            raise TypeError("pow gate: the exponent must be a plain number, not a Value")
        n = _constant(exponent, "**")
        x = self.data
        if n == 2.0:  # the square, by far the most common power, without calling pow()
            return _unary(x * x, "**2", self, (2.0 * x,))
        if x < 0 and not n.is_integer():
            raise ValueError(f"pow gate: negative input {x} to a non-integer power {n:g}")
        if x == 0 and n < 0:
            raise ZeroDivisionError(f"pow gate: input 0.0 to a negative power {n:g}")
        if x == 0 and n < 1:
            local = 0.0 if n == 0 else math.inf
        else:
            local = n * x ** (n - 1)
        return _unary(x**n, _fmt("**", n), self, (local,))

    # ------------------------------------------------------------------ gates: unary
    def exp(self) -> Value:
        """exp gate: f = e**x; df/dx = e**x."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp gate: input {self.data} overflows (e**x > 1.8e308)") from None
        return _unary(out, "exp", self, (out,))

    def log(self) -> Value:
        """log gate: f = ln(x); df/dx = 1/x."""
        x = self.data
        if not x > 0:
            raise ValueError(f"log gate: input {x} is not positive")
        return _unary(math.log(x), "log", self, (1.0 / x,))

    def reciprocal(self) -> Value:
        """reciprocal gate: f = 1/x; df/dx = -1/x**2."""
        x = self.data
        if x == 0:
            raise ZeroDivisionError(f"reciprocal gate: input {x} has no reciprocal")
        return _unary(1.0 / x, "1/x", self, (-1.0 / (x * x),))

    def tanh(self) -> Value:
        """tanh gate: f = tanh(x); df/dx = 1 - tanh(x)**2 (stable for any x)."""
        t = math.tanh(self.data)
        return _unary(t, "tanh", self, (1.0 - t * t,))

    def sigmoid(self) -> Value:
        """fused sigmoid gate: f = 1/(1+e**-x); df/dx = f(1-f). Stable at +-1000."""
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _unary(s, "sigmoid", self, (s * (1.0 - s),))

    def relu(self) -> Value:
        """relu gate: f = max(0, x); df/dx = 1 if x > 0 else 0 (so relu'(0) = 0)."""
        x = self.data
        if x > 0:
            return _unary(x, "relu", self, _ONE)
        return _unary(0.0, "relu", self, _ZERO)

    # ------------------------------------------------------------------ compositions
    def __neg__(self) -> Value:
        """-x is the gate "*-1" (local gradient -1), as drawn on the slides."""
        return self * -1.0

    def __sub__(self, other: Value | Number) -> Value:
        """a - b = a + b*(-1); a - c for a number c is one "-c" gate."""
        if type(other) is Value:
            return self + (-other)
        c = _constant(other, "-")
        return _unary(self.data - c, _fmt("-", c), self, _ONE)

    def __truediv__(self, other: Value | Number) -> Value:
        """a / b = a * (1/b); a / c for a number c is one "/c" gate (local gradient 1/c)."""
        if type(other) is Value:
            return self * other.reciprocal()
        c = _constant(other, "/")
        if c == 0:
            raise ZeroDivisionError(f"div gate: {self.data} divided by the number 0")
        return _unary(self.data / c, _fmt("/", c), self, (1.0 / c,))

    def __radd__(self, other: Number) -> Value:
        return self + other

    def __rmul__(self, other: Number) -> Value:
        return self * other

    def __rsub__(self, other: Number) -> Value:
        """c - x = (-x) + c."""
        return (-self) + other

    def __rtruediv__(self, other: Number) -> Value:
        """c / x = (1/x) * c; 1 / x is just the "1/x" gate."""
        if type(other) in (int, float) and other == 1:
            return self.reciprocal()
        return self.reciprocal() * other

    # ------------------------------------------------------------------ backward
    def backward(self) -> None:
        """Set this node's gradient to 1 and fill `grad` of every node it depends on.

        Gradients add up where a value is used twice, and, as in PyTorch, leaves keep adding
        across calls: call `zero_grad()` (or set `grad = 0.0`) before a fresh pass. Inner
        nodes are recomputed from zero on every pass."""
        backward(self, 1.0)

    def zero_grad(self) -> None:
        """Set `grad` to 0.0 on this node and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0

    def _reset_grad(self) -> None:
        self.grad = 0.0

    def _accumulate(self, grad: float) -> None:
        self.grad += grad

    def _backward(self) -> None:
        """Hand this node's gradient to its parents: local gradient x upstream gradient."""
        upstream = self.grad
        for parent, local in zip(self.parents, self.local_grads, strict=False):
            parent.grad += local * upstream

    # ------------------------------------------------------------------ conveniences
    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        name = f"label={self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"


_ONE = (1.0,)
_ZERO = (0.0,)
_ONE_ONE = (1.0, 1.0)
_ONE_ZERO = (1.0, 0.0)
_ZERO_ONE = (0.0, 1.0)
_ONES = [(1.0,) * n for n in range(257)]  # local gradients of an n-ary sum, made once
_new = object.__new__


# ---------------------------------------------------------------------- node makers
# Every gate ends by calling one of these three. They are the one place where speed shaped
# the code: a node is made without running __init__ (object.__new__ and six plain stores),
# and the one- and two-input makers build their parents tuple directly. Under no_grad() the
# new node records no parents, so it is a leaf.


def _unary(data: float, op: str, parent: Value, local_grads: tuple) -> Value:
    """The output node of a one-input gate; `local_grads` is (d out / d parent,)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _GradMode.enabled:
        out.op = op
        out.parents = (parent,)
        out.local_grads = local_grads
    else:
        out.op, out.parents, out.local_grads = "", (), ()
    return out


def _binary(data: float, op: str, a: Value, b: Value, local_grads: tuple) -> Value:
    """The output node of a two-input gate; `local_grads` is (d out / d a, d out / d b)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _GradMode.enabled:
        out.op = op
        out.parents = (a, b)
        out.local_grads = local_grads
    else:
        out.op, out.parents, out.local_grads = "", (), ()
    return out


def _node(data: float, op: str, parents: tuple, local_grads: tuple) -> Value:
    """The output node of a gate with any number of inputs (the n-ary sum, linear)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _GradMode.enabled:
        out.op = op
        out.parents = parents
        out.local_grads = local_grads
    else:
        out.op, out.parents, out.local_grads = "", (), ()
    return out


def vsum(values: Iterable[Value | Number]) -> Value:
    """n-ary add gate: one "+" node with every input as a parent, each with local gradient 1.

    Summing n values this way makes one node instead of a chain of n - 1 adds, so a neuron
    with many inputs draws as one sum and stays shallow."""
    terms = tuple(values)
    for t in terms:
        if type(t) is not Value:
            terms = tuple(v if type(v) is Value else Value(v) for v in terms)
            break
    if not terms:
        return Value(0.0)
    n = len(terms)
    ones = _ONES[n] if n < len(_ONES) else (1.0,) * n
    return _node(math.fsum([t.data for t in terms]), "+", terms, ones)


def linear(
    weights: Sequence[Value], inputs: Sequence[Value | Number], bias: Value | None = None
) -> Value:
    """fused linear gate: f = w_0 x_0 + ... + w_(n-1) x_(n-1) + b, one node for a neuron.

    Local gradients: df/dw_i = x_i, df/dx_i = w_i, df/db = 1 (the mul gate's switch and the
    add gate's 1, recorded together). It gives the same gradients as n mul gates and a sum,
    with one node instead of n + 1. Inputs that are plain numbers are folded in (no edge)."""
    weights = tuple(weights)
    n = len(weights)
    if len(inputs) != n:
        raise ValueError(f"linear gate: {n} weights but {len(inputs)} inputs")
    w_data = [w.data for w in weights]
    kinds = set(map(type, inputs))
    if kinds == _JUST_VALUES:  # all Values, e.g. a hidden layer
        x_data = [x.data for x in inputs]
        parents, local = (*weights, *inputs), (*x_data, *w_data)
    elif Value not in kinds:  # all plain numbers, e.g. a first layer fed with data
        x_data = [x if type(x) is float else _constant(x, "linear") for x in inputs]
        parents, local = weights, tuple(x_data)
    else:  # a mix: only the Values among the inputs become parents
        x_data = [x.data if type(x) is Value else _constant(x, "linear") for x in inputs]
        is_value = [type(x) is Value for x in inputs]
        parents = weights + tuple(x for x in inputs if type(x) is Value)
        local = tuple(x_data) + tuple(w for w, v in zip(w_data, is_value, strict=True) if v)
    out = sum(map(mul, w_data, x_data))
    if bias is not None:
        out += bias.data
        parents, local = (*parents, bias), (*local, 1.0)
    if not parents:
        return Value(out)
    return _node(out, "linear", parents, local)


_JUST_VALUES = frozenset([Value])


def _constant(other: object, gate: str) -> float:
    """A plain number on one side of a gate; anything else is a TypeError naming the gate."""
    if type(other) is float:  # the common cases first: isinstance(x, Real) is slow
        return other
    if type(other) is int:
        return float(other)
    if isinstance(other, Real):
        return float(other)
    raise TypeError(
        f"{gate} gate: operand must be a Value or a real number, got {type(other).__name__}"
    )


def _fmt(symbol: str, c: float) -> str:
    """The op name of a gate with a folded constant, e.g. "+1", "*-1", "**2"."""
    name = _OP_NAMES[symbol].get(c)
    return f"{symbol}{c:g}" if name is None else name


# The op names with the constants that come up all the time ("*-1", "**2", "+1"), formatted
# once here, because formatting a float is slower than the rest of a gate put together.
_COMMON_CONSTANTS = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0)
_OP_NAMES = {
    symbol: {c: f"{symbol}{c:g}" for c in _COMMON_CONSTANTS}
    for symbol in ("+", "-", "*", "/", "**", "max ")
}
