"""`watch(model)`: one picture in a notebook, updated in place while a model trains.

    w = watch(model, every=10)
    fit(model, loss_fn, X, y, callback=w)        # gradtrace.nn.fit calls w(loss) each step

    with watch(model) as w:                      # or a loop of your own
        for k in range(100):
            loss = ...; model.zero_grad(); loss.backward()
            w(loss)
            ...                                  # the update

Every `every` steps the picture shows the network view of that step's graph (boxes per module,
arrows coloured by gradient size) beside the loss so far. It is one IPython display with a
display id, updated in place (no widget library), so the saved notebook keeps the last frame;
leaving the `with` block draws the last step. Outside a notebook kernel nothing is drawn or
written.
"""

from __future__ import annotations

import html
import math
import sys
from typing import Any

from .dot import to_bytes
from .network import network


def in_notebook() -> bool:
    """Is this a Jupyter kernel? (IPython's terminal would print every frame as text.)"""
    ipython = sys.modules.get("IPython")  # never import IPython just to look
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


class Frame:
    """One frame, as IPython shows it: HTML, with a line of text for plain front ends."""

    def __init__(self, body: str, text: str) -> None:
        self.body, self.text = body, text

    def _repr_html_(self) -> str:
        return self.body

    def __repr__(self) -> str:
        return self.text


class Watch:
    """Counts the steps it is called at, keeps the losses, and redraws every `every` steps."""

    def __init__(self, model: Any, every: int = 10, size: float = 7.0) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"watch(every={every!r}): give a whole number of steps >= 1")
        self.model, self.every, self.size = model, every, size
        self.losses: list[float] = []
        self.root: Any = None
        self.handle: Any = None
        self.frames = 0  # frames drawn

    def __call__(self, loss: Any) -> None:
        """Record one step's loss node (after backward) and redraw when it is time."""
        self.root = loss
        self.losses.append(float(getattr(loss, "data", loss)))
        if len(self.losses) % self.every == 1 or self.every == 1:
            self.show()

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None and self.root is not None and (len(self.losses) - 1) % self.every:
            self.show()  # the last step, unless it was just drawn

    def show(self) -> None:
        """Draw the current step in the one display (nothing outside a notebook)."""
        if not in_notebook() or self.root is None:
            return
        from IPython.display import display

        step, loss = len(self.losses), self.losses[-1]
        frame = Frame(self.frame_html(), f"watch: step {step}, loss {loss:.4g}")
        if self.handle is None:
            self.handle = display(frame, display_id=True)
        else:
            self.handle.update(frame)
        self.frames += 1

    def frame_html(self) -> str:
        """The network view of the last step beside the loss curve so far."""
        model = self.model if hasattr(self.model, "named_modules") else None
        title = f"step {len(self.losses)}: loss {self.losses[-1]:.4g}"
        view = network(self.root, model=model, title=title, size=self.size)
        svg = to_bytes(view, "svg").decode()
        svg = svg[svg.index("<svg") :]
        return (
            '<div class="gradtrace-watch" style="display:flex;gap:1em;align-items:flex-start">'
            f"<div>{svg}</div><div>{loss_curve(self.losses)}</div></div>"
        )


def loss_curve(losses: list[float], width: int = 260, height: int = 160) -> str:
    """The loss so far as a small inline SVG line (no matplotlib: it is redrawn often)."""
    finite = [x for x in losses if math.isfinite(x)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    span = hi - lo or 1.0
    n = max(len(losses) - 1, 1)
    pad = 30
    points = " ".join(
        f"{pad + (width - pad - 5) * i / n:.1f},{5 + (height - 25) * (hi - x) / span:.1f}"
        for i, x in enumerate(losses)
        if math.isfinite(x)
    )
    label = html.escape(f"loss {losses[-1]:.4g} at step {len(losses)}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="Helvetica" font-size="11">'
        f'<rect x="{pad}" y="5" width="{width - pad - 5}" height="{height - 25}" fill="none" '
        'stroke="#757575"/>'  # style.LINE_GREY: 3:1 on white
        f'<polyline fill="none" stroke="#c62828" stroke-width="1.5" points="{points}"/>'
        f'<text x="{pad}" y="{height - 5}">{label}</text>'
        f'<text x="0" y="12">{hi:.3g}</text><text x="0" y="{height - 22}">{lo:.3g}</text>'
        "</svg>"
    )


def watch(model: Any, every: int = 10, size: float = 7.0) -> Watch:
    """A live picture of `model` training: a callback `fit` accepts (`callback=watch(m)`)
    and a context manager for a loop of your own (call it with each step's loss). `size`:
    the network view's largest side in inches."""
    return Watch(model, every, size)
