"""Tensor layers with PyTorch's names: Linear, Sequential, activations, Dropout, Maxout.

    model = Sequential(Linear(64, 128), ReLU(), Linear(128, 10))
    logits = model(X)              # X: a Tensor or NumPy array of shape (batch, 64)

A layer's parameters are Tensors with requires_grad=True, so a Module, an optimizer and
`viz` treat them like any other node. Random initialisation takes `seed` or `rng` (a NumPy
Generator): the same seed always builds the same layer, and NumPy's global state is never used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from gradtrace import Tensor, Value
from gradtrace.tensor import as_tensor
from gradtrace.tensor_gates import linear

from . import functional as F
from . import init as nn_init
from .module import Module, ModuleList, check_count, child_name, parameter_dtype

INITS = ("pytorch", "kaiming_uniform", "kaiming_normal", "xavier_uniform", "xavier_normal")


class Linear(Module):
    """y = x @ weight.T + bias, with weight of shape (out_features, in_features) and bias of
    shape (out_features,), as in PyTorch.

    `init` names the initialisation: "pytorch" (the default, PyTorch's own: kaiming_uniform_
    with a = sqrt(5) for the weight, which is U(-1/sqrt(in), 1/sqrt(in)), and the same range
    for the bias), or "kaiming_uniform" / "kaiming_normal" (for ReLU, He et al.) or
    "xavier_uniform" / "xavier_normal" (for tanh/sigmoid, Glorot & Bengio), with zero biases.
    `dtype` (float64 or float32) is the parameters' dtype, like torch's factory argument
    (the weights are drawn in float64 and rounded)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        init: str = "pytorch",
        rng: np.random.Generator | None = None,
        seed: int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        in_features = check_count("in_features", in_features, who="Linear")
        out_features = check_count("out_features", out_features, who="Linear")
        dtype = parameter_dtype(dtype, "Linear")
        if init not in INITS:
            raise ValueError(f"Linear: init must be one of {INITS}, got {init!r}")
        rng = nn_init.make_rng(rng, seed)
        self.in_features, self.out_features, self.init = in_features, out_features, init
        self.weight = Tensor(np.zeros((out_features, in_features), dtype), True, "weight")
        if init == "pytorch":
            nn_init.kaiming_uniform_(self.weight, a=math.sqrt(5.0), rng=rng)
        elif init.startswith("kaiming"):
            getattr(nn_init, init + "_")(self.weight, nonlinearity="relu", rng=rng)
        else:
            getattr(nn_init, init + "_")(self.weight, rng=rng)
        if bias:
            self.bias = Tensor(np.zeros(out_features, dtype), True, "bias")
            if init == "pytorch":
                bound = 1.0 / math.sqrt(in_features)
                nn_init.uniform_(self.bias, -bound, bound, rng=rng)
        else:
            self.bias = None

    def forward(self, x: Any) -> Tensor:
        if type(x) is not Tensor:
            x = as_tensor(x)
        shape = x.data.shape  # not x.shape, a property: 3 layers a step, see nn/optim.SGD.step
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r}: expected input of shape (..., {self.in_features}), got shape {shape}"
            )
        return linear(x, self.weight, self.bias)  # one fused gate: x @ weight.T + bias

    def extra_repr(self) -> str:
        bias = "" if self.bias is not None else ", bias=False"
        return f"{self.in_features}, {self.out_features}{bias}"


class Sequential(ModuleList):
    """Modules applied one after the other: a ModuleList (module.py's list base: indexable,
    iterable, `append`) with a forward. `model[1:]` is a Sequential too. Parameter names are
    "0.weight", "0.bias", "2.weight", ... as in PyTorch; `Sequential(OrderedDict(fc1=...,
    act=...))` names them ("fc1.weight"), as PyTorch does."""

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            super().__init__()
            for name, module in modules[0].items():
                self._members[child_name(name, "Sequential", self)] = self._checked(module)
                object.__setattr__(self, name, module)  # model.fc1, as in PyTorch
            return
        super().__init__(modules)

    def forward(self, x: Any) -> Any:
        for m in self._members.values():
            x = m(x)
        return x

    def __getitem__(self, i: int | slice) -> Any:
        item = super().__getitem__(i)
        return Sequential(*item) if isinstance(i, slice) else item


class ReLU(Module):
    """relu(x) = max(0, x) elementwise (relu'(0) = 0)."""

    def forward(self, x: Any) -> Any:
        return F.relu(x)


class LeakyReLU(Module):
    """leaky_relu(x) = x if x > 0 else slope * x (PyTorch's default slope 0.01; the notes 0.1)."""

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = float(slope)

    def forward(self, x: Any) -> Any:
        return F.leaky_relu(x, self.slope)

    def extra_repr(self) -> str:
        return f"slope={self.slope:g}"


class Tanh(Module):
    """tanh(x) elementwise."""

    def forward(self, x: Any) -> Any:
        return F.tanh(x)


class Sigmoid(Module):
    """sigmoid(x) = 1 / (1 + e**-x) elementwise."""

    def forward(self, x: Any) -> Any:
        return F.sigmoid(x)


class Softmax(Module):
    """softmax along `axis` (default the last: one distribution per row)."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Any) -> Any:
        if isinstance(x, (Tensor, np.ndarray)):
            return as_tensor(x).softmax(axis=self.axis)
        return F.softmax(x, axis=self.axis)  # Values: one list is one distribution

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Flatten(Module):
    """Flatten the dimensions from `start_dim` on: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1) -> None:
        super().__init__()
        self.start_dim = start_dim

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        start = self.start_dim % x.ndim if x.ndim else 0
        return x.reshape(*x.shape[:start], -1)


class Dropout(Module):
    """Inverted dropout: while training, each input is zeroed with probability `p` and the
    survivors are scaled by 1 / (1 - p), so the expected output equals the input; in eval
    mode (`model.eval()`) it is the identity, and nothing needs rescaling at test time.

    `p` is the probability of DROPPING a unit, as in PyTorch. The lecture's p is the
    probability of KEEPING one: the notes' p = 0.8 is Dropout(0.2) here. The masks come from
    `rng` / `seed`, so a seeded run is reproducible. Works on Tensors and on lists of Values."""

    def __init__(
        self, p: float = 0.5, *, rng: np.random.Generator | None = None, seed: int | None = None
    ) -> None:
        super().__init__()
        if not (isinstance(p, (int, float)) and 0.0 <= p <= 1.0):
            raise ValueError(f"Dropout: p (the drop probability) must be in [0, 1], got {p!r}")
        self.p = float(p)
        object.__setattr__(self, "_rng", nn_init.make_rng(rng, seed))

    def mask(self, shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
        """A fresh mask: 0 for dropped units, 1 / (1 - p) for kept ones, in `dtype` (the
        input's: a float32 input stays float32, as in PyTorch)."""
        if self.p == 1.0:
            return np.zeros(shape, dtype)
        return ((self._rng.random(shape) >= self.p) / (1.0 - self.p)).astype(dtype)

    def forward(self, x: Any) -> Any:
        if not self.training or self.p == 0.0:
            return x
        if isinstance(x, (list, tuple)):
            m = self.mask((len(x),))
            return [xi * float(mi) for xi, mi in zip(x, m, strict=True)]
        if isinstance(x, Value):
            return x * float(self.mask(())[()])
        x = as_tensor(x)
        return x * self.mask(x.shape, x.data.dtype)

    def extra_repr(self) -> str:
        return f"p={self.p:g}"


class Maxout(Module):
    """Maxout (Goodfellow et al., 2013): each of the `out_features` units computes `pieces`
    linear functions of the input and outputs the largest. The linear maps live in one
    Linear(in_features, out_features * pieces); piece k of unit j is its row j * pieces + k."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        pieces: int,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        pieces = check_count("pieces", pieces, who="Maxout")
        self.in_features, self.out_features, self.pieces = in_features, out_features, pieces
        self.linear = Linear(
            in_features, out_features * pieces, bias, rng=nn_init.make_rng(rng, seed)
        )

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r}: expected input of shape (..., {self.in_features}), got shape {x.shape}"
            )
        z = self.linear(x)
        z = z.reshape(*x.shape[:-1], self.out_features, self.pieces)
        return z.max(axis=-1)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, pieces={self.pieces}"

    def __repr__(self) -> str:
        return f"Maxout({self.extra_repr()})"
