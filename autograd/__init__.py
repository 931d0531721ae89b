"""gradtrace's autograd engine: `Value` (scalars) and `Tensor` (NumPy arrays) on one
topological-sort backward pass."""

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
