"""Training plots with matplotlib: history curves, a 2-D decision boundary, a confusion-matrix
heat map and per-layer gradient histograms.

Every function builds a `matplotlib.figure.Figure` directly (no pyplot, so no GUI backend and
no global figure state: it works headless, like the Agg backend), returns it, and saves it
when given `path`. In Jupyter a returned Figure shows inline.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

try:
    from matplotlib import colormaps
    from matplotlib.figure import Figure
except ImportError as e:  # pragma: no cover - matplotlib is the `plots` extra
    raise ImportError(
        "viz.plots needs matplotlib: pip install 'gradtrace[plots]' (or pip install matplotlib)"
    ) from e

from .dot import write_file
from .modules import modules_by_parameter, parent_module
from .style import HISTOGRAM


def save_figure(fig: Figure, path: str | Path | None, *, crop: bool = False) -> Figure:
    """Write `fig` to `path` when given (its suffix picks the format) in one piece
    (`dot.write_file`: a failure leaves what was there); `crop` trims the white margin."""
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        fmt = path.suffix.lstrip(".").lower() or "png"
        fig.savefig(buffer, format=fmt, dpi=110, **({"bbox_inches": "tight"} if crop else {}))
        write_file(path, buffer.getvalue())
    return fig


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    fig.tight_layout()
    return save_figure(fig, path)


def plot_history(
    history: Mapping[str, Sequence[float]],
    path: str | Path | None = None,
    *,
    per: str = "epoch",
) -> Figure:
    """Loss curves on the left, accuracy-like curves (values in [0, 1]) on the right, one point
    per `per` ("epoch" for fit()'s history; "step" for a history of full-batch steps); `val_`
    keys are drawn dashed. fit()'s "lr" and "time" entries are left out."""
    losses = {k: v for k, v in history.items() if "loss" in k and len(v)}
    bookkeeping = ("lr", "time", "epoch")  # fit() also records these: not curves to compare
    scores = {
        k: v
        for k, v in history.items()
        if "loss" not in k and len(v) and k not in bookkeeping and max(v) <= 1 and min(v) >= 0
    }
    panels = [p for p in (("loss", losses), ("accuracy", scores)) if p[1]]
    if not panels:
        raise ValueError(f"plot_history: nothing to plot in keys {list(history)}")
    fig = Figure(figsize=(5 * len(panels), 3.6))
    for i, (title, curves) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for key, ys in curves.items():
            xs = np.arange(1, len(ys) + 1)
            ax.plot(xs, ys, "--" if key.startswith("val") else "-", marker=".", label=key)
        ax.set_xlabel(per)
        ax.set_title(title)
        low = min(min(v) for v in curves.values())
        high = max(max(v) for v in curves.values())
        if title == "loss" and low > 0 and high / low > 30:  # log scale for long descents
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    return _finish(fig, path)


def _scores(model: Any, points: np.ndarray) -> np.ndarray:
    """Model outputs on an (m, 2) array: a function, a Tensor model or a scalar Value model."""
    from gradtrace import Value, no_grad

    params = model.parameters() if hasattr(model, "parameters") else None
    with no_grad():
        if params is None:
            out = model(points)
        elif params and isinstance(params[0], Value):
            rows = []
            for p in points:
                o = model([float(a) for a in p])
                rows.append([v.data for v in o] if isinstance(o, list) else [o.data])
            out = np.array(rows)
        else:
            from gradtrace import Tensor

            out = model(Tensor(points))
    out = np.asarray(getattr(out, "data", out), dtype=np.float64)
    return out.reshape(len(points), -1)


def plot_decision_boundary(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    path: str | Path | None = None,
    *,
    resolution: int = 120,
    threshold: float | None = None,
    title: str = "decision boundary",
    labels: tuple[str, str] = ("x0 (first input)", "x1 (second input)"),
) -> Figure:
    """The classes a model predicts over the plane of 2-D data, with the data on top and the
    boundary drawn as a smooth contour of the model's scores (interpolated between the grid
    points, so even a coarse grid gives a smooth line).

    `model` is a function of an (m, 2) array, a Tensor model, or a scalar Value model (called
    row by row: use a smaller `resolution`). Several outputs: the class is the argmax. One
    output: class 1 where it exceeds `threshold` (default 0.5 for outputs in [0, 1], else 0).
    `labels` name the two axes."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (n, 2), got {X.shape}")
    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    gx, gy = np.meshgrid(xs, ys)
    scores = _scores(model, np.column_stack([gx.ravel(), gy.ravel()]))
    if scores.shape[1] > 1:
        # each class's margin over the best other class: > 0 where the class wins
        k = max(scores.shape[1], int(y.max()) + 1)
        margins = []
        for c in range(scores.shape[1]):
            others = np.delete(scores, c, axis=1).max(axis=1)
            margins.append((scores[:, c] - others).reshape(gx.shape))
    else:
        s = scores[:, 0]
        t = threshold if threshold is not None else (0.5 if s.min() >= 0 and s.max() <= 1 else 0.0)
        k = max(2, int(y.max()) + 1)
        margins = [(t - s).reshape(gx.shape), (s - t).reshape(gx.shape)]
    fig = Figure(figsize=(5.4, 4.4))
    ax = fig.add_subplot(1, 1, 1)
    cmap = "coolwarm" if k == 2 else "tab10"
    colours = colormaps[cmap](np.linspace(0, 1, k))  # as the scatter below maps 0 .. k-1
    for c, m in enumerate(margins):
        if np.nanmax(m) > 0:
            ax.contourf(gx, gy, m, levels=[0, np.inf], colors=[colours[c]], alpha=0.25)
            ax.contour(gx, gy, m, levels=[0], colors="k", linewidths=0.8)
    ax.scatter(
        X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=0, vmax=k - 1, edgecolors="k", linewidths=0.4, s=18
    )
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title)
    return _finish(fig, path)


def plot_confusion_matrix(
    cm: Any,
    path: str | Path | None = None,
    *,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
    title: str = "confusion matrix",
) -> Figure:
    """A heat map of a confusion matrix: actual classes on rows, predicted on columns (as
    `nn.metrics.confusion_matrix` returns it), each cell annotated with its count (or, with
    `normalize`, the fraction of its row)."""
    cm = np.asarray(cm, dtype=np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"plot_confusion_matrix: expected a square matrix, got {cm.shape}")
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    n = cm.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    fig = Figure(figsize=(1.2 + 0.5 * n, 1.0 + 0.45 * n))
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(shown, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_xticks(range(n), names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    ax.set_title(title)
    top = shown.max() if shown.size else 0
    for i in range(n):
        for j in range(n):
            text = f"{shown[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if shown[i, j] > 0.6 * top else "black",
            )
    return _finish(fig, path)


def gradients_by_layer(model: Any) -> dict[str, np.ndarray]:
    """{layer name: every gradient entry of its parameters}, from `model.named_parameters()`.

    A parameter belongs to the module that owns it (a Neuron, a Linear), and a scalar MLP's
    Neurons are gathered into their Layer."""
    owner, modules = modules_by_parameter(model)
    groups: dict[str, list[float]] = defaultdict(list)
    for _, p in model.named_parameters():
        name = owner.get(id(p), "")
        layer = parent_module(name, modules) if name else None
        if layer is None or layer == "":
            layer = name or "parameters"
        g = p.grad
        if g is None:
            continue
        groups[layer].extend(np.ravel(np.asarray(g, dtype=np.float64)).tolist())
    return {k: np.asarray(v) for k, v in groups.items()}


def plot_gradient_histograms(
    model: Any,
    path: str | Path | None = None,
    *,
    bins: int = 40,
    title: str = "gradients by layer",
) -> Figure:
    """One histogram of log10 |gradient| per layer, on a shared axis: vanishing gradients sit
    far to the left, exploding ones far to the right."""
    groups = gradients_by_layer(model)
    if not groups:
        raise ValueError("plot_gradient_histograms: no gradients yet: call backward() first")
    logs = {k: np.log10(np.abs(v[v != 0])) for k, v in groups.items()}
    everything = np.concatenate([v for v in logs.values() if v.size] or [np.zeros(1)])
    edges = np.linspace(everything.min() - 0.5, everything.max() + 0.5, bins + 1)
    fig = Figure(figsize=(6, 1.0 + 1.1 * len(logs)))
    axes = fig.subplots(len(logs), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (name, v) in zip(axes, logs.items(), strict=True):
        ax.hist(v, bins=edges, color=HISTOGRAM)
        zeros = int((groups[name] == 0).sum())
        extra = f", {zeros} exactly 0" if zeros else ""
        ax.set_ylabel("count")
        rms = float(np.sqrt(np.mean(np.square(groups[name]))))  # as the network view says it
        ax.set_title(
            f"{name}: {groups[name].size} gradients, RMS gradient {rms:.2e}{extra}",
            fontsize=9,
            loc="left",
        )
    axes[-1].set_xlabel("log10 |gradient|")
    fig.suptitle(title)
    return _finish(fig, path)


Predictor = Callable[[np.ndarray], Any]
