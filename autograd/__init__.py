"""gradtrace: a small autograd engine, `Value` (scalars) and `Tensor` (NumPy arrays) on one
topological-sort backward pass; `gradtrace.nn` builds networks on it, `gradtrace.viz` draws it.

This package is the engine (the repository's autograd/ folder). It never imports nn or viz:
`gradtrace.nn` and `gradtrace.viz` load on first use, as `torch.nn` is there after `import torch`.
"""

from typing import Any

from . import value as _value
from .anomaly import AnomalyError, detect_anomaly
from .check_answers import AnswerReport, check_answers
from .check_engine import EngineReport, assert_engine, check_engine
from .check_gates import GateReport, check_gates
from .conv_gates import avg_pool2d, conv2d, max_pool2d
from .custom_gates import gate
from .engine import topological_order
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .tensor import Tensor
from .tensor_gates import concatenate, cross_entropy, stack
from .tensor_gates import linear as _tensor_linear
from .tensor_rules import rule_of  # also puts each gate's lecture rule in its record
from .value import Value, vsum


def linear(input: Any, weight: Any, bias: Any = None) -> Any:
    """input @ weight.T + bias, PyTorch's F.linear, as one fused gate in either engine: for a
    Tensor weight, `tensor_gates.linear` (input (..., in), weight (out, in), bias (out,));
    for a row of Values, `value.linear` (one neuron: inputs, its weights, its bias)."""
    if isinstance(weight, Tensor) or isinstance(input, Tensor):
        return _tensor_linear(input, weight, bias)
    return _value.linear(input, weight, bias)


__all__ = [
    "AnomalyError",
    "AnswerReport",
    "EngineReport",
    "GateReport",
    "GradcheckError",
    "Tensor",
    "Value",
    "assert_engine",
    "avg_pool2d",
    "check_answers",
    "check_engine",
    "check_gates",
    "concatenate",
    "conv2d",
    "cross_entropy",
    "detect_anomaly",
    "enable_grad",
    "gate",
    "gradcheck",
    "is_grad_enabled",
    "linear",
    "max_pool2d",
    "no_grad",
    "rule_of",
    "set_grad_enabled",
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
