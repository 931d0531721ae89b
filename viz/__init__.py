"""gradtrace.viz: pictures of computation graphs and their gradients (reads autograd nodes).

viz reads the public node interface only; autograd never imports viz. Importing viz inside
IPython/Jupyter registers display formatters so a Value or Tensor shows as its graph."""

from .draw import GraphvizNotFoundError, draw, render
from .steps import BackwardSteps, backward_steps

__all__ = ["BackwardSteps", "GraphvizNotFoundError", "backward_steps", "draw", "render"]
