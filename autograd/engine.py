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
    inner, leaves = _inner_and_leaves(root)
    return inner + leaves


def _inner_and_leaves(root: Any) -> tuple[list[Any], list[Any]]:
    """The nodes `root` depends on, split in two: the inner nodes (those with parents),
    deepest first, and the leaves. Inner nodes then leaves is a topological order.

    A depth-first walk finds every node once (the `seen` set); sorting the inner nodes by
    depth, deepest first, puts each one before its parents, since a node is always deeper
    than each of its parents. Leaves have no parents to walk and all share depth 0, so they
    never go on the stack or into the sort, and backward never has to skip over them."""
    if not root.parents:
        return [], [root]
    seen = {root}
    inner, leaves = [root], []
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if parent not in seen:
                seen.add(parent)
                if parent.parents:
                    inner.append(parent)
                    stack.append(parent)
                else:
                    leaves.append(parent)
    # The discovery order is already close to deepest first (a chain is found from its end),
    # which makes the sort cheap: Python's sort runs fast on nearly sorted lists.
    inner.sort(key=_by_depth, reverse=True)
    return inner, leaves


def backward(root: Any, seed: Any) -> list[Any]:
    """Fill `grad` of every node `root` depends on, starting from d(root)/d(root) = `seed`.

    Inner nodes (those with parents) start again from zero on every pass; leaves keep what
    they had, so gradients accumulate across calls exactly as in PyTorch. Returns the order
    in which nodes were processed (used by the step-by-step pictures).
    """
    inner, leaves = _inner_and_leaves(root)
    if getattr(root, "_scalar_rule", False):
        _scalar_pass(root, seed, inner)
    else:
        for node in inner:
            node._reset_grad()
        root._accumulate(seed)
        for node in inner:
            node._backward()
    return inner + leaves


def _scalar_pass(root: Any, seed: float, inner: list[Any]) -> None:
    """The same pass, written out for graphs of scalar nodes (`Value`), whose `_backward` is
    exactly `parent.grad += local_grad * node.grad` for each parent. Running that line here,
    instead of calling a method per node, makes backward about 1.5x as fast. Every node of a
    Value graph is a Value: the gates accept only Values and plain numbers."""
    for node in inner:
        node.grad = 0.0
    root.grad += seed
    for node in inner:
        parents = node.parents
        arity = len(parents)
        if arity == 2:  # a binary gate
            a, b = parents
            local_a, local_b = node.local_grads
            upstream = node.grad
            a.grad += local_a * upstream
            b.grad += local_b * upstream
        elif arity == 1:  # a unary gate, or a binary one with a number folded in
            parents[0].grad += node.local_grads[0] * node.grad
        else:  # the n-ary sum and the fused linear gate
            upstream = node.grad
            for parent, local in zip(parents, node.local_grads, strict=False):
                parent.grad += local * upstream
