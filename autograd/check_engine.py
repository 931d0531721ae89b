"""`check_engine(ValueClass)`: run a learner's own micrograd-style engine through small probe
graphs, compare with gradtrace, and name the mistake behind each difference.

    report = gradtrace.check_engine(Value)     # the learner's class
    print(report)                              # a table, then one sentence per finding
    report.score                               # checks passed / checks run (partial credit)
    gradtrace.assert_engine(Value)             # for pytest, nbgrader, otter-grader

The class is used as micrograd's is: `Value(2.0)`, `+ - * / **` with numbers on either side,
`exp()`, `tanh()`, `relu()` where it has them, `backward()`, `data` and `grad`. The probes are in
engine_probes.py; each is made to show one mistake, and a probe leaning on a gate that already
failed is blamed on that gate, so one mistake gives one cause. Probe values come from `seed`.
Causes: `root-not-seeded`, `wrong-local-gradient:<op>`, `sign-error:<op>`, `wrong-forward:<op>`,
`reflected-op:<op>`, `assign-instead-of-accumulate`, `no-topological-order`,
`stale-inner-gradients`, `recursion-limit`, and `crash` (the class raised; the message names it).

The report is data. autograd never imports viz: `report.draw()` calls the drawer that
gradtrace.viz installs on `EngineReport` when it is imported (as it installs Jupyter's display
of a Value), and `gradtrace.viz.draw(report)` does the same.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from . import engine_probes as probes
from .value import Value

RULES = {  # each gate's local gradients, as a message states them
    "add": "d(a + b)/da = 1 and d(a + b)/db = 1",
    "mul": "d(a * b)/da = b and d(a * b)/db = a",
    "neg": "d(-a)/da = -1",
    "sub": "d(a - b)/da = 1 and d(a - b)/db = -1",
    "pow": "d(a ** n)/da = n * a ** (n - 1)",
    "div": "d(a / b)/da = 1 / b and d(a / b)/db = -a / b ** 2",
    "exp": "d(e ** a)/da = e ** a, the output itself",
    "tanh": "d tanh(a)/da = 1 - t ** 2 with t = tanh(a), the output (not the input a)",
    "relu": "d relu(a)/da = 1 where a > 0, else 0",
}
REFLECTED = {"add": "__radd__", "mul": "__rmul__", "sub": "__rsub__", "div": "__rtruediv__"}


@dataclass
class EngineFinding:
    """One difference: the probe (`check`), its `cause` id, a `message` with the numbers,
    `expected` (gradtrace's) and `got` (the learner's), and `node`, the probe's node whose
    number is wrong ("out.data" for a wrong forward value)."""

    check: str
    cause: str
    message: str
    expected: Any = None
    got: Any = None
    node: str = ""
    graph: dict[str, Any] | None = field(default=None, repr=False)  # the learner's nodes
    want: dict[str, float] = field(default_factory=dict, repr=False)  # gradtrace's grads


@dataclass
class EngineReport:
    """What check_engine found: `findings`, `skipped` (ops the class lacks), `checks` run and
    `passed_checks`; `passed`, `score`, `str()` (a table) and `draw()`. A class with no
    reflected method at all (`__radd__`, ...) has them skipped; one that has some but not
    another gets `reflected-op` for the missing one."""

    findings: list[EngineFinding]
    skipped: list[str]
    checks: int
    passed_checks: int
    seed: int
    drawer: ClassVar[Callable[..., Any] | None] = None  # installed by gradtrace.viz

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def score(self) -> float:
        return self.passed_checks / self.checks if self.checks else 0.0

    def causes(self) -> list[str]:
        """Each cause found, once, in the order found."""
        return list(dict.fromkeys(f.cause for f in self.findings))

    def __str__(self) -> str:
        head = (
            f"check_engine (seed {self.seed}): {self.passed_checks} of {self.checks} checks "
            f"passed, score {self.score:.2f}"
        )
        if self.skipped:
            head += f"; skipped (not in this class): {', '.join(self.skipped)}"
        if not self.findings:
            return head + "\nno mistakes found"
        rows = [("check", "cause", "expected", "got")]
        rows += [(f.check, f.cause, _short(f.expected), _short(f.got)) for f in self.findings]
        widths = [min(44, max(len(r[i]) for r in rows)) for i in range(4)]
        lines = ["  ".join(c[:w].ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        notes = [f"{i}. {f.message}" for i, f in enumerate(self.findings, 1)]
        return "\n".join([head, *lines, "", *notes])

    def draw(self, **options: Any) -> Any:
        """The learner's graph of the first failing probe, the wrong wire in red with the
        right number beside it (a graphviz.Digraph; drawn by gradtrace.viz)."""
        if EngineReport.drawer is None:
            raise RuntimeError(
                "report.draw() is done by gradtrace.viz: run `import gradtrace.viz` first "
                "(the engine never imports viz)"
            )
        return EngineReport.drawer(self, **options)

    def _repr_markdown_(self) -> str:
        """The text in a code block whose fence is longer than any run of backticks in it (a
        learner's exception message cannot close the block and add Markdown or HTML)."""
        text = str(self)
        longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}\n{text}\n{fence}"


def check_engine(value_class: type, seed: int = 0) -> EngineReport:
    """Run every probe through `value_class` and through gradtrace (leaf values drawn from
    `seed`) and report each difference with the mistake it points to. Never raises for what
    the class does: a probe it crashes on is a finding naming the probe and the exception."""
    rng = random.Random(seed)
    try:
        kind = type(value_class(1.0))  # what the class makes (may be another class)
    except Exception as err:  # whatever the learner's class raises is a finding
        what = f"{type(err).__name__}: {err}"[:200]
        crash = EngineFinding("Value(1.0)", "crash", f"Value(1.0) raised {what}.", "a Value", what)
        return EngineReport([crash], [], 1, 0, seed)
    found: list[EngineFinding] = []
    blamed: dict[str, str] = {}  # gate or probe kind -> the cause its first failure had
    skipped: list[str] = []
    checks = passed = 0
    for probe in probes.ALL:
        xs = probe.leaves(rng)  # drawn even when skipped, so other probes keep their values
        lacking = [m for m in probe.needs if not hasattr(kind, m)]
        if probe.kind == "reflected" and not any(hasattr(kind, m) for m in REFLECTED.values()):
            lacking.append(REFLECTED[probe.op])  # none written yet: not started, not wrong
        if lacking:
            skipped.append(REFLECTED[probe.op] if probe.kind == "reflected" else probe.op)
            continue
        checks += 1
        finding = _run(probe, value_class, xs, blamed)
        if finding is None:
            passed += 1
            continue
        found.append(finding)
        for key in _keys(probe):
            blamed.setdefault(key, finding.cause)
    return EngineReport(found, list(dict.fromkeys(skipped)), checks, passed, seed)


def assert_engine(value_class: type, min_score: float = 1.0, seed: int = 0) -> EngineReport:
    """check_engine for graders: an AssertionError listing the findings when the score is
    below `min_score`; else the report (its `score` is the partial credit)."""
    report = check_engine(value_class, seed=seed)
    if report.score < min_score:
        raise AssertionError(f"engine score {report.score:.2f} < {min_score:g}\n{report}")
    return report


# ---------------------------------------------------------------------------- one probe
def _run(probe: probes.Probe, V: type, xs: list[float], blamed: dict[str, str]):
    """Run `probe` in class V; None when it agrees with gradtrace, else the finding."""
    want = _reference(probe, xs)
    where = _where(probe, xs)
    try:
        nodes = probes.build(probe, V, xs)
        out = nodes["out"]
        if probe.kind != "seed":  # seeded by us, so a missing seed shows in one check only
            out.grad = 1.0
        out.backward()
        got = {n: _number(v.grad) for n, v in nodes.items()}
        forward = _number(out.data)
        if probe.kind == "twice" and _agrees(got, want):
            return _second_pass(probe, nodes, got, where)
    except RecursionError:
        depth = f"a chain {probes.DEEP} deep" if probe.kind == "deep" else probe.check
        return EngineFinding(
            probe.check,
            "recursion-limit",
            f"backward() on {depth} raised RecursionError: a recursive topological sort stops "
            "at Python's recursion limit (1000 calls); build the order with a loop and a stack.",
            "no error",
            "RecursionError",
        )
    except Exception as err:  # whatever the learner's class raises is a finding
        return _crash(probe, err, blamed)
    if probe.kind == "seed":
        if _close(got["out"], 1.0):
            return None
        return EngineFinding(
            probe.check,
            "root-not-seeded",
            f"After out.backward() on out = a + b, out.grad is {got['out']:g}, not 1: backward "
            "must start with self.grad = 1 (d out / d out), or every gradient stays 0.",
            1.0,
            got["out"],
            "out",
            nodes,
            want,
        )
    ref_out = _reference_out(probe, xs)
    if not _close(forward, ref_out):
        return _wrong_forward(probe, nodes, ref_out, forward, where, want, blamed)
    wrong = next((n for n in _in_order(probe, want) if not _close(got.get(n), want[n])), None)
    if wrong is None:
        return None
    return _wrong_grad(probe, nodes, wrong, want, got, where, blamed)


def _second_pass(probe, nodes, first: dict[str, float], where: str) -> EngineFinding | None:
    """backward() again on the same graph: inner gradients must come out as the first time;
    leaves may add up (PyTorch) or start again."""
    nodes["out"].grad = 1.0
    nodes["out"].backward()
    leaves = probes.leaf_names(probe)
    for name in sorted(nodes, key=lambda n: n in leaves):  # inner nodes first
        g, g1 = _number(nodes[name].grad), first[name]
        inner = name not in leaves
        if (inner and not _close(g, g1)) or not (inner or _close(g, g1) or _close(g, 2 * g1)):
            return EngineFinding(
                probe.check,
                "stale-inner-gradients",
                f"{where}: a second backward() gave {name}.grad = {g:g}, the first {g1:g}: an "
                "inner node's gradient must start again from 0 on each pass (set it to 0 "
                "before passing gradients back); only leaves may add up, as in PyTorch.",
                g1,
                g,
                name,
                nodes,
                first,
            )
    return None


def _wrong_forward(probe, nodes, want_out, got_out, where, want, blamed) -> EngineFinding:
    earlier = _earlier(probe, blamed)
    if probe.kind == "reflected" and earlier is None:
        cause = f"reflected-op:{probe.op}"
        hint = _reflected_hint(probe.op)
    else:
        cause = earlier or f"wrong-forward:{probe.op or 'add'}"
        hint = "see the first finding" if earlier else "check the forward computation"
    return EngineFinding(
        probe.check,
        cause,
        f"{where}: it should be {want_out:.6g} but your engine gives {got_out:.6g}; {hint}.",
        want_out,
        got_out,
        "out.data",
        nodes,
        want,
    )


def _wrong_grad(probe, nodes, name, want, got, where, blamed) -> EngineFinding:
    exp, g = want[name], got.get(name)
    unseeded = "seed" in blamed and not _close(got.get("out"), 1.0)  # every gradient is 0
    cause = "root-not-seeded" if unseeded else _earlier(probe, blamed) or _own_cause(probe, exp, g)
    numbers = f"{where}: {name}.grad should be {exp:.6g} but your engine gives {_short(g)}"
    return EngineFinding(
        probe.check, cause, f"{numbers}; {_advice(cause, probe)}", exp, g, name, nodes, want
    )


def _own_cause(probe: probes.Probe, expected: float, got: float | None) -> str:
    """The cause when nothing the probe leans on failed before."""
    if probe.kind == "op":
        sign = got is not None and expected != 0 and _close(got, -expected)
        return f"{'sign-error' if sign else 'wrong-local-gradient'}:{probe.op}"
    return {
        "reflected": f"reflected-op:{probe.op}",
        "accumulate": "assign-instead-of-accumulate",
    }.get(probe.kind, "no-topological-order")


def _advice(cause: str, probe: probes.Probe) -> str:
    kind, _, op = cause.partition(":")
    if kind == "wrong-local-gradient":
        return f"check your {op} gate's backward: {RULES.get(op, 'its local gradient')}."
    if kind == "sign-error":
        return f"the sign is flipped: {RULES.get(op, 'check the local gradient')}."
    if kind == "reflected-op":
        return _reflected_hint(op) + "."
    return {
        "assign-instead-of-accumulate": "a gate must add to its inputs' gradients (+=), not set "
        "them (=): a value used twice gets gradient from both uses.",
        "no-topological-order": "backward must handle a node only after every node that uses "
        "it (reverse topological order), so its gradient is complete before it is passed on.",
    }.get(cause, f"it follows from the earlier finding ({cause}).")


def _reflected_hint(op: str) -> str:
    name = REFLECTED.get(op, "the reflected method")
    return (
        f"a number on the left calls {name}(self, other) with the operands swapped "
        f"(2 {_SYMBOL[op]} a is a.{name}(2)); define it to compute other {_SYMBOL[op]} self"
    )


_SYMBOL = {"add": "+", "mul": "*", "sub": "-", "div": "/"}


def _crash(probe: probes.Probe, err: Exception, blamed: dict[str, str]) -> EngineFinding:
    what = f"{type(err).__name__}: {err}"[:200]
    earlier = _earlier(probe, blamed)
    if earlier is not None:
        return EngineFinding(
            probe.check,
            earlier,
            f"{probe.check} raised {what}; it follows from the earlier finding ({earlier}).",
            "no error",
            what,
        )
    if probe.kind == "reflected" and isinstance(err, TypeError):
        return EngineFinding(
            probe.check,
            f"reflected-op:{probe.op}",
            f"{probe.check} raised {what}; {_reflected_hint(probe.op)}.",
            "a Value",
            what,
        )
    return EngineFinding(
        probe.check, "crash", f"{probe.check} raised {what} (in your class).", "no error", what
    )


# ---------------------------------------------------------------------------- helpers
def _keys(probe: probes.Probe) -> list[str]:
    """What a failure of `probe` stands for in other probes' `uses`: its gate (reflected ones
    as "r" + op) and its kind."""
    gate = {"op": probe.op, "reflected": "r" + probe.op}.get(probe.kind)
    return [k for k in (gate, probe.kind) if k]


def _earlier(probe: probes.Probe, blamed: dict[str, str]) -> str | None:
    """The cause of an earlier failure this probe leans on, if any."""
    return next((blamed[u] for u in probe.uses if u in blamed), None)


def _reference(probe: probes.Probe, xs: list[float]) -> dict[str, float]:
    nodes = probes.build(probe, Value, xs)
    nodes["out"].backward()
    return {n: v.grad for n, v in nodes.items()}


def _reference_out(probe: probes.Probe, xs: list[float]) -> float:
    return probes.build(probe, Value, xs)["out"].data


def _where(probe: probes.Probe, xs: list[float]) -> str:
    """The probe and its leaf values, as a message starts: "In a * b with a = 2, b = -1"."""
    names = probes.leaf_names(probe)
    values = ", ".join(f"{n} = {x:g}" for n, x in zip(names, xs, strict=True))
    return f"In {probe.check} with {values}"


def _in_order(probe: probes.Probe, want: dict[str, float]) -> list[str]:
    """Leaves first (a, b, ...), then inner nodes: the numbers a learner checks first."""
    leaves = probes.leaf_names(probe)
    return [*leaves, *(n for n in want if n not in leaves)]


def _number(x: Any) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _close(got: float | None, want: float) -> bool:
    return got is not None and math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9)


def _agrees(got: dict[str, float | None], want: dict[str, float]) -> bool:
    return all(_close(got.get(n), w) for n, w in want.items())


def _short(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, float) else str(x)
