"""gradtrace.nn: modules, layers, losses, optimizers, metrics and data (built on autograd)."""

from . import data, functional, init, metrics, optim, train
from .conv import AvgPool2d, Conv2d, MaxPool2d
from .layers import (
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    Maxout,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .module import Module, ModuleList, ParameterList
from .scalar_models import MLP, Layer, Neuron
from .torch_bridge import UnsupportedModuleError, from_torch
from .train import evaluate, fit, predict

__all__ = [
    "AvgPool2d",
    "Conv2d",
    "Dropout",
    "Flatten",
    "Layer",
    "LeakyReLU",
    "Linear",
    "MLP",
    "MaxPool2d",
    "Maxout",
    "Module",
    "ModuleList",
    "Neuron",
    "ParameterList",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "UnsupportedModuleError",
    "data",
    "evaluate",
    "fit",
    "from_torch",
    "functional",
    "init",
    "metrics",
    "optim",
    "predict",
    "train",
]
