"""`Value`: a scalar node of the computation graph, and its gates.

Every gate below computes its output and records, right beside it, the local gradient of
the output with respect to each input (a plain number). Backward is then the slides' rule
for every node: parent.grad += local_gradient * node.grad. There are no closures: the local
gradients are numbers stored on the node, which is also what `viz` prints on the wires.

Primitive gates: add, mul, max, exp, log, reciprocal, pow (number exponent), tanh, sigmoid
(fused), relu. Subtraction, negation and division are compositions of them, so a graph shows
the gates the lecture draws: a - b = a + b*(-1) and a / b = a * (1/b). A plain number on one
side is folded into the gate (x + 1 becomes one "+1" gate, as on the slides).

Every gate ends in the one node maker, `new_node`; a learner's own gate (`gradtrace.gate`,
custom_gates.py) does too. Also here: the n-ary sum `vsum`, the fused `linear` gate, the
stable `logsumexp` / `log_softmax` / `softmax` of one row of Values, and `rerun`, which
re-runs any Value gate on other input numbers (for a gate checker).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from numbers import Real
from operator import mul

from .engine import backward, topological_order
from .grad_mode import is_recording

Number = int | float


class Value:
    """A scalar in the graph: `data` (forward value), `grad` (d root / d this, 0.0 until
    backward), `op` (the gate that made it, "" for a leaf), `parents` (its inputs, in operand
    order) and `local_grads` (d this / d parent for each parent, recorded at forward time)."""

    # `_call` is set only on a node made by a learner's `gate`: (the gate, its inputs), so a
    # gate checker can re-run it (see `rerun`). Built-in gates leave it unset, at no cost.
    __slots__ = ("data", "grad", "op", "parents", "local_grads", "label", "_call")

    def __init__(self, data: Number, label: str = "") -> None:
        if type(data) is float:  # the common case first: isinstance(x, Real) is slow
            pass
        elif isinstance(data, Value):
            data = data.data
        elif not isinstance(data, Real):
            raise TypeError(
                f"Value(data): data must be a real number, got {type(data).__name__} {data!r}"
            )
        if not isinstance(label, str):
            raise TypeError(
                f"Value(label=...): label must be a str, got {type(label).__name__} {label!r}"
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
            return new_node(self.data + other.data, "+", (self, other), _ONE_ONE)
        c = _constant(other, "+")
        return new_node(self.data + c, _fmt("+", c), (self,), _ONE)

    def __mul__(self, other: Value | Number) -> Value:
        """mul gate: f = a * b; df/da = b, df/db = a (the switcher)."""
        if type(other) is Value:
            return new_node(self.data * other.data, "*", (self, other), (other.data, self.data))
        c = _constant(other, "*")
        return new_node(self.data * c, _fmt("*", c), (self,), (c,))

    def max(self, other: Value | Number) -> Value:
        """max gate: f = max(a, b); the whole gradient goes to the larger input (the router).

        On a tie the first operand (self) gets it, so max(x, x) gives x gradient 1, not 2.
        A NaN wins: f is NaN, as torch.maximum, and the NaN input gets the gradient (the first
        if both are; torch gives it to both, a convention where no derivative exists)."""
        a = self.data
        if type(other) is Value:
            if a >= other.data or a != a:
                return new_node(a, "max", (self, other), _ONE_ZERO)
            return new_node(other.data, "max", (self, other), _ZERO_ONE)
        c = _constant(other, "max")
        if a >= c or a != a:
            return new_node(a, _fmt("max ", c), (self,), _ONE)
        return new_node(c, _fmt("max ", c), (self,), _ZERO)

    def __pow__(self, exponent: Number) -> Value:
        """pow gate (number exponent): f = x**n; df/dx = n * x**(n-1), and 0 for n = 0 (f = 1
        is constant, even at x = 0 or NaN, as torch). A result or gradient beyond the largest
        float (1.8e308) is an OverflowError naming the gate and the input, as the exp gate's
        (torch gives inf); x ** 2 is x * x, which, like the mul gate, gives inf."""
        if isinstance(exponent, Value):
            raise TypeError("pow gate: the exponent must be a plain number, not a Value")
        n = _constant(exponent, "**")
        x = self.data
        if n == 2.0:  # the square, by far the most common power, without calling pow()
            return new_node(x * x, "**2", (self,), (2.0 * x,))
        if x < 0 and not n.is_integer():
            raise ValueError(f"pow gate: negative input {x} to a non-integer power {n:g}")
        if x == 0 and n < 0:
            raise ZeroDivisionError(f"pow gate: input 0.0 to a negative power {n:g}")
        try:
            out = x**n
        except OverflowError:
            raise OverflowError(
                f"pow gate: {x:g} ** {n:g} is too large for a float (beyond 1.8e308)"
            ) from None
        if n == 0:
            local = 0.0
        elif x == 0 and n < 1:
            local = math.inf
        else:
            try:
                local = n * x ** (n - 1)
            except OverflowError:
                raise OverflowError(
                    f"pow gate: the gradient of {x:g} ** {n:g}, {n:g} * {x:g} ** {n - 1:g}, is "
                    f"too large for a float (beyond 1.8e308)"
                ) from None
        return new_node(out, _fmt("**", n), (self,), (local,))

    # ------------------------------------------------------------------ gates: unary
    def exp(self) -> Value:
        """exp gate: f = e**x; df/dx = e**x."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp gate: input {self.data} overflows (e**x > 1.8e308)") from None
        return new_node(out, "exp", (self,), (out,))

    def log(self) -> Value:
        """log gate: f = ln(x); df/dx = 1/x. A zero or negative input is a ValueError (torch
        gives -inf or NaN); a NaN input is no domain error: it propagates, as in torch."""
        x = self.data
        if not x > 0:
            if x != x:
                return new_node(x, "log", (self,), (x,))
            raise ValueError(f"log gate: input {x} is not positive")
        return new_node(math.log(x), "log", (self,), (1.0 / x,))

    def reciprocal(self) -> Value:
        """reciprocal gate: f = 1/x; df/dx = -1/x**2."""
        x = self.data
        if x == 0:
            raise ZeroDivisionError(f"reciprocal gate: input {x} has no reciprocal")
        return new_node(1.0 / x, "1/x", (self,), (-1.0 / (x * x),))

    def tanh(self) -> Value:
        """tanh gate: f = tanh(x); df/dx = 1 - tanh(x)**2 (stable for any x)."""
        t = math.tanh(self.data)
        return new_node(t, "tanh", (self,), (1.0 - t * t,))

    def sigmoid(self) -> Value:
        """fused sigmoid gate: f = 1/(1+e**-x); df/dx = f(1-f). Stable at +-1000."""
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return new_node(s, "sigmoid", (self,), (s * (1.0 - s),))

    def relu(self) -> Value:
        """relu gate: f = max(0, x); df/dx = 1 if x > 0 else 0 (so relu'(0) = 0). NaN passes
        through with gradient 1, as in PyTorch (and the Tensor engine's value)."""
        x = self.data
        if x > 0 or x != x:
            return new_node(x, "relu", (self,), _ONE)
        return new_node(0.0, "relu", (self,), _ZERO)

    # ------------------------------------------------------------------ compositions
    def __neg__(self) -> Value:
        """-x is the gate "*-1" (local gradient -1), as drawn on the slides."""
        return self * -1.0

    def __sub__(self, other: Value | Number) -> Value:
        """a - b = a + b*(-1); a - c for a number c is one "-c" gate."""
        if type(other) is Value:
            return self + (-other)
        c = _constant(other, "-")
        return new_node(self.data - c, _fmt("-", c), (self,), _ONE)

    def __truediv__(self, other: Value | Number) -> Value:
        """a / b = a * (1/b); a / c for a number c is one "/c" gate (local gradient 1/c)."""
        if type(other) is Value:
            return self * other.reciprocal()
        c = _constant(other, "/")
        if c == 0:
            raise ZeroDivisionError(f"div gate: {self.data} divided by the number 0")
        return new_node(self.data / c, _fmt("/", c), (self,), (1.0 / c,))

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
    def backward(self) -> list[Value]:
        """Set this node's gradient to 1 and fill `grad` of every node it depends on. Returns
        the nodes in the order the engine processed them (`topological_order`).

        Gradients add up where a value is used twice, and, as in PyTorch, leaves keep adding
        across calls: call `zero_grad()` (or set `grad = 0.0`) before a fresh pass. Inner
        nodes are recomputed from zero on every pass. A Value computed under no_grad() has
        no graph to go back through: that is an error, as for a Tensor and in PyTorch."""
        if self.local_grads is UNTRACKED:
            raise RuntimeError(
                f"backward: this Value ({self.data:g}) was computed under no_grad(), so it "
                "records no inputs and no gradient can reach them; compute it outside no_grad()"
            )
        return backward(self, 1.0)

    def zero_grad(self) -> None:
        """Set `grad` to 0.0 on this node and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0

    # ------------------------------------------------------------------ micrograd's names
    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for the inputs, as its set (`parents` keeps operand order)."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """micrograd's name for the gate's name (`op`)."""
        return self.op

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


class _Untracked(tuple):
    """The local gradients of a node made under no_grad(): none, like a leaf's (), but
    recognisable, so that backward() from it is refused."""


UNTRACKED = _Untracked()


# ---------------------------------------------------------------------- the node maker
def new_node(data: float, op: str, parents: tuple, local_grads: tuple) -> Value:
    """The output node of a gate: its value, the gate's name, its inputs (the Values among
    them) and d out / d input for each. Every Value gate ends here. Under no_grad() the node
    records no parents, so it is a leaf.

    The one place where speed shaped the code: a node is made without running __init__
    (object.__new__ and six plain stores), about 2x as fast as Value(data) and then setting
    the graph fields, and grad mode is read with one C call (`is_recording`)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if is_recording():
        out.op = op
        out.parents = parents
        out.local_grads = local_grads
    else:
        out.op, out.parents, out.local_grads = "", (), UNTRACKED
    return out


def vsum(values: Iterable[Value | Number]) -> Value:
    """n-ary add gate: one "+" node with every input as a parent, each with local gradient 1.

    Summing n values this way makes one node instead of a chain of n - 1 adds, so a neuron
    with many inputs draws as one sum and stays shallow. The sum is exact (math.fsum) unless
    it meets inf - inf (NaN) or overflows on the way (inf): then it is the add gate's
    left-to-right float sum, as torch."""
    terms = tuple(values)
    for t in terms:
        if type(t) is not Value:
            terms = tuple(v if type(v) is Value else Value(v) for v in terms)
            break
    if not terms:
        return Value(0.0)
    n = len(terms)
    ones = _ONES[n] if n < len(_ONES) else (1.0,) * n
    data = [t.data for t in terms]
    try:
        total = math.fsum(data)
    except (ValueError, OverflowError):  # fsum's "-inf + inf" and "intermediate overflow"
        total = sum(data)
    return new_node(total, "+", terms, ones)


def linear(
    input: Sequence[Value | Number], weight: Sequence[Value], bias: Value | None = None
) -> Value:
    """fused linear gate: f = w_0 x_0 + ... + w_(n-1) x_(n-1) + b, one node for a neuron
    (PyTorch's F.linear(input, weight, bias) for one row and one output).

    Local gradients: df/dw_i = x_i, df/dx_i = w_i, df/db = 1 (the mul gate's switch and the
    add gate's 1, recorded together). It gives the same gradients as n mul gates and a sum,
    with one node instead of n + 1. Its parents are the weights, then the inputs that are
    Values, then the bias; inputs that are plain numbers are folded in (no edge)."""
    inputs = input
    weights = tuple(weight)
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
    node = new_node(out, "linear", parents, local)
    if node.parents:  # what `rerun` needs: the numbers folded in are not parents
        node._call = (linear, (tuple(inputs), weights, bias))
    return node


_JUST_VALUES = frozenset([Value])


def logsumexp(row: Iterable[Value | Number]) -> Value:
    """ln sum e**x_i over one row of Values, stable for any finite x: m + ln sum e**(x_i - m)
    with m the largest x_i, a plain number (the result does not depend on it), so e**1000
    never appears. Built from gates ("-m", exp, the n-ary +, log, "+m"), so a picture shows
    the lecture's formula. (The Tensor gates' version is tensor_gates._stable_exp.)"""
    row = [v if type(v) is Value else Value(v) for v in row]
    if not row:
        raise ValueError("logsumexp: the row is empty")
    m = max(v.data for v in row)
    return vsum([(v - m).exp() for v in row]).log() + m


def log_softmax(row: Iterable[Value | Number]) -> list[Value]:
    """x_i - ln sum e**x_j for each x_i of one row of Values (stable: see `logsumexp`)."""
    row = [v if type(v) is Value else Value(v) for v in row]
    minus_lse = -logsumexp(row)  # negated once per row, not once per element
    return [v + minus_lse for v in row]


def softmax(row: Iterable[Value | Number]) -> list[Value]:
    """e**x_i / sum e**x_j for each x_i of one row of Values, from x - max(x) (stable)."""
    row = [v if type(v) is Value else Value(v) for v in row]
    if not row:
        raise ValueError("softmax: the row is empty")
    m = max(v.data for v in row)
    e = [(v - m).exp() for v in row]
    inverse = vsum(e).reciprocal()
    return [x * inverse for x in e]


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


# ---------------------------------------------------------------------- re-running a gate
_BUILTIN_GATES = {  # op -> the gate's forward on the parents' numbers, for `rerun`
    "+": lambda *xs: math.fsum(xs),
    "*": operator.mul,
    "max": lambda a, b: max(a, b),
    "exp": math.exp,
    "log": math.log,
    "1/x": lambda x: 1.0 / x,
    "tanh": math.tanh,
    "sigmoid": lambda x: Value(x).sigmoid().data,
    "relu": lambda x: max(x, 0.0),
}
_FOLDED_GATES = {  # symbol -> the gate with a number c folded in
    "max ": lambda x, c: max(x, c),
    "**": lambda x, c: x**c,
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


def rerun(node: Value, parents: Sequence[float]) -> float:
    """The value `node`'s gate gives when its parents hold the numbers `parents` instead
    (numbers folded into the gate stay as they were): what a gate checker nudges, one input
    at a time, to compare with the recorded `local_grads`. Never reads `local_grads`.

    A learner's gate re-runs its own function (`_call`). A built-in gate is found by its op;
    a number folded into it ("+1", "*0.5", "**3") is read back from the op name, six
    significant digits as drawn: exact enough for a finite-difference check, whose tolerance
    is far coarser."""
    if len(parents) != len(node.parents):
        raise ValueError(
            f"rerun: the {node.op!r} gate has {len(node.parents)} inputs, "
            f"got {len(parents)} numbers"
        )
    call = getattr(node, "_call", None)
    if call is not None and call[0] is linear:
        return _rerun_linear(*call[1], parents)
    if call is not None:
        gate, inputs = call
        values = iter(parents)
        xs = [next(values) if type(x) is Value else float(x) for x in inputs]
        return float(gate.forward(*xs)[0])
    op = node.op
    forward = _BUILTIN_GATES.get(op)
    if forward is not None:
        return float(forward(*parents))
    for symbol, folded in _FOLDED_GATES.items():
        if op.startswith(symbol):
            return float(folded(parents[0], float(op[len(symbol) :])))
    raise ValueError(f"rerun: no gate is known by the op {op!r}")


def _rerun_linear(inputs: tuple, weights: tuple, bias: Value | None, parents: Sequence[float]):
    """The linear gate's w.x + b with new numbers for its parents: the weights, the inputs
    that are Values, then the bias (the order of `linear`'s parents)."""
    values = iter(parents)
    w = [next(values) for _ in weights]
    x = [next(values) if type(v) is Value else float(v) for v in inputs]
    return sum(map(mul, w, x)) + (next(values) if bias is not None else 0.0)
