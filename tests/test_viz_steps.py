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
    assert last.count("1 × 1 = 1</FONT>") == 2  # one product on each branch wire
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
