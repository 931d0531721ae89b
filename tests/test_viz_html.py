"""The explorer page's file: one self-contained HTML file with every frame inline, its data
right (values, gradients, the step order), written atomically. The browser tests are in
test_browser.py."""

import json
import os
import re

import pytest
from gradtrace import Tensor, Value, topological_order
from gradtrace.cli.main import main
from gradtrace.viz import backward_steps, explore, to_html
from gradtrace.viz.dot import dot_available

pytestmark = pytest.mark.skipif(not dot_available(), reason="needs Graphviz's dot")


def _xyz():
    """f = (x + y) z at (-2, 5, -4); lecture: f = -12, df/dx = df/dy = -4, df/dz = 3."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    return f


def _two_two_two():
    """The 2-2-2 sigmoid network of the notes (lecture 003), squared error, before an update."""
    from test_value_worked_examples import _two_two_two, _weights

    return _two_two_two(_weights())[0]


def _data(text):
    blob = re.search(r'<script type="application/json" class="gt-data">(.*?)</script>', text, re.S)
    return json.loads(blob.group(1))


@pytest.fixture(scope="module")
def xyz_page(tmp_path_factory):
    path = to_html(_xyz(), tmp_path_factory.mktemp("html") / "xyz.html")
    return path.read_text(encoding="utf-8")


def test_page_is_one_file_with_every_frame_inline_and_nothing_to_fetch(xyz_page):
    steps = backward_steps(_xyz())
    assert xyz_page.startswith("<!DOCTYPE html>")
    assert len(steps) == 3
    assert xyz_page.count("<svg") == 1  # laid out once: each step's state is data
    assert "http://" not in xyz_page and "https://" not in xyz_page
    assert not re.search(r"""\b(src|href)\s*=|@import|url\(""", xyz_page)
    assert "<!DOCTYPE svg" not in xyz_page and "<?xml" not in xyz_page
    ids = re.findall(r' id="([^"]+)"', xyz_page)
    assert len(ids) == len(set(ids))  # every frame's SVG ids made unique


def test_root_element_carries_the_step_and_the_number_of_steps(xyz_page):
    data = _data(xyz_page)
    # forward: the inputs, then + and *; backward: the seed, then * and +
    assert [s["phase"] for s in data["steps"]] == ["forward"] * 3 + ["backward"] * 3
    assert 'data-step="0"' in xyz_page
    assert f'data-steps="{len(data["steps"])}"' in xyz_page


def test_node_data_holds_the_lecture_values_and_gradients(xyz_page):
    nodes = {n["name"]: n for n in _data(xyz_page)["nodes"]}
    assert {k: (nodes[k]["value"], nodes[k]["grad"]) for k in "xyz"} == {
        "x": ("-2", "-4"),
        "y": ("5", "-4"),
        "z": ("-4", "3"),
    }
    plus = nodes["add"]  # explain's name for the unlabeled + gate
    assert (plus["value"], plus["grad"]) == ("3", "-4")
    assert [i["local"] for i in plus["inputs"]] == ["1", "1"]  # the add gate: 1 and 1
    f = nodes["f"]
    assert [i["local"] for i in f["inputs"]] == ["-4", "3"]  # the mul gate: swaps its inputs


def test_forward_steps_follow_the_engines_topological_order():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    e = (c + a).tanh() * c.exp()
    e.backward()
    data = explore(e)
    nodes = _data(data.body)["nodes"]
    by_op = sorted((n["forward"], n["op"]) for n in nodes if n["op"])
    engine = [n.op for n in reversed(topological_order(e)) if n.parents]
    assert [op for _, op in by_op] == engine
    for n in nodes:  # each gate after its inputs
        assert all(nodes[i["node"]]["forward"] < n["forward"] for i in n["inputs"])


def test_every_svg_node_maps_to_a_graph_node(xyz_page):
    data = _data(xyz_page)
    titles = re.findall(r'<g id="[^"]*" class="node" data-name="([^"]+)"', xyz_page)
    assert titles
    unmapped = {t for t in titles if t not in data["names"]}
    assert unmapped == {"out"}  # the end of the root's arrow; the frames' captions are removed
    gates = {t: data["nodes"][data["names"][t]]["op"] for t in titles if t.startswith("n")}
    assert sorted(op for op in gates.values() if op) == ["*", "+"]


def test_a_value_used_many_times_maps_every_copy_of_its_name():
    from gradtrace import vsum

    x = Value(2.0, "x")
    f = vsum([x * k for k in range(1, 7)])  # x drawn again at each of its 6 uses
    page = explore(f).body
    data = _data(page)
    titles = re.findall(r'<g id="[^"]*" class="node" data-name="([^"]+)"', page)
    copies = {t for t in titles if t.startswith("r")}  # the same in every frame
    assert len(copies) == 6
    assert {data["nodes"][data["names"][t]]["name"] for t in copies} == {"x"}
    assert {t for t in titles if t not in data["names"]} == {"out"}  # the arrow's end


def test_captions_say_what_each_gate_computes(xyz_page):
    captions = [s["caption"] for s in _data(xyz_page)["steps"]]
    assert captions[0] == "forward, step 0 of 2: the inputs x = -2, y = 5, z = -4"
    assert captions[1] == "forward, step 1 of 2: the + gate computes x + y = -2 + 5 = 3"
    assert captions[3] == "backward, step 0 of 2: the seed df/df = 1"
    assert captions[4] == (
        "backward, step 1 of 2: the * gate (f), local × upstream = downstream: "
        "add: -4 × 1 = -4; z: 3 × 1 = 3"  # the mul gate swaps: df/dz = x + y = 3
    )


def test_captions_name_every_input_once():
    # The 2-2-2 error E = 0.5 (t1 - o1)^2 + 0.5 (t2 - o2)^2 has two "*0.5" gates feeding one
    # "+": each gets its own name, and a * a says which input is which.
    w = [Value(v, f"w{i}") for i, v in enumerate([0.15, 0.2, 0.25], start=1)]
    h = (w[0] * 0.05 + w[1] * 0.1).sigmoid()
    e = 0.5 * (0.01 - h * w[2]) ** 2 + 0.5 * (0.99 - h) ** 2
    a = Value(3.0, "a")
    for root in (e, a * a):
        for s in _steps_only(root)["steps"]:
            if s["phase"] == "backward" and s["node"] is not None:
                said = s["caption"].split("downstream: ")[1].split("; ")
                names = [part.split(":")[0] for part in said]
                assert len(set(names)) == len(names), s["caption"]
    squared = _steps_only(a * a)["steps"][-1]["caption"]
    assert "a (input 1): 3 × 1 = 3; a (input 2): 3 × 1 = 3" in squared


def test_caption_products_add_up_as_printed():
    # The sigmoid neuron of the notes with fmt=".2f": dx0 = w0 · 0.1966 = 0.3932 printed as
    # "2.00 × 0.20 = 0.39" reads as wrong arithmetic; the captions must multiply out.
    from gradtrace.viz.circuit import picture_order
    from gradtrace.viz.graph import nodes
    from gradtrace.viz.html import _graph_data
    from gradtrace.viz.steps import BackwardSteps

    w0, x0, w1, x1, w2 = (
        Value(v, n) for v, n in [(2, "w0"), (-1, "x0"), (-3, "w1"), (-2, "x1"), (-3, "w2")]
    )
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    data = _graph_data(f, picture_order(nodes(f)), BackwardSteps(f, fmt=".2f"), "neuron")
    products = [
        m.groups()
        for step in data["steps"]
        for m in re.finditer(r"(-?\d+\.\d+) × (-?\d+\.\d+) = (-?\d+\.\d+)", step["caption"])
    ]
    assert len(products) >= 5
    for a, b, c in products:
        digits = len(c.split(".")[1])
        assert round(float(a) * float(b), digits) == pytest.approx(float(c)), (a, b, c)
    assert ("2.0000", "0.1966", "0.3932") in products  # more digits where they are needed


def test_chain_rule_panel_comes_from_explain(xyz_page):
    nodes = {n["name"]: n for n in _data(xyz_page)["nodes"]}
    x = nodes["x"]["chain"]
    assert x["sum"] == "df/dx = df/dadd · dadd/dx = -4 × 1 = -4"
    assert x["headline"].startswith("How backprop got df/dx = -4")
    assert _paths(_data(xyz_page), x) == ["df/dadd · dadd/dx = -4 × 1 = -4"]
    assert nodes["add"]["chain"]["sum"] == "df/dadd = -4" and nodes["add"]["chain"]["paths"] == []


def _paths(data, chain):
    """A node's chain-rule paths as the page writes them (each kept as its last factor)."""
    from gradtrace.viz.page_paths import path_text

    return [path_text(data["factors"], p) for p in chain["paths"]]


def _steps_only(root):
    """The page's data without its pictures (no Graphviz run)."""
    from gradtrace.viz.circuit import picture_order
    from gradtrace.viz.graph import nodes
    from gradtrace.viz.html import _graph_data
    from gradtrace.viz.steps import BackwardSteps

    return _graph_data(root, picture_order(nodes(root)), BackwardSteps(root), "title")


def test_two_two_two_network_steps_and_gradients():
    error = _two_two_two()  # no backward(): the page replays it on the local gradients
    data = _steps_only(error)
    gates = sum(1 for n in topological_order(error) if n.parents)
    assert len(data["steps"]) == 2 * (gates + 1)  # the inputs + each gate; the seed + each gate
    nodes = {n["name"]: n for n in data["nodes"]}
    # Four significant digits, as everywhere (issue 19): the notes' E = 0.298371109, and
    # from their update w_new = w - 0.5 dE/dw, dE/dw5 = 0.082167041, dE/dw1 = 0.00043856.
    assert nodes["f"]["value"] == "0.2984"
    assert nodes["w5"]["grad"] == "0.08217"
    assert nodes["w1"]["grad"] == "0.0004386"
    assert len(nodes["w1"]["chain"]["paths"]) == 2  # through o1 and through o2


def test_a_value_used_twice_lists_its_parts():
    a = Value(3.0, "a")
    g = a * a + a  # by hand: dg/da = 2a + 1 = 7, in three parts 3 + 3 + 1
    g.backward()
    data = _data(explore(g).body)
    node = next(n for n in data["nodes"] if n["name"] == "a")
    assert _paths(data, node["chain"])[-1].endswith("= 1")  # the path straight into the + gate
    assert node["grad"] == "7" and node["parts"] == "1 + 3 + 3 = 7"  # the + gate's part first


def test_data_cannot_end_its_script_element():
    x = Value(1.0, "</script><b>x")
    f = x * 2
    f.backward()
    body = explore(f).body
    assert "</script><b>" not in body
    assert _data(body)["nodes"][0]["name"] == "</script><b>x"


def test_the_node_panel_data_holds_each_gates_lecture_formula_from_its_record(xyz_page):
    nodes = {n["name"]: n for n in _data(xyz_page)["nodes"]}
    assert nodes["f"]["formula"] == "d/da = b, d/db = a"  # the mul gate, as the notes write it
    assert nodes["add"]["formula"].startswith("d/da = 1, d/db = 1")
    assert {nodes[k]["formula"] for k in "xyz"} == {""}  # a leaf has no gate
    f = _xyz()
    assert nodes["f"]["formula"] == f.gate.formula  # read from the record, not retyped
    assert nodes["add"]["formula"] == f.parents[0].gate.formula


def test_a_learners_gate_formula_is_text_on_the_page():
    from gradtrace import gate

    hostile = "</script><img src=x onerror=window.x=1> d/da = 2a & <b>"
    square = gate("square", formula=hostile)(lambda a: (a * a, (2 * a,)))
    x = Value(3.0, "x")
    f = square(x)
    f.backward()
    body = explore(f).body
    assert "</script><img" not in body and "<b>" not in body  # nothing ends the data's script
    node = next(n for n in _data(body)["nodes"] if n["name"] != "x")
    assert node["formula"] == hostile  # kept exactly, for the script to write as text


def test_two_explorers_get_their_own_ids():
    a, b = explore(_xyz()), explore(_xyz())
    ids = [re.search(r'class="gradtrace-explorer" id="([^"]+)"', e.body).group(1) for e in (a, b)]
    assert ids[0] != ids[1]
    shown = a._repr_html_()
    assert "<script>" in shown and "<style>" in shown and 'data-fragment="0"' in shown
    assert 'data-fragment="1"' in a.page()


def test_big_graph_shows_the_network_view_with_a_note():
    from gradtrace import nn

    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)  # micrograd's moons model
    loss = model([Value(0.5), Value(-0.2)]).relu()
    loss.backward()
    page = explore(loss, model=model)
    data = _data(page.body)
    assert page.steps == 1 and data["steps"][0]["phase"] == "network"
    assert "too many to step through gate by gate" in data["note"]
    assert len(page.page()) < 2_000_000


def _chain(n):
    """A chain of `n` nodes: x, then alternately *0.9 and tanh."""
    v = Value(0.5, "x")
    for i in range(n - 1):
        v = v * 0.9 if i % 2 == 0 else v.tanh()
    v.backward()
    return v


def test_page_size_is_capped_with_a_message():
    root = _chain(60)
    full = len(explore(root).page().encode())
    limit = full - 1000
    page = explore(root, max_bytes=limit)
    data = _data(page.body)
    assert data["steps"][0]["phase"] == "network"
    assert f"more than max_bytes={limit:,}" in data["note"]
    assert len(page.page().encode()) <= limit


def test_max_bytes_is_a_hard_limit():
    # Even the network view of (x+y)z is bigger than 10 kB: refused, never written bigger.
    with pytest.raises(ValueError, match="more than max_bytes=10,000"):
        explore(_xyz(), max_bytes=10_000)


def test_a_page_of_1000_nodes_drawn_in_full_stays_under_5_megabytes():
    page = explore(_chain(1000), max_nodes=None).page()
    assert page.count("<svg") == 1 and 'data-steps="2000"' in page  # 999 gates twice, 2 seeds
    assert len(page.encode()) < 5_000_000


def _leaf_per_gate(gates):
    """x, then `gates` times f = tanh(f + c), each c its own input leaf: 3 * gates + 1 nodes."""
    f = Value(0.5, "x")
    for i in range(gates):
        f = (f + Value(0.01 * (i % 7) - 0.03)).tanh()
    f.backward()
    return f


def test_a_page_of_1000_nodes_with_an_input_at_every_gate_stays_under_5_megabytes():
    # Each of the 334 inputs has one path back from the root, of up to 666 factors: written out
    # in full they made the page 5.4 MB; each factor is now kept once, shared by the paths.
    f = _leaf_per_gate(333)
    page = explore(f, max_nodes=None, max_bytes=None).page()
    data = _data(page)
    assert len(data["nodes"]) == 1000 and page.count("<svg") == 1
    assert len(page.encode()) < 5_000_000
    first = next(n for n in data["nodes"] if n["name"] == "leaf1")["chain"]
    (text,) = _paths(data, first)  # the whole path, 666 factors, as explain writes it
    assert text.count(" · ") == 665 and text.endswith(f"= {first['sum'].split(' = ')[-1]}")


def test_every_chain_rule_path_on_the_page_is_explain_s_own_text():
    # The page keeps paths as factors shared between them; written back they are explain's.
    from gradtrace.viz import explain
    from gradtrace.viz.flow import node_names

    for root in (_two_two_two(), _leaf_per_gate(5), _xyz()):
        root.backward()
        data = _steps_only(root)
        leaves = {node_names(root)[id(v)]: v for v in topological_order(root) if not v.parents}
        checked = 0
        for n in data["nodes"]:
            if n["name"] in leaves:
                e = explain(root, wrt=leaves[n["name"]], fmt=".4g", max_paths=16)
                want = [p["text"] for p in e.to_dict()["paths"]]
                assert _paths(data, n["chain"]) == want, n["name"]
                checked += len(want)
        assert checked >= 3


def test_a_page_of_100_nodes_stays_under_a_megabyte():
    # The graph is laid out once and each step's state is data: one picture, not one per step
    # (the page of one SVG per frame was 11.6 MB for this chain).
    page = explore(_chain(100)).page()
    assert page.count("<svg") == 1
    assert len(page.encode()) < 1_000_000


def test_tensor_graph_steps_by_each_gate_rule_and_shows_matrices():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, label="t")
    data = _steps_only((t * t).sum())
    nodes = {n["name"]: n for n in data["nodes"]}
    assert nodes["t"]["value"] == "[ 1  2 ]\n[ 3  4 ]   (2, 2)"  # row by row in the panel
    assert nodes["t"]["grad"] == "[ 2  4 ]\n[ 6  8 ]   (2, 2)"  # d sum(t*t)/dt = 2t
    captions = [s["caption"] for s in data["steps"]]
    assert any("da = δ × b = [[1, 2], [3, 4]]" in c for c in captions)


def test_a_small_tensor_gradient_on_the_page_is_a_grid_row_by_row_as_draw_shows_it():
    # Issue 19: dE/dW of the Tensor 2-2-2 is a 2x2 grid in draw() and the frames; the page
    # wrote it as one line of nested lists. Its slot holds the rows, the picture one text per
    # number (laid out once at each number's widest), in two rows.
    from test_viz_matrix_pictures import two_two_two

    m, E = two_two_two()
    page = explore(E).page()
    data = _data(page)
    w = f"w{next(i for i, n in enumerate(data['nodes']) if n['name'] == '0.weight')}"
    rows = [["0.0004386", "0.0008771"], ["0.0004977", "0.0009954"]]  # dE/dw1..w4, the notes'
    assert data["slots"][w]["g"] == [[data["slots"][w]["g"][0][0], rows]]
    group = re.search(rf'<g [^>]*data-name="{w}"[^>]*>(.*?)</g>', page, re.S).group(1)
    assert "[[0.0004386" not in group  # never the one-line form on the wire
    red = re.findall(r'<text [^>]*y="([-\d.]+)"[^>]*fill="#c62828">([^<]*)</text>', group)
    assert [t for _, t in red] == [v for r in rows for v in r]
    ys = [y for y, _ in red]
    assert ys[0] == ys[1] != ys[2] == ys[3]  # two rows of two numbers


def test_to_html_wants_an_html_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.html"):
        to_html(_xyz(), tmp_path / "page.svg")


def test_a_failed_write_leaves_the_old_page_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "page.html"
    path.write_text("the old page", encoding="utf-8")

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        to_html(_xyz(), path)
    assert path.read_text(encoding="utf-8") == "the old page"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_written_page_is_readable_by_others(tmp_path):
    path = to_html(_xyz(), tmp_path / "page.html")
    assert path.stat().st_mode & 0o044 == 0o044  # not mkstemp's private 0600


def test_cli_draw_writes_the_page(tmp_path, capsys):
    out = tmp_path / "page.html"
    assert main(["draw", "(x + y) * z", "x=-2", "y=5", "z=-4", "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    data = _data(out.read_text(encoding="utf-8"))
    assert data["title"] == "f = (x + y) * z"
    assert len(data["steps"]) == 6


def test_a_traced_pytorch_graph_gets_the_same_page(torch):
    from gradtrace.viz import trace_torch

    t = trace_torch(lambda x, y, z: (x + y) * z, -2.0, 5.0, -4.0)  # the lecture's (x+y)z
    data = _data(explore(t).body)
    nodes = {n["name"]: n for n in data["nodes"]}
    assert {k: nodes[k]["grad"] for k in "xyz"} == {"x": "-4", "y": "-4", "z": "3"}
    assert len(data["steps"]) == 6


def test_changing_texts_are_anchored_at_the_middle_of_their_wire():
    # The page writes shorter gradients where Graphviz wrote the widest: they must stay in the
    # middle of the wire (measured in Python from the wire's own line, not by the browser,
    # which measures text wrongly in a big graph fitted into the window).
    body = explore(_chain(40)).body
    groups = re.findall(r'<g [^>]*data-name="(w\d+)"[^>]*>(.*?)</g>', body, re.S)
    checked = 0
    for _, inner in groups:
        xs = [
            float(p.split(",")[0])
            for pts in re.findall(r'points="([^"]*)"', inner)
            for p in pts.split()
        ]
        for anchor, x, fill in re.findall(
            r'<text[^>]*text-anchor="(\w+)" x="([-\d.]+)"[^>]*fill="(#\w+)"', inner
        ):
            if fill in ("#c62828", "#1565c0"):  # a gradient, a product
                assert anchor == "middle"
                assert float(x) == pytest.approx((min(xs) + max(xs)) / 2, abs=0.01)
                checked += 1
    assert checked >= 2 * 39 - 1  # every wire's gradient, every product but the root's
