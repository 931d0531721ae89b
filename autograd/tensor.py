"""`Tensor`: a NumPy array as a node of the computation graph, and the one Tensor gate maker.

The same graph and the same backward pass as `Value` (engine.py), with arrays instead of
floats. A Tensor gate (`TensorGate`) is a forward rule beside its vector-Jacobian product
(VJP); every built-in one is registered in `GATES` (the gates themselves are in
tensor_gates.py and conv_gates.py; `gradtrace.gate` makes a learner's own). Calling a gate
runs its forward rule and records the node (`_record`, the one node maker): its parents, the
gate, its settings and what the forward saved. In backward the engine asks each node for its
parents' shares (`_shares`): the gate's VJP, summed back to each parent's shape (the one
`unbroadcast`, below).

Memory: leaves keep their gradients; an inner node's gradient is dropped as soon as it has
been handed to its parents (unless `retain_grad()` asked to keep it), so a training loop's
memory stays flat from step to step.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from numbers import Real
from operator import attrgetter
from typing import Any, Union

import numpy as np

from .anomaly import _AnomalyMode, check_backward, check_forward, creation_site
from .engine import backward, topological_order
from .gates import Gate
from .grad_mode import is_recording

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence]

_new = object.__new__
_ndarray = np.ndarray
_data, _needs_grad = attrgetter("data"), attrgetter("requires_grad")  # C-level, for _shares


class Tensor:
    """A NumPy-backed node: `data` (ndarray, float64 unless given float32), `grad` (ndarray
    shaped like `data`, or None until backward reaches it), `requires_grad`, `op` (the gate
    that made it, "" for a leaf), `parents` (its inputs, in operand order) and `label`."""

    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "parents",
        "label",
        "gate",
        "settings",
        "_saved",
        "_retain",
        "_site",
        "_mask",
        "__weakref__",
    )

    # A Tensor gate records a VJP (`gate.vjp`), not numbers: the engine's loop reads this
    # None as "ask the node for its parents' shares" (see engine.backward).
    local_grads = None

    # NumPy defers to us: `ndarray + Tensor` calls Tensor.__radd__ and gives a Tensor.
    __array_priority__ = 1000
    __array_ufunc__ = None

    def __init__(self, data: ArrayLike, requires_grad: bool = False, label: str = "") -> None:
        """Copy `data` into a new leaf (as `torch.tensor` does). Floating arrays keep their
        dtype (float32 stays float32); integers and booleans become float64."""
        mask = isinstance(data, Tensor) and getattr(data, "_mask", False)
        if isinstance(data, Tensor):
            data = data.data
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(
                f"Tensor(requires_grad=...): requires_grad must be True or False, got "
                f"{type(requires_grad).__name__} {_short(requires_grad)}"
            )
        if not isinstance(label, str):
            raise TypeError(
                f"Tensor(label=...): label must be a str, got {type(label).__name__} "
                f"{_short(label)}"
            )
        arr = np.array(data)
        self._mask = mask or arr.dtype.kind == "b"  # made from booleans: indexes as a mask
        if arr.dtype.kind != "f":
            if arr.dtype.kind not in "biu":
                raise TypeError(
                    f"Tensor(data): data must be numeric, got an array of dtype {arr.dtype}"
                )
            arr = arr.astype(np.float64)
        self.data = arr
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.parents: tuple[Tensor, ...] = ()
        self.label = label
        self.gate: TensorGate | None = None
        self.settings: dict[str, Any] | None = None
        self._saved = None
        self._retain = False
        self._site = None

    # ------------------------------------------------------------------ properties
    @property
    def op(self) -> str:
        """The gate's name as a picture writes it ("@", "**2"), "" for a leaf: read off the
        gate record (`gate`, `settings`), for display only."""
        gate = self.gate
        return "" if gate is None else gate.op(self)

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
    # Each operator calls its gate from the registry (the gate, forward beside VJP, is in
    # tensor_gates.py under the same name); a number or an array operand takes self's dtype.
    def __add__(self, other: ArrayLike) -> Tensor:
        return GATES["+"](self, as_tensor(other, self))

    def __radd__(self, other: ArrayLike) -> Tensor:
        return GATES["+"](as_tensor(other, self), self)

    def __sub__(self, other: ArrayLike) -> Tensor:
        return GATES["-"](self, as_tensor(other, self))

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return GATES["-"](as_tensor(other, self), self)

    def __mul__(self, other: ArrayLike) -> Tensor:
        return GATES["*"](self, as_tensor(other, self))

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return GATES["*"](as_tensor(other, self), self)

    def __truediv__(self, other: ArrayLike) -> Tensor:
        return GATES["/"](self, as_tensor(other, self))

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return GATES["/"](as_tensor(other, self), self)

    def __matmul__(self, other: ArrayLike) -> Tensor:
        return GATES["@"](self, as_tensor(other, self))

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return GATES["@"](as_tensor(other, self), self)

    def __pow__(self, exponent: ArrayLike) -> Tensor:
        """x ** n for a number n is the one-input "pow" gate; a tensor exponent is "**"."""
        if isinstance(exponent, Real):
            n = float(exponent)
            n = int(n) if n.is_integer() else n
            return GATES["pow"](self, n=n)  # drawn as "**2", as for a Value
        return GATES["**"](self, as_tensor(exponent, self))

    def __rpow__(self, base: ArrayLike) -> Tensor:
        return GATES["**"](as_tensor(base, self), self)

    def __neg__(self) -> Tensor:
        return GATES["neg"](self)

    def exp(self) -> Tensor:
        return GATES["exp"](self)

    def log(self) -> Tensor:
        return GATES["log"](self)

    def tanh(self) -> Tensor:
        return GATES["tanh"](self)

    def sigmoid(self) -> Tensor:
        return GATES["sigmoid"](self)

    def relu(self) -> Tensor:
        return GATES["relu"](self)

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return GATES["sum"](self, axes=normalize_axes(axis, self.shape, "sum"), keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return GATES["mean"](self, axes=normalize_axes(axis, self.shape, "mean"), keepdims=keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """The largest element(s); the gradient goes to the arg-max, the first one on ties."""
        return GATES["max"](self, axes=normalize_axes(axis, self.shape, "max"), keepdims=keepdims)

    def softmax(self, axis: int = -1) -> Tensor:
        """e**x / sum e**x along `axis`: one fused, stable gate."""
        return GATES["softmax"](self, axis=one_axis(axis, self.shape, "softmax"))

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - ln sum e**x along `axis`: one fused, stable gate."""
        return GATES["log_softmax"](self, axis=one_axis(axis, self.shape, "log_softmax"))

    # ------------------------------------------------------------------ shapes and indexing
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same numbers in a new shape; `reshape(2, 3)` and `reshape((2, 3))` both work."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = tuple(shape[0])
        return GATES["reshape"](self, shape=tuple(shape))

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (reverse them when none are given), as `ndarray.transpose`."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(range(self.data.ndim - 1, -1, -1))
        perm = tuple(one_axis(a, self.shape, "transpose") for a in axes)
        if sorted(perm) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation for shape {self.shape}")
        return GATES["transpose"](self, axes=perm)

    @property
    def T(self) -> Tensor:
        """The axes reversed (for a matrix, its transpose)."""
        return self.transpose()

    def __getitem__(self, index: Any) -> Tensor:
        """Indexing with ints, slices, None, ..., boolean masks and integer arrays. An element
        picked several times gets the sum of its gradients (a Tensor in an index is read as
        the array it was made from: booleans as a mask, else whole numbers)."""
        if isinstance(index, tuple):
            index = tuple(_index_part(p) for p in index)
        else:
            index = _index_part(index)
        return GATES["index"](self, index=index)

    # ------------------------------------------------------------------ backward
    def backward(self, grad: ArrayLike | None = None) -> list[Any]:
        """Fill `grad` of every tensor this one depends on, starting from d self / d self =
        `grad`. It may be omitted only for a single-element tensor (it is then 1). Returns
        the nodes in the order the engine processed them (`topological_order`).

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
            seed = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
            if seed.dtype.kind not in "biuf":
                raise TypeError(
                    f"backward: the gradient must be numeric (a Tensor, an array or numbers "
                    f"of shape {self.shape}), got {type(grad).__name__} {_short(grad)} "
                    f"(dtype {seed.dtype})"
                )
            seed = np.array(seed, dtype=self.dtype)
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward: the gradient has shape {seed.shape} but the tensor has shape "
                    f"{self.shape}; they must match"
                )
        return backward(self, seed)

    def retain_grad(self) -> None:
        """Keep this inner tensor's `grad` after backward (leaves always keep theirs)."""
        self._retain = True

    def zero_grad(self) -> None:
        """Set `grad` to None on this tensor and on every tensor it depends on."""
        for node in topological_order(self):
            node.grad = None

    def _shares(self, g: np.ndarray) -> list[tuple[Tensor, np.ndarray]]:
        """(parent, its share of the gradient) for each parent that needs one: the gate's VJP,
        summed back to the parent's shape and dtype. Called by the engine's backward loop,
        which then drops `g` (unless `retain_grad()`) and adds each share to its parent.

        No copies: a VJP's result is a new array, taken over by the parent as it is. Only
        `g` itself (the add gate passes it straight on) goes to one holder uncopied, and a
        leaf never keeps a view of someone else's array as its gradient."""
        gate, parents, site = self.gate, self.parents, self._site
        xs = list(map(_data, parents))
        settings = self.settings if self._saved is None else {**self.settings, **self._saved}
        if gate.wants_needs:
            needs = list(map(_needs_grad, parents))
            grads = gate.vjp(g, self.data, *xs, needs=needs, **settings)
        else:
            grads = gate.vjp(g, self.data, *xs, **settings)
        if type(grads) not in (tuple, list) or len(grads) != len(xs):
            got = f"{len(grads)} gradients" if type(grads) in (tuple, list) else repr(type(grads))
            raise ValueError(
                f"{gate.name} gate: its vjp must return one gradient per input "
                f"({len(xs)}, None for none), as a tuple; got {got}"
            )
        shares = []
        handed = self._retain  # is `g` already held by someone (this node, or a parent)?
        for i, p in enumerate(parents):
            gi = grads[i]
            if gi is None or not p.requires_grad:
                continue
            x = xs[i]
            if not gate.builtin:  # a learner's VJP: refuse what cannot be trusted, by name
                gi = checked_vjp(gate.name, i, gi, x, self.data, g, xs)
            elif type(gi) is not _ndarray:
                gi = np.asarray(gi)
            if gi.shape != x.shape:
                gi = unbroadcast(gi, x.shape, gate.name, i)
            if gi.dtype != x.dtype:
                gi = gi.astype(x.dtype)
            if gi is g:
                if handed:
                    gi = g.copy()
                handed = True
            if not p.parents and p.grad is None and (gi.base is not None or not gi.flags.writeable):
                gi = gi.copy()  # a leaf keeps its own array, never a view of another
            if site is not None:
                check_backward(self.op, i, gi, site)
            shares.append((p, gi))
        return shares

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
        body = np.array2string(
            self.data,
            separator=", ",
            threshold=20,
            prefix="Tensor(",
            formatter={"float_kind": _four_digits},
        )
        extras = []
        if self.data.dtype != np.float64:
            extras.append(f"dtype={self.data.dtype}")
        if self.gate is not None:
            extras.append(f"op={self.op!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.label:
            extras.append(f"label={self.label!r}")
        return "Tensor(" + ", ".join([body, *extras]) + ")"


# ---------------------------------------------------------------------- the Tensor gate
class TensorGate(Gate):
    """A Tensor gate: `forward(*arrays, **settings) -> out` beside its vector-Jacobian product
    `vjp(g, out, *arrays, **settings) -> one gradient per input` (None for an input that gets
    none), and its `formula`. Calling the gate on Tensors (numbers and arrays become
    constants) records the node, which keeps the gate (`gate`) and its settings (`settings`).
    A gate with `folds=(symbol, key)` has a number among its settings that a picture writes
    on it: the pow gate, "**2" for n = 2.

    Two options serve the built-in gates' speed, in PyTorch's words: a forward may return
    `(out, saved)`, a dict its VJP receives as keyword arguments (ctx.save_for_backward), and a
    VJP with a keyword argument `needs` gets one bool per input (ctx.needs_input_grad), so it
    can skip, say, the gradient of a first layer's input."""

    engine = "Tensor"

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        vjp: Callable[..., Any],
        formula: str = "",
        word: str = "",
        folds: tuple[str, str] | None = None,
        builtin: bool = False,
    ) -> None:
        super().__init__(name, formula, word, builtin)
        self.forward, self.vjp, self.folds = forward, vjp, folds
        self.wants_needs = "needs" in inspect.signature(vjp).parameters
        self.__doc__ = forward.__doc__  # help(gate) shows the forward's formula

    def rerun(self, node: Tensor, inputs: Sequence[np.ndarray]) -> np.ndarray:
        out = self.forward(*inputs, **node.settings)
        return out[0] if type(out) is tuple else out

    def constant(self, node: Tensor) -> float | None:
        return None if self.folds is None else node.settings[self.folds[1]]

    def op(self, node: Tensor) -> str:
        if self.folds is None:
            return self.name
        return f"{self.folds[0]}{node.settings[self.folds[1]]:g}"

    def __call__(self, *inputs: ArrayLike, **settings: Any) -> Tensor:
        """The node maker: run the forward rule on the inputs' arrays (numbers and arrays
        among the inputs become constant Tensors) and record the output node: its parents,
        this gate, the settings and what the forward saved. The graph is recorded only if
        some input needs a gradient and grad mode is on; otherwise the output is a plain
        constant leaf."""
        for x in inputs:
            if type(x) is not Tensor:  # a number or an array among them: lift them all
                like = next((t for t in inputs if isinstance(t, Tensor)), None)
                inputs = tuple(as_tensor(t, like) for t in inputs)
                break
        n = len(inputs)
        if n == 2:  # the common cases without building a list (0.3 us a gate)
            data = self.forward(inputs[0].data, inputs[1].data, **settings)
        elif n == 1:
            data = self.forward(inputs[0].data, **settings)
        elif n == 3:  # the fused linear gate with its bias
            data = self.forward(inputs[0].data, inputs[1].data, inputs[2].data, **settings)
        else:
            data = self.forward(*[t.data for t in inputs], **settings)
        saved = None
        if type(data) is tuple:
            data, saved = data
        if type(data) is not _ndarray:
            data = np.asarray(data)
        out = _new(Tensor)
        out.data = data
        out.grad = None
        out.label = ""
        out._retain = False
        out._site = None
        needed = False
        for t in inputs:
            if t.requires_grad:
                needed = is_recording()
                break
        if needed:
            out.requires_grad = True
            out.parents = inputs
            out.gate = self
            out.settings = settings
            out._saved = saved
        else:
            out.requires_grad = False
            out.parents = ()
            out.gate = out.settings = out._saved = None
        if _AnomalyMode.enabled:
            out._site = site = creation_site()
            check_forward(self.name, data, [x.data for x in inputs], site)
        return out

    def __repr__(self) -> str:
        return f"<Tensor gate {self.name!r}>"


GATES: dict[str, TensorGate] = {}  # every built-in Tensor gate, by name


def register(
    name: str,
    vjp: Callable[..., Any],
    formula: str,
    word: str = "",
    folds: tuple[str, str] | None = None,
) -> Callable[[Callable[..., Any]], TensorGate]:
    """Decorator: the forward rule below becomes the built-in Tensor gate `name` in `GATES`,
    with its VJP and its formula (see `TensorGate`)."""

    def make(forward: Callable[..., Any]) -> TensorGate:
        if name in GATES:
            raise ValueError(f"register: a Tensor gate named {name!r} already exists")
        GATES[name] = gate = TensorGate(name, forward, vjp, formula, word, folds, builtin=True)
        return gate

    return make


# ---------------------------------------------------------------------- a learner's VJP
def checked_vjp(
    name: str, i: int, gi: Any, x: np.ndarray, out: np.ndarray, g: np.ndarray, xs: list
) -> np.ndarray:
    """A learner's VJP result for input `i`, refused unless it is real numbers shaped like
    the input, or like the output when the input was broadcast in the forward (an extra
    leading axis would be summed away silently), and free of NaN where the inputs and the
    upstream gradient are finite. Each error names the gate, the input and the shapes."""
    where = f"{name} gate: the gradient of input {i}"  # what its vjp returned
    try:
        arr = np.asarray(gi)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{where} is not an array of numbers ({type(gi).__name__}: {e})") from None
    if arr.dtype.kind == "c":
        raise TypeError(
            f"{where} is complex ({arr.dtype}, shape {arr.shape}); gradients are real: return "
            "the real part yourself if that is what you mean"
        )
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{where} is not numbers: got {type(gi).__name__} {_short(gi)} (dtype {arr.dtype})"
        )
    broadcast = x.shape != out.shape and np.broadcast_shapes(x.shape, out.shape) == out.shape
    if arr.shape != x.shape and not (broadcast and arr.shape == out.shape):
        also = f" or the output's {out.shape} (the input was broadcast)" if broadcast else ""
        raise ValueError(
            f"{where} has shape {arr.shape} (from its vjp), but the input has shape {x.shape} "
            f"and the output {out.shape}; return the input's shape{also}"
        )
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        if np.isfinite(g).all() and all(np.isfinite(a).all() for a in xs):
            raise ValueError(
                f"{where} holds NaN at finite inputs (shape {x.shape}) and a finite upstream "
                "gradient; a gradient must be a number there"
            )
    return arr


# ---------------------------------------------------------------------- unbroadcasting
def unbroadcast(grad: np.ndarray, shape: tuple[int, ...], gate: str = "", i: int = 0):
    """Sum `grad` back to `shape`: over the leading axes broadcasting added, and over every
    axis where the input had size 1. The adjoint of NumPy broadcasting, in one place for every
    gate. The result is a new array (never a view), so a leaf can keep it without a copy. A
    gradient that no broadcasting explains is an error naming the gate and the input."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    if grad.ndim == len(shape):
        ones = tuple(d for d, n in enumerate(shape) if n == 1 and grad.shape[d] != 1)
        if ones:
            grad = grad.sum(axis=ones, keepdims=True)
    if grad.shape != shape:
        raise ValueError(
            f"{gate} gate: the gradient of input {i} has shape {grad.shape} after undoing "
            f"broadcasting, but the input has shape {shape}"
        )
    return grad if type(grad) is np.ndarray else np.asarray(grad)  # a full sum is a NumPy scalar


def normalize_axes(
    axis: int | tuple[int, ...] | None, shape: tuple[int, ...], who: str = "sum"
) -> tuple[int, ...]:
    """`axis` (None for every axis, an int or a tuple of ints) as a sorted tuple of
    non-negative axes of a tensor of `shape`. As in NumPy, a repeated axis is a ValueError and
    anything but ints a TypeError; each message names `who`, the axis and the shape."""
    if axis is None:
        return tuple(range(len(shape)))
    if type(axis) is int:  # the common case first
        return (one_axis(axis, shape, who),)
    if not isinstance(axis, (tuple, list)):
        return (one_axis(axis, shape, who),)  # an np.integer, or a TypeError naming the type
    axes = tuple(sorted({one_axis(a, shape, who) for a in axis}))
    if len(axes) != len(axis):
        raise ValueError(f"{who}: axis {tuple(axis)} names an axis twice (shape {shape})")
    return axes


def one_axis(axis: int, shape: tuple[int, ...], who: str) -> int:
    """One axis of a tensor of `shape`, made non-negative. Out of range is NumPy's AxisError
    (a ValueError and an IndexError); a float, a bool or a tuple is a TypeError. Each names
    `who`, the axis and the shape."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, (bool, np.bool_)):
        raise TypeError(
            f"{who}: axis must be an int{'' if who in _ONE_AXIS else ' or a tuple of ints'}, "
            f"got {type(axis).__name__} {axis!r}"
        )
    ndim = len(shape)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(
            f"{who}: axis {axis} is out of range for a tensor of shape {shape} ({ndim} "
            f"dimensions: axes {-ndim} to {ndim - 1})"
            if ndim
            else f"{who}: axis {axis} is out of range for a tensor of shape () (0-d: no axes)"
        )
    return int(axis) % ndim


_ONE_AXIS = ("softmax", "log_softmax", "concatenate", "stack", "transpose")  # one axis each


# ---------------------------------------------------------------------- making Tensors
def as_tensor(x: ArrayLike, like: Tensor | None = None) -> Tensor:
    """`x` itself if it is a Tensor, else a constant leaf around it (no copy of a float
    array, as `torch.as_tensor`). Numbers and integer arrays become float64, or `like`'s
    dtype when given, so that `x32 * 2` stays float32; float arrays keep theirs, as in NumPy."""
    if isinstance(x, Tensor):
        return x
    dtype = np.float64 if like is None else like.data.dtype
    if isinstance(x, Real):
        return _constant(np.asarray(x, dtype=dtype))
    arr = np.asarray(x)
    if like is not None and arr.dtype.kind == "f" and arr.dtype != dtype:
        # PyTorch's promotion: numbers with no dtype of their own (a list) and a 0-d array
        # next to a Tensor with axes take its dtype: x32 + [0.5], x32 * np.array(2.0) stay
        # float32 (a float64 array with axes still makes float64, as in both)
        if not isinstance(x, np.ndarray) or (arr.ndim == 0 and like.ndim):
            arr = arr.astype(dtype)
    if arr.dtype.kind != "f":
        if arr.dtype.kind not in "biu":
            what = "make a Tensor of" if like is None else "combine a Tensor with"
            raise TypeError(f"cannot {what} {type(x).__name__} (dtype {arr.dtype})")
        arr = arr.astype(dtype)
    return _constant(arr)


def _constant(data: np.ndarray) -> Tensor:
    """A leaf that needs no gradient, around an existing array (no copy)."""
    t = _new(Tensor)
    t.data = data
    t.grad = None
    t.requires_grad = False
    t.parents = ()
    t.label = ""
    t.gate = t.settings = t._saved = None
    t._retain = False
    t._site = None
    return t


def _four_digits(x: float) -> str:
    """A number at four significant digits, as every view writes it (0.00043856 reads
    0.0004386); a whole number keeps NumPy's point ("2.")."""
    s = format(float(x), ".4g")
    return s + "." if s.lstrip("-").isdigit() else s


def _short(x: Any, limit: int = 60) -> str:
    """repr(x), cut to `limit` characters for an error message."""
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _index_part(p: Any) -> Any:
    """Tensors inside an index become the arrays they were made from: a boolean mask for a
    Tensor made from booleans (as NumPy and PyTorch), else integers (Tensors hold floats),
    refusing a number that is not a whole one rather than cutting it."""
    if not isinstance(p, Tensor):
        return p
    if getattr(p, "_mask", False):
        return p.data.astype(bool)
    whole = np.isfinite(p.data) & (p.data == np.round(p.data))
    if not whole.all():
        bad = p.data[~whole].flat[0]
        raise IndexError(
            f"a Tensor used as an index must hold whole numbers (or be made from booleans, a "
            f"mask), got {float(bad)!r} in a Tensor of shape {p.shape}"
        )
    return p.data.astype(np.intp)
