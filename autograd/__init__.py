"""gradtrace's autograd engine: `Value` (scalars) on one topological-sort backward pass."""

from .engine import is_grad_enabled, no_grad, topological_order
from .gradcheck import GradcheckError, gradcheck
from .value import Value, vsum

__all__ = [
    "GradcheckError",
    "Value",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
    "vsum",
]
