"""Every string a user gives is text everywhere it is shown: labels, gate names, module names,
titles and CLI expressions, in DOT and SVG (draw, network view, backward frames), in explain's
text, Markdown and LaTeX, in check_gates' tables and in the explorer page's data. Nothing a
user types becomes markup, a link, a script or a DOT statement, and nothing crashes."""

import html
import re
from collections import OrderedDict
from html.parser import HTMLParser

import numpy as np
import pytest
from gradtrace import Tensor, Value, check_gates, gate, nn
from gradtrace.viz import backward_steps, check_report, draw, explain, network
from gradtrace.viz.dot import dot_available
from gradtrace.viz.html import explore

HOSTILE = [
    '<x> URL="javascript:void(window.x=1)" target="_self" tooltip=<y>',
    "<x>]; n99 [label=z]; nzz [label=<y>",
    "<img src=x onerror=window.x=1>",
    "<script>window.x=1</script>",
    "[link](javascript:window.x=1) *b* $\\href{javascript:x}{y}$",
    "a\"b\\Nc'&amp;</title></script>",
    "}\\}{\\x}{{ ${}$",
    "`<img src=x onerror=window.x=1>`",
]
needs_dot = pytest.mark.skipif(not dot_available(), reason="no Graphviz dot")


def neuron(label: str) -> Value:
    """x * w with x, the product and the gate all named `label`."""
    square = gate(label)(lambda a: (a * a, (2 * a,)))
    x, w = Value(1.5, label), Value(-2.0, "w")
    out = square(x) * w
    out.label = label
    out.backward()
    return out


def svg_texts(svg: str) -> str:
    return html.unescape(" ".join(re.findall(r">([^<]*)</text>", svg)))


class Elements(HTMLParser):
    """Every element of a page or an SVG, with its attributes, as a browser would parse it."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def assert_inert(markup: str, scripts: int = 0) -> None:
    """No element, link, event handler or script came from user text: only gradtrace's own
    `scripts` (the page's data and code)."""
    found = Elements(markup).found
    tags = [tag for tag, _ in found]
    assert not {"img", "iframe", "object", "embed", "x", "b", "y"} & set(tags), tags
    assert tags.count("script") == scripts
    for tag, attrs in found:
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
        for k in ("href", "xlink:href", "src", "action"):
            assert not (attrs.get(k) or "").strip().lower().startswith("javascript"), attrs


assert_inert_svg = assert_inert


@needs_dot
@pytest.mark.parametrize("label", HOSTILE)
def test_draw_with_a_hostile_title_and_tensor_label(label):
    t = Tensor([1.0, 2.0], requires_grad=True, label=label)
    out = (t * t).sum()
    out.label = label
    out.backward()
    svg = draw(out, title=label).pipe("svg").decode()
    assert_inert_svg(svg)
    assert label.split()[0][:6] in svg_texts(svg)


@needs_dot
@pytest.mark.parametrize("label", HOSTILE)
def test_network_view_with_hostile_module_names_labels_and_title(label):
    model = nn.Sequential(
        OrderedDict([(label.replace(".", ","), nn.Linear(3, 4, seed=0)), ("act", nn.Tanh())])
    )
    x = Tensor(np.ones((2, 3)), label=label)
    loss = model(x).sum()
    loss.label = label
    loss.backward()
    svg = network(loss, model=model, title=label, note=label).pipe("svg").decode()
    assert_inert_svg(svg)
    assert label.replace(".", ",").split()[0][:6] in svg_texts(svg)


@needs_dot
@pytest.mark.parametrize("label", HOSTILE)
def test_backward_frames_and_captions_with_hostile_labels(label):
    frames = backward_steps(neuron(label))
    assert any(label in s.caption for s in frames.steps)  # the caption says it as typed
    for k in (0, len(frames.steps) - 1):
        svg = frames[k].pipe("svg").decode()
        assert_inert_svg(svg)
        assert label.split()[0][:6] in svg_texts(svg)


@pytest.mark.parametrize("label", HOSTILE)
def test_explain_text_markdown_and_latex_with_hostile_labels(label):
    out = neuron(label)
    x = out.parents[0].parents[0]
    e = explain(out, wrt=x)
    assert label in str(e)  # plain text: as typed
    md = re.sub(r"(`+) .*? \1", "", e._repr_markdown_())  # code spans show text as is
    outside_math = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", md, flags=re.S)
    assert "<" not in outside_math.replace("&lt;", "")  # no raw HTML tag
    assert not re.search(r"(?<!\\)\]\(", outside_math)  # no Markdown link
    assert "`" not in md  # every code span closed where it was opened
    for math in re.findall(r"\$\$(.*?)\$\$|\$([^$]*)\$", md, flags=re.S):
        tex = "".join(math)
        assert "<" not in tex and ">" not in tex  # Jupyter puts math back into HTML
        assert r"\href" not in tex.replace(r"\textbackslash{}href", "")
        assert tex.count("{") - tex.count(r"\{") == tex.count("}") - tex.count(r"\}")


@pytest.mark.parametrize("label", HOSTILE)
def test_check_gates_tables_with_a_hostile_wrong_gate(label):
    wrong = gate(label)(lambda a: (a * a, (3 * a,)))  # a planted wrong gradient
    x = Value(1.5, label)
    out = wrong(x)
    out.label = label
    out.backward()
    report = check_gates(out)
    assert len(report) == 1  # the planted error is found, whatever the gate is called
    assert label in str(report)
    page = check_report.to_html(report)  # the table is drawn in viz
    assert "<script" not in page and "<img" not in page and "<x>" not in page
    assert html.escape(label) in page
    md = report._repr_markdown_()  # Jupyter's view: the text, in a fence no label can close
    fence = md.split("text", 1)[0]
    assert set(fence) == {"`"} and md.rstrip().endswith(fence) and label in md
    assert all(len(run) < len(fence) for run in re.findall("`+", md[len(fence) : -len(fence) - 2]))


@needs_dot
@pytest.mark.parametrize("label", HOSTILE)
def test_explorer_page_data_is_text(label):
    page = explore(neuron(label), title=label).page()
    assert_inert(page, scripts=2)  # the page's JSON data and its code, nothing else


@pytest.mark.parametrize("name", ["<img src=x onerror=alert(1)>", "`<img src=x onerror=alert(1)>`"])
def test_explain_layers_markdown_with_a_hostile_module_name(name):
    from gradtrace.nn import functional as F
    from gradtrace.viz import explain_layers

    model = nn.Sequential(OrderedDict([(name, nn.Linear(2, 2, seed=0)), ("act", nn.Sigmoid())]))
    loss = F.mse_loss(model(Tensor(np.ones((1, 2)))), Tensor(np.zeros((1, 2))))
    loss.backward()
    e = explain_layers(loss, model)
    assert name in str(e)
    md = re.sub(r"(`+)[^`].*?(?<!`)\1(?!`)", "", e._repr_markdown_())  # code spans: as is
    md = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", md, flags=re.S)
    assert "<img" not in md and "`" not in md.replace("`weight`", "")
    loss.backward()  # twice: the verdict names each module's .grad, still as text
    md = explain_layers(loss, model)._repr_markdown_()
    assert "accumulated over 2 backward passes" in md
    md = re.sub(r"(`+)[^`].*?(?<!`)\1(?!`)", "", md)
    md = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", md, flags=re.S)
    assert "<img" not in md and "`" not in md.replace("`weight`", "")


def test_check_engine_markdown_keeps_a_learners_error_message_in_its_code_block():
    from gradtrace import check_engine

    class Broken:
        def __init__(self, data, *args):
            raise ValueError("```\n<img src=x onerror=alert(1)>\n```")

    md = check_engine(Broken)._repr_markdown_()
    fence = md.split("\n", 1)[0]
    assert set(fence) == {"`"} and len(fence) > 3 and md.endswith("\n" + fence)
    assert md.count(fence) == 2  # opened once, closed once: the message stays inside
    assert "<img src=x onerror=alert(1)>" in md


@needs_dot
@pytest.mark.parametrize("text", ["a\\Nc", "x\\G\\E\\T\\H\\L", "\\\\n \\l"])
def test_graphviz_escapes_in_labels_gate_names_and_module_names_show_as_typed(text):
    square = gate(text)(lambda a: (a * a, (2 * a,)))
    x = Value(1.5, text)
    out = square(x) * 2.0
    out.label = text
    out.backward()
    shown = svg_texts(draw(out, show_roles=True).pipe("svg").decode())
    assert shown.count(text) >= 3, shown  # the leaf, the gate, the output: \N is not a name
    model = nn.Sequential(OrderedDict([(text, nn.Linear(2, 2, seed=0))]))
    loss = model(Tensor(np.ones((1, 2)))).sum()
    loss.backward()
    assert text in svg_texts(network(loss, model=model).pipe("svg").decode())


def test_the_page_script_writes_text_only():
    from pathlib import Path

    import gradtrace.viz

    scripts = list((Path(gradtrace.viz.__file__).parent / "page").glob("*.js"))
    assert scripts
    for script in scripts:
        code = script.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in code, f"{script.name} uses {sink}: user text must go in as text"
        assert "new Function" not in code and 'setAttribute("on' not in code
