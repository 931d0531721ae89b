"""gradtrace.nn: modules, layers, losses, optimizers, metrics and data (built on autograd)."""

from . import data, functional, init, metrics, optim
from .module import Module, ModuleList, ParameterList
from .scalar_models import MLP, Layer, Neuron

__all__ = [
    "MLP",
    "Layer",
    "Module",
    "ModuleList",
    "Neuron",
    "ParameterList",
    "data",
    "functional",
    "init",
    "metrics",
    "optim",
]
