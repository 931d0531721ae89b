"""The network view: a big graph summarised so it stays readable.

Every node of the computation graph is given to a *unit*; the picture draws one box per unit
and one arrow per pair of connected units, coloured by the size of the gradient flowing back
along it on a log scale (blue: vanishing, red: exploding), with a legend.

- With a model (anything with the Module API's `named_modules()` / `named_parameters()`), a
  unit is the module that owns parameters (a Neuron of a scalar MLP, a Linear layer), and
  units are grouped in Graphviz clusters by their parent module (the Layer of a Neuron). The
  nodes computed from a unit's parameters, and activations right after them, join the unit;
  inputs form one unit, and what follows the last module (the loss) another.
- Without a model, units are bands of depth (distance from the inputs): a deep chain shows at
  a glance where its gradients shrink or blow up.

Gradient sizes: for Value graphs, an arrow carries the mean |local x upstream| of the wires it
stands for; for Tensor graphs, the root-mean-square of the gradient of the tensors it carries.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from typing import Any

import graphviz

from .graph import NOT_COMPUTED, as_root, grads_computed, is_tensor, nodes
from .modules import modules_by_parameter, parent_module
from .style import GREY, fmt_number

# Gates recognised by the op names the engine records (a test builds each one and checks):
# an activation right after a layer joins the layer's box; a reshape of a parameter (W.T) is
# still that parameter. leaky_relu is recorded as a "*" by a constant, so it is not here.
ACTIVATIONS = frozenset({"tanh", "relu", "sigmoid"})
RESHAPES = frozenset({"transpose", "reshape", "index"})
MAX_BANDS = 24
# From small (vanishing, cold) to large (exploding, hot): a diverging blue-yellow-red scale.
SCALE = ["#313695", "#4575b4", "#74add1", "#abd9e9", "#fee090", "#fdae61", "#f46d43", "#a50026"]
NO_GRAD = "#bdbdbd"


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

    def __init__(self, key: str, name: str, kind: str, cluster: str | None = None) -> None:
        self.key = key
        self.name = name
        self.kind = kind
        self.cluster = cluster
        self.count = 0
        self.params: list[Any] = []
        self.ops: dict[str, int] = defaultdict(int)


# ---------------------------------------------------------------------------- grouping
def group_by_model(order: list[Any], model: Any) -> tuple[dict[int, Unit], list[Unit]]:
    """Give every node a unit using the model's modules (see the module docstring)."""
    owner, modules = modules_by_parameter(model)
    units: dict[str, Unit] = {}
    of: dict[int, Unit] = {}
    param_like: set[int] = set()

    def unit(key: str, name: str, kind: str, cluster: str | None = None) -> Unit:
        if key not in units:
            units[key] = Unit(key, name, kind, cluster)
        return units[key]

    for node in order:
        u = None
        if id(node) in owner:
            mname = owner[id(node)]
            module = modules.get(mname, model)
            u = unit(
                "m:" + mname,
                mname or type(model).__name__,
                type(module).__name__,
                parent_module(mname, modules),
            )
            u.params.append(node)
            param_like.add(id(node))
        elif node.parents:
            owned = [of[id(p)] for p in node.parents if id(p) in param_like]
            if owned:
                u = owned[0]
                if len(node.parents) == 1 and _base_op(node.op) in RESHAPES:
                    param_like.add(id(node))  # weight.T is still "the weight"
            elif (
                len(node.parents) == 1
                and _base_op(node.op) in ACTIVATIONS
                and id(node.parents[0]) in of
                and of[id(node.parents[0])].key.startswith("m:")
            ):
                u = of[id(node.parents[0])]  # the activation right after a layer
        else:
            u = unit("inputs", "inputs", "leaves")
        if u is not None:
            of[id(node)] = u
    # What is left (the loss, glue between modules) goes to connected groups of its own.
    rest = [n for n in order if id(n) not in of]
    if rest:
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
            names[find(id(root))] = unit("ops:0", "output", "operations")
        for n in rest:
            r = find(id(n))
            if r not in names:
                k = len(names) if id(root) in link else len(names) + 1
                names[r] = unit(f"ops:{k}", f"ops {k}", "operations")
            of[id(n)] = names[r]
    return of, list(units.values())


def _base_op(op: str) -> str:
    """The gate's kind without its folded number: "*1.74" -> "*c", "relu" -> "relu"."""
    op = op.split("(")[0].strip().lower()
    if len(op) > 1 and op[0] in "+-*/" and op[1:2] not in ("", "*"):
        return op[0] + "c"
    if op.startswith("**") and len(op) > 2:
        return "**c"
    return op


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
) -> graphviz.Digraph:
    """The network view of `root`'s graph (see the module docstring): one box per unit
    (grouped by module when `model` is given, else by depth), arrows coloured by gradient
    size on a log scale, with a legend."""
    root = as_root(root)
    order = order if order is not None else nodes(root)
    model = model if model is not None else getattr(root, "model", None)  # a traced torch model
    if model is not None:
        of, units = group_by_model(order, model)
    else:
        of, units = group_by_depth(order)
    known = grads_computed(order)
    if rankdir is None:  # modules side by side; a chain of depth bands top to bottom
        rankdir = "LR" if model is not None else "TB"

    proxy: dict[str, float | None] = {}
    flows: dict[tuple[str, str], list[float]] = defaultdict(list)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for node in order:
        u = of[id(node)]
        u.count += 1
        if node.parents:
            u.ops[_base_op(node.op) or "?"] += 1
        locals_ = getattr(node, "local_grads", None)
        for k, p in enumerate(node.parents):
            pu = of[id(p)]
            if pu is u:
                continue
            key = (pu.key, u.key)
            counts[key] += 1
            if not known:
                continue
            if locals_ is not None and not is_tensor(node):
                flows[key].append(abs(locals_[k] * node.grad))
            else:
                m = magnitude(p.grad)
                if m is None:  # an inner tensor whose gradient was not kept
                    m = proxy.setdefault(u.key, _params_rms(u))
                if m is not None:
                    flows[key].append(m)

    sizes = {k: sum(v) / len(v) for k, v in flows.items() if v}
    positive = [s for s in sizes.values() if s > 0]
    lo = math.floor(math.log10(min(positive))) if positive else -6
    hi = math.ceil(math.log10(max(positive))) if positive else 0
    if hi - lo < 2:
        lo, hi = lo - 1, hi + 1

    def place(s: float) -> float:
        return (math.log10(s) - lo) / (hi - lo)

    g = graphviz.Digraph("network", engine="dot")
    g.attr(rankdir=rankdir, fontname="Helvetica", nodesep="0.12", ranksep="0.6", newrank="true")
    g.attr(
        "node",
        fontname="Helvetica",
        fontsize="10",
        shape="box",
        style="rounded,filled",
        fillcolor="#f5f5f5",
        color="#9e9e9e",
    )
    g.attr("edge", arrowsize="0.6")
    lines = [title] if title else []
    if note:
        lines.append(note)
    grouping = "by module" if model is not None else "by depth (pass model= to group by module)"
    lines.append(f"network view: {len(order)} nodes in {len(units)} boxes, {grouping}")
    if not known:
        lines.append(NOT_COMPUTED)
    if any(v is not None for v in proxy.values()):
        lines.append(
            "arrows into a Tensor layer: RMS gradient of its parameters (the tensors between "
            "layers kept no gradient; retain_grad() keeps them)"
        )
    # "\l" ends a left-justified line in DOT
    g.attr(label="".join(line + "\\l" for line in lines), labelloc="t", fontsize="12")

    ids = {u.key: f"u{i}" for i, u in enumerate(units)}
    clusters: dict[str | None, list[Unit]] = defaultdict(list)
    for u in units:
        clusters[u.cluster].append(u)
    for ci, (cname, members) in enumerate(clusters.items()):
        target = g
        if cname is not None:
            with g.subgraph(name=f"cluster_{ci}") as c:
                c.attr(label=cname, style="rounded,dashed", color="#9e9e9e", fontsize="11")
                for u in members:
                    c.node(ids[u.key], label=_unit_label(u, known))
            continue
        for u in members:
            target.node(ids[u.key], label=_unit_label(u, known))

    for (a, b), n in counts.items():
        s = sizes.get((a, b))
        attrs = {}
        if s is None:
            attrs.update(color=NO_GRAD)
        elif s == 0:
            attrs.update(color=NO_GRAD, style="dashed", tooltip="gradient 0")
        else:
            t = place(s)
            attrs.update(
                color=colour(t),
                penwidth=f"{0.8 + 2.2 * t:.2f}",
                tooltip=f"mean |gradient| {s:.3g} over {n} wires",
            )
        g.edge(ids[a], ids[b], **attrs)
    if known:
        _legend(g, lo, hi)
    return g


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
    name = u.name
    if u.cluster and name.startswith(u.cluster + "."):
        name = name[len(u.cluster) + 1 :]  # "neurons.2" inside the cluster "layers.0"
    rows = [f"<B>{html.escape(name)}</B>"]
    if u.kind not in ("band", "leaves", "operations"):
        rows.append(f'<FONT COLOR="{GREY}">{html.escape(u.kind)}</FONT>')
    detail = f"{u.count} node{'s' * (u.count != 1)}"
    if u.ops:
        top = sorted(u.ops.items(), key=lambda kv: -kv[1])[:3]
        detail += ": " + ", ".join(f"{html.escape(op)}×{c}" for op, c in top)
    rows.append(f'<FONT POINT-SIZE="9" COLOR="{GREY}">{detail}</FONT>')
    if u.params:
        sizes = [magnitude(p.grad) for p in u.params]
        sizes = [s for s in sizes if s is not None]
        if known and sizes:
            norm = math.sqrt(sum(s * s for s in sizes))
            rows.append(
                f'<FONT POINT-SIZE="9">grad norm of params {fmt_number(norm, ".2e")}</FONT>'
            )
    return "<" + "<BR/>".join(rows) + ">"


def _legend(g: graphviz.Digraph, lo: int, hi: int) -> None:
    """A strip of colours with their decades: |gradient| from 10^lo to 10^hi."""
    step = max(1, math.ceil((hi - lo) / 6))
    cells = []
    for e in range(lo, hi + 1, step):
        t = (e - lo) / (hi - lo)
        cells.append(
            f'<TD BGCOLOR="{colour(t)}" WIDTH="34"><FONT POINT-SIZE="9" '
            f'COLOR="{"white" if t < 0.3 or t > 0.85 else "black"}">1e{e}</FONT></TD>'
        )
    label = (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3">'
        f'<TR><TD COLSPAN="{len(cells)}"><FONT POINT-SIZE="9">mean |gradient| along an arrow '
        "(log scale; grey dashed: 0)</FONT></TD></TR>"
        f"<TR>{''.join(cells)}</TR></TABLE>>"
    )
    with g.subgraph(name="cluster_legend") as c:
        c.attr(label="", style="invis")
        c.node("legend", label=label, shape="plain", style="")
