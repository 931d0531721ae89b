"""d root / d node for every node of a Tensor graph, kept by the viewer itself.

`backward()` drops an inner tensor's gradient once it has been handed on (unless
`retain_grad()` was called), and a second backward would add to the leaves' `.grad`. The
views that print every δ (explain, explain_layers, frames) run this side pass instead: the
same topological order and the same gate VJPs as the engine, into a dict of their own, so no
`.grad` is touched and the learner labels nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gradtrace import topological_order


def adjoints(root: Any, seed: np.ndarray | None = None) -> dict[int, np.ndarray]:
    """id(node) -> d root / d node for every node of `root`'s Tensor graph that needs a
    gradient (`seed` is d root / d root: ones for a single-element root)."""
    if seed is None:
        seed = np.ones_like(root.data)
    grads: dict[int, np.ndarray] = {id(root): np.asarray(seed, dtype=root.data.dtype)}
    for node in topological_order(root):
        g = grads.get(id(node))
        if g is None or not node.parents:
            continue
        for parent, share in node._shares(g):  # the gate's VJP, summed back to each shape
            key = id(parent)
            grads[key] = share if key not in grads else grads[key] + share
    return grads


def kept_gradients(root: Any) -> dict[int, np.ndarray] | None:
    """`adjoints(root)` for a single-element gradtrace Tensor root (d root / d root = 1), so a
    picture can print the gradient of every inner tensor after backward; None for anything
    else (a Value graph, a traced PyTorch graph, a root whose seed backward did not keep)."""
    data = getattr(root, "data", None)
    if not hasattr(root, "_shares") or not isinstance(data, np.ndarray) or data.size != 1:
        return None
    return adjoints(root)


def branch_share(gate: Any, k: int, grads: dict[int, np.ndarray]) -> np.ndarray | None:
    """What came back along input `k` of Tensor `gate` (its VJP of the gate's gradient)."""
    g = grads.get(id(gate))
    if g is None or not hasattr(gate, "_shares"):
        return None
    parent = gate.parents[k]
    shares = [s for p, s in gate._shares(g) if p is parent]
    if len(shares) != 1:  # the same tensor at two inputs of one gate (x * x): no one share
        return None
    return shares[0]
