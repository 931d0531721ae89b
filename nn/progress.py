"""The progress bar of `fit`: tqdm's text bar in a terminal, an HTML bar updated in place in a
notebook.

tqdm's text bar writes to stderr, which Jupyter shows as a red box that looks like an error, and
tqdm's notebook bar needs ipywidgets and leaves nothing a reader of the saved notebook can see.
In a notebook kernel `fit` shows `NotebookBar` instead: one display, updated in place a few
times a second, saved as its last state (HTML with a plain-text fallback).
"""

from __future__ import annotations

import html
import sys
import time
from typing import Any

from tqdm import tqdm

WIDTH = 24  # characters in the text bar


def in_notebook() -> bool:
    """Is this running in a Jupyter kernel (IPython with a kernel attached)?"""
    ipython = sys.modules.get("IPython")  # never import IPython just to look
    if ipython is None:
        return False
    ip = ipython.get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def progress_bar(total: int, enabled: bool | None, unit: str = "batch") -> Any:
    """A bar with tqdm's interface: None shows one in a terminal or a notebook, else none."""
    notebook = in_notebook()
    if enabled is None:
        enabled = notebook or sys.stderr.isatty()
    if enabled and notebook:
        return NotebookBar(total, unit=unit)
    return tqdm(total=total, disable=not enabled, unit=unit, leave=True)


class NotebookBar:
    """The part of tqdm's interface `fit` uses, drawn as one notebook display."""

    def __init__(self, total: int, unit: str = "batch", every: float = 0.25) -> None:
        from IPython.display import display

        self.total, self.n, self.unit, self.every = total, 0, unit, every
        self.desc = ""
        self.postfix: dict[str, Any] = {}
        self.start = time.perf_counter()
        self.shown = self.start
        self.handle = display(self, display_id=True)

    def set_description(self, desc: str) -> None:
        self.desc = str(desc)

    def set_postfix(self, refresh: bool = True, **values: Any) -> None:
        self.postfix = values
        if refresh:
            self.refresh()

    def update(self, n: int = 1) -> None:
        self.n += n
        self.refresh()

    def refresh(self, force: bool = False) -> None:
        """Redraw, at most every `every` seconds unless forced."""
        now = time.perf_counter()
        if (force or now - self.shown >= self.every) and self.handle is not None:
            self.shown = now
            self.handle.update(self)

    def close(self) -> None:
        self.refresh(force=True)

    def text(self, bar: bool = True) -> str:
        """One line: "epoch 3/10 |██████░░░░| 42/140 batch 1.2 s loss=0.3012"."""
        done = min(self.n / self.total, 1.0) if self.total else 1.0
        filled = round(done * WIDTH)
        drawn = f"|{'█' * filled}{'░' * (WIDTH - filled)}|" if bar else ""
        seconds = time.perf_counter() - self.start
        parts = [self.desc, drawn, f"{self.n}/{self.total} {self.unit}", f"{seconds:.1f} s"]
        parts += [f"{k}={v}" for k, v in self.postfix.items()]
        return " ".join(p for p in parts if p)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return (
            f'<div style="font-family: monospace"><progress value="{self.n}" '
            f'max="{max(self.total, 1)}"></progress> {html.escape(self.text(bar=False))}</div>'
        )
