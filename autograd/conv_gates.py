"""Convolution and pooling gates for NCHW Tensors: forward beside its vector-Jacobian product.

The lecture's convolutional layer computes, for each output neuron (j, k) of a feature map,

    z_jk = b + sum_l sum_m w_lm a_(j+l)(k+m)

with the same weights w and bias b for every (j, k) ("shared weights"). Written out for every
(j, k) at once this is one matrix product: lay each local receptive field out as a row of a
matrix (im2col: "image to columns"), then multiply by the filters. No Python loop runs over
pixels: `sliding_window_view` gives every window as a view of the input, and one copy makes
it a contiguous matrix.

    input (N, C, H, W) --im2col--> cols (N*Ho*Wo, C*kh*kw) --@ W^T--> (N, Ho, Wo, O)

The VJPs run the same picture backwards: dW = g^T @ cols; d cols = g @ W, and col2im adds
each window's gradient back onto the pixels it came from (a loop over the kh*kw kernel
offsets, never over pixels: a pixel under several windows gets the sum, "gradients add at
branches").

Pooling uses the same windows: max pooling is the max gate (the router) on each window, so
the gradient goes to the window's arg-max, the first one on ties; average pooling spreads it
evenly. When the windows tile the input (stride == kernel, no padding) both take a faster
path that is only a reshape.

Gates here have the signatures of tensor_gates.py. Their `ctx` is a `Window`: the settings,
plus what the forward saved for the VJP (PyTorch's `ctx.save_for_backward`), so backward
does not rebuild the im2col matrix or search the windows again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .tensor import Tensor, _finish, _lift, _new
from .tensor_gates import Gate

Array = np.ndarray
Pair = tuple[int, int]


class Window:
    """A sliding-window gate's settings (kernel, stride, padding as (rows, cols) pairs) and
    the arrays its forward saved for the VJP."""

    __slots__ = ("kernel", "stride", "padding", "saved")

    def __init__(self, kernel: Pair, stride: Pair, padding: Pair) -> None:
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.saved: Any = None

    def out_size(self, h: int, w: int) -> Pair:
        """The output's height and width: (H + 2p - k) // s + 1 in each direction."""
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        return (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1

    @property
    def tiles(self) -> bool:
        """True when the windows cut the input into disjoint tiles (stride == kernel, no
        padding): then im2col is a plain reshape."""
        return self.stride == self.kernel and self.padding == (0, 0)


# ------------------------------------------------------------ im2col and col2im
def pad(x: Array, padding: Pair, value: float = 0.0) -> Array:
    """x with `padding` rows/columns of `value` added on each side of H and W."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def windows(xp: Array, ctx: Window) -> Array:
    """Every window of a (padded) input as a view: (N, C, Ho, Wo, kh, kw); nothing copied."""
    (sh, sw) = ctx.stride
    return sliding_window_view(xp, ctx.kernel, axis=(2, 3))[:, :, ::sh, ::sw]


def col2im(dwin: Array, padded_shape: tuple[int, ...], ctx: Window) -> Array:
    """The adjoint of `windows`: add each window's gradient (N, C, Ho, Wo, kh, kw) back onto
    the pixels it was read from, and cut the padding off. One step per kernel offset."""
    (kh, kw), (sh, sw), (ph, pw) = ctx.kernel, ctx.stride, ctx.padding
    ho, wo = dwin.shape[2:4]
    dxp = np.zeros(padded_shape, dtype=dwin.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw] += dwin[
                :, :, :, :, i, j
            ]
    return dxp[:, :, ph : padded_shape[2] - ph, pw : padded_shape[3] - pw]


def tile_view(x: Array, ctx: Window) -> Array:
    """The tiles of x as (N, C, Ho, kh, Wo, kw) (a view, when stride == kernel)."""
    (kh, kw) = ctx.kernel
    n, c, h, w = x.shape
    ho, wo = h // kh, w // kw
    return x[:, :, : ho * kh, : wo * kw].reshape(n, c, ho, kh, wo, kw)


def untile(dtiles: Array, x_shape: tuple[int, ...]) -> Array:
    """The adjoint of `tile_view`: (N, C, Ho, kh, Wo, kw) back to x's shape (rows and
    columns left over past the last tile get 0)."""
    n, c, ho, kh, wo, kw = dtiles.shape
    flat = dtiles.reshape(n, c, ho * kh, wo * kw)
    if flat.shape == x_shape:
        return flat
    dx = np.zeros(x_shape, dtype=dtiles.dtype)
    dx[:, :, : ho * kh, : wo * kw] = flat
    return dx


# ------------------------------------------------------------ convolution
def conv(ctx: Window, x: Array, w: Array, b: Array | None = None) -> Array:
    """conv2d: out[n, o, j, k] = b[o] + sum_c,l,m w[o, c, l, m] * xpad[n, c, sj + l, sk + m],
    computed as im2col(x) @ W^T."""
    n = x.shape[0]
    o = w.shape[0]
    win = windows(pad(x, ctx.padding), ctx)  # (N, C, Ho, Wo, kh, kw)
    ho, wo = win.shape[2:4]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, -1)  # the one copy
    ctx.saved = cols
    out = cols @ w.reshape(o, -1).T  # (N*Ho*Wo, O)
    if b is not None:
        out += b
    return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)


def conv_vjp(i: int, g: Array, out: Array, ctx: Window, x: Array, w: Array, b=None) -> Array:
    """dx = col2im(g @ W), dW = g^T @ cols, db = g summed over N, Ho, Wo."""
    if i == 2:
        return g.sum(axis=(0, 2, 3))
    o = w.shape[0]
    g2 = g.transpose(0, 2, 3, 1).reshape(-1, o)  # (N*Ho*Wo, O), rows in im2col's order
    if i == 1:
        return (g2.T @ ctx.saved).reshape(w.shape)
    n, c, h, wd = x.shape
    ho, wo = g.shape[2:]
    dcols = (g2 @ w.reshape(o, -1)).reshape(n, ho, wo, c, *ctx.kernel)
    (ph, pw) = ctx.padding
    return col2im(dcols.transpose(0, 3, 1, 2, 4, 5), (n, c, h + 2 * ph, wd + 2 * pw), ctx)


# ------------------------------------------------------------ pooling
def maxpool(ctx: Window, x: Array) -> Array:
    """max_pool2d: out[n, c, j, k] = the largest value of window (j, k) (padding is -inf)."""
    n, c = x.shape[:2]
    if ctx.tiles:
        t = tile_view(x, ctx)
        flat = t.transpose(0, 1, 2, 4, 3, 5).reshape(*t.shape[:3], t.shape[4], -1)
    else:
        win = windows(pad(x, ctx.padding, -np.inf), ctx)
        flat = win.reshape(*win.shape[:4], -1)  # copies: windows overlap
    arg = flat.argmax(axis=-1)  # the first maximum of each window
    ctx.saved = arg
    return np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]


def maxpool_vjp(i: int, g: Array, out: Array, ctx: Window, x: Array) -> Array:
    """dx = g at each window's arg-max (the first one on ties), 0 elsewhere; a pixel that is
    the arg-max of several overlapping windows gets the sum."""
    (kh, kw) = ctx.kernel
    arg = ctx.saved
    dflat = np.zeros((*arg.shape, kh * kw), dtype=g.dtype)
    np.put_along_axis(dflat, arg[..., None], g[..., None], axis=-1)
    dwin = dflat.reshape(*arg.shape, kh, kw)  # (N, C, Ho, Wo, kh, kw)
    if ctx.tiles:
        return untile(dwin.transpose(0, 1, 2, 4, 3, 5), x.shape)
    (ph, pw) = ctx.padding
    n, c, h, w = x.shape
    return col2im(dwin, (n, c, h + 2 * ph, w + 2 * pw), ctx)


def avgpool(ctx: Window, x: Array) -> Array:
    """avg_pool2d: out[n, c, j, k] = the mean of window (j, k) (padding counts as 0, as
    PyTorch's default count_include_pad=True)."""
    if ctx.tiles:
        return tile_view(x, ctx).mean(axis=(3, 5))
    return windows(pad(x, ctx.padding), ctx).mean(axis=(4, 5))


def avgpool_vjp(i: int, g: Array, out: Array, ctx: Window, x: Array) -> Array:
    """dx = g / (kh * kw) on every pixel of the window (summed where windows overlap)."""
    (kh, kw) = ctx.kernel
    share = g / (kh * kw)
    if ctx.tiles:
        n, c, ho, wo = g.shape
        return untile(np.broadcast_to(share[:, :, :, None, :, None], (n, c, ho, kh, wo, kw)),
                      x.shape)  # fmt: skip
    dwin = np.broadcast_to(share[..., None, None], (*g.shape, kh, kw))
    (ph, pw) = ctx.padding
    n, c, h, w = x.shape
    return col2im(dwin, (n, c, h + 2 * ph, w + 2 * pw), ctx)


GATES: dict[str, Gate] = {
    "conv2d": Gate(conv, conv_vjp),
    "max_pool2d": Gate(maxpool, maxpool_vjp),
    "avg_pool2d": Gate(avgpool, avgpool_vjp),
}


# ------------------------------------------------------------ the Tensor functions
def pair(v: int | tuple[int, int], name: str, who: str, low: int = 1) -> Pair:
    """An int or a pair of ints as (rows, cols), each at least `low`."""
    p = (v, v) if isinstance(v, (int, np.integer)) else v
    ok = isinstance(p, (tuple, list)) and len(p) == 2
    if not (ok and all(isinstance(k, (int, np.integer)) and k >= low for k in p)):
        raise ValueError(f"{who}: {name} must be an int >= {low} or a pair of them, got {v!r}")
    return int(p[0]), int(p[1])


def window(
    who: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any, max_padding: bool = False
) -> Window:
    """Check an NCHW input against the window settings; errors name the shapes."""
    kernel = pair(kernel_size, "kernel_size", who)
    ctx = Window(kernel, pair(stride, "stride", who), pair(padding, "padding", who, low=0))
    if x.ndim != 4:
        raise ValueError(
            f"{who}: expected an NCHW input of 4 dimensions (batch, channels, height, width), "
            f"got shape {x.shape}; a single image of shape (C, H, W) is x.reshape(1, C, H, W)"
        )
    (kh, kw), (ph, pw) = kernel, ctx.padding
    h, w = x.shape[2:]
    if kh > h + 2 * ph or kw > w + 2 * pw:
        padded = f"with padding {ph}" if ph == pw else f"with padding {ph}x{pw}"
        raise ValueError(f"{who}: kernel {kh}x{kw} does not fit input {h}x{w} ({padded})")
    if max_padding and (2 * ph > kh or 2 * pw > kw):
        raise ValueError(f"{who}: padding {ph}x{pw} must be at most half the kernel {kh}x{kw}")
    return ctx


def _apply(name: str, inputs: tuple[Tensor, ...], ctx: Window) -> Tensor:
    """Run a gate of this file's table on Tensors and record the node (as tensor.py does)."""
    forward, vjp = GATES[name]
    out = _new(Tensor)
    out.depth = 1 + max(t.depth for t in inputs)
    needed = any(t.requires_grad for t in inputs)
    return _finish(out, forward(ctx, *[t.data for t in inputs]), name, inputs, needed, vjp, ctx)


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0) -> Tensor:
    """The lecture's convolution (cross-correlation, as in PyTorch) of an NCHW input with
    filters `weight` (out_channels, in_channels, kh, kw) plus `bias` (out_channels,).
    Output (N, out_channels, Ho, Wo) with Ho = (H + 2 padding - kh) // stride + 1."""
    x, weight = _as_tensor(x), _lift(weight, _as_tensor(x))
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be (out, in, kh, kw), got shape {weight.shape}")
    ctx = window("Conv2d", x, weight.shape[2:], stride, padding)
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"Conv2d: expected {weight.shape[1]} input channels, got {x.shape[1]} "
            f"(input shape {x.shape}, weight shape {weight.shape})"
        )
    inputs = (x, weight)
    if bias is not None:
        bias = _lift(bias, x)
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"Conv2d: bias must have shape ({weight.shape[0]},), got {bias.shape}")
        inputs = (x, weight, bias)
    return _apply("conv2d", inputs, ctx)


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """The largest value of each kernel_size window (stride defaults to kernel_size, as in
    PyTorch); the gradient goes to each window's arg-max, the first one on ties."""
    x = _as_tensor(x)
    ctx = window("MaxPool2d", x, kernel_size, kernel_size if stride is None else stride,
                 padding, max_padding=True)  # fmt: skip
    return _apply("max_pool2d", (x,), ctx)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """The mean of each kernel_size window (stride defaults to kernel_size; zero padding is
    counted in the mean, as PyTorch's default)."""
    x = _as_tensor(x)
    ctx = window("AvgPool2d", x, kernel_size, kernel_size if stride is None else stride,
                 padding, max_padding=True)  # fmt: skip
    return _apply("avg_pool2d", (x,), ctx)
