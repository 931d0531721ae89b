"""Worksheets: the lecture's circuit with gradients left blank, to print or to fill in a page.

    ws = worksheet(f)                  # every gradient blank; worksheet(f, blank=["x", "z"])
    ws.render("sheet.pdf")             # .svg / .png / .pdf for printing
    render(ws.key(), "key.pdf")        # the answer key: the same picture, filled in
    ws.save("sheet.html")              # a page: type each gradient, feedback on every wire

The page is one self-contained file (no network). It carries `check_answers`' answer sheet
(gradtrace.check_answers.answer_sheet: the right number and each usual mistake's number, with
its explanation) and matches what is typed against it, so the page and `check_answers` give
the same verdict. Typed answers are written into the picture, green when right, red otherwise.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import graphviz
from gradtrace.check_answers import ABS, REL, answer_sheet

from .circuit import Marks, Picture, draw, render
from .dot import picture_bytes, write_file
from .graph import as_root, nodes

BLANK = "______"


class Worksheet:
    """A graph with some gradients blank: `graph()` the sheet, `key()` the filled answer key,
    `answers()` the right numbers by label, `render(path)` / `save(path)` to print or fill in."""

    def __init__(self, root: Any, blank: str | list[str] = "grad", title: str | None = None):
        self.root = as_root(root)
        self.order = nodes(self.root)
        self.sheet = answer_sheet(self.root)
        self.title = title or "Fill in every blank gradient (below each wire)"
        labels = {n.label for n in self.order if n.label}
        if blank == "grad":
            self.blank = {id(n) for n in self.order}
        elif isinstance(blank, (list, tuple, set)):
            unknown = [b for b in blank if b not in labels]
            if unknown:
                raise ValueError(
                    f"worksheet(blank=...): no node is labelled {unknown} "
                    f"(labels: {', '.join(sorted(labels)) or 'none'})"
                )
            self.blank = {id(n) for n in self.order if n.label in set(blank)}
        else:
            raise ValueError(f"worksheet(blank={blank!r}): give 'grad' or a list of labels")
        reading = Picture(self.root, order=self.order).order  # the picture's reading order
        self.wires = {n.label: f"w{i}" for i, n in enumerate(reading) if n.label}
        self.asked = [n.label for n in reading if n.label and id(n) in self.blank]

    def graph(self) -> graphviz.Digraph:
        """The sheet: values everywhere, the chosen gradients blank."""
        pic = Picture(self.root, title=self.title, order=self.order)
        marks = Marks(
            grads={id(n): BLANK if id(n) in self.blank else node_grad(self, n) for n in self.order},
            branches={
                (id(gate), k): BLANK
                for n in self.order
                if id(n) in self.blank
                for gate, k in pic.users[id(n)]
            },
        )
        return pic.digraph(marks).graph

    def key(self) -> graphviz.Digraph:
        """The answer key: the same graph with every gradient drawn."""
        return draw(self.root, title="Answer key", max_nodes=None)

    def answers(self) -> dict[str, float]:
        """The right gradient of each blank labelled node (d root / d node)."""
        return {label: self.sheet[label]["expected"] for label in self.asked}

    def render(self, path: str | Path, timeout: float | None = None) -> Path:
        """Write the sheet: .svg, .png, .pdf or .dot by the suffix; .html writes the page."""
        if Path(path).suffix.lower() == ".html":
            return self.save(path)
        return render(self.graph(), path, timeout=timeout)

    def _repr_svg_(self) -> str:
        return picture_bytes(self.graph(), ".svg").decode()

    # ------------------------------------------------------------------------ the page
    def page(self) -> str:
        """The fill-in page: the sheet's SVG, one box per blank labelled gradient, feedback."""
        svg = picture_bytes(self.graph(), ".svg").decode()
        svg = svg[svg.index("<svg") :]  # drop the XML prologue and doctype
        data = {
            "tolerance": [REL, ABS],
            "blank": BLANK,
            "asked": [{"label": a, "wire": self.wires.get(a, "")} for a in self.asked],
            "sheet": {a: self.sheet[a] for a in self.asked},
        }
        top = html.escape(self.root.label or "out")
        rows = "".join(
            f'<tr><td><label for="a{i}">d{top} / d{html.escape(a)}</label></td>'
            f'<td><input id="a{i}" data-label="{html.escape(a)}" inputmode="decimal" size="8">'
            f'</td><td class="fb" id="fb{i}"></td></tr>'
            for i, a in enumerate(self.asked)
        )
        payload = json.dumps(data).replace("<", "\\u003c")  # never ends the script element
        return PAGE.format(title="Worksheet", svg=svg, rows=rows, data=payload, script=SCRIPT)

    def save(self, path: str | Path) -> Path:
        """Write the fill-in page (one self-contained .html file)."""
        return write_file(path, self.page().encode())


def node_grad(ws: Worksheet, node: Any) -> Any:
    """A gradient drawn on the sheet (not blank): the right one, from the answer sheet when
    the node is labelled, else the node's own."""
    entry = ws.sheet.get(node.label) if node.label else None
    return entry["expected"] if entry else node.grad


def worksheet(root: Any, blank: str | list[str] = "grad", title: str | None = None) -> Worksheet:
    """The graph of `root` with gradients left blank: every one (`blank="grad"`) or those
    of the nodes labelled in `blank`. Label the nodes the learner answers for."""
    return Worksheet(root, blank, title)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; max-width: 70em; }}
table {{ border-collapse: collapse; margin-top: 1em; }}
td {{ padding: 0.25em 0.6em; vertical-align: top; }}
#sheet svg {{ width: 100%; max-width: 56em; height: auto; }}
.fb.correct {{ color: #2e7d32; }} .fb.wrong {{ color: #c62828; }}
</style></head><body>
<h1>{title}</h1>
<div id="sheet">{svg}</div>
<p>Type each gradient (d output / d node); the picture and the notes say what each answer shows.</p>
<table id="answers">{rows}</table>
<script id="worksheet-data" type="application/json">{data}</script>
<script>{script}</script>
</body></html>
"""

SCRIPT = """
(function () {
  const data = JSON.parse(document.getElementById("worksheet-data").textContent);
  const [rel, abs] = data.tolerance;
  const close = (a, v) => Math.abs(a - v) <= Math.max(rel * Math.abs(v), abs);
  function classify(label, answer) {  // the same matching as gradtrace.check_answers
    const entry = data.sheet[label];
    for (const [cause, value, why] of entry.candidates) {
      if (close(answer, value)) return [cause, why];
    }
    return ["arithmetic", entry.arithmetic];
  }
  function wireText(wire) {  // the blank's text in the wire's label, in the SVG
    for (const g of document.querySelectorAll("#sheet g.node")) {
      const t = g.querySelector("title");
      if (t && t.textContent === wire) {
        for (const text of g.querySelectorAll("text")) {
          if (text.dataset.blank || text.textContent.trim() === data.blank) return text;
        }
      }
    }
    return null;
  }
  document.querySelectorAll("#answers input").forEach((input, i) => {
    const label = input.dataset.label;
    const item = data.asked[i];
    const text = wireText(item.wire);
    if (text) text.dataset.blank = "1";
    input.addEventListener("input", () => {
      const fb = document.getElementById("fb" + i);
      const answer = parseFloat(input.value.replace("\\u2212", "-"));
      if (input.value.trim() === "" || Number.isNaN(answer)) {
        fb.textContent = ""; fb.className = "fb";
        if (text) { text.textContent = data.blank; text.setAttribute("fill", "#c62828"); }
        return;
      }
      const [cause, why] = classify(label, answer);
      fb.textContent = cause + ": " + why;
      fb.className = "fb " + (cause === "correct" ? "correct" : "wrong");
      fb.dataset.cause = cause;
      if (text) {
        text.textContent = input.value.trim();
        text.setAttribute("fill", cause === "correct" ? "#2e7d32" : "#c62828");
      }
    });
  });
  document.body.dataset.ready = "1";
})();
"""
