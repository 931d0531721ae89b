"""A learner's own engine, drawn like gradtrace's: `adapt` reads any micrograd-style node.

    from gradtrace.viz import adapt, draw
    draw(my_root)                                   # data, grad, _prev, _op: read as is
    draw(adapt(my_root, parents="inputs", op="kind", data="value", grad="g"))

What `adapt` returns is a snapshot (like a traced PyTorch graph): a graph of `AdaptedNode`s
with gradtrace's node interface, holding the numbers the learner's nodes had at that moment.
The learner's nodes are never changed. A node's local gradients come from its op's name by
gradtrace's gate rules (`gradtrace.micrograd_ops`): a micrograd node keeps no forward function
to nudge numerically, and the right rule is what a picture should set beside a learner's numbers.
An op no rule knows draws with its values and gradients, its local gradient unknown.

`_prev` is usually a set, whose order changes from run to run: the inputs are put in a fixed
order (for - and /, the one whose forward gives the output; else gate outputs first, then by
label, op and numbers), so
the same graph always draws the same picture.
"""

from __future__ import annotations

import math
from typing import Any

from gradtrace import micrograd_ops

FIELDS = ("data", "grad", "_prev", "_op")  # what makes a node micrograd-style


class AdaptedNode:
    """One node of a learner's graph with gradtrace's node interface: `data`, `grad` (floats),
    `op` (the learner's op name, "" for a leaf), `parents`, `label`, `local_grads` (None when
    the op is unknown), `gate` (None: no gradtrace gate made it) and `source` (the learner's
    node)."""

    __slots__ = ("data", "grad", "op", "parents", "label", "local_grads", "gate", "source")

    def __init__(self, source: Any, data: float, grad: float, op: str, label: str) -> None:
        self.source = source
        self.data, self.grad, self.op, self.label = data, grad, op, label
        self.parents: tuple[AdaptedNode, ...] = ()
        self.local_grads: tuple[float, ...] | None = ()
        self.gate = None

    def __repr__(self) -> str:
        name = f"label={self.label!r}, " if self.label else ""
        return f"AdaptedNode({name}op={self.op!r}, data={self.data:.6g}, grad={self.grad:.6g})"


def is_micrograd_style(obj: Any) -> bool:
    """Does `obj` look like a micrograd node (data, grad, _prev, _op)?"""
    return all(hasattr(obj, a) for a in FIELDS)


def adapt(
    node: Any,
    parents: str = "_prev",
    op: str = "_op",
    data: str = "data",
    grad: str = "grad",
    label: str = "label",
    names: dict[int, str] | None = None,
) -> AdaptedNode:
    """The graph of a micrograd-style `node` as gradtrace draws it: the attribute names say
    where its inputs, op name, value and gradient are; `label` is read where present, and
    `names` (id of a learner's node -> name) names nodes that have no label."""
    if isinstance(node, AdaptedNode):
        return node
    fields = {"parents": parents, "op": op, "data": data, "grad": grad}
    missing = [f"{k}={v!r}" for k, v in fields.items() if not hasattr(node, v)]
    if missing:
        raise TypeError(
            f"adapt: {type(node).__name__} has no attribute "
            + ", ".join(missing)
            + "; name the attributes your node uses, e.g. adapt(node, parents='inputs')"
        )
    reader = _Reader(fields, label, names or {})
    return reader.build(node)


class _Reader:
    """Walks a learner's graph (iteratively: deep chains are fine) and builds its snapshot."""

    def __init__(self, fields: dict[str, str], label: str, names: dict[int, str]) -> None:
        self.fields, self.label, self.names = fields, label, names
        self.made: dict[int, AdaptedNode] = {}

    def number(self, node: Any, what: str) -> float:
        value = getattr(node, self.fields[what])
        try:
            return float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"adapt: a node's {self.fields[what]!r} must be a number, got "
                f"{type(value).__name__} {value!r:.40}"
            ) from None

    def inputs(self, node: Any) -> list[Any]:
        got = getattr(node, self.fields["parents"]) or ()
        return list(got)

    def shallow(self, node: Any) -> AdaptedNode:
        name = self.names.get(id(node)) or getattr(node, self.label, "") or ""
        op = getattr(node, self.fields["op"]) or ""
        return AdaptedNode(
            node, self.number(node, "data"), self.number(node, "grad"), str(op), str(name)
        )

    def build(self, root: Any) -> AdaptedNode:
        stack, order = [root], []
        while stack:  # every node once, then link each to its (ordered) inputs
            node = stack.pop()
            if id(node) in self.made:
                continue
            self.made[id(node)] = self.shallow(node)
            order.append(node)
            stack.extend(self.inputs(node))
        for node in order:
            self.link(node)
        return self.made[id(root)]

    def link(self, node: Any) -> None:
        out = self.made[id(node)]
        ins = [self.made[id(p)] for p in self.inputs(node)]
        if not ins:
            return
        if isinstance(getattr(node, self.fields["parents"]), (set, frozenset)):
            ins = fixed_order(out, ins)
        out.parents = tuple(ins)
        out.local_grads = micrograd_ops.local_grads(out.op, [p.data for p in ins], out.data)


def fixed_order(out: AdaptedNode, ins: list[AdaptedNode]) -> list[AdaptedNode]:
    """A set of inputs in an order that is the same on every run: the operand order for - and
    / (found from the output), else gate outputs before leaves, then by label, op, value and
    gradient."""
    ins = sorted(ins, key=_sort_key)
    swap = micrograd_ops.operand_order(out.op, [p.data for p in ins], out.data)
    return [ins[i] for i in swap] if swap else ins


def _sort_key(n: AdaptedNode) -> tuple:
    data = n.data if not math.isnan(n.data) else math.inf
    return (not n.parents, not n.label, n.label, n.op, data, n.grad)
