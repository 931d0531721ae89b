"""`Tensor`: a NumPy array as a node of the computation graph.

The same graph and the same backward pass as `Value` (engine.py), with arrays instead of
floats. Each operation looks its gate up in the gate table (tensor_gates.py), runs the
forward rule and records the node: its parents, the gate's vector-Jacobian product and the
gate's settings. Backward asks each gate for one gradient per parent that needs one, sums it
back to the parent's shape (the one `unbroadcast`) and adds it to the parent's `grad`.

Memory: leaves keep their gradients; an inner node's gradient is dropped as soon as it has
been handed to its parents (unless `retain_grad()` asked to keep it), so a training loop's
memory stays flat from step to step.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any, Union

import numpy as np

from . import tensor_gates as gates
from .anomaly import _AnomalyMode, check_backward, check_forward, creation_site
from .engine import _GradMode, backward, topological_order

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence]

_GATES = gates.GATES
_new = object.__new__
_ndarray = np.ndarray


class Tensor:
    """A NumPy-backed node: `data` (ndarray, float64 unless given float32), `grad` (ndarray
    shaped like `data`, or None until backward reaches it), `requires_grad`, `op` (the gate
    that made it, "" for a leaf), `parents` (its inputs, in operand order) and `label`."""

    __slots__ = (
        "data", "grad", "requires_grad", "op", "parents", "label",
        "_vjp", "_ctx", "_retain", "_site", "__weakref__",
    )  # fmt: skip

    # NumPy defers to us: `ndarray + Tensor` calls Tensor.__radd__ and gives a Tensor.
    __array_priority__ = 1000
    __array_ufunc__ = None

    def __init__(self, data: ArrayLike, requires_grad: bool = False, label: str = "") -> None:
        """Copy `data` into a new leaf (as `torch.tensor` does). Floating arrays keep their
        dtype (float32 stays float32); integers and booleans become float64."""
        if isinstance(data, Tensor):
            data = data.data
        arr = np.array(data)
        if arr.dtype.kind != "f":
            if arr.dtype.kind not in "biu":
                raise TypeError(
                    f"Tensor(data): data must be numeric, got an array of dtype {arr.dtype}"
                )
            arr = arr.astype(np.float64)
        self.data = arr
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.op = ""
        self.parents: tuple[Tensor, ...] = ()
        self.label = label
        self._vjp = None
        self._ctx = None
        self._retain = False
        self._site = None

    # ------------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        """The number of elements."""
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for a tensor made by the user (or under no_grad), not by a gate."""
        return not self.parents

    def __len__(self) -> int:
        return len(self.data)

    # ------------------------------------------------------------------ elementwise gates
    def __add__(self, other: ArrayLike) -> Tensor:
        return _binary("+", self, _lift(other, self))

    def __radd__(self, other: ArrayLike) -> Tensor:
        return _binary("+", _lift(other, self), self)

    def __sub__(self, other: ArrayLike) -> Tensor:
        return _binary("-", self, _lift(other, self))

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return _binary("-", _lift(other, self), self)

    def __mul__(self, other: ArrayLike) -> Tensor:
        return _binary("*", self, _lift(other, self))

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return _binary("*", _lift(other, self), self)

    def __truediv__(self, other: ArrayLike) -> Tensor:
        return _binary("/", self, _lift(other, self))

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return _binary("/", _lift(other, self), self)

    def __matmul__(self, other: ArrayLike) -> Tensor:
        return _binary("@", self, _lift(other, self))

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return _binary("@", _lift(other, self), self)

    def __pow__(self, exponent: ArrayLike) -> Tensor:
        """x ** n for a number n is the one-input "pow" gate; a tensor exponent is "**"."""
        if isinstance(exponent, Real):
            n = float(exponent)
            n = int(n) if n.is_integer() else n
            return _unary("pow", self, n, op=f"**{n:g}")
        return _binary("**", self, _lift(exponent, self))

    def __rpow__(self, base: ArrayLike) -> Tensor:
        return _binary("**", _lift(base, self), self)

    def __neg__(self) -> Tensor:
        return _unary("neg", self)

    def exp(self) -> Tensor:
        return _unary("exp", self)

    def log(self) -> Tensor:
        return _unary("log", self)

    def tanh(self) -> Tensor:
        return _unary("tanh", self)

    def sigmoid(self) -> Tensor:
        return _unary("sigmoid", self)

    def relu(self) -> Tensor:
        return _unary("relu", self)

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return _unary("sum", self, (gates.normalize_axes(axis, self.data.ndim), keepdims))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return _unary("mean", self, (gates.normalize_axes(axis, self.data.ndim), keepdims))

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """The largest element(s); the gradient goes to the arg-max, the first one on ties."""
        return _unary("max", self, (gates.normalize_axes(axis, self.data.ndim), keepdims))

    def softmax(self, axis: int = -1) -> Tensor:
        """e**x / sum e**x along `axis`: one fused, stable gate."""
        return _unary("softmax", self, gates.normalize_axes(axis, self.data.ndim)[0])

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - ln sum e**x along `axis`: one fused, stable gate."""
        return _unary("log_softmax", self, gates.normalize_axes(axis, self.data.ndim)[0])

    # ------------------------------------------------------------------ shapes and indexing
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same numbers in a new shape; `reshape(2, 3)` and `reshape((2, 3))` both work."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = tuple(shape[0])
        return _unary("reshape", self, tuple(shape))

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (reverse them when none are given), as `ndarray.transpose`."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(range(self.data.ndim - 1, -1, -1))
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation for shape {self.shape}")
        return _unary("transpose", self, tuple(a % self.ndim for a in axes))

    @property
    def T(self) -> Tensor:
        """The axes reversed (for a matrix, its transpose)."""
        return self.transpose()

    def __getitem__(self, index: Any) -> Tensor:
        """Indexing with ints, slices, None, ..., boolean masks and integer arrays. An element
        picked several times gets the sum of its gradients (Tensors in an index are read as
        integer arrays)."""
        if isinstance(index, tuple):
            index = tuple(_index_part(p) for p in index)
        else:
            index = _index_part(index)
        return _unary("index", self, index)

    # ------------------------------------------------------------------ backward
    def backward(self, grad: ArrayLike | None = None) -> None:
        """Fill `grad` of every tensor this one depends on, starting from d self / d self =
        `grad`. It may be omitted only for a single-element tensor (it is then 1).

        Leaves accumulate across calls, as in PyTorch (call `zero_grad()` to start over);
        inner tensors drop their gradient once used, unless `retain_grad()` was called."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (no input of the graph was "
                "created with requires_grad=True, or it was computed under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward: grad can be omitted only for a single-element tensor, but this "
                    f"one has shape {self.shape}; pass a gradient of shape {self.shape}, "
                    f"e.g. backward(np.ones({self.shape}))"
                )
            seed = np.ones(self.data.shape, self.data.dtype)
        else:
            seed = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward: the gradient has shape {seed.shape} but the tensor has shape "
                    f"{self.shape}; they must match"
                )
        backward(self, seed)

    def retain_grad(self) -> None:
        """Keep this inner tensor's `grad` after backward (leaves always keep theirs)."""
        self._retain = True

    def zero_grad(self) -> None:
        """Set `grad` to None on this tensor and on every tensor it depends on."""
        for node in topological_order(self):
            node.grad = None

    def _reset_grad(self) -> None:
        self.grad = None

    def _accumulate(self, grad: np.ndarray) -> None:
        """Add `grad` to this tensor's gradient, never writing into an array someone else
        holds: a leaf stores its own copy of a view; sums are computed out of place."""
        if self.grad is None:
            if not self.parents and (grad.base is not None or not grad.flags.writeable):
                grad = grad.copy()
            self.grad = grad
        else:
            self.grad = self.grad + grad

    def _backward(self) -> None:
        """Hand this tensor's gradient to each parent that needs one: the gate's VJP, summed
        back to the parent's shape, then accumulated. The gradient is then dropped.

        No copies: a VJP's result is a new array, taken over by the parent as it is. Only
        `g` itself (the add gate passes it straight on) goes to one parent uncopied."""
        g = self.grad
        if not self._retain:
            self.grad = None
        if g is None:  # nothing flowed into this node
            return
        parents = self.parents
        vjp, out, ctx, site = self._vjp, self.data, self._ctx, self._site
        xs = [p.data for p in parents]
        handed = self._retain  # is `g` already held by someone (this node, or a parent)?
        for i, p in enumerate(parents):
            if not p.requires_grad:
                continue
            gi = vjp(i, g, out, ctx, *xs)
            x = xs[i]
            if gi.shape != x.shape:
                gi = gates.unbroadcast(gi, x.shape)
            if gi.dtype != x.dtype:
                gi = gi.astype(x.dtype)
            if gi is g:
                if handed:
                    gi = g.copy()
                handed = True
            if site is not None:
                check_backward(self.op, i, gi, site)
            if p.grad is None and p.parents:  # the common case, inlined: an inner parent
                p.grad = gi
            else:
                p._accumulate(gi)

    # ------------------------------------------------------------------ conveniences
    def item(self) -> float:
        """The value of a single-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item: the tensor has shape {self.shape}, not a single element")
        return float(self.data.reshape(-1)[0])

    def numpy(self) -> np.ndarray:
        """The data array itself (shared, not copied, as in PyTorch)."""
        return self.data

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, outside the graph."""
        return _constant(self.data)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is None:
            return self.data.copy() if copy else self.data
        return np.array(self.data, dtype=dtype, copy=copy)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20,
                               prefix="Tensor(")  # fmt: skip
        extras = []
        if self.data.dtype != np.float64:
            extras.append(f"dtype={self.data.dtype}")
        if self.op:
            extras.append(f"op={self.op!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.label:
            extras.append(f"label={self.label!r}")
        return "Tensor(" + ", ".join([body, *extras]) + ")"


# ---------------------------------------------------------------------- building nodes
def _constant(data: np.ndarray) -> Tensor:
    """A leaf that needs no gradient, around an existing array (no copy)."""
    t = _new(Tensor)
    t.data = data
    t.grad = None
    t.requires_grad = False
    t.op = ""
    t.parents = ()
    t.label = ""
    t._vjp = None
    t._ctx = None
    t._retain = False
    t._site = None
    return t


def _lift(x: Any, like: Tensor) -> Tensor:
    """The other operand of a gate as a Tensor: numbers (and non-float arrays) take `like`'s
    dtype, so float32 stays float32; float arrays keep theirs, as in NumPy."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Real):
        return _constant(np.asarray(x, dtype=like.data.dtype))
    arr = np.asarray(x)
    if arr.dtype.kind != "f":
        if arr.dtype.kind not in "biu":
            raise TypeError(f"cannot combine a Tensor with {type(x).__name__} (dtype {arr.dtype})")
        arr = arr.astype(like.data.dtype)
    return _constant(arr)


def _finish(out: Tensor, data: Any, op: str, inputs: tuple, needed: bool, vjp: Any, ctx: Any):
    """Fill in a gate's output node. The graph is recorded only if some input needs a
    gradient (and not under no_grad()); otherwise the output is a plain constant leaf."""
    if type(data) is not _ndarray:
        data = np.asarray(data)
    out.data = data
    out.grad = None
    out.label = ""
    out._retain = False
    out._site = None
    if needed and _GradMode.enabled:
        out.requires_grad = True
        out.op = op
        out.parents = inputs
        out._vjp = vjp
        out._ctx = ctx
    else:
        out.requires_grad = False
        out.op = ""
        out.parents = ()
        out._vjp = None
        out._ctx = None
    if _AnomalyMode.enabled:
        out._site = site = creation_site()
        check_forward(op, data, [x.data for x in inputs], site)
    return out


def _unary(name: str, x: Tensor, ctx: Any = None, op: str | None = None) -> Tensor:
    """Apply a one-input gate from the table."""
    forward, vjp = _GATES[name]
    out = _new(Tensor)
    return _finish(out, forward(ctx, x.data), op or name, (x,), x.requires_grad, vjp, ctx)


def _binary(name: str, a: Tensor, b: Tensor) -> Tensor:
    """Apply a two-input gate from the table."""
    forward, vjp = _GATES[name]
    out = _new(Tensor)
    needed = a.requires_grad or b.requires_grad
    return _finish(out, forward(None, a.data, b.data), name, (a, b), needed, vjp, None)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias as one fused gate (what nn.Linear runs): weight is (out, in) and
    bias (out,), as in PyTorch; x is (..., in). Same values and gradients as the three gates
    @, T and +, with one node and no unbroadcasting."""
    w = weight.data.shape
    if len(w) != 2 or x.data.shape[-1:] != w[1:] or (bias is not None and bias.data.shape != w[:1]):
        got = "no bias" if bias is None else f"bias {bias.shape}"
        raise ValueError(
            f"linear: input {x.shape} and {got} do not fit weight {weight.shape} (expected "
            f"a 2-D weight (out, in), input (..., in) and bias (out,))"
        )
    return _nary("linear", (x, weight) if bias is None else (x, weight, bias), None)


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
    # one pass checks both ends: as unsigned numbers, negative indices become huge
    if target.size and target.astype(np.uint64, copy=False).max() >= c:
        bad = target[(target < 0) | (target >= c)].flat[0]
        raise ValueError(
            f"target: class index {int(bad)} is outside [0, {c}) for input of "
            f"shape {shape} ({c} classes)"
        )
    if target.ndim == 1:
        return (np.arange(len(target)), target)
    return (*np.indices(target.shape, sparse=True), target)


def cross_entropy(logits: Tensor, target: np.ndarray, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of `logits` (..., C) against integer class indices `target`
    (...), as one fused gate: log-softmax, the pick of each row's target and the reduction
    ("mean", "sum" or "none") in one node, whose VJP is (softmax - onehot) / n. This is the
    engine's gate; the loss users call is gradtrace.nn.functional.cross_entropy (which runs
    this gate for Tensors), and gradtrace.nn.metrics.cross_entropy is the entropy H(p, q)
    of two distributions in bits, another quantity."""
    index = class_index(target, logits.shape)
    check_reduction(reduction)
    return _unary("cross_entropy", logits, gates.Targets(index, reduction))


def _index_part(p: Any) -> Any:
    """Tensors inside an index become integer arrays (Tensors hold floats)."""
    if isinstance(p, Tensor):
        return p.data.astype(np.intp)
    return p


# ---------------------------------------------------------------------- n-ary gates
def concatenate(tensors: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (as `np.concatenate`); each gets its slice of the
    gradient back."""
    ts = _lift_all(tensors, "concatenate")
    axis = gates.normalize_axes(axis, ts[0].ndim)[0]
    offsets = [0]
    for t in ts:
        offsets.append(offsets[-1] + (t.shape[axis] if t.ndim > axis else 0))
    return _nary("concatenate", ts, (axis, tuple(offsets)))


def stack(tensors: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Stack same-shaped tensors along a new axis (as `np.stack`)."""
    ts = _lift_all(tensors, "stack")
    return _nary("stack", ts, gates.normalize_axes(axis, ts[0].ndim + 1)[0])


def _lift_all(tensors: Sequence[ArrayLike], name: str) -> list[Tensor]:
    if not len(tensors):
        raise ValueError(f"{name}: needs at least one tensor")
    like = next((t for t in tensors if isinstance(t, Tensor)), None)
    if like is None:
        like = Tensor(tensors[0])
    return [_lift(t, like) for t in tensors]


def _nary(name: str, ts: Sequence[Tensor], ctx: Any) -> Tensor:
    """Apply a gate with any number of inputs."""
    forward, vjp = _GATES[name]
    out = _new(Tensor)
    needed = any(t.requires_grad for t in ts)
    return _finish(out, forward(ctx, *[t.data for t in ts]), name, tuple(ts), needed, vjp, ctx)
