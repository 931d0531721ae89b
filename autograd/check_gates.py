"""`check_gates`: which gate of a built graph has a wrong derivative.

`gradcheck` differentiates a whole function, so it can only say that some input's gradient
is off. `check_gates` looks at every gate on its own: it re-runs the gate's forward rule at
the inputs the gate recorded, nudged a little each way (central differences of that gate
alone), and compares with what the gate recorded for backward: its local gradients (Value)
or its vector-Jacobian product (Tensor). A wrong derivative is caught at the gate that has it.

A Tensor gate is probed, never differentiated in full: for a random upstream gradient g and
a few random directions v, the slope d/dt sum(g * f(x + t v)) at t = 0 is compared with
<vjp(g), v>. That costs a few forward runs whatever the tensor's size (a wrong VJP almost
surely changes the slope along a random direction).

Where a gate has no derivative (relu at 0, max on a tie, abs at 0) the two one-sided
differences disagree and do not come closer as the step shrinks. Such an input is a kink:
it is set apart (`report.skipped`), never reported as wrong.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .custom_gates import rerun
from .engine import topological_order
from .grad_mode import no_grad
from .tensor import Tensor, checked_vjp, unbroadcast

PROBES = 3  # random directions per Tensor gate input
LEVELS = 7  # step sizes tried (each 10x smaller) before an input is called a kink
EPS64 = float(np.finfo(np.float64).eps)
MIN_STEP = 1e-290  # no step below this (a subnormal input must not make the step 0)

# Why an input was not compared (report.skipped).
KINK = "kink: the one-sided differences disagree (no derivative here)"
DOMAIN = "the forward fails on both sides of this input (outside its domain)"
NO_FORWARD = "the node records no forward rule to re-run"
NOT_FINITE = "an input or the output is NaN or infinite: no slope to compare"
ON_PURPOSE = "not a derivative here, on purpose"
SKIPS = (KINK, DOMAIN, NO_FORWARD, NOT_FINITE, ON_PURPOSE)
TENSOR_NOTE = "(for a Tensor gate: both are slopes along a random direction, <vjp(g), v>)"


@dataclass(frozen=True)
class Finding:
    """One gate input whose recorded derivative disagrees with finite differences (or, in
    `report.skipped`, one that could not be compared, with the `reason`).

    For a Value gate `analytic` is the local gradient d node / d input and `numeric` its
    central difference; for a Tensor gate both are the slope along one random direction
    (see the module docstring). `input` indexes `node.parents` (the wires into the gate);
    `site` is where the node was made, when anomaly mode recorded it; `reason` says why an
    input was skipped, or what else went wrong (a VJP of the wrong shape)."""

    op: str
    node: Any
    input: int
    analytic: float
    numeric: float
    rel_error: float
    site: str | None = None
    reason: str = ""

    @property
    def parent(self) -> Any:
        """The input node itself, `node.parents[input]`."""
        return self.node.parents[self.input]


class GateReport(Sequence):
    """What `check_gates` found: a sequence of `Finding`s, one per disagreeing gate input
    (empty when every gate agrees), plus `skipped` (kinks and the like, each with its reason),
    `gates` and `checked` (how many gates and gate inputs were compared)."""

    def __init__(
        self,
        findings: list[Finding],
        skipped: list[Finding],
        gates: int,
        checked: int,
        settings: dict[str, float],
    ) -> None:
        self.findings = findings
        self.skipped = skipped
        self.gates = gates
        self.checked = checked
        self.settings = settings

    def __getitem__(self, i: Any) -> Any:
        return self.findings[i]

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __repr__(self) -> str:
        return f"<GateReport: {len(self.findings)} disagreeing of {self.checked} gate inputs>"

    def summary(self) -> str:
        """One sentence: how much was checked and what disagreed."""
        s = self.settings
        head = (
            f"check_gates: {self.gates} gates, {self.checked} gate inputs compared "
            f"(eps {s['eps']:g}, rtol {s['rtol']:g}, atol {s['atol']:g}): "
        )
        if not self.findings:
            head += "every gate agrees with finite differences"
        else:
            n = len(self.findings)
            head += f"{n} disagree{'s' if n == 1 else ''}"
        if self.skipped:
            head += f"; {len(self.skipped)} skipped (see below)"
        return head + "."

    def headline(self) -> str:
        """The summary in a few words (a picture's caption): how many disagree, at which gates."""
        if not self.findings:
            return f"check_gates: all {self.checked} gate inputs agree with finite differences"
        n = len(self.findings)
        gates = Counter(f.op for f in {id(f.node): f for f in self.findings}.values())
        if sum(gates.values()) == 1:
            where = f"the {next(iter(gates))} gate"
        else:
            where = ", ".join(f"{k} {op}" if k > 1 else op for op, k in gates.items()) + " gates"
        return (
            f"check_gates: {n} of {self.checked} gate inputs disagree{'s' * (n == 1)} "
            f"with finite differences: {where}"
        )

    def probed(self) -> bool:
        """Does a finding compare slopes along a random direction (a Tensor gate's probe)?"""
        return any(
            isinstance(f.node, Tensor) and (f.node.size > 1 or f.parent.size > 1)
            for f in self.findings
        )

    def header(self) -> list[str]:
        """The table's columns ("made at" only when some node's creation site is known)."""
        return _HEADER if any(f.site for f in self.findings) else _HEADER[:-1]

    def rows(self) -> list[list[str]]:
        """The table's cells, one row per finding: op, output, input, analytic, numeric,
        relative error, and where the node was made when known."""
        n = len(self.header())
        return [_row(f)[:n] for f in self.findings]

    def __str__(self) -> str:
        lines = [self.summary()]
        if self.findings:
            lines += _text_table(self.header(), self.rows())
        if self.probed():
            lines.append(f"  {TENSOR_NOTE}")
        for f in self.findings:
            if f.reason:
                lines.append(f"  {f.op} {_name(f.node)}, input {_input_name(f)}: {f.reason}")
        lines += [f"  skipped: {line}" for line in self.skipped_lines()]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        """Jupyter's view: the text table in a code block (the HTML table is viz's:
        `gradtrace.viz.check_report.to_html(report)`). Labels stay text, never markup."""
        text = str(self)
        fence = "`" * max(3, 1 + max((len(r) for r in re.findall("`+", text)), default=0))
        return f"{fence}text\n{text}\n{fence}\n"

    def skipped_lines(self) -> list[str]:
        """One line per skipped gate input: the gate, its output, the input and why."""
        return [f"{f.op} {_name(f.node)}, input {_input_name(f)}: {f.reason}" for f in self.skipped]


def check_gates(
    root: Any,
    eps: float = 1e-6,
    rtol: float = 1e-4,
    atol: float = 1e-5,
    probes: int = PROBES,
    seed: int = 0,
) -> GateReport:
    """Re-run every gate `root` depends on at its recorded inputs, nudged by central
    differences, and compare with its recorded local gradients (Value) or VJP (Tensor).

    An input disagrees when |analytic - numeric| > atol + rtol * |numeric| (as in
    `gradcheck`). The step is `eps` times the input's size (at least 1), smaller where the
    gate is curved. Tensor gates are probed along `probes` random directions with a random
    upstream gradient (from `seed`), in float64. Returns a `GateReport`."""
    if not eps > 0 or not rtol >= 0 or not atol >= 0:
        raise ValueError(
            f"check_gates: need eps > 0, rtol >= 0, atol >= 0; got {eps}, {rtol}, {atol}"
        )
    if probes < 1:
        raise ValueError(f"check_gates: probes must be at least 1, got {probes}")
    rng = np.random.default_rng(seed)
    findings, skipped = [], []
    gates = checked = 0
    with no_grad(), np.errstate(all="ignore"):
        for node in topological_order(root):
            if not node.parents:
                continue
            gates += 1
            if isinstance(node, Tensor):
                results = _tensor_gate(node, eps, rtol, atol, probes, rng)
            else:
                results = _value_gate(node, eps, rtol, atol)
            for i, analytic, numeric, reason, *terms in results:
                site = getattr(node, "_site", None)
                rel = _relative(analytic, numeric)
                f = Finding(node.op, node, i, analytic, numeric, rel, site, reason)
                if reason.startswith(SKIPS):
                    skipped.append(f)
                    continue
                checked += 1
                size = max([abs(numeric), *terms])  # a Tensor probe: the size of its terms too
                if not abs(analytic - numeric) <= atol + rtol * size:  # NaN disagrees
                    findings.append(f)
    settings = {"eps": eps, "rtol": rtol, "atol": atol}
    return GateReport(findings, skipped, gates, checked, settings)


# ---------------------------------------------------------------------- one slope, numerically
# (input, analytic, numeric, reason: a SKIPS or a note[, a Tensor probe's sum of |terms|])
Result = tuple


def slope(
    phi: Callable[[float], float], h: float, rtol: float, atol: float, noise: float = 0.0
) -> tuple[float, str]:
    """phi'(0) by central differences, and "" or why it has none (KINK, DOMAIN).

    If the one-sided differences (phi(h) - phi(0)) / h and (phi(0) - phi(-h)) / h agree
    within the tolerance, their mean is the answer. If not, the step is made 10x smaller:
    for a smooth but curved phi their gap shrinks with h, at a kink it stays (relu at 0: one
    side has slope 1, the other 0, for every h). A gap within what rounding (`noise`, in
    phi's values) can make is no sign of a kink."""
    f0 = phi(0.0)
    gap_before = math.inf
    central = math.nan
    for _ in range(LEVELS):
        up, down = phi(h), phi(-h)
        if not (math.isfinite(up) and math.isfinite(down)):
            h /= 100  # e.g. log of a number near 0, nudged below 0: step closer
            continue
        central = (up - down) / (2 * h)
        gap = abs((up - f0) / h - (f0 - down) / h)
        if gap <= atol + rtol * abs(central) + 4 * noise / h:
            return central, ""
        if gap > 0.5 * gap_before:  # not shrinking with the step: a kink
            return central, KINK
        gap_before = gap
        h /= 10
    return central, KINK if math.isfinite(central) else DOMAIN


def retried(phi: Callable, h: float, plain: float, rtol: float, atol: float, noise: float):
    """slope() at step h, and again at the plain step (eps times the input's size, at least
    eps) when h was larger and found no slope: h is sized from the recorded gradient, and a
    wrong gradient of 0 would make it huge enough to step over a corner."""
    numeric, reason = slope(phi, h, rtol, atol, noise)
    if reason and h > plain:
        again = slope(phi, plain, rtol, atol, noise)
        if not again[1]:
            return again
    return numeric, reason


def step(x_size: float, noise: float, analytic: float, eps: float, rtol: float, atol: float):
    """The first step of a central difference: `eps` times the input's size, or larger where
    the output's rounding `noise` (a few units in the last place of the output) would swamp
    the difference: (noise / h) must stay within 1% of the tolerance, or `Value(1e8) +
    Value(1.0)` gives 0.998 and `x + 1e300` gives 0."""
    tolerance = atol + rtol * abs(analytic) if math.isfinite(analytic) else atol
    return max(eps * x_size, 100 * noise / tolerance if tolerance > 0 else 0.0, MIN_STEP)


def noise(y: Any, g: Any = None) -> float:
    """How far rounding may move the re-run output: 4 ulps of a float (y), or of the sum
    sum(g * y) for a Tensor (pairwise summation adds log2(n) roundings)."""
    if g is None:
        return 4 * float(np.spacing(abs(float(y))))
    terms = np.abs(g * y)
    return 4 * (1 + math.log2(max(terms.size, 1))) * EPS64 * float(terms.sum())


def _on_purpose(node: Any, inputs: list, **settings: Any) -> bool:
    """Does `node`'s gate follow a rule of its own at these inputs (`gate.on_purpose`)?"""
    rule = getattr(node.gate, "on_purpose", None)
    return rule is not None and bool(rule(*inputs, **settings))


# ---------------------------------------------------------------------- Value gates
def _value_gate(node: Any, eps: float, rtol: float, atol: float) -> list[Result]:
    """Each input of a Value gate: its recorded local gradient against the slope of the gate
    re-run with only that input moved."""
    xs = [p.data for p in node.parents]
    if not all(map(math.isfinite, [*xs, node.data])):
        return [(i, float(node.local_grads[i]), math.nan, NOT_FINITE) for i in range(len(xs))]
    try:
        rerun(node, xs)
    except Exception as e:  # the gate cannot be re-run even where it was recorded
        note = f"{NO_FORWARD} ({type(e).__name__}: {e})"
        return [(i, float(node.local_grads[i]), math.nan, note) for i in range(len(xs))]
    given = node.settings if type(node.settings) is tuple else xs  # a call's inputs, if kept
    if _on_purpose(node, [getattr(s, "data", s) for s in given]):
        note = f"{ON_PURPOSE}: {node.gate.on_purpose_note}"
        return [(i, float(node.local_grads[i]), math.nan, note) for i in range(len(xs))]
    results = []
    for i, x in enumerate(xs):

        def phi(t: float, i: int = i, x: float = x) -> float:
            moved = list(xs)
            moved[i] = x + t
            try:
                return float(rerun(node, moved))
            except (ArithmeticError, ValueError):  # outside the gate's domain
                return math.nan

        analytic = float(node.local_grads[i])
        h = step(abs(x), noise(node.data), analytic, eps, rtol, atol)
        numeric, reason = retried(phi, h, eps * max(abs(x), 1.0), rtol, atol, noise(node.data))
        results.append((i, analytic, numeric, reason))
    return results


# ---------------------------------------------------------------------- Tensor gates
def _tensor_gate(
    node: Tensor, eps: float, rtol: float, atol: float, probes: int, rng: np.random.Generator
) -> list[Result]:
    """Each input of a Tensor gate that needs a gradient: <vjp(g), v> against the slope of
    sum(g * forward(..., x + t v, ...)) for `probes` random directions v (the worst is kept)."""
    gate, settings = node.gate, node.settings or {}
    if gate is None:
        return [(i, math.nan, math.nan, NO_FORWARD) for i in range(len(node.parents))]
    xs = [np.array(p.data, dtype=np.float64) for p in node.parents]
    out = gate.forward(*xs, **settings)  # at the recorded inputs, in float64
    out, saved = out if type(out) is tuple else (out, None)
    out = np.asarray(out, dtype=np.float64)
    if out.size == 0:
        return []
    skipped = _not_probed(node, xs, out, settings)
    if skipped is not None:
        return skipped
    g = np.ones_like(out) if out.size == 1 else rng.standard_normal(out.shape)
    if not math.isfinite(float(np.abs(g * out).sum())):  # sum(g * out) overflows near 1e308
        return _each_needy_input(node, f"{NOT_FINITE} (sum(g * out) overflows)")
    grads = _tensor_vjp(node, g, out, xs, settings, saved)
    if type(grads) not in (tuple, list) or len(grads) != len(xs):
        note = f"its vjp returned {grads!r:.40} where {len(xs)} gradients were due"
        return [(i, math.nan, math.nan, note) for i in range(len(xs))]
    at = _At(node, xs, out, g, eps, rtol, atol)
    results = []
    for i, (p, x) in enumerate(zip(node.parents, xs, strict=True)):
        if not p.requires_grad or x.size == 0:
            continue
        try:
            gi = _input_gradient(at, i, grads[i])
        except (TypeError, ValueError) as e:  # a VJP the engine refuses: wrong whatever numbers
            results.append((i, math.nan, math.nan, str(e)))
            continue
        results.append(_worst_probe(at, i, gi, *_directions(x, probes, rng)))
    return results


@dataclass(frozen=True)
class _At:
    """A Tensor gate at its recorded inputs, with the upstream g and tolerances its probes use."""

    node: Tensor
    xs: list[np.ndarray]
    out: np.ndarray
    g: np.ndarray
    eps: float
    rtol: float
    atol: float


def _each_needy_input(node: Tensor, note: str) -> list[Result]:
    """Every input that needs a gradient, set apart with `note`."""
    return [(i, math.nan, math.nan, note) for i, p in enumerate(node.parents) if p.requires_grad]


def _not_probed(node: Tensor, xs: list, out: np.ndarray, settings: dict) -> list[Result] | None:
    """The inputs set apart when the gate has no slope to compare here, else None."""
    if not all(np.isfinite(a).all() for a in [*xs, out]):
        return _each_needy_input(node, NOT_FINITE)
    if _on_purpose(node, xs, **settings):
        return _each_needy_input(node, f"{ON_PURPOSE}: {node.gate.on_purpose_note}")
    return None


def _tensor_vjp(
    node: Tensor, g: np.ndarray, out: np.ndarray, xs: list, settings: dict, saved: Any
) -> Any:
    """The gate's VJP of g at the recorded inputs, given what its forward saved."""
    gate = node.gate
    kwargs = settings if saved is None else {**settings, **saved}
    if gate.wants_needs:
        kwargs = {**kwargs, "needs": [p.requires_grad for p in node.parents]}
    return gate.vjp(g, out, *xs, **kwargs)


def _input_gradient(at: _At, i: int, grad: Any) -> np.ndarray:
    """Input i's gradient as the engine would take it (raises where the engine refuses it)."""
    x, gate = at.xs[i], at.node.gate
    if grad is None:
        gi = np.zeros_like(x)
    elif gate.builtin:
        gi = np.asarray(grad, np.float64)
    else:  # a learner's VJP: the engine's own checks (shape, NaN, complex, strings)
        gi = checked_vjp(gate.name, i, grad, x, at.out, at.g, at.xs).astype(np.float64)
    return unbroadcast(gi, x.shape, at.node.op, i)


def _directions(
    x: np.ndarray, probes: int, rng: np.random.Generator
) -> tuple[list[np.ndarray], float]:
    """The directions to move input x along, and the size the step is taken relative to."""
    # A one-element input is moved by itself (its numbers are then d/dx), a larger one
    # along random directions, each element in proportion to its size (at least 1).
    if x.size == 1:
        return [np.ones_like(x)], abs(float(x.reshape(-1)[0]))
    # A direction has each element in proportion to its size and at least 1 (atol
    # keeps its meaning: a slope along v of size >= 1 per element); the step moves
    # the smallest element by eps of itself, so a tiny divisor is not crossed.
    scale = np.maximum(np.abs(x), 1.0)
    directions = [rng.standard_normal(x.shape) * scale for _ in range(probes)]
    nonzero = np.abs(x[x != 0])
    return directions, min(1.0, float(nonzero.min())) if nonzero.size else 1.0


def _worst_probe(
    at: _At, i: int, gi: np.ndarray, directions: list[np.ndarray], size: float
) -> Result:
    """Input i probed along each direction; the worst probe is the one reported."""
    rounding = noise(at.out, at.g)
    worst = None
    for v in directions:
        key, result = _probe(at, i, gi, v, size, rounding)
        # the worst probe: one that was compared, then one that disagrees, then by how much
        if worst is None or key > worst[0]:
            worst = (key, result)
    return worst[1]


def _probe(
    at: _At, i: int, gi: np.ndarray, v: np.ndarray, size: float, rounding: float
) -> tuple[tuple, Result]:
    """<vjp(g), v> against the slope of sum(g * forward) along v, with how badly they differ."""
    # <vjp(g), v> is a sum of terms that may cancel: its tolerance is relative to the
    # size of the terms, sum |vjp(g) * v|, as an elementwise comparison's would be
    terms = gi * v
    analytic, magnitude = float(terms.sum()), float(np.abs(terms).sum())
    h = step(size, rounding, magnitude, at.eps, at.rtol, at.atol)

    def phi(t: float) -> float:
        moved = list(at.xs)
        moved[i] = at.xs[i] + t * v
        try:
            y = np.asarray(rerun(at.node, moved), dtype=np.float64)
        except (ArithmeticError, ValueError):
            return math.nan
        return float((at.g * y).sum())

    numeric, reason = retried(phi, h, at.eps, at.rtol, at.atol, rounding)
    excess = abs(analytic - numeric) - (at.atol + at.rtol * max(abs(numeric), magnitude))
    key = (not reason, not excess <= 0, excess if excess == excess else math.inf)
    return key, (i, analytic, numeric, reason, magnitude)


# ---------------------------------------------------------------------- the table
_HEADER = ["op", "output", "input", "analytic", "numeric", "rel. error", "made at"]


def _relative(a: float, n: float) -> float:
    """|a - n| / max(|a|, |n|): 0 when they agree, near 1 when they have nothing in common."""
    scale = max(abs(a), abs(n))
    if scale == 0:
        return 0.0
    return abs(a - n) / scale if math.isfinite(scale) else math.nan


def _name(node: Any) -> str:
    """A node as the table names it: its label, else its value (a Tensor: its shape)."""
    if node.label:
        return node.label
    if isinstance(node, Tensor):
        return f"shape {tuple(node.shape)}"
    return f"= {node.data:.6g}"


def _input_name(f: Finding) -> str:
    label = f.parent.label
    return f"{f.input} ({label})" if label else str(f.input)


def _row(f: Finding) -> list[str]:
    return [
        f.op,
        _name(f.node),
        _input_name(f),
        f"{f.analytic:.6g}",
        f"{f.numeric:.6g}",
        f"{f.rel_error:.2g}",
        f.site or "-",
    ]


def _text_table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
