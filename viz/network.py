"""The network view: a big graph summarised so it stays readable.

Every node of the computation graph is given to a *unit*; the picture draws one box per unit
and one arrow per pair of connected units, coloured by the size of the gradient flowing back
along it on a log scale (darker and thicker: larger), with a legend.

Which box a node goes in (a module with a model, else a band of depth) is `viz/units.py`;
this file draws the boxes, the arrows and the legend.

One statistic everywhere, the RMS gradient (root mean square): an arrow is coloured by the RMS
of what flows back along the wires it stands for (local x upstream for Value graphs, the
gradient tensors for Tensor graphs), a box shows the RMS gradient of its parameters. Arrows of
gradient 0 between two layers are folded into one, and so are a layer's arrows into a hub (a
box fed from several layers, such as the penalty).
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from typing import Any

import graphviz

from .dot import HTML, Digraph, label_text, left_lines, size_attr
from .flow import recorded_part
from .graph import NOT_COMPUTED, as_root, grads_computed, nodes
from .style import GREY, LINE_GREY, PANEL, SCALE, fmt_number, ink_on
from .units import ACTIVATIONS as ACTIVATIONS  # re-exported: the view's names
from .units import RESHAPES as RESHAPES
from .units import Unit, gate_kind, group_by_depth, group_by_model

CAPTION_WRAP = 80  # characters per caption line when the picture is given a size
# From small (vanishing) to large (exploding): style.SCALE, viridis' dark half; arrows also
# grow thicker with the gradient. No gradient: grey, dashed for 0, dotted where none was kept.
NO_GRAD = LINE_GREY
HUB = 6  # a box fed by more boxes than this, from more than one layer, is a hub


def _rgb(h: str) -> tuple[int, int, int]:
    return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)


def colour(t: float) -> str:
    """The colour at position t in [0, 1] of the scale."""
    t = min(max(t, 0.0), 1.0) * (len(SCALE) - 1)
    i = min(int(t), len(SCALE) - 2)
    a, b = _rgb(SCALE[i]), _rgb(SCALE[i + 1])
    f = t - i
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b, strict=True))


def magnitude(grad: Any) -> float | None:
    """The size of a gradient: |g| for a number, the RMS of its entries for an array."""
    if grad is None:
        return None
    if hasattr(grad, "shape"):
        import numpy as np

        g = np.asarray(grad, dtype=np.float64)
        return float(np.sqrt(np.mean(np.square(g)))) if g.size else 0.0
    return abs(float(grad))


# ---------------------------------------------------------------------------- picture
def network(
    root: Any,
    *,
    model: Any = None,
    note: str | None = None,
    order: list[Any] | None = None,
    rankdir: str | None = None,
    title: str | None = None,
    size: float | tuple[float, float] | None = None,
) -> graphviz.Digraph:
    """The network view of `root`'s graph (see the module docstring): one box per unit
    (grouped by module when `model` is given, else by depth), arrows coloured by gradient
    size on a log scale, with a legend. `size`: the largest picture in inches, as in `draw`."""
    fit = size_attr(size)
    root = as_root(root)
    order = order if order is not None else nodes(root)
    model = model if model is not None else getattr(root, "model", None)  # a traced torch model
    if model is not None and not hasattr(model, "named_modules"):
        raise TypeError(
            f"network(model=...): give the model (a gradtrace.nn or torch.nn Module) whose "
            f"modules group the graph, got {type(model).__name__}"
        )
    of, units = group_by_model(order, model) if model is not None else group_by_depth(order)
    known = grads_computed(order)
    if rankdir is None:  # modules side by side; a chain of depth bands top to bottom
        rankdir = "LR" if model is not None else "TB"
    _count(order, of)
    counts, flows, proxied = _wires_between(order, of, known)
    sizes = {k: rms(v) for k, v in flows.items() if v}
    by_key = {u.key: u for u in units}
    arrows, folded = _fold(counts, sizes, by_key)
    g = _new_graph(rankdir)
    lines = [title] if title else []
    lines += [note] if note else []
    grouping = "by module" if model is not None else "by depth (pass model= to group by module)"
    lines.append(f"network view: {len(order)} nodes in {len(units)} boxes, {grouping}")
    lines += _header(known, proxied, by_key) + folded
    if fit:  # a picture sized to a column: the caption wrapped, not what sets the width
        lines = [part for line in lines for part in textwrap.wrap(line, CAPTION_WRAP) or [""]]
    g.attr(label=left_lines(lines), labelloc="t", fontsize="12")  # left-justified lines
    at, whole, cluster_id = _boxes(g, units, counts, known)
    scale = Scale(sizes)
    for (a, b), arrow in arrows.items():
        _arrow(g, at[a], at[b], arrow, whole, cluster_id, rankdir, scale)
    if known:
        _legend(g, scale.lo, scale.hi)
    if fit:
        g.attr(size=fit)
    return g


def _count(order: list[Any], of: dict[int, Unit]) -> None:
    """Each box's number of nodes and of gates of each kind."""
    for node in order:
        u = of[id(node)]
        u.count += 1
        if node.parents:
            u.ops[gate_kind(node) or "?"] += 1


def _wires_between(
    order: list[Any], of: dict[int, Unit], known: bool
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], list[float]], bool]:
    """For each pair of boxes (tail, head) the wires between them: how many, and the size of
    what flows back along each (`viz.flow`: local x upstream for Value gates; for a Tensor
    gate the gradient its input received, else its box's parameters' RMS gradient). Also
    whether any arrow stood in a box's parameters for a gradient not kept."""
    proxy: dict[str, float | None] = {}
    flows: dict[tuple[str, str], list[float]] = defaultdict(list)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for node in order:
        u = of[id(node)]
        for k, p in enumerate(node.parents):
            pu = of[id(p)]
            if pu is u:
                continue
            key = (pu.key, u.key)
            counts[key] += 1
            if not known:
                continue
            down = recorded_part(node, k)
            if down is not None:
                flows[key].append(down)
                continue
            m = magnitude(p.grad)
            if m is None:  # an inner tensor whose gradient was not kept
                m = proxy.setdefault(u.key, _params_rms(u))
            if m is not None:
                flows[key].append(m)
    return counts, flows, any(v is not None for v in proxy.values())


class Scale:
    """The log scale of the arrows' colours: whole decades from 10^lo to 10^hi, at least two."""

    def __init__(self, sizes: dict[Any, float]) -> None:
        positive = [s for s in sizes.values() if s > 0]
        lo = math.floor(math.log10(min(positive))) if positive else -6
        hi = math.ceil(math.log10(max(positive))) if positive else 0
        if hi - lo < 2:
            lo, hi = lo - 1, hi + 1
        self.lo, self.hi = lo, hi

    def place(self, s: float) -> float:
        """Where a gradient size sits on the scale, 0 to 1."""
        return (math.log10(s) - self.lo) / (self.hi - self.lo)


def _new_graph(rankdir: str) -> graphviz.Digraph:
    """An empty network view with its look: rounded grey boxes, small arrows."""
    g = Digraph("network", engine="dot")
    g.attr(
        rankdir=rankdir,
        fontname="Helvetica",
        nodesep="0.12",
        ranksep="0.6",
        newrank="true",
        compound="true",
    )
    g.attr(
        "node",
        fontname="Helvetica",
        fontsize="10",
        shape="box",
        style="rounded,filled",
        fillcolor=PANEL,
        color=LINE_GREY,
    )
    g.attr("edge", arrowsize="0.6")
    return g


def _header(known: bool, proxied: bool, by_key: dict[str, Unit]) -> list[str]:
    """The lines above the view that say how to read it."""
    if not known:
        lines = [NOT_COMPUTED]
    else:
        lines = [
            "arrows: the RMS gradient flowing back along them (colour and width); boxes: the "
            "RMS gradient of their parameters"
        ]
    if proxied:
        lines.append(
            "arrows into a Tensor layer: the RMS gradient of its parameters (the tensors "
            "between layers kept no gradient; retain_grad() keeps them)"
        )
    if "ops:0" in by_key:
        lines.append(f"output: the root, {_what(by_key['ops:0'])}, where backward starts")
    if "penalty" in by_key:
        lines.append(
            "penalty: computed from the parameters alone (an L1/L2 penalty added to the loss)"
        )
    return lines


def _boxes(
    g: graphviz.Digraph, units: list[Unit], counts: dict, known: bool
) -> tuple[dict[str, str], dict[str | None, str], dict[str | None, str]]:
    """One box per unit, in clusters by parent module. A layer whose boxes are side by side
    (a scalar MLP's neurons) is drawn as one table, a row per box in index order (Graphviz
    would shuffle separate boxes), arrows at the rows. Returns where each box's arrows attach,
    the clusters drawn as one table (that node), and each cluster's Graphviz name."""
    ids = {u.key: f"u{i}" for i, u in enumerate(units)}
    by_key = {u.key: u for u in units}
    clusters: dict[str | None, list[Unit]] = defaultdict(list)
    for u in units:
        clusters[u.cluster].append(u)
    cluster_id = {c: f"cluster_{i}" for i, c in enumerate(clusters) if c is not None}
    linked = {a for a, b in counts if by_key[a].cluster == by_key[b].cluster}
    at: dict[str, str] = dict(ids)  # where a box's arrows attach
    whole: dict[str | None, str] = {}  # a cluster drawn as one table: that node
    for cname, members in clusters.items():
        if cname is None:
            for u in members:
                g.node(ids[u.key], label=_unit_label(u, known))
            continue
        with g.subgraph(name=cluster_id[cname]) as c:
            c.attr(
                label=graphviz.nohtml(cname), style="rounded,dashed", color=LINE_GREY, fontsize="11"
            )
            if len(members) > 1 and not any(u.key in linked for u in members):
                table = f"t{cluster_id[cname].split('_')[1]}"
                whole[cname] = table
                rows = "".join(
                    f'<TR><TD PORT="{ids[u.key]}" BORDER="1" STYLE="ROUNDED" COLOR="{LINE_GREY}" '
                    f'BGCOLOR="{PANEL}" CELLPADDING="4">{_unit_label(u, known)[1:-1]}</TD></TR>'
                    for u in members
                )
                c.node(
                    table,
                    label=HTML(f'<<TABLE BORDER="0" CELLSPACING="4">{rows}</TABLE>>'),
                    shape="plain",
                    style="",
                )
                for u in members:
                    at[u.key] = f"{table}:{ids[u.key]}"
            else:
                for u in members:
                    c.node(ids[u.key], label=_unit_label(u, known))
    return at, whole, cluster_id


def _arrow(
    g: graphviz.Digraph,
    tail: str,
    head: str,
    arrow: Arrow,
    whole: dict[str | None, str],
    cluster_id: dict[str | None, str],
    rankdir: str,
    scale: Scale,
) -> None:
    """One arrow between boxes (or clusters, for folded arrows), coloured by its RMS."""
    n, s, tail_cluster, head_cluster = arrow
    attrs: dict[str, str] = {}
    if tail_cluster in whole:
        tail = whole[tail_cluster]
    elif tail_cluster is not None:
        attrs["ltail"] = cluster_id[tail_cluster]
    if head_cluster in whole:
        head = whole[head_cluster]
    elif head_cluster is not None:
        attrs["lhead"] = cluster_id[head_cluster]
    if ":" in tail:
        tail += ":e" if rankdir == "LR" else ":s"
    if ":" in head:
        head += ":w" if rankdir == "LR" else ":n"
    if n > 1 and (tail_cluster or head_cluster):
        # xlabel, not label: an edge label would give every edge a rank of its own
        attrs.update(xlabel=f"×{n}", fontsize="9", fontcolor=GREY)
    if s is None:
        attrs.update(color=NO_GRAD, style="dotted", tooltip="gradient not kept")
    elif s == 0:
        attrs.update(color=NO_GRAD, style="dashed", tooltip=f"gradient 0 on {n} arrows")
    else:
        t = scale.place(s)
        attrs.update(
            color=colour(t),
            penwidth=f"{0.8 + 2.2 * t:.2f}",
            tooltip=f"RMS gradient {s:.3g}",
        )
    g.edge(tail, head, **attrs)


def rms(values: list[float]) -> float:
    """The root mean square: the one gradient statistic of the network view."""
    return math.sqrt(math.fsum(v * v for v in values) / len(values))


def _what(u: Unit) -> str:
    """What a box of operations computes, by its most common gates: "relu, *c and +c"."""
    top = [op for op, _ in sorted(u.ops.items(), key=lambda kv: -kv[1])[:3]]
    if not top:
        return "a leaf"
    return "the loss (" + ", ".join(top) + ")"


Arrow = tuple[int, float | None, str | None, str | None]  # wires, RMS, tail / head cluster


def _fold(
    counts: dict[tuple[str, str], int],
    sizes: dict[tuple[str, str], float],
    units: dict[str, Unit],
) -> tuple[dict[tuple[str, str], Arrow], list[str]]:
    """The arrows to draw: one per pair of boxes, except that (1) the arrows of gradient 0
    from one layer to another become one, and (2) the arrows from one layer into a hub (a box
    fed from more than HUB boxes in several layers) become one, coloured by their RMS. Returns
    {(tail box, head box): (arrows, RMS, tail cluster, head cluster)} and lines that say what
    was folded."""
    into: dict[str, set[str]] = defaultdict(set)
    for a, b in counts:
        into[b].add(a)
    hubs = {
        b
        for b, tails in into.items()
        if len(tails) > HUB and len({units[a].cluster for a in tails}) > 1
    }
    groups: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
    arrows: dict[tuple[str, str], Arrow] = {}
    for a, b in counts:
        ca, cb = units[a].cluster, units[b].cluster
        s = sizes.get((a, b))
        if s == 0 and (ca or cb) and not (ca == cb):
            groups[("zero", ca or a, cb or b)].append((a, b))
        elif b in hubs and ca is not None:
            groups[("hub", ca, b)].append((a, b))
        else:
            arrows[(a, b)] = (1, s, None, None)
    said = []

    def name(x: str) -> str:
        return units[x].title if x in units else x  # a box, or a cluster (a layer)

    for (kind, tail, head), members in groups.items():
        if len(members) == 1:
            (a, b) = members[0]
            arrows[(a, b)] = (1, sizes.get((a, b)), None, None)
            continue
        a, b = members[0]
        ca, cb = units[a].cluster, units[b].cluster
        if kind == "zero":
            arrows[(a, b)] = (len(members), 0.0, ca, cb if cb == head else None)
            said.append(
                f"{len(members)} arrows of gradient 0 from {name(tail)} to {name(head)}: "
                "drawn as one (dashed)"
            )
        else:
            known = [sizes[m] for m in members if m in sizes]
            s = math.sqrt(sum(x * x for x in known) / len(known)) if known else None
            arrows[(a, b)] = (len(members), s, ca, None)
            line = (
                f"{units[head].title}: a hub, fed by {len(into[head])} boxes; the arrows from "
                "each layer into it are drawn as one (×n: how many)"
            )
            if line not in said:
                said.append(line)
    return arrows, said


def _params_rms(u: Unit) -> float | None:
    """The RMS gradient of a unit's parameters: what an arrow into a Tensor layer is coloured
    by when the tensor it carries did not keep its gradient (no retain_grad())."""
    import numpy as np

    grads = [np.ravel(np.asarray(p.grad, dtype=np.float64)) for p in u.params if p.grad is not None]
    if not grads:
        return None
    g = np.concatenate(grads)
    return float(np.sqrt(np.mean(np.square(g)))) if g.size else None


def _unit_label(u: Unit, known: bool) -> str:
    rows = [f"<B>{label_text(u.title)}</B>"]
    detail = f"{u.count} node{'s' * (u.count != 1)}"
    if u.ops:
        top = sorted(u.ops.items(), key=lambda kv: -kv[1])[:3]
        detail += ": " + ", ".join(f"{label_text(op)}×{c}" for op, c in top)
    rows.append(f'<FONT POINT-SIZE="9" COLOR="{GREY}">{detail}</FONT>')
    if u.params and known:
        s = _params_rms(u)
        if s is not None:
            rows.append(f'<FONT POINT-SIZE="9">RMS gradient {fmt_number(s, ".2e")}</FONT>')
    return "<" + "<BR/>".join(rows) + ">"


def _legend(g: graphviz.Digraph, lo: int, hi: int) -> None:
    """A strip of colours with their decades: |gradient| from 10^lo to 10^hi."""
    step = max(1, math.ceil((hi - lo) / 6))
    cells = []
    for e in range(lo, hi + 1, step):
        t = (e - lo) / (hi - lo)
        cells.append(
            f'<TD BGCOLOR="{colour(t)}" WIDTH="34"><FONT POINT-SIZE="9" '
            f'COLOR="{ink_on(colour(t))}">1e{e}</FONT></TD>'
        )
    grey = f'<FONT POINT-SIZE="9" COLOR="{GREY}">'
    cells.append(f'<TD WIDTH="70">{grey}- - -  0</FONT></TD>')
    cells.append(f'<TD WIDTH="70">{grey}· · ·  not kept</FONT></TD>')
    label = (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3">'
        f'<TR><TD COLSPAN="{len(cells)}" ALIGN="LEFT"><FONT POINT-SIZE="9">RMS gradient along '
        "an arrow (log scale; darker and thicker: larger); grey dashed: 0; grey dotted: not "
        "kept (no retain_grad())"
        f"</FONT></TD></TR><TR>{''.join(cells)}</TR></TABLE>>"
    )
    with g.subgraph(name="cluster_legend") as c:
        c.attr(label="", style="invis")
        c.node("legend", label=label, shape="plain", style="")
