"""viz.backward_steps: one picture per step of the backward pass, replayed, never mutating."""

import shutil

import pytest
from gradtrace import Value
from gradtrace.viz import backward_steps
from gradtrace.viz.graph import nodes as walk

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="no Graphviz dot")


def xyz():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    return (q * z), (x, y, z)


def gates(root):
    return sum(1 for n in walk(root) if n.parents)


def test_one_step_for_the_seed_and_one_per_gate():
    f, _ = xyz()
    steps = backward_steps(f)
    assert len(steps) == 1 + gates(f) == 3


def test_steps_write_the_lecture_products():
    # lecture (003): the * gate sends z * 1 = -4 to q and q * 1 = 3 to z; the + gate sends
    # 1 * -4 = -4 to x and to y
    f, _ = xyz()
    steps = backward_steps(f)
    assert "q: -4 × 1 = -4; z: 3 × 1 = 3" in steps.steps[1].caption
    assert "x: 1 × -4 = -4; y: 1 × -4 = -4" in steps.steps[2].caption
    assert "-4 × 1 = -4" in steps[1].source
    assert "fillcolor" in steps[1].source  # the gate being processed is highlighted


def test_steps_do_not_touch_the_users_gradients():
    f, (x, y, z) = xyz()
    backward_steps(f)
    assert (f.grad, x.grad, y.grad, z.grad) == (0.0, 0.0, 0.0, 0.0)


def test_accumulation_at_a_branch_is_written_out():
    # a*2 + a: a gets 1 from the add, then 2 from the *2 gate: 1 + 2 = 3 (hand)
    a = Value(3.0, "a")
    c = a * 2.0 + a
    steps = backward_steps(c)
    assert "1 + 2 = 3" in steps[len(steps) - 1].source


def test_a_plus_a_gives_two_products_of_one():
    a = Value(3.0, "a")
    b = a + a
    last = backward_steps(b)[1].source
    # one product on each branch wire (blue; the caption lists them too, in black)
    assert last.count('#1565c0" POINT-SIZE="10">1 × 1 = 1</FONT>') == 2
    assert "1 + 1 = 2" in last


def test_earlier_steps_leave_later_gradients_blank():
    f, _ = xyz()
    first = backward_steps(f)[0].source
    assert '#c62828">-4<' not in first


def test_dot_frames_numbered(tmp_path):
    f, _ = xyz()
    paths = backward_steps(f).save(tmp_path, format="dot")
    assert [p.name for p in paths] == ["step_00.dot", "step_01.dot", "step_02.dot"]


@needs_dot
def test_svg_and_png_frames_and_gif(tmp_path):
    f, _ = xyz()
    steps = backward_steps(f)
    svgs = steps.save(tmp_path / "svg")
    pngs = steps.save(tmp_path / "png", format="png")
    assert len(svgs) == len(pngs) == len(steps)
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    gif = steps.save_gif(tmp_path / "steps.gif")
    from PIL import Image

    with Image.open(gif) as im:
        assert im.n_frames == len(steps)


@needs_dot
def test_html_without_ipywidgets_is_a_list_of_svgs():
    f, _ = xyz()
    assert backward_steps(f)._repr_html_().count("<svg") == 3


def sigmoid_neuron():
    w0, x0 = Value(2.0, "w0"), Value(-1.0, "x0")
    w1, x1, w2 = Value(-3.0, "w1"), Value(-2.0, "x1"), Value(-3.0, "w2")
    return ((-(w0 * x0 + w1 * x1 + w2)).exp() + 1).reciprocal()


def node_positions(graph):
    """{node name: its centre} as Graphviz lays the frame out."""
    import json

    from gradtrace.viz.dot import to_bytes

    laid = json.loads(to_bytes(graph, "json"))
    return laid["bb"], {o["name"]: o["pos"] for o in laid["objects"] if "pos" in o}


@needs_dot
def test_every_node_stays_in_place_across_the_frames():
    # the (x+y)z GIF once moved the + gate from x=140 to 218 px as labels widened
    for root in (xyz()[0], sigmoid_neuron()):
        steps = backward_steps(root, fmt=".2f")
        first = node_positions(steps[0])
        assert len(first[1]) > 10
        for i in range(1, len(steps)):
            assert node_positions(steps[i]) == first, f"frame {i} moved"


@needs_dot
def test_frames_are_one_size_so_the_gif_does_not_jump(tmp_path):
    from PIL import Image

    sizes = {Image.open(p).size for p in backward_steps(xyz()[0]).save(tmp_path, format="png")}
    assert len(sizes) == 1


def test_captions_add_up_as_shown():
    # the lecture's neuron rounded to 2 places once read "x0: 2.00 × 0.20 = 0.39"
    import re

    steps = backward_steps(sigmoid_neuron(), fmt=".2f")
    number = r"(-?\d+(?:\.\d+)?)"
    found = 0
    for s in steps.steps[1:]:
        for a, b, sign, c in re.findall(rf"{number} × {number} (=|≈) {number}", s.caption):
            digits = len(c.split(".")[1]) if "." in c else 0
            if sign == "=":
                assert f"{float(a) * float(b):.{digits}f}" == c, s.caption
            found += 1
    assert found == 12  # 1/x, +1, exp, *-1: one input each; +, +, *, *: two
    assert "x0: 2.0000 × 0.1966 = 0.3932" in steps.steps[-2].caption  # lecture: dx0 = 0.39


def test_sums_at_a_branch_add_up_as_shown():
    # a/3 + a/3 + a/3 at .2f: 0.33 + 0.33 + 0.33 = 1.00 reads wrong; it says "≈"
    a = Value(1.0, "a")
    f = a / 3.0 + a / 3.0 + a / 3.0
    last = backward_steps(f, fmt=".2f")[-1].source
    assert "0.33 + 0.33 + 0.33 = 1.00" not in last
    assert "0.33 + 0.33 + 0.33 ≈ 1.00" in last  # no number of digits makes it exact


def test_two_unlabelled_inputs_are_named_apart():
    # once "(*): 1.00 × 0.20 = 0.20" twice in one step
    steps = backward_steps(sigmoid_neuron(), fmt=".2f")
    caption = next(s.caption for s in steps.steps if s.caption.count("from *") == 2)
    assert "input 1 (from *)" in caption and "input 2 (from *)" in caption


@needs_dot
def test_size_scales_every_frame_down_to_fit_a_column():
    import re

    f, _ = xyz()
    f.backward()

    def width_pt(graph):
        svg = graph.pipe(format="svg").decode()
        return float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))

    assert width_pt(backward_steps(f)[1]) > 3 * 72
    sized = backward_steps(f, size=3)
    assert all(width_pt(frame) <= 3 * 72 + 1 for frame in sized)
    with pytest.raises(ValueError, match="size"):
        backward_steps(f, size=0)
