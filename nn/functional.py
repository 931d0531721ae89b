"""Activations and losses as functions, PyTorch's `torch.nn.functional` names, on both engines.

Every function takes either
  - a `Tensor` (or a NumPy array, taken as a constant Tensor), or
  - Values: one `Value` (or number), a list of them, or a list of such lists (rows),
and returns the same kind: a Tensor, or a Value / list of Values. The Value path builds the
graph gate by gate, so a loss on a scalar MLP can be drawn with `viz.draw`.

How the two engines share one formula: Values are held in a NumPy *object* array while a
formula runs, so `x - t`, `x * 2`, broadcasting and integer-array indexing work on them as
on a Tensor. The few operations NumPy cannot do on Values (exp, log, relu, sums, ...) go
through `_Ops` below, the one place that knows which engine it is working with. Each loss
formula is then written once, in the section "the loss formulas".

A float32 input stays float32: numeric targets and the constants a formula makes take the
input's dtype (PyTorch would promote a float64 target to float64; the lecture's targets are
exact 0/1/-1 labels, so nothing is lost).

Losses take `reduction="mean" | "sum" | "none"` (default "mean", as in PyTorch): the mean or
sum of the per-element (per-sample, for cross-entropy) losses, or all of them unreduced.
Everything is stable for logits of +-1000: log-softmax and softplus subtract the maximum
first (log-sum-exp), and `binary_cross_entropy` clamps its logs at -100 as PyTorch does.
"""

from __future__ import annotations

from typing import Any

import gradtrace
import numpy as np
from gradtrace import Tensor, Value, vsum
from gradtrace.custom_gates import ScalarGate
from gradtrace.tensor import TensorGate
from gradtrace.tensor_gates import check_reduction, class_index
from gradtrace.tensor_rules import GateRule, Part
from gradtrace.value import new_node

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "l1_loss",
    "leaky_relu",
    "log_softmax",
    "mse_loss",
    "multilabel_cross_entropy",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]

_LOG_FLOOR = -100.0  # PyTorch clamps log(p) in binary_cross_entropy at -100
# and divides its gradient by max(p (1 - p), EPSILON), EPSILON = 1e-12 as a float32 in its kernel
_BCE_EPS = float(np.float32(1e-12))


# ================================================================= the two engines, one place
class _Ops:
    """What a formula needs beyond NumPy operators, for one engine.

    `wrap` turns the user's input into the working form (a Tensor, or an object array of
    Values), `unwrap` turns a result back into the user's kind."""

    def __init__(self, tensor: bool, scalar: bool = False, dtype=np.float64):
        self.tensor = tensor
        self.scalar = scalar  # the user passed one Value: give one Value back
        self.dtype = np.dtype(dtype)  # float32 input stays float32: constants are made in it

    def const(self, numbers) -> np.ndarray:
        """Numbers a formula uses as a constant, in the input's float dtype."""
        return np.asarray(numbers, dtype=self.dtype)

    # -- elementwise gates: Tensor methods, or the same Value method on every element
    def exp(self, x):
        return x.exp() if self.tensor else _each(x, Value.exp)

    def log(self, x):
        return x.log() if self.tensor else _each(x, Value.log)

    def relu(self, x):
        return x.relu() if self.tensor else _each(x, Value.relu)

    def sigmoid(self, x):
        return x.sigmoid() if self.tensor else _each(x, Value.sigmoid)

    def tanh(self, x):
        return x.tanh() if self.tensor else _each(x, Value.tanh)

    def binary_cross_entropy(self, p, t):
        """PyTorch's BCE rule as one gate per element (a Tensor gate, or one Value node each):
        see _bce_numbers."""
        if self.tensor:
            return _BCE_GATE(p, t)
        out = np.empty(p.shape, dtype=object)
        for idx, v in np.ndenumerate(p):
            target = t[idx]
            loss, (dp, dt) = _bce_value(v.data, _numbers(target)[()])
            # the engine's node maker, with the gate record and the local gradients (not the
            # gate's own __call__, which refuses the infinite d/dt torch gives at p = 0 or 1)
            if isinstance(target, Value):
                out[idx] = new_node(loss, _BCE_VALUE_GATE, (v, target), (dp, dt), (v, target))
            else:
                out[idx] = new_node(loss, _BCE_VALUE_GATE, (v,), (dp,), (v, float(target)))
        return out

    # -- reductions: Tensor methods, or one n-ary "+" gate (vsum) per reduced slice
    def sum(self, x, axis=None, keepdims=False):
        if self.tensor:
            return x.sum(axis=axis, keepdims=keepdims)
        if axis is None:
            return vsum(x.ravel())
        moved = np.moveaxis(x, axis, -1)
        out = np.empty(moved.shape[:-1], dtype=object)
        for idx in np.ndindex(out.shape):
            out[idx] = vsum(moved[idx])
        if keepdims:
            return np.expand_dims(out, axis)
        return out[()] if out.ndim == 0 else out  # one row summed: a Value

    def mean(self, x):
        return x.mean() if self.tensor else self.sum(x) / x.size

    # -- row-wise (last axis) softmax family
    def log_softmax(self, x):
        """x - log sum exp(x) over the last axis, from x - max(x) so e**1000 never appears."""
        if self.tensor:
            return x.log_softmax(axis=-1)  # the fused gate: one node, VJP g - softmax * sum g
        m = _numbers(x).max(axis=-1, keepdims=True)  # a constant: the result does not depend on it
        log_sum_exp = self.log(self.sum(self.exp(x - m), axis=-1, keepdims=True)) + m
        return x + -log_sum_exp  # negate once per row, not once per element

    def softmax(self, x):
        """e**x / sum e**x over the last axis, from x - max(x) (the lecture's formula)."""
        if self.tensor:
            return x.softmax(axis=-1)
        e = self.exp(x - _numbers(x).max(axis=-1, keepdims=True))
        return e / self.sum(e, axis=-1, keepdims=True)

    # -- in and out
    def unwrap(self, out):
        if self.tensor or not isinstance(out, np.ndarray):
            return out
        if self.scalar and out.shape == (1,):
            return out[0]
        return out.tolist()


def _engine(x, name: str = "input") -> tuple[_Ops, Any]:
    """The one dispatch: which engine `x` belongs to, and `x` in that engine's working form."""
    if isinstance(x, Tensor):
        return _Ops(tensor=True, dtype=x.data.dtype), x
    if isinstance(x, np.ndarray) and x.dtype != object:
        dtype = np.float32 if x.dtype == np.float32 else np.float64
        return _Ops(tensor=True, dtype=dtype), Tensor(np.asarray(x, dtype=dtype))
    if isinstance(x, (Value, int, float)) and not isinstance(x, bool):
        return _Ops(tensor=False, scalar=True), _values([x], name)
    if isinstance(x, (list, tuple)):
        return _Ops(tensor=False), _values(x, name)
    raise TypeError(
        f"{name}: expected a Tensor, a Value, or a list of Values, got {type(x).__name__}"
    )


def _values(x, name: str) -> np.ndarray:
    """A (nested) list of Values and numbers as a rectangular object array of Values."""
    try:
        arr = np.array(x, dtype=object)
    except ValueError:
        arr = None
    if arr is None or any(isinstance(v, (list, tuple)) for v in arr.flat):
        raise ValueError(f"{name}: rows of Values must all have the same length")
    if arr.size == 0:
        raise ValueError(f"{name}: is empty")
    return _each(arr, _as_value)


def _as_value(v) -> Value:
    return v if isinstance(v, Value) else Value(v)


def _each(arr: np.ndarray, fn) -> np.ndarray:
    """fn applied to every element of an object array (keeps the shape)."""
    out = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        out[idx] = fn(v)
    return out


def _numbers(x) -> np.ndarray:
    """The forward numbers of a Tensor or an object array of Values, as a float64 array."""
    if isinstance(x, np.ndarray) and x.dtype == object:
        return np.vectorize(lambda v: v.data if isinstance(v, Value) else float(v), otypes=[float])(
            x
        )
    return np.asarray(getattr(x, "data", x), dtype=np.float64)


def _target(ops: _Ops, target, name: str = "target"):
    """A target in the working form: numbers as a float array; Values or Tensors kept as they
    are (so a loss can also be differentiated with respect to its target)."""
    if isinstance(target, Tensor):
        return target if ops.tensor else np.asarray(target.data, dtype=np.float64)
    if isinstance(target, Value):
        return np.array(target, dtype=object)  # 0-d
    if isinstance(target, (list, tuple)):
        arr = np.array(target, dtype=object)
        if any(isinstance(v, Value) for v in arr.flat):
            if ops.tensor:
                raise TypeError(f"{name}: Values cannot be the target of a Tensor input")
            return _values(target, name)
    try:
        return ops.const(target)  # numbers: a constant in the input's dtype
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numbers of a regular shape, got {target!r}") from None


def _check_same_shape(x, t, name: str = "target") -> None:
    if np.shape(t) != np.shape(x) and not (np.shape(t) == () and np.shape(x) == (1,)):
        raise ValueError(
            f"{name}: shape {tuple(np.shape(t))} does not match input shape {tuple(np.shape(x))}"
        )


def _reduce(ops: _Ops, losses, reduction: str):
    """The per-element losses, their mean or their sum."""
    if reduction == "none":
        return ops.unwrap(losses)
    if reduction == "sum":
        return ops.sum(losses)
    return ops.mean(losses)


# ================================================================= activations
def sigmoid(x):
    """sigmoid(x) = 1 / (1 + e**-x) elementwise (the fused gate, local gradient s(1 - s))."""
    if type(x) is Tensor:  # straight to the gate: see "Speed" in the module docstring
        return x.sigmoid()
    ops, x = _engine(x)
    return ops.unwrap(ops.sigmoid(x))


def tanh(x):
    """tanh(x) elementwise (local gradient 1 - tanh**2)."""
    if type(x) is Tensor:  # straight to the gate: see "Speed" in the module docstring
        return x.tanh()
    ops, x = _engine(x)
    return ops.unwrap(ops.tanh(x))


def relu(x):
    """relu(x) = max(0, x) elementwise (relu'(0) = 0)."""
    if type(x) is Tensor:  # straight to the gate: see "Speed" in the module docstring
        return x.relu()
    ops, x = _engine(x)
    return ops.unwrap(ops.relu(x))


def leaky_relu(x, negative_slope: float = 0.01):
    """leaky_relu(x) = x if x > 0 else negative_slope * x (the notes use 0.1; PyTorch 0.01).

    One mul gate by a constant picked from the forward value, so the gradient at 0 is
    `negative_slope`, as in PyTorch."""
    ops, x = _engine(x)
    return ops.unwrap(x * ops.const(np.where(_numbers(x) > 0, 1.0, float(negative_slope))))


def softmax(x, axis: int = -1):
    """softmax(x)_i = e**x_i / sum_j e**x_j over the last axis (a list of Values is one row)."""
    ops, x = _engine(x)
    _check_last_axis(axis, x)
    return ops.unwrap(ops.softmax(x))


def log_softmax(x, axis: int = -1):
    """log_softmax(x)_i = x_i - log sum_j e**x_j over the last axis, stable for any logits."""
    ops, x = _engine(x)
    _check_last_axis(axis, x)
    return ops.unwrap(ops.log_softmax(x))


def _check_last_axis(axis: int, x) -> None:
    ndim = len(np.shape(x))
    if axis not in (-1, ndim - 1):
        raise ValueError(f"axis: only the last axis is supported, got axis={axis} for {ndim}-D")


# ================================================================= the loss formulas
def mse_loss(input, target, reduction: str = "mean"):
    """Squared error (x - t)**2 per element; the notes' quadratic loss (regression)."""
    return _elementwise(lambda ops, x, t: (x - t) ** 2, input, target, reduction)


def l1_loss(input, target, reduction: str = "mean"):
    """Absolute error |x - t| per element, as (x - t) * sign(x - t) (gradient 0 at x = t)."""

    def formula(ops, x, t):
        d = x - t
        return d * ops.const(np.sign(_numbers(d)))

    return _elementwise(formula, input, target, reduction)


def binary_cross_entropy(input, target, reduction: str = "mean"):
    """BCE on probabilities p: -(t log p + (1 - t) log(1 - p)) per element, one "bce" gate
    per element with PyTorch's rule at the edges (see `_bce_numbers`): each log clamped at
    -100, so p = 0 or 1 gives a finite loss (100 per wrong certain answer), and the gradient
    (p - t) / max(p (1 - p), 1e-12), so a certain wrong answer (p = 0, t = 1) still pulls
    hard (-1e12 per element), never 0. Prefer `binary_cross_entropy_with_logits`."""

    def formula(ops, p, t):
        _check_range(_numbers(p), 0.0, 1.0, "input", "probabilities")
        _check_range(_numbers(t), 0.0, 1.0, "target", "probabilities")
        return ops.binary_cross_entropy(p, t)

    return _elementwise(formula, input, target, reduction)


def _bce_numbers(p, t):
    """PyTorch's binary_cross_entropy, elementwise on numbers: the loss
    -(t max(log p, -100) + (1 - t) max(log(1 - p), -100)), its gradient with respect to p,
    (p - t) / max(p (1 - p), 1e-12), and with respect to t, log(1 - p) - log p (unclamped,
    as torch: infinite at p = 0 or 1). The gradient in p is torch's formula, not the
    derivative of the clamped loss, which is 0 where a clamp is taken: the worst place to
    stop learning."""
    with np.errstate(divide="ignore"):
        log_p, log_not_p = np.log(p), np.log1p(-p)
    loss = -(t * np.maximum(log_p, _LOG_FLOOR) + (1 - t) * np.maximum(log_not_p, _LOG_FLOOR))
    return loss, (p - t) / np.maximum(p * (1 - p), _BCE_EPS), log_not_p - log_p


def _bce_slope(a, y):
    """(a − y) / (a(1 − a)), the denominator kept from 0 as torch keeps it."""
    return (a - y) / np.maximum(a * (1 - a), _BCE_EPS)


def _bce_forward(p, t):
    loss, dp, dt = _bce_numbers(p, t)
    return loss, {"dp": dp, "dt": dt}  # saved for the VJP


def _bce_vjp(g, out, p, t, dp, dt):
    return g * dp, g * dt


def _bce_value(p: float, t: float) -> tuple[float, tuple[float, float]]:
    """The Value bce gate's forward: (loss, (d/dp, d/dt)) on plain numbers."""
    loss, dp, dt = (float(n) for n in _bce_numbers(p, t))
    return loss, (dp, dt)


_BCE_FORMULA = "d/dp = (p − t) / (p(1 − p)), d/dt = ln(1 − p) − ln p"
_BCE_GATE = TensorGate("bce", _bce_forward, _bce_vjp, _BCE_FORMULA, builtin=True)
_BCE_VALUE_GATE = ScalarGate("bce", _bce_value, _BCE_FORMULA, builtin=True)
for _gate in (_BCE_GATE, _BCE_VALUE_GATE):  # check_gates says so, instead of a finding
    _gate.on_purpose = lambda p, t, **_: bool(np.any(np.asarray(p) * (1 - np.asarray(p)) < 1e-10))
    _gate.on_purpose_note = (
        "at a saturated probability (p(1 − p) < 1e-10) the bce gate follows PyTorch's clamp, "
        "(p − t) / max(p(1 − p), 1e-12), not the derivative of its clamped loss"
    )
_BCE_GATE.rule = GateRule(
    "J = −(y ln a + (1 − y) ln(1 − a)) per element",
    (
        Part("a", "δ ⊙ (a − y) / (a(1 − a))", lambda g, o, xs, s: g * _bce_slope(*xs)),
        Part("y", "δ ⊙ ln((1 − a) / a)", lambda g, o, xs, s: g * np.log((1 - xs[0]) / xs[0])),
    ),
)  # with a = σ(z) before it: δ ⊙ σ(z)(1 − σ(z)) cancels the denominator, leaving a − y


def binary_cross_entropy_with_logits(input, target, reduction: str = "mean"):
    """BCE of sigmoid(x) against t, from the logit x: softplus(x) - t * x per element.

    Equal to -(t log s + (1 - t) log(1 - s)) with s = sigmoid(x), but finite for any x:
    softplus(x) = log(1 + e**x) is computed as m + log(e**-m + e**(x - m)), m = max(x, 0).
    The gradient is sigmoid(x) - t, the lecture's a - y."""
    return _elementwise(lambda ops, x, t: _softplus(ops, x) - x * t, input, target, reduction)


def multilabel_cross_entropy(input, target, reduction: str = "mean", label_reduction: str = "sum"):
    """Multi-label loss (lecture 13/14): a sigmoid per output and BCE per label, from logits.

    Per sample, J = -sum_m [y_m log a_m + (1 - y_m) log(1 - a_m)] with a = sigmoid(z):
    `label_reduction="sum"` as in the notes, or "mean" over the labels (PyTorch's
    multilabel_soft_margin_loss). Then `reduction` over the samples. input (N, C) or (C,)
    logits, target the same shape of 0/1 labels (several may be 1)."""
    check_reduction(reduction)
    if label_reduction not in ("sum", "mean"):
        raise ValueError(f"label_reduction: expected 'sum' or 'mean', got {label_reduction!r}")
    ops, x = _engine(input)
    t = _target(ops, target)
    _check_same_shape(x, t)
    per_label = _softplus(ops, x) - x * t
    per_sample = ops.sum(per_label, axis=-1)
    if label_reduction == "mean":
        per_sample = per_sample / np.shape(x)[-1]
    return _reduce_rows(ops, per_sample, reduction)


def cross_entropy(input, target, reduction: str = "mean"):
    """Softmax + categorical cross-entropy from logits: -sum_k y_k log softmax(z)_k per row.

    input: logits (N, C), or one row (C,) (a list of C Values). target: class indices (N,)
    (one int for one row), or one-hot / probability rows of the input's shape. Computed with
    log-softmax (log-sum-exp), so logits of +-1000 are fine. The gradient is softmax(z) - y,
    the lecture's delta = a - y. "mean" divides by the number of rows N.

    The loss to train with (torch.nn.functional.cross_entropy). For Tensors with class
    indices it runs the engine's fused gate gradtrace.cross_entropy; not to be confused
    with gradtrace.nn.metrics.cross_entropy(p, q), the cross-entropy H(p, q) of two
    distributions in bits (a number, no graph)."""
    if type(input) is Tensor and _is_class_index(target, input.shape):
        return gradtrace.cross_entropy(input, target, reduction)  # the fused gate
    check_reduction(reduction)
    ops, z = _engine(input)
    shape = np.shape(z)
    t = _target(ops, target)
    if np.shape(t) == shape:  # one-hot or probability rows
        losses = -ops.sum(ops.log_softmax(z) * t, axis=-1)
    elif np.shape(t) == shape[:-1] or (ops.scalar and np.shape(t) == ()):
        rows = _class_indices(t, target, shape, "cross_entropy")
        if ops.tensor:  # one fused gate: log-softmax, pick, reduce; its VJP is softmax - onehot
            return gradtrace.cross_entropy(z, rows[-1], reduction)
        losses = -_pick(ops.log_softmax(z), rows)
    else:
        raise ValueError(
            f"target: shape {np.shape(t)} fits neither class indices {shape[:-1]} nor "
            f"one-hot rows {shape} for input of shape {shape}"
        )
    return _reduce_rows(ops, losses, reduction)


def _is_class_index(target, shape: tuple) -> bool:
    """Is `target` an integer array with one class index per row of an input of `shape`?"""
    return (
        isinstance(target, np.ndarray) and target.dtype.kind in "iu" and target.shape == shape[:-1]
    )


def hinge_loss(input, target, reduction: str = "mean", margin: float = 1.0):
    """Hinge loss, binary or multi-class, by the target's shape.

    Binary (target shaped like input, labels t in {-1, +1}): max(0, margin - t * y) per
    element, the lecture's max(0, 1 - t y). Multi-class (input (N, C) scores, target (N,)
    class indices): the multi-class SVM loss of the cs231n notes (Weston-Watkins),
    sum_{j != y} max(0, s_j - s_y + margin) per row, not divided by C (PyTorch's
    multi_margin_loss is this divided by C)."""
    check_reduction(reduction)
    ops, s = _engine(input)
    t = _target(ops, target)
    shape = np.shape(s)
    if np.shape(t) == shape or (ops.scalar and np.shape(t) == ()):
        if not np.all(np.isin(_numbers(t), (-1.0, 1.0))):
            raise ValueError(
                "target: binary hinge loss needs labels -1 or +1 (for class indices, give "
                f"input of shape (N, C) and target of shape (N,)); got {np.unique(_numbers(t))}"
            )
        return _reduce(ops, ops.relu(margin - s * t), reduction)
    if np.shape(t) != shape[:-1] or len(shape) == 0:
        raise ValueError(
            f"target: shape {np.shape(t)} fits neither binary labels {shape} nor class "
            f"indices {shape[:-1]} for input of shape {shape}"
        )
    rows = _class_indices(t, target, shape, "hinge_loss")
    correct = _pick(s, rows)
    if ops.tensor:
        correct = correct.reshape(*correct.shape, 1)
    else:
        correct = np.expand_dims(np.asarray(correct, dtype=object), -1)
    others = ops.const(1.0 - _one_hot_mask(rows, shape))  # the j != y terms
    losses = ops.sum(ops.relu(s - correct + margin) * others, axis=-1)
    return _reduce_rows(ops, losses, reduction)


def _elementwise(formula, input, target, reduction: str):
    """Run an elementwise loss formula f(ops, x, t) on either engine and reduce it."""
    check_reduction(reduction)
    ops, x = _engine(input)
    t = _target(ops, target)
    _check_same_shape(x, t)
    if not ops.tensor and np.shape(t) == ():
        t = np.reshape(t, (1,))
    return _reduce(ops, formula(ops, x, t), reduction)


def _softplus(ops: _Ops, x):
    """softplus(x) = log(1 + e**x) = m + log(e**-m + e**(x - m)) with m = max(x, 0) a
    constant: no overflow, and the gradient e**(x-m) / (e**-m + e**(x-m)) = sigmoid(x)."""
    m = ops.const(np.maximum(_numbers(x), 0.0))
    return ops.log(ops.exp(x - m) + np.exp(-m)) + m


# ================================================================= helpers for class targets
def _class_indices(t, target, shape: tuple, who: str) -> tuple:
    """Class indices as the index tuple picking one entry per row, checked by the engine's
    one check (`class_index`). Whole numbers in a float array or in Values are accepted as
    indices here (a list of Values has no integer dtype)."""
    if isinstance(t, np.ndarray) and t.dtype == object:  # Values
        arr = _numbers(t)
    else:  # the user's numbers, not their float copy: integer indices stay integers
        arr = np.asarray(getattr(target, "data", target))
    if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    return class_index(arr, shape, who)


def _pick(x, rows: tuple):
    """x[i, rows[i]] for every row i (integer-array indexing, on either engine)."""
    return x[rows]


def _one_hot_mask(rows: tuple, shape: tuple) -> np.ndarray:
    mask = np.zeros(shape)
    mask[rows] = 1.0
    return mask


def _reduce_rows(ops: _Ops, losses, reduction: str):
    """Reduce per-row losses; one row of Values gives its loss as one Value, whatever the
    reduction (PyTorch gives a 0-d tensor for one row, too)."""
    if isinstance(losses, Value):
        return losses
    return _reduce(ops, losses, reduction)


def _check_range(values: np.ndarray, low: float, high: float, name: str, what: str) -> None:
    if np.any(~((values >= low) & (values <= high))):
        bad = values[~((values >= low) & (values <= high))].flat[0]
        raise ValueError(f"{name}: {what} must be in [{low:g}, {high:g}], found {bad}")
