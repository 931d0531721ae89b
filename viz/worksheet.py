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
from gradtrace.check_answers import ABS, REL, AnswerReport, answer_sheet, check_answers

from .circuit import Marks, Picture, render
from .dot import picture_bytes, write_file
from .flow import node_names, reading_order
from .graph import as_root, nodes

BLANK = "______"


class Worksheet:
    """A graph with some gradients blank: `graph()` the sheet, `key()` the filled answer key,
    `answers()` the right numbers by name, `check(answers)`, `render(path)` / `save(path)`.
    Every node is named as the picture names it: its label, else flow.node_names' name
    (mul1, add2), written above its wire on the sheet and the key."""

    def __init__(self, root: Any, blank: str | list[str] = "grad", title: str | None = None):
        self.root = as_root(root)
        self.order = nodes(self.root)
        self.names = node_names(self.root)
        self.sheet = answer_sheet(self.root, self.names)
        self.title = title or "Fill in every blank gradient (below each wire)"
        known = set(self.names.values())
        if blank == "grad":
            self.blank = {id(n) for n in self.order}
        elif isinstance(blank, (list, tuple, set)):
            unknown = [b for b in blank if b not in known]
            if unknown:
                raise ValueError(
                    f"worksheet(blank=...): no node is labelled {unknown} "
                    f"(names: {', '.join(sorted(known)) or 'none'})"
                )
            self.blank = {id(n) for n in self.order if self.names[id(n)] in set(blank)}
        else:
            raise ValueError(f"worksheet(blank={blank!r}): give 'grad' or a list of labels")
        index = Picture(self.root, order=self.order).index  # the picture's wire ids: w<index>
        reading = reading_order(self.root)  # as the expression reads: w0 before w1
        self.wires = {self.names[id(n)]: f"w{index[id(n)]}" for n in reading}
        self.asked = [self.names[id(n)] for n in reading if id(n) in self.blank]

    def graph(self) -> graphviz.Digraph:
        """The sheet: values everywhere, the chosen gradients blank."""
        return self._digraph(self.title, self.blank)

    def key(self) -> graphviz.Digraph:
        """The answer key: the same picture, with the same names, every gradient drawn."""
        return self._digraph("Answer key", set())

    def _digraph(self, title: str, blank: set[int]) -> graphviz.Digraph:
        """The picture with the nodes in `blank` blank and every other gradient filled in."""
        pic = Picture(self.root, title=title, order=self.order)
        pic.names = dict(self.names)
        right = {id(n): self.sheet[self.names[id(n)]]["expected"] for n in self.order}
        marks = Marks(
            grads={id(n): BLANK if id(n) in blank else right[id(n)] for n in self.order},
            branches={
                (id(gate), k): BLANK if id(n) in blank else gate.local_grads[k] * right[id(gate)]
                for n in self.order
                for gate, k in pic.users[id(n)]
            },
        )
        return pic.digraph(marks).graph

    def answers(self) -> dict[str, float]:
        """The right gradient of each blank node (d root / d node), by name, in reading order."""
        return {name: self.sheet[name]["expected"] for name in self.asked}

    def check(self, answers: dict[str, float]) -> AnswerReport:
        """check_answers with the sheet's names: the same verdicts as the page."""
        return check_answers(self.root, answers, self.names)

    def render(self, path: str | Path, timeout: float | None = None) -> Path:
        """Write the sheet: .svg, .png, .pdf or .dot by the suffix; .html writes the page."""
        if Path(path).suffix.lower() == ".html":
            return self.save(path)
        return render(self.graph(), path, timeout=timeout)

    def _repr_svg_(self) -> str:
        return picture_bytes(self.graph(), ".svg").decode()

    # ------------------------------------------------------------------------ the page
    def page(self) -> str:
        """The fill-in page: the sheet's SVG, one box per blank gradient, feedback."""
        svg = picture_bytes(self.graph(), ".svg").decode()
        svg = svg[svg.index("<svg") :]  # drop the XML prologue and doctype
        data = {
            "tolerance": [REL, ABS],
            "blank": BLANK,
            "asked": [{"label": a, "wire": self.wires.get(a, "")} for a in self.asked],
            "sheet": {a: self.sheet[a] for a in self.asked},
        }
        top = html.escape(self.names[id(self.root)])
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


def worksheet(root: Any, blank: str | list[str] = "grad", title: str | None = None) -> Worksheet:
    """The graph of `root` with gradients left blank: every one (`blank="grad"`) or those
    of the nodes named in `blank` (labels, or the picture's names such as "mul1")."""
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
