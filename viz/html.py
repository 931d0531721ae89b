"""`to_html` and `explore`: the forward and backward pass of a graph as one web page.

The page is one self-contained HTML file a teacher can send: the graph laid out once as one
inline SVG, each step's state as data (`viz/page_state.py`: which gradient and product texts a
step shows), the small hand-written script and style sheet of `viz/page/` inline, and nothing
fetched from a network (no CDN, no web font, no external reference left in Graphviz's SVG). It
opens from `file://` with no server, and passes axe-core's accessibility checks (WCAG 2.1 AA):
every node is a keyboard button described in words, each step is announced, and the values
and gradients are also a table. It steps through the forward pass (each gate computing its value, in
the engine's topological order) and then the backward pass (the frames of `backward_steps`:
each gate handing local x upstream to its inputs). Clicking or hovering a node shows its
value, gradient and local gradients (Enter on a focused node, Escape closes it).

`#step=K` in the address opens step K, and the page keeps the fragment up to date; the root
element carries the current step as `data-step` and the number of steps as `data-steps`.
In Jupyter, `explore(root)` shows the same explorer inline (its `_repr_html_`).
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradtrace import topological_order

from .circuit import MAX_NODES, picture_order
from .dot import to_bytes, write_file
from .explain import explain
from .flow import gate_formula, node_names
from .graph import as_root, is_tensor, nodes
from .network import network
from .node_words import computes as _computes
from .node_words import shown as _show
from .page_paths import Factors
from .page_state import layout
from .steps import BackwardSteps, tensor_rule_lines
from .style import BLUE, DEFAULT_FORMAT, GREEN, RED, Format, equation, fmt_number, matrix_text

PAGE = Path(__file__).with_name("page")  # explorer.js and explorer.css
MAX_BYTES = 25_000_000  # a page bigger than this shows the network view instead
PANEL_FMT = DEFAULT_FORMAT  # numbers in the node panel: four significant digits, as everywhere
PANEL_PATHS = 16  # the chain-rule panel writes out at most this many paths
_ids = itertools.count(1)


@dataclass
class Explorer:
    """The explorer of one graph: `_repr_html_` shows it in Jupyter, `save(path)` writes the
    standalone page, `page()` is that page's text."""

    body: str  # the explorer's root <div> with its frames and data
    title: str
    steps: int

    def _repr_html_(self) -> str:
        # Jupyter runs this script only in a trusted notebook; an untrusted one shows the
        # frames without the controls (the first step), and says so in the page's <noscript>.
        style, script = _asset("explorer.css"), _asset("explorer.js")
        return f"<style>{style}</style>{self.body}<script>{script}</script>"

    def page(self) -> str:
        """The whole standalone page (the fragment `#step=K` is read and kept up to date)."""
        body = self.body.replace('data-fragment="0"', 'data-fragment="1"', 1)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(self.title)}</title>\n"
            f"<style>\n{_asset('explorer.css')}</style>\n</head>\n"
            f'<body class="gt-page">\n<main>\n{body}\n</main>\n'
            f"<script>\n{_asset('explorer.js')}</script>\n"
            "</body>\n</html>\n"
        )

    def save(self, path: str | Path) -> Path:
        """Write the standalone page to `path`, atomically (a failure leaves what was there)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_file(path, self.page().encode("utf-8"))


def explore(
    root: Any,
    *,
    fmt: Format = ".4g",
    rankdir: str = "LR",
    title: str | None = None,
    model: Any = None,
    max_nodes: int | None = MAX_NODES,
    max_bytes: int | None = MAX_BYTES,
) -> Explorer:
    """The step-by-step explorer of `root`'s forward and backward pass (a Value graph).

    Graphs with more than `max_nodes` nodes, or whose page would be bigger than `max_bytes`,
    show the network view instead (grouped by `model` when given), with a note; `max_bytes` is
    a hard limit (a ValueError if even the network view is bigger); None lifts either limit."""
    root = as_root(root)
    if is_tensor(root) and not hasattr(root, "_shares"):
        raise TypeError(
            "explore/to_html step through gradtrace graphs (Values, or Tensors by each gate's "
            "rule); a traced PyTorch graph has no gates to replay: draw it with viz.render"
        )
    order = picture_order(nodes(root))  # the order the pictures number n0, n1, ...
    title = title or f"gradtrace: {node_names(root)[id(root)]} = {_show(root.data, PANEL_FMT)}"
    if max_nodes is not None and len(order) > max_nodes:
        note = (
            f"{len(order)} nodes: too many to step through gate by gate (max_nodes={max_nodes});"
            " this page shows the network view"
        )
        return _network_explorer(root, model, title, note, max_bytes)
    steps = BackwardSteps(root, fmt=fmt, rankdir=rankdir)
    data = _graph_data(root, order, steps, title)
    picture = layout(steps)
    data["slots"] = picture.slots
    svg = _accessible_svg(_clean_svg(picture.svg), data)
    explorer = Explorer(_body([svg], data), title, len(data["steps"]))
    size = _page_size(explorer)
    if max_bytes is not None and size > max_bytes:
        note = (
            f"{len(order)} nodes make a page of {size:,} bytes, more than max_bytes="
            f"{max_bytes:,}: this page shows the network view; explore(..., max_bytes=None) "
            "steps through every gate"
        )
        return _network_explorer(root, model, title, note, max_bytes)
    return explorer


def _page_size(explorer: Explorer) -> int:
    """Bytes of the written page (what `max_bytes` limits)."""
    return len(explorer.page().encode("utf-8"))


def to_html(root: Any, path: str | Path, **options: Any) -> Path:
    """Write the explorer of `root` as one self-contained HTML page to `path` (see `explore`
    for the options). Returns the path written."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"to_html: {path.name!r} should end in .html")
    return explore(root, **options).save(path)


# ---------------------------------------------------------------------------- the data
def _panel(x: Any) -> str:
    """A value or gradient for the node panel: a small tensor row by row (the panel keeps the
    line breaks), a big one as its summary, a number at the panel's digits."""
    if hasattr(x, "shape") and x.size != 1:
        return "\n".join(matrix_text(x, PANEL_FMT)) + f"   {tuple(x.shape)}"
    return fmt_number(x, PANEL_FMT)


def _tensor_inputs(n: Any, index: dict, steps: BackwardSteps) -> list[dict]:
    """A Tensor gate's inputs for the panel: its rule for each (from its record), with shapes."""
    g = n.grad if n.grad is not None else n.data
    lines = tensor_rule_lines(n, g)
    return [
        {"node": index[id(p)], "local": f"d{name} = {text}   {shapes}"}
        for p, (name, text, shapes) in zip(n.parents, lines, strict=True)
    ]


def _graph_data(root: Any, order: list[Any], steps: BackwardSteps, title: str) -> dict:
    """Everything the page's script needs: the nodes (by their index in `picture_order`: how
    the pictures name them: n3 the gate, w3 its wire, w3_1 a branch, b3 the split dot, r3_1
    the name written again at a branch of a node used many times), the
    steps (forward, then backward) and which SVG element belongs to which node."""
    every = explain(root, fmt=PANEL_FMT)  # the chain rule, per node

    def name(node: Any) -> str:  # every node's one name (viz.flow.node_names)
        return steps.names[id(node)]

    engine = topological_order(root)  # each node before its parents
    gates = [n for n in reversed(engine) if n.parents]  # each gate after its inputs
    factors = Factors(PANEL_FMT)  # every chain-rule path's factors, each kept once
    nodes, names = _nodes(root, order, steps, gates, every, name, factors)
    return {
        "title": title,
        "root": order.index(root),
        "nodes": nodes,
        "names": names,
        "steps": _forward_steps(order, gates, steps.fmt, name)
        + _backward_steps(order, steps, name),
        "note": "",
        "factors": factors.rows,
        "gradColor": RED.lower(),
        "valueColor": GREEN.lower(),
        "productColor": BLUE.lower(),
    }


def _nodes(
    root: Any,
    order: list[Any],
    steps: BackwardSteps,
    gates: list[Any],
    every: Any,
    name: Any,
    factors: Factors,
) -> tuple[list[dict], dict[str, int]]:
    """What the panel shows of each node, and the SVG names (node titles) of each."""
    index = {id(n): i for i, n in enumerate(order)}
    forward_at = {id(g): k for k, g in enumerate(gates, start=1)}
    flow = steps.flow
    users: dict[int, list[int]] = {id(n): [] for n in order}
    for n in order:
        for p in n.parents:
            users[id(p)].append(index[id(n)])
    sums = {d["name"]: d["text"] for d in every.to_dict()["nodes"]}

    nodes = []
    names: dict[str, int] = {}
    for i, n in enumerate(order):
        names[f"n{i}"] = names[f"w{i}"] = names[f"b{i}"] = i
        for j in range(len(users[id(n)])):  # a branch; r: the name again at a many-use node
            names[f"w{i}_{j}"] = names[f"r{i}_{j}"] = i
        arrived = flow.arrived(n)  # first and last: the backward steps it starts and ends at
        parts = [w.down for w in arrived]
        total = flow.grad.get(id(n), 0.0)
        tensor = steps.tensor
        nodes.append(
            {
                "name": name(n),
                "op": n.op,
                "formula": gate_formula(n),  # the lecture's local gradient, from the record
                "value": _panel(n.data),
                "grad": _panel(total),
                "parts": equation(parts, "+", total, PANEL_FMT)
                if len(parts) > 1 and not tensor
                else "",
                "inputs": _tensor_inputs(n, index, steps)
                if tensor
                else [
                    {"node": index[id(p)], "local": fmt_number(lo, PANEL_FMT)}
                    for p, lo in zip(n.parents, n.local_grads, strict=True)
                ],
                "users": users[id(n)],
                "forward": forward_at.get(id(n), 0),
                "first": arrived[0].step if arrived else None,
                "done": arrived[-1].step if arrived else None,
                "chain": _chain_rule(root, n, sums.get(name(n)), factors),
                # the keyboard's stop for this node in the picture, and what it computes
                "target": f"n{i}" if n.parents or n.label else f"w{i}",
                "says": _computes(n, steps.fmt, name) if n.parents else "",
                # a Tensor gate: its rules (above) applied to δ, this node's gradient
                "hands": "backward applies each rule to δ = ∂/∂(this output), shown above"
                if steps.tensor and n.parents
                else "",
            }
        )
    return nodes, names


def _chain_rule(root: Any, node: Any, node_sum: str | None, factors: Factors) -> dict:
    """The chain-rule panel of a node (`viz.explain`): its per-node sum; for an input, also
    the sum over the paths from the root back to it (when there are at most PANEL_PATHS),
    each path as its last factor in the page's shared table (`viz/page_paths.py`)."""
    chain: dict[str, Any] = {"sum": node_sum, "headline": None, "paths": [], "notes": []}
    if node.parents or node is root:
        return chain
    e = explain(root, wrt=node, fmt=PANEL_FMT, max_paths=PANEL_PATHS)
    chain["headline"] = e.headline()
    chain["paths"] = [factors.path(p) for p in e.paths or ()]
    chain["notes"] = list(e.notes)
    return chain


def _forward_steps(order: list[Any], gates: list[Any], fmt: Format, name: Any) -> list[dict]:
    """The inputs, then one step per gate in the engine's order: what it computes."""
    n = len(gates)
    inputs = ", ".join(f"{name(x)} = {_show(x.data, fmt)}" for x in order if not x.parents)
    steps = [
        {
            "phase": "forward",
            "frame": 0,
            "at": 0,
            "node": None,
            "caption": f"forward, step 0 of {n}: the inputs {inputs}",
        }
    ]
    index = {id(x): i for i, x in enumerate(order)}
    for k, g in enumerate(gates, start=1):
        said = _computes(g, fmt, name)
        steps.append(
            {
                "phase": "forward",
                "frame": 0,
                "at": k,
                "node": index[id(g)],
                "caption": f"forward, step {k} of {n}: the {g.op} gate computes {said}",
            }
        )
    return steps


def _backward_steps(order: list[Any], steps: BackwardSteps, name: Any) -> list[dict]:
    """One step per frame of `backward_steps`: the seed, then each gate's products."""
    n, f = len(steps) - 1, name(steps.root)
    index = {id(x): i for i, x in enumerate(order)}
    out = []
    for s in steps.steps:
        if s.gate is None:
            caption = f"backward, step 0 of {n}: the seed d{f}/d{f} = 1"
        else:
            twice = len({id(w.node) for w in s.wires}) < len(s.wires)  # a * a
            said = "; ".join(
                f"{name(w.node)}{f' (input {w.k + 1})' if twice else ''}: "
                + steps.product(steps.local(w), w.upstream, w.down)
                for w in s.wires
            )
            how = "by its rule" if steps.tensor else "local × upstream = downstream"
            caption = (
                f"backward, step {s.index} of {n}: the {s.gate.op} gate ({name(s.gate)}), "
                f"{how}: {said}"
            )
        out.append(
            {
                "phase": "backward",
                "frame": 0,  # one picture; the step's state is data (viz/page_state.py)
                "at": s.index,
                "node": None if s.gate is None else index[id(s.gate)],
                "caption": caption,
            }
        )
    return out


def _network_explorer(
    root: Any, model: Any, title: str, note: str, max_bytes: int | None
) -> Explorer:
    """One frame, the network view, for graphs too big to step through gate by gate (a page
    of more than `max_bytes` even so is refused: the limit is hard)."""
    svg = _clean_svg(to_bytes(network(root, model=model), "svg").decode())
    data = {
        "title": title,
        "root": None,
        "nodes": [],
        "names": {},
        "steps": [{"phase": "network", "frame": 0, "at": 0, "node": None, "caption": note}],
        "note": note,
        "gradColor": RED.lower(),
        "valueColor": GREEN.lower(),
        "productColor": BLUE.lower(),
    }
    explorer = Explorer(_body([_accessible_svg(svg, data)], data), title, 1)
    if max_bytes is not None and _page_size(explorer) > max_bytes:
        raise ValueError(
            f"explore: even the network view of this graph makes a page of "
            f"{_page_size(explorer):,} bytes, more than max_bytes={max_bytes:,}"
        )
    return explorer


# ---------------------------------------------------------------------------- accessibility
def describe(node: dict, grad: str | None, nodes: list[dict]) -> str:
    """A node in words, as its title in the picture says it (the page's script says the same
    at each step): "add = x + y = -2 + 5 = 3, gradient -4, local gradients 1 (x), 1 (y)"."""
    said = f"{node['name']} = {node['says'] or node['value']}"
    if not node["op"]:
        said += ", an input"
    said += f", gradient {grad}" if grad else ", no gradient yet"
    ins = node["inputs"]
    if len(ins) == 1:
        said += f", local gradient {ins[0]['local']}"
    elif ins:
        said += ", local gradients " + ", ".join(
            f"{i['local']} ({nodes[i['node']]['name']})" for i in ins
        )
    return said


_GROUP = re.compile(r'<g id="([^"]*)" class="(node|edge|graph)">\s*<title>([^<]*)</title>\n?')


def _accessible_svg(svg: str, data: dict) -> str:
    """The picture for assistive technology: each node's keyboard stop (its gate, or its name,
    or its wire) a button whose <title> says the node in words; every other group (wires,
    arrows) hidden from screen readers, its Graphviz name kept as `data-name`."""
    names, nodes = data["names"], data["nodes"]
    targets = {n["target"]: i for i, n in enumerate(nodes)}
    slots = data.get("slots", {})

    def group(m: re.Match) -> str:
        gid, kind, title = m.group(1), m.group(2), html.unescape(m.group(3))
        if kind == "graph":
            return f'<g id="{gid}" class="graph">'
        name = title.split("->")[0].split(":")[0] if kind == "edge" else title
        i = names.get(name)
        attrs = f' data-name="{html.escape(title)}"'
        if i is not None:
            attrs += f' data-node="{i}"'
        if kind == "node" and title in targets:
            n = nodes[targets[title]]
            changes = slots.get(f"w{targets[title]}", {}).get("g")
            said = describe(n, changes[-1][1] if changes else None, nodes)
            return (
                f'<g id="{gid}" class="node"{attrs} tabindex="0" role="button">'
                f"<title>{html.escape(said)}</title>\n"
            )
        return f'<g id="{gid}" class="{kind}"{attrs} aria-hidden="true">\n'

    if not nodes:  # the network view: one picture, its note says what it shows
        return svg.replace("<svg", '<svg role="img" aria-label="the network view"', 1)
    svg = _GROUP.sub(group, svg)
    label = f"the graph, {len(nodes)} nodes: Tab moves from node to node, Enter opens one"
    return svg.replace("<svg", f'<svg role="group" aria-label="{label}"', 1)


def _table(data: dict) -> str:
    """Every node's value and final gradient as an HTML table (in a disclosure)."""
    if not data["nodes"]:
        return ""
    root = data["nodes"][data["root"]]["name"]
    rows = []
    for n in data["nodes"]:
        what = f"the {n['op']} gate" if n["op"] else "an input"
        done = "" if n["done"] is None else str(n["done"])
        cells = [what, n["value"], n["grad"], str(n["forward"]), done]
        rows.append(
            f'<tr><th scope="row">{html.escape(n["name"])}</th>'
            + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
            + "</tr>"
        )
    head = "".join(
        f'<th scope="col">{html.escape(h)}</th>'
        for h in (
            "node",
            "what",
            "value",
            f"gradient ∂{root}/∂node",
            "forward step",
            "gradient complete at backward step",
        )
    )
    return (
        '<details class="gt-table"><summary>Values and gradients as a table</summary>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></details>"
    )


LEGEND = (
    "On each wire, the value is written above it (green) and the gradient below it (red); "
    "under the wires into the gate at work, local × upstream = downstream (blue). The gate at "
    "work is filled yellow and outlined thick."
)


# ---------------------------------------------------------------------------- the markup
def _body(frames: list[str], data: dict) -> str:
    """The explorer's root element: title, controls, frames, node panel, data."""
    scope = f"gtx-{next(_ids)}-{os.getpid()}"
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # Nothing in the data may end the <script> element it sits in.
    blob = blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    last = len(data["steps"]) - 1
    kind = "" if data["steps"][0]["phase"] == "network" else " gt-steps"
    divs = "\n".join(
        f'<div class="gt-frame{kind}" data-frame="{j}"{"" if j == 0 else " hidden"}>'
        f"{_scope_ids(svg, f'{scope}-f{j}-')}</div>"
        for j, svg in enumerate(frames)
    )
    first_caption = html.escape(data["steps"][0]["caption"])
    legend = f'<p class="gt-legend">{html.escape(LEGEND)}</p>' if data["nodes"] else ""
    return f"""<div class="gradtrace-explorer" id="{scope}" data-step="0" \
data-steps="{last + 1}" data-fragment="0" tabindex="0" role="region" \
aria-label="{html.escape(data["title"])}">
<div class="gt-head"><h1 class="gt-title">{html.escape(data["title"])}</h1>
<p class="gt-caption" aria-live="polite">{first_caption}</p>{legend}</div>
<div class="gt-controls" role="group" aria-label="steps">
<button type="button" class="gt-first" title="first step (Home)" aria-label="first step">\
|&#x25C0;</button>
<button type="button" class="gt-prev" title="previous step (Left)" aria-label="previous step">\
&#x25C0;</button>
<button type="button" class="gt-play" title="play / pause (Space)">play</button>
<button type="button" class="gt-next" title="next step (Right)" aria-label="next step">\
&#x25B6;</button>
<button type="button" class="gt-last" title="last step (End)" aria-label="last step">\
&#x25B6;|</button>
<input type="range" class="gt-slider" min="0" max="{last}" value="0" step="1" \
aria-label="step">
<span class="gt-counter">step 0 of {last}</span>
<button type="button" class="gt-zoom" title="actual size (scroll to move)">1:1</button>
</div>
<noscript><p class="gt-note">This page steps through the graph with a small script; with \
scripts off it shows every gradient and product at once.</p></noscript>
<div class="gt-main"><div class="gt-frames">
{divs}
</div>
<aside class="gt-panel" aria-label="the node's details"><p class="gt-hint">Hover over or click \
a node (a gate, a name, or the numbers on a wire), or Tab to it and press Enter, to see its \
value, gradient and local gradients.</p></aside></div>
{_table(data)}
<script type="application/json" class="gt-data">{blob}</script>
</div>"""


_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.S)
_BLANK = re.compile(r"<text[^>]*>(?:\s|&#160;)*</text>\n?")


def _clean_svg(svg: str) -> str:
    """Graphviz's SVG made fit to inline: no XML prolog, DOCTYPE (its DTD URL) or comments,
    no blank text, no font on every text (the page's style sheet names Helvetica once), no
    namespace URLs (HTML puts <svg> in the SVG namespace by itself), no fixed size (the
    page scales it to its box, the viewBox keeps the proportions)."""
    svg = _PROLOG.sub("", svg)
    svg = _BLANK.sub("", svg)  # the empty rows that keep labels aligned draw nothing
    svg = svg.replace(' font-family="Helvetica,sans-Serif"', "")  # the style sheet sets it
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = re.sub(r'<svg width="[^"]*" height="[^"]*"', "<svg", svg, count=1)
    return svg.strip()


_CAPTION = re.compile(r'<g id="[^"]*" class="node">\s*<title>caption</title>.*?</g>\n?', re.S)


def _without_caption(svg: str) -> str:
    """A backward frame without its own caption (the frames write it as a node titled
    "caption", above the graph): the page's caption line says it, with unique names."""
    return _CAPTION.sub("", svg, count=1)


def _scope_ids(svg: str, prefix: str) -> str:
    """Make the SVG's element ids (graph0, node1, edge1) unique on a page of many frames."""
    return re.sub(r' id="([^"]*)"', lambda m: f' id="{prefix}{m.group(1)}"', svg)


def _asset(name: str) -> str:
    return (PAGE / name).read_text(encoding="utf-8")
