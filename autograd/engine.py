"""The backward pass, written once for Value and Tensor: one topological order, one loop.

A node is anything with `parents` (a tuple of nodes, in operand order), `grad`, and what its
gate recorded at forward time for the backward pass:
- `local_grads`: a Value's d node / d parent, one plain number per parent. Backward is then
  the slides' "[local gradient] x [upstream gradient]": parent.grad += local * node.grad.
- a Tensor has `local_grads = None` and a vector-Jacobian product instead (its local Jacobian
  would be huge); `node._shares(upstream)` gives each parent's share of the gradient, already
  summed back to the parent's shape (tensor.py).

Every node a gate made (under grad mode) also keeps ONE record of that gate, the same for
both engines (gates.py): `gate`, the gate object itself (its name, forward, local gradients
or VJP, and formula), and `settings`, what the gate keeps besides its parents, exactly (a
folded number, the axes, the window). `gate.rerun(node, inputs)` re-runs it on other inputs
(what check_gates nudges); `op` is only its display text, `gate.op(node)`.

Backward visits the nodes so that every node comes before its parents (a topological order),
found by a depth-first walk. Everything here is iterative, so a chain a million nodes deep
never hits RecursionError.
"""

from __future__ import annotations

from typing import Any


def topological_order(root: Any) -> list[Any]:
    """Every node `root` depends on (root included), each one listed before its parents: the
    order in which `backward` processes them (inner nodes first, then the leaves)."""
    inner, leaves = _inner_and_leaves(root)
    return inner + leaves


def _inner_and_leaves(root: Any) -> tuple[list[Any], list[Any]]:
    """The nodes `root` depends on, split in two: the inner nodes (those with parents), each
    before its parents, and the leaves. Inner nodes then leaves is a topological order.

    A depth-first walk without recursion. A node is "finished" once all its parents are, so
    the finished list has every node after its parents; reversed, every node comes before
    them. The stack holds nodes still to explore; when a node is explored it goes back on
    the stack under a `None` marker, with its parents on top: by the time the marker comes
    off, every parent is finished, and the node below the marker is finished too. Leaves
    have no parents to explore: they are only collected.

    This order keeps each chain of the graph together, so nodes that were made one after the
    other (and sit next to each other in memory) are visited one after the other: the gradient
    pass runs 2-3x as fast as over the same nodes sorted by depth, which hops between chains.
    """
    if not root.parents:
        return [], [root]
    explored = set()
    finished, leaves = [], []
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None:  # the marker: every parent of the node below it is finished
            finished.append(stack.pop())
            continue
        if node in explored:  # pushed by two children, explored the first time
            continue
        explored.add(node)
        stack.append(node)
        stack.append(None)
        for parent in node.parents:
            if parent not in explored:
                if parent.parents:
                    stack.append(parent)
                else:
                    explored.add(parent)
                    leaves.append(parent)
    finished.reverse()
    return finished, leaves


def backward(root: Any, seed: Any) -> list[Any]:
    """Fill `grad` of every node `root` depends on, starting from d(root)/d(root) = `seed`.

    Inner nodes (those with parents) start again from nothing on every pass (0.0 for a Value,
    None for a Tensor); leaves keep what they had, so gradients accumulate across calls
    exactly as in PyTorch. Returns the nodes in the order they were processed (each before
    its parents; the step-by-step pictures replay it).

    One loop for both engines. The Value arm is the slides' rule written out inline, with
    the one- and two-input cases unpacked: about 1.5x as fast as calling a method per node,
    and 1.3x as fast as one `zip` loop for every arity (measured on bench_scalar's graph)."""
    inner, leaves = _inner_and_leaves(root)
    empty = None if type(root).local_grads is None else 0.0  # Tensor: None, Value: 0.0
    for node in inner:
        node.grad = empty
    root.grad = seed if root.grad is None else root.grad + seed
    for node in inner:
        upstream = node.grad
        local = node.local_grads
        if local is None:  # a Tensor gate: its VJP gives each parent's share
            if upstream is None:  # nothing flowed into this node
                continue
            if not node._retain:
                node.grad = None  # handed on: an inner gradient is not kept
            for parent, share in node._shares(upstream):
                parent.grad = share if parent.grad is None else parent.grad + share
        elif len(local) == 2:  # a two-input Value gate: local x upstream, twice
            a, b = node.parents
            local_a, local_b = local
            a.grad += local_a * upstream
            b.grad += local_b * upstream
        elif len(local) == 1:  # a one-input gate, or a two-input one with a number folded in
            node.parents[0].grad += local[0] * upstream
        else:  # the n-ary sum and the fused linear gate: local x upstream for each input
            for parent, d in zip(node.parents, local, strict=True):
                parent.grad += d * upstream
    return inner + leaves
