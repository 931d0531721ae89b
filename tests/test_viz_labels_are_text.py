"""A label is text: whatever a user types as a label or gate name reaches DOT and SVG as text,
never as markup (a `<...>` label once became a Graphviz HTML label with a javascript: link)."""

import html
import re

import pytest
from gradtrace import Value, gate
from gradtrace.viz import draw, to_html

HOSTILE = [
    '<x> URL="javascript:void(window.x=1)" target="_self" tooltip=<y>',
    "<x>]; n99 [label=z]; nzz [label=<y>",
    "<b>bold</b>",
    "<script>alert(1)</script>",
    "<svg></svg>",
    'a"b\\Nc',
]


def neuron(label: str) -> Value:
    x, w = Value(1.5, label), Value(-2.0, "w")
    out = x * w
    out.label = label
    out.backward()
    return out


@pytest.mark.parametrize("label", HOSTILE)
def test_a_hostile_label_is_drawn_as_its_own_text(label):
    svg = draw(neuron(label)).pipe("svg").decode()
    assert "<a " not in svg and "javascript:" not in svg.replace("javascript:void", "")
    assert "<script" not in svg
    shown = html.unescape(" ".join(re.findall(r">([^<]*)</text>", svg)))
    assert label[:3] in shown  # the label's own first characters, as typed


@pytest.mark.parametrize("label", HOSTILE)
def test_a_hostile_label_adds_no_statement_to_the_dot_source(label):
    source = draw(neuron(label)).source
    assert "n99 [" not in source.replace("n99 [label=z]", "")  # only inside a quoted string
    assert 'URL="javascript' not in source.replace('\\"', "")


@pytest.mark.parametrize("label", HOSTILE)
def test_a_hostile_label_writes_a_page(label, tmp_path):
    page = to_html(neuron(label), tmp_path / "page.html").read_text()
    assert "javascript:void" not in page or 'href="javascript' not in page


def test_a_hostile_gate_name_is_shown_as_text():
    square = gate("<img src=x onerror=alert(1)>")(lambda a: (a * a, (2 * a,)))
    out = square(Value(3.0, "v"))
    out.backward()
    svg = draw(out).pipe("svg").decode()
    assert "&lt;img" in svg and "<img" not in svg
