"""The chain rule in numbers: how backprop gets d root/d x, as data (no text; `explain` writes it).

    d root/d x = the sum over the paths from root back to x of the products of the local
                 gradients along each path
               = per node a: the sum over a's consumers c of d root/dc · dc/da
                 ("gradients add at branches"), which is what backward computes

Every factor is a local gradient a gate recorded on the forward pass (`local_grads`), so no
backward() is needed. Never exponential: the paths are counted first by dynamic programming
(a node's number of paths to x is the sum over its inputs) and listed only when there are at
most `max_paths`. `by="label"` contracts the graph to its labeled nodes: the factor between two
of them is the sum, over the paths through unlabeled gates, of the products on each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gradtrace import topological_order

from .flow import Flow, node_names
from .graph import is_tensor


@dataclass(frozen=True)
class Factor:
    """One local gradient on a path: d`of`/d`wrt` (names from the graph) and its value."""

    of: str
    wrt: str
    value: float

    @property
    def name(self) -> str:
        return f"d{self.of}/d{self.wrt}"


@dataclass(frozen=True)
class Path:
    """One path from the root back to `wrt`: its factors (root end first) and their product."""

    factors: tuple[Factor, ...]
    value: float


@dataclass(frozen=True)
class Term:
    """What one consumer c hands back to a node a: d root/dc (`upstream`, None when c is the
    root, whose gradient is 1) times dc/da (`local`); None values for Tensor gates."""

    consumer: str
    upstream: float | None
    local: float | None
    value: float | None


@dataclass(frozen=True)
class NodeSum:
    """d root/d node as the sum of its terms (one per consumer), and what backward stored."""

    name: str
    op: str
    shape: tuple[int, ...] | None  # None for a Value
    gradient: float | None  # the sum of the terms (None for a Tensor node)
    recorded: Any  # the node's `grad` attribute as explain found it
    terms: tuple[Term, ...]


@dataclass
class ChainRule:
    """The chain rule for d root/d target (every node's gradient when target is None): the
    nodes on the way (`kept`, root first), the factor of each wire between them (`edges`: node
    id -> {input id: d node/d input}), the per-node sums, and the paths when they are few."""

    root: Any
    target: Any
    tensor: bool  # Tensor gates: no numbers, their factors are Jacobians never built
    kept: list[Any]
    edges: dict[int, dict[int, Any]]
    names: dict[int, str]  # id(node) -> name, the same in every derivation of this graph
    nodes: tuple[NodeSum, ...]  # every kept node but the root, root end first
    n_paths: int | None  # None when target is None
    paths: tuple[Path, ...] | None  # None when not listed (too many, or Tensors)
    gradient: float | None  # d root/d target (None for Tensors or no target)


def chain_rule(root: Any, wrt: Any = None, *, by: str = "gate", max_paths: int = 64) -> ChainRule:
    """The chain rule for d root/d wrt (`wrt` a node, a label, or None for every node)."""
    order = topological_order(root)  # root first, every node before its parents
    target = find(order, wrt)
    tensor = any(is_tensor(n) or getattr(n, "local_grads", None) is None for n in order)
    edges = wire_factors(order, target, tensor)
    if by == "label":
        edges = contract(order, edges, root, target)
    kept = [n for n in order if id(n) in edges]
    every = node_names(root)
    names = {id(n): every[id(n)] for n in kept}
    adjoint = {} if tensor else Flow(root, order=order).grad  # d root/d node, backward's sums
    nodes = node_sums(kept, edges, adjoint, names, root, tensor)
    n_paths = paths = gradient = None
    if target is not None:
        n_paths = count_paths(kept, edges, target)
        if not tensor and n_paths <= max_paths:
            paths = list_paths(root, target, edges, {id(n): n for n in kept}, names)
        if not tensor:
            gradient = adjoint[id(target)]
    return ChainRule(root, target, tensor, kept, edges, names, nodes, n_paths, paths, gradient)


def find(order: list[Any], wrt: Any) -> Any:
    """The node `wrt` names (a node or a label), or None for "every node"; clear errors."""
    if wrt is None:
        return None
    labels = sorted({n.label for n in order if isinstance(n.label, str) and n.label})
    known = ", ".join(labels) if labels else "none"
    if isinstance(wrt, str) and not wrt:
        raise ValueError(
            f"wrt={wrt!r}: an empty label names no node (unlabelled nodes share it); pass the "
            f"node itself or a label (labels: {known})"
        )
    if not isinstance(wrt, str) and not hasattr(wrt, "data"):  # a node (any engine's) has data
        raise TypeError(
            f"wrt must be a node of the graph or its label (a str), got {type(wrt).__name__} "
            f"{wrt!r:.60}"
        )
    if isinstance(wrt, str):
        found = [n for n in order if n.label == wrt]
        if len(found) == 1:
            return found[0]
        if found:
            raise ValueError(f"wrt={wrt!r}: {len(found)} nodes have this label; pass the node")
        raise ValueError(f"wrt={wrt!r}: no node of this graph has that label (labels: {known})")
    found = [n for n in order if n is wrt or getattr(n, "source", None) is wrt]  # adapt's nodes
    if not found:
        raise ValueError(
            f"wrt={wrt!r} is not in the graph of root: the root does not depend on it, so its "
            "gradient is 0 and no path leads to it"
        )
    return found[0]


def wire_factors(order: list[Any], target: Any, tensor: bool) -> dict[int, dict[int, Any]]:
    """For each node that depends on `target` (every node when None), its inputs that do too,
    each with d node/d input: the local gradient, summed when an input is used twice (x * x
    has d/dx = 2x); None for a Tensor gate."""
    reaches: set[int] = set()
    for node in reversed(order):  # inputs first
        if target is None or node is target or any(id(p) in reaches for p in node.parents):
            reaches.add(id(node))
    edges: dict[int, dict[int, Any]] = {}
    for node in order:
        if id(node) not in reaches:
            continue
        local = None if tensor else node.local_grads
        out: dict[int, Any] = {}
        for k, parent in enumerate(node.parents):
            if id(parent) in reaches:
                w = None if tensor else local[k]
                out[id(parent)] = _add(out[id(parent)], w) if id(parent) in out else w
        edges[id(node)] = out
    return edges


def contract(order: list[Any], edges: dict, root: Any, target: Any) -> dict[int, dict[int, Any]]:
    """Keep only the root, the target (or every leaf) and the labeled nodes: the factor from
    a kept node A to a kept node B is the sum, over the paths between them through unlabeled
    gates only, of the products of their local gradients (the partial derivative of A by B)."""

    def kept(n: Any) -> bool:
        return n is root or n is target or bool(n.label) or (target is None and not n.parents)

    keep = {id(n) for n in order if id(n) in edges and kept(n)}
    through: dict[int, dict[int, Any]] = {}  # unlabeled node -> {kept node below: factor}
    out: dict[int, dict[int, Any]] = {}
    for node in reversed(order):  # inputs first, so `through` is ready for every input
        if id(node) not in edges:
            continue
        reach: dict[int, Any] = {}
        for p, w in edges[id(node)].items():
            for q, v in ({p: 1.0} if p in keep else through[p]).items():
                reach[q] = _add(reach[q], _mul(w, v)) if q in reach else _mul(w, v)
        (out if id(node) in keep else through)[id(node)] = reach
    return out


def count_paths(kept: list[Any], edges: dict, target: Any) -> int:
    """The number of paths from the root back to `target`, by dynamic programming: a node's
    count is the sum of its inputs' counts (exact Python ints, linear time)."""
    count: dict[int, int] = {}
    for node in reversed(kept):
        count[id(node)] = 1 if node is target else sum(count[p] for p in edges[id(node)])
    return count[id(kept[0])]


def list_paths(root: Any, target: Any, edges: dict, by_id: dict, names: dict) -> tuple:
    """Every path from root to target (call only when there are few), first operand first.
    Each stack entry links back to the one before, so a long path is built once at the end."""
    paths = []
    stack: list[tuple[Any, Any]] = [(root, None)]
    while stack:
        node, link = stack.pop()
        if node is target:
            factors = []
            while link is not None:
                factor, link = link
                factors.append(factor)
            factors.reverse()
            paths.append(Path(tuple(factors), math.prod(f.value for f in factors)))
            continue
        for p, w in reversed(list(edges[id(node)].items())):
            factor = Factor(names[id(node)], names[p], w)
            stack.append((by_id[p], (factor, link)))
    return tuple(paths)


def node_sums(
    kept: list[Any], edges: dict, adjoint: dict, names: dict, root: Any, tensor: bool
) -> tuple[NodeSum, ...]:
    """Each kept node's gradient (but the root's) as the sum over its consumers of d root/dc ·
    dc/da, in the order backward reaches them."""
    users: dict[int, list[tuple[Any, Any]]] = {id(n): [] for n in kept}
    for node in kept:
        for p, w in edges[id(node)].items():
            users[p].append((node, w))
    out = []
    for node in kept[1:]:
        terms = []
        for consumer, w in users[id(node)]:
            up = None if consumer is root else adjoint.get(id(consumer))
            value = None if tensor else (w if up is None else up * w)
            terms.append(Term(names[id(consumer)], up, w, value))
        shape = tuple(node.data.shape) if tensor and is_tensor(node) else None
        grad = None if tensor else adjoint[id(node)]
        out.append(NodeSum(names[id(node)], node.op, shape, grad, node.grad, tuple(terms)))
    return tuple(out)


def largest_jacobian(rule: ChainRule) -> tuple[int, int, str]:
    """The biggest factor of a Tensor graph's paths: (output size, input size, its name)."""
    biggest, which = (0, 0), ""
    by_id = {id(n): n for n in rule.kept}
    for node in rule.kept:
        for p in rule.edges[id(node)]:
            sizes = (int(getattr(node.data, "size", 1)), int(getattr(by_id[p].data, "size", 1)))
            if sizes[0] * sizes[1] > biggest[0] * biggest[1]:
                biggest, which = sizes, f"d{rule.names[id(node)]}/d{rule.names[p]}"
    return biggest[0], biggest[1], which


def same(a: Any, b: Any) -> bool:
    """Two gradients equal to 1e-9 (relative); False when either is not a number."""
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    except (TypeError, ValueError):
        return False


def _add(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a + b


def _mul(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a * b
