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
import shutil
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import graphviz

GREEN = "#2e7d32"  # forward values (the lecture's green)
RED = "#c62828"  # gradients (the lecture's red)
BLUE = "#1565c0"  # local gradients
GREY = "#757575"
HIGHLIGHT = "#ffe082"
WIRE = 44  # the shortest piece of wire that carries a label, in points

ROLES = {"+": "distributor", "max": "router", "*": "switcher"}
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}
MAX_NODES = 300  # above this many nodes `draw` switches to the network view

NOT_COMPUTED = "gradients not computed yet: call backward() first"
Format = str | Callable[[float], str]


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is needed to lay out a picture but is not installed."""


# ---------------------------------------------------------------------------- graph walk
def walk(root: Any) -> list[Any]:
    """Every node `root` depends on, each after its parents, in a fixed order (operand order).

    The engine's order serves backward (inner nodes first, leaves collected apart); a picture
    wants every node right after its parents in operand order, the same on every run, so that
    the DOT text (and the node ids n0, n1, ...) is reproducible. Iterative, so deep chains are
    fine."""
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent in reversed(node.parents):
            if id(parent) not in seen:
                stack.append((parent, False))
    return order


def consumers(order: list[Any]) -> dict[int, list[tuple[Any, int]]]:
    """For each node (by id), the (gate, operand position) pairs that use it, in order."""
    users: dict[int, list[tuple[Any, int]]] = {id(n): [] for n in order}
    for node in order:
        for k, parent in enumerate(node.parents):
            users[id(parent)].append((node, k))
    return users


def is_tensor(node: Any) -> bool:
    """A Tensor-like node: its data is an array with a shape (duck-typed, no import)."""
    return hasattr(node.data, "shape") and hasattr(node.data, "dtype")


def grads_computed(order: list[Any]) -> bool:
    """Has a backward pass filled these gradients in?

    The engine keeps no "backward has run" flag, so the rule is: a Value graph has gradients
    when any node's grad is non-zero (backward sets the root's grad to 1, so after a pass at
    least the root is non-zero); a Tensor graph has them when any grad is not None."""
    for node in order:
        g = node.grad
        if g is None:
            continue
        if is_tensor(node) or hasattr(g, "shape"):
            return True
        if g != 0:
            return True
    return False


# ---------------------------------------------------------------------------- numbers
def fmt_number(x: float, fmt: Format = ".4g") -> str:
    """A number as the picture prints it ("-0" becomes "0")."""
    if callable(fmt):
        return fmt(x)
    s = format(float(x), fmt)
    if s.startswith("-") and not any(c in s for c in "123456789"):
        s = s[1:]
    return s


def summary(array: Any, fmt: Format = ".3g") -> str:
    """A short summary of an array: its first values (up to 4), or its first values and norm."""
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


# ---------------------------------------------------------------------------- labels
def cell(text: str, color: str = "black", size: int | None = None, italic: bool = False) -> str:
    """The inside of one table cell, escaped for a Graphviz HTML label."""
    body = html.escape(text) if text else " "
    if italic and text:
        body = f"<I>{body}</I>"
    size_attr = f' POINT-SIZE="{size}"' if size else ""
    return f'<FONT COLOR="{color}"{size_attr}>{body}</FONT>'


def wire_label(above: list[str], below: list[str], vertical: bool) -> str:
    """An HTML label that draws a piece of wire with `above` over it and `below` under it.

    The rule between the two halves is the wire itself: edges enter and leave the node at
    its middle, so the line runs straight through. `above` and `below` are padded to the
    same number of rows so the rule sits exactly in the middle."""
    n = max(len(above), len(below), 1)
    above = [cell("")] * (n - len(above)) + above
    below = below + [cell("")] * (n - len(below))
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
    if not vertical:
        rows = [f"<TR><TD>{c}</TD></TR>" for c in above[:-1]]
        rows.append(
            f'<TR><TD BORDER="1" SIDES="B" CELLPADDING="2" WIDTH="{WIRE}">{above[-1]}</TD></TR>'
        )
        rows.append(f'<TR><TD BORDER="1" SIDES="T" CELLPADDING="2">{below[0]}</TD></TR>')
        rows += [f"<TR><TD>{c}</TD></TR>" for c in below[1:]]
        return f"<{table}{''.join(rows)}</TABLE>>"
    # A vertical wire (rankdir TB/BT): values on the left, gradients on the right. Both
    # halves get the same width, so the rule between them is the middle where edges attach.
    width = max(_text_width(c) for c in above + below) + 8
    left = "<BR/>".join(above)
    right = "<BR/>".join(below)
    return (
        f'<{table}<TR><TD BORDER="1" SIDES="R" CELLPADDING="3" WIDTH="{width}" '
        f'ALIGN="RIGHT">{left}</TD><TD BORDER="1" SIDES="L" CELLPADDING="3" WIDTH="{width}" '
        f'ALIGN="LEFT">{right}</TD></TR></TABLE>>'
    )


def _text_width(cell_html: str) -> int:
    """A generous estimate of a cell's width in points (12 pt Helvetica is ~7 pt a letter)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", cell_html))
    return 7 * len(text.strip())


class Picture:
    """Builds one Digraph; `draw` and the backward-step frames share it."""

    def __init__(
        self,
        root: Any,
        *,
        fmt: Format = ".4g",
        rankdir: str = "LR",
        show_local: bool = False,
        show_roles: bool = False,
        title: str | None = None,
        order: list[Any] | None = None,
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
        self.order = order if order is not None else walk(root)
        self.index = {id(n): i for i, n in enumerate(self.order)}
        self.users = consumers(self.order)
        self.tensor = any(is_tensor(n) for n in self.order)

    # Ports where a wire enters and leaves its label node (the middle of its two sides).
    @property
    def ports(self) -> tuple[str, str]:
        return {"LR": ("w", "e"), "RL": ("e", "w"), "TB": ("n", "s"), "BT": ("s", "n")}[
            self.rankdir
        ]

    def num(self, x: float) -> str:
        return fmt_number(x, self.fmt)

    def value_text(self, node: Any) -> list[str]:
        if is_tensor(node):
            return [cell(tensor_head(node), GREY, 10), cell(summary(node.data), GREEN)]
        return [cell(self.num(node.data), GREEN)]

    def grad_text(self, node: Any, grad: Any, known: bool) -> list[str]:
        if not known:
            return [cell("")]
        if isinstance(grad, str):  # already written out, e.g. "1 + 1 = 2" in the steps
            return [cell(grad, RED)]
        if grad is None:
            if getattr(node, "requires_grad", True) is False:
                hint = "no grad (requires_grad=False)"
            elif node.parents:
                hint = "grad not kept (retain_grad())"
            else:
                hint = "grad None"
            return [cell(hint, GREY, 10)]
        if is_tensor(node) or hasattr(grad, "shape"):
            return [cell(summary(grad), RED)]
        return [cell(self.num(grad), RED)]

    def local_text(self, gate: Any, k: int) -> list[str]:
        locals_ = getattr(gate, "local_grads", None)
        if not self.show_local or not locals_:
            return []
        return [cell(f"local {self.num(locals_[k])}", BLUE, 10)]

    # -------------------------------------------------------------------------- building
    def digraph(
        self,
        grad_of: Callable[[Any], tuple[Any, bool]],
        branch_of: Callable[[Any, Any, int], tuple[Any, bool]],
        *,
        notes: list[str] | None = None,
        highlight: Any = None,
        wire_extra: Callable[[Any, Any, int], list[str]] | None = None,
    ) -> graphviz.Digraph:
        """The picture. `grad_of(node)` gives (gradient to print, known?) for a node's wire;
        `branch_of(node, gate, k)` gives the same for one branch of a split wire;
        `wire_extra(node, gate, k)` adds rows under a wire into `gate` (the step products)."""
        g = graphviz.Digraph("gradtrace", engine="dot")
        g.attr(
            rankdir=self.rankdir,
            nodesep="0.15",
            ranksep="0.25",
            fontname="Helvetica",
            splines="line",
        )
        g.attr("node", fontname="Helvetica", fontsize="12")
        g.attr("edge", penwidth="1", arrowsize="0.7", color="black")
        lines = [self.title] if self.title else []
        lines += notes or []
        if lines:
            # "\l" ends a left-justified line in DOT
            g.attr(label="".join(line + "\\l" for line in lines), labelloc="t", fontsize="12")
        into, out = self.ports
        add_node, add_edge = fast_writers(g)
        for i, node in enumerate(self.order):
            nid = f"n{i}"
            if node.parents:
                attrs = {
                    "shape": "circle",
                    "label": node.op or "?",
                    "fontsize": "12" if len(node.op) <= 4 else "9",
                    "margin": "0.02",
                    "width": "0.35",
                    "fixedsize": "false",
                }
                if self.show_roles and node.op in ROLES:
                    role = cell(ROLES[node.op], GREY, 8, italic=True)
                    attrs["label"] = f"<{html.escape(node.op)}<BR/>{role}>"
                if highlight is node:
                    attrs.update(style="filled", fillcolor=HIGHLIGHT, penwidth="2")
                add_node(nid, **attrs)
            else:
                label = node.label or ""
                add_node(nid, label=label, shape="plaintext", margin="0.02", width="0", height="0")
            # The node's output wire: value above, gradient (total) below.
            above = []
            if node.parents and node.label:
                above.append(cell(node.label, GREY, 10, italic=True))
            above += self.value_text(node)
            grad, known = grad_of(node)
            below = self.grad_text(node, grad, known)
            users = self.users[id(node)]
            if len(users) == 1:
                gate, k = users[0]
                below += self.local_text(gate, k)
                if wire_extra:
                    below += wire_extra(node, gate, k)
            add_node(f"w{i}", label=wire_label(above, below, self.vertical), shape="plain")
            add_edge(f"{nid}", f"w{i}:{into}", arrowhead="none")
            if node is self.root:
                add_node("out", label="", shape="plaintext", width="0", height="0")
                add_edge(f"w{i}:{out}", "out")
            if len(users) == 1:
                gate, _ = users[0]
                add_edge(f"w{i}:{out}", f"n{self.index[id(gate)]}")
            elif len(users) > 1:
                # A branch: split at a dot, each branch carrying the gradient that came back.
                add_node(f"b{i}", shape="point", width="0.06")
                add_edge(f"w{i}:{out}", f"b{i}", arrowhead="none")
                for j, (gate, k) in enumerate(users):
                    bgrad, bknown = branch_of(node, gate, k)
                    b_below = self.grad_text(node, bgrad, bknown) + self.local_text(gate, k)
                    if wire_extra:
                        b_below += wire_extra(node, gate, k)
                    b_above = self.value_text(node)
                    bid = f"w{i}_{j}"
                    add_node(bid, label=wire_label(b_above, b_below, self.vertical), shape="plain")
                    add_edge(f"b{i}", f"{bid}:{into}", arrowhead="none")
                    add_edge(f"{bid}:{out}", f"n{self.index[id(gate)]}")
        return g


DOT_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NUMERAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")


def fast_writers(g: graphviz.Digraph) -> tuple[Callable[..., None], Callable[..., None]]:
    """`node(name, **attrs)` and `edge(a, b, **attrs)` appending DOT lines to `g.body`.

    The same text the graphviz package writes, without its per-attribute quoting machinery,
    which dominates the time on graphs of 100,000 nodes. Names here are plain ids (n0, w3:e);
    an HTML label (starting with "<") is written as is, any other value is quoted."""

    @lru_cache(maxsize=4096)
    def plain(v: str) -> str:
        if _ID.match(v) and v.lower() not in DOT_KEYWORDS or _NUMERAL.match(v):
            return v
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def value(v: str) -> str:
        if v.startswith("<") and v.endswith(">"):
            return v  # an HTML label
        return plain(v)

    def attrs(a: dict[str, str]) -> str:
        if not a:
            return ""
        items = [f"label={value(a['label'])}"] if "label" in a else []
        items += [f"{k}={value(v)}" for k, v in sorted(a.items()) if k != "label"]
        return " [" + " ".join(items) + "]"

    def node(name: str, **a: str) -> None:
        g.body.append(f"\t{name}{attrs(a)}\n")

    def edge(tail: str, head: str, **a: str) -> None:
        g.body.append(f"\t{tail} -> {head}{attrs(a)}\n")

    return node, edge


def contribution(gate: Any, k: int, upstream: Any) -> Any:
    """What came back along one wire into `gate` at operand `k`: local x upstream."""
    locals_ = getattr(gate, "local_grads", None)
    if not locals_ or upstream is None or hasattr(upstream, "shape"):
        return None
    return locals_[k] * upstream


def draw(
    root: Any,
    *,
    fmt: Format = ".4g",
    rankdir: str = "LR",
    show_local: bool = False,
    show_roles: bool = False,
    title: str | None = None,
    max_nodes: int | None = MAX_NODES,
    model: Any = None,
) -> graphviz.Digraph:
    """The computation graph of `root` in the lecture's style, as a `graphviz.Digraph`.

    Forward values are written above each wire in green and gradients below it in red;
    gates are circles. `fmt` is a format spec (".4g", ".2f") or a function of a float;
    `rankdir` is LR (the slides), RL, TB or BT; `show_local` adds each gate's local gradient
    under its input wires (blue); `show_roles` names the gate patterns (add: distributor,
    max: router, mul: switcher). Before `backward()` (every grad 0, or None for Tensors) only
    values are drawn, with a note. Graphs with more than `max_nodes` nodes are drawn as the
    network view instead (grouped by module when `model` is given); `max_nodes=None` never
    switches."""
    order = walk(root)
    if max_nodes is not None and len(order) > max_nodes:
        from .network import network

        note = (
            f"{len(order)} nodes (more than max_nodes={max_nodes}): network view; "
            "draw(..., max_nodes=None) draws every node"
        )
        return network(root, model=model, note=note, order=order)
    pic = Picture(
        root,
        fmt=fmt,
        rankdir=rankdir,
        show_local=show_local,
        show_roles=show_roles,
        title=title,
        order=order,
    )
    known = grads_computed(order)
    notes = [] if known else [NOT_COMPUTED]

    def grad_of(node: Any) -> tuple[Any, bool]:
        return node.grad, known

    def branch_of(node: Any, gate: Any, k: int) -> tuple[Any, bool]:
        part = contribution(gate, k, gate.grad)
        if part is None:  # Tensor gates record no local gradient: show the total only
            return None, False
        return part, known

    return pic.digraph(grad_of, branch_of, notes=notes)


# ---------------------------------------------------------------------------- render
def dot_available() -> bool:
    """Is Graphviz's `dot` program on PATH?"""
    return shutil.which("dot") is not None


def require_dot(what: str) -> None:
    if not dot_available():
        raise GraphvizNotFoundError(
            f"writing {what} needs Graphviz's `dot` program, which is not on PATH. Install "
            "Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install "
            "graphviz; conda: conda install -c conda-forge graphviz), or write a .dot file."
        )


def to_bytes(graph: graphviz.Digraph, fmt: str) -> bytes:
    """Lay out `graph` with `dot` and return the picture in format `fmt` (svg, png, pdf)."""
    require_dot(f"a .{fmt} picture")
    return graph.pipe(format=fmt)


def render(root: Any, path: str | Path, **draw_options: Any) -> Path:
    """Draw `root` (a node, or a Digraph already drawn) and write it to `path`.

    The suffix chooses the format: .svg, .png, .pdf, or .dot/.gv (the DOT text, which needs no
    Graphviz install). Returns the path written. `draw_options` go to `draw`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"render: cannot write {path.name!r}: the suffix must be one of " + ", ".join(FORMATS)
        )
    graph = root if isinstance(root, graphviz.Digraph) else draw(root, **draw_options)
    fmt = FORMATS[suffix]
    if fmt is None:
        data = graph.source.encode()
    else:
        data = to_bytes(graph, fmt)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
