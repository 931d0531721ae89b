"""The five equations of `explain_layers` typeset: text (`str`) and Markdown with LaTeX.

The maths is in layers.py; here only words, shapes and numbers (four significant digits, the
one format of style.py; a tensor small enough is written in full, row by row).
"""

from __future__ import annotations

import html
from typing import Any

from .style import matrix_tex, matrix_text, shape_text
from .typeset import code_span

CONVENTIONS = (
    "Conventions: the notes write W^L as an M×N matrix (M inputs × N outputs) and "
    "z^L = (W^L)ᵀ a^(L−1) + b^L with column vectors. gradtrace's (and PyTorch's) `weight` is "
    "(out, in), the notes' (W^L)ᵀ, and a minibatch stacks examples as rows: z = a·weightᵀ + b. "
    "So ∂J/∂weight = δ aᵀ (the transpose of the notes' a δᵀ), and for N rows "
    "∂J/∂weight = Σₙ δₙ aₙᵀ = δᵀ·A and ∂J/∂bias = Σₙ δₙ; a mean loss divides by N inside δ."
)
H_NAMES = {"Sigmoid": "σ", "Tanh": "tanh", "ReLU": "relu", "LeakyReLU": "leaky_relu"}
H_PRIME = {
    "Sigmoid": "σ(z)(1 − σ(z))",
    "Tanh": "1 − tanh²(z)",
    "ReLU": "[z > 0]",
    "LeakyReLU": "[z > 0] + slope·[z ≤ 0]",
    "": "1",
}


def text(e: Any) -> str:
    """The whole explanation as plain text."""
    lines = [
        f"The five backprop equations on {e.model} under {e.head.title} "
        f"(J = {_num(e.loss)}, N = {e.batch} row{'s' if e.batch != 1 else ''}).",
        CONVENTIONS,
        f"Output layer H = {len(e.layers) - 1}: {head_rule(e)}.",
    ]
    for layer in e.layers:
        lines.append("")
        lines += _layer_lines(e, layer)
    return "\n".join(lines + ["", *verdict(e)])


def verdict(e: Any) -> list[str]:
    """The last lines: all agrees; or what differs and why; or that nothing was checked."""
    if e.agrees:
        return ["Checked against the engine: every δ and gradient agrees."]
    if e.agrees is None:
        deltas = "every δ agrees with the engine's ∂J/∂z, but " if _deltas_agree(e) else ""
        are = "is" if len(e.unchecked) == 1 else "are"
        return [
            f"Checked against the engine: {deltas}the gradients are NOT checked: backward() "
            f"has not run ({', '.join(e.unchecked)} {are} None). Call loss.backward() to "
            "check them."
        ]
    found = e.disagreements()
    return ["Checked against the engine: it DISAGREES (✗ above):", *[f"  {x}" for x in found]]


def _deltas_agree(e: Any) -> bool:
    return all(L.delta_agrees for L in e.layers)


def head_rule(e: Any) -> str:
    """δ^H as the notes write it, with the reduction's weight."""
    h = e.head
    w = _weight(h)
    last = e.layers[-1]
    if h.kind == "softmax-ce":
        return f"δ^H = {w}(softmax(z^H) − y)"
    if h.kind == "sigmoid-bce":
        return f"δ^H = {w}(σ(z^H) − y)"
    w = _weight(h, 2)
    return f"δ^H = {w}(a^H − y) ⊙ h'(z^H), h'(z) = {H_PRIME.get(last.activation, '?')}"


def _weight(h: Any, times: float = 1) -> str:
    """The reduction's weight w (times 2 for squared error) as a factor: "", "(1/4)·", "(2/4)·"."""
    w = h.weight * times
    if w == 1:
        return ""
    if h.divisor:
        return f"({times:g}/{h.divisor:g})·"
    return f"{_num(w)}·"


def _layer_lines(e: Any, L: Any) -> list[str]:
    """Equations 1-5 for one layer, each with its shape and numbers."""
    k, H = L.index, len(e.layers) - 1
    inp = "x" if k == 0 else f"a^{k - 1}"
    act = L.activation or "none"
    lines = [
        f"Layer {k}: Linear {L.name} ({L.name}.weight {shape_text(L.weight.shape)}), then {act}"
    ]
    lines += _eq(f"(1) z^{k} = {inp}·weightᵀ + b", L.z)
    h = H_NAMES.get(L.activation, "softmax" if L.activation == "Softmax" else "")
    lines += _eq(f"(2) a^{k} = {h}(z^{k})" if h else f"(2) a^{k} = z^{k} (no activation)", L.a)
    if k == H:
        rule = f"(3) δ^{k} = " + head_rule(e).split(" = ", 1)[1]
    else:
        rule = f"(3) δ^{k} = h'(z^{k}) ⊙ δ^{k + 1}·weight^{k + 1}, h'(z) = {H_PRIME[L.activation]}"
    lines += _eq(rule, L.delta, _check(L.delta_agrees, "the engine's ∂J/∂z"))
    if L.grad_bias is not None:
        lines += _eq(
            f"(5) ∂J/∂b^{k} = Σₙ δ^{k}",
            L.grad_bias,
            _check(L.bias_agrees, f"{L.name}.bias.grad"),
        )
    d, a = L.delta.reshape(-1, L.delta.shape[-1]), L.a_prev.reshape(-1, L.a_prev.shape[-1])
    shapes = f"{shape_text(d.shape)}ᵀ·{shape_text(a.shape)} = {shape_text(L.grad_weight.shape)}"
    lines += _eq(
        f"(4) ∂J/∂weight^{k} = (δ^{k})ᵀ·{inp}   {shapes}",
        L.grad_weight,
        _check(L.weight_agrees, f"{L.name}.weight.grad"),
        shape=False,  # the shapes are written out already
    )
    return lines


def _eq(lhs: str, array: Any, check: str = "", shape: bool = True) -> list[str]:
    """One equation: its left side and shape, then its numbers indented (in full if small)."""
    rows = matrix_text(array)
    head = f"  {lhs}   {shape_text(array.shape)}" if shape else f"  {lhs}"
    if len(rows) == 1:
        return [f"{head} = {rows[0]}{check}"]
    return [f"{head} =", *[f"      {r}" for r in rows[:-1]], f"      {rows[-1]}{check}"]


def _check(ok: bool | None, what: str) -> str:
    if ok is None:
        return f"   (not checked: {what} is None, backward has not run)"
    return f"   ✓ equals {what}" if ok else f"   ✗ DIFFERS from {what}"


def _num(x: float) -> str:
    from .style import fmt_number

    return fmt_number(x)


# ------------------------------------------------------------------ Markdown with LaTeX
TEX_H = {"Sigmoid": "\\sigma", "Tanh": "\\tanh", "ReLU": "\\mathrm{relu}"}
TEX_H["LeakyReLU"] = "\\mathrm{leaky\\_relu}"
TEX_H["Softmax"] = "\\mathrm{softmax}"


def markdown(e: Any) -> str:
    """The explanation as Markdown with LaTeX (Jupyter's `_repr_markdown_`)."""
    out = [
        f"**The five backprop equations** on {code_span(e.model)} under {e.head.title} "
        f"($J = {_num(e.loss)}$, $N = {e.batch}$).",
        "",
        "$$z^L = (W^L)^T a^{L-1} + b^L,\\quad a^L = h(z^L),\\quad "
        "\\delta^L = h'(z^L) \\odot W^{L+1}\\delta^{L+1}\\ (\\delta^H = a^H - y),\\quad "
        "\\frac{\\partial J}{\\partial b^L} = \\delta^L,\\quad "
        "\\frac{\\partial J}{\\partial W^L} = a^{L-1} (\\delta^L)^T$$",
        "",
        _md_escape(CONVENTIONS),
    ]
    for L in e.layers:
        out += [
            "",
            f"**Layer {L.index}** ({code_span(L.name + '.weight')} {shape_text(L.weight.shape)}):",
            "",
        ]
        out += [f"- {row}" for row in _tex_rows(e, L)]
    lines = verdict(e)
    out += ["", _md_text(lines[0])] + [f"- {_md_text(x.strip())}" for x in lines[1:]]
    return "\n".join(out)


def _tex_rows(e: Any, L: Any) -> list[str]:
    k, H = L.index, len(e.layers) - 1
    inp = "x" if k == 0 else f"a^{{{k - 1}}}"
    h = TEX_H.get(L.activation, "")
    rows = [f"$z^{{{k}}} = {inp}\\,\\mathrm{{weight}}^T + b = {matrix_tex(L.z)}$"]
    zk = f"z^{{{k}}}"
    rows.append(f"$a^{{{k}}} = {h + '(' + zk + ')' if h else zk} = {matrix_tex(L.a)}$")
    if k == H:
        times = 2 if e.head.kind == "mse" else 1
        w = _weight(e.head, times).rstrip("·")
        w = w.replace("(", "\\tfrac{").replace("/", "}{").replace(")", "}")
        core = "(a^H - y)" if e.head.kind != "mse" else "(a^H - y) \\odot h'(z^H)"
        delta = f"\\delta^{{{k}}} = {w}{core}"
    else:
        delta = f"\\delta^{{{k}}} = h'(z^{{{k}}}) \\odot \\delta^{{{k + 1}}} W^{{{k + 1}}}"
    rows.append(f"${delta} = {matrix_tex(L.delta)}$ {_md_check(L.delta_agrees)}")
    if L.grad_bias is not None:
        rows.append(
            f"$\\partial J/\\partial b^{{{k}}} = \\sum_n \\delta^{{{k}}}_n = "
            f"{matrix_tex(L.grad_bias)}$ {_md_check(L.bias_agrees, f'{L.name}.bias.grad')}"
        )
    rows.append(
        f"$\\partial J/\\partial \\mathrm{{weight}}^{{{k}}} = (\\delta^{{{k}}})^T {inp} = "
        f"{matrix_tex(L.grad_weight)}$ {_md_check(L.weight_agrees, f'{L.name}.weight.grad')}"
    )
    return rows


def _md_check(ok: bool | None, what: str = "") -> str:
    """✓ / ✗ against `what` (a `.grad`; "" for the engine's ∂J/∂z)."""
    what = code_span(what) if what else "the engine's ∂J/∂z"  # a name's backtick stays inside
    if ok is None:
        return f"(not checked: {what} is None)"
    return f"✓ equals {what}" if ok else f"✗ **differs from** {what}"


def _md_text(s: str) -> str:
    """A line naming modules (a user's text) as inert Markdown: no markup, no code span."""
    return _md_escape(html.escape(s, quote=False)).replace("`", "&#96;")


def _md_escape(s: str) -> str:
    return s.replace("*", "\\*").replace("_", "\\_")
