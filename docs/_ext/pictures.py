"""The pictures the documentation shows, drawn by gradtrace itself.

`python docs/_ext/pictures.py` redraws the committed ones (docs/images/, shown by README.md
on GitHub too); the docs build calls `explorer_pages` for the pages it embeds."""

from __future__ import annotations

from pathlib import Path

from gradtrace import Value

IMAGES = Path(__file__).resolve().parents[1] / "images"


def xyz() -> Value:
    """(x + y) z at (-2, 5, -4), the lecture's first example, after backward."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    return f


def sigmoid_neuron() -> Value:
    """The lecture's sigmoid neuron, gate by gate, after backward."""
    w0, w1, w2 = Value(2.0, "w0"), Value(-3.0, "w1"), Value(-3.0, "w2")
    x0, x1 = Value(-1.0, "x0"), Value(-2.0, "x1")
    s = ((-(w0 * x0 + w1 * x1 + w2)).exp() + 1).reciprocal()
    s.backward()
    return s


def explorer_pages(folder: Path) -> list[Path]:
    """The two lecture examples as explorer pages."""
    from gradtrace.viz import to_html

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    examples = (
        ("xyz", xyz, "f = (x + y) z"),
        ("sigmoid_neuron", sigmoid_neuron, "f(w, x) = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))"),
    )
    for name, root, title in examples:
        made.append(to_html(root(), folder / f"{name}.html", title=title))
    return made


def committed() -> None:
    """docs/images/: the first look (README and Getting started)."""
    from gradtrace.viz import render

    render(xyz(), IMAGES / "first-look.svg", title="f = (x + y) z")


if __name__ == "__main__":
    committed()
