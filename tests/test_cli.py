"""The `gradtrace` command line: `draw` succeeds and fails as documented."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gradtrace.cli import main
from gradtrace.cli.expr import ExpressionError, evaluate, parse

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="no Graphviz dot")


def test_draw_prints_the_lecture_gradients_and_writes_the_picture(tmp_path, capsys):
    out = tmp_path / "graph.dot"
    assert main(["draw", "(x + y) * z", "x=-2", "y=5", "z=-4", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    # lecture (003): f = -12, df/dx = df/dy = -4, df/dz = 3
    assert "= -12" in text
    assert "df/dx = -4" in text and "df/dy = -4" in text and "df/dz = 3" in text
    assert out.read_text().startswith("digraph")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["draw", "(x + y", "x=1", "y=2"], "malformed"),
        (["draw", "x +* ", "x=1"], "malformed"),
        (["draw", "foo(x)", "x=1"], "unknown function"),
        (["draw", "x * y", "x=1"], "no value for y"),
        (["draw", "x", "x=1", "w=2"], "w not in the expression"),
        (["draw", "x", "x=abc"], "not a number"),
        (["draw", "log(x)", "x=0"], "log gate"),
        (["draw", "1 / x", "x=0"], "reciprocal"),
        (["draw", "__import__('os').system('true')"], "unknown function"),
        (["draw", "x.real", "x=1"], "not allowed"),
        (["draw", "x ** y", "x=1", "y=2"], "exponent"),
        (["draw", "[x]", "x=1"], "not allowed"),
        (["draw", "x", "x=1", "-o", "g.txt"], "suffix"),
        (["draw", "x", "x=1", "--fmt", "q"], "number format"),
    ],
)
def test_draw_fails_with_one_line_and_no_traceback(argv, message, capsys):
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_long_expression_does_not_hit_the_recursion_limit():
    root, leaves = evaluate(parse(" + ".join(["x"] * 2000)), {"x": 1.0})
    root.backward()
    assert root.data == 2000 and leaves["x"].grad == 2000


def test_sigmoid_expression_matches_the_lecture():
    root, leaves = evaluate(
        parse("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"),
        {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3},
    )
    root.backward()
    # lecture (003): out 0.73, dw0 -0.20, dx0 0.39, dw1 -0.39, dx1 -0.59, dw2 0.20
    assert root.data == pytest.approx(0.7310585786)
    assert leaves["w0"].grad == pytest.approx(-0.1966119, abs=1e-7)
    assert leaves["x1"].grad == pytest.approx(-0.5898358, abs=1e-7)


def test_parse_never_evaluates_python():
    with pytest.raises(ExpressionError):
        parse("(lambda: 1)()")
    with pytest.raises(ExpressionError):
        parse("x if x else x")


def test_console_script_runs_in_a_subprocess(tmp_path):
    script = Path(sys.executable).with_name("gradtrace")
    if not script.exists():
        pytest.skip("the gradtrace console script is not installed in this environment")
    ok = subprocess.run(
        [str(script), "draw", "(x + y) * z", "x=-2", "y=5", "z=-4", "-o", str(tmp_path / "g.dot")],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and "df/dz = 3" in ok.stdout
    bad = subprocess.run([str(script), "draw", "log(x)", "x=0"], capture_output=True, text=True)
    assert bad.returncode != 0
    assert bad.stderr.strip().count("\n") == 0 and "Traceback" not in bad.stderr


@needs_dot
def test_draw_writes_svg(tmp_path, capsys):
    out = tmp_path / "graph.svg"
    assert main(["draw", "(x + y) * z", "x=-2", "y=5", "z=-4", "-o", str(out)]) == 0
    assert out.read_text().lstrip().startswith("<?xml")


def test_demo_prints_the_worked_examples_and_what_it_wrote(tmp_path, capsys):
    folder = tmp_path / "demo"
    assert main(["demo", "-o", str(folder), "--no-train"]) == 0
    out = capsys.readouterr().out
    assert "df/dx = -4" in out and "0.7310585786" in out
    suffix = "svg" if shutil.which("dot") else "dot"
    assert (folder / f"xyz.{suffix}").exists()
    assert (folder / f"sigmoid_neuron.{suffix}").exists()
    assert len(list((folder / "xyz_steps").iterdir())) == 3
    assert "wrote demo/xyz_steps" in out


def test_draw_steps_writes_one_frame_per_backward_step(tmp_path, capsys):
    # (x + y) * z: the seed, the * gate, the + gate
    steps = tmp_path / "steps"
    argv = ["draw", "(x + y) * z", "x=-2", "y=5", "z=-4", "--steps", str(steps)]
    if shutil.which("dot") is None:
        argv += ["--steps-format", "dot"]
    assert main(argv) == 0
    assert len(list(steps.iterdir())) == 3
    assert "wrote 3 backward steps" in capsys.readouterr().out
