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
