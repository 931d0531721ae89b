"""`explain` on a Tensor graph, gate by gate: each gate's backward rule as the lecture writes it
(from the gate's record, autograd/tensor_rules.py), its shapes and its numbers.

    d f/d Linear 0 output (1, 2) = sigmoid's rule for its input: dz = δ ⊙ σ(z)(1 − σ(z)),
        (1, 2) ⊙ (1, 2) = (1, 2), with δ = d f/d Sigmoid 1 output
        = [ 0.008771  0.009954 ]

The numbers are d root / d node for every node on the way from the root to `wrt`, worked out
by the explanation itself (viz.flow: the gates' VJPs replayed from the seed 1), so no label and no
`retain_grad()` are needed; it ends with `wrt.grad` and whether backward's agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .flow import Flow
from .steps import tensor_rule_lines
from .style import Format, matrix_tex, matrix_text, shape_text


@dataclass(frozen=True)
class RuleTerm:
    """What one consumer gate hands back to a node: its rule for that input, with numbers."""

    consumer: str  # the consumer's name (δ is d root / d consumer)
    gate: str  # the consumer's op
    rule: str  # "dW = δᵀ·X"
    shapes: str  # "(1, 2)ᵀ·(1, 2) = (2, 2)"
    value: np.ndarray | None  # the share it hands back (None: the input needs none)


@dataclass(frozen=True)
class RuleStep:
    """d root / d node as the sum of its consumers' rules, with its numbers."""

    name: str
    shape: tuple[int, ...]
    terms: tuple[RuleTerm, ...]
    gradient: np.ndarray


def rule_steps(root: Any, kept: list[Any], names: dict[int, str]) -> tuple[RuleStep, ...]:
    """One step per node of `kept` (root first, each before its inputs) but the root."""
    if not hasattr(root, "_shares") or root.data.size != 1:
        return ()  # a traced PyTorch graph, or a root backward would need a seed for
    flow = Flow(root)  # backward replayed: each gate's VJP shares, no .grad touched
    grads = flow.grad
    on_way = {id(n) for n in kept}
    steps = []
    for node in kept:
        if node is root or id(node) not in grads:
            continue
        terms = []
        for c in kept:
            for k, p in enumerate(c.parents):
                if p is node and id(c) in on_way and id(c) in grads:
                    name, text, shapes = tensor_rule_lines(c, grads[id(c)], picture=False)[k]
                    value = flow.wire(c, k).down
                    terms.append(RuleTerm(names[id(c)], c.op, f"d{name} = {text}", shapes, value))
        steps.append(
            RuleStep(names[id(node)], tuple(node.data.shape), tuple(terms), grads[id(node)])
        )
    return tuple(steps)


def rule_lines(root: str, steps: tuple[RuleStep, ...], fmt: Format) -> list[str]:
    """The steps as text: each node's rule(s), shapes and numbers (in full when small)."""
    if not steps:
        return []
    lines = [f"Gate by gate, each gate's rule as the lecture writes it (δ = d{root}/d(gate)):"]
    for s in steps:
        lines.append(f"  d{root}/d{s.name} {shape_text(s.shape)} =")
        for i, t in enumerate(s.terms):
            plus = "+ " if i else "  "
            lines.append(
                f"    {plus}the {t.gate} gate's rule: {t.rule}   {t.shapes},"
                f" δ = d{root}/d{t.consumer}"
            )
        rows = matrix_text(s.gradient, fmt)
        lines += [f"      {'=' if j == 0 else ' '} {r}" for j, r in enumerate(rows)]
    return lines


def rule_markdown(root: str, steps: tuple[RuleStep, ...], fmt: Format, tex_name: Any) -> list[str]:
    """The steps as Markdown: one bullet per node, its rules in words, its matrix in LaTeX."""
    if not steps:
        return []
    out = [
        f"Gate by gate, each gate's rule as the lecture writes it ($\\delta$ = d{root}/d(gate)):"
    ]
    for s in steps:
        said = "; ".join(
            f"the {t.gate} gate's rule `{t.rule}` {t.shapes} (δ from `{t.consumer}`)"
            for t in s.terms
        )
        lhs = f"\\frac{{\\partial {tex_name(root)}}}{{\\partial {tex_name(s.name)}}}"
        out.append(f"- {said}: ${lhs} = {matrix_tex(s.gradient, fmt)}$ {shape_text(s.shape)}")
    return out
