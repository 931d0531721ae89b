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

import html
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradtrace
import graphviz
import numpy as np

from .circuit import PICTURE_GLYPHS, Picture
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
from .graph import as_root
from .style import BLUE, DEFAULT_FORMAT, Format, equation, fmt_number, grid_rows, summary


@dataclass
class Step:
    """One step: the gate processed (None for the seed) and what it handed to each input."""

    index: int
    gate: Any
    products: list[tuple[Any, int, float, float, float]]  # (input, k, local, upstream, down)
    grads: dict[int, float] = field(repr=False)  # running total per node id
    parts: dict[int, list[float]] = field(repr=False)  # contributions received per node id
    branch: dict[tuple[int, int, int], float] = field(repr=False)  # (input, gate, k) -> down
    caption: str = ""


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
        self.steps = list(self._replay_tensor() if self.tensor else self._replay())
        self._positions: dict[str, tuple[float, float]] | None = None
        self._caption_width: int | None = None  # points: the widest caption, kept left

    # ------------------------------------------------------------------ the replay
    def _name(self, node: Any) -> str:
        """How a caption names a node: its label, or "f" for an unlabelled root."""
        if node.label:
            return node.label
        if node is self.root:
            return "f"
        return f"({node.op})" if node.parents else self.num(node.data)

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

    def part_text(self, parts: list[Any], total: Any) -> str:
        """A gradient as received: the number, or its parts adding up ("1 + 1 = 2"); a
        tensor's total as an inline matrix."""
        if hasattr(total, "shape"):
            return inline_matrix(total, self.fmt)
        return self.num(parts[0]) if len(parts) == 1 else equation(parts, "+", total, self.fmt)

    def num(self, x: Any) -> str:
        """A number at the pictures' format; a tensor as an inline matrix (or its summary)."""
        if hasattr(x, "shape") and x.size != 1:
            return inline_matrix(x, self.fmt)
        return fmt_number(x, self.fmt)

    def _replay(self) -> Iterator[Step]:
        root = self.root
        grads: dict[int, float] = {id(root): 1.0}
        parts: dict[int, list[float]] = {id(root): [1.0]}
        branch: dict[tuple[int, int, int], float] = {}
        yield Step(
            0,
            None,
            [],
            dict(grads),
            {k: list(v) for k, v in parts.items()},
            dict(branch),
            f"step 0: seed d{self._name(root)}/d{self._name(root)} = 1",
        )
        index = 0
        for gate in self.order:
            if not gate.parents:
                continue
            index += 1
            upstream = grads.get(id(gate), 0.0)
            products = []
            for k, (parent, local) in enumerate(zip(gate.parents, gate.local_grads, strict=True)):
                down = local * upstream
                grads[id(parent)] = grads.get(id(parent), 0.0) + down
                parts.setdefault(id(parent), []).append(down)
                branch[(id(parent), id(gate), k)] = down
                products.append((parent, k, local, upstream, down))
            said = "; ".join(
                f"{self._input_name(gate, k)}: {self.product(lo, up, d)}"
                for _, k, lo, up, d in products
            )
            yield Step(
                index,
                gate,
                products,
                dict(grads),
                {k: list(v) for k, v in parts.items()},
                dict(branch),
                f"step {index}: the {gate.op} gate, local × upstream = downstream: {said}",
            )

    def _replay_tensor(self) -> Iterator[Step]:
        """The same replay for a Tensor graph: each gate hands its inputs their shares of
        δ by its VJP, and each frame writes the gate's rule (tensor_rules) with its shapes;
        a product is (input, k, rule line, δ, the share)."""
        root = self.root
        seed = np.ones_like(root.data)
        grads: dict[int, Any] = {id(root): seed}
        parts: dict[int, list[Any]] = {id(root): [seed]}
        branch: dict[tuple[int, int, int], Any] = {}
        ones = "1" if seed.size == 1 else f"ones {seed.shape}"
        name = self._name(root)
        yield Step(
            0, None, [], dict(grads), _copy(parts), {}, f"step 0: seed d{name}/d{name} = {ones}"
        )
        index = 0
        for gate in self.order:
            if not gate.parents:
                continue
            index += 1
            upstream = grads.get(id(gate))
            shares = list(gate._shares(upstream)) if upstream is not None else []
            lines = tensor_rule_lines(gate, upstream)
            products = []
            for k, parent in enumerate(gate.parents):
                if not shares or shares[0][0] is not parent:
                    continue
                down = shares.pop(0)[1]
                grads[id(parent)] = down if id(parent) not in grads else grads[id(parent)] + down
                parts.setdefault(id(parent), []).append(down)
                branch[(id(parent), id(gate), k)] = down
                products.append((parent, k, lines[k], upstream, down))
            said = "; ".join(
                f"{self._input_name(gate, p[1])}: {self.product(*p[2:])}" for p in products
            )
            yield Step(
                index,
                gate,
                products,
                dict(grads),
                _copy(parts),
                dict(branch),
                f"step {index}: the {gate.op} gate, by its rule: {said}",
            )

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
        products = {k: (lo, up, d) for _, k, lo, up, d in step.products}

        def grad_of(node: Any) -> tuple[Any, bool]:
            got = step.parts.get(id(node))
            if not got:
                return None, False
            if self.tensor:  # the total so far, drawn as a matrix
                return step.grads[id(node)], True
            if len(got) == 1:
                return got[0], True
            return equation(got, "+", step.grads[id(node)], self.fmt), True

        def branch_of(node: Any, gate: Any, k: int) -> tuple[Any, bool]:
            key = (id(node), id(gate), k)
            return (step.branch[key], True) if key in step.branch else (None, False)

        def wire_extra(node: Any, gate: Any, k: int) -> list[str]:
            # Every wire keeps a row for the product, so frames keep the same layout.
            if self.tensor:  # the gate's rule for this input and its shapes, when it runs
                if gate is step.gate and k in products:
                    name, text, shapes = products[k][0]
                    return [cell(f"d{name} = {text}", BLUE, 10), cell(shapes, BLUE, 9)]
                return [cell("", size=10), cell("", size=9)]
            if gate is step.gate and k in products:
                return [cell(self.product(*products[k]), BLUE, 10)]
            return [cell("", size=10)]

        return self.picture.digraph(
            grad_of,
            branch_of,
            notes=self._caption_lines(step) if caption else [],
            highlight=step.gate,
            wire_extra=wire_extra,
            caption_node=dot_available(),
            captioned=caption,
            caption_width=self._caption_width,
        )

    def _caption_lines(self, step: Step) -> list[str]:
        """The caption, one product per line, padded to the same number of lines in every
        frame (its size is reserved anyway; this keeps its lines in place too)."""
        n = len(self) - 1
        if step.gate is None:
            lines = [f"backward, step 0 of {n}: the seed", self.steps[0].caption.split(": ")[1]]
        else:
            rule = gradtrace.rule_of(step.gate) if self.tensor else None
            how = (
                "local × upstream = downstream:"
                if not self.tensor
                else "its rule (δ = the gradient from above):"
            )
            lines = [
                f"backward, step {step.index} of {n}: the {step.gate.op} gate"
                + (f" ({rule.forward})" if rule else ""),
                how,
            ]
            lines += [
                f"    {self._input_name(step.gate, k)}: {self.product(lo, up, d)}"
                for _, k, lo, up, d in step.products
            ]
        most = 2 + max(len(s.products) for s in self.steps)
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


def _copy(parts: dict[int, list[Any]]) -> dict[int, list[Any]]:
    return {k: list(v) for k, v in parts.items()}


def tensor_rule_lines(gate: Any, upstream: Any, picture: bool = True) -> list[tuple[str, str, str]]:
    """(input, rule text, shapes) per input of a Tensor gate, from its record (a gate without
    a rule, a learner's own, says its VJP does it); `picture` writes ⊙ as × (the pictures'
    fonts lack ⊙)."""
    rule = gradtrace.rule_of(gate)
    if rule is None or upstream is None:
        return [(f"x{k}", "the gate's own vjp", "") for k in range(len(gate.parents))]
    xs = [p.data for p in gate.parents]
    settings = {**(gate._settings or {}), **(gate._saved or {})}
    lines = rule.lines(upstream, xs, settings)
    if not picture:
        return lines
    return [(n, t.translate(PICTURE_GLYPHS), s.translate(PICTURE_GLYPHS)) for n, t, s in lines]


def inline_matrix(array: Any, fmt: Format = DEFAULT_FORMAT) -> str:
    """A tensor on one line: "[[0.1, 0.2], [0.3, 0.4]]" when small, its summary when not."""
    rows = grid_rows(array, fmt)
    if rows is None or len(rows) * len(rows[0]) == 1:
        return summary(array, fmt)
    body = ", ".join("[" + ", ".join(r) + "]" for r in rows)
    return f"[{body}]" if len(rows) > 1 else body


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
