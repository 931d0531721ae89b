"""The backward pass, written once for Value and Tensor.

A node is anything with `parents` (a tuple of nodes, in operand order), `grad`, a `depth`
(0 for a leaf, one more than its deepest parent otherwise) and a `_backward()` method that
hands its gradient to its parents: "[local gradient] x [upstream gradient]" from the slides.

Backward visits the nodes so that every node comes before its parents. Sorting the reachable
nodes by depth, deepest first, gives exactly such an order: a node is always deeper than each
of its parents. Everything here is iterative, so a chain a million nodes deep never hits
RecursionError.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from operator import attrgetter
from typing import Any

_by_depth = attrgetter("depth")


class _GradMode:
    """The one global switch of the library: are gates recording the graph right now?"""

    enabled = True


def is_grad_enabled() -> bool:
    """True unless we are inside a `no_grad()` block."""
    return _GradMode.enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block gates compute values but record no parents (no graph, no gradients)."""
    previous = _GradMode.enabled
    _GradMode.enabled = False
    try:
        yield
    finally:
        _GradMode.enabled = previous


def topological_order(root: Any) -> list[Any]:
    """Every node `root` depends on (root included), each one listed before its parents."""
    seen = {root}
    order = [root]
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
                order.append(parent)
    # Deepest first. The discovery order above is already close to that, which makes the
    # sort cheap (Python's sort runs fast on nearly sorted lists).
    order.sort(key=_by_depth, reverse=True)
    return order


def backward(root: Any, seed: Any) -> list[Any]:
    """Fill `grad` of every node `root` depends on, starting from d(root)/d(root) = `seed`.

    Inner nodes (those with parents) start again from zero on every pass; leaves keep what
    they had, so gradients accumulate across calls exactly as in PyTorch. Returns the order
    in which nodes were processed (used by the step-by-step pictures).
    """
    order = topological_order(root)
    if getattr(root, "_scalar_rule", False):
        _scalar_pass(root, seed, order)
        return order
    for node in order:
        if node.parents:
            node._reset_grad()
    root._accumulate(seed)
    for node in order:
        if node.parents:
            node._backward()
    return order


def _scalar_pass(root: Any, seed: float, order: list[Any]) -> None:
    """The same pass, written out for graphs of scalar nodes (`Value`), whose `_backward` is
    exactly `parent.grad += local_grad * node.grad` for each parent. Running that line here,
    instead of calling a method per node, makes backward about 1.5x as fast. Every node of a
    Value graph is a Value: the gates accept only Values and plain numbers."""
    for node in order:
        if node.parents:
            node.grad = 0.0
    root.grad += seed
    for node in order:
        parents = node.parents
        if len(parents) == 1:  # a unary gate, or a binary one with a number folded in
            parents[0].grad += node.local_grads[0] * node.grad
        elif len(parents) == 2:  # a binary gate
            a, b = parents
            local_a, local_b = node.local_grads
            upstream = node.grad
            a.grad += local_a * upstream
            b.grad += local_b * upstream
        elif parents:  # the n-ary sum
            upstream = node.grad
            for parent, local in zip(parents, node.local_grads, strict=False):
                parent.grad += local * upstream
