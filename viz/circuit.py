"""`draw` and `render`: a computation graph in the style of the lecture's circuit diagrams.

Gates (+, *, max, exp, 1/x, ...) are small circles; leaves are their names; every wire carries
its forward value above it (green) and its gradient below it (red), as on the slides. A value
used by more than one gate splits at a small dot: the wire before the dot carries the total
gradient, each branch the part that came back along it ("gradients add at branches").

The picture reads only the public node interface (`data`, `grad`, `op`, `parents`, `label`,
and `local_grads` for scalars), so it works for `Value` and `Tensor` alike.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradtrace
import graphviz
import numpy as np

from .adjoints import kept_flow
from .dot import (
    CAPTION,
    FORMATS,
    HTML,
    Digraph,
    Writer,
    attributes,
    cell,
    label_text,
    left_lines,
    picture_bytes,
    size_attr,
    text_lines_label,
    tooltip_text,
    write_file,
)
from .flow import gate_of, node_names, recorded_part
from .graph import NOT_COMPUTED, as_root, consumers, grads_computed, is_tensor, nodes
from .node_words import node_words
from .style import (
    BLUE,
    DEFAULT_FORMAT,
    GREEN,
    GREY,
    HIGHLIGHT,
    RED,
    WARN,
    WARN_FILL,
    Format,
    fmt_number,
    grid_rows,
    summary,
    tensor_head,
)

WIRE = 44  # the shortest piece of wire that carries a label, in points
ROLES = {"+": "distributor", "max": "router", "*": "switcher"}
MAX_NODES = 300  # above this many nodes `draw` switches to the network view
# A node used by more than this many gate inputs is drawn again at each use, joined by its
# name, instead of splitting one wire many ways: Graphviz lays out a wire that runs past many
# ranks through a chain of hidden nodes, and 100 such wires (x + x + ... + x) took it more than
# 10 minutes; drawn at each use, 100 copies take about a second.
MAX_SPLIT = 4
LEGEND = "value above each wire, gradient below"
LEGEND_VERTICAL = "value left of each wire, gradient right"
TIGHT = {"shape": "plaintext", "margin": "0.02", "width": "0", "height": "0"}  # text, no box


# ---------------------------------------------------------------------------- labels
def wire_label(above: list[str], below: list[str], vertical: bool) -> str:
    """An HTML label that draws a piece of wire with `above` over it and `below` under it.

    The rule between the two halves is the wire itself: edges enter and leave the node at
    its middle, so the line runs straight through. `above` and `below` are padded to the
    same number of rows so the rule sits exactly in the middle."""
    # Pad each side to the other's rows, row for row in the same font size, so the rule sits
    # exactly in the middle where the edges attach.
    n = max(len(above), len(below), 1)
    outward = above[::-1]  # from the rule up
    below = list(below)
    for d in range(n):
        if d >= len(outward):
            outward.append(cell("", size=_size(below[d])))
        if d >= len(below):
            below.append(cell("", size=_size(outward[d])))
    above = outward[::-1]
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
    if not vertical:
        rows = [f"<TR><TD>{c}</TD></TR>" for c in above[:-1]]
        rows.append(
            f'<TR><TD BORDER="1" SIDES="B" CELLPADDING="2" WIDTH="{WIRE}">{above[-1]}</TD></TR>'
        )
        rows.append(f'<TR><TD BORDER="1" SIDES="T" CELLPADDING="2">{below[0]}</TD></TR>')
        rows += [f"<TR><TD>{c}</TD></TR>" for c in below[1:]]
        return HTML(f"<{table}{''.join(rows)}</TABLE>>")
    # A vertical wire (rankdir TB/BT): values on the left, gradients on the right. Both
    # halves get the same width, so the rule between them is the middle where edges attach.
    width = max(_text_width(c) for c in above + below) + 8
    left, right = _stack(above, "RIGHT"), _stack(below, "LEFT")
    return HTML(
        f'<{table}<TR><TD BORDER="1" SIDES="R" CELLPADDING="3" WIDTH="{width}" '
        f'ALIGN="RIGHT">{left}</TD><TD BORDER="1" SIDES="L" CELLPADDING="3" WIDTH="{width}" '
        f'ALIGN="LEFT">{right}</TD></TR></TABLE>>'
    )


# Glyphs the pictures' fonts lack (graphviz-pure's PNG draws a box for ⊙ and ⋆): the
# elementwise product is written ×, as NumPy's * (a matrix product is always written ·).
PICTURE_GLYPHS = str.maketrans({"⊙": "×", "⋆": "*"})


def rule_cells(gate: Any, k: int) -> list[str]:
    """Under a wire into a Tensor gate: the gate's backward rule for that input and its
    shapes ("dW = δᵀ·X", "(1, 2)ᵀ·(1, 2) = (2, 2)"), from the gate's record."""
    rule = gradtrace.rule_of(gate)
    if rule is None:
        return []
    g = np.zeros_like(gate.data)  # only its shape is read
    xs = [p.data for p in gate.parents]
    settings = {**(gate.settings or {}), **(gate._saved or {})}
    name, text, shapes = rule.lines(g, xs, settings)[k]
    text, shapes = text.translate(PICTURE_GLYPHS), shapes.translate(PICTURE_GLYPHS)
    return [cell(f"d{name} = {text}", BLUE, 10), cell(shapes, BLUE, 9)]


@dataclass(frozen=True)
class TextGrid:
    """A small tensor already written out, row by row (the page lays out its widest texts)."""

    rows: tuple[tuple[str, ...], ...]


def matrix_cell(array: Any, color: str, fmt: Format = DEFAULT_FORMAT, align: str = "CENTER") -> str:
    """A small tensor in full, row by row, between two rules (a matrix as the notes write
    it); a bigger one as its one-line summary. Numbers at `fmt` (four significant digits)."""
    rows = grid_rows(array, fmt)
    if rows is None or len(rows) * len(rows[0]) == 1:
        return cell(summary(array, fmt), color)
    return grid_cell(rows, color, align)


def grid_cell(rows: Any, color: str, align: str = "CENTER") -> str:
    """Rows of number texts as a grid between two rules (`matrix_cell`'s picture)."""
    last = len(rows[0]) - 1
    trs = []
    for row in rows:
        tds = []
        for j, text in enumerate(row):
            sides = ("L" if j == 0 else "") + ("R" if j == last else "")
            border = f' BORDER="1" SIDES="{sides}" COLOR="{color}"' if sides else ""
            tds.append(f'<TD ALIGN="RIGHT"{border}>{cell(text, color, 11)}</TD>')
        trs.append(f"<TR>{''.join(tds)}</TR>")
    # A fixed size: Graphviz stretches a table to fill a wider cell, spreading the columns;
    # fixed, the grid keeps its own width (11 pt digits are about 6.2 pt wide), put at `align`.
    width = sum(6.8 * max(len(r[j]) for r in rows) + 12 for j in range(last + 1))
    size = f'FIXEDSIZE="TRUE" WIDTH="{round(width)}" HEIGHT="{15 * len(rows)}" ALIGN="{align}"'
    table = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1" {size}>'
    return f"{table}{''.join(trs)}</TABLE>"


def _stack(cells: list[str], align: str) -> str:
    """Cells one under the other (a matrix grid is a table, which a line break cannot join)."""
    rows = "".join(f'<TR><TD ALIGN="{align}">{c}</TD></TR>' for c in cells)
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{rows}</TABLE>'


def _size(cell_html: str) -> int | None:
    """The font size a cell asks for (None: the default)."""
    m = re.search(r'POINT-SIZE="(\d+)"', cell_html)
    return int(m.group(1)) if m else None


def _text_width(cell_html: str) -> int:
    """A generous estimate of a cell's width in points (12 pt Helvetica is ~7 pt a letter);
    a matrix grid is as wide as its widest row (its numbers and the gaps between them)."""
    rows = cell_html.split("</TR>") if "<TR>" in cell_html else [cell_html]
    texts = [html.unescape(re.sub(r"<[^>]+>", "", r.replace("</TD>", "  "))) for r in rows]
    return 7 * max(len(t.strip()) for t in texts)


def picture_order(order: list[Any]) -> list[Any]:
    """The engine's order (each node after its parents) with every leaf moved to just before
    its first user, in operand order: x above y above z, as the slides draw them."""
    inner = [n for n in order if n.parents]
    if not inner:
        return list(order)
    placed: set[int] = set()
    out: list[Any] = []
    for node in inner:
        for p in node.parents:
            if not p.parents and id(p) not in placed:
                placed.add(id(p))
                out.append(p)
        out.append(node)
    return out


def shared_name(node: Any) -> str:
    """What names an unlabelled leaf drawn again at each use: its number, or a tensor's shape
    and dtype, or that its value was not saved (a bare PyTorch tensor's graph)."""
    if node.data is None:
        return "value not saved"
    return tensor_head(node) if is_tensor(node) else format(node.data, "g")


@dataclass
class Marks:
    """What one picture writes under its wires, worked out before it is written. A node or
    wire missing from a dict is not known yet (left blank). `grads`: by node id, the gradient
    on its output wire (a number, an array, None, or text already written out such as
    "1 + 1 = 2"); `branches`: by (gate id, operand), the part on each branch of a split wire;
    `extra`: rows under the wire into a gate (the frames' products), `extra_default` under
    every other wire."""

    grads: dict[int, Any] = field(default_factory=dict)
    branches: dict[tuple[int, int], Any] = field(default_factory=dict)
    extra: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    extra_default: list[str] = field(default_factory=list)


class Picture:
    """Builds one Digraph; `draw` and the backward-step frames share it."""

    def __init__(
        self,
        root: Any,
        *,
        fmt: Format = DEFAULT_FORMAT,
        rankdir: str = "LR",
        show_local: bool = False,
        show_roles: bool = False,
        title: str | None = None,
        order: list[Any] | None = None,
        check: Any = None,
    ) -> None:
        if rankdir not in ("LR", "RL", "TB", "BT"):
            raise ValueError(f"rankdir must be LR, RL, TB or BT, got {rankdir!r}")
        self.root = root
        self.fmt = fmt
        self.rankdir = rankdir
        self.vertical = rankdir in ("TB", "BT")
        self.show_local = show_local
        self.show_roles = show_roles
        self.title = title
        self.order = picture_order(order if order is not None else nodes(root))
        self.index = {id(n): i for i, n in enumerate(self.order)}
        self.users = consumers(self.order)
        self.shared: dict[int, str] = {}  # nodes drawn again at each use: their names
        self.names: dict[int, str] = {}  # names written on unlabelled nodes (a worksheet's)
        for node in self.order:
            if len(self.users[id(node)]) > MAX_SPLIT:
                name = node.op or shared_name(node)
                tag = node.label or f"({name}) #{len(self.shared) + 1}"
                self.shared[id(node)] = tag
        # check_gates' findings by gate and input: drawn in the warning colour
        self.wrong = {(id(f.node), f.input): f for f in (check or ())}

    # Ports where a wire enters and leaves its label node (the middle of its two sides).
    @property
    def ports(self) -> tuple[str, str]:
        return {"LR": ("w", "e"), "RL": ("e", "w"), "TB": ("n", "s"), "BT": ("s", "n")}[
            self.rankdir
        ]

    def num(self, x: float) -> str:
        return fmt_number(x, self.fmt)

    def value_text(self, node: Any) -> list[str]:
        if node.data is None:  # a PyTorch graph drawn from a bare tensor: not saved by torch
            return [cell("value not saved", GREY, 10)]
        if is_tensor(node):
            grid = matrix_cell(node.data, GREEN, self.fmt, "RIGHT" if self.vertical else "CENTER")
            return [cell(tensor_head(node), GREY, 10), grid]
        return [cell(self.num(node.data), GREEN)]

    def grad_text(self, node: Any, grad: Any, known: bool) -> list[str]:
        if not known:
            return [cell("")]
        if isinstance(grad, str):  # already written out, e.g. "1 + 1 = 2" in the steps
            return [cell(grad, RED)]
        if isinstance(grad, TextGrid):  # a small tensor already written out, row by row
            return [grid_cell(grad.rows, RED, "LEFT" if self.vertical else "CENTER")]
        if grad is None:
            if getattr(node, "requires_grad", True) is False:
                hint = "no grad (requires_grad=False)"
            elif node.parents:
                hint = "grad not kept (retain_grad())"
            else:
                hint = "grad None"
            return [cell(hint, GREY, 10)]
        if is_tensor(node) or hasattr(grad, "shape"):
            return [matrix_cell(grad, RED, self.fmt, "LEFT" if self.vertical else "CENTER")]
        return [cell(self.num(grad), RED)]

    def local_text(self, gate: Any, k: int) -> list[str]:
        locals_ = getattr(gate, "local_grads", None)
        if not self.show_local:
            return []
        if not locals_:  # a Tensor gate: its rule for this input, as the lecture writes it
            return rule_cells(gate, k)
        return [cell(f"local {self.num(locals_[k])}", BLUE, 10)]

    def check_text(self, gate: Any, k: int) -> list[str]:
        """Under a wire into a gate check_gates found wrong: both numbers, in the warning colour."""
        f = self.wrong.get((id(gate), k))
        if f is None:
            return []
        words = getattr(f, "words", ("backward", "≠ numeric"))  # check_engine: yours, right
        return [
            cell(f"{words[0]} {self.num(f.analytic)} {words[1]} {self.num(f.numeric)}", WARN, 10)
        ]

    # -------------------------------------------------------------------------- building
    def new_digraph(self) -> graphviz.Digraph:
        """An empty Digraph with the picture's look (fonts, spacing, straight wires)."""
        g = Digraph("gradtrace", engine="dot")
        g.attr(
            rankdir=self.rankdir,
            nodesep="0.15",
            ranksep="0.25",
            fontname="Helvetica",
            splines="line",
            ordering="in",
        )
        g.attr("node", fontname="Helvetica", fontsize="12")
        g.attr("edge", penwidth="1", arrowsize="0.7", color="black")
        return g

    def digraph(
        self,
        marks: Marks,
        *,
        notes: list[str] | None = None,
        highlight: Any = None,
        caption_node: bool = False,
        captioned: bool = True,
        caption_width: int | None = None,
    ) -> Writer:
        """The picture, in a Writer (its `.graph` is the Digraph, `.nodes` every node's
        attributes), with the numbers `marks` holds under its wires. The title and `notes` go
        on top, as the graph's label or (`caption_node`) as a node of its own;
        `captioned=False` leaves them out. `highlight` is the gate at work (filled)."""
        w = Writer(self.new_digraph())
        if captioned:
            self._caption(w, notes or [], caption_node, caption_width)
        feeds: dict[tuple[int, int], str] = {}  # (gate, operand) -> the wire that feeds it
        for i, node in enumerate(self.order):
            if node.parents:
                self._gate(w, i, node, highlight, feeds)
            else:
                w.node(f"n{i}", label=node.label or self.names.get(id(node), ""), **TIGHT)
            self._output(w, i, node, marks, feeds)
        return w

    def _caption(self, w: Writer, notes: list[str], as_node: bool, width: int | None) -> None:
        """The title and notes above the picture (and a word on nodes drawn at each use)."""
        lines = ([self.title] if self.title else []) + notes
        if self.shared:
            names = ", ".join(list(self.shared.values())[:3]) + ", …" * (len(self.shared) > 3)
            lines.append(
                f"{names}: used more than {MAX_SPLIT} times, so drawn again at each use "
                "(gradient of that use below); the total is on its own wire"
            )
        if lines and as_node:
            w.node(CAPTION, label=text_lines_label(lines, width=width), shape="plain")
        elif lines:
            w.graph.attr(label=left_lines(lines), labelloc="t", fontsize="12")

    def _gate(self, w: Writer, i: int, node: Any, highlight: Any, feeds: dict) -> None:
        """A gate's circle (its role under it, filled when at work or found wrong) and its
        in-edges in operand order (with ordering=in: x above y, as on the slides)."""
        attrs = {
            "shape": "circle",
            "label": node.op or "?",
            "fontsize": "12" if len(node.op) <= 4 else "9",
            "margin": "0.02",
            "width": "0.35",
            "fixedsize": "false",
        }
        name, folded = gate_of(node)  # the gate record: a folded number has no role
        if self.show_roles and name in ROLES and folded is None:
            role = cell(ROLES[name], GREY, 8, italic=True)
            attrs["label"] = HTML(f"<{label_text(node.op)}<BR/>{role}>")
        if highlight is node:
            attrs.update(style="filled", fillcolor=HIGHLIGHT, penwidth="2")
        wrong = [k for k in range(len(node.parents)) if (id(node), k) in self.wrong]
        if wrong:
            attrs.update(style="filled", fillcolor=WARN_FILL, color=WARN, penwidth="2")
        w.node(f"n{i}", **attrs)
        for k in range(len(node.parents)):
            edge = {"color": WARN, "penwidth": "2"} if k in wrong else {}
            w.edge(feeds.pop((id(node), k)), f"n{i}", **edge)

    def _under(self, gate: Any, k: int, marks: Marks) -> list[str]:
        """The rows under the wire into `gate` at operand `k`, below its gradient."""
        extra = marks.extra.get((id(gate), k), marks.extra_default)
        return self.local_text(gate, k) + self.check_text(gate, k) + extra

    def _output(self, w: Writer, i: int, node: Any, marks: Marks, feeds: dict) -> None:
        """A node's output wire: value above, gradient (the total) below; it feeds its one
        user, or splits into branches."""
        into, out = self.ports
        above = []
        tag = self.shared.get(id(node))
        name = tag or node.label or self.names.get(id(node))
        if node.parents and name:
            above.append(cell(name, GREY, 10, italic=True))
        above += self.value_text(node)
        known = id(node) in marks.grads
        below = self.grad_text(node, marks.grads.get(id(node)), known)
        users = self.users[id(node)]
        if len(users) == 1:
            below += self._under(*users[0], marks)
        w.node(f"w{i}", label=wire_label(above, below, self.vertical), shape="plain")
        w.edge(f"n{i}", f"w{i}:{into}", arrowhead="none")
        if node is self.root:
            w.node("out", label="", shape="plaintext", width="0", height="0")
            w.edge(f"w{i}:{out}", "out")
        if len(users) == 1:
            gate, k = users[0]
            feeds[(id(gate), k)] = f"w{i}:{out}"
        elif users:
            self._branches(w, i, node, marks, feeds)

    def _branches(self, w: Writer, i: int, node: Any, marks: Marks, feeds: dict) -> None:
        """A wire used by several gates splits at a dot, each branch carrying the gradient
        that came back along it; a node used many times ends at a note and is named again at
        each use."""
        into, out = self.ports
        users = self.users[id(node)]
        tag = self.shared.get(id(node))
        if tag is None:
            w.node(f"b{i}", shape="point", width="0.06")
        else:
            note = cell(f"used {len(users)} times", GREY, 9, italic=True)
            w.node(f"b{i}", label=HTML(f"<{note}>"), **TIGHT)
        w.edge(f"w{i}:{out}", f"b{i}", arrowhead="none")
        for j, (gate, k) in enumerate(users):
            key = (id(gate), k)
            below = self.grad_text(node, marks.branches.get(key), key in marks.branches)
            below += self._under(gate, k, marks)
            bid = f"w{i}_{j}"
            w.node(
                bid, label=wire_label(self.value_text(node), below, self.vertical), shape="plain"
            )
            if tag is None:
                w.edge(f"b{i}", f"{bid}:{into}", arrowhead="none")
            else:
                ref = cell(tag, GREY if node.parents else "black", 12, italic=True)
                w.node(f"r{i}_{j}", label=HTML(f"<{ref}>"), **TIGHT)
                w.edge(f"r{i}_{j}", f"{bid}:{into}", arrowhead="none")
            feeds[key] = f"{bid}:{out}"


def draw(
    root: Any,
    *,
    fmt: Format = DEFAULT_FORMAT,
    rankdir: str = "LR",
    show_local: bool = False,
    show_roles: bool = False,
    title: str | None = None,
    max_nodes: int | None = MAX_NODES,
    model: Any = None,
    check: Any = None,
    size: float | tuple[float, float] | None = None,
    legend: bool = True,
) -> graphviz.Digraph:
    """The computation graph of `root` in the lecture's style, as a `graphviz.Digraph`.

    Forward values are written above each wire in green and gradients below it in red;
    gates are circles. `fmt` is a format spec (".4g", ".2f") or a function of a float;
    `rankdir` is LR (the slides), RL, TB or BT; `show_local` adds each gate's local gradient
    under its input wires (blue); `show_roles` names the gate patterns (add: distributor,
    max: router, mul: switcher). Before `backward()` (every grad 0, or None for Tensors) only
    values are drawn, with a note. Graphs with more than `max_nodes` nodes are drawn as the
    network view instead (grouped by module when `model` is given); `max_nodes=None` never
    switches. `check` is a `gradtrace.check_gates` report (or True to run it): a gate it
    found wrong is drawn in a warning colour, with backward's and the numeric value under
    each wrong input wire. `size` is the largest picture in inches, a width or (width,
    height): a bigger one is scaled down to fit (a notebook's column is about 8 inches wide).
    `legend` writes on top where values and gradients are, so colour is not the only cue.
    A `gradtrace.check_engine` report draws the learner's graph of its first failing probe
    (`report.draw()`)."""
    if isinstance(root, gradtrace.EngineReport):
        titled = {"title": title} if title is not None else {}
        return root.draw(fmt=fmt, rankdir=rankdir, show_local=show_local, size=size, **titled)
    root = as_root(root)
    fit = size_attr(size)
    order = nodes(root)
    if check is True:
        check = gradtrace.check_gates(root)
    check_notes = [] if check is None or check is False else [check.headline()]
    if max_nodes is not None and len(order) > max_nodes:
        return _network_instead(root, order, max_nodes, model, check_notes, size)
    pic = Picture(
        root,
        fmt=fmt,
        rankdir=rankdir,
        show_local=show_local,
        show_roles=show_roles,
        title=title,
        order=order,
        check=check or None,  # False, None, or a report that found nothing
    )
    known = grads_computed(order)
    notes = ([] if known else [NOT_COMPUTED]) + check_notes
    if legend:  # colour is never the only cue: the picture says where values and gradients are
        notes.append(LEGEND_VERTICAL if rankdir in ("TB", "BT") else LEGEND)
    marks = recorded_marks(root, order) if known else Marks()
    w = pic.digraph(marks, notes=notes)
    _say_nodes(w, pic, marks, node_names(root))
    graph = w.graph
    if fit:
        graph.attr(size=fit)
    return graph


_OWNED = re.compile(r"[nw](\d+)(?:_\d+)?")  # n3 the gate (or name), w3 its wire, w3_1 a branch


def _say_nodes(w: Writer, pic: Picture, marks: Marks, names: dict[int, str]) -> None:
    """Give every node's shapes a tooltip saying the node in words (`node_words`), which the
    SVG also gives as their <title> (`dot.to_bytes`), so a screen reader reads no ids."""
    for k, line in enumerate(w.graph.body):
        m = _OWNED.match(line[1:]) if line.startswith("\t") else None
        if m is None or line != f"\t{m.group(0)}{w.nodes.get(m.group(0))}\n":
            continue  # not a node statement of a node of the graph (an edge, the caption)
        node = pic.order[int(m.group(1))]
        said = node_words(node, marks.grads.get(id(node)), pic.fmt, lambda n: names[id(n)])
        tip = attributes({"tooltip": tooltip_text(said)})[2:-1]  # ' [tooltip=...]' -> inside
        w.graph.body[k] = line[:-2] + f" {tip}]\n" if line.endswith("]\n") else line


def _network_instead(
    root: Any, order: list[Any], max_nodes: int, model: Any, check_notes: list[str], size: Any
) -> graphviz.Digraph:
    """The network view of a graph too big to draw node by node, saying why."""
    from .network import network

    note = (
        f"{len(order)} nodes (more than max_nodes={max_nodes}): network view; "
        "draw(..., max_nodes=None) draws every node"
    )
    if check_notes:
        note += f"; {check_notes[0]} The network view does not mark gates: print the report"
    return network(root, model=model, note=note, order=order, size=size)


def recorded_marks(root: Any, order: list[Any]) -> Marks:
    """What backward left on a graph (`order` inputs first): each node's `.grad` under its
    wire and, on each branch, the part that came back along it (`viz.flow`). A Tensor graph
    keeps no local gradients and drops inner gradients: those come from the viewer's own
    replay of the gate VJPs (`viz.adjoints.kept_flow`)."""
    kept = kept_flow(root)  # every inner Tensor's gradient and VJP share (None for Values)
    grads = {id(n): n.grad for n in order}
    branches = {}
    for gate in (n for n in order if n.parents):
        for k in range(len(gate.parents)):
            part = recorded_part(gate, k)
            if part is None and kept is not None:
                part = kept.wire(gate, k).down
            if part is not None:
                branches[(id(gate), k)] = part
    if kept is not None:
        grads.update({i: kept.grad[i] for i, g in grads.items() if g is None and i in kept.grad})
    return Marks(grads, branches)


def render(
    root: Any, path: str | Path, *, timeout: float | None = None, **draw_options: Any
) -> Path:
    """Draw `root` (a node, or a Digraph already drawn) and write it to `path`.

    The suffix chooses the format: .svg, .png, .pdf, or .dot/.gv (the DOT text, which needs no
    Graphviz install). Graphviz gets `timeout` seconds (dot.TIMEOUT by default). Returns the
    path written; a failure leaves what was there. `draw_options` go to `draw`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"render: cannot write {path.name!r}: the suffix must be one of " + ", ".join(FORMATS)
        )
    graph = root if isinstance(root, graphviz.Digraph) else draw(root, **draw_options)
    data = picture_bytes(graph, suffix, timeout)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_file(path, data)
