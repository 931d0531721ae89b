"""gradtrace's autograd engine: `Value` (scalars) and `Tensor` (NumPy arrays) on one
topological-sort backward pass."""

from .anomaly import AnomalyError, detect_anomaly
from .engine import is_grad_enabled, no_grad, topological_order
from .gradcheck import GradcheckError, gradcheck
from .tensor import Tensor, concatenate, stack
from .value import Value, vsum

__all__ = [
    "AnomalyError",
    "GradcheckError",
    "Tensor",
    "Value",
    "concatenate",
    "detect_anomaly",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "stack",
    "topological_order",
    "vsum",
]
