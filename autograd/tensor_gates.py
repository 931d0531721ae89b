"""The Tensor gate table: each gate's forward rule beside its vector-Jacobian product (VJP).

For a scalar gate the local gradient is a number. For a Tensor gate the local Jacobian would
be enormous (409,600 x 409,600 for a 4096-wide layer on a minibatch of 100), so it is never
built: each gate instead says how to turn the upstream gradient `g` (d loss / d out, shaped
like `out`) into the gradient for its input number `i`.

Every gate is two small functions with fixed signatures:
    forward(ctx, *xs) -> out                 xs: the input arrays, ctx: settings (axis, ...)
    vjp(i, g, out, ctx, *xs) -> dxi          the gradient for input i
A VJP may return a gradient shaped like the broadcast result: broadcasting is undone in one
place, `unbroadcast` below, which the engine applies when the shapes differ.

Two fused gates do in one node what several would do, because training runs them on every
step: `linear` (x @ w^T + b, nn.Linear) and `cross_entropy` (log-softmax, pick, mean). The
latter's ctx also keeps the softmax its forward computed, for its VJP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

Array = np.ndarray


# ------------------------------------------------------------ unbroadcasting (the one place)
def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum `grad` back to `shape`: over the leading axes broadcasting added, and over every
    axis where the input had size 1. The adjoint of NumPy broadcasting. The result is a new
    array (never a view), so a leaf can keep it as its gradient without a copy."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    ones = tuple(d for d, n in enumerate(shape) if n == 1 and grad.shape[d] != 1)
    if ones:
        grad = grad.sum(axis=ones, keepdims=True)
    return grad if type(grad) is np.ndarray else np.asarray(grad)  # a full sum is a NumPy scalar


def normalize_axes(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    """`axis` as a sorted tuple of non-negative axes (None means every axis)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = set()
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.add(int(a) % ndim)
    return tuple(sorted(out))


def _expand(g: Array, ctx: tuple, shape: tuple[int, ...]) -> Array:
    """The upstream gradient of a reduction, broadcast back over the reduced axes."""
    axes, keepdims = ctx
    if not keepdims and g.ndim:  # put the reduced axes back, with size 1 (a 0-d g needs none)
        g = g.reshape([1 if d in axes else n for d, n in enumerate(shape)])
    return np.broadcast_to(g, shape)


# ------------------------------------------------------------ elementwise, two inputs
def add(ctx, a, b):
    """add: f = a + b."""
    return a + b


def add_vjp(i, g, out, ctx, a, b):
    """da = g, db = g (the distributor)."""
    return g


def sub(ctx, a, b):
    """sub: f = a - b."""
    return a - b


def sub_vjp(i, g, out, ctx, a, b):
    """da = g, db = -g."""
    return g if i == 0 else -g


def mul(ctx, a, b):
    """mul: f = a * b."""
    return a * b


def mul_vjp(i, g, out, ctx, a, b):
    """da = g * b, db = g * a (the switcher)."""
    return g * b if i == 0 else g * a


def div(ctx, a, b):
    """div: f = a / b."""
    return a / b


def div_vjp(i, g, out, ctx, a, b):
    """da = g / b, db = -g * a / b**2 = -g * f / b."""
    return g / b if i == 0 else -g * out / b


def power(ctx, a, b):
    """power (tensor exponent): f = a ** b."""
    return a**b


def power_vjp(i, g, out, ctx, a, b):
    """da = g * b * a**(b-1), db = g * f * ln(a) (taken as 0 where a = 0)."""
    if i == 0:
        return g * b * a ** (b - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a == 0, 0, g * out * np.log(a))


def matmul(ctx, a, b):
    """matmul: f = a @ b (1-D operands are vectors, more than 2-D are batches of matrices)."""
    try:
        return a @ b
    except ValueError:
        raise ValueError(
            f"matmul gate: cannot multiply shapes {a.shape} @ {b.shape}: "
            f"{_matmul_mismatch(a.shape, b.shape)}"
        ) from None


def _matmul_mismatch(a: tuple[int, ...], b: tuple[int, ...]) -> str:
    """Why two shapes cannot be matrix-multiplied, in words."""
    if not a or not b:
        return "both operands need at least one dimension"
    k_a, k_b = a[-1], b[0] if len(b) == 1 else b[-2]
    if k_a != k_b:
        return f"the inner dimensions {k_a} and {k_b} differ"
    return f"the batch dimensions {a[:-2]} and {b[:-2]} do not broadcast"


def matmul_vjp(i, g, out, ctx, a, b):
    """da = g @ b^T, db = a^T @ g (a 1-D operand is a row or a column vector)."""
    if a.ndim == 1 and b.ndim == 1:  # dot product: g is a scalar
        return g * b if i == 0 else g * a
    if b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
        if i == 0:
            return g[..., None] * b
        return a.reshape(-1, a.shape[-1]).T @ g.reshape(-1)
    if a.ndim == 1:  # (k,) @ (..., k, m) -> (..., m)
        if i == 0:
            return (b @ g[..., None])[..., 0]
        return a[:, None] * g[..., None, :]
    if i == 0:
        return g @ np.swapaxes(b, -1, -2)
    return np.swapaxes(a, -1, -2) @ g


# ------------------------------------------------------------ elementwise, one input
def neg(ctx, x):
    """neg: f = -x."""
    return -x


def neg_vjp(i, g, out, ctx, x):
    """dx = -g."""
    return -g


def pow(ctx, x):
    """pow (number exponent n = ctx): f = x ** n."""
    return x**ctx


def pow_vjp(i, g, out, ctx, x):
    """dx = g * n * x**(n-1)."""
    return g * (ctx * x ** (ctx - 1))


def exp(ctx, x):
    """exp: f = e ** x."""
    return np.exp(x)


def exp_vjp(i, g, out, ctx, x):
    """dx = g * f."""
    return g * out


def log(ctx, x):
    """log: f = ln(x)."""
    return np.log(x)


def log_vjp(i, g, out, ctx, x):
    """dx = g / x."""
    return g / x


def tanh(ctx, x):
    """tanh: f = tanh(x)."""
    return np.tanh(x)


def tanh_vjp(i, g, out, ctx, x):
    """dx = g * (1 - f**2)."""
    return g * (1 - out * out)


def sigmoid(ctx, x):
    """sigmoid (fused, stable): f = 1/(1+e**-x), computed as e**x/(1+e**x) for x < 0."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_vjp(i, g, out, ctx, x):
    """dx = g * f * (1 - f)."""
    return g * out * (1 - out)


def relu(ctx, x):
    """relu: f = max(0, x)."""
    return np.maximum(x, 0)


def relu_vjp(i, g, out, ctx, x):
    """dx = g where x > 0, else 0 (so relu'(0) = 0)."""
    return g * (out > 0)


# ------------------------------------------------------------ reductions (ctx = axes, keepdims)
def sum(ctx, x):
    """sum over axes: f = sum of x."""
    return x.sum(axis=ctx[0], keepdims=ctx[1])


def sum_vjp(i, g, out, ctx, x):
    """dx = g, copied to every element that was summed."""
    return _expand(g, ctx, x.shape)


def mean(ctx, x):
    """mean over axes: f = sum(x) / n."""
    out = x.sum(axis=ctx[0], keepdims=ctx[1])
    return out / (x.size // out.size) if out.size else out * np.nan


def mean_vjp(i, g, out, ctx, x):
    """dx = g / n for every element."""
    return _expand(g / (x.size // out.size if out.size else 1), ctx, x.shape)


def max(ctx, x):
    """max over axes: f = the largest element (the router)."""
    return x.max(axis=ctx[0], keepdims=ctx[1])


def max_vjp(i, g, out, ctx, x):
    """dx = g at the arg-max (the first one on ties), 0 elsewhere."""
    return first_argmax_mask(x, ctx[0]) * _expand(g, ctx, x.shape)


def first_argmax_mask(x: Array, axes: tuple[int, ...]) -> Array:
    """True at the first maximum of `x` over `axes` (one True per reduced slice)."""
    kept = [d for d in range(x.ndim) if d not in axes]
    order = kept + list(axes)
    moved = x.transpose(order)
    flat = moved.reshape(moved.shape[: len(kept)] + (-1,))
    mask = np.zeros(flat.shape, dtype=bool)
    np.put_along_axis(mask, flat.argmax(axis=-1)[..., None], True, axis=-1)
    return mask.reshape(moved.shape).transpose(np.argsort(order))


# ------------------------------------------------------------ fused softmax gates (ctx = axis)
def softmax(ctx, x):
    """softmax: f = e**x / sum e**x, computed from x - max(x): finite for any finite logits."""
    e = np.exp(x - x.max(axis=ctx, keepdims=True))
    return e / e.sum(axis=ctx, keepdims=True)


def softmax_vjp(i, g, out, ctx, x):
    """dx = f * (g - sum(g * f))."""
    return out * (g - (g * out).sum(axis=ctx, keepdims=True))


def log_softmax(ctx, x):
    """log_softmax: f = x - ln sum e**x, computed from x - max(x): finite for finite logits."""
    shifted = x - x.max(axis=ctx, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=ctx, keepdims=True))


def log_softmax_vjp(i, g, out, ctx, x):
    """dx = g - softmax(x) * sum(g), where softmax(x) = e**f."""
    return g - np.exp(out) * g.sum(axis=ctx, keepdims=True)


# ------------------------------------------------------------ fused layer and loss gates
def linear(ctx, x, w, b=None):
    """linear (fused, nn.Linear's gate): f = x @ w^T + b, one node instead of @, T and +."""
    out = x @ w.T
    return out if b is None else out + b


def linear_vjp(i, g, out, ctx, x, w, b=None):
    """dx = g @ w, dw = g^T @ x, db = g summed over the rows (x's leading axes flattened)."""
    if i == 0:
        return g @ w
    if g.ndim != 2:  # one row, or a batch of matrices: lay the rows out as a matrix
        g, x = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
    return g.T @ x if i == 1 else g.sum(axis=0)


class Targets:
    """cross_entropy's ctx: where the targets are (`index`, one (row, class) pick per row),
    the `reduction`, and the softmax the forward pass computed, kept for the VJP (as
    PyTorch's ctx.save_for_backward would)."""

    __slots__ = ("index", "reduction", "probs")

    def __init__(self, index: tuple, reduction: str) -> None:
        self.index, self.reduction, self.probs = index, reduction, None


def cross_entropy(ctx, x):
    """cross_entropy (fused, from logits x (..., C), class indices in ctx): per row
    f = -log softmax(x)[y] = log sum e**x - x[y], from x - max(x); then mean, sum or none."""
    shifted = x - x.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    sums = e.sum(axis=-1, keepdims=True)
    ctx.probs = e / sums
    losses = np.log(sums[..., 0]) - shifted[ctx.index]
    if ctx.reduction == "none":
        return losses
    loss = losses.sum()
    if ctx.reduction == "sum":
        return loss
    return loss / (losses.size or np.nan)  # the mean (of no rows: NaN, as in NumPy)


def cross_entropy_vjp(i, g, out, ctx, x):
    """dx = (softmax(x) - onehot(y)) * g per row (/ n rows for the mean): the lecture's a - y."""
    if ctx.reduction == "none":
        dx = ctx.probs * g[..., None]
    else:
        if ctx.reduction == "mean":
            g = g / (ctx.probs[..., 0].size or 1)
        dx = ctx.probs * g
    dx[ctx.index] -= g
    return dx


# ------------------------------------------------------------ shape gates
def reshape(ctx, x):
    """reshape (ctx = new shape): f = the same numbers, laid out in a new shape."""
    try:
        return x.reshape(ctx)
    except ValueError:
        raise ValueError(
            f"reshape: cannot lay out shape {x.shape} ({x.size} elements) as {ctx}"
        ) from None


def reshape_vjp(i, g, out, ctx, x):
    """dx = g laid out in x's shape."""
    return g.reshape(x.shape)


def transpose(ctx, x):
    """transpose (ctx = axes): f = x with its axes permuted."""
    return x.transpose(ctx)


def transpose_vjp(i, g, out, ctx, x):
    """dx = g with the inverse permutation."""
    return g.transpose(np.argsort(ctx))


def index(ctx, x):
    """index (ctx = the index): f = x[index] (ints, slices, boolean masks, integer arrays)."""
    return x[ctx]


def index_vjp(i, g, out, ctx, x):
    """dx = g scattered into zeros at index, adding where an element was picked twice."""
    dx = np.zeros_like(x)
    if is_basic_index(ctx):
        dx[ctx] = g
    else:
        np.add.at(dx, ctx, g)
    return dx


def is_basic_index(index: Any) -> bool:
    """True for ints, slices, None and Ellipsis: they never pick an element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


def concatenate(ctx, *xs):
    """concatenate (ctx = axis, offsets): f = x0, x1, ... joined along an existing axis."""
    return np.concatenate(xs, axis=ctx[0])


def concatenate_vjp(i, g, out, ctx, *xs):
    """dxi = the slice of g where xi went."""
    axis, offsets = ctx
    where = [slice(None)] * g.ndim
    where[axis] = slice(offsets[i], offsets[i + 1])
    return g[tuple(where)]


def stack(ctx, *xs):
    """stack (ctx = axis): f = x0, x1, ... stacked along a new axis."""
    return np.stack(xs, axis=ctx)


def stack_vjp(i, g, out, ctx, *xs):
    """dxi = the i-th slice of g along the new axis."""
    return np.take(g, i, axis=ctx)


# ------------------------------------------------------------ the table
class Gate(NamedTuple):
    """A gate: its forward rule and its vector-Jacobian product."""

    forward: Callable[..., Array]
    vjp: Callable[..., Array]


GATES: dict[str, Gate] = {
    "+": Gate(add, add_vjp),
    "-": Gate(sub, sub_vjp),
    "*": Gate(mul, mul_vjp),
    "/": Gate(div, div_vjp),
    "**": Gate(power, power_vjp),
    "@": Gate(matmul, matmul_vjp),
    "neg": Gate(neg, neg_vjp),
    "pow": Gate(pow, pow_vjp),
    "exp": Gate(exp, exp_vjp),
    "log": Gate(log, log_vjp),
    "tanh": Gate(tanh, tanh_vjp),
    "sigmoid": Gate(sigmoid, sigmoid_vjp),
    "relu": Gate(relu, relu_vjp),
    "sum": Gate(sum, sum_vjp),
    "mean": Gate(mean, mean_vjp),
    "max": Gate(max, max_vjp),
    "softmax": Gate(softmax, softmax_vjp),
    "log_softmax": Gate(log_softmax, log_softmax_vjp),
    "linear": Gate(linear, linear_vjp),
    "cross_entropy": Gate(cross_entropy, cross_entropy_vjp),
    "reshape": Gate(reshape, reshape_vjp),
    "transpose": Gate(transpose, transpose_vjp),
    "index": Gate(index, index_vjp),
    "concatenate": Gate(concatenate, concatenate_vjp),
    "stack": Gate(stack, stack_vjp),
}
