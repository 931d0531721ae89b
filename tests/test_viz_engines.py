"""Both layout programs: the system's Graphviz `dot` and graphviz-pure (the pure-Rust port on
PyPI that gradtrace depends on). The worked examples and a backward frame come out of each with
the lecture's numbers; with `dot` hidden from PATH every format but PDF still works."""

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest
from gradtrace import Value
from gradtrace.viz import backward_steps, draw
from gradtrace.viz import dot as gv
from reference import IN_CI

SVG = "{http://www.w3.org/2000/svg}"
ENGINES = ("dot", "graphviz-pure")


def _engine(name, monkeypatch):
    """Make `name` the layout program for this test (skip where it is not installed)."""
    found = gv.system_dot() if name == "dot" else gv.pure_dot()
    if found is None:
        if IN_CI:
            pytest.fail(f"CI=true and {name} is missing (make setup installs both)")
        pytest.skip(f"{name} is not installed")
    monkeypatch.setenv(gv.ENGINE_VARIABLE, name)
    assert gv.layout_program() == (found, name == "graphviz-pure")


def _xyz():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    return f


def _neuron():
    """The notes' sigmoid neuron: w0 x0 + w1 x1 + w2 = 1, sigmoid 0.7311, dw0 = -0.1966."""
    w0, x0, w1, x1, w2 = (
        Value(v, n)
        for v, n in zip([2, -1, -3, -2, -3], ["w0", "x0", "w1", "x1", "w2"], strict=True)
    )
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f.backward()
    return f


def _texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text.strip() for t in root.iter(f"{SVG}text") if t.text and t.text.strip()]


def _filled(svg: bytes) -> list[str]:
    """The titles of the nodes drawn filled (the gate at work)."""
    out = []
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if g.get("class") == "node" and any(
            (e.get("fill") or "none") not in ("none", "white", "black")
            for e in g.iter(f"{SVG}ellipse")
        ):
            out.append(g.find(f"{SVG}title").text)
    return out


@pytest.mark.parametrize("engine", ENGINES)
def test_worked_examples_by_each_engine(engine, monkeypatch):
    _engine(engine, monkeypatch)
    texts = _texts(gv.to_bytes(draw(_xyz()), "svg"))
    # values -2, 5, -4, 3, -12 above the wires; gradients -4, -4, 3, -4, 1 below; the legend
    numbers = ["-2", "5", "-4", "3", "-12"] + ["-4", "-4", "3", "-4", "1"]
    legend = "value above each wire, gradient below"
    assert sorted(texts) == sorted(["x", "y", "z", "+", "*", legend] + numbers)
    texts = _texts(gv.to_bytes(draw(_neuron(), show_local=True), "svg"))
    for shown in ("0.7311", "-0.1966", "0.3932", "0.1966", "local 0.1966", "-0.3932"):
        assert shown in texts, shown
    png = gv.to_bytes(draw(_xyz()), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert 700 < width < 900  # about 308 pt at 192 dpi: the same size from both engines


@pytest.mark.parametrize("engine", ENGINES)
def test_a_backward_frame_by_each_engine(engine, monkeypatch):
    _engine(engine, monkeypatch)
    steps = backward_steps(_neuron())
    frame = gv.to_bytes(steps[3], "svg")  # the first + gate hands 0.1966 to both products
    texts = _texts(frame)
    assert texts.count("1 × 0.1966 = 0.1966") == 2  # on the two wires into the gate
    for k in (1, 2):  # and in the caption
        assert f"input {k} (from *): 1 × 0.1966 = 0.1966" in texts
    assert "backward, step 3 of 5: the + gate" in texts
    plus = steps.picture.index[id(steps.steps[3].gate)]
    assert _filled(frame) == [f"n{plus}"]  # the gate at work, and only it, is lit
    # The frames of one animation hold still: a node is where it was in the first frame.
    first = ET.fromstring(gv.to_bytes(steps[0], "svg"))
    here = ET.fromstring(frame)

    def where(root, title):
        for g in root.iter(f"{SVG}g"):
            if g.get("class") == "node" and g.find(f"{SVG}title").text == title:
                e = g.find(f"{SVG}ellipse")
                return e.get("cx"), e.get("cy")

    assert where(first, f"n{plus}") == where(here, f"n{plus}")


HIDDEN_DOT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from gradtrace import Value
    from gradtrace.viz import GraphvizNotFoundError, backward_steps, render, to_html
    from gradtrace.viz.dot import layout_program, system_dot

    out = Path(sys.argv[1])
    assert system_dot() is None, "dot is still on PATH"
    print("program", Path(layout_program()[0]).name)
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    for suffix in ("svg", "png", "dot"):
        render(f, out / f"xyz.{suffix}")
    from gradtrace.viz import draw, network
    # what Jupyter shows for a drawn graph, and the graphviz package's pipe: no system dot
    for picture in (draw(f), network(f)):
        print("shown", "<svg" in picture._repr_mimebundle_()["image/svg+xml"])
        print("piped", picture.pipe(format="png")[1:4] == b"PNG")
    steps = backward_steps(f)
    steps.save(out / "frames", format="png")
    steps.save_gif(out / "steps.gif")
    to_html(f, out / "page.html")
    try:
        render(f, out / "xyz.pdf")
    except GraphvizNotFoundError as e:
        print("pdf", e)
    """
)


def test_without_dot_on_path_everything_but_pdf_works(tmp_path):
    if gv.pure_dot() is None:
        pytest.fail("graphviz-pure (a dependency of gradtrace) is not installed")
    pytest.importorskip("PIL", reason="the GIF needs Pillow (matplotlib brings it)")
    env = {k: v for k, v in os.environ.items() if k != gv.ENGINE_VARIABLE}
    env["PATH"] = str(tmp_path / "empty")  # no dot, no graphviz-pure: found beside Python
    done = subprocess.run(
        [sys.executable, "-c", HIDDEN_DOT, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] in ("program graphviz-pure", "program graphviz-pure.exe")
    assert lines[1:5] == ["shown True", "piped True"] * 2
    assert (tmp_path / "xyz.svg").read_text().count("<svg") == 1
    assert (tmp_path / "xyz.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "xyz.dot").read_text().startswith("digraph")
    assert len(list((tmp_path / "frames").glob("step_*.png"))) == 3
    assert (tmp_path / "steps.gif").read_bytes()[:6] == b"GIF89a"
    assert "gradtrace-explorer" in (tmp_path / "page.html").read_text(encoding="utf-8")
    assert not (tmp_path / "xyz.pdf").exists()
    (pdf,) = [line for line in lines if line.startswith("pdf ")]
    assert "apt-get install graphviz" in pdf and "write .svg" in pdf  # one line: how to get it
