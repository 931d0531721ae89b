"""How every picture writes numbers, and the lecture's colours: one number format for the still
pictures, the backward frames and the network view.

`equation` writes "a × b = c" or "a + b = c" so that it adds up as shown: the terms get as
many digits as the result needs (2.000 × 0.197 = 0.394, never 2.00 × 0.20 = 0.39), and where
no number of digits makes it exact, the sign is "≈".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

GREEN = "#2e7d32"  # forward values (the lecture's green)
RED = "#c62828"  # gradients (the lecture's red)
BLUE = "#1565c0"  # local gradients and products
GREY = "#757575"
HIGHLIGHT = "#ffe082"
WARN = "#d50000"  # a gate whose recorded derivative check_gates found wrong
WARN_FILL = "#ffcdd2"

# The network view's gradient scale, small to large: viridis from its middle (t = 0.5) to its
# dark end (t = 0), so that it stays readable to the colour-blind (one lightness order, checked
# under a simulated deuteranopia) and every arrow keeps 3:1 against white; thickness grows with
# it too, so colour is never the only cue.
SCALE = ["#1f9e89", "#26828e", "#31688e", "#3e4989", "#482878", "#440154"]
LINE_GREY = "#757575"  # lines, borders and dashed arrows: 4.6:1 on white
PANEL = "#f5f5f5"  # a box's background (black text on it 19:1)
HISTOGRAM = "#3e4989"  # gradient histogram bars (viridis, as the scale)

# Every colour the pictures and the page use, by what it is drawn as. tests/test_colours.py
# finds every colour written in viz/ and checks it is here and meets WCAG 2.1 AA on white:
# "text" 4.5:1, "graphic" (lines, arrows, outlines) 3:1; a "fill" sits behind black text
# (4.5:1) and always comes with a 3:1 outline or a word, never alone; "decoration" is a
# separator no meaning depends on (WCAG 1.4.11 asks nothing of it); "background" is white.
PALETTE = {
    GREEN: "text",
    RED: "text",
    BLUE: "text",
    GREY: "text",
    WARN: "text",
    "#212121": "text",
    "#424242": "text",
    "#616161": "text",
    "black": "text",
    "#000000": "text",
    LINE_GREY: "graphic",
    **{c: "graphic" for c in SCALE},
    HISTOGRAM: "graphic",
    HIGHLIGHT: "fill",
    WARN_FILL: "fill",
    PANEL: "fill",
    "#e0e0e0": "decoration",
    "#ffffff": "background",
    "#fff": "background",
    "white": "background",
}


def _linear(hex_colour: str) -> tuple[float, float, float]:
    """sRGB '#rrggbb' (or a name in NAMED) as linear-light RGB in [0, 1]."""
    h = NAMED.get(hex_colour.lower(), hex_colour.lower())
    if len(h) == 4:
        h = "#" + "".join(c * 2 for c in h[1:])
    rgb = [int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return tuple(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)


NAMED = {"black": "#000000", "white": "#ffffff"}


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a colour."""
    r, g, b = _linear(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def ink_on(background: str) -> str:
    """Black or white: whichever reads better on `background`."""
    return "black" if contrast("black", background) >= contrast("white", background) else "white"


Format = str | Callable[[float], str]
DEFAULT_FORMAT = ".4g"
MORE_DIGITS = 4  # how many digits `equation` may add before it says "≈"


def fmt_number(x: float, fmt: Format = DEFAULT_FORMAT) -> str:
    """A number as the pictures print it ("-0" becomes "0")."""
    if callable(fmt):
        return fmt(x)
    s = format(float(x), fmt)
    if s.startswith("-") and not any(c in s for c in "123456789"):
        s = s[1:]
    return s


def summary(array: Any, fmt: Format = DEFAULT_FORMAT) -> str:
    """A short summary of an array: its values (up to 4), or its first three and its norm."""
    import numpy as np

    a = np.asarray(array)
    flat = a.reshape(-1)
    if flat.size == 1:
        return fmt_number(flat[0], fmt)
    first = ", ".join(fmt_number(v, fmt) for v in flat[:3])
    if flat.size <= 4:
        return "[" + ", ".join(fmt_number(v, fmt) for v in flat) + "]"
    norm = float(np.sqrt(np.sum(np.square(flat.astype(np.float64)))))
    return f"[{first}, …] norm {fmt_number(norm, fmt)}"


def tensor_head(node: Any) -> str:
    """Shape and dtype of a Tensor node, e.g. "(3, 4) float64"."""
    shape = tuple(node.data.shape)
    return f"{shape} {node.data.dtype}"


_PRECISION = re.compile(r"(.*\.)(\d+)([eEfFgG%]?)\Z")


def _finer(fmt: Format, extra: int) -> Format | None:
    """`fmt` with `extra` more digits (".2f" -> ".4f"), or None if it has no precision."""
    if callable(fmt):
        return None
    m = _PRECISION.match(fmt)
    if m is None:
        return None
    return f"{m.group(1)}{int(m.group(2)) + extra}{m.group(3)}"


def _reads(text: str) -> float | None:
    try:
        return float(text.rstrip("%"))
    except ValueError:
        return None


def equation(terms: Sequence[float], op: str, result: float, fmt: Format = DEFAULT_FORMAT) -> str:
    """ "t0 op t1 ... = result" (op is "×" or "+") that adds up as printed: the numbers get
    more digits until the printed terms give the printed result, else the sign is "≈"."""
    combine = math.prod if op == "×" else math.fsum
    for extra in range(MORE_DIGITS + 1):
        f = fmt if extra == 0 else _finer(fmt, extra)
        if f is None:
            break
        shown = [fmt_number(t, f) for t in terms]
        got = fmt_number(result, f)
        numbers = [_reads(s) for s in shown]
        if None in numbers:
            break
        if fmt_number(combine(numbers), f) == got:
            return f" {op} ".join(shown) + f" = {got}"
    shown = [fmt_number(t, fmt) for t in terms]
    return f" {op} ".join(shown) + f" ≈ {fmt_number(result, fmt)}"


# ------------------------------------------------------------------ small tensors in full
MAX_SIDE = 6  # a matrix of at most 6 x 6 elements is written in full, as a grid
MAX_VECTOR = 12  # and a vector of at most 12


def as_grid(array: Any) -> Any:
    """`array` as the 2-D grid it is drawn as (rows of numbers), or None when it is too big
    to show in full: a matrix up to 6 x 6, a vector up to 12 (one row), a number; leading
    axes of size 1 are dropped first, so a (1, 1, 3, 3) image shows as its 3 x 3."""
    import numpy as np

    a = np.asarray(array)
    while a.ndim > 2 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1) if a.size <= MAX_VECTOR else None
    if a.ndim == 2 and a.shape[0] <= MAX_SIDE and a.shape[1] <= MAX_SIDE:
        return a
    return None


def grid_rows(array: Any, fmt: Format = DEFAULT_FORMAT) -> list[list[str]] | None:
    """The numbers of a small tensor as text, row by row (None when it is too big)."""
    grid = as_grid(array)
    if grid is None:
        return None
    return [[fmt_number(v, fmt) for v in row] for row in grid]


def matrix_text(array: Any, fmt: Format = DEFAULT_FORMAT) -> list[str]:
    """A small tensor as aligned text rows ("[ 0.1385  -0.0381 ]"), or its one-line summary
    when it is too big to show in full."""
    rows = grid_rows(array, fmt)
    if rows is None:
        return [summary(array, fmt)]
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    return [
        "[ " + "  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) + " ]" for r in rows
    ]


def matrix_tex(array: Any, fmt: Format = DEFAULT_FORMAT) -> str:
    """A small tensor as a LaTeX bmatrix (a vector as one row), or its summary as \\text{}."""
    rows = grid_rows(array, fmt)
    if rows is None:
        text = summary(array, fmt).replace("…", "\\ldots")
        return "\\text{" + text + "}"
    body = " \\\\ ".join(" & ".join(r) for r in rows)
    return "\\begin{bmatrix} " + body + " \\end{bmatrix}"


def shape_text(shape: Sequence[int]) -> str:
    """A shape as the lecture writes it: (2, 2), (2,), ()."""
    shape = tuple(int(n) for n in shape)
    return str(shape)


def inline_matrix(array: Any, fmt: Format = DEFAULT_FORMAT) -> str:
    """A tensor on one line: "[[0.1, 0.2], [0.3, 0.4]]" when small, its summary when not."""
    rows = grid_rows(array, fmt)
    if rows is None or len(rows) * len(rows[0]) == 1:
        return summary(array, fmt)
    body = ", ".join("[" + ", ".join(r) + "]" for r in rows)
    return f"[{body}]" if len(rows) > 1 else body
