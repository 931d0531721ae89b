"""Jupyter display of Values and Tensors, and the matplotlib training plots."""

import shutil
import subprocess
import sys

import numpy as np
import pytest
from gradtrace import Value

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="no Graphviz dot")


class FakeIPython:
    """Just what register() touches: IPython's real display formatters."""

    def __init__(self):
        from IPython.core.formatters import SVGFormatter

        self.display_formatter = type("DF", (), {})()
        self.display_formatter.formatters = {"image/svg+xml": SVGFormatter()}


@needs_dot
def test_registered_formatter_shows_a_value_as_its_graph():
    pytest.importorskip("IPython")
    from gradtrace.viz import jupyter

    ip = FakeIPython()
    assert jupyter.register(ip)
    x, y = Value(2.0, "x"), Value(3.0, "y")
    f = x * y
    f.backward()
    svg = ip.display_formatter.formatters["image/svg+xml"](f)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    jupyter.unregister(ip)
    assert ip.display_formatter.formatters["image/svg+xml"](f) is None


@needs_dot
def test_a_value_shown_in_a_notebook_fits_the_column():
    import re

    from gradtrace.viz import jupyter

    x = Value(0.5, "x")
    f = x
    for _ in range(12):  # a chain far wider than a notebook column drawn at its natural size
        f = (f * 1.5 + 0.1).tanh()
    f.backward()
    svg = jupyter.node_svg(f)
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    assert width <= jupyter.COLUMN * 72 + 1


def test_importing_viz_outside_ipython_registers_nothing():
    code = "import sys, viz\nassert 'IPython' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_history_plot(tmp_path):
    from gradtrace.viz.plots import plot_history

    history = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.9]}
    history["time"] = [0.1, 0.2, 0.1]  # fit() records it; not a curve to plot
    fig = plot_history(history, tmp_path / "h.png")
    assert len(fig.axes) == 2
    assert [line.get_label() for line in fig.axes[1].lines] == ["accuracy"]
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"


def test_decision_boundary_of_a_function(tmp_path):
    from gradtrace.viz.plots import plot_decision_boundary

    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    fig = plot_decision_boundary(lambda p: p[:, 1] - 0.5, X, y, tmp_path / "b.png", resolution=20)
    assert fig.axes and (tmp_path / "b.png").exists()


def test_decision_boundary_of_a_scalar_mlp():
    nn = pytest.importorskip("gradtrace.nn")
    from gradtrace.viz.plots import plot_decision_boundary

    model = nn.MLP(2, [4, 1])
    X = np.random.default_rng(0).normal(size=(10, 2))
    y = (X[:, 0] > 0).astype(int)
    assert plot_decision_boundary(model, X, y, resolution=10).axes


def test_confusion_matrix_heat_map_annotates_counts():
    from gradtrace.viz.plots import plot_confusion_matrix

    fig = plot_confusion_matrix([[5, 1], [2, 7]], class_names=["no", "yes"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["5", "1", "2", "7"]


def test_gradient_histograms_one_per_layer():
    nn = pytest.importorskip("gradtrace.nn")
    from gradtrace.viz.plots import gradients_by_layer, plot_gradient_histograms

    model = nn.MLP(2, [3, 3, 1])
    out = model([0.5, -1.0])
    out.backward()
    groups = gradients_by_layer(model)
    assert list(groups) == ["layers.0", "layers.1", "layers.2"]
    assert groups["layers.0"].size == 3 * 3  # 3 neurons x (2 weights + 1 bias)
    assert len(plot_gradient_histograms(model).axes) == 3


def test_decision_boundary_is_a_contour_with_labelled_axes():
    from gradtrace.viz.plots import plot_decision_boundary

    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    ax = plot_decision_boundary(lambda p: p[:, 1] - 0.5, X, y, resolution=15).axes[0]
    assert ax.get_xlabel() and ax.get_ylabel()
    # the boundary line interpolates between grid points: it lies at y = 0.5 exactly
    line = np.concatenate(
        [
            p.vertices
            for c in ax.collections
            for p in c.get_paths()
            if len(p.vertices) and np.allclose(p.vertices[:, 1], 0.5)
        ]
    )
    assert len(line) >= 2


def test_decision_boundary_of_three_classes():
    from gradtrace.viz.plots import plot_decision_boundary

    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 1, 2])
    fig = plot_decision_boundary(lambda p: np.column_stack([-p.sum(1), p[:, 0], p[:, 1]]), X, y)
    assert fig.axes[0].collections


def test_history_of_full_batch_steps_says_step():
    from gradtrace.viz.plots import plot_history

    fig = plot_history({"loss": [1.0, 0.5]}, per="step")
    assert fig.axes[0].get_xlabel() == "step"
    assert plot_history({"loss": [1.0, 0.5]}).axes[0].get_xlabel() == "epoch"
