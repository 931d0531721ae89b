"""d root / d node for every node of a Tensor graph, kept by the viewer itself.

`backward()` drops an inner tensor's gradient once it has been handed on (unless
`retain_grad()` was called), and a second backward would add to the leaves' `.grad`. The
views that print every δ (explain, explain_layers, frames) replay backward instead: the same
topological order and the same gate VJPs as the engine (`viz.flow.Flow`), into a record of
their own, so no `.grad` is touched and the learner labels nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .flow import Flow


def adjoints(root: Any, seed: np.ndarray | None = None) -> dict[int, np.ndarray]:
    """id(node) -> d root / d node for every node of `root`'s Tensor graph that needs a
    gradient (`seed` is d root / d root: ones for a single-element root)."""
    return Flow(root, seed=seed).grad


def kept_flow(root: Any) -> Flow | None:
    """The replayed flow of a single-element gradtrace Tensor root (d root / d root = 1), so a
    picture can print the gradient of every inner tensor after backward and the part on every
    branch; None for anything else (a Value graph, a traced PyTorch graph, a root whose seed
    backward did not keep)."""
    data = getattr(root, "data", None)
    if not hasattr(root, "_shares") or not isinstance(data, np.ndarray) or data.size != 1:
        return None
    return Flow(root)
