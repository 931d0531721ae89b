"""Convolution and pooling gates for NCHW Tensors: forward beside its vector-Jacobian product.

The lecture's convolutional layer computes, for each output neuron (j, k) of a feature map,

    z_jk = b + sum_l sum_m w_lm a_(j+l)(k+m)

with the same weights w and bias b for every (j, k) ("shared weights"). Written out for every
(j, k) at once this is one matrix product: lay each local receptive field out as a column of
a matrix (im2col: "image to columns"), then multiply by the filters. No Python loop runs
over pixels: `sliding_window_view` gives every window as a view of the input, and one copy
makes it a contiguous matrix, one per image.

    input (N, C, H, W) --im2col--> cols (N, C*kh*kw, Ho*Wo) --W @--> (N, O, Ho*Wo)

The VJPs run the same picture backwards: dW = sum over images of g @ cols^T; d cols = W^T @ g,
and col2im adds each window's gradient back onto the pixels it came from (a loop over the
kh*kw kernel offsets, never over pixels: a pixel under several windows gets the sum,
"gradients add at branches").

Pooling reads the same windows one kernel offset at a time: the view of the input at offset
(l, m) holds pixel (l, m) of every window at once. Max pooling is the max gate applied
offset after offset (keeping the earlier value on a tie), so the gradient goes to each
window's arg-max, the first one on ties; average pooling adds the views and shares the
gradient evenly. kh*kw steps over whole arrays, never a step per pixel.

Gates here are registered like those of tensor_gates.py. Their setting `window` is a
`Window` (kernel, stride, padding); the forward also saves for the VJP what it computed (the
im2col matrix, the arg-max: PyTorch's `ctx.save_for_backward`), so backward does not rebuild
the matrix or search the windows again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .tensor import Tensor, as_tensor, register

Array = np.ndarray
Pair = tuple[int, int]


class Window:
    """A sliding-window gate's settings: kernel, stride, padding as (rows, cols) pairs."""

    __slots__ = ("kernel", "stride", "padding")

    def __init__(self, kernel: Pair, stride: Pair, padding: Pair) -> None:
        self.kernel, self.stride, self.padding = kernel, stride, padding

    def out_size(self, h: int, w: int) -> Pair:
        """The output's height and width: (H + 2p - k) // s + 1 in each direction."""
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        return (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1

    def padded(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of an NCHW input once padded."""
        n, c, h, w = shape
        return n, c, h + 2 * self.padding[0], w + 2 * self.padding[1]


# ------------------------------------------------------------ windows, im2col and col2im
def pad(x: Array, win: Window, value: float = 0.0) -> Array:
    """x with win.padding rows/columns of `value` added on each side of H and W."""
    ph, pw = win.padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def offsets(win: Window, out_hw: Pair) -> Iterator[tuple[int, tuple[slice, ...]]]:
    """For each kernel offset (l, m), numbered l * kw + m: the index of the (padded) input
    that picks pixel (l, m) of every window at once, an (N, C, Ho, Wo) strided view."""
    (kh, kw), (sh, sw) = win.kernel, win.stride
    ho, wo = out_hw
    for l in range(kh):
        for m in range(kw):
            rows = slice(l, l + sh * (ho - 1) + 1, sh)
            cols = slice(m, m + sw * (wo - 1) + 1, sw)
            yield l * kw + m, (slice(None), slice(None), rows, cols)


def im2col(xp: Array, win: Window) -> Array:
    """Every window of a padded input as a column: (N, C*kh*kw, Ho*Wo), contiguous. The
    window view costs nothing; the one copy lays it out for the matrix product."""
    sh, sw = win.stride
    views = sliding_window_view(xp, win.kernel, axis=(2, 3))[:, :, ::sh, ::sw]
    n, c, ho, wo, kh, kw = views.shape
    return np.ascontiguousarray(views.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * kh * kw, -1)


def planes(xp: Array, win: Window) -> Array:
    """The windows of a padded input one kernel offset at a time: (kh*kw, N, C, Ho, Wo),
    where plane l * kw + m holds pixel (l, m) of every window. One contiguous copy."""
    sh, sw = win.stride
    views = sliding_window_view(xp, win.kernel, axis=(2, 3))[:, :, ::sh, ::sw]
    n, c, ho, wo, kh, kw = views.shape
    return np.ascontiguousarray(views.transpose(4, 5, 0, 1, 2, 3)).reshape(kh * kw, n, c, ho, wo)


def col2im(dcols: Array, x_shape: tuple[int, ...], win: Window) -> Array:
    """The adjoint of im2col: add each window's gradient, dcols (N, C, kh*kw, Ho, Wo), back
    onto the pixels it was read from, and cut the padding off. One step per kernel offset,
    or, when the windows tile the input (stride == kernel, no padding), a single reshape."""
    n, c, _, ho, wo = dcols.shape
    (kh, kw), (ph, pw), (h, w) = win.kernel, win.padding, x_shape[2:]
    if win.stride == win.kernel and win.padding == (0, 0):
        tiles = dcols.reshape(n, c, kh, kw, ho, wo).transpose(0, 1, 4, 2, 5, 3)
        tiles = tiles.reshape(n, c, ho * kh, wo * kw)
        if (ho * kh, wo * kw) == (h, w):
            return tiles
        dx = np.zeros(x_shape, dtype=dcols.dtype)  # rows and columns no window reached
        dx[:, :, : ho * kh, : wo * kw] = tiles
        return dx
    dxp = np.zeros(win.padded(x_shape), dtype=dcols.dtype)
    for k, where in offsets(win, (ho, wo)):
        dxp[where] += dcols[:, :, k]
    return dxp[:, :, ph : ph + h, pw : pw + w]


# ------------------------------------------------------------ convolution
def _conv_vjp(g, out, x, w, b=None, *, window: Window, cols: Array, needs=(True, True, True)):
    """dx = col2im(W^T @ g), dW = sum over images of g @ cols^T, db = g summed over N, Ho, Wo."""
    n, o = g.shape[:2]
    g3 = g.reshape(n, o, -1)  # (N, O, Ho*Wo)
    dx = dw = None
    if needs[0]:
        dcols = w.reshape(o, -1).T @ g3  # (N, C*kh*kw, Ho*Wo)
        c, (kh, kw) = x.shape[1], window.kernel
        dx = col2im(dcols.reshape(n, c, kh * kw, *g.shape[2:]), x.shape, window)
    if needs[1]:
        dw = (g3 @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    if b is None:
        return dx, dw
    return dx, dw, g.sum(axis=(0, 2, 3)) if needs[2] else None


@register(
    "conv2d", vjp=_conv_vjp, formula="dX = col2im(Wᵀ · dC), dW = Σ images dC · colsᵀ, db = Σ dC"
)
def convolve(x: Array, w: Array, b: Array | None = None, *, window: Window):
    """conv2d: out[n, o, j, k] = b[o] + sum_c,l,m w[o, c, l, m] * xpad[n, c, sj + l, sk + m],
    computed as W @ im2col(x), one matrix product per image; saves the im2col matrix."""
    cols = im2col(pad(x, window), window)  # (N, C*kh*kw, Ho*Wo)
    out = w.reshape(w.shape[0], -1) @ cols  # (N, O, Ho*Wo)
    if b is not None:
        out += b[:, None]
    return out.reshape(x.shape[0], w.shape[0], *window.out_size(*x.shape[2:])), {"cols": cols}


# ------------------------------------------------------------ pooling
def _max_pool_vjp(g, out, x, *, window: Window, arg: Array):
    """dx = g at each window's arg-max (the first one on ties), 0 elsewhere; a pixel that is
    the arg-max of several overlapping windows gets the sum. (col2im, one offset at a time,
    without building the (N, C, kh*kw, Ho, Wo) gradient first.)"""
    dxp = np.zeros(window.padded(x.shape), dtype=g.dtype)
    disjoint = all(s >= k for s, k in zip(window.stride, window.kernel, strict=True))
    for k, where in offsets(window, g.shape[2:]):
        if disjoint:  # no pixel is in two windows: write instead of add
            np.multiply(arg == k, g, out=dxp[where])
        else:
            dxp[where] += (arg == k) * g
    (ph, pw), (h, w) = window.padding, x.shape[2:]
    return (dxp[:, :, ph : ph + h, pw : pw + w],)


@register("max_pool2d", vjp=_max_pool_vjp, formula="dX = dC at each window's arg-max, 0 elsewhere")
def max_pool(x: Array, *, window: Window):
    """max_pool2d: out[n, c, j, k] = the largest value of window (j, k) (padding is -inf),
    as a chain of max gates over the kernel offsets; the arg-max is saved for the VJP."""
    p = planes(pad(x, window, -np.inf), window)  # (kh*kw, N, C, Ho, Wo)
    best, arg = p[0].copy(), np.zeros(p.shape[1:], dtype=np.int16)
    for k in range(1, len(p)):
        larger = p[k] > best  # strictly: on a tie the earlier (first) offset keeps it
        np.maximum(best, p[k], out=best)
        arg += larger * (np.int16(k) - arg)  # arg = k where larger (branch-free: faster)
    return best, {"arg": arg}


def _avg_pool_vjp(g, out, x, *, window: Window):
    """dx = g / (kh * kw) on every pixel of the window (summed where windows overlap)."""
    kk = window.kernel[0] * window.kernel[1]
    share = (g / kk)[:, :, None]
    return (col2im(np.broadcast_to(share, (*g.shape[:2], kk, *g.shape[2:])), x.shape, window),)


@register("avg_pool2d", vjp=_avg_pool_vjp, formula="dX = dC / (kh·kw) on every pixel of the window")
def avg_pool(x: Array, *, window: Window):
    """avg_pool2d: out[n, c, j, k] = the mean of window (j, k) (padding counts as 0, as
    PyTorch's default count_include_pad=True)."""
    return planes(pad(x, window), window).mean(axis=0)


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
    win = Window(kernel, pair(stride, "stride", who), pair(padding, "padding", who, low=0))
    if x.ndim != 4:
        raise ValueError(
            f"{who}: expected an NCHW input of 4 dimensions (batch, channels, height, width), "
            f"got shape {x.shape}; a single image of shape (C, H, W) is x.reshape(1, C, H, W)"
        )
    (kh, kw), (ph, pw) = kernel, win.padding
    h, w = x.shape[2:]
    if kh > h + 2 * ph or kw > w + 2 * pw:
        padded = f"with padding {ph}" if ph == pw else f"with padding {ph}x{pw}"
        raise ValueError(f"{who}: kernel {kh}x{kw} does not fit input {h}x{w} ({padded})")
    if max_padding and (2 * ph > kh or 2 * pw > kw):
        raise ValueError(f"{who}: padding {ph}x{pw} must be at most half the kernel {kh}x{kw}")
    return win


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0) -> Tensor:
    """The lecture's convolution (cross-correlation, as in PyTorch) of an NCHW input with
    filters `weight` (out_channels, in_channels, kh, kw) plus `bias` (out_channels,).
    Output (N, out_channels, Ho, Wo) with Ho = (H + 2 padding - kh) // stride + 1."""
    x = as_tensor(x)
    weight = as_tensor(weight, x)
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be (out, in, kh, kw), got shape {weight.shape}")
    win = window("Conv2d", x, weight.shape[2:], stride, padding)
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"Conv2d: expected {weight.shape[1]} input channels, got {x.shape[1]} "
            f"(input shape {x.shape}, weight shape {weight.shape})"
        )
    inputs = (x, weight)
    if bias is not None:
        bias = as_tensor(bias, x)
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"Conv2d: bias must have shape ({weight.shape[0]},), got {bias.shape}")
        inputs = (x, weight, bias)
    return convolve(*inputs, window=win)


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """The largest value of each kernel_size window (stride defaults to kernel_size, as in
    PyTorch); the gradient goes to each window's arg-max, the first one on ties."""
    return _pool(max_pool, "MaxPool2d", x, kernel_size, stride, padding)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """The mean of each kernel_size window (stride defaults to kernel_size; zero padding is
    counted in the mean, as PyTorch's default)."""
    return _pool(avg_pool, "AvgPool2d", x, kernel_size, stride, padding)


def _pool(gate: Any, who: str, x: Any, kernel_size: Any, stride: Any, padding: Any) -> Tensor:
    """A pooling gate on `x` with its window checked (`who` names the layer in errors)."""
    x = as_tensor(x)
    stride = kernel_size if stride is None else stride
    return gate(x, window=window(who, x, kernel_size, stride, padding, max_padding=True))
