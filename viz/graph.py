"""Graph queries every picture shares: what a root is, the nodes in the engine's order, who uses
whom, and whether backward has run.

viz reads only this node interface (what a traced PyTorch graph must provide too):

    data         a float, or an array with `shape` and `dtype` (a Tensor node)
    grad         a float, an array, or None (not computed / not kept)
    op           the gate's display text, "" for a leaf (drawn as it is, never parsed)
    parents      the inputs, a tuple in operand order
    label        a name ("" if none)
    local_grads  d node / d parent for each parent (scalar nodes only; absent or None for
                 Tensor nodes, whose gates keep a vector-Jacobian product instead)
    requires_grad  optional (Tensor nodes): False explains a missing gradient
    gate, settings optional: the gate record (`gradtrace.gates`), which names, kinds and
                 formulas are read from (`viz.flow.gate_of`, `gate_word`); a node without
                 one (a learner's engine, a traced PyTorch Tensor) is named by its op

Nodes are hashed by identity (the engine keeps them in a set while it sorts).
"""

from __future__ import annotations

from typing import Any

import gradtrace

from .adapt import adapt, is_micrograd_style

NOT_COMPUTED = "gradients not computed yet: call backward() first"


def as_root(obj: Any) -> Any:
    """The one door into viz: turn what a user hands to draw/render/backward_steps/network
    (a Value, a Tensor, a node traced from PyTorch, a learner's micrograd-style node) into a
    graph node, or say why not."""
    if type(obj).__module__.split(".")[0] == "torch":
        try:
            from . import torch_trace
        except ModuleNotFoundError as e:
            if e.name != f"{__package__}.torch_trace":
                raise
            raise ImportError(
                f"drawing a PyTorch {type(obj).__name__} needs gradtrace.viz.torch_trace, which "
                "is not installed here; draw a gradtrace Value or Tensor instead"
            ) from None
        return torch_trace.as_graph(obj)
    if all(hasattr(obj, a) for a in ("data", "grad", "op", "parents")):
        return obj
    if is_micrograd_style(obj):  # a learner's own engine: data, grad, _prev, _op
        return adapt(obj)
    raise TypeError(
        f"expected a graph node (a gradtrace Value or Tensor, a PyTorch tensor, or a "
        f"micrograd-style node with data, grad, _prev and _op: see viz.adapt), got "
        f"{type(obj).__name__}: {obj!r:.60}"
    )


def nodes(root: Any) -> list[Any]:
    """Every node `root` depends on, each after its parents: the engine's own topological
    order (`gradtrace.topological_order`, root first), reversed. Backward runs it root first;
    a picture is written inputs first."""
    return gradtrace.topological_order(root)[::-1]


def consumers(order: list[Any]) -> dict[int, list[tuple[Any, int]]]:
    """For each node (by id), the (gate, operand position) pairs that use it, in order."""
    users: dict[int, list[tuple[Any, int]]] = {id(n): [] for n in order}
    for node in order:
        for k, parent in enumerate(node.parents):
            users[id(parent)].append((node, k))
    return users


def is_tensor(node: Any) -> bool:
    """A Tensor-like node: its data is an array with a shape (duck-typed, no import)."""
    return hasattr(node.data, "shape") and hasattr(node.data, "dtype")


def grads_computed(order: list[Any]) -> bool:
    """Has a backward pass filled these gradients in?

    The engine keeps no "backward has run" flag, so the rule is: a Value graph has gradients
    when any node's grad is non-zero (backward sets the root's grad to 1, so after a pass at
    least the root is non-zero); a Tensor graph has them when any grad is not None."""
    for node in order:
        g = node.grad
        if g is None:
            continue
        if is_tensor(node) or hasattr(g, "shape"):
            return True
        if g != 0:
            return True
    return False
