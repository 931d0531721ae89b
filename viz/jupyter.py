"""Values and Tensors display as their graph in Jupyter, without autograd knowing about viz.

autograd must never import viz (or graphviz), so a node cannot carry its own `_repr_svg_`.
Instead IPython is told, from the outside, how to show one: `register()` adds an
`image/svg+xml` formatter for `Value`, `Tensor` and a traced PyTorch graph (`TorchNode`) to
the running IPython's display formatters. `import gradtrace.viz` calls it (it does nothing
outside IPython), and `%load_ext gradtrace.viz` does the same in a notebook that has not
imported viz. Without Graphviz's `dot` the formatter returns None and IPython falls back to
the plain text repr.
"""

from __future__ import annotations

import sys
from typing import Any

COLUMN = 8  # inches: a node shown in a notebook is scaled down to fit its column


def node_svg(node: Any) -> str | None:
    """The SVG of a node's graph (the network view if it is big), at most a notebook column
    wide, or None without `dot`."""
    from .circuit import draw
    from .dot import dot_available, to_bytes

    if not dot_available():
        return None
    try:
        return to_bytes(draw(node, size=COLUMN), "svg").decode()
    except Exception:  # a display hook must never break printing a value
        return None


def register(ip: Any = None) -> bool:
    """Register the SVG formatter in IPython `ip` (default: the running one). Returns True
    when it did, False when no IPython is running."""
    if ip is None:
        ipython = sys.modules.get("IPython")  # never import IPython just to look
        if ipython is None:
            return False
        ip = ipython.get_ipython()
        if ip is None:
            return False
    import gradtrace

    from .torch_trace import TorchNode

    svg = ip.display_formatter.formatters["image/svg+xml"]
    for name in ("Value", "Tensor"):
        cls = getattr(gradtrace, name, None)
        if cls is not None:
            svg.for_type(cls, node_svg)
    svg.for_type(TorchNode, node_svg)  # a traced PyTorch graph (no torch import needed)
    return True


def unregister(ip: Any) -> None:
    """Remove the formatters again (Values print as text)."""
    import gradtrace

    from .torch_trace import TorchNode

    svg = ip.display_formatter.formatters["image/svg+xml"]
    for name in ("Value", "Tensor"):
        cls = getattr(gradtrace, name, None)
        if cls is not None:
            svg.type_printers.pop(cls, None)
    svg.type_printers.pop(TorchNode, None)
