"""gradtrace: a small autograd engine, `Value` (scalars) and `Tensor` (NumPy arrays) on one
topological-sort backward pass; `gradtrace.nn` builds networks on it, `gradtrace.viz` draws it.

This package is the engine (the repository's autograd/ folder). It never imports nn or viz:
`gradtrace.nn` and `gradtrace.viz` load on first use, as `torch.nn` is there after `import torch`.
"""

from .anomaly import AnomalyError, detect_anomaly
from .conv_gates import avg_pool2d, conv2d, max_pool2d
from .engine import is_grad_enabled, no_grad, topological_order
from .gradcheck import GradcheckError, gradcheck
from .tensor import Tensor, concatenate, stack
from .value import Value, linear, vsum

__all__ = [
    "AnomalyError",
    "GradcheckError",
    "Tensor",
    "Value",
    "avg_pool2d",
    "concatenate",
    "conv2d",
    "detect_anomaly",
    "gradcheck",
    "is_grad_enabled",
    "linear",
    "max_pool2d",
    "no_grad",
    "stack",
    "topological_order",
    "vsum",
]


_SUBPACKAGES = ("nn", "viz", "cli")


def __getattr__(name: str):
    """`gradtrace.nn` / `gradtrace.viz` / `gradtrace.cli` import on first use (PEP 562), so
    `import gradtrace` stays the engine alone."""
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
