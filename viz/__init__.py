"""gradtrace.viz: pictures of computation graphs and their gradients (reads autograd nodes).

    draw(root)              the lecture's circuit diagram (a graphviz.Digraph)
    render(root, path)      .svg / .png / .pdf / .dot by suffix
    backward_steps(root)    one picture per step of the backward pass
    explain(root, wrt=x)    the chain rule for x.grad written out: paths and per-node sums
    explain_layers(loss, m) the five backprop equations on a Sequential, every δ checked
    network(root, model=m)  the big-graph view: boxes per module, arrows coloured by gradient
    to_html(root, path)     one self-contained page stepping through forward and backward
    adapt(node, ...)        a learner's micrograd-style node, drawn like gradtrace's own
    worksheet(root)         the graph with gradients blank: print it, or fill it in a page
    watch(model)            one picture updated in place in Jupyter while a model trains
    explore(root)           the same explorer inline in Jupyter
    viz.plots               training plots with matplotlib

viz reads the public node interface only; autograd never imports viz. Importing viz inside
IPython/Jupyter registers display formatters so a Value or Tensor shows as its graph
(`%load_ext gradtrace.viz` does the same)."""

from . import engine_report, jupyter
from .adapt import adapt
from .circuit import draw, render
from .dot import GraphvizNotFoundError, GraphvizTimeoutError
from .explain import Explanation, explain
from .graph import as_root
from .html import Explorer, explore, to_html
from .layers import LayerExplanation, explain_layers
from .network import network
from .steps import BackwardSteps, backward_steps
from .torch_trace import trace_torch
from .watch import Watch, watch
from .worksheet import Worksheet, worksheet

__all__ = [
    "BackwardSteps",
    "Explanation",
    "Explorer",
    "LayerExplanation",
    "GraphvizNotFoundError",
    "GraphvizTimeoutError",
    "Watch",
    "Worksheet",
    "adapt",
    "as_root",
    "backward_steps",
    "draw",
    "explain",
    "explain_layers",
    "explore",
    "network",
    "render",
    "to_html",
    "trace_torch",
    "watch",
    "worksheet",
]


def load_ipython_extension(ip):  # `%load_ext gradtrace.viz`
    jupyter.register(ip)


jupyter.register()
engine_report.install()  # report.draw() for gradtrace.check_engine (autograd never imports viz)
