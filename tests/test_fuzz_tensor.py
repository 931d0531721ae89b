"""Differential fuzz: 500 seeded random Tensor graphs against PyTorch (float64 and float32).

Each graph is a random program over the Tensor gates: broadcasting arithmetic with tensors,
arrays and numbers, number and tensor exponents, exp/log/tanh/sigmoid/relu, sum/mean/max with
axes and keepdims, softmax/log_softmax, reshape/transpose/T, indexing (ints, slices with
negative steps, integer arrays with repeats, masks) and matmul (1-D, 2-D, batched), on shapes
with 0-d, size-1 and empty dimensions. Values, every leaf gradient and the dtypes must agree
with torch: float64 to rtol 1e-9, float32 at float32 tolerances. Inputs are domain-safe and
away from kinks (max ties, relu at 0), so a mismatch is a bug. A failure names its seed and
prints the program.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from fuzz_support import Draws, check_chunk
from gradtrace import Tensor

SEEDS, CHUNKS = 500, 20
# (rtol, atol): float32 at torch.testing's defaults for it; the largest difference measured
# over all seeds is 2.4e-7 (two float32 steps) in float32 and 1.8e-15 in float64, relative to
# max(|torch|, 1)
TOLERANCES = {np.float64: (1e-9, 1e-12), np.float32: (1.3e-6, 1e-5)}
LIMIT = 1e3  # no intermediate element larger than this
MARGIN = 1e-4  # relu inputs and max candidates stay this far from a tie (float32 included)
NUMBERS = (2, -1, 0.5, 3.0, -2.5, 1)
EXPONENTS = (0, 1, 2, 3, -1, 0.5, 1.5, -2, 2.0)


# ---------------------------------------------------------------------- the gates
# Each gate: a rule f(args, p, lib) run on gradtrace (lib None) and on torch (lib the module),
# and a text for the printed program. `p` holds the gate's settings, drawn by the generator.
def _reduce(args, p, lib):
    kind, axis, keepdims = p
    x = args[0]
    if lib is None:
        return getattr(x, kind)(axis=axis, keepdims=keepdims)
    dim = tuple(range(x.ndim)) if axis is None else axis
    return getattr(x, "amax" if kind == "max" else kind)(dim=dim, keepdim=keepdims)


def _softmax(args, p, lib):
    kind, axis = p
    return getattr(args[0], kind)(axis=axis) if lib is None else getattr(args[0], kind)(axis)


def _transpose(args, p, lib):
    x = args[0]
    if p == "T":
        return x.T if lib is None else x.permute(tuple(reversed(range(x.ndim))))
    if lib is None:
        return x.transpose(*p) if p else x.transpose()
    return x.permute(tuple(p or reversed(range(x.ndim))))


def _index(args, p, lib):
    x = args[0]
    if lib is None:
        return x[p]
    index, flips = _torch_index(p, x.shape, lib)
    return (x.flip(flips) if flips else x)[index]


def _array_operand(args, p, lib):
    """An array operand on either side: (side, array)."""
    side, array = p
    c = array if lib is None else lib.from_numpy(array)
    return c + args[0] if side == "left" else args[0] * c


GATES = {
    "+": lambda a, p, lib: a[0] + a[1],
    "-": lambda a, p, lib: a[0] - a[1],
    "*": lambda a, p, lib: a[0] * a[1],
    "/": lambda a, p, lib: a[0] / a[1],
    "**": lambda a, p, lib: a[0] ** a[1],
    "@": lambda a, p, lib: a[0] @ a[1],
    "array": _array_operand,
    "neg": lambda a, p, lib: -a[0],
    "exp": lambda a, p, lib: a[0].exp(),
    "log": lambda a, p, lib: a[0].log(),
    "tanh": lambda a, p, lib: a[0].tanh(),
    "sigmoid": lambda a, p, lib: a[0].sigmoid(),
    "relu": lambda a, p, lib: a[0].relu(),
    "x + c": lambda a, p, lib: a[0] + p,
    "c + x": lambda a, p, lib: p + a[0],
    "x - c": lambda a, p, lib: a[0] - p,
    "c - x": lambda a, p, lib: p - a[0],
    "x * c": lambda a, p, lib: a[0] * p,
    "c * x": lambda a, p, lib: p * a[0],
    "x / c": lambda a, p, lib: a[0] / p,
    "c / x": lambda a, p, lib: p / a[0],
    "x ** c": lambda a, p, lib: a[0] ** p,
    "reduce": _reduce,
    "softmax": _softmax,
    "reshape": lambda a, p, lib: a[0].reshape(*p[0]) if p[1] else a[0].reshape(p[0]),
    "transpose": _transpose,
    "index": _index,
}
BINARY = ("+", "-", "*", "/", "**")
NUMBER_GATES = ("x + c", "c + x", "x - c", "c - x", "x * c", "c * x", "x / c", "c / x", "x ** c")
UNARY = ("neg", "exp", "log", "tanh", "sigmoid", "relu")
# the kinds of step the generator draws from; the shape gates twice or three times as often
KINDS = (
    *BINARY,
    *UNARY,
    *NUMBER_GATES,
    "array",
    "softmax",
    "reshape",
    "transpose",
    *["@", "reduce"] * 2,
    *["index"] * 3,
)


def _torch_index(index, shape, torch):
    """NumPy's index in torch's terms: torch has no negative slice steps (flip the axis and
    step forward instead) and reads an int beside an integer array as a plain int, where
    NumPy broadcasts it with the array (so pass it as a one-element array)."""
    parts = index if isinstance(index, tuple) else (index,)
    arrays = any(isinstance(q, (list, np.ndarray)) for q in parts)
    flips, out = [], []
    for d, q in enumerate(parts):
        if isinstance(q, slice) and (q.step or 1) < 0:
            picked = range(*q.indices(shape[d]))
            flips.append(d)
            if len(picked):
                start = shape[d] - 1 - picked[0]
                q = slice(start, start - picked.step * (len(picked) - 1) + 1, -picked.step)
            else:
                q = slice(0, 0)
        elif isinstance(q, np.ndarray) and q.dtype == bool:
            q = torch.from_numpy(q)
        elif isinstance(q, (list, np.ndarray)):
            q = torch.tensor(np.asarray(q, dtype=np.int64))
        elif isinstance(q, int) and arrays:
            q = torch.tensor([q])
        out.append(q)
    return tuple(out), flips


# ---------------------------------------------------------------------- the generator
class Program:
    """A random Tensor graph, kept as the steps that built it (to replay in torch)."""

    def __init__(self, seed: int) -> None:
        rng = Draws(seed)
        self.seed = seed
        self.dtype = np.float32 if rng.random() < 0.3 else np.float64
        self.nodes: list[Tensor] = []
        self.exact: list[bool] = []  # are this node's zeros exactly 0 in every engine?
        self.steps: list[tuple] = []  # ("leaf", array, requires_grad) or (gate, operands, p)
        for _ in range(rng.integer(1, 3)):
            self._leaf(rng, _shape(rng))
        for _ in range(rng.integer(1, 12)):
            self._add_step(rng)

    def __str__(self) -> str:
        lines = [f"t{i} = {_text(*step)}" for i, step in enumerate(self.steps)]
        return f"seed {self.seed} ({np.dtype(self.dtype).name}):\n    " + "\n    ".join(lines)

    # -- nodes
    def _leaf(self, rng: Draws, shape: tuple[int, ...], requires_grad: bool | None = None) -> int:
        data = rng.normal(shape).astype(self.dtype)
        if rng.random() < 0.1 and data.size:  # an exact zero somewhere
            data.reshape(-1)[rng.integer(0, data.size)] = 0
        if requires_grad is None:
            requires_grad = rng.random() < 0.85
        self.nodes.append(Tensor(data, requires_grad=requires_grad))
        self.exact.append(True)
        self.steps.append(("leaf", data, requires_grad))
        return len(self.nodes) - 1

    def _pick(self, rng: Draws) -> int:
        n = len(self.nodes)
        return rng.integer(max(0, n - 2), n) if rng.random() < 0.5 else rng.integer(0, n)

    def _partner(self, rng: Draws, shape: tuple[int, ...], fits) -> int:
        """An existing node whose shape `fits` (half the time, when there is one), else a new
        leaf of the shape `shape`."""
        if rng.random() < 0.5:
            fitting = [i for i, t in enumerate(self.nodes) if fits(t.shape)]
            if fitting:
                return rng.choice(fitting)
        return self._leaf(rng, shape)

    # -- steps
    def _add_step(self, rng: Draws) -> None:
        for _ in range(100):  # draw until a step is domain-safe
            kind = rng.choice(KINDS)
            a = self._pick(rng)
            drawn = self._draw(rng, kind, a)
            if drawn is None:
                continue
            operands, p = drawn
            xs = [self.nodes[i] for i in operands]
            if not self._safe(kind, operands, p):
                continue
            try:
                out = GATES[kind](xs, p, None)
            except Exception as error:  # a gate that fails on a valid input is a bug too
                step = f"t{len(self.steps)} = {_text(kind, operands, p)}"
                error.add_note(f"{self}\n    {step}  # fails here")
                raise
            if not np.all(np.abs(out.data) <= LIMIT):
                continue
            self.nodes.append(out)
            self.exact.append(
                kind == "relu" or kind in ("neg", "reshape", "transpose", "index") and self.exact[a]
            )
            self.steps.append((kind, operands, p))
            return
        raise AssertionError(f"seed {self.seed}: no domain-safe step found")

    def _draw(self, rng: Draws, kind: str, a: int):
        """The operands and settings of one step of `kind` on node `a`, or None if `kind`
        does not apply to it."""
        shape = self.nodes[a].shape
        ndim = len(shape)
        if kind in BINARY:
            b = self._partner(rng, _broadcastable(rng, shape), lambda s: _broadcasts(s, shape))
            return ((a, b) if rng.random() < 0.5 else (b, a)), None
        if kind == "@":
            return self._draw_matmul(rng, a)
        if kind == "array":
            array = rng.normal(_broadcastable(rng, shape)).astype(self.dtype)
            return (a,), (rng.choice(("left", "right")), array)
        if kind in UNARY:
            return (a,), None
        if kind == "x ** c":
            return (a,), rng.choice(EXPONENTS)
        if kind in NUMBER_GATES:
            return (a,), rng.choice(NUMBERS)
        if kind == "reduce":
            return (a,), (rng.choice(("sum", "mean", "max")), _axes(rng, ndim), rng.random() < 0.4)
        if kind == "softmax":
            if not ndim:
                return None
            return (a,), (rng.choice(("softmax", "log_softmax")), rng.integer(-ndim, ndim))
        if kind == "reshape":
            return (a,), _new_shape(rng, shape)
        if kind == "transpose":
            if rng.random() < 0.3:
                return (a,), "T"
            axes = _permutation(rng, ndim)
            if rng.random() < 0.3:
                axes = tuple(d - ndim if rng.random() < 0.5 else d for d in axes)
            return (a,), axes if rng.random() < 0.85 else ()
        if kind == "index":
            return ((a,), _index_for(rng, shape)) if ndim else None
        raise AssertionError(kind)

    def _draw_matmul(self, rng: Draws, a: int):
        """a @ b or b @ a, with b (a new leaf or a node of the right shape) made to fit."""
        shape = self.nodes[a].shape
        if not 1 <= len(shape) <= 3:
            return None
        m, batch = rng.integer(0, 4) if rng.random() < 0.2 else rng.integer(1, 4), ()
        if rng.random() < 0.3:
            batch = (rng.choice((1, 2)),)
        if rng.random() < 0.5:  # a @ b: b's first (matrix) axis is a's last
            k = shape[-1]
            want = rng.choice(((k,), (*batch, k, m)))
            b = self._partner(rng, want, lambda s: len(s) >= 1 and s[-2:][0] == k)
            return (a, b), None
        k = shape[0] if len(shape) == 1 else shape[-2]  # b @ a: b's last axis is a's first
        want = rng.choice(((k,), (*batch, m, k)))
        b = self._partner(rng, want, lambda s: len(s) >= 1 and s[-1] == k)
        return (b, a), None

    def _safe(self, kind: str, operands: tuple[int, ...], p) -> bool:
        """Inside every gate's domain and away from ties."""
        xs = [self.nodes[i] for i in operands]
        x = xs[0].data
        if kind == "@":
            a, b = xs[0].data, xs[1].data
            return _broadcasts(a.shape[:-2], b.shape[:-2])  # the batch axes
        if kind in BINARY:
            if not _broadcasts(xs[0].shape, xs[1].shape):
                return False
            if kind == "/":
                return bool(np.all(np.abs(xs[1].data) > 0.1))
            if kind == "**":
                return bool(np.all(x > 0.1) and np.all(np.abs(xs[1].data) < 3))
            return True
        if kind == "c / x":
            return bool(np.all(np.abs(x) > 0.1))
        if kind == "x ** c":
            if p != int(p) and not np.all(x > 1e-2):
                return False
            return p >= 0 or bool(np.all(np.abs(x) > 0.1))
        if kind == "log":
            return bool(np.all(x > 1e-2))
        if kind == "exp":
            return bool(np.all(x < 6))
        if kind == "relu":
            zero = (x == 0) if self.exact[operands[0]] else False
            return bool(np.all((np.abs(x) > MARGIN) | zero))
        if kind == "reduce":
            name, axis, _ = p
            axes = tuple(range(x.ndim)) if axis is None else np.atleast_1d(axis) % x.ndim
            reduced = int(np.prod([x.shape[d] for d in axes]))
            if name == "mean":  # the mean of nothing is NaN (as in torch); keep values finite
                return reduced > 0 or x.size == 0 and out_size(x.shape, axes) == 0
            if name == "max":
                return reduced > 0 and _no_ties(x, tuple(int(d) for d in axes))
            return True
        return True


# ---------------------------------------------------------------------- shapes and settings
def _shape(rng: Draws) -> tuple[int, ...]:
    """0 to 3 axes; sides mostly 1 to 4, sometimes 0 (an empty tensor)."""
    ndim = 0 if rng.random() < 0.15 else rng.integer(1, 4)
    return tuple(_side(rng) for _ in range(ndim))


def _side(rng: Draws) -> int:
    r = rng.random()
    return 0 if r < 0.07 else 1 if r < 0.3 else rng.integer(2, 5)


def _broadcastable(rng: Draws, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts with `shape`: leading axes dropped or added, sides set to 1,
    and sides of 1 widened (so both operands may be broadcast)."""
    out = list(shape[rng.integer(0, len(shape) + 1) :] if rng.random() < 0.3 else shape)
    for d, n in enumerate(out):
        if rng.random() < 0.3:
            out[d] = 1
        elif n == 1 and rng.random() < 0.3:
            out[d] = rng.integer(2, 4)
    if len(out) == len(shape) and rng.random() < 0.1:
        out.insert(0, rng.integer(1, 4))
    return tuple(out)


def _broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def out_size(shape: tuple[int, ...], axes) -> int:
    """The number of elements a reduction over `axes` leaves."""
    return int(np.prod([n for d, n in enumerate(shape) if d not in set(axes)]))


def _axes(rng: Draws, ndim: int):
    """None, an int (maybe negative) or a tuple of distinct axes (maybe negative)."""
    r = rng.random()
    if ndim == 0 or r < 0.3:
        return None
    if r < 0.65:
        return rng.integer(-ndim, ndim)
    axes = _permutation(rng, ndim)[: rng.integer(1, ndim + 1)]
    return tuple(d - ndim if rng.random() < 0.3 else d for d in axes)


def _permutation(rng: Draws, n: int) -> tuple[int, ...]:
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.integer(0, i + 1)
        order[i], order[j] = order[j], order[i]
    return tuple(order)


def _new_shape(rng: Draws, shape: tuple[int, ...]):
    """A shape with as many elements, maybe with one -1; and whether to spread it as
    reshape(2, 3) or pass it whole as reshape((2, 3))."""
    size = int(np.prod(shape))
    ndim = rng.integer(0 if size == 1 else 1, 4)
    if size == 0:
        out = [rng.integer(1, 4) for _ in range(ndim)]
        out[rng.integer(0, ndim)] = 0
    else:
        out = [1] * ndim
        n, f = size, 2
        while n > 1:  # each prime factor to a random axis
            while n % f:
                f += 1
            out[rng.integer(0, ndim)] *= f
            n //= f
        if ndim and rng.random() < 0.3:
            out[rng.integer(0, ndim)] = -1
    return tuple(out), bool(out) and rng.random() < 0.5


def _index_for(rng: Draws, shape: tuple[int, ...]):
    """A NumPy index for `shape`: a boolean mask, or ints (maybe negative), slices (negative
    steps, empty ranges) and integer arrays or lists (repeats, negatives, empty)."""
    if rng.random() < 0.08:
        return np.array(
            [rng.random() < 0.5 for _ in range(int(np.prod(shape)))], dtype=bool
        ).reshape(shape)
    parts, length = [], None
    for n in shape[: rng.integer(1, len(shape) + 1)]:
        r = rng.random()
        if r < 0.25 and n:
            parts.append(rng.integer(-n, n))
        elif r < 0.6 or (length is not None and length > 0 and not n):
            parts.append(
                slice(
                    *(None if rng.random() < 0.3 else rng.integer(-n - 2, n + 3) for _ in range(2)),
                    rng.choice((None, 1, 2, -1, -2, 3)),
                )
            )
        else:
            if length is None:
                length = rng.integer(0, 4) if n else 0
            picks = [rng.integer(-n, n) for _ in range(length)]
            as_list = picks and rng.random() < 0.3
            parts.append(picks if as_list else np.array(picks, dtype=np.intp))
    if len(parts) == 1 and rng.random() < 0.5:
        return parts[0]
    return tuple(parts)


def _no_ties(x: np.ndarray, axes: tuple[int, ...]) -> bool:
    """Every slice reduced by max has one clear largest element (engines may split a tie)."""
    kept = [d for d in range(x.ndim) if d not in axes]
    flat = x.transpose(kept + list(axes)).reshape(-1, int(np.prod([x.shape[d] for d in axes])))
    if flat.shape[1] < 2 or not flat.size:
        return True
    top = np.sort(flat, axis=1)[:, -2:]
    return bool(np.all(top[:, 1] - top[:, 0] > MARGIN * (1 + np.abs(top[:, 1]))))


# ---------------------------------------------------------------------- printing
def _show(data: np.ndarray) -> str:
    """A small array in full, a larger one by its shape (the seed has its numbers)."""
    if data.size > 4 or not data.size:
        return f"<{data.dtype} array of shape {data.shape}>"
    body = np.array2string(data, precision=4, separator=", ", max_line_width=1000)
    return f"{body.replace(chr(10), '')}, dtype={data.dtype}" if data.dtype != np.float64 else body


def _show_index(index) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    texts = []
    for q in parts:
        if isinstance(q, slice):
            step = "" if q.step is None else f":{q.step}"
            texts.append(f"{_blank(q.start)}:{_blank(q.stop)}{step}")
        elif isinstance(q, np.ndarray) and q.dtype == bool:
            texts.append(f"mask{q.astype(int).tolist()}")
        elif isinstance(q, np.ndarray):
            texts.append(f"array({q.tolist()})")
        else:
            texts.append(repr(q))
    return ", ".join(texts) + ("," if isinstance(index, tuple) and len(parts) == 1 else "")


def _blank(n) -> str:
    return "" if n is None else str(n)


def _text(kind: str, operands, p) -> str:
    """One step of a program as Python."""
    if kind == "leaf":
        return f"Tensor({_show(operands)}{', requires_grad=True' if p else ''})"
    a = [f"t{i}" for i in operands]
    if kind in BINARY or kind == "@":
        return f"{a[0]} {kind} {a[1]}"
    if kind == "array":
        side, array = p
        return f"{_show(array)} + {a[0]}" if side == "left" else f"{a[0]} * {_show(array)}"
    if kind == "neg":
        return f"-{a[0]}"
    if kind in UNARY:
        return f"{a[0]}.{kind}()"
    if kind in NUMBER_GATES:
        return kind.replace("x", a[0]).replace("c", repr(p))
    if kind == "reduce":
        name, axis, keepdims = p
        return f"{a[0]}.{name}(axis={axis}, keepdims={keepdims})"
    if kind == "softmax":
        return f"{a[0]}.{p[0]}(axis={p[1]})"
    if kind == "reshape":
        return f"{a[0]}.reshape({', '.join(map(str, p[0])) if p[1] else p[0]})"
    if kind == "transpose":
        return f"{a[0]}.T" if p == "T" else f"{a[0]}.transpose({', '.join(map(str, p))})"
    if kind == "index":
        return f"{a[0]}[{_show_index(p)}]"
    raise AssertionError(kind)


# ---------------------------------------------------------------------- the comparison
def torch_replay(program: Program, torch) -> list:
    """The same program in torch: every node, leaves included."""
    nodes = []
    for kind, operands, p in program.steps:
        if kind == "leaf":
            nodes.append(torch.from_numpy(operands.copy()).requires_grad_(p))
        else:
            nodes.append(GATES[kind]([nodes[i] for i in operands], p, torch))
    return nodes


def check_against_torch(program: Program, torch) -> None:
    """Backward from the last node with a random upstream gradient, in both engines; the
    value, its dtype, and every leaf's gradient (None-ness, shape, dtype, numbers) agree.
    The test adds the program to any failure."""
    rtol, atol = TOLERANCES[program.dtype]
    ours = program.nodes[-1]
    ref_nodes = torch_replay(program, torch)
    ref = ref_nodes[-1]
    assert ours.dtype == program.dtype, f"result is {ours.dtype}, not {program.dtype}"
    assert ours.shape == tuple(ref.shape), f"shape {ours.shape} != torch {tuple(ref.shape)}"
    _assert_close(ours.data, ref.detach().numpy(), rtol, atol, "the value")
    assert ours.requires_grad == ref.requires_grad, "requires_grad differs"
    if not ours.requires_grad:
        return
    upstream = np.random.default_rng([program.seed, 1]).normal(size=ours.shape)
    upstream = upstream.astype(program.dtype)
    ours.backward(upstream)
    # the same upstream gradient, as a weighted sum: ref.backward(upstream) would make torch
    # import sympy (2 s) on first use
    (ref * torch.from_numpy(upstream)).sum().backward()
    for i, (mine, theirs) in enumerate(zip(program.nodes, ref_nodes, strict=True)):
        if mine.parents or (mine.grad is None and theirs.grad is None):
            continue
        name = f"t{i}.grad"
        assert mine.grad is not None and theirs.grad is not None, (
            f"{name} is {mine.grad} here and {theirs.grad} in torch"
        )
        assert mine.grad.dtype == mine.dtype, f"{name} is {mine.grad.dtype}"
        assert mine.grad.shape == mine.shape, f"{name} has shape {mine.grad.shape}"
        _assert_close(mine.grad, theirs.grad.numpy(), rtol, atol, name)


def _assert_close(mine: np.ndarray, theirs: np.ndarray, rtol: float, atol: float, what: str):
    """np.testing.assert_allclose's check at a tenth of its cost; its report on failure."""
    if not np.allclose(mine, theirs, rtol, atol):
        np.testing.assert_allclose(mine, theirs, rtol, atol, err_msg=what)


built = functools.cache(Program)  # each seed's program, built once for all the tests here


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_tensor_graphs_match_torch(torch, chunk):
    check_chunk(chunk, SEEDS, CHUNKS, built, lambda program: check_against_torch(program, torch))


def test_the_fuzz_draws_every_gate_and_both_dtypes():
    programs = [built(seed) for seed in range(SEEDS)]
    assert {kind for p in programs for kind, _, _ in p.steps} == {"leaf", *GATES}
    assert {p.dtype for p in programs} == {np.float32, np.float64}


# ---------------------------------------------------------------------- bugs the fuzz found
# Minimal cases of what the fuzz found broken (issue 12), fixed since; the fuzz covers them too.
def test_pow_zero_at_zero_has_gradient_zero():
    x = Tensor([0.0, 2.0], requires_grad=True)
    (x**0).sum().backward()
    assert np.array_equal(x.grad, [0.0, 0.0])


@pytest.mark.parametrize("shape", [(2, 0), (3, 2, 0)])
def test_matmul_by_an_empty_vector_backpropagates_zeros(shape):
    a, b = Tensor(np.ones(shape), requires_grad=True), Tensor(np.ones(0), requires_grad=True)
    out = a @ b
    out.backward(np.ones(out.shape))
    assert a.grad.shape == shape and not a.grad.any() and b.grad.shape == (0,)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_over_an_empty_axis_is_empty(name):
    x = Tensor(np.ones((2, 0)), requires_grad=True)
    out = getattr(x, name)(axis=1)
    out.backward(np.ones((2, 0)))
    assert out.shape == (2, 0) and x.grad.shape == (2, 0)


def test_max_of_an_empty_tensor_backpropagates():
    x = Tensor(np.ones((0, 3)), requires_grad=True)
    out = x.max(axis=1)
    out.backward(np.ones(0))
    assert out.shape == (0,) and x.grad.shape == (0, 3)
