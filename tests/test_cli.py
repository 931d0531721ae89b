"""The `gradtrace` command line: `draw` succeeds and fails as documented."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gradtrace.cli import main
from gradtrace.cli.expr import ExpressionError, evaluate, parse

SUBPROCESS_SECONDS = 120  # a hung child fails the test instead of hanging the suite

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
        timeout=SUBPROCESS_SECONDS,
    )
    assert ok.returncode == 0 and "df/dz = 3" in ok.stdout
    bad = subprocess.run(
        [str(script), "draw", "log(x)", "x=0"],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_SECONDS,
    )
    assert bad.returncode != 0
    assert bad.stderr.strip().count("\n") == 0 and "Traceback" not in bad.stderr


def test_a_reader_that_leaves_early_ends_the_command_quietly():
    # `gradtrace explain ... | head -1`: the pipe closes before gradtrace writes; no error shown
    code = "import sys; from gradtrace.cli import main; sys.exit(main(sys.argv[1:]))"
    args = ["explain", "(x + y) * z", "x=-2", "y=5", "z=-4", "--wrt", "x"]
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    child.stdout.close()  # the reader is gone before the child has written anything
    _, err = child.communicate(timeout=SUBPROCESS_SECONDS)
    assert child.returncode == 1
    assert err.decode() == ""


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
    assert (folder / f"two_two_two_tensor.{suffix}").exists()
    # the 2-2-2 network in matrix form gives the notes' E and dE/dw1 (lecture 003)
    assert "E = 0.298371109, dE/dw1 = 0.000438568" in out
    if shutil.which("dot"):
        page = (folder / "sigmoid_neuron.html").read_text(encoding="utf-8")
        assert 'class="gradtrace-explorer' in page and "0.7311" in page


def test_draw_steps_writes_one_frame_per_backward_step(tmp_path, capsys):
    # (x + y) * z: the seed, the * gate, the + gate
    steps = tmp_path / "steps"
    argv = ["draw", "(x + y) * z", "x=-2", "y=5", "z=-4", "--steps", str(steps)]
    if shutil.which("dot") is None:
        argv += ["--steps-format", "dot"]
    assert main(argv) == 0
    assert len(list(steps.iterdir())) == 3
    assert "wrote 3 backward steps" in capsys.readouterr().out


def many(term, n, op="+"):
    return op.join([term] * n)


@needs_dot
def test_one_leaf_feeding_a_hundred_gates_lays_out_in_seconds(tmp_path, capsys, monkeypatch):
    # x + x + ... + x with 100 copies ran Graphviz for more than 10 minutes before the fix
    import gradtrace.viz.dot as dot

    monkeypatch.setattr(dot, "TIMEOUT", 20.0)
    out = tmp_path / "sum.svg"
    assert main(["draw", many("x", 100), "x=1", "-o", str(out)]) == 0
    assert "df/dx = 100" in capsys.readouterr().out
    assert len(re.findall(r"<title>r0_\d+</title>", out.read_text())) == 100  # x at each use


def test_a_flat_sum_of_5000_terms_is_accepted(tmp_path, capsys):
    # Python's parser alone says "nested too deeply" past about 2000 operators in a row
    assert main(["draw", many("x", 5000), "x=1", "-o", str(tmp_path / "g.dot")]) == 0
    assert "df/dx = 5000" in capsys.readouterr().out


def test_sums_cut_at_top_level_keep_precedence_and_signs():
    # -x + (y - 2)*3 - x**-2 + 1e-5 - max(x, y-1) at x=2, y=3 (hand: -2 + 3 - 0.25 + 1e-5 - 2)
    root, _ = evaluate(parse("-x + (y - 2)*3 - x**-2 + 1e-5 - max(x, y-1)"), {"x": 2, "y": 3})
    assert root.data == pytest.approx(-1.24999, abs=1e-12)


@pytest.mark.parametrize(
    "expression, message",
    [
        ("x*1e999 - x*1e999", "too large for a float"),  # inf - inf
        ("x*1e300*1e300 - x*1e300*1e300", "not a finite number"),
        ("x ** 400", "too large"),  # Value(10) ** 400
        ("10 ** 400", "10 ** 400"),
    ],
)
def test_results_that_are_not_finite_numbers_are_errors(expression, message, capsys):
    assert main(["draw", expression, "x=10"] if "x" in expression else ["draw", expression]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_output_into_a_missing_folder_is_an_error(tmp_path, capsys):
    assert main(["draw", "x", "x=1", "-o", str(tmp_path / "no" / "g.svg")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_steps_are_capped_with_a_message(tmp_path, capsys):
    # 400 terms once wrote 149 MB of DOT; 1000 hung
    assert main(["draw", many("x", 400), "x=1", "--steps", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert "400 backward steps is more than 200" in err and err.count("\n") == 1
    assert not (tmp_path / "s").exists()


def test_a_graphviz_timeout_is_one_line_that_suggests_the_network_view(
    tmp_path, capsys, monkeypatch
):
    import gradtrace.viz.dot as dot

    if shutil.which("dot") is None:
        pytest.skip("no Graphviz dot")
    monkeypatch.setattr(dot, "TIMEOUT", 1e-4)
    assert main(["draw", "(x + y) * z", "x=1", "y=2", "z=3", "-o", str(tmp_path / "g.svg")]) == 1
    err = capsys.readouterr().err
    assert "was stopped" in err and "--network" in err and err.count("\n") == 1
    assert not (tmp_path / "g.svg").exists()


@needs_dot
def test_network_flag_draws_the_network_view(tmp_path, capsys):
    out = tmp_path / "n.svg"
    assert main(["draw", many("x", 50, "*"), "x=1", "--network", "-o", str(out)]) == 0
    assert "network view" in out.read_text()
