"""gradtrace.nn: modules, layers, losses, optimizers, metrics and data (built on autograd)."""

from . import data
