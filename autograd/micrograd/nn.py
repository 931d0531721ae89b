"""micrograd's `nn` on gradtrace Values: `Module`, `Neuron`, `Layer`, `MLP`.

The weights are drawn from Python's `random.uniform(-1, 1)`, one per input, neuron by neuron,
layer by layer, with every bias starting at 0, and a neuron sums b + w0*x0 + w1*x1 + ... in
that order: so after `random.seed(s)` a course notebook builds the same model, and trains it
to the same losses, as with micrograd. ReLU by default and a linear last layer, as there.
(`gradtrace.nn` has the richer models: activations, heads, fused neurons.)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from ..value import Value


class Module:
    """What every model has: `parameters()` (a list of Values) and `zero_grad()`."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (leaves add up across backward() calls)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One unit: relu(w . x + b) (`nonlin=False`: w . x + b); weights from uniform(-1, 1)."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Any]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: {len(self.w)} weights but {len(x)} inputs")
        act = self.b
        for w, xi in zip(self.w, x, strict=True):  # b + w0 x0 + w1 x1 + ..., micrograd's order
            act = act + w * xi
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons on the same inputs. Called, it gives a list, or one Value when
    nout == 1 (micrograd's convention, kept so course code runs unchanged)."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(map(repr, self.neurons))}]"


class MLP(Module):
    """Layers of sizes `nouts` after `nin` inputs: ReLU everywhere but the last layer."""

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != last) for i in range(len(nouts))]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(map(repr, self.layers))}]"
