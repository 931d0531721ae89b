"""Typesetting the chain rule: equations as text lines and as aligned LaTeX for Markdown.

An equation is "lhs = side = side ...": each side a sum of terms, each term a product of
atoms, an atom ("name", of, wrt) for d of/d wrt, ("num", x) for a number or ("text", s).
`text_equation` writes it as lines of at most WIDTH columns; `tex_block` as an aligned LaTeX
block. Names become LaTeX by `tex_name` (out_o1 -> \\mathrm{out}_{o1}); any other text goes
through `tex_text`, which escapes it.
"""

from __future__ import annotations

import html
import re

from .style import Format, fmt_number, shape_text

WIDTH = 100  # a text line longer than this is broken, one side of the equation per line


def text_equation(lhs: str, name: str, sides: list, fmt: Format) -> list[str]:
    """ "lhs = side = side ...", each side a sum of terms, each term a product of atoms; on one
    line if it fits, else one side per line aligned under the first "=", a long sum broken
    before each "+". Sides equal to `name` or to the side before are left out."""
    indent = "  "
    texts: list[list[str]] = []
    for side in sides:
        terms = [text_term(term, fmt) for term in side]
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


def text_term(term: list[tuple], fmt: Format) -> str:
    if term[0][0] == "name":
        return " · ".join(f"d{a[1]}/d{a[2]}" for a in term)
    return " × ".join(fmt_number(a[1], fmt) if a[0] == "num" else a[1] for a in term)


def tex_block(rows: list[tuple[str, list]], fmt: Format) -> str:
    """An aligned LaTeX block: for each row, lhs = side = side ...; a sum of more than two
    terms (or a long one) gets a line per term."""
    lines = []
    for lhs, sides in rows:
        texts: list[list[str]] = []
        for side in sides:
            terms = [tex_term(term, fmt, i > 0) for i, term in enumerate(side)]
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


def tex_term(term: list[tuple], fmt: Format, after_plus: bool) -> str:
    if term[0][0] == "name":
        return r"\,".join(frac(tex_name(a[1]), tex_name(a[2])) for a in term)
    out = []
    for i, atom in enumerate(term):
        s = fmt_number(atom[1], fmt) if atom[0] == "num" else tex_text(atom[1])
        if s.startswith("-") and (i > 0 or after_plus):
            s = f"({s})"
        out.append(s)
    return r" \times ".join(out)


def frac(of: str, wrt: str) -> str:
    return rf"\frac{{\partial {of}}}{{\partial {wrt}}}"


def tex_name(name: str) -> str:
    """A name in LaTeX: out_o1 -> \\mathrm{out}_{o1}, w5 -> w_{5}, add1 -> \\mathrm{add}_{1}."""
    primes = len(name) - len(name.rstrip("'"))
    name = name.rstrip("'")
    m = re.fullmatch(r"([A-Za-z]+)_([A-Za-z0-9]+)|([A-Za-z]+)(\d+)|([A-Za-z]+)", name)
    if m is None:
        tex = tex_text(name)
    elif m.group(5):
        tex = _tex_word(m.group(5))
    else:
        base, sub = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        tex = f"{_tex_word(base)}_{{{sub}}}"
    return tex + "'" * primes


def _tex_word(word: str) -> str:
    return word if len(word) == 1 else rf"\mathrm{{{word}}}"


def tex_text(text: str) -> str:
    """Any text inside LaTeX: specials escaped; a $ (which would end the formula in Markdown)
    becomes a full-width ＄ and a backtick ｀; < and > are written \\lt and \\gt outside the
    text, so no HTML tag is in the formula (Jupyter puts math back into the page's HTML)."""
    escaped = re.sub(r"[\\{}&#^_%~$`]", lambda m: _TEX_SPECIALS[m.group()], text)
    escaped = escaped.replace("<", r"}\lt\text{").replace(">", r"}\gt\text{")
    return rf"\text{{{escaped}}}"


_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "$": "＄",
    "`": "｀",  # a backtick would start a Markdown code span across the formula
    **{c: "\\" + c for c in "{}&#_%"},
}


def shape_words(shape: tuple[int, ...]) -> str:
    """A node's shape in a derivation: (3, 2), or "(scalar)" for () (style.shape_text
    writes shapes in the rules, () included)."""
    return shape_text(shape) if shape else "(scalar)"


def escape_markdown(text: str) -> str:
    """Text shown as itself in Markdown: emphasis, code, math and link marks escaped, and
    < > & written as HTML entities (Markdown passes a raw tag through to the page)."""
    text = html.escape(text, quote=False)
    return re.sub(r"([*_`$\\\[\]])", r"\\\1", text)


def code_span(text: str) -> str:
    """`text` as Markdown inline code, fenced by more backticks than it holds in a row (a
    backtick in a label cannot close the span early), with a space inside each fence."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"
