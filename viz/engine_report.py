"""`check_engine`'s report as a picture: the learner's own graph of the first failing probe,
the wrong wire in red with the learner's number and the right one beside it.

gradtrace's engine never imports viz, so viz installs this drawer on `EngineReport` when it is
imported (`report.draw()` then works), and `draw(report)` comes here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import graphviz
from gradtrace.check_engine import EngineFinding, EngineReport

from .adapt import adapt
from .circuit import draw
from .graph import consumers, nodes


@dataclass
class _Mark:
    """One wrong wire, as draw's `check` reads it: the gate, the input, both numbers."""

    node: Any
    input: int
    analytic: float  # the learner's number
    numeric: float  # gradtrace's
    words: tuple[str, str] = ("yours", "→ should be")


class _Marks(list):
    """The marks and a headline for the picture's title (draw's `check` interface)."""

    def __init__(self, marks: list[_Mark], headline: str) -> None:
        super().__init__(marks)
        self._headline = headline

    def headline(self) -> str:
        return self._headline


def first_drawable(report: EngineReport) -> EngineFinding:
    """The first finding with a graph to draw (a crash or a recursion limit has none)."""
    for f in report.findings:
        if f.graph is not None and f.node:
            return f
    if report.passed:
        raise ValueError("report.draw(): every check passed, so there is no wrong wire to draw")
    raise ValueError(
        "report.draw(): no finding has a graph to draw (the class crashed, or hit the "
        "recursion limit): print the report for the messages"
    )


def draw_report(report: EngineReport, **options: Any) -> graphviz.Digraph:
    """The learner's graph of the first failing probe (adapt's options, e.g. parents=, go to
    `adapt`; the rest to `draw`)."""
    finding = first_drawable(report)
    names = {id(node): name for name, node in finding.graph.items()}
    adapt_keys = ("parents", "op", "data", "grad", "label")
    adapt_opts = {k: options.pop(k) for k in adapt_keys if k in options}
    root = adapt(finding.graph["out"], names=names, **adapt_opts)
    order = nodes(root)
    by_name = {n.label: n for n in order if n.label}
    wrong = by_name.get(finding.node.split(".")[0])
    marks = []
    users = consumers(order)
    if wrong is not None and users.get(id(wrong)) and finding.node.endswith(".data") is False:
        gate, k = users[id(wrong)][0]
        marks.append(_Mark(gate, k, _num(finding.got), float(finding.expected)))
    headline = f"{finding.check}: {finding.cause}"
    if not marks:  # the root's own gradient or value: no wire into a gate to mark
        headline += f" ({finding.node}: yours {finding.got}, should be {finding.expected})"
    options.setdefault("title", "your engine (check_engine)")
    return draw(root, check=_Marks(marks, headline), **options)


def _num(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def install() -> None:
    """Let `report.draw()` draw (called when gradtrace.viz is imported)."""
    EngineReport.drawer = draw_report
