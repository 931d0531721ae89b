"""`Value`: a scalar node of the computation graph, and its gates.

Every gate below computes its output and records, right beside it, the local gradient of
the output with respect to each input (a plain number). Backward is then the slides' rule
for every node: parent.grad += local_gradient * node.grad. There are no closures: the local
gradients are numbers stored on the node, which is also what `viz` prints on the wires.

Primitive gates: add, mul, max, exp, log, reciprocal, pow (number exponent), tanh, sigmoid
(fused), relu. Subtraction, negation and division are compositions of them, so a graph shows
the gates the lecture draws: a - b = a + b*(-1) and a / b = a * (1/b). A plain number on one
side is folded into the gate (x + 1 becomes one "+1" gate, as on the slides) and kept
exactly on the node (`settings`).

Every gate ends in the one node maker, `new_node`, which records the gate object itself
(`node.gate`: one of the `ValueGate` records at the bottom of this file, or a learner's own,
custom_gates.py). Also here: the n-ary sum `vsum` and the fused `linear` gate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from numbers import Real
from operator import mul
from typing import Any

from .engine import backward, topological_order
from .gates import Gate
from .grad_mode import enable_grad, is_recording

Number = int | float


class Value:
    """A scalar in the graph: `data` (forward value), `grad` (d root / d this, 0.0 until
    backward), `op` (the gate that made it, "" for a leaf), `parents` (its inputs, in operand
    order) and `local_grads` (d this / d parent for each parent, recorded at forward time)."""

    __slots__ = ("data", "grad", "parents", "local_grads", "label", "gate", "settings")

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
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self.label = label
        self.gate: Gate | None = None
        self.settings: Any = None

    @property
    def op(self) -> str:
        """The gate's name as a picture writes it ("*", "+1", "max 0.5"), "" for a leaf: read
        off the gate record (`gate`, `settings`), for display only."""
        gate = self.gate
        return "" if gate is None else gate.op(self)

    # ------------------------------------------------------------------ gates: binary
    def __add__(self, other: Value | Number) -> Value:
        """add gate: f = a + b; df/da = 1, df/db = 1 (the distributor)."""
        if type(other) is Value:
            return new_node(self.data + other.data, ADD, (self, other), _ONE_ONE)
        c = _constant(other, "+")
        return new_node(self.data + c, ADD, (self,), _ONE, c)

    def __mul__(self, other: Value | Number) -> Value:
        """mul gate: f = a * b; df/da = b, df/db = a (the switcher)."""
        if type(other) is Value:
            return new_node(self.data * other.data, MUL, (self, other), (other.data, self.data))
        c = _constant(other, "*")
        return new_node(self.data * c, MUL, (self,), (c,), c)

    def max(self, other: Value | Number) -> Value:
        """max gate: f = max(a, b); the whole gradient goes to the larger input (the router).

        On a tie the first operand (self) gets it, so max(x, x) gives x gradient 1, not 2.
        A NaN wins: f is NaN, as torch.maximum, and the NaN input gets the gradient (the first
        if both are; torch gives it to both, a convention where no derivative exists)."""
        a = self.data
        if type(other) is Value:
            if a >= other.data or a != a:
                return new_node(a, MAX, (self, other), _ONE_ZERO)
            return new_node(other.data, MAX, (self, other), _ZERO_ONE)
        c = _constant(other, "max")
        if a >= c or a != a:
            return new_node(a, MAX, (self,), _ONE, c)
        return new_node(c, MAX, (self,), _ZERO, c)

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
            return new_node(x * x, POW, (self,), (2.0 * x,), n)
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
        return new_node(out, POW, (self,), (local,), n)

    # ------------------------------------------------------------------ gates: unary
    def exp(self) -> Value:
        """exp gate: f = e**x; df/dx = e**x."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp gate: input {self.data} overflows (e**x > 1.8e308)") from None
        return new_node(out, EXP, (self,), (out,))

    def log(self) -> Value:
        """log gate: f = ln(x); df/dx = 1/x. A zero or negative input is a ValueError (torch
        gives -inf or NaN); a NaN input is no domain error: it propagates, as in torch."""
        x = self.data
        if not x > 0:
            if x != x:
                return new_node(x, LOG, (self,), (x,))
            raise ValueError(f"log gate: input {x} is not positive")
        return new_node(math.log(x), LOG, (self,), (1.0 / x,))

    def reciprocal(self) -> Value:
        """reciprocal gate: f = 1/x; df/dx = -1/x**2."""
        x = self.data
        if x == 0:
            raise ZeroDivisionError(f"reciprocal gate: input {x} has no reciprocal")
        return new_node(1.0 / x, RECIPROCAL, (self,), (-1.0 / (x * x),))

    def tanh(self) -> Value:
        """tanh gate: f = tanh(x); df/dx = 1 - tanh(x)**2 (stable for any x)."""
        t = math.tanh(self.data)
        return new_node(t, TANH, (self,), (1.0 - t * t,))

    def sigmoid(self) -> Value:
        """fused sigmoid gate: f = 1/(1+e**-x); df/dx = f(1-f). Stable at +-1000."""
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return new_node(s, SIGMOID, (self,), (s * (1.0 - s),))

    def relu(self) -> Value:
        """relu gate: f = max(0, x); df/dx = 1 if x > 0 else 0 (so relu'(0) = 0). NaN passes
        through with gradient 1, as in PyTorch (and the Tensor engine's value)."""
        x = self.data
        if x > 0 or x != x:
            return new_node(x, RELU, (self,), _ONE)
        return new_node(0.0, RELU, (self,), _ZERO)

    # ------------------------------------------------------------------ compositions
    def __neg__(self) -> Value:
        """-x is the gate "*-1" (local gradient -1), as drawn on the slides."""
        return self * -1.0

    def __sub__(self, other: Value | Number) -> Value:
        """a - b = a + b*(-1); a - c for a number c is one "-c" gate."""
        if type(other) is Value:
            return self + (-other)
        c = _constant(other, "-")
        return new_node(self.data - c, SUB, (self,), _ONE, c)

    def __truediv__(self, other: Value | Number) -> Value:
        """a / b = a * (1/b); a / c for a number c is one "/c" gate (local gradient 1/c)."""
        if type(other) is Value:
            return self * other.reciprocal()
        c = _constant(other, "/")
        if c == 0:
            raise ZeroDivisionError(f"div gate: {self.data} divided by the number 0")
        return new_node(self.data / c, DIV, (self,), (1.0 / c,), c)

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
def new_node(
    data: float, gate: Gate, parents: tuple, local_grads: tuple, settings: Any = None
) -> Value:
    """The output node of a gate: its value, the gate itself, its inputs (the Values among
    them), d out / d input for each, and what else the gate keeps exactly (a folded number).
    Every Value gate ends here. Under no_grad() the node records nothing: it is a leaf.

    The one place where speed shaped the code: a node is made without running __init__
    (object.__new__ and seven plain stores), about 2x as fast as Value(data) and then setting
    the graph fields, and grad mode is read with one C call (`is_recording`)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if is_recording():
        out.gate = gate
        out.parents = parents
        out.local_grads = local_grads
        out.settings = settings
    else:
        out.gate = out.settings = None
        out.parents, out.local_grads = (), UNTRACKED
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
    return new_node(total, SUM, terms, ones)


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
    # the inputs, numbers and Values, in order: the numbers folded in are no parents
    return new_node(out, LINEAR, parents, local, inputs if type(inputs) is tuple else tuple(inputs))


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


# ---------------------------------------------------------------------- the gate records
class ValueGate(Gate):
    """A built-in Value gate: the Value method that computes its output with the local
    gradients right beside it (micrograd's way: read `Value.__mul__` for the mul gate), and
    its formula. A number folded into the gate ("x * 1.5") is the node's `settings`, handed
    back to the method exactly as it was when the gate is re-run."""

    engine = "Value"

    def __init__(
        self, name: str, word: str, method: Callable[..., Value], formula: str, key: str = ""
    ) -> None:
        super().__init__(name, formula, word, builtin=True, key=key)
        self.method = method

    def forward(self, *xs: float, constant: float | None = None) -> tuple[float, tuple]:
        """(value, local gradients) of the gate on plain numbers (`constant`: a folded one)."""
        with enable_grad():
            out = self.method(*map(Value, xs), *(() if constant is None else (constant,)))
        return out.data, out.local_grads

    def rerun(self, node: Value, inputs: Sequence[float]) -> float:
        c = node.settings
        args = [Value(x) for x in inputs]
        return self.method(*args).data if c is None else self.method(*args, c).data

    def constant(self, node: Value) -> float | None:
        return node.settings

    def op(self, node: Value) -> str:
        c = node.settings
        if c is None:
            return self.name
        return f"{self.name} {c:g}" if self.name == "max" else f"{self.name}{c:g}"


class _SumGate(ValueGate):
    """The n-ary add gate (`vsum`): no folded number, any number of inputs."""

    def rerun(self, node: Value, inputs: Sequence[float]) -> float:
        return vsum(map(Value, inputs)).data

    def forward(self, *xs: float, constant: None = None) -> tuple[float, tuple]:
        with enable_grad():
            out = vsum(map(Value, xs))
        return out.data, out.local_grads


class _LinearGate(ValueGate):
    """The fused linear gate: `settings` holds its inputs in order, the numbers among them
    folded in (no parents); its parents are the weights, the Value inputs, then the bias."""

    def rerun(self, node: Value, inputs: Sequence[float]) -> float:
        xs = node.settings
        values = iter(inputs)
        w = [Value(next(values)) for _ in xs]
        x = [Value(next(values)) if type(v) is Value else v for v in xs]
        rest = [Value(b) for b in values]
        return linear(x, w, rest[0] if rest else None).data

    def forward(self, x: Sequence[float], w: Sequence[float], b: float | None = None):
        """(value, local gradients) of one neuron on plain numbers: inputs, weights, bias."""
        with enable_grad():
            bias = None if b is None else Value(b)
            out = linear(list(map(Value, x)), list(map(Value, w)), bias)
        return out.data, out.local_grads

    def constant(self, node: Value) -> None:
        return None

    def op(self, node: Value) -> str:
        return self.name


# One line per gate: its name as drawn, its word, the method that computes it beside its local
# gradients, and the local gradient as the lecture writes it.
ADD = ValueGate("+", "add", Value.__add__, "d/da = 1, d/db = 1 (the distributor)")
SUB = ValueGate("-", "sub", Value.__sub__, "d/dx = 1 (x - c, c a number)")
MUL = ValueGate("*", "mul", Value.__mul__, "d/da = b, d/db = a")
DIV = ValueGate("/", "div", Value.__truediv__, "d/dx = 1/c (x / c, c a number)")
MAX = ValueGate("max", "max", Value.max, "d/da = 1 if a ≥ b else 0, d/db = 1 if b > a else 0")
POW = ValueGate("**", "pow", Value.__pow__, "d/dx = n·xⁿ⁻¹")
EXP = ValueGate("exp", "exp", Value.exp, "d/dx = eˣ")
LOG = ValueGate("log", "log", Value.log, "d/dx = 1/x")
RECIPROCAL = ValueGate("1/x", "reciprocal", Value.reciprocal, "d/dx = −1/x²")
TANH = ValueGate("tanh", "tanh", Value.tanh, "1 − tanh²(z)")
SIGMOID = ValueGate("sigmoid", "sigmoid", Value.sigmoid, "σ(z)(1 − σ(z))")
RELU = ValueGate("relu", "relu", Value.relu, "d/dx = 1 if x > 0 else 0")
SUM = _SumGate("+", "add", vsum, "d/dxᵢ = 1 for every input", key="sum")
LINEAR = _LinearGate("linear", "linear", linear, "d/dwᵢ = xᵢ, d/dxᵢ = wᵢ, d/db = 1")
