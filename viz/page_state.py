"""The explorer page's picture: the graph laid out once, and what each step shows kept as data.

A page used to hold one whole SVG per step, so it grew as nodes x steps (a 100-node chain made
14.3 MB). Now Graphviz draws one picture in which every text that changes is written at its
widest (a node's final gradient sum, every product local x upstream), and the page's script
shows, at each step, what that step shows. `slots` says it per wire, by the wire's name in the
picture (w3, w3_1): "g", the gradient text from each backward step on where it changes;
"p", the backward step at which the product into the gate at work shows, and its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .circuit import Marks, TextGrid
from .dot import cell, to_bytes
from .steps import BackwardSteps
from .style import BLUE, RED, grid_rows


@dataclass
class Layout:
    svg: str  # Graphviz's SVG of the whole graph, every changing text at its widest
    slots: dict[str, dict[str, list]]  # wire name -> {"g": [[step, text], ...], "p": [step, text]}


def _written(steps: BackwardSteps, g: Any) -> str | list[list[str]] | None:
    """A gradient as the page writes it: a small tensor row by row (a list of rows of
    numbers, as draw() shows its grid), anything else as the frames' one text."""
    rows = grid_rows(g, steps.fmt) if hasattr(g, "shape") and g.size != 1 else None
    if rows is None:
        return g if g is None or isinstance(g, str) else steps.num(g)
    return rows


def _grad_changes(steps: BackwardSteps) -> dict[int, list[list]]:
    """Per node id: [backward step, the gradient shown from then on], as the frames write
    it (one part: the number; several: "1 + 1 = 2"; a small tensor: its rows)."""
    changes: dict[int, list[list]] = {}
    for node in steps.order:
        for at in dict.fromkeys(w.step for w in steps.flow.arrived(node)):
            said = _written(steps, steps.gradient_at(node, at))
            changes.setdefault(id(node), []).append([at, said])
    return changes


def _wire_changes(steps: BackwardSteps) -> dict[tuple[int, int], tuple[int, str, Any]]:
    """Per (gate id, input k): the backward step of the gate, the product written under the
    wire into it (a Tensor gate: its rule), and the part that comes back along that wire."""
    out = {}
    for s in steps.steps[1:]:
        for w in s.wires:
            lo = steps.local(w)
            said = steps.rule_text(lo) if steps.tensor else steps.product(lo, w.upstream, w.down)
            out[(id(w.gate), w.k)] = (s.index, said, _written(steps, w.down))
    return out


def _widest(texts: list) -> str | TextGrid:
    """The widest of a wire's gradient texts, to lay out once (a grid: each number's widest)."""
    if all(isinstance(t, str) for t in texts):
        return max(texts, key=len)
    grids = [t for t in texts if isinstance(t, list)]  # a tensor's shape never changes
    rows = [
        [max((g[r][c] for g in grids), key=len) for c in range(len(row))]
        for r, row in enumerate(grids[0])
    ]
    return TextGrid(tuple(tuple(r) for r in rows))


def layout(steps: BackwardSteps, timeout: float | None = None) -> Layout:
    """Lay out the graph of `steps` once (Graphviz's dot) and say what each step changes."""
    pic = steps.picture
    grads = _grad_changes(steps)
    wires = _wire_changes(steps)

    widest = Marks(
        grads={key: _widest([t for _, t in got]) for key, got in grads.items()},
        branches={key: _widest([got[2]]) for key, got in wires.items()},
        extra={key: [cell(got[1], BLUE, 10)] for key, got in wires.items()},
        extra_default=[cell("", BLUE, 10)],
    )
    graph = pic.digraph(widest, captioned=False).graph
    svg = to_bytes(graph, "svg", timeout).decode()

    slots: dict[str, dict[str, list]] = {}
    for i, node in enumerate(pic.order):
        if id(node) in grads:
            slots.setdefault(f"w{i}", {})["g"] = grads[id(node)]
        users = pic.users[id(node)]
        for j, (gate, k) in enumerate(users):
            got = wires.get((id(gate), k))
            if got is None:
                continue
            name = f"w{i}" if len(users) == 1 else f"w{i}_{j}"
            slot = slots.setdefault(name, {})
            slot["p"] = [got[0], got[1]]
            if len(users) > 1:  # a branch carries the part that came back along it
                slot["g"] = [[got[0], got[2]]]
    if not pic.vertical:  # left-aligned cells in a vertical wire need no centring
        grids = {k for k, v in slots.items() if any(isinstance(t, list) for _, t in v.get("g", []))}
        svg = _centred(svg, set(slots), grids)
    return Layout(svg, slots)


_NODE = re.compile(r'(<g id="[^"]*" class="node">\s*<title>([^<]*)</title>)(.*?)(</g>)', re.S)
_POINT = re.compile(r'<polyline[^>]*points="([^"]*)"')


def _starts(colours: str) -> re.Pattern:
    """A text of one of `colours` that Graphviz anchored at its start."""
    return re.compile(
        rf'<text([^>]*?) text-anchor="start" x="[-\d.]+"([^>]*? fill="(?:{colours})")'
    )


_START = _starts(f"{RED.lower()}|{BLUE.lower()}")  # the gradient and product texts
_PRODUCT = _starts(BLUE.lower())  # a grid's numbers stay in their columns


def _centred(svg: str, names: set[str], grids: frozenset[str] | set[str] = frozenset()) -> str:
    """Anchor every gradient and product text of the wires `names` at the middle of its wire.

    Graphviz starts a table cell's text where the widest version starts; the page writes
    shorter ones there, which must stay in the middle (a gradient grid of the wires `grids`
    keeps its numbers in their columns). The middle is where the wire's rule
    spans, read from its lines; measuring text in the browser instead is wrong for a graph
    shown much smaller than its size (Chromium measures text at the size it draws it)."""

    def fix(m: re.Match) -> str:
        if m.group(2) not in names:
            return m.group(0)
        xs = [float(p.split(",")[0]) for pts in _POINT.findall(m.group(3)) for p in pts.split()]
        if not xs:
            return m.group(0)
        mid = f"{(min(xs) + max(xs)) / 2:.2f}"
        start = _PRODUCT if m.group(2) in grids else _START
        body = start.sub(
            lambda t: f'<text{t.group(1)} text-anchor="middle" x="{mid}"{t.group(2)}', m.group(3)
        )
        return m.group(1) + body + m.group(4)

    return _NODE.sub(fix, svg)
