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
labels; an unlabeled gate is named by its op and, if needed, an index (add1, mul2, exp), the
same in every derivation of the graph (`viz.flow.node_names`). `by="label"` keeps only labeled
nodes: the gates between two of them become one factor, the partial derivative of one labeled
node by the other (the notes' dE/dout_o1 for the whole error expression).

The numbers (paths, per-node sums, never exponential) come from `viz.chain_rule`; this file
writes them as text and Markdown/LaTeX, with the equation writers of `viz.typeset`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .chain_rule import ChainRule, NodeSum, Path, chain_rule, largest_jacobian, same
from .graph import as_root
from .style import DEFAULT_FORMAT, Format, fmt_number, matrix_text, summary
from .tensor_explain import RuleStep, rule_lines, rule_markdown, rule_steps
from .typeset import (
    code_span,
    escape_markdown,
    frac,
    shape_words,
    tex_block,
    tex_name,
    tex_text,
    text_equation,
)

MAX_PATHS = 64
FORMULAS = "Each factor is a local gradient its gate recorded; the gates say"


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
    rules: tuple[RuleStep, ...] = ()  # Tensor graphs: each gate's rule with its numbers
    ending: tuple[str, ...] = ()  # Tensor graphs: wrt.grad, and whether the rules agree
    formulas: tuple[tuple[str, str], ...] = ()  # Value gates on the way: (gate, its formula)

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
            "formulas": [{"gate": g, "formula": f} for g, f in self.formulas],
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
        if self.rules:
            lines += ["", *rule_lines(self.root, self.rules, self.fmt), *self.ending]
        if self.formulas:
            lines += ["", FORMULAS + ":", *(f"  {g}: {f}" for g, f in self.formulas)]
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
        return text_equation(lhs, lhs, self._path_sides(), self.fmt)

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
        lhs = name if n.shape is None else f"{name} {shape_words(n.shape)}"
        return text_equation(lhs, name, self._node_sides(n), self.fmt)

    # ------------------------------------------------------------------ Jupyter
    def _repr_markdown_(self) -> str:
        return self.markdown()

    def markdown(self) -> str:
        """The explanation as Markdown with LaTeX (what Jupyter shows)."""
        R, X = tex_name(self.root), tex_name(self.wrt) if self.wrt else None
        fmt = self.fmt
        parts = []
        if X is None:
            parts.append(f"**How backprop filled every gradient of ${R}$**, node by node:")
        elif self.kind == "tensor":
            shape = next((n.shape for n in self.nodes if n.name == self.wrt), None)
            got = "" if shape is None else f", a {shape_words(shape)} gradient"
            parts.append(f"**How backprop got ${frac(R, X)}$**{got}:")
        else:
            code = code_span(f"{self.wrt}.grad")
            seen = f" ({code} $= {self.num(self.recorded)}$)" if self.agrees else ""
            parts.append(f"**How backprop got ${frac(R, X)} = {self.num(self.gradient)}$**{seen}:")
        if self.paths is not None:
            n, between = self.n_paths, f"from ${R}$ back to ${X}$"
            if n == 1:
                parts.append(f"One path leads {between}: the product of the local gradients on it:")
            else:
                parts.append(
                    f"Sum over the {n} paths {between} of the products of local gradients:"
                )
            parts.append(tex_block([(frac(R, X), self._path_sides())], fmt))
        rule = (
            rf"${frac(R, 'a')} = \sum_{{c\ \mathrm{{consumes}}\ a}} {frac(R, 'c')}\,"
            rf"{frac('c', 'a')}$"
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
            lhs = frac(R, tex_name(n.name))
            if n.shape is not None:
                lhs += rf"\ {tex_text(shape_words(n.shape))}"
            rows.append((lhs, self._node_sides(n)))
        if rows:
            parts.append(tex_block(rows, fmt))
        if self.rules:
            parts.append("\n".join(rule_markdown(self.root, self.rules, fmt, tex_name)))
            parts.append("\n\n".join(f"`{line.strip()}`" for line in self.ending))
        if self.formulas:
            parts.append(FORMULAS + ":")
            parts.append("\n".join(f"- {escape_markdown(f'{g}: {f}')}" for g, f in self.formulas))
        parts += [f"*Note: {escape_markdown(note)}*" for note in self.notes]
        return "\n\n".join(parts)


def explain(
    root: Any,
    wrt: Any = None,
    *,
    by: str = "gate",
    fmt: Format = DEFAULT_FORMAT,
    max_paths: int = MAX_PATHS,
) -> Explanation:
    """How backprop got `wrt.grad`: the sum over paths of products of local gradients, and
    the per-node sums ("gradients add at branches"), named by the graph's labels.

    `wrt` is a node of the graph or a label; None explains every node's gradient (per node).
    `by="gate"` writes one factor per gate; `by="label"` one per hop between labeled nodes.
    `fmt` is a format spec (".4g", the default: four significant digits; ".2f") or a
    function of a float, as for `draw`. Paths are written out only when there are at most
    `max_paths`; they are counted, never enumerated, first. Tensor graphs get the per-node
    form with shapes (their factors are Jacobians, which gradtrace never builds: each gate
    applies its vector-Jacobian product), then each gate's rule with its numbers."""
    if by not in ("gate", "label"):
        raise ValueError(f"explain(by={by!r}): by must be 'gate' or 'label'")
    if isinstance(max_paths, bool) or not isinstance(max_paths, int) or max_paths < 0:
        raise ValueError(f"explain(max_paths={max_paths!r}): give a whole number >= 0")
    fmt_number(1.0, fmt)  # a bad format fails here, with Python's message
    root = as_root(root)  # a Value, a Tensor or a traced PyTorch graph; else a TypeError
    rule = chain_rule(root, wrt, by=by, max_paths=max_paths)
    names, target = rule.names, rule.target
    recorded = None if target is None else target.grad
    agrees = None if rule.gradient is None else same(rule.gradient, recorded)
    rules = rule_steps(root, rule.kept, names) if rule.tensor and by == "gate" else ()
    return Explanation(
        kind="tensor" if rule.tensor else "value",
        by=by,
        fmt=fmt,
        root=names[id(root)],
        wrt=None if target is None else names[id(target)],
        gradient=rule.gradient,
        recorded=recorded,
        agrees=agrees,
        n_paths=rule.n_paths,
        max_paths=max_paths,
        paths=rule.paths,
        nodes=rule.nodes,
        notes=tuple(_notes(rule, max_paths, agrees)),
        names=names,
        formulas=_formulas(rule) if by == "gate" else (),
        rules=rules,
        ending=tuple(_ending(rules, names, target, fmt)),
    )


def _ending(rules: tuple, names: dict, target: Any, fmt: Format) -> list[str]:
    """The last lines of a Tensor explanation: wrt.grad as backward left it, checked."""
    got = next(
        (s.gradient for s in rules if target is not None and s.name == names[id(target)]), None
    )
    if got is None:
        return []
    name = names[id(target)]
    if target.grad is None:
        return [f"{name}.grad is None: backward() has not run (the rules above need no backward)."]
    rtol = 1e-5 if np.result_type(got, target.grad) == np.float32 else 1e-9  # each dtype's digits
    ok = got.shape == target.grad.shape and bool(np.allclose(got, target.grad, rtol=rtol, atol=0))
    verdict = (
        "✓ the same as the rules give"
        if ok
        else "✗ NOT what the rules give (backward ran more than once?)"
    )
    rows = matrix_text(target.grad, fmt)
    return [
        f"{name}.grad (backward) =",
        *[f"      {r}" for r in rows[:-1]],
        f"      {rows[-1]}   {verdict}",
    ]


def _formulas(rule: ChainRule) -> tuple[tuple[str, str], ...]:
    """Each Value gate on the way, once, inputs first, with the formula its record gives:
    ("mul (*)", "d/da = b, d/db = a")."""
    if rule.tensor:
        return ()
    seen: dict[int, tuple[str, str]] = {}
    for node in reversed(rule.kept):
        gate = getattr(node, "gate", None)
        if gate is not None and gate.formula and id(gate) not in seen:
            seen[id(gate)] = (f"{gate.word} ({gate.name})", gate.formula)
    return tuple(seen.values())


# ---------------------------------------------------------------------- notes
def _notes(rule: ChainRule, max_paths: int, agrees: bool | None) -> list[str]:
    """What the sums alone do not say: why paths are not listed, why .grad differs."""
    root, target = rule.names[id(rule.root)], rule.target
    if target is None:
        off = [n.name for n in rule.nodes if not same(n.gradient, n.recorded)]
        if rule.tensor or not off:
            return []
        return [
            f"backward() has not run from {root}, or ran more than once, for "
            + ", ".join(off[:8])
            + (" ..." if len(off) > 8 else "")
            + ": their .grad differs from the sum (leaves keep adding across calls)."
        ]
    notes = []
    wrt, n_paths = rule.names[id(target)], rule.n_paths
    if rule.tensor:
        notes.append(_jacobian_note(rule))
    elif n_paths > max_paths:
        notes.append(
            f"{n_paths:,} paths lead from {root} back to {wrt}, "
            f"more than max_paths={max_paths}: they are not written out. The per-node "
            f"form gives the same sum in {len(rule.nodes)} lines, one per node, which is how "
            "backward computes it (each node once, never each path)."
        )
    if not rule.tensor and not agrees:
        notes.append(_disagreement(wrt, rule.gradient, target.grad))
    return notes


def _the_paths(n: int) -> str:
    """'the one path is' / 'the 12 paths are': the subject of the Jacobian note."""
    return "the one path is" if n == 1 else f"the {n:,} paths are"


def _jacobian_note(rule: ChainRule) -> str:
    """Why a Tensor graph gets no path sum: the factors would be Jacobian matrices."""
    rows, cols, which = largest_jacobian(rule)
    n_paths = rule.n_paths
    return (
        f"For Tensors {_the_paths(n_paths)} not written out: "
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


def _plain(x: Any) -> Any:
    """A grad as plain data: floats stay, arrays become nested lists, None stays None."""
    if x is None or isinstance(x, (int, float)):
        return x
    tolist = getattr(x, "tolist", None)
    return tolist() if tolist is not None else float(x)
