"""A node of a graph in words: what it computes, its value and gradient, as a screen reader
says it ("add = x + y = -2 + 5 = 3, gradient -4, local gradients 1 (x), 1 (y)"). The explorer
page and draw()'s pictures (each node's tooltip and SVG <title>) say the same."""

from __future__ import annotations

from typing import Any

from gradtrace import rule_of

from .flow import gate_of
from .graph import is_tensor
from .style import Format, equation, fmt_number, inline_matrix


def shown(x: Any, fmt: Format) -> str:
    """A number, or a tensor on one line (in full when small: "[[0.1, 0.2], [0.3, 0.4]]")."""
    if hasattr(x, "shape") and x.size != 1:
        return inline_matrix(x, fmt)
    return fmt_number(x.reshape(()) if hasattr(x, "shape") else x, fmt)  # (1,) is a number too


def _formula(gate: Any, show: Any) -> str:
    """What a gate computes from its inputs, each written by `show`: "0.15 × 0.05",
    "sigmoid(0.3775)", "0.0275 +0.35"."""
    ins = [show(p) for p in gate.parents]
    name, folded = gate_of(gate)  # the gate record: its name and any number folded in
    if name in _SIGN and len(ins) >= 2:
        return f" {_SIGN[name]} ".join(ins)
    if name == "max":
        return f"max({', '.join(ins + ([] if folded is None else [f'{folded:g}']))})"
    if folded is not None:  # a number folded into the gate: "+0.35", "**2"
        return f"{ins[0]} {gate.op}"
    return f"{gate.op}({', '.join(ins)})"


_SIGN = {"+": "+", "*": "×"}


def computes(gate: Any, fmt: Format, name: Any) -> str:
    """ "w1 × i1 = 0.15 × 0.05 = 0.0075": names where the inputs have labels, and numbers
    that add up as shown (style.equation gives them the digits the result needs)."""
    if is_tensor(gate):  # a Tensor gate: its forward rule, then its numbers
        rule = rule_of(gate)
        said = (rule.forward + ", " if rule else "") + f"= {shown(gate.data, fmt)}"
    elif gate_of(gate)[0] in _SIGN and len(gate.parents) >= 2:
        said = equation([p.data for p in gate.parents], _SIGN[gate_of(gate)[0]], gate.data, fmt)
    else:
        said = (
            _formula(gate, lambda p: fmt_number(p.data, fmt)) + f" = {fmt_number(gate.data, fmt)}"
        )
    if any(p.label for p in gate.parents):
        said = _formula(gate, name) + " = " + said
    if gate.label:
        said += f" (that is {gate.label})"
    return said


def node_words(node: Any, grad: Any, fmt: Format, name: Any) -> str:
    """`node` in words, with `grad` its gradient (None: not known); `name(n)` names a node.
    A Value gate also gives its local gradients, each with the input it belongs to."""
    if node.data is None or any(p.data is None for p in node.parents):
        said = f"{name(node)}, value not saved"  # a PyTorch graph drawn from a bare tensor
    else:
        said = f"{name(node)} = " + (
            computes(node, fmt, name) if node.parents else shown(node.data, fmt)
        )
    if not node.parents:
        said += ", an input"
    said += f", gradient {shown(grad, fmt)}" if grad is not None else ", no gradient"
    locals_ = getattr(node, "local_grads", None)
    if node.parents and locals_ and len(locals_) == len(node.parents):
        said += (
            ", local gradient"
            + ("s " if len(locals_) > 1 else " ")
            + ", ".join(
                shown(lo, fmt) + (f" ({name(p)})" if len(locals_) > 1 else "")
                for p, lo in zip(node.parents, locals_, strict=True)
            )
        )
    return said
