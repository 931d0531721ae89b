"""`gate`: a learner's own gate, recorded, drawn and differentiated like a built-in one.

Scalar (Values): decorate a function of plain floats that returns the gate's value and its
local gradients, one per input. Calling the result on Values (numbers may be mixed in)
makes one node whose `op` is the gate's name and whose `local_grads` are those numbers:

    @gradtrace.gate("softplus")
    def softplus(x):
        s = math.log1p(math.exp(x))
        return s, (1 / (1 + math.exp(-x)),)      # d softplus / dx = sigmoid(x)

Tensor: the same decorator with a vector-Jacobian product `vjp(g, out, *inputs)` returning
one gradient per input (None for none); broadcasting is undone as for the built-in gates,
which are made the same way (`TensorGate`, tensor.py):

    @gradtrace.gate("softplus", vjp=lambda g, out, x: (g / (1 + np.exp(-x)),))
    def softplus(x):
        return np.logaddexp(0, x)

Mistakes are errors naming the gate: the wrong number of local gradients or of VJP results,
a local gradient that is not a finite number, a VJP result of the wrong shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

from .gates import Gate
from .tensor import Tensor, TensorGate
from .value import Value, new_node


class ScalarGate(Gate):
    """A Value gate made from `forward(*floats) -> (value, local_gradients)`. Its nodes keep
    the call's inputs in order (`settings`: Values and the numbers folded in)."""

    engine = "Value"

    def __init__(
        self, name: str, forward: Callable[..., Any], formula: str = "", builtin: bool = False
    ) -> None:
        super().__init__(name, formula, builtin=builtin)
        self.forward = forward
        self.__doc__ = forward.__doc__
        self.__wrapped__ = forward

    def rerun(self, node: Value, inputs: Sequence[float]) -> float:
        values = iter(inputs)
        xs = [next(values) if type(x) is Value else float(x) for x in node.settings]
        return float(self.forward(*xs)[0])

    def __call__(self, *inputs: Value | float) -> Value:
        """Run the gate on Values and numbers; record one node whose parents are the Values
        among `inputs` (numbers are folded in, as for the built-in gates)."""
        name = self.name
        xs = []
        for i, x in enumerate(inputs):
            if isinstance(x, Value):
                xs.append(x.data)
            elif isinstance(x, Real) and not isinstance(x, bool):
                xs.append(float(x))
            else:
                hint = " (a Tensor gate needs vjp=...)" if isinstance(x, Tensor) else ""
                raise TypeError(
                    f"{name} gate: input {i} must be a Value or a real number, got "
                    f"{type(x).__name__}{hint}"
                )
        value, local = _value_and_locals(name, self.forward(*xs), len(xs))
        for i, d in enumerate(local):
            if not math.isfinite(d):
                raise ValueError(
                    f"{name} gate: local gradient {i} (d {name} / d input {i}) is {d} at "
                    f"inputs {tuple(xs)}; it must be a finite number"
                )
        is_value = [isinstance(x, Value) for x in inputs]
        parents = tuple(x for x, v in zip(inputs, is_value, strict=True) if v)
        if not parents:
            return Value(value)
        kept = tuple(d for d, v in zip(local, is_value, strict=True) if v)
        return new_node(value, self, parents, kept, inputs)

    def __repr__(self) -> str:
        return f"<Value gate {self.name!r}>"


def _value_and_locals(name: str, result: Any, n: int) -> tuple[float, tuple[float, ...]]:
    """The (value, local gradients) a scalar gate's function returned, checked."""
    try:
        value, local = result
        local = tuple(local)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} gate: the function must return (value, local_gradients), a tuple with "
            f"one local gradient per input; got {result!r}"
        ) from None
    if len(local) != n:
        raise ValueError(
            f"{name} gate: {len(local)} local gradients for {n} input"
            + "s" * (n != 1)
            + "; return one per input, d out / d input, in order"
        )
    if not isinstance(value, Real) or not all(isinstance(d, Real) for d in local):
        raise TypeError(
            f"{name} gate: the value and the local gradients must be real numbers, "
            f"got {value!r} and {local!r}"
        )
    return float(value), tuple(float(d) for d in local)


def gate(
    name: str, vjp: Callable[..., Any] | None = None, formula: str = ""
) -> Callable[[Callable[..., Any]], Any]:
    """Decorator: the function below becomes the gate `name`. Without `vjp`, a Value gate on a
    function of plain floats returning (value, local_gradients); with `vjp(g, out, *inputs)`,
    a Tensor gate on a NumPy function (see the module docstring). `formula` (optional) is its
    local gradient as you would write it, shown by the pictures that explain a gate."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"gate(name): name must be a non-empty string, got {name!r}")
    if vjp is not None and not callable(vjp):
        raise TypeError(f"gate({name!r}, vjp=...): vjp must be a function, got {vjp!r}")

    def make(forward: Callable[..., Any]) -> ScalarGate | TensorGate:
        if not callable(forward):
            raise TypeError(f"gate({name!r}) decorates a function, got {forward!r}")
        if vjp is None:
            return ScalarGate(name, forward, formula)
        return TensorGate(name, forward, vjp, formula)

    return make


def rerun(node: Any, inputs: Sequence[Any]) -> Any:
    """The output of `node`'s gate when its parents hold `inputs` instead (floats for a
    Value, arrays for a Tensor), from the gate record alone (`node.gate`, its settings kept
    exactly), without recording anything: what a gate checker nudges to compare with the
    recorded local gradients or VJP. Never reads the local gradients."""
    if node.gate is None:
        raise ValueError("rerun: a leaf has no gate")
    if len(inputs) != len(node.parents):
        raise ValueError(
            f"rerun: the {node.op!r} gate has {len(node.parents)} inputs, got {len(inputs)}"
        )
    return node.gate.rerun(node, inputs)
