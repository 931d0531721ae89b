"""viz.draw and viz.render: the lecture's circuit diagrams as Graphviz pictures."""

import html
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from gradtrace import Value
from gradtrace.viz import GraphvizNotFoundError, draw, render

GREEN = "#2e7d32"
RED = "#c62828"

needs_dot = pytest.mark.skipif(
    __import__("shutil").which("dot") is None, reason="Graphviz's dot is not installed"
)


def xyz(backward=True):
    """The lecture's f(x, y, z) = (x + y) z at x = -2, y = 5, z = -4."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    if backward:
        f.backward()
    return f


def wires(source):
    """{wire node id: (green numbers, red numbers)} read back from the DOT text."""
    out = {}
    # (a tooltip saying the node in words may follow shape=plain)
    for wid, label in re.findall(r"\t(w\d+(?:_\d+)?) \[label=<(.*?)> shape=plain[\] ]", source):
        green = re.findall(rf'COLOR="{GREEN}">(.*?)</FONT>', label)
        red = re.findall(rf'COLOR="{RED}">(.*?)</FONT>', label)
        out[wid] = (green, red)
    return out


def wire_of(source, name):
    """The wire leaving the node drawn with `name` (leaf label) or gate op."""
    nid = re.search(rf'\t(n\d+) \[label="?{re.escape(name)}"? ', source).group(1)
    return wires(source)["w" + nid[1:]]


def test_xyz_dot_carries_the_lecture_numbers_on_the_right_wires():
    # lecture (003): x wire -2 / -4, y wire 5 / -4, z wire -4 / 3, q wire 3 / -4, f -12 / 1
    src = draw(xyz()).source
    assert wire_of(src, "x") == (["-2"], ["-4"])
    assert wire_of(src, "y") == (["5"], ["-4"])
    assert wire_of(src, "z") == (["-4"], ["3"])
    assert wire_of(src, "+") == (["3"], ["-4"])
    assert wire_of(src, "*") == (["-12"], ["1"])


def test_gates_are_circles_and_leaves_are_their_names():
    src = draw(xyz()).source
    assert re.search(r'n\d+ \[label="\+" .*shape=circle', src)
    assert re.search(r'n\d+ \[label="\*" .*shape=circle', src)
    assert re.search(r"n\d+ \[label=x .*shape=plaintext", src)


def test_dot_source_is_the_same_on_every_run():
    assert draw(xyz()).source == draw(xyz()).source


def test_before_backward_only_values_and_a_note():
    src = draw(xyz(backward=False)).source
    assert "gradients not computed yet" in src
    assert RED not in src
    assert wire_of(src, "x") == (["-2"], [])


def test_branch_shows_each_part_and_the_total():
    # a + a: each branch brings back 1, the wire before the split carries 2 (hand)
    a = Value(3.0, "a")
    b = a + a
    b.backward()
    w = wires(draw(b).source)
    assert w["w0"] == (["3"], ["2"])
    assert w["w0_0"] == (["3"], ["1"]) and w["w0_1"] == (["3"], ["1"])


def test_options_local_gradients_roles_format_and_direction():
    f = xyz()
    src = draw(f, show_local=True, show_roles=True, fmt=".2f", rankdir="TB").source
    assert "local -4.00" in src  # d(q*z)/dq = z = -4 (lecture)
    assert "distributor" in src and "switcher" in src
    assert "rankdir=TB" in src
    assert "-12.00" in src
    with pytest.raises(ValueError, match="rankdir"):
        draw(f, rankdir="XY")


def test_render_dot_needs_no_graphviz(tmp_path, monkeypatch):
    # Neither the system's dot nor graphviz-pure (a dependency, so hidden by hand here).
    monkeypatch.setattr("gradtrace.viz.dot.system_dot", lambda: None)
    monkeypatch.setattr("gradtrace.viz.dot.pure_dot", lambda: None)
    path = render(xyz(), tmp_path / "g.dot")
    assert path.read_text().startswith("digraph")
    with pytest.raises(GraphvizNotFoundError, match="pip install graphviz-pure.*apt-get install"):
        render(xyz(), tmp_path / "g.svg")


def test_render_rejects_an_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=".svg"):
        render(xyz(), tmp_path / "g.txt")


@needs_dot
def test_svg_output_parses_as_xml(tmp_path):
    path = render(xyz(), tmp_path / "g.svg")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "-12" in texts  # the root's value, drawn as text (Graphviz writes it as &#45;12)


@needs_dot
def test_png_output_has_png_magic_bytes(tmp_path):
    path = render(xyz(), tmp_path / "g.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_dot
def test_pdf_output_has_pdf_magic_bytes(tmp_path):
    assert render(xyz(), tmp_path / "g.pdf").read_bytes()[:5] == b"%PDF-"


def test_importing_autograd_imports_neither_viz_nor_graphviz():
    code = (
        "import sys, autograd\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('viz', 'graphviz')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_value_used_many_times_is_drawn_at_each_use_with_its_total_on_its_own_wire():
    # x + x + ... + x (8 copies): one long split wire per use made Graphviz crawl (issue 12)
    x = Value(1.0, "x")
    f = x
    for _ in range(7):
        f = f + x
    f.backward()
    src = draw(f).source
    assert len(re.findall(r"\tr0_\d+ \[", src)) == 8  # a copy of x at each of its 8 uses
    assert wires(src)["w0"] == (["1"], ["8"])  # x's own wire: the total gradient (hand: 8)
    assert "used 8 times" in src and "drawn again at each use" in src
    assert all(wires(src)[f"w0_{j}"] == (["1"], ["1"]) for j in range(8))  # each use brings 1


@needs_dot
def test_every_graphviz_run_has_a_time_limit_and_a_failed_render_keeps_the_old_file(tmp_path):
    from gradtrace.viz import GraphvizTimeoutError

    path = tmp_path / "g.svg"
    path.write_text("the picture from before")
    with pytest.raises(GraphvizTimeoutError, match="network view"):
        render(xyz(), path, timeout=1e-4)  # no dot run finishes in 0.1 ms
    assert path.read_text() == "the picture from before"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]  # no temporary file left


@needs_dot
def test_size_scales_a_wide_picture_down_to_fit_and_never_up():
    # The 2-2-2-like chain below is wider than 3 inches drawn at its natural size.
    x = Value(0.5, "x")
    f = x
    for _ in range(8):
        f = (f * 1.5 + 0.1).tanh()
    f.backward()

    def width_pt(graph):
        svg = graph.pipe(format="svg").decode()
        return float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))

    natural = width_pt(draw(f))
    assert natural > 3 * 72
    assert width_pt(draw(f, size=3)) <= 3 * 72 + 1  # scaled down to 3 inches
    assert width_pt(draw(f, size=(3, 10))) <= 3 * 72 + 1
    assert width_pt(draw(f, size=100)) == natural  # never scaled up
    assert 'size="3,100"' in draw(f, size=3).source


@pytest.mark.parametrize("bad", [0, -2, float("inf"), "8", (8,), (8, 0), True])
def test_size_must_be_a_positive_width_or_pair(bad):
    with pytest.raises(ValueError, match="size"):
        draw(xyz(), size=bad)


@needs_dot
@pytest.mark.parametrize("rankdir", ["TB", "BT"])
def test_a_small_tensor_drawn_top_to_bottom_renders_its_grids(rankdir, tmp_path):
    # A vertical wire stacks its cells; a small tensor's grid is a table, which Graphviz
    # refused inside a <BR/>-joined cell ("syntax error ... in label of node w0").
    import numpy as np
    from gradtrace import Tensor

    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True, label="x")
    y = (x * 2).sum()
    y.backward()
    root = ET.parse(render(y, tmp_path / "g.svg", rankdir=rankdir)).getroot()
    texts = [t.text for t in root.iter() if t.tag.endswith("text")]
    assert "x" in texts and "8" in texts and "20" in texts  # grid entries, gradients and sum


def _titles(svg: str) -> list[str]:
    """Every <title> of the SVG, as a screen reader gets it (entities read)."""
    return [html.unescape(t) for t in re.findall(r"<title>([^<]*)</title>", svg)]


def test_each_node_of_the_svg_is_titled_in_words_not_by_its_id():
    # A screen reader reads a group's <title>: it said Graphviz's ids ('n0', 'w0'). Each
    # node's shapes now say the node as the explorer page does.
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    titles = _titles(draw(f).pipe(format="svg").decode())
    assert "add = x + y = -2 + 5 = 3, gradient -4, local gradients 1 (x), 1 (y)" in titles
    assert "f = add × z = 3 × -4 = -12, gradient 1, local gradients -4 (add), 3 (z)" in titles
    assert "z = -4, an input, gradient 3" in titles
    assert not {"n0", "w0", "n2", "w4"} & set(titles)


def test_a_node_title_writes_a_hostile_label_as_text():
    label = 'a&lt;b "\\N" <script>alert(1)</script>'
    a = Value(2.0, label)
    g = a * 3.0
    g.backward()
    svg = draw(g).pipe(format="svg").decode()
    assert "<script" not in svg
    assert f"{label} = 2, an input, gradient 3" in _titles(svg)  # as written: no \N, no &lt;
    ET.fromstring(svg)  # still well-formed XML
    assert "no gradient" in _titles(draw(Value(1.0, "q") * 2.0).pipe(format="svg").decode())[1]
