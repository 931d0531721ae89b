"""Micrograd-style models built from scalar Values: every weight is a node you can draw.

    Neuron(nin)          act(w0*x0 + ... + w(n-1)*x(n-1) + b)  -> a Value
    Layer(nin, nout)     nout neurons side by side                -> always a list of Values
    MLP(nin, nouts)      layers in a row, the last one linear, then an optional head
                         -> a Value when there is one output, else a list

A neuron's weighted sum w.x + b is one fused "linear" gate (local gradients x_i for w_i, w_i
for x_i, 1 for b): one node per neuron, so graphs stay small and training is fast. With
`fused=False` it is drawn gate by gate instead, one mul gate per weight and one n-ary "+"
(`vsum`), as on the slides; both give the same numbers. Weights carry labels ("w0", "w1",
..., "b"; inside an MLP prefixed with the layer and neuron, "L1.n0.w0") so a picture of the
graph names them.

Weights start as U(-1, 1) and biases as 0, as in micrograd, drawn from `rng` (a NumPy
Generator) or `seed`: the same seed always builds the same model.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import mul
from typing import Any

import numpy as np
from gradtrace import Value, linear, vsum

from . import functional as F
from .init import make_rng
from .module import Module, check_count

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


def _check_activation(activation: str | None) -> str:
    activation = "linear" if activation is None else activation
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS} or None, got {activation!r}")
    return activation


def _check_inputs(who: str, x: Sequence[Any], nin: int) -> None:
    try:
        n = len(x)
    except TypeError:
        raise TypeError(f"{who}: expected a list of {nin} numbers or Values, got {x!r}") from None
    if n != nin:
        raise ValueError(f"{who}: expected {nin} inputs, got {n}")


class Neuron(Module):
    """One unit: act(sum_i w_i x_i + b), with act "tanh", "relu", "sigmoid" or "linear"/None."""

    def __init__(
        self,
        nin: int,
        activation: str | None = "tanh",
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
        label: str = "",
        fused: bool = True,
    ) -> None:
        super().__init__()
        self.fused = fused
        nin = check_count("nin", nin, who="Neuron")
        self.nin = nin
        self.activation = _check_activation(activation)
        init = make_rng(rng, seed).uniform(-1.0, 1.0, size=nin)
        self.w = [Value(float(v), f"{label}w{i}") for i, v in enumerate(init)]
        if bias:
            self.b = Value(0.0, f"{label}b")
        # plain tuples for the hot loop in forward (the registered copies are the same objects)
        object.__setattr__(self, "_w", tuple(self.w))
        object.__setattr__(self, "_b", self.b if bias else None)

    def forward(self, x: Sequence[Value | float]) -> Value:
        _check_inputs("Neuron", x, self.nin)
        return self._fire(x)

    def _fire(self, x: Sequence[Value | float]) -> Value:
        """act(w.x + b) for inputs already checked (a Layer checks them once for all neurons)."""
        if self.fused:
            z = linear(x, self._w, self._b)  # one "linear" gate: sum_i w_i x_i + b
        else:
            terms = list(map(mul, self._w, x))  # w_i * x_i: one mul gate each
            if self._b is not None:
                terms.append(self._b)
            z = vsum(terms)  # and one n-ary "+"
        act = self.activation
        if act == "tanh":
            return z.tanh()
        if act == "relu":
            return z.relu()
        if act == "sigmoid":
            return z.sigmoid()
        return z

    def set_weights(self, w: Sequence[float], b: float | None = None) -> Neuron:
        """Set the weights (and the bias) in place from numbers; returns self."""
        w = [float(v) for v in np.asarray(w, dtype=np.float64).ravel()]
        if len(w) != self.nin:
            raise ValueError(f"Neuron.set_weights: expected {self.nin} weights, got {len(w)}")
        for wi, v in zip(self._w, w, strict=True):
            wi.data = v
        if b is not None:
            if self._b is None:
                raise ValueError("Neuron.set_weights: this neuron has no bias")
            self._b.data = float(b)
        return self

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs; calling it always returns a list."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "tanh",
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
        label: str = "",
        fused: bool = True,
    ) -> None:
        super().__init__()
        nout = check_count("nout", nout, who="Layer")
        rng = make_rng(rng, seed)
        self.nin, self.nout = nin, nout
        self.activation = _check_activation(activation)
        self.neurons = [
            Neuron(nin, activation, bias, rng=rng, label=f"{label}n{j}.", fused=fused)
            for j in range(nout)
        ]

    def forward(self, x: Sequence[Value | float]) -> list[Value]:
        _check_inputs("Layer", x, self.nin)
        return [n._fire(x) for n in self.neurons]

    def set_weights(self, weight: Any, bias: Any = None) -> Layer:
        """Set the weights from an array of shape (nout, nin), as a Linear's weight, and the
        biases from one of shape (nout,); returns self."""
        weight = np.asarray(weight, dtype=np.float64)
        if weight.shape != (self.nout, self.nin):
            raise ValueError(
                f"Layer.set_weights: expected weight of shape {(self.nout, self.nin)}, "
                f"got {weight.shape}"
            )
        biases = [None] * self.nout
        if bias is not None:
            bias = np.broadcast_to(np.asarray(bias, dtype=np.float64), (self.nout,))
            biases = list(bias)
        for n, row, b in zip(self.neurons, weight, biases, strict=True):
            n.set_weights(row, b)
        return self

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron on Values: MLP(2, [16, 16, 1]) has two hidden layers of 16.

    Hidden layers use `activation`; the last layer is linear and is followed by `head`:
    None (raw scores), "sigmoid" (one probability per output) or "softmax" (a distribution)."""

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = "tanh",
        head: str | None = None,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
        fused: bool = True,
    ) -> None:
        super().__init__()
        nouts = [int(n) for n in nouts]
        if not nouts:
            raise ValueError("MLP: nouts must list at least one layer width")
        if head not in (None, "sigmoid", "softmax"):
            raise ValueError(f"MLP: head must be None, 'sigmoid' or 'softmax', got {head!r}")
        rng = make_rng(rng, seed)
        self.nin, self.nouts = nin, nouts
        self.activation = _check_activation(activation)
        self.head = head
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                "linear" if i == last else activation,
                bias,
                rng=rng,
                label=f"L{i + 1}.",
                fused=fused,
            )
            for i in range(len(nouts))
        ]

    @classmethod
    def from_weights(
        cls,
        weights: Sequence[Any],
        biases: Sequence[Any] | None = None,
        activation: str | None = "tanh",
        head: str | None = None,
    ) -> MLP:
        """An MLP with given weights: `weights[i]` has shape (nout, nin) (as Linear.weight) and
        `biases[i]` shape (nout,) or a single number shared by the layer (as in the lecture)."""
        arrays = [np.atleast_2d(np.asarray(w, dtype=np.float64)) for w in weights]
        for i in range(1, len(arrays)):
            if arrays[i].shape[1] != arrays[i - 1].shape[0]:
                raise ValueError(
                    f"MLP.from_weights: weights[{i}] has shape {arrays[i].shape}, so it reads "
                    f"{arrays[i].shape[1]} inputs, but weights[{i - 1}] makes "
                    f"{arrays[i - 1].shape[0]} outputs"
                )
        net = cls(arrays[0].shape[1], [w.shape[0] for w in arrays], activation, head, seed=0)
        biases = [0.0] * len(arrays) if biases is None else list(biases)
        if len(biases) != len(arrays):
            raise ValueError(f"MLP.from_weights: {len(arrays)} weights but {len(biases)} biases")
        for layer, w, b in zip(net.layers, arrays, biases, strict=True):
            layer.set_weights(w, b)
        return net

    def forward(self, x: Sequence[Value | float]) -> Value | list[Value]:
        _check_inputs("MLP", x, self.nin)
        for layer in self.layers:
            x = layer(x)
        if self.head == "sigmoid":
            x = [o.sigmoid() for o in x]
        elif self.head == "softmax":
            x = F.softmax(x)  # stable: the largest score is subtracted first
        return x[0] if len(x) == 1 else x

    def extra_repr(self) -> str:
        head = f", head={self.head!r}" if self.head else ""
        return f"{self.nin}, {self.nouts}, activation={self.activation!r}{head}"
