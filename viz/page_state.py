"""The explorer page's picture: the graph laid out once, and what each step shows kept as data.

A page used to hold one whole SVG per step, so it grew as nodes x steps (a 100-node chain made
14.3 MB). Now Graphviz draws one picture in which every text that changes is written at its
widest (a node's final gradient sum, every product local x upstream), and the page's script
shows, at each step, what that step shows. `slots` says it per wire, by the wire's name in the
picture (w3, w3_1): "g", the gradient text from each backward step on where it changes;
"p", the backward step at which the product into the gate at work shows, and its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .dot import cell, to_bytes
from .steps import BackwardSteps
from .style import BLUE


@dataclass
class Layout:
    svg: str  # Graphviz's SVG of the whole graph, every changing text at its widest
    slots: dict[str, dict[str, list]]  # wire name -> {"g": [[step, text], ...], "p": [step, text]}


def _grad_changes(steps: BackwardSteps) -> dict[int, list[list]]:
    """Per node id: [backward step, the gradient text shown from then on], as the frames
    write it (one part: the number; several: "1 + 1 = 2")."""
    changes: dict[int, list[list]] = {}
    for s in steps.steps:
        arrived = [id(steps.root)] if s.gate is None else [id(p) for p, *_ in s.products]
        for key in dict.fromkeys(arrived):
            text = steps.part_text(s.parts[key], s.grads[key])
            changes.setdefault(key, []).append([s.index, text])
    return changes


def _wire_changes(steps: BackwardSteps) -> dict[tuple[int, int], tuple[int, str, str]]:
    """Per (gate id, input k): the backward step of the gate, the product written under the
    wire into it, and the part of the gradient that comes back along that wire."""
    out = {}
    for s in steps.steps[1:]:
        for _, k, lo, up, d in s.products:
            said = steps.rule_text(lo) if steps.tensor else steps.product(lo, up, d)
            out[(id(s.gate), k)] = (s.index, said, steps.num(d))
    return out


def layout(steps: BackwardSteps, timeout: float | None = None) -> Layout:
    """Lay out the graph of `steps` once (Graphviz's dot) and say what each step changes."""
    pic = steps.picture
    grads = _grad_changes(steps)
    wires = _wire_changes(steps)

    def widest(texts: list[str]) -> str:
        return max(texts, key=len)

    def grad_of(node: Any) -> tuple[Any, bool]:
        got = grads.get(id(node))
        return (widest([t for _, t in got]), True) if got else (None, False)

    def branch_of(node: Any, gate: Any, k: int) -> tuple[Any, bool]:
        got = wires.get((id(gate), k))
        return (got[2], True) if got else (None, False)

    def wire_extra(node: Any, gate: Any, k: int) -> list[str]:
        got = wires.get((id(gate), k))
        return [cell(got[1] if got else "", BLUE, 10)]

    graph = pic.digraph(grad_of, branch_of, wire_extra=wire_extra, captioned=False).graph
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
    return Layout(svg, slots)
