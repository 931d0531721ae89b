"""Worksheets: gradients left blank for printing, an answer key, and a fill-in page."""

import json
import re

import pytest
from gradtrace import Value, check_answers
from gradtrace.viz import worksheet
from gradtrace.viz.dot import system_dot
from gradtrace.viz.worksheet import BLANK


def chain_rule_example(x_label="x"):
    x, y, z = Value(-2.0, x_label), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    return f


def test_every_gradient_is_blank_and_every_value_is_there():
    source = worksheet(chain_rule_example()).graph().source
    assert source.count(BLANK) == 5  # x, y, z, q, f
    for value in ("-2", "5", "-4", "3", "-12"):
        assert f">{value}<" in source
    assert ">-4<" in source and ">1<" not in source  # no gradient is given away


def test_blank_a_list_of_labels_leaves_the_other_gradients_drawn():
    ws = worksheet(chain_rule_example(), blank=["x", "z"])
    source = ws.graph().source
    assert source.count(BLANK) == 2 and ws.asked == ["x", "z"]
    assert ws.answers() == {"x": -4.0, "z": 3.0}
    with pytest.raises(ValueError, match=r"\['w'\]"):
        worksheet(chain_rule_example(), blank=["w"])
    with pytest.raises(ValueError, match="'grad' or a list"):
        worksheet(chain_rule_example(), blank="value")


def test_the_key_is_the_filled_picture():
    key = worksheet(chain_rule_example()).key().source
    assert BLANK not in key and "Answer key" in key
    assert key.count(">-4<") >= 3  # x.grad, y.grad, q.grad (and z's value)


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_the_sheet_renders_for_printing(tmp_path, suffix):
    if suffix == ".pdf" and system_dot() is None:
        pytest.skip("a PDF needs the system's Graphviz (graphviz-pure writes no PDF)")
    path = worksheet(chain_rule_example()).render(tmp_path / f"sheet{suffix}")
    data = path.read_bytes()
    assert data[:4] in (b"<?xm", b"<svg", b"\x89PNG", b"%PDF")


def test_the_page_carries_the_same_sheet_check_answers_uses():
    f = chain_rule_example()
    page = worksheet(f).page()
    data = json.loads(re.search(r'id="worksheet-data"[^>]*>(.*?)</script>', page, re.S)[1])
    assert [a["label"] for a in data["asked"]] == ["x", "y", "q", "z", "f"]
    for label, entry in data["sheet"].items():
        right = check_answers(f, {label: entry["expected"]})[0]
        assert right.cause == "correct"
        for cause, value, _ in entry["candidates"][1:]:
            assert check_answers(f, {label: value})[0].cause == cause
    assert "http" not in page.replace("http://www.w3.org", "")  # no network


def test_a_hostile_label_is_text_in_the_page():
    page = worksheet(chain_rule_example(x_label="</script><b>x")).page()
    assert "</script><b>" not in page
    assert "&lt;/script&gt;&lt;b&gt;x" in page


def sigmoid_neuron():
    """The notes' neuron: five labelled leaves, seven unlabelled gates, f labelled."""
    w0, x0, w1, x1, w2 = (
        Value(v, n)
        for v, n in zip((2.0, -1.0, -3.0, -2.0, -3.0), ("w0", "x0", "w1", "x1", "w2"), strict=True)
    )
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    f.label = "f"
    return f


def test_every_blank_wire_of_the_neuron_has_a_box_in_reading_order():
    f = sigmoid_neuron()
    ws = worksheet(f)
    sheet = ws.graph().source
    assert sheet.count(BLANK) == 13
    reading = ["w0", "x0", "mul1", "w1", "x1", "mul2", "add1", "w2", "add2", "neg", "exp"]
    assert ws.asked == [*reading, "add3", "f"]
    page = ws.page()
    boxes = re.findall(r'<input id="a\d+" data-label="([^"]+)"', page)
    assert boxes == ws.asked  # a box for every blank, the gates' outputs too
    for name in ("mul1", "mul2", "add1", "add2", "neg", "exp", "add3"):
        assert f">{name}<" in sheet  # the picture names the wire the box asks for
    assert ws.answers()["exp"] == pytest.approx(-0.5344466, abs=1e-7)  # -1/1.368² × 1
    assert ws.answers()["mul1"] == pytest.approx(0.1966119, abs=1e-7)


def test_the_key_names_the_same_wires_and_fills_every_blank():
    ws = worksheet(sigmoid_neuron())
    key = ws.key().source
    assert BLANK not in key and "Answer key" in key
    for name in ws.asked:  # gates' names above their wires, leaves' at the wire's start
        assert f">{name}<" in key or f"label={name} " in key
    for number in ("-0.1966", "0.3932", "-0.3932", "-0.5898", "-0.5344", ">1<"):
        assert number in key


def test_answers_for_unlabelled_gates_are_checked_by_the_pictures_names():
    f = sigmoid_neuron()
    ws = worksheet(f)
    report = ws.check({"mul1": 0.2, "exp": 0.53, "add3": -0.53, "w0": -1.0})
    assert report.causes() == {
        "mul1": "correct",
        "exp": "sign-error",
        "add3": "correct",
        "w0": "forgot-upstream",
    }
    page = ws.page()
    data = json.loads(re.search(r'id="worksheet-data"[^>]*>(.*?)</script>', page, re.S)[1])
    assert [a["label"] for a in data["asked"]] == ws.asked
    for name, entry in data["sheet"].items():  # the page's sheet gives check()'s verdicts
        for cause, value, _ in entry["candidates"]:
            assert ws.check({name: value})[0].cause == cause
    with pytest.raises(ValueError, match="no node is labelled 'mul1'"):
        check_answers(f, {"mul1": 0.2})  # without the picture's names: labels only


def test_blank_may_name_an_unlabelled_gate_by_its_picture_name():
    ws = worksheet(sigmoid_neuron(), blank=["exp", "w1", "w0"])
    assert ws.asked == ["w0", "w1", "exp"]  # reading order, not the order given
    assert ws.graph().source.count(BLANK) == 3
