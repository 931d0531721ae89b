"""The Tensor gates: each gate's forward rule right under its vector-Jacobian product (VJP).

For a scalar gate the local gradient is a number. For a Tensor gate the local Jacobian would
be enormous (409,600 x 409,600 for a 4096-wide layer on a minibatch of 100), so it is never
built: each gate instead says how to turn the upstream gradient `g` (d loss / d out, shaped
like `out`) into one gradient per input. Every gate is the same two functions a learner
writes for `gradtrace.gate`:

    vjp(g, out, *xs, **settings) -> (dx0, dx1, ...)    one per input, None for none
    @register(name, vjp=...)
    def forward(*xs, **settings) -> out                 xs: the input arrays

`register` (tensor.py) puts the gate in the one registry, `GATES`. A VJP may return gradients
shaped like the broadcast result: broadcasting is undone in one place, `tensor.unbroadcast`.

Two fused gates do in one node what several would do, because training runs them on every
step: `linear` (x @ w^T + b, nn.Linear) and `cross_entropy` (log-softmax, pick, mean). The
softmax family (softmax, log_softmax, cross_entropy) shares one stable helper, `_stable_exp`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .tensor import ArrayLike, Tensor, as_tensor, one_axis, register

Array = np.ndarray

# The training step's hot path (linear, cross_entropy, class indices) reduces with the ufuncs
# themselves: `ndarray.sum` / `.max` go through NumPy's Python wrapper (_methods), about 1 us
# a call on a (32, 10) array against 0.5 us; five calls a step of the digits MLP
# (64-128-64-10, batch 32), where the whole step is 0.13 ms. Same results (they are what
# the methods call).
_sum, _max = np.add.reduce, np.maximum.reduce
_UNSIGNED = {np.dtype(f"int{n}"): np.dtype(f"uint{n}") for n in (8, 16, 32, 64)}


# ------------------------------------------------------------ elementwise, two inputs
def _add_vjp(g, out, a, b):
    """da = g, db = g (the distributor)."""
    return g, g


@register("+", vjp=_add_vjp, formula="dA = dC, dB = dC (the distributor)", word="add")
def add(a, b):
    """add: f = a + b."""
    return a + b


def _sub_vjp(g, out, a, b):
    """da = g, db = -g."""
    return g, -g


@register("-", vjp=_sub_vjp, formula="dA = dC, dB = −dC", word="sub")
def sub(a, b):
    """sub: f = a - b."""
    return a - b


def _mul_vjp(g, out, a, b, needs=(True, True)):
    """da = g * b, db = g * a (the switcher)."""
    return g * b if needs[0] else None, g * a if needs[1] else None


@register("*", vjp=_mul_vjp, formula="dA = dC ⊙ B, dB = dC ⊙ A (the switcher)", word="mul")
def mul(a, b):
    """mul: f = a * b."""
    return a * b


def _div_vjp(g, out, a, b, needs=(True, True)):
    """da = g / b, db = -g * a / b**2 = -g * f / b."""
    return g / b if needs[0] else None, -g * out / b if needs[1] else None


@register("/", vjp=_div_vjp, formula="dA = dC / B, dB = −dC ⊙ A / B²", word="div")
def div(a, b):
    """div: f = a / b."""
    return a / b


def _power_vjp(g, out, a, b, needs=(True, True)):
    """da = g * b * a**(b-1) (0 where b = 0: a**0 is constant, as torch), db = g * f * ln(a)
    (taken as 0 where a = 0)."""
    da = None
    if needs[0] and np.all(b):
        da = g * b * a ** (b - 1)
    elif needs[0]:  # some exponent is 0, where 0 * 0**-1 would be NaN (and warn)
        with np.errstate(divide="ignore", invalid="ignore"):
            da = np.where(b == 0, 0, g * b * a ** (b - 1))
    if not needs[1]:
        return da, None
    with np.errstate(divide="ignore", invalid="ignore"):
        return da, np.where(a == 0, 0, g * out * np.log(a))


@register("**", vjp=_power_vjp, formula="dA = dC ⊙ B·A^(B−1), dB = dC ⊙ A^B·ln A", word="power")
def power(a, b):
    """power (tensor exponent): f = a ** b."""
    return a**b


def _matmul_vjp(g, out, a, b, needs=(True, True)):
    """da = g @ b^T, db = a^T @ g (a 1-D operand is a row or a column vector)."""
    return (
        _matmul_grad_a(g, a, b) if needs[0] else None,
        _matmul_grad_b(g, a, b) if needs[1] else None,
    )


def _matmul_grad_a(g, a, b):
    if b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n); a dot product when a is 1-D too
        return g[..., None] * b
    if a.ndim == 1:  # (k,) @ (..., k, m) -> (..., m)
        return (b @ g[..., None])[..., 0]
    return g @ np.swapaxes(b, -1, -2)


def _matmul_grad_b(g, a, b):
    if a.ndim == 1 and b.ndim == 1:  # dot product: g is a scalar
        return g * a
    if b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
        return a.reshape(g.size, a.shape[-1]).T @ g.reshape(-1)  # g.size, not -1: k may be 0
    if a.ndim == 1:  # (k,) @ (..., k, m) -> (..., m)
        return a[:, None] * g[..., None, :]
    return np.swapaxes(a, -1, -2) @ g


@register("@", vjp=_matmul_vjp, formula="dA = dC · Bᵀ, dB = Aᵀ · dC", word="matmul")
def matmul(a, b):
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


# ------------------------------------------------------------ elementwise, one input
def _neg_vjp(g, out, x):
    """dx = -g."""
    return (-g,)


@register("neg", vjp=_neg_vjp, formula="dX = −dC")
def neg(x):
    """neg: f = -x."""
    return -x


def _power_by_number_vjp(g, out, x, n):
    """dx = g * n * x**(n-1); for n = 0, f = 1 is constant and dx = 0 everywhere, even at
    x = 0 where 0 * 0**-1 would be NaN (as torch and the Value pow gate)."""
    if n == 0:
        return (np.zeros_like(g),)
    return (g * (n * x ** (n - 1)),)


@register("pow", vjp=_power_by_number_vjp, formula="dX = dC ⊙ n·Xⁿ⁻¹", folds=("**", "n"))
def power_by_number(x, n):
    """pow (a number exponent n): f = x ** n."""
    return x**n


def _exp_vjp(g, out, x):
    """dx = g * f."""
    return (g * out,)


@register("exp", vjp=_exp_vjp, formula="dX = dC ⊙ eˣ")
def exp(x):
    """exp: f = e ** x."""
    return np.exp(x)


def _log_vjp(g, out, x):
    """dx = g / x."""
    return (g / x,)


@register("log", vjp=_log_vjp, formula="dX = dC / X")
def log(x):
    """log: f = ln(x)."""
    return np.log(x)


def _tanh_vjp(g, out, x):
    """dx = g * (1 - f**2)."""
    return (g * (1 - out * out),)


@register("tanh", vjp=_tanh_vjp, formula="dX = dC ⊙ (1 − tanh²(X))")
def tanh(x):
    """tanh: f = tanh(x)."""
    return np.tanh(x)


def _sigmoid_vjp(g, out, x):
    """dx = g * f * (1 - f)."""
    return (g * out * (1 - out),)


@register("sigmoid", vjp=_sigmoid_vjp, formula="σ(z)(1 − σ(z))")
def sigmoid(x):
    """sigmoid (fused, stable): f = 1/(1+e**-x), computed as e**x/(1+e**x) for x < 0."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _relu_vjp(g, out, x):
    """dx = g where x > 0, else 0 (so relu'(0) = 0)."""
    return (g * (out > 0),)


@register("relu", vjp=_relu_vjp, formula="dX = dC where X > 0, else 0")
def relu(x):
    """relu: f = max(0, x)."""
    return np.maximum(x, 0)


# ------------------------------------------------------------ reductions (axes, keepdims)
def _expand(g: Array, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> Array:
    """The upstream gradient of a reduction, broadcast back over the reduced axes."""
    if not keepdims and g.ndim:  # put the reduced axes back, with size 1 (a 0-d g needs none)
        g = g.reshape([1 if d in axes else n for d, n in enumerate(shape)])
    return np.broadcast_to(g, shape)


def _sum_vjp(g, out, x, axes, keepdims):
    """dx = g, copied to every element that was summed."""
    return (_expand(g, axes, keepdims, x.shape),)


@register("sum", vjp=_sum_vjp, formula="dX = dC copied to every summed element")
def reduce_sum(x, axes, keepdims):
    """sum over axes: f = sum of x."""
    return x.sum(axis=axes, keepdims=keepdims)


def _mean_vjp(g, out, x, axes, keepdims):
    """dx = g / n for every element."""
    return (_expand(g / (x.size // out.size if out.size else 1), axes, keepdims, x.shape),)


@register("mean", vjp=_mean_vjp, formula="dX = dC / n for every element")
def reduce_mean(x, axes, keepdims):
    """mean over axes: f = sum(x) / n."""
    out = x.sum(axis=axes, keepdims=keepdims)
    return out / (x.size // out.size) if out.size else out * np.nan


def _max_vjp(g, out, x, axes, keepdims):
    """dx = g at the arg-max (the first one on ties), 0 elsewhere."""
    return (first_argmax_mask(x, axes) * _expand(g, axes, keepdims, x.shape),)


@register("max", vjp=_max_vjp, formula="dX = dC at the arg-max (the first on ties), 0 elsewhere")
def reduce_max(x, axes, keepdims):
    """max over axes: f = the largest element (the router). Over an empty axis there is none:
    an error, as in NumPy and torch."""
    try:
        return x.max(axis=axes, keepdims=keepdims)
    except ValueError:
        raise ValueError(
            f"max gate: a tensor of shape {x.shape} has no largest element over axes {axes}, "
            f"which hold no elements"
        ) from None


def first_argmax_mask(x: Array, axes: tuple[int, ...]) -> Array:
    """True at the first maximum of `x` over `axes` (one True per reduced slice)."""
    kept = [d for d in range(x.ndim) if d not in axes]
    order = kept + list(axes)
    moved = x.transpose(order)
    flat = moved.reshape(moved.shape[: len(kept)] + (math.prod(x.shape[d] for d in axes),))
    mask = np.zeros(flat.shape, dtype=bool)
    np.put_along_axis(mask, flat.argmax(axis=-1)[..., None], True, axis=-1)
    return mask.reshape(moved.shape).transpose(np.argsort(order))


# ------------------------------------------------------------ the softmax family (axis)
def _stable_exp(x: Array, axis: int) -> tuple[Array, Array, Array]:
    """The one stable start of softmax, log-softmax and log-sum-exp along `axis`:
    s = x - max(x), e**s and sum e**s. Then softmax = e**s / sum, log_softmax = s - ln sum,
    log-sum-exp = max + ln sum; e**s <= 1, so finite logits never overflow. Over an empty
    axis there is nothing to normalise: the results are empty, as in torch (sum = 1)."""
    if not x.shape[axis]:
        return x, x, np.ones_like(x, shape=x.shape[:axis] + (1,) + x.shape[axis:][1:])
    shifted = x - _max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return shifted, e, _sum(e, axis=axis, keepdims=True)


def _softmax_vjp(g, out, x, axis):
    """dx = f * (g - sum(g * f))."""
    return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)


@register("softmax", vjp=_softmax_vjp, formula="dZ = S ⊙ (dC − Σ dC ⊙ S)")
def softmax(x, axis):
    """softmax: f = e**x / sum e**x."""
    _, e, sums = _stable_exp(x, axis)
    return e / sums


def _log_softmax_vjp(g, out, x, axis):
    """dx = g - softmax(x) * sum(g), where softmax(x) = e**f."""
    return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)


@register("log_softmax", vjp=_log_softmax_vjp, formula="dZ = dC − softmax(Z) · Σ dC")
def log_softmax(x, axis):
    """log_softmax: f = x - ln sum e**x."""
    shifted, _, sums = _stable_exp(x, axis)
    return shifted - np.log(sums)


def _cross_entropy_vjp(g, out, x, index, reduction, probs):
    """dx = (softmax(x) - onehot(y)) * g per row (/ n rows for the mean): the lecture's a - y."""
    if reduction == "none":
        dx = probs * g[..., None]
    else:
        if reduction == "mean":
            g = g / (probs[..., 0].size or 1)
        dx = probs * g
    dx[index] -= g
    return (dx,)


@register(
    "cross_entropy", vjp=_cross_entropy_vjp, formula="dZ = (a − y) / n (softmax minus one-hot)"
)
def cross_entropy_loss(x, index, reduction):
    """cross_entropy (fused, from logits x (..., C) and the (row, class) picks `index`): per
    row f = -log softmax(x)[y] = log sum e**x - x[y]; then mean, sum or none. Saves the
    softmax for the VJP."""
    shifted, e, sums = _stable_exp(x, -1)
    losses = np.log(sums[..., 0]) - shifted[index]
    saved = {"probs": e / sums}
    if reduction == "none":
        return losses, saved
    loss = _sum(losses, axis=None)
    if reduction == "sum":
        return loss, saved
    return loss / (losses.size or np.nan), saved  # the mean (of no rows: NaN, as in NumPy)


REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str) -> str:
    """A loss's `reduction` checked: the one check, used by this fused gate and by every loss
    in gradtrace.nn.functional."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def class_index(target: Any, shape: tuple, who: str = "cross_entropy") -> tuple:
    """Integer class indices `target` (shape[:-1]) checked against scores of `shape` (..., C);
    returns the index tuple that picks each row's target entry. The one check of class
    indices, used by this fused gate and by gradtrace.nn.functional's losses (`who` names
    the function in the message)."""
    target = np.asarray(target)
    c = shape[-1] if len(shape) else 0
    if len(shape) == 0 or target.shape != shape[:-1] or target.dtype.kind not in "iu":
        raise ValueError(
            f"{who}: target must be class indices (integers) of shape {shape[:-1]} for "
            f"input of shape {shape}, got {target.dtype} of shape {target.shape}"
        )
    # one pass checks both ends: as unsigned numbers (a view, no copy) negative ones are huge
    unsigned = _UNSIGNED.get(target.dtype)
    as_unsigned = target.astype(np.uint64) if unsigned is None else target.view(unsigned)
    if target.size and _max(as_unsigned, axis=None) >= c:
        bad = target[(target < 0) | (target >= c)].flat[0]
        raise ValueError(
            f"target: class index {int(bad)} is outside [0, {c}) for input of "
            f"shape {shape} ({c} classes)"
        )
    if target.ndim == 1:
        return (np.arange(len(target)), target)
    return (*np.indices(target.shape, sparse=True), target)


def cross_entropy(logits: ArrayLike, target: ArrayLike, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of `logits` (..., C) against integer class indices `target`
    (...), as one fused gate: log-softmax, the pick of each row's target and the reduction
    ("mean", "sum" or "none") in one node, whose VJP is (softmax - onehot) / n. This is the
    engine's gate; the loss users call is gradtrace.nn.functional.cross_entropy (which runs
    this gate for Tensors), and gradtrace.nn.metrics.cross_entropy is the entropy H(p, q)
    of two distributions in bits, another quantity."""
    logits = as_tensor(logits)
    index = class_index(target, logits.shape)
    settings = {"index": index, "reduction": check_reduction(reduction)}
    return cross_entropy_loss(logits, **settings)


# ------------------------------------------------------------ the fused layer gate
def _linear_vjp(g, out, x, w, b=None, needs=(True, True, True)):
    """dx = g @ w, dw = g^T @ x, db = g summed over the rows (x's leading axes flattened)."""
    dx = g @ w if needs[0] else None
    if g.ndim != 2:  # one row, or a batch of matrices: lay the rows out as a matrix
        rows = math.prod(g.shape[:-1])  # not -1: with zero features the size says nothing
        g, x = g.reshape(rows, g.shape[-1]), x.reshape(rows, x.shape[-1])
    dw = g.T @ x if needs[1] else None
    if b is None:
        return dx, dw
    return dx, dw, _sum(g, axis=0) if needs[2] else None


@register("linear", vjp=_linear_vjp, formula="dX = dC · W, dW = dCᵀ · X, db = Σ rows of dC")
def linear_layer(x, w, b=None):
    """linear (fused, nn.Linear's gate): f = x @ w^T + b, one node instead of @, T and +."""
    out = x @ w.T
    return out if b is None else out + b


def linear(input: ArrayLike, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias as one fused gate (what nn.Linear runs), PyTorch's F.linear:
    weight is (out, in) and bias (out,); input is (..., in). Same values and gradients as the
    three gates @, T and +, with one node and no unbroadcasting."""
    x = as_tensor(input)
    w = weight.data.shape
    if len(w) != 2 or x.data.shape[-1:] != w[1:] or (bias is not None and bias.data.shape != w[:1]):
        got = "no bias" if bias is None else f"bias {bias.shape}"
        raise ValueError(
            f"linear: input {x.shape} and {got} do not fit weight {weight.shape} (expected "
            f"a 2-D weight (out, in), input (..., in) and bias (out,))"
        )
    return linear_layer(x, weight) if bias is None else linear_layer(x, weight, bias)


# ------------------------------------------------------------ shape gates
def _reshape_vjp(g, out, x, shape):
    """dx = g laid out in x's shape."""
    return (g.reshape(x.shape),)


@register("reshape", vjp=_reshape_vjp, formula="dX = dC laid out in X's shape")
def reshape(x, shape):
    """reshape: f = the same numbers, laid out in a new shape."""
    try:
        return x.reshape(shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot lay out shape {x.shape} ({x.size} elements) as {shape}"
        ) from None


def _transpose_vjp(g, out, x, axes):
    """dx = g with the inverse permutation."""
    return (g.transpose(np.argsort(axes)),)


@register("transpose", vjp=_transpose_vjp, formula="dX = dC with the inverse permutation")
def transpose(x, axes):
    """transpose: f = x with its axes permuted."""
    return x.transpose(axes)


def _index_vjp(g, out, x, index):
    """dx = g scattered into zeros at index, adding where an element was picked twice."""
    dx = np.zeros_like(x)
    if is_basic_index(index):
        dx[index] = g
    else:
        np.add.at(dx, index, g)
    return (dx,)


@register(
    "index",
    vjp=_index_vjp,
    formula="dX = dC scattered back to the picked places (added where picked twice)",
)
def index_array(x, index):
    """index: f = x[index] (ints, slices, boolean masks, integer arrays)."""
    return x[index]


def is_basic_index(index: Any) -> bool:
    """True for ints, slices, None and Ellipsis: they never pick an element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


# ------------------------------------------------------------ joining (any number of inputs)
def _concatenate_vjp(g, out, *xs, axis, offsets):
    """dxi = the slice of g where xi went."""
    where = [slice(None)] * g.ndim
    grads = []
    for i in range(len(xs)):
        where[axis] = slice(offsets[i], offsets[i + 1])
        grads.append(g[tuple(where)])
    return grads


@register("concatenate", vjp=_concatenate_vjp, formula="dXᵢ = the slice of dC where Xᵢ went")
def concatenate_arrays(*xs, axis, offsets):
    """concatenate: f = x0, x1, ... joined along an existing axis."""
    try:
        return np.concatenate(xs, axis=axis)
    except ValueError:
        raise ValueError(
            f"concatenate: cannot join shapes {_shapes(xs)} along axis {axis}: every other "
            f"axis must match"
        ) from None


def concatenate(tensors: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (as `np.concatenate`); each gets its slice of the
    gradient back."""
    ts = _lift_all(tensors, "concatenate")
    if any(t.ndim != ts[0].ndim for t in ts) or not ts[0].ndim:
        raise ValueError(
            f"concatenate: cannot join shapes {_shapes(ts)}: they need the same number of "
            f"axes, at least one (stack makes a new axis)"
        )
    axis = one_axis(axis, ts[0].shape, "concatenate")
    offsets = [0]
    for t in ts:
        offsets.append(offsets[-1] + t.shape[axis])
    return concatenate_arrays(*ts, axis=axis, offsets=tuple(offsets))


def _stack_vjp(g, out, *xs, axis):
    """dxi = the i-th slice of g along the new axis."""
    return [np.take(g, i, axis=axis) for i in range(len(xs))]


@register("stack", vjp=_stack_vjp, formula="dXᵢ = slice i of dC along the new axis")
def stack_arrays(*xs, axis):
    """stack: f = x0, x1, ... stacked along a new axis."""
    return np.stack(xs, axis=axis)


def _shapes(xs: Sequence[Any]) -> str:
    """The shapes of a joining gate's inputs, for its error messages."""
    return ", ".join(str(x.shape) for x in xs)


def stack(tensors: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Stack same-shaped tensors along a new axis (as `np.stack`)."""
    ts = _lift_all(tensors, "stack")
    if any(t.shape != ts[0].shape for t in ts):
        raise ValueError(f"stack: the tensors must have the same shape, got {_shapes(ts)}")
    return stack_arrays(*ts, axis=one_axis(axis, (len(ts), *ts[0].shape), "stack"))


def _lift_all(tensors: Sequence[ArrayLike], name: str) -> list[Tensor]:
    """The inputs of a joining gate as Tensors (at least one), in the first Tensor's dtype."""
    if not len(tensors):
        raise ValueError(f"{name}: needs at least one tensor")
    like = next((t for t in tensors if isinstance(t, Tensor)), None)
    return [as_tensor(t, like) for t in tensors]
