"""Convolutional layers, as in the lecture: local receptive fields, shared weights, pooling.

    model = Sequential(
        Conv2d(1, 8, 3, padding=1), ReLU(), MaxPool2d(2),    # (N, 1, 8, 8) -> (N, 8, 4, 4)
        Flatten(), Linear(8 * 4 * 4, 10),
    )

Inputs are NCHW Tensors (batch, channels, height, width). A Conv2d with a 5x5 kernel on a
28x28 image gives a 24x24 feature map per filter, and every neuron of that map uses the same
25 weights and one bias: the whole map costs 26 parameters, where a fully connected layer
from 784 inputs to 576 neurons would cost 452,160. The gates are in autograd/conv_gates.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from gradtrace import Tensor
from gradtrace.conv_gates import avg_pool2d, conv2d, max_pool2d, pair

from . import init as nn_init
from .layers import Flatten
from .module import Module, check_count, parameter_dtype

__all__ = ["AvgPool2d", "Conv2d", "Flatten", "MaxPool2d"]


class Conv2d(Module):
    """out[n, o] = bias[o] + sum over input channels c of weight[o, c] slid over x[n, c]
    (the lecture's z_jk = b + sum_l sum_m w_lm a_(j+l)(k+m), one feature map per filter).

    weight has shape (out_channels, in_channels, kh, kw) and bias (out_channels,), as in
    PyTorch, and so is the default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
    both, with fan_in = in_channels * kh * kw (kaiming_uniform_ with a = sqrt(5)). `dtype`
    (float64 or float32) is the parameters' dtype, like torch's factory argument."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        in_channels = check_count("in_channels", in_channels, who="Conv2d")
        out_channels = check_count("out_channels", out_channels, who="Conv2d")
        dtype = parameter_dtype(dtype, "Conv2d")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = pair(stride, "stride", "Conv2d")
        self.padding = pair(padding, "padding", "Conv2d", low=0)
        rng = nn_init.make_rng(rng, seed)
        shape = (out_channels, in_channels, *self.kernel_size)
        self.weight = Tensor(np.zeros(shape, dtype), True, "weight")
        nn_init.kaiming_uniform_(self.weight, a=math.sqrt(5.0), rng=rng)
        if bias:
            self.bias = Tensor(np.zeros(out_channels, dtype), True, "bias")
            bound = 1.0 / math.sqrt(in_channels * math.prod(self.kernel_size))
            nn_init.uniform_(self.bias, -bound, bound, rng=rng)
        else:
            self.bias = None

    def forward(self, x: Any) -> Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={_show(self.kernel_size)}"
        if self.stride != (1, 1):
            text += f", stride={_show(self.stride)}"
        if self.padding != (0, 0):
            text += f", padding={_show(self.padding)}"
        if self.bias is None:
            text += ", bias=False"
        return text


class _Pool2d(Module):
    """What both pools share: a window of kernel_size, moved by stride (default: the window)."""

    pool = staticmethod(max_pool2d)  # the gate, set by each pool

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__()
        who = type(self).__name__
        self.kernel_size = pair(kernel_size, "kernel_size", who)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", who)
        self.padding = pair(padding, "padding", who, low=0)

    def forward(self, x: Any) -> Tensor:
        return self.pool(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return _pool_repr(self)


class MaxPool2d(_Pool2d):
    """The largest value of each kernel_size window (stride defaults to kernel_size): keeps
    whether a feature was found in a region and forgets exactly where. The gradient goes to
    each window's arg-max, the first one on ties (the max gate)."""

    pool = staticmethod(max_pool2d)


class AvgPool2d(_Pool2d):
    """The mean of each kernel_size window (stride defaults to kernel_size); the gradient is
    shared equally by the window's pixels."""

    pool = staticmethod(avg_pool2d)


def _show(p: tuple[int, int]) -> str:
    return str(p[0]) if p[0] == p[1] else str(p)


def _pool_repr(m: Any) -> str:
    text = f"kernel_size={_show(m.kernel_size)}"
    if m.stride != m.kernel_size:
        text += f", stride={_show(m.stride)}"
    if m.padding != (0, 0):
        text += f", padding={_show(m.padding)}"
    return text
