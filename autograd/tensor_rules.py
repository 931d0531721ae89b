"""Each Tensor gate's backward rule as the lecture writes it: words, shapes and a computation.

A gate's VJP (tensor_gates.py, conv_gates.py) is written for speed; its rule here is written
for reading, the way the notes write it (δ is the gradient arriving from above, ∂J/∂out):

    linear   Y = X·Wᵀ + b     dX = δ·W     dW = δᵀ·X     db = Σₙ δ
    sigmoid  a = σ(z)         dz = δ ⊙ σ(z)(1 − σ(z))
    sum      y = Σ x          dx = δ copied back along the summed axes

Each rule is attached to its gate (`gate.rule`), so every node keeps it in its gate record
and the pictures, frames and `explain` print what the gate says about itself. Each input's
`Part` has its text, its shapes ("(1, 2)ᵀ·(1, 2) = (2, 2)") and `compute`: the rule's numbers,
computed the way the text says (an explicit Jacobian, a loop over windows), independently of
the VJP. tests/test_tensor_rules.py checks, for every gate on random inputs, that the two
agree, so the words and the computation cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .conv_gates import pad
from .tensor import GATES, TensorGate

Array = np.ndarray
Compute = Callable[[Array, Array, list, dict], Array]  # (δ, out, inputs, settings) -> grad
Shapes = Callable[[Array, list, dict], str]


@dataclass(frozen=True)
class Part:
    """What one input gets: its name in the rule, the rule in words, its shapes, its numbers."""

    name: str
    text: str
    compute: Compute
    shapes: Shapes | None = None  # None: "δ (shape)" -> the input's shape

    def shape_text(self, g: Array, xs: list, settings: dict, i: int) -> str:
        if self.shapes is not None:
            return self.shapes(g, xs, settings)
        return f"{_s(g.shape)} → {_s(xs[i].shape)}"


@dataclass(frozen=True)
class GateRule:
    """A gate's forward formula and, per input, its backward rule (`parts`; a variadic gate
    has one part that every input uses)."""

    forward: str
    parts: tuple[Part, ...]
    variadic: bool = False

    def part(self, i: int) -> Part:
        return self.parts[0] if self.variadic else self.parts[i]

    def compute(self, i: int, g: Array, out: Array, xs: list, settings: dict) -> Array:
        """The gradient input `i` gets from δ = `g`, by the rule (a joining gate's part is
        told which input it is computing for: settings["input"])."""
        if self.variadic:
            settings = {**settings, "input": i}
        return self.part(i).compute(g, out, xs, settings)

    def lines(self, g: Array, xs: list, settings: dict) -> list[tuple[str, str, str]]:
        """(input name, rule text, shapes) for each input."""
        out = []
        for i in range(len(xs)):
            p = self.part(i)
            name = p.name if not self.variadic else f"{p.name}{i}"
            out.append((name, p.text, p.shape_text(g, xs, settings, i)))
        return out


def rule_of(node: Any) -> GateRule | None:
    """The rule in `node`'s gate record, or None (a leaf, or a gate without one)."""
    gate = getattr(node, "gate", None)
    return getattr(gate, "rule", None)


def gradient_by_rule(node: Any, g: Array, i: int) -> Array:
    """The gradient input `i` of `node` gets from upstream `g`, computed by the rule."""
    xs = [p.data for p in node.parents]
    settings = {**(node.settings or {}), **(node._saved or {})}
    return node.gate.rule.compute(i, g, node.data, xs, settings)


# ------------------------------------------------------------------ helpers
def _s(shape: tuple) -> str:
    return str(tuple(int(n) for n in shape))


def sum_to(g: Array, shape: tuple) -> Array:
    """δ summed back to an input's shape: over the axes broadcasting added in front (axis 0
    for a bias under a minibatch) and over the axes where the input had size 1."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for d, n in enumerate(shape):
        if n == 1 and g.shape[d] != 1:
            g = g.sum(axis=d, keepdims=True)
    return g


def broadcast_words(big: tuple, small: tuple) -> str:
    """How δ goes back to an input that was broadcast: "summed over axis 0 to (3,)"."""
    lead = len(big) - len(small)
    axes = list(range(lead)) + [
        lead + d for d, n in enumerate(small) if n == 1 and big[lead + d] != 1
    ]
    word = "axis" if len(axes) == 1 else "axes"
    return f"summed over {word} {', '.join(map(str, axes))} to {_s(small)} (it was broadcast)"


def _elementwise(text: str, name: str, fn: Callable[..., Array], i: int = 0) -> Part:
    """A part δ ⊙ (local derivative), summed back where the input was broadcast."""

    def compute(g, out, xs, s):
        return sum_to(fn(g, out, *xs, **s), xs[i].shape)

    def shapes(g, xs, s):
        back = "" if xs[i].shape == g.shape else f", {broadcast_words(g.shape, xs[i].shape)}"
        if text in ("δ", "−δ"):
            return f"{_s(g.shape)} → {_s(g.shape)}{back}"
        return f"{_s(g.shape)} ⊙ {_s(g.shape)} = {_s(g.shape)}{back}"

    return Part(name, text, compute, shapes)


def _rows(a: Array) -> Array:
    """A 1-D vector as one row (1, n), as the lecture's rows of a minibatch."""
    return a.reshape(1, -1) if a.ndim == 1 else a


def _row_shape(a: Array) -> str:
    return _s(_rows(a).shape) if a.ndim == 1 else _s(a.shape)


# ------------------------------------------------------------------ elementwise
def _div_b(g, out, a, b):
    return -g * a / (b * b)


def _power_a(g, out, a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b == 0, 0.0, g * b * a ** (b - 1))


def _power_b(g, out, a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a == 0, 0.0, g * a**b * np.log(a))


def _pow_n(g, out, x, n):
    return np.zeros_like(g) if n == 0 else g * n * x ** (n - 1)


def _sigmoid(g, out, x):
    s = 1 / (1 + np.exp(-x))
    return g * s * (1 - s)


ELEMENTWISE = {
    "+": ("a + b", [("a", "δ", lambda g, o, a, b: g), ("b", "δ", lambda g, o, a, b: g)]),
    "-": ("a − b", [("a", "δ", lambda g, o, a, b: g), ("b", "−δ", lambda g, o, a, b: -g)]),
    "*": (
        "a ⊙ b",
        [("a", "δ ⊙ b", lambda g, o, a, b: g * b), ("b", "δ ⊙ a", lambda g, o, a, b: g * a)],
    ),
    "/": ("a / b", [("a", "δ / b", lambda g, o, a, b: g / b), ("b", "−δ ⊙ a / b²", _div_b)]),
    "**": ("a ** b", [("a", "δ ⊙ b a^(b−1)", _power_a), ("b", "δ ⊙ a^b ln a", _power_b)]),
    "neg": ("−x", [("x", "−δ", lambda g, o, x: -g)]),
    "pow": ("x ** n", [("x", "δ ⊙ n x^(n−1)", _pow_n)]),
    "exp": ("eˣ", [("x", "δ ⊙ eˣ", lambda g, o, x: g * np.exp(x))]),
    "log": ("ln x", [("x", "δ / x", lambda g, o, x: g / x)]),
    "tanh": ("tanh z", [("z", "δ ⊙ (1 − tanh²z)", lambda g, o, z: g * (1 - np.tanh(z) ** 2))]),
    "sigmoid": ("σ(z)", [("z", "δ ⊙ σ(z)(1 − σ(z))", _sigmoid)]),
    "relu": ("max(0, z)", [("z", "δ ⊙ [z > 0]", lambda g, o, z: g * (z > 0))]),
}


# ------------------------------------------------------------------ reductions
def _axes_words(s: dict, shape: tuple) -> str:
    axes = s["axes"]
    if len(axes) == len(shape):
        return "every element"
    return "axis " + ", ".join(str(a) for a in axes) if len(axes) == 1 else f"axes {axes}"


def _copied_back(g, s, shape):
    """δ with the reduced axes put back (size 1) and copied along them."""
    if not s["keepdims"]:
        g = np.expand_dims(g, s["axes"])
    return np.broadcast_to(g, shape)


def _sum_x(g, out, xs, s):
    return _copied_back(g, s, xs[0].shape)


def _mean_x(g, out, xs, s):
    n = xs[0].size // max(out.size, 1)
    return _copied_back(g, s, xs[0].shape) / n


def _max_x(g, out, xs, s):
    """δ routed to the first largest element of each reduced slice."""
    x, axes = xs[0], s["axes"]
    kept = [d for d in range(x.ndim) if d not in axes]
    moved = x.transpose(kept + list(axes)).reshape([x.shape[d] for d in kept] + [-1])
    top = moved.max(axis=-1, keepdims=True)
    first = (moved == top) & (np.cumsum(moved == top, axis=-1) == 1)
    mask = first.reshape([x.shape[d] for d in kept + list(axes)]).transpose(
        np.argsort(kept + list(axes))
    )
    return mask * _copied_back(g, s, x.shape)


def _reduction_shapes(word):
    def shapes(g, xs, s):
        return f"{_s(g.shape)} → {_s(xs[0].shape)}, {word} along {_axes_words(s, xs[0].shape)}"

    return shapes


# ------------------------------------------------------------------ the softmax family
def _softmax_of(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_z(g, out, xs, s):
    """The lecture's Jacobian, row by row: ∂a_m/∂z_n = a_n(δ_mn − a_m), applied to δ."""
    a = np.moveaxis(_softmax_of(xs[0], s["axis"]), s["axis"], -1)
    d = np.moveaxis(g, s["axis"], -1)
    jac = np.eye(a.shape[-1]) * a[..., None, :] - a[..., :, None] * a[..., None, :]
    return np.moveaxis(np.einsum("...mn,...m->...n", jac, d), -1, s["axis"])


def _log_softmax_z(g, out, xs, s):
    a = _softmax_of(xs[0], s["axis"])
    return g - a * g.sum(axis=s["axis"], keepdims=True)


def _cross_entropy_z(g, out, xs, s):
    """(a − y) per row, a = softmax(z), y one-hot; ÷ N for the mean, × δ per row for none."""
    z = xs[0]
    a, y = _softmax_of(z, -1), np.zeros_like(z)
    y[s["index"]] = 1.0
    if s["reduction"] == "none":
        return g[..., None] * (a - y)
    n = a[..., 0].size if s["reduction"] == "mean" else 1
    return g * (a - y) / max(n, 1)


def _ce_text(s: dict) -> str:
    return {"mean": "δ (a − y) / N", "sum": "δ (a − y)", "none": "δₙ (aₙ − yₙ)"}[s["reduction"]]


# ------------------------------------------------------------------ matrix products
def _promoted(a, b, g):
    """a, b and δ as matrices: a 1-D a is a row (1, k), a 1-D b a column (k, 1)."""
    A = a[None, :] if a.ndim == 1 else a
    B = b[:, None] if b.ndim == 1 else b
    G = g[..., None] if b.ndim == 1 else g
    if a.ndim == 1:
        G = np.expand_dims(G, -2)
    return A, B, G


def _matmul_a(g, out, xs, s):
    a, b = xs
    A, B, G = _promoted(a, b, g)
    dA = sum_to(G @ np.swapaxes(B, -1, -2), A.shape)
    return dA[0] if a.ndim == 1 else dA


def _matmul_b(g, out, xs, s):
    a, b = xs
    A, B, G = _promoted(a, b, g)
    dB = sum_to(np.swapaxes(A, -1, -2) @ G, B.shape)
    return dB[:, 0] if b.ndim == 1 else dB


def _matmul_shapes(i):
    def shapes(g, xs, s):
        a, b = xs
        A, B, G = _promoted(a, b, g)
        if i == 0:
            return f"{_s(G.shape)}·{_s(B.shape)}ᵀ = {_s(A.shape)}"
        return f"{_s(A.shape)}ᵀ·{_s(G.shape)} = {_s(B.shape)}"

    return shapes


def _linear_rows(g, x):
    return g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])


def _linear_x(g, out, xs, s):
    return g @ xs[1]


def _linear_w(g, out, xs, s):
    G, X = _linear_rows(g, xs[0])
    return G.T @ X


def _linear_b(g, out, xs, s):
    return _linear_rows(g, xs[0])[0].sum(axis=0)


def _linear_shapes(i):
    def shapes(g, xs, s):
        x, w = xs[0], xs[1]
        G, X = _linear_rows(g, x)
        if i == 0:
            return f"{_row_shape(g)}·{_s(w.shape)} = {_row_shape(x)}"
        if i == 1:
            return f"{_s(G.shape)}ᵀ·{_s(X.shape)} = {_s(w.shape)}"
        return f"{_s(G.shape)} summed over its {G.shape[0]} row{'s' if G.shape[0] != 1 else ''}"

    return shapes


# ------------------------------------------------------------------ shapes and picks
def _index_x(g, out, xs, s):
    dx = np.zeros_like(xs[0])
    np.add.at(dx, s["index"], g)
    return dx


def _concat_part(g, out, xs, s):
    i = s["input"]
    lo, hi = s["offsets"][i], s["offsets"][i + 1]
    return np.take(g, np.arange(lo, hi), axis=s["axis"])


def _stack_part(g, out, xs, s):
    return np.take(g, s["input"], axis=s["axis"])


# ------------------------------------------------------------------ convolution and pooling
def _windows(s: dict, x: Array, g: Array):
    """(j, k, the (padded) pixel slice of output (j, k)'s window) for every output position."""
    (kh, kw), (sh, sw) = s["window"].kernel, s["window"].stride
    for j in range(g.shape[2]):
        for k in range(g.shape[3]):
            yield j, k, (slice(j * sh, j * sh + kh), slice(k * sw, k * sw + kw))


def _unpad(dxp: Array, s: dict, shape: tuple) -> Array:
    (ph, pw), (h, w) = s["window"].padding, shape[2:]
    return dxp[:, :, ph : ph + h, pw : pw + w]


def _conv_x(g, out, xs, s):
    """Each output (j, k) hands δ[n, o, j, k] · W[o] back to the pixels of its window."""
    x, w = xs[0], xs[1]
    dxp = np.zeros(pad(x, s["window"]).shape)
    for j, k, (rows, cols) in _windows(s, x, g):
        dxp[:, :, rows, cols] += np.einsum("no,ochw->nchw", g[:, :, j, k], w)
    return _unpad(dxp, s, x.shape)


def _conv_w(g, out, xs, s):
    """Each output (j, k) adds δ[n, o, j, k] times its window to W[o] (shared weights)."""
    xp = pad(xs[0], s["window"])
    dw = np.zeros_like(xs[1])
    for j, k, (rows, cols) in _windows(s, xp, g):
        dw += np.einsum("no,nchw->ochw", g[:, :, j, k], xp[:, :, rows, cols])
    return dw


def _max_pool_x(g, out, xs, s):
    """Each window's δ goes to its arg-max pixel (the first on ties), 0 to the others."""
    x = xs[0]
    xp = pad(x, s["window"], -np.inf)
    dxp = np.zeros(xp.shape)
    (kh, kw) = s["window"].kernel
    for j, k, (rows, cols) in _windows(s, xp, g):
        win = xp[:, :, rows, cols].reshape(*x.shape[:2], -1)
        arg = win.argmax(axis=-1)
        n, c = np.indices(arg.shape)
        dxp[n, c, rows.start + arg // kw, cols.start + arg % kw] += g[:, :, j, k]
    return _unpad(dxp, s, x.shape)


def _avg_pool_x(g, out, xs, s):
    x = xs[0]
    dxp = np.zeros(pad(x, s["window"]).shape)
    (kh, kw) = s["window"].kernel
    for _j, _k, (rows, cols) in _windows(s, x, g):
        dxp[:, :, rows, cols] += g[:, :, _j, _k][:, :, None, None] / (kh * kw)
    return _unpad(dxp, s, x.shape)


def _window_words(s: dict) -> str:
    w = s["window"]
    return f"{w.kernel[0]}x{w.kernel[1]} windows, stride {w.stride[0]}"


# ------------------------------------------------------------------ the table
def _one(name: str, text: str, compute: Compute, shapes: Shapes | None = None) -> tuple:
    return (Part(name, text, compute, shapes),)


def _build() -> dict[str, GateRule]:
    rules = {}
    for gate, (forward, parts) in ELEMENTWISE.items():
        rules[gate] = GateRule(
            forward, tuple(_elementwise(t, n, fn, i) for i, (n, t, fn) in enumerate(parts))
        )
    rules["sum"] = GateRule(
        "y = Σ x", _one("x", "δ copied back", _sum_x, _reduction_shapes("copied"))
    )
    rules["mean"] = GateRule(
        "y = Σ x / N", _one("x", "δ ÷ N, copied back", _mean_x, _reduction_shapes("÷ N and copied"))
    )
    rules["max"] = GateRule(
        "y = max x",
        _one(
            "x",
            "δ routed to the arg-max (the first on ties), 0 elsewhere",
            _max_x,
            _reduction_shapes("routed"),
        ),
    )
    rules["softmax"] = GateRule(
        "aₙ = e^zₙ / Σₘ e^zₘ",
        _one("z", "a ⊙ (δ − Σₘ δₘ aₘ)  (∂aₘ/∂zₙ = aₙ(1[m=n] − aₘ))", _softmax_z),
    )
    rules["log_softmax"] = GateRule(
        "zₙ − ln Σₘ e^zₘ", _one("z", "δ − softmax(z) Σₘ δₘ", _log_softmax_z)
    )
    rules["cross_entropy"] = GateRule(
        "J = −Σₙ ln softmax(zₙ)[yₙ] (÷ N for the mean)",
        _one("z", "δ (a − y) / N, a = softmax(z), y one-hot", _cross_entropy_z),
    )
    rules["@"] = GateRule(
        "Y = A·B",
        (
            Part("A", "δ·Bᵀ", _matmul_a, _matmul_shapes(0)),
            Part("B", "Aᵀ·δ", _matmul_b, _matmul_shapes(1)),
        ),
    )
    rules["linear"] = GateRule(
        "Y = X·Wᵀ + b",
        (
            Part("X", "δ·W", _linear_x, _linear_shapes(0)),
            Part("W", "δᵀ·X", _linear_w, _linear_shapes(1)),
            Part("b", "Σₙ δ", _linear_b, _linear_shapes(2)),
        ),
    )
    rules.update(_shape_rules())
    rules.update(_window_rules())
    return rules


def _shape_rules() -> dict[str, GateRule]:
    def back(word):
        return lambda g, xs, s: f"{_s(g.shape)} → {_s(xs[0].shape)}, {word}"

    return {
        "reshape": GateRule(
            "y = x laid out as a new shape",
            _one(
                "x",
                "δ laid back out in x's shape",
                lambda g, o, xs, s: g.reshape(xs[0].shape),
                back("laid back out"),
            ),
        ),
        "transpose": GateRule(
            "y = xᵀ (axes permuted)",
            _one(
                "x",
                "δ transposed back",
                lambda g, o, xs, s: g.transpose(np.argsort(s["axes"])),
                back("axes put back"),
            ),
        ),
        "index": GateRule(
            "y = x[index]",
            _one(
                "x",
                "δ put back where x[index] was read, 0 elsewhere (added where read twice)",
                _index_x,
                back("scattered"),
            ),
        ),
        "concatenate": GateRule(
            "y = x₀, x₁, … joined along an axis",
            (Part("x", "its slice of δ", _concat_part, back("sliced")),),
            variadic=True,
        ),
        "stack": GateRule(
            "y = x₀, x₁, … stacked on a new axis",
            (Part("x", "its slice of δ along the new axis", _stack_part, back("sliced")),),
            variadic=True,
        ),
    }


def _window_rules() -> dict[str, GateRule]:
    def windows(word):
        return lambda g, xs, s: f"{_s(g.shape)} → {_s(xs[0].shape)}, {word} ({_window_words(s)})"

    def conv_b(g, o, xs, s):
        return g.sum(axis=(0, 2, 3))

    return {
        "conv2d": GateRule(
            "Y[n, o, j, k] = b[o] + Σ W[o] ⊙ (window (j, k) of X[n])",
            (
                Part(
                    "X",
                    "each window gets Σₒ δ[n, o, j, k] W[o], added where windows overlap",
                    _conv_x,
                    windows("handed back"),
                ),
                Part(
                    "W",
                    "Σ over n, j, k of δ[n, o, j, k] ⊙ window (j, k) (shared weights)",
                    _conv_w,
                    lambda g, xs, s: f"{_s(g.shape)} ⋆ {_s(xs[0].shape)} = {_s(xs[1].shape)}",
                ),
                Part(
                    "b",
                    "Σ δ over n, j, k",
                    conv_b,
                    lambda g, xs, s: f"{_s(g.shape)} summed to {_s(xs[2].shape)}",
                ),
            ),
        ),
        "max_pool2d": GateRule(
            "y = the largest value of each window",
            _one(
                "x",
                "each window's δ routed to its arg-max (the first on ties), 0 elsewhere",
                _max_pool_x,
                windows("routed"),
            ),
        ),
        "avg_pool2d": GateRule(
            "y = the mean of each window",
            _one(
                "x",
                "each window's δ ÷ (kh·kw), copied to its pixels",
                _avg_pool_x,
                windows("shared"),
            ),
        ),
    }


RULES = _build()


def attach(rules: dict[str, GateRule], gates: dict[str, TensorGate]) -> None:
    """Put each rule in its gate's record (`gate.rule`); a gate without a rule is an error,
    so a new gate cannot be drawn or explained without saying how its gradient goes."""
    missing = sorted(set(gates) - set(rules))
    if missing:
        raise RuntimeError(f"tensor_rules: no backward rule written for the gates {missing}")
    for name, gate in gates.items():
        gate.rule = rules[name]


attach(RULES, GATES)
