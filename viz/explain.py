"""`explain`: how backprop got one gradient, written out the way the lecture writes the chain rule.

    e = explain(f, wrt=x)    df/dx as the sum over the paths from f back to x of the products
                             of the local gradients along each ("df/dx = df/dq · dq/dx =
                             -4 × 1 = -4"), and per node: df/da = the sum over a's consumers c
                             of df/dc · dc/da ("gradients add at branches")
    str(e)                   as text; in Jupyter as Markdown with LaTeX (`_repr_markdown_`)
    e.to_dict()              as plain data (JSON-able) for a page to show

Nothing is guessed: every factor is a local gradient a gate recorded on the forward pass
(`local_grads`, the number `draw` prints on a wire), so `explain` needs no backward() and
checks its sum against `wrt.grad` when backward has run. Factors are named by the graph's
labels; an unlabeled gate is named by its op and, if needed, an index (add1, mul2, exp).
`by="label"` keeps only labeled nodes: the gates between two of them become one factor, the
partial derivative of one labeled node by the other (the notes' dE/dout_o1 for the whole error
expression).

Never exponential: the paths are counted first by dynamic programming (a node's number of
paths to x is the sum over its inputs) and written out only when there are at most
`max_paths`; past that the per-node form alone is given (one line per node, the same sum).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from gradtrace import topological_order

from .graph import as_root, is_tensor
from .style import Format, fmt_number, summary

MAX_PATHS = 64
WIDTH = 100  # a text line longer than this is broken, one side of the equation per line


@dataclass(frozen=True)
class Factor:
    """One local gradient on a path: d`of`/d`wrt` (names from the graph) and its value."""

    of: str
    wrt: str
    value: float

    @property
    def name(self) -> str:
        return f"d{self.of}/d{self.wrt}"


@dataclass(frozen=True)
class Path:
    """One path from the root back to `wrt`: its factors (root end first) and their product."""

    factors: tuple[Factor, ...]
    value: float


@dataclass(frozen=True)
class Term:
    """What one consumer c hands back to a node a: d root/dc (`upstream`, None when c is the
    root, whose gradient is 1) times dc/da (`local`); None values for Tensor gates."""

    consumer: str
    upstream: float | None
    local: float | None
    value: float | None


@dataclass(frozen=True)
class NodeSum:
    """d root/d node as the sum of its terms (one per consumer), and what backward stored."""

    name: str
    op: str
    shape: tuple[int, ...] | None  # None for a Value
    gradient: float | None  # the sum of the terms (None for a Tensor node)
    recorded: Any  # the node's `grad` attribute as explain found it
    terms: tuple[Term, ...]


@dataclass
class Explanation:
    """The chain rule for d root/d wrt, written out: `paths` (None when there are more than
    `max_paths`, or for Tensors) and `nodes`, the per-node sums from the root back to wrt.
    `str()` is text, `_repr_markdown_()` Markdown with LaTeX, `to_dict()` plain data."""

    kind: str  # "value" or "tensor"
    by: str  # "gate" or "label"
    fmt: Format
    root: str  # the names the explanation uses
    wrt: str | None  # None: every node's gradient, per node
    gradient: float | None  # d root/d wrt from the local gradients (None for Tensors)
    recorded: Any  # wrt.grad as explain found it
    agrees: bool | None  # gradient == recorded (to 1e-9)
    n_paths: int | None
    max_paths: int
    paths: tuple[Path, ...] | None
    nodes: tuple[NodeSum, ...]
    notes: tuple[str, ...]
    names: dict[int, str] = field(repr=False)  # id(node) -> name

    def name_of(self, node: Any) -> str | None:
        """The name this explanation gives `node` (None if it is not part of it)."""
        return self.names.get(id(node))

    # ------------------------------------------------------------------ data
    def to_dict(self) -> dict[str, Any]:
        """Everything as plain data (json.dumps works): the paths with their named, valued
        factors, the per-node sums with their terms, each with its equation as text, the notes
        and the whole text. Numbers are floats (inf/nan where a gate recorded one)."""
        paths = None
        if self.paths is not None:
            paths = [
                {
                    "factors": [{"name": f.name, **asdict(f)} for f in p.factors],
                    "value": p.value,
                    "text": self._path_text(p),
                }
                for p in self.paths
            ]
        nodes = []
        for n in self.nodes:
            d = asdict(n)
            d["shape"] = list(n.shape) if n.shape is not None else None
            d["recorded"] = _plain(n.recorded)
            d["text"] = " ".join(line.strip() for line in self._node_lines(n))
            nodes.append(d)
        return {
            "kind": self.kind,
            "by": self.by,
            "root": self.root,
            "wrt": self.wrt,
            "gradient": self.gradient,
            "recorded": _plain(self.recorded),
            "agrees": self.agrees,
            "n_paths": self.n_paths,
            "max_paths": self.max_paths,
            "paths": paths,
            "nodes": nodes,
            "notes": list(self.notes),
            "text": str(self),
        }

    # ------------------------------------------------------------------ text
    def __repr__(self) -> str:
        what = f"d{self.root}/d{self.wrt}" if self.wrt else f"every gradient of {self.root}"
        value = f" = {self.num(self.gradient)}" if self.gradient is not None else ""
        n = self.n_paths
        paths = "" if n is None else f", {n:,} path{'s' * (n != 1)}"
        return f"<Explanation {what}{value}{paths}>"

    def __str__(self) -> str:
        lines = [self.headline(), ""]
        if self.paths is not None:
            lines.append(self.paths_heading())
            lines += self.path_lines()
            lines.append("")
        if self.nodes:
            lines.append(self.nodes_heading())
        for n in self.nodes:
            lines += self._node_lines(n)
        if self.notes:
            lines.append("")
            lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def num(self, x: float) -> str:
        return fmt_number(x, self.fmt)

    def headline(self) -> str:
        R, X = self.root, self.wrt
        if X is None:
            return f"How backprop filled every gradient of {R}, node by node:"
        if self.kind == "tensor":
            shape = next((n.shape for n in self.nodes if n.name == X), None)
            got = "" if shape is None else f", a {shape} gradient"
            seen = "" if self.recorded is None else f" ({X}.grad: {summary(self.recorded)})"
            return f"How backprop got d{R}/d{X}{got}{seen}:"
        seen = f" ({X}.grad = {self.num(self.recorded)})" if self.agrees else ""
        return f"How backprop got d{R}/d{X} = {self.num(self.gradient)}{seen}:"

    def paths_heading(self) -> str:
        n, R, X = self.n_paths, self.root, self.wrt
        if n == 1:
            return f"One path leads from {R} back to {X}: the product of the local gradients on it:"
        return f"Sum over the {n} paths from {R} back to {X} of the products of local gradients:"

    def nodes_heading(self) -> str:
        R, back = self.root, f" back to {self.wrt}" if self.wrt else ""
        vjp = "; each · dc/da is gate c's vector-Jacobian product" if self.kind == "tensor" else ""
        return (
            f"Per node, from {R}{back}: d{R}/da = the sum over a's consumers c of d{R}/dc · dc/da"
            f" (gradients add at branches{vjp}):"
        )

    def path_lines(self) -> list[str]:
        """The path sum as text lines: names, numbers, the products, the total."""
        assert self.paths is not None
        lhs = f"d{self.root}/d{self.wrt}"
        return _text_equation(lhs, lhs, self._path_sides(), self.fmt)

    def _path_sides(self) -> list[list[list[tuple]]]:
        paths = self.paths or ()
        if paths and not paths[0].factors:  # wrt is the root: the seed of backward
            return [[[("num", 1.0)]]]
        names = [[("name", f.of, f.wrt) for f in p.factors] for p in paths]
        nums = [[("num", f.value) for f in p.factors] for p in paths]
        products = [[("num", p.value)] for p in paths]
        return [names, nums, products, [[("num", self.gradient)]]]

    def _path_text(self, path: Path) -> str:
        names = " · ".join(f.name for f in path.factors) or "1"
        nums = " × ".join(self.num(f.value) for f in path.factors) or "1"
        return f"{names} = {nums} = {self.num(path.value)}"

    def _node_sides(self, n: NodeSum) -> list[list[list[tuple]]]:
        R = self.root
        # A term is d R/dc · dc/da; from the root itself (c = R) it is d R/dR · dR/da = 1 ×
        # the root gate's local gradient, written as that alone unless other terms join it.
        alone = len(n.terms) == 1
        names = [
            [("name", R, n.name)]
            if t.consumer == R and alone
            else [("name", R, t.consumer), ("name", t.consumer, n.name)]
            for t in n.terms
        ]
        if self.kind == "tensor":
            sides = [names]
            if names == [[("name", R, n.name)]]:  # fed the root only: its gate's VJP of 1
                sides.append([[("text", f"{R}'s gate applied to the seed 1")]])
            if n.recorded is not None:
                sides.append([[("text", summary(n.recorded, self.fmt))]])
            return sides
        nums = [
            [("num", t.local)]
            if t.upstream is None and alone
            else [("num", 1.0 if t.upstream is None else t.upstream), ("num", t.local)]
            for t in n.terms
        ]
        values = [[("num", t.value)] for t in n.terms]
        return [names, nums, values, [[("num", n.gradient)]]]

    def _node_lines(self, n: NodeSum) -> list[str]:
        name = f"d{self.root}/d{n.name}"
        lhs = name if n.shape is None else f"{name} {_shape(n.shape)}"
        return _text_equation(lhs, name, self._node_sides(n), self.fmt)

    # ------------------------------------------------------------------ Jupyter
    def _repr_markdown_(self) -> str:
        return self.markdown()

    def markdown(self) -> str:
        """The explanation as Markdown with LaTeX (what Jupyter shows)."""
        R, X = _tex_name(self.root), _tex_name(self.wrt) if self.wrt else None
        fmt = self.fmt
        parts = []
        if X is None:
            parts.append(f"**How backprop filled every gradient of ${R}$**, node by node:")
        elif self.kind == "tensor":
            shape = next((n.shape for n in self.nodes if n.name == self.wrt), None)
            got = "" if shape is None else f", a {_shape(shape)} gradient"
            parts.append(f"**How backprop got ${_frac(R, X)}$**{got}:")
        else:
            seen = f" (`{self.wrt}.grad` $= {self.num(self.recorded)}$)" if self.agrees else ""
            parts.append(f"**How backprop got ${_frac(R, X)} = {self.num(self.gradient)}$**{seen}:")
        if self.paths is not None:
            n, between = self.n_paths, f"from ${R}$ back to ${X}$"
            if n == 1:
                parts.append(f"One path leads {between}: the product of the local gradients on it:")
            else:
                parts.append(
                    f"Sum over the {n} paths {between} of the products of local gradients:"
                )
            parts.append(_tex_block([(_frac(R, X), self._path_sides())], fmt))
        rule = (
            rf"${_frac(R, 'a')} = \sum_{{c\ \mathrm{{consumes}}\ a}} {_frac(R, 'c')}\,"
            rf"{_frac('c', 'a')}$"
        )
        back = f" back to ${X}$" if X else ""
        vjp = r"; each $\frac{\partial c}{\partial a}$ is gate $c$'s vector-Jacobian product"
        if self.nodes:
            parts.append(
                f"Per node, from ${R}${back}: {rule} (gradients add at branches"
                + (vjp if self.kind == "tensor" else "")
                + "):"
            )
        rows = []
        for n in self.nodes:
            lhs = _frac(R, _tex_name(n.name))
            if n.shape is not None:
                lhs += rf"\ {_tex_text(_shape(n.shape))}"
            rows.append((lhs, self._node_sides(n)))
        if rows:
            parts.append(_tex_block(rows, fmt))
        parts += [f"*Note: {_escape_md(note)}*" for note in self.notes]
        return "\n\n".join(parts)


def explain(
    root: Any,
    wrt: Any = None,
    *,
    by: str = "gate",
    fmt: Format = ".6g",
    max_paths: int = MAX_PATHS,
) -> Explanation:
    """How backprop got `wrt.grad`: the sum over paths of products of local gradients, and
    the per-node sums ("gradients add at branches"), named by the graph's labels.

    `wrt` is a node of the graph or a label; None explains every node's gradient (per node).
    `by="gate"` writes one factor per gate; `by="label"` one per hop between labeled nodes.
    `fmt` is a format spec (".6g", ".2f") or a function of a float, as for `draw`. Paths are
    written out only when there are at most `max_paths`; they are counted, never enumerated,
    first. Tensor graphs get the per-node form with shapes: their factors are Jacobians,
    which gradtrace never builds (each gate applies its vector-Jacobian product)."""
    if by not in ("gate", "label"):
        raise ValueError(f"explain(by={by!r}): by must be 'gate' or 'label'")
    if isinstance(max_paths, bool) or not isinstance(max_paths, int) or max_paths < 0:
        raise ValueError(f"explain(max_paths={max_paths!r}): give a whole number >= 0")
    fmt_number(1.0, fmt)  # a bad format fails here, with Python's message
    root = as_root(root)  # a Value, a Tensor or a traced PyTorch graph; else a TypeError
    order = topological_order(root)  # root first, every node before its parents
    target = _find(order, root, wrt)
    tensor = any(is_tensor(n) or getattr(n, "local_grads", None) is None for n in order)

    edges = _edges(order, target, tensor)
    if by == "label":
        edges = _contract(order, edges, root, target)
    kept = [n for n in order if id(n) in edges]
    names = _names(kept, root)
    users: dict[int, list[tuple[Any, Any]]] = {id(n): [] for n in kept}
    for node in kept:
        for p, w in edges[id(node)].items():
            users[p].append((node, w))

    adjoint = _adjoints(kept, edges, tensor)
    nodes = tuple(
        _node_sum(n, users[id(n)], adjoint, names, root, tensor) for n in kept if n is not root
    )
    notes: list[str] = []
    n_paths = paths = gradient = agrees = recorded = None
    if target is not None:
        n_paths = _count_paths(kept, edges, target)
        recorded = target.grad
        if tensor:
            notes.append(_jacobian_note(kept, edges, names, n_paths))
        elif n_paths <= max_paths:
            paths = _enumerate_paths(root, target, edges, {id(n): n for n in kept}, names)
        else:
            notes.append(
                f"{n_paths:,} paths lead from {names[id(root)]} back to {names[id(target)]}, "
                f"more than max_paths={max_paths}: they are not written out. The per-node "
                f"form gives the same sum in {len(nodes)} lines, one per node, which is how "
                "backward computes it (each node once, never each path)."
            )
        if not tensor:
            gradient = adjoint[id(target)]
            agrees = _same(gradient, recorded)
            if not agrees:
                notes.append(_disagreement(names[id(target)], gradient, recorded))
    elif not tensor:
        off = [n.name for n in nodes if not _same(n.gradient, n.recorded)]
        if off:
            notes.append(
                f"backward() has not run from {names[id(root)]}, or ran more than once, for "
                + ", ".join(off[:8])
                + (" ..." if len(off) > 8 else "")
                + ": their .grad differs from the sum (leaves keep adding across calls)."
            )
    return Explanation(
        kind="tensor" if tensor else "value",
        by=by,
        fmt=fmt,
        root=names[id(root)],
        wrt=None if target is None else names[id(target)],
        gradient=gradient,
        recorded=recorded,
        agrees=agrees,
        n_paths=n_paths,
        max_paths=max_paths,
        paths=paths,
        nodes=nodes,
        notes=tuple(notes),
        names=names,
    )


# ---------------------------------------------------------------------- the graph
def _find(order: list[Any], root: Any, wrt: Any) -> Any:
    """The node `wrt` names (a node or a label), or None for "every node"; clear errors."""
    if wrt is None:
        return None
    if isinstance(wrt, str):
        found = [n for n in order if n.label == wrt]
        if len(found) == 1:
            return found[0]
        if found:
            raise ValueError(f"wrt={wrt!r}: {len(found)} nodes have this label; pass the node")
        labels = sorted({n.label for n in order if n.label})
        known = ", ".join(labels) if labels else "none"
        raise ValueError(f"wrt={wrt!r}: no node of this graph has that label (labels: {known})")
    if not any(n is wrt for n in order):
        raise ValueError(
            f"wrt={wrt!r} is not in the graph of root: the root does not depend on it, so its "
            "gradient is 0 and no path leads to it"
        )
    return wrt


def _edges(order: list[Any], target: Any, tensor: bool) -> dict[int, dict[int, Any]]:
    """For each node that depends on `target` (every node when None), its inputs that do too,
    each with d node/d input: the local gradient, summed when an input is used twice (x * x
    has d/dx = 2x); None for a Tensor gate."""
    reaches: set[int] = set()
    for node in reversed(order):  # inputs first
        if target is None or node is target or any(id(p) in reaches for p in node.parents):
            reaches.add(id(node))
    edges: dict[int, dict[int, Any]] = {}
    for node in order:
        if id(node) not in reaches:
            continue
        local = None if tensor else node.local_grads
        out: dict[int, Any] = {}
        for k, parent in enumerate(node.parents):
            if id(parent) in reaches:
                w = None if tensor else local[k]
                out[id(parent)] = _add(out[id(parent)], w) if id(parent) in out else w
        edges[id(node)] = out
    return edges


def _contract(order: list[Any], edges: dict, root: Any, target: Any) -> dict[int, dict[int, Any]]:
    """Keep only the root, the target (or every leaf) and the labeled nodes: the factor from
    a kept node A to a kept node B is the sum, over the paths between them through unlabeled
    gates only, of the products of their local gradients (the partial derivative of A by B)."""

    def kept(n: Any) -> bool:
        return n is root or n is target or bool(n.label) or (target is None and not n.parents)

    keep = {id(n) for n in order if id(n) in edges and kept(n)}
    through: dict[int, dict[int, Any]] = {}  # unlabeled node -> {kept node below: factor}
    out: dict[int, dict[int, Any]] = {}
    for node in reversed(order):  # inputs first, so `through` is ready for every input
        if id(node) not in edges:
            continue
        reach: dict[int, Any] = {}
        for p, w in edges[id(node)].items():
            for q, v in ({p: 1.0} if p in keep else through[p]).items():
                reach[q] = _add(reach[q], _mul(w, v)) if q in reach else _mul(w, v)
        (out if id(node) in keep else through)[id(node)] = reach
    return out


def _count_paths(kept: list[Any], edges: dict, target: Any) -> int:
    """The number of paths from the root back to `target`, by dynamic programming: a node's
    count is the sum of its inputs' counts (exact Python ints, linear time)."""
    count: dict[int, int] = {}
    for node in reversed(kept):
        count[id(node)] = 1 if node is target else sum(count[p] for p in edges[id(node)])
    return count[id(kept[0])]


def _enumerate_paths(root: Any, target: Any, edges: dict, by_id: dict, names: dict) -> tuple:
    """Every path from root to target (call only when there are few), first operand first.
    Each stack entry links back to the one before, so a long path is built once at the end."""
    paths = []
    stack: list[tuple[Any, Any]] = [(root, None)]
    while stack:
        node, link = stack.pop()
        if node is target:
            factors = []
            while link is not None:
                factor, link = link
                factors.append(factor)
            factors.reverse()
            paths.append(Path(tuple(factors), math.prod(f.value for f in factors)))
            continue
        for p, w in reversed(list(edges[id(node)].items())):
            factor = Factor(names[id(node)], names[p], w)
            stack.append((by_id[p], (factor, link)))
    return tuple(paths)


def _adjoints(kept: list[Any], edges: dict, tensor: bool) -> dict[int, Any]:
    """d root/d node for every kept node, from the root down (what backward computes)."""
    if tensor:
        return {}
    adjoint = {id(n): 0.0 for n in kept}
    adjoint[id(kept[0])] = 1.0
    for node in kept:
        upstream = adjoint[id(node)]
        for p, w in edges[id(node)].items():
            adjoint[p] += w * upstream
    return adjoint


def _node_sum(node: Any, users: list, adjoint: dict, names: dict, root: Any, tensor: bool):
    terms = []
    for consumer, w in users:
        up = None if consumer is root else adjoint.get(id(consumer))
        value = None if tensor else (w if up is None else up * w)
        terms.append(Term(names[id(consumer)], up, w, value))
    shape = tuple(node.data.shape) if tensor and is_tensor(node) else None
    grad = None if tensor else adjoint[id(node)]
    return NodeSum(names[id(node)], node.op, shape, grad, node.grad, tuple(terms))


def _jacobian_note(kept: list[Any], edges: dict, names: dict, n_paths: int) -> str:
    """Why a Tensor graph gets no path sum: the factors would be Jacobian matrices."""
    biggest, which = (0, 0), ""
    by_id = {id(n): n for n in kept}
    for node in kept:
        for p in edges[id(node)]:
            sizes = (int(getattr(node.data, "size", 1)), int(getattr(by_id[p].data, "size", 1)))
            if sizes[0] * sizes[1] > biggest[0] * biggest[1]:
                biggest, which = sizes, f"d{names[id(node)]}/d{names[p]}"
    rows, cols = biggest
    return (
        f"For Tensors the {n_paths:,} path{'s are' if n_paths != 1 else ' is'} not written out: "
        "each factor would be a Jacobian matrix (output size × input size numbers"
        + (f"; the largest here, {which}, is {rows:,} × {cols:,}" if which else "")
        + "; for a minibatch of 100 through a 4096-wide layer, 409,600 × 409,600). gradtrace "
        "never builds one: each gate applies its vector-Jacobian product to the upstream "
        "gradient, which is exactly the per-node form above."
    )


def _disagreement(name: str, gradient: float, recorded: float) -> str:
    """Why wrt.grad is not the sum of the paths: no backward yet, or more than one."""
    if recorded == 0:
        return (
            f"{name}.grad is 0: backward() has not run yet (explain needs no backward: it "
            "reads the local gradients each gate recorded on the forward pass)."
        )
    return (
        f"{name}.grad is {recorded:.10g}, not {gradient:.10g}: a leaf keeps adding across "
        "backward() calls (zero_grad() resets it), or backward ran from another root."
    )


# ---------------------------------------------------------------------- names
_WORDS = {
    "+": "add",
    "*": "mul",
    "-": "sub",
    "/": "div",
    "@": "matmul",
    "**": "pow",
    "*-1": "neg",
    "1/x": "recip",
    "": "leaf",
}
_PREFIXES = (("**", "pow"), ("max", "max"), ("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "div"))


def _word(op: str) -> str:
    """A readable name for a gate: "+" -> add, "*-1" -> neg, "**2" -> pow, "exp" -> exp."""
    if op in _WORDS:
        return _WORDS[op]
    for prefix, word in _PREFIXES:
        if op.startswith(prefix):
            return word
    return re.sub(r"\W+", "", op) or "gate"


def _names(kept: list[Any], root: Any) -> dict[int, str]:
    """Each kept node's name: its label (with #2, #3 when labels repeat), "f" for an unlabeled
    root, else its gate's word with an index when the word repeats (add1, add2), counted from
    the inputs towards the root."""
    forward = kept[::-1]
    labels = Counter(n.label for n in forward if n.label)
    taken = set(labels)
    names: dict[int, str] = {}
    repeat: Counter[str] = Counter()
    for n in forward:
        if n.label:
            repeat[n.label] += 1
            names[id(n)] = n.label if labels[n.label] == 1 else f"{n.label}#{repeat[n.label]}"
    if not root.label and "f" not in taken:
        names[id(root)] = "f"
    words = {id(n): _word(n.op) for n in forward if id(n) not in names}
    many = Counter(words.values())
    index: Counter[str] = Counter()
    taken |= set(names.values())
    for n in forward:
        if id(n) in words:
            word = words[id(n)]
            index[word] += 1
            name = f"{word}{index[word]}" if many[word] > 1 else word
            while name in taken:
                name += "'"
            taken.add(name)
            names[id(n)] = name
    return names


# ---------------------------------------------------------------------- writing
def _text_equation(lhs: str, name: str, sides: list, fmt: Format) -> list[str]:
    """ "lhs = side = side ...", each side a sum of terms, each term a product of atoms; on one
    line if it fits, else one side per line aligned under the first "=", a long sum broken
    before each "+". Sides equal to `name` or to the side before are left out."""
    indent = "  "
    texts: list[list[str]] = []
    for side in sides:
        terms = [_text_term(term, fmt) for term in side]
        if terms != [name] and (not texts or terms != texts[-1]):
            texts.append(terms)
    one = indent + lhs + " = " + " = ".join(" + ".join(t) for t in texts)
    if len(one) <= WIDTH or not texts:
        return [one]
    pad = indent + " " * len(lhs)
    lines = []
    for i, terms in enumerate(texts):
        head = indent + lhs if i == 0 else pad
        line = f"{head} = " + " + ".join(terms)
        if len(line) <= WIDTH or len(terms) == 1:
            lines.append(line)
        else:
            lines.append(f"{head} = {terms[0]}")
            lines += [f"{pad} + {t}" for t in terms[1:]]
    return lines


def _text_term(term: list[tuple], fmt: Format) -> str:
    if term[0][0] == "name":
        return " · ".join(f"d{a[1]}/d{a[2]}" for a in term)
    return " × ".join(fmt_number(a[1], fmt) if a[0] == "num" else a[1] for a in term)


def _tex_block(rows: list[tuple[str, list]], fmt: Format) -> str:
    """An aligned LaTeX block: for each row, lhs = side = side ...; a sum of more than two
    terms (or a long one) gets a line per term."""
    lines = []
    for lhs, sides in rows:
        texts: list[list[str]] = []
        for side in sides:
            terms = [_tex_term(term, fmt, i > 0) for i, term in enumerate(side)]
            if terms != [lhs] and (not texts or terms != texts[-1]):
                texts.append(terms)
        if all(len(t) == 1 for t in texts) and sum(len(t[0]) for t in texts) < 160:
            lines.append(rf"{lhs} &= " + " = ".join(t[0] for t in texts))
            continue
        first = True
        for terms in texts:
            head = lhs if first else ""
            long = len(terms) > 2 or sum(map(len, terms)) > 120
            if long:
                lines.append(rf"{head} &= {terms[0]}")
                lines += [rf"&\quad + {t}" for t in terms[1:]]
            else:
                lines.append(rf"{head} &= " + " + ".join(terms))
            first = False
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n$$"


def _tex_term(term: list[tuple], fmt: Format, after_plus: bool) -> str:
    if term[0][0] == "name":
        return r"\,".join(_frac(_tex_name(a[1]), _tex_name(a[2])) for a in term)
    out = []
    for i, atom in enumerate(term):
        s = fmt_number(atom[1], fmt) if atom[0] == "num" else _tex_text(atom[1])
        if s.startswith("-") and (i > 0 or after_plus):
            s = f"({s})"
        out.append(s)
    return r" \times ".join(out)


def _frac(of: str, wrt: str) -> str:
    return rf"\frac{{\partial {of}}}{{\partial {wrt}}}"


def _tex_name(name: str) -> str:
    """A name in LaTeX: out_o1 -> \\mathrm{out}_{o1}, w5 -> w_{5}, add1 -> \\mathrm{add}_{1}."""
    primes = len(name) - len(name.rstrip("'"))
    name = name.rstrip("'")
    m = re.fullmatch(r"([A-Za-z]+)_([A-Za-z0-9]+)|([A-Za-z]+)(\d+)|([A-Za-z]+)", name)
    if m is None:
        tex = _tex_text(name)
    elif m.group(5):
        tex = _tex_word(m.group(5))
    else:
        base, sub = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        tex = f"{_tex_word(base)}_{{{sub}}}"
    return tex + "'" * primes


def _tex_word(word: str) -> str:
    return word if len(word) == 1 else rf"\mathrm{{{word}}}"


def _tex_text(text: str) -> str:
    """Any text inside LaTeX: specials escaped; a $ (which would end the formula in Markdown)
    becomes a full-width ＄."""
    escaped = re.sub(r"[\\{}&#^_%~$]", lambda m: _TEX_SPECIALS[m.group()], text)
    return rf"\text{{{escaped}}}"


_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "$": "＄",
    **{c: "\\" + c for c in "{}&#_%"},
}


def _shape(shape: tuple[int, ...]) -> str:
    return str(shape) if shape else "(scalar)"


def _escape_md(text: str) -> str:
    return re.sub(r"([*_`$\\])", r"\\\1", text)


# ---------------------------------------------------------------------- numbers
def _add(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a + b


def _mul(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a * b


def _same(a: Any, b: Any) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    except (TypeError, ValueError):
        return False


def _plain(x: Any) -> Any:
    """A grad as plain data: floats stay, arrays become nested lists, None stays None."""
    if x is None or isinstance(x, (int, float)):
        return x
    tolist = getattr(x, "tolist", None)
    return tolist() if tolist is not None else float(x)
