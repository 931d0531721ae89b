"""Pictures of a convolutional network: its learned filters and the feature maps of one image.

    plot_filters(model[0])                  # one small image per filter (per input channel)
    plot_feature_maps(model, image)         # what each conv / pool layer makes of one image

Like viz/plots.py, every function builds a `matplotlib.figure.Figure` directly (no pyplot:
headless, no global state), returns it, and saves it when given `path`. It reads only the
public Module API (`named_modules()`, a conv layer's `weight`) and Tensors' `data`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

try:
    from matplotlib.figure import Figure
except ImportError as e:  # pragma: no cover - matplotlib is the `plots` extra
    raise ImportError(
        "viz.conv needs matplotlib: pip install 'gradtrace[plots]' (or pip install matplotlib)"
    ) from e

from gradtrace import Tensor, no_grad

from .plots import save_figure


def _weights(conv: Any) -> np.ndarray:
    """A conv layer's (or a bare array's / Tensor's) filters as (out, in, kh, kw)."""
    w = getattr(conv, "weight", conv)
    w = np.asarray(w.data if isinstance(w, Tensor) else w, dtype=np.float64)
    if w.ndim != 4:
        raise ValueError(f"plot_filters: expected filters (out, in, kh, kw), got shape {w.shape}")
    return w


def plot_filters(
    conv: Any, *, channel: int | None = None, path: str | Path | None = None, title: str = ""
) -> Figure:
    """Each filter as a small image: one row per input channel (or only `channel`), one column
    per output channel (feature map). Colours are symmetric around 0 (red +, blue -) on one
    scale for the whole figure, so filters can be compared; the numbers are the filter's weights
    w_lm of the lecture's z_jk = b + sum_l sum_m w_lm a_(j+l)(k+m)."""
    w = _weights(conv)
    if channel is not None:
        w = w[:, channel : channel + 1]
    out_ch, in_ch = w.shape[:2]
    limit = float(np.abs(w).max()) or 1.0
    fig = Figure(figsize=(max(3.0, 1.0 * out_ch), 1.0 * in_ch + 0.8))
    axes = fig.subplots(in_ch, out_ch, squeeze=False)
    image = None
    for c in range(in_ch):
        for o in range(out_ch):
            ax = axes[c][o]
            image = ax.imshow(w[o, c], cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_title(f"filter {o}", fontsize=8)
            if o == 0 and in_ch > 1:
                ax.set_ylabel(f"in {c}", fontsize=8)
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="weight")
    kh, kw = w.shape[2:]
    fig.suptitle(title or f"{out_ch} learned {kh}x{kw} filters", fontsize=10)
    return save_figure(fig, path, crop=True)


def feature_maps(model: Any, image: Any, kinds: tuple[str, ...] = ("Conv2d",)) -> list:
    """[(name, maps (C, H, W))] for one image (C, H, W) or (H, W): the output of every
    top-level submodule whose class name (or that of a module inside it) is in `kinds`,
    computed without recording a graph."""
    x = np.asarray(image.data if isinstance(image, Tensor) else image, dtype=np.float64)
    x = x.reshape((1, 1, *x.shape) if x.ndim == 2 else (1, *x.shape))
    found: list[tuple[str, np.ndarray]] = []
    children = list(model.named_modules())[1:] if hasattr(model, "named_modules") else []
    top = [(n, m) for n, m in children if "." not in n]
    if not top:
        raise ValueError("feature_maps: the model has no submodules to look inside")
    with no_grad():
        out = Tensor(x)
        for name, module in top:
            out = module(out)
            if any(type(m).__name__ in kinds for _, m in module.named_modules()):
                found.append((f"{name}: {type(module).__name__}", out.data[0]))
    return found


def plot_feature_maps(
    model: Any,
    image: Any,
    *,
    kinds: tuple[str, ...] = ("Conv2d", "ReLU", "MaxPool2d", "AvgPool2d"),
    max_maps: int = 16,
    path: str | Path | None = None,
    title: str = "",
) -> Figure:
    """The input image and, one row per layer of kind `kinds` (conv, activation, pooling),
    the feature maps it produces for that image (at most `max_maps` per row). Each feature
    map is the lecture's hidden layer of neurons a_jk for one filter: bright where the
    filter's feature was found (one colour scale per layer)."""
    maps = [(n, m) for n, m in feature_maps(model, image, kinds) if m.ndim == 3]
    if not maps:
        raise ValueError(f"plot_feature_maps: no layer of kind {kinds} in the model")
    img = np.asarray(image.data if isinstance(image, Tensor) else image, dtype=np.float64)
    img = img[0] if img.ndim == 3 else img
    cols = min(max_maps, max(m.shape[0] for _, m in maps))
    rows = 1 + len(maps)
    fig = Figure(figsize=(max(4.0, 0.9 * (cols + 1)), 1.05 * rows + 0.5))
    axes = fig.subplots(rows, cols + 1, squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    axes[0][0].imshow(img, cmap="gray_r")
    axes[0][0].set_title(f"input {img.shape[0]}x{img.shape[1]}", fontsize=8)
    for r, (name, m) in enumerate(maps, start=1):
        label = axes[r][0]
        label.text(
            0.0,
            0.5,
            f"{name}\n{m.shape[0]} @ {m.shape[1]}x{m.shape[2]}",
            fontsize=7,
            va="center",
            ha="left",
            transform=label.transAxes,
        )
        low, high = float(m.min()), float(m.max())  # one scale per layer: maps compare
        for c in range(min(cols, m.shape[0])):
            ax = axes[r][c + 1]
            ax.imshow(m[c], cmap="viridis", vmin=low, vmax=high)
            if r == 1:
                ax.set_title(f"map {c}", fontsize=7)
    fig.suptitle(title or "feature maps of one image", fontsize=10)
    return save_figure(fig, path, crop=True)
