"""`backward_steps`: the backward pass one gate at a time, one picture per step.

The steps are computed by replaying backward on the local gradients each gate recorded at
forward time, in a fixed topological order (root first): step 0 seeds d root / d root = 1,
then each gate hands "local x upstream = downstream" to its inputs. The user's `grad`
attributes are never touched; each frame shows the gradients filled in so far, and a value
used twice shows its parts adding up ("1 + 1 = 2").

The frames hold still: the graph is laid out once, every node as wide as it gets in any frame,
and each frame pins its nodes there (Graphviz's neato with fixed positions), so an animation
does not jump as labels fill in. Every product and sum is written so it adds up as shown.
"""

from __future__ import annotations

import functools
import html
import io
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradtrace
import graphviz

from .circuit import PICTURE_GLYPHS, Marks, Picture
from .dot import (
    CAPTION,
    Writer,
    cell,
    dot_available,
    pin,
    size_attr,
    steady_positions,
    to_bytes,
    write_file,
)
from .flow import Flow, Wire, node_names
from .graph import as_root
from .style import (
    BLUE,
    DEFAULT_FORMAT,
    Format,
    equation,
    fmt_number,
    inline_matrix,
)


@dataclass
class Step:
    """One step: the gate processed (None for the seed) and the wires it handed gradient to,
    each with what flowed back along it (`viz.flow.Wire`: local x upstream = downstream, or
    a Tensor gate's VJP share)."""

    index: int
    gate: Any
    wires: list[Wire]
    caption: str = ""

    @property
    def products(self) -> list[tuple[Any, int, Any, Any, Any]]:
        """(input, k, local, upstream, downstream) for each wire: `wires` as plain tuples."""
        return [(w.node, w.k, w.local, w.upstream, w.down) for w in self.wires]


class BackwardSteps:
    """The frames of one backward pass: index it for a Digraph, `save` frames or a GIF."""

    def __init__(
        self,
        root: Any,
        *,
        fmt: Format = DEFAULT_FORMAT,
        rankdir: str = "LR",
        size: float | tuple[float, float] | None = None,
    ) -> None:
        self.root = root = as_root(root)
        self.fmt = fmt
        self.size = size_attr(size)  # every frame at most this big (Graphviz's size)
        self.order = gradtrace.topological_order(root)  # backward's own order, root first
        self.tensor = any(hasattr(n, "_shares") and n.parents for n in self.order)
        if not self.tensor and any(
            n.parents and getattr(n, "local_grads", None) is None for n in self.order
        ):
            raise TypeError(
                "backward_steps replays the local gradients a gate recorded (Value) or its "
                "vector-Jacobian product (gradtrace Tensor); a PyTorch tensor after backward() "
                "has lost them (use viz.trace_torch, or backward(retain_graph=True))"
            )
        self.picture = Picture(root, fmt=fmt, rankdir=rankdir, order=self.order[::-1])
        self.flow = Flow(root, order=self.order)  # the replay: what each wire hands back, once
        self.names = node_names(root)
        self._rules: dict[int, list[tuple[str, str, str]]] = {}  # Tensor gate id -> its rule lines
        self.steps = [self._seed()] + [
            self._step(i, gate) for i, gate in enumerate(self.flow.gates, start=1)
        ]
        self._positions: dict[str, tuple[float, float]] | None = None
        self._caption_width: int | None = None  # points: the widest caption, kept left

    # ------------------------------------------------------------------ the replay
    def _input_name(self, gate: Any, k: int) -> str:
        """How a caption names a gate's k-th input wire: its label, else by position
        ("input 1 (from *)", "input 2 (the number 3)"), never twice the same in a step."""
        node = gate.parents[k]
        if node.label:
            return node.label
        what = "the constant" if self.tensor else "the number"
        where = f"from {node.op}" if node.parents else f"{what} {self.num(node.data)}"
        return f"input {k + 1} ({where})"

    def product(self, local: Any, upstream: Any, down: Any) -> str:
        """ "local × upstream = downstream", with digits enough to add up as shown; for a
        Tensor gate (`local` is its rule line) "dW = δᵀ·X = [[...]]" with its numbers."""
        if isinstance(local, tuple):
            name, text, shapes = local
            return f"d{name} = {text} = {inline_matrix(down, self.fmt)}  {shapes}"
        return equation([local, upstream], "×", down, self.fmt)

    def rule_text(self, line: tuple[str, str, str]) -> str:
        """A Tensor gate's rule for one input, with its shapes: "dW = δᵀ·X  (1, 2)ᵀ·(1, 2)"."""
        name, text, shapes = line
        return f"d{name} = {text}  {shapes}"

    def local(self, w: Wire) -> Any:
        """A wire's local gradient as the captions write it: the number (Value), or the
        Tensor gate's rule line for that input (input, rule text, shapes), from its record."""
        if not self.tensor:
            return w.local
        if id(w.gate) not in self._rules:
            self._rules[id(w.gate)] = tensor_rule_lines(w.gate, w.upstream)
        return self._rules[id(w.gate)][w.k]

    def said(self, w: Wire) -> str:
        """ "x: 1 × -4 = -4": a wire's input and its product (a Tensor gate: its rule)."""
        return f"{self._input_name(w.gate, w.k)}: {self.product(self.local(w), w.upstream, w.down)}"

    def gradient_at(self, node: Any, i: int) -> Any:
        """A node's gradient after step `i`: the one part arrived (a number or an array),
        the parts added up as text ("1 + 1 = 2"; a Tensor's as their sum), or None."""
        got = [w.down for w in self.flow.arrived(node, i)]
        if not got:
            return None
        total = functools.reduce(operator.add, got)  # the order the replay adds them in
        if len(got) == 1 or self.tensor:
            return total
        return equation(got, "+", total, self.fmt)

    def gradient_text(self, node: Any, i: int) -> str | None:
        """`gradient_at` as text (a number at the pictures' format, a tensor inline)."""
        g = self.gradient_at(node, i)
        return g if g is None or isinstance(g, str) else self.num(g)

    def num(self, x: Any) -> str:
        """A number at the pictures' format; a tensor as an inline matrix (or its summary)."""
        if hasattr(x, "shape") and x.size != 1:
            return inline_matrix(x, self.fmt)
        return fmt_number(x, self.fmt)

    def _seed(self) -> Step:
        f, seed = self.names[id(self.root)], self.flow.arrived(self.root)[0].down
        ones = f"ones {seed.shape}" if hasattr(seed, "shape") and seed.size != 1 else "1"
        return Step(0, None, [], f"step 0: seed d{f}/d{f} = {ones}")

    def _step(self, index: int, gate: Any) -> Step:
        wires = [w for w in self.flow.into(gate) if w.down is not None]
        said = "; ".join(self.said(w) for w in wires)
        how = "by its rule" if self.tensor else "local × upstream = downstream"
        return Step(index, gate, wires, f"step {index}: the {gate.op} gate, {how}: {said}")

    # ------------------------------------------------------------------ pictures
    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> graphviz.Digraph:
        return self.digraph(i)

    def __iter__(self) -> Iterator[graphviz.Digraph]:
        return (self.digraph(i) for i in range(len(self)))

    def digraph(self, i: int) -> graphviz.Digraph:
        """The picture after step `i`: the gate just processed highlighted, its products
        written on its input wires, the gradients known so far below the wires. With
        Graphviz installed every frame pins its nodes to one shared layout."""
        if self._positions is None and dot_available():
            frames = [self._frame(j) for j in range(len(self))]
            skeleton = self._frame(0, caption=False)
            new = self.picture.new_digraph
            self._positions, sizes = steady_positions(new, frames, skeleton)
            if CAPTION in sizes:
                self._caption_width = int(sizes[CAPTION][0] * 72)
        w = self._frame(i, caption=self._positions is not None)
        graph = pin(w.graph, self._positions) if self._positions else w.graph
        if self.size:
            graph.attr(size=self.size)
        return graph

    def _frame(self, i: int, caption: bool = True) -> Writer:
        """Frame `i` as written, before it is pinned (its caption as a node, or none)."""
        step = self.steps[i]
        return self.picture.digraph(
            self.marks(i),
            notes=self._caption_lines(step) if caption else [],
            highlight=step.gate,
            caption_node=dot_available(),
            captioned=caption,
            caption_width=self._caption_width,
        )

    def marks(self, i: int) -> Marks:
        """What frame `i` writes under the wires: the gradients arrived so far, each
        branch's part, and under the gate at work its products (a Tensor gate: its rule and
        shapes). Every wire keeps rows for them, so frames keep the same layout."""
        step = self.steps[i]
        i = step.index  # a negative index counts from the end
        grads = {id(n): g for n in self.order if (g := self.gradient_at(n, i)) is not None}
        branches = {(id(w.gate), w.k): w.down for w in self.flow.wires() if w.step <= i}
        if self.tensor:
            blank = [cell("", size=10), cell("", size=9)]
            rows = {
                (id(w.gate), w.k): [cell(f"d{n} = {text}", BLUE, 10), cell(shapes, BLUE, 9)]
                for w in step.wires
                for n, text, shapes in [self.local(w)]
            }
        else:
            blank = [cell("", size=10)]
            rows = {
                (id(w.gate), w.k): [cell(self.product(w.local, w.upstream, w.down), BLUE, 10)]
                for w in step.wires
            }
        return Marks(grads, branches, rows, blank)

    def _caption_lines(self, step: Step) -> list[str]:
        """The caption: the gate at work and what it says about itself (a Value gate's local
        gradients, a Tensor gate's forward rule, from its record), then one product per
        line, padded to the same number of lines in every frame (its size is reserved anyway;
        this keeps its lines in place too)."""
        n = len(self) - 1
        if step.gate is None:
            lines = [f"backward, step 0 of {n}: the seed", step.caption.split(": ")[1]]
        elif self.tensor:
            rule = gradtrace.rule_of(step.gate)
            lines = [
                f"backward, step {step.index} of {n}: the {step.gate.op} gate"
                + (f" ({rule.forward})" if rule else ""),
                "its rule (δ = the gradient from above):",
            ]
        else:
            formula = getattr(step.gate.gate, "formula", "") if hasattr(step.gate, "gate") else ""
            lines = [
                f"backward, step {step.index} of {n}: the {step.gate.op} gate",
                f"its local gradients: {formula or 'as the gate recorded them'}",
                "local × upstream = downstream:",
            ]
        lines += [f"    {self.said(w)}" for w in step.wires]
        most = (2 if self.tensor else 3) + max(len(s.wires) for s in self.steps)
        return lines + [" "] * (most - len(lines))

    def svgs(self) -> list[str]:
        """Every frame as SVG text (needs Graphviz's dot)."""
        return [to_bytes(self.digraph(i), "svg").decode() for i in range(len(self))]

    def save(self, folder: str | Path, format: str = "svg") -> list[Path]:
        """Write numbered frames step_00.svg, step_01.svg, ... (or .png / .dot) to `folder`."""
        if format not in ("svg", "png", "dot"):
            raise ValueError(f"frames can be svg, png or dot, not {format!r}")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        width = max(2, len(str(len(self) - 1)))
        paths = []
        for i in range(len(self)):
            path = folder / f"step_{i:0{width}d}.{format}"
            g = self.digraph(i)
            write_file(path, g.source.encode() if format == "dot" else to_bytes(g, format))
            paths.append(path)
        return paths

    def save_gif(self, path: str | Path, seconds_per_step: float = 1.2, dpi: int = 96) -> Path:
        """An animated GIF of the frames, for slides (Pillow, which matplotlib brings)."""
        from PIL import Image

        frames = []
        for i in range(len(self)):
            g = self.digraph(i)
            g.attr(dpi=str(dpi), bgcolor="white")
            frames.append(Image.open(io.BytesIO(to_bytes(g, "png"))).convert("RGB"))
        width = max(f.width for f in frames)
        height = max(f.height for f in frames)
        padded = []
        for f in frames:
            canvas = Image.new("RGB", (width, height), "white")
            canvas.paste(f, (0, 0))
            padded.append(canvas.convert("P", palette=Image.Palette.ADAPTIVE))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        padded[0].save(
            path,
            save_all=True,
            append_images=padded[1:],
            loop=0,
            duration=int(seconds_per_step * 1000),
        )
        return path

    # ------------------------------------------------------------------ Jupyter
    def widget(self) -> Any:
        """A slider over the frames (needs ipywidgets)."""
        import ipywidgets as widgets

        svgs = self.svgs()
        out = widgets.HTML(svgs[0])
        slider = widgets.IntSlider(0, 0, len(svgs) - 1, description="step")
        slider.observe(lambda change: setattr(out, "value", svgs[change["new"]]), "value")
        return widgets.VBox([slider, out])

    def _repr_html_(self) -> str:
        """Every frame one under the other (what Jupyter shows without ipywidgets)."""
        blocks = [
            f"<div><b>{html.escape(s.caption)}</b><br/>{svg}</div>"
            for s, svg in zip(self.steps, self.svgs(), strict=True)
        ]
        return "".join(blocks)

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        try:
            display(self.widget())
        except ImportError:
            display(HTML(self._repr_html_()))


def tensor_rule_lines(gate: Any, upstream: Any, picture: bool = True) -> list[tuple[str, str, str]]:
    """(input, rule text, shapes) per input of a Tensor gate, from its record (a gate without
    a rule, a learner's own, says its VJP does it); `picture` writes ⊙ as × (the pictures'
    fonts lack ⊙)."""
    rule = gradtrace.rule_of(gate)
    if rule is None or upstream is None:
        return [(f"x{k}", "the gate's own vjp", "") for k in range(len(gate.parents))]
    xs = [p.data for p in gate.parents]
    settings = {**(gate.settings or {}), **(gate._saved or {})}
    lines = rule.lines(upstream, xs, settings)
    if not picture:
        return lines
    return [(n, t.translate(PICTURE_GLYPHS), s.translate(PICTURE_GLYPHS)) for n, t, s in lines]


def backward_steps(
    root: Any,
    *,
    fmt: Format = DEFAULT_FORMAT,
    rankdir: str = "LR",
    size: float | tuple[float, float] | None = None,
) -> BackwardSteps:
    """One picture per step of `root`'s backward pass (a seed step, then one per gate).

    `len(steps)` is the number of steps, `steps[i]` the i-th picture (a Digraph);
    `steps.save(folder)` writes numbered frames, `steps.save_gif(path)` an animation. In
    Jupyter the steps show as a slider where ipywidgets is installed, else as a list.
    `size`: the largest frame in inches, as in `draw` (about 8 fits a notebook's column)."""
    return BackwardSteps(root, fmt=fmt, rankdir=rankdir, size=size)
