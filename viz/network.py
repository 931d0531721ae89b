"""The network view: a big graph summarised so it stays readable.

Every node of the computation graph is given to a *unit*; the picture draws one box per unit
and one arrow per pair of connected units, coloured by the size of the gradient flowing back
along it on a log scale (blue: vanishing, red: exploding), with a legend.

- With a model (anything with the Module API's `named_modules()` / `named_parameters()`), a
  unit is the module that owns parameters (a Neuron of a scalar MLP, a Linear layer), and
  units are grouped in Graphviz clusters by their parent module (the Layer of a Neuron). The
  nodes computed from a unit's parameters, and activations right after them, join the unit;
  inputs form one unit, what is computed from the parameters of several modules alone (an
  L1/L2 penalty) another, and what follows the last module (the loss) a third, "output".
  Boxes are named by kind, index and size ("Linear 0 (64 → 128)") and listed in module order.
- Without a model, units are bands of depth (distance from the inputs): a deep chain shows at
  a glance where its gradients shrink or blow up.

One statistic everywhere, the RMS gradient (root mean square): an arrow is coloured by the RMS
of what flows back along the wires it stands for (local x upstream for Value graphs, the
gradient tensors for Tensor graphs), a box shows the RMS gradient of its parameters. Arrows of
gradient 0 between two layers are folded into one, and so are a layer's arrows into a hub (a
box fed from several layers, such as the penalty).
"""

from __future__ import annotations

import math
import re
import textwrap
from collections import defaultdict
from typing import Any

import graphviz

from .dot import HTML, Digraph, label_text, left_lines, size_attr
from .flow import gate_of, recorded_part
from .graph import NOT_COMPUTED, as_root, grads_computed, nodes
from .modules import modules_by_parameter, parent_module
from .style import GREY, LINE_GREY, PANEL, SCALE, fmt_number, ink_on

# Gates recognised by the op names the engine records (a test builds each one and checks):
# an activation right after a layer joins the layer's box; a reshape of a parameter (W.T) is
# still that parameter. leaky_relu is recorded as a "*" by a constant, so it is not here.
ACTIVATIONS = frozenset({"tanh", "relu", "sigmoid"})
RESHAPES = frozenset({"transpose", "reshape", "index"})
MAX_BANDS = 24
CAPTION_WRAP = 80  # characters per caption line when the picture is given a size
# From small (vanishing) to large (exploding): style.SCALE, viridis' dark half; arrows also
# grow thicker with the gradient. No gradient: grey, dashed for 0, dotted where none was kept.
NO_GRAD = LINE_GREY
HUB = 6  # a box fed by more boxes than this, from more than one layer, is a hub
SUMS = frozenset({"+", "*c", "/c", "sum", "mean", "*"})  # what adds up a penalty's terms


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


class Unit:
    """A box of the network view: a name, a kind, its nodes and its parameters."""

    def __init__(
        self, key: str, name: str, kind: str, cluster: str | None = None, title: str = ""
    ) -> None:
        self.key = key
        self.name = name  # the module's dotted name, or the box's own ("output", "inputs")
        self.kind = kind
        self.cluster = cluster
        self.title = title or name  # what the box says in bold
        self.count = 0
        self.params: list[Any] = []
        self.ops: dict[str, int] = defaultdict(int)


# ---------------------------------------------------------------------------- grouping
def _sizes(module: Any) -> str:
    """A module's size as its box says it: "64 → 128", "1 → 6, 3×3", "2 inputs"."""
    if hasattr(module, "in_features") and hasattr(module, "out_features"):
        return f"{module.in_features} → {module.out_features}"
    if hasattr(module, "in_channels") and hasattr(module, "out_channels"):
        k = getattr(module, "kernel_size", None)
        kernel = f", {k[0]}×{k[1]}" if isinstance(k, tuple) and len(k) == 2 else ""
        return f"{module.in_channels} → {module.out_channels}{kernel}"
    if isinstance(getattr(module, "nin", None), int):
        return f"{module.nin} inputs"
    return ""


def _title(name: str, module: Any) -> str:
    """ "Linear 0 (64 → 128)": kind, the last part of the module's name, its sizes."""
    last = name.rsplit(".", 1)[-1] if name else ""
    text = f"{type(module).__name__} {last}".strip()
    size = _sizes(module)
    return f"{text} ({size})" if size else text


def _in_order(name: str) -> tuple:
    """Sort key for module names with numbers in order: layers.2 before layers.10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def group_by_model(order: list[Any], model: Any) -> tuple[dict[int, Unit], list[Unit]]:
    """Give every node a unit using the model's modules (see the module docstring)."""
    g = _Grouping(model)
    for node in order:
        g.place(node)
    g.place_rest(order)
    return g.of, sorted(g.units.values(), key=_unit_order)


class _Grouping:
    """The units of a model's graph as they are found, node by node (inputs first)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.owner, self.modules = modules_by_parameter(model)
        self.units: dict[str, Unit] = {}
        self.of: dict[int, Unit] = {}
        self.param_like: set[int] = set()
        # A penalty (L1, L2) sums terms that each use one parameter (w*w, |w|) over several
        # modules. `single`: node -> the one parameter it is computed from; `summed`: node ->
        # the modules whose per-parameter terms it adds up (through sums and scalings only).
        self.single: dict[int, int] = {}
        self.summed: dict[int, frozenset[str]] = {}

    def unit(
        self, key: str, name: str, kind: str, cluster: str | None = None, title: str = ""
    ) -> Unit:
        if key not in self.units:
            self.units[key] = Unit(key, name, kind, cluster, title)
        return self.units[key]

    def place(self, node: Any) -> None:
        """A parameter joins its module's box, an input the inputs' box, a gate its
        parameters' box, the penalty's, or the layer's box it activates (else: later)."""
        if id(node) in self.owner:
            mname = self.owner[id(node)]
            module = self.modules.get(mname, self.model)
            u = self.unit(
                "m:" + mname,
                mname or type(self.model).__name__,
                type(module).__name__,
                parent_module(mname, self.modules),
                _title(mname, module),
            )
            u.params.append(node)
            self.param_like.add(id(node))
            self.single[id(node)] = id(node)
        elif not node.parents:
            u = self.unit("inputs", "inputs", "leaves")
        elif self._penalty(node):
            u = self.unit("penalty", "penalty", "operations")
        else:
            u = self._gate_unit(node)
        if u is not None:
            self.of[id(node)] = u

    def _penalty(self, node: Any) -> bool:
        """Does this gate add up per-parameter terms of more than one module?"""
        single, summed = self.single, self.summed
        kept = [p for p in node.parents if p.parents or id(p) in self.owner]  # not constants
        if kept and all(single.get(id(p)) == single.get(id(kept[0]), -1) for p in kept):
            single[id(node)] = single[id(kept[0])]
        elif kept and _kind(node) in SUMS and all(id(p) in single or id(p) in summed for p in kept):
            used = frozenset().union(
                *(summed.get(id(p)) or {self.owner.get(single.get(id(p)), "")} for p in kept)
            )
            summed[id(node)] = used
            return len(used) > 1
        return False

    def _gate_unit(self, node: Any) -> Unit | None:
        """The box of a gate computed from a module's parameters, or of the activation right
        after a layer; None for anything else (placed by `place_rest`)."""
        owned = [self.of[id(p)] for p in node.parents if id(p) in self.param_like]
        if owned:
            if len(node.parents) == 1 and _kind(node) in RESHAPES:
                self.param_like.add(id(node))  # weight.T is still "the weight"
            return owned[0]
        before = self.of.get(id(node.parents[0]))
        if (
            len(node.parents) == 1
            and _kind(node) in ACTIVATIONS
            and before is not None
            and before.key.startswith("m:")
        ):
            return before
        return None

    def place_rest(self, order: list[Any]) -> None:
        """What is left (the loss, glue between modules) goes to connected groups of its own;
        the one holding the root is "output"."""
        rest = [n for n in order if id(n) not in self.of]
        link = {id(n): id(n) for n in rest}

        def find(i: int) -> int:
            while link[i] != i:
                link[i] = link[link[i]]
                i = link[i]
            return i

        for n in rest:
            for p in n.parents:
                if id(p) in link:
                    link[find(id(p))] = find(id(n))
        names: dict[int, Unit] = {}
        root = order[-1]  # `order` lists parents first, so the root comes last
        if id(root) in link:
            names[find(id(root))] = self.unit("ops:0", "output", "operations")
        for n in rest:
            r = find(id(n))
            if r not in names:
                k = len(names) if id(root) in link else len(names) + 1
                names[r] = self.unit(f"ops:{k}", f"ops {k}", "operations")
            self.of[id(n)] = names[r]


def _unit_order(u: Unit) -> tuple:
    """Inputs, then the modules in index order, the rest, the penalty, the output."""
    group = 1 if u.key.startswith("m:") else {"inputs": 0, "penalty": 2, "ops:0": 4}.get(u.key, 3)
    return (group, _in_order(u.name))


def _kind(node: Any) -> str:
    """A gate's kind as the view counts it, from its record: its name, with "c" when it
    folds a number in (x * 1.74 is "*c"); "" for a leaf."""
    name, folded = gate_of(node)
    return name + "c" if folded is not None else name


def group_by_depth(order: list[Any]) -> tuple[dict[int, Unit], list[Unit]]:
    """Give every node a band of depth (longest distance from a leaf)."""
    depth: dict[int, int] = {}
    for node in order:
        depth[id(node)] = 1 + max((depth[id(p)] for p in node.parents), default=-1)
    deepest = max(depth.values(), default=0)
    width = max(1, math.ceil((deepest + 1) / MAX_BANDS))
    units: dict[int, Unit] = {}
    of: dict[int, Unit] = {}
    for node in order:
        band = depth[id(node)] // width
        if band not in units:
            lo, hi = band * width, min(band * width + width - 1, deepest)
            name = f"depth {lo}" if lo == hi else f"depth {lo}–{hi}"
            units[band] = Unit(f"d:{band}", name, "band")
        of[id(node)] = units[band]
    return of, [units[b] for b in sorted(units)]


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
            u.ops[_kind(node) or "?"] += 1


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
