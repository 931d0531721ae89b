"""One gate record for both engines: every node keeps the gate object itself and its settings
exactly; `op` is read off the record; one registry lists every gate, and every built-in gate
has its formula and a gradient-check case (check_gates passes on it)."""

from __future__ import annotations

import gradtrace
import numpy as np
import pytest
from gradtrace import Tensor, Value, check_gates
from gradtrace.custom_gates import rerun
from gradtrace.gates import Gate, find, registry, show
from gradtrace.nn import functional as F
from test_check_gates import TENSOR_EXAMPLES, VALUE_EXAMPLES, build, value_leaves


def _bce_values():
    p, t = Value(0.3, "p"), Value(0.8, "t")
    return F.binary_cross_entropy([p], [t], reduction="none")[0]


def _bce_tensor():
    p = Tensor(np.array([0.3, 0.6]), requires_grad=True)
    return F.binary_cross_entropy(p, np.array([1.0, 0.0]), reduction="none")


def _cases() -> dict[Gate, list]:
    """Every gradient-check case, by the gate whose node it ends in."""
    cases: dict[Gate, list] = {}
    for make in VALUE_EXAMPLES.values():
        out = make(*value_leaves())
        cases.setdefault(out.gate, []).append(out)
    for name in TENSOR_EXAMPLES:
        out = build(name)
        cases.setdefault(out.gate, []).append(out)
    for out in (_bce_values(), _bce_tensor()):
        cases.setdefault(out.gate, []).append(out)
    return cases


BUILTIN = [g for g in registry() if g.builtin]


@pytest.mark.parametrize("gate", BUILTIN, ids=lambda g: f"{g.engine}:{g.word}:{g.name}")
def test_every_built_in_gate_has_its_formula_and_a_passing_gradient_check(gate):
    assert gate.formula.strip(), f"{gate!r} has no formula"
    outs = _cases().get(gate)
    assert outs, f"{gate!r} has no gradient-check case (tests/test_check_gates.py examples)"
    for out in outs:
        report = check_gates(out)
        assert list(report) == [] and report.checked, str(report)


def test_the_lecture_formulas_are_kept_as_written():
    assert find("Value", "*").formula == "d/da = b, d/db = a"
    assert find("Tensor", "@").formula == "dA = dC · Bᵀ, dB = Aᵀ · dC"
    assert find("Value", "sigmoid").formula == "σ(z)(1 − σ(z))"
    assert find("Tensor", "sigmoid").formula == "σ(z)(1 − σ(z))"
    with pytest.raises(KeyError, match="no built-in Value gate is named 'matmul'"):
        find("Value", "matmul")


def test_every_node_keeps_the_gate_object_and_op_is_read_off_it():
    x = Value(2.0, "x")
    y = x * 1.5
    assert y.gate is find("Value", "*") and y.settings == 1.5 and y.op == "*1.5"
    assert y.gate.constant(y) == 1.5 and (x * x).gate.constant(x * x) is None
    assert (x.max(0.25)).op == "max 0.25" and (x**3).op == "**3" and (-x).op == "*-1"
    t = Tensor(np.ones(3), requires_grad=True)
    assert (t**2).gate is find("Tensor", "pow") and (t**2).op == "**2"
    assert (t**2).settings == {"n": 2} and (t**2).gate.constant(t**2) == 2
    assert (t @ t).gate.word == "matmul" and (t @ t).op == "@"
    assert x.gate is None and x.op == "" and t.gate is None and t.op == ""
    with gradtrace.no_grad():
        assert (x * 1.5).gate is None and (x * 1.5).op == ""


def test_a_folded_constant_is_kept_exactly_and_reruns_exactly():
    """Before the record, the constant was read back from the op text at 6 digits."""
    x = Value(2.0)
    y = x * 1.23456789
    assert y.settings == 1.23456789
    assert rerun(y, [2.0]) == y.data == 2.0 * 1.23456789
    z = x / 3.14159265358979
    assert rerun(z, [2.0]) == z.data


def test_check_gates_is_exact_next_to_a_folded_constant():
    """x.max(0.12345678) at x = 0.12345679 is right (gradient 1): never reported as wrong
    (the op text "max 0.123457" made the re-run gate return 0.123457 > x: numeric 0)."""
    x = Value(0.12345679)
    report = check_gates(x.max(0.12345678))
    assert list(report) == [], str(report)
    y = Value(3.0) * 1.23456789
    assert list(check_gates(y)) == [] and check_gates(y).checked == 1


def test_a_learners_gate_is_in_the_registry_with_an_optional_formula():
    @gradtrace.gate("cube", formula="d/dx = 3x²")
    def cube(x):
        return x**3, (3 * x**2,)

    @gradtrace.gate("plain")
    def plain(x):
        return x, (1.0,)

    assert cube in registry() and plain in registry()
    assert not cube.builtin and cube.formula == "d/dx = 3x²" and plain.formula == ""
    out = cube(Value(2.0))
    assert out.gate is cube and out.op == "cube" and rerun(out, [3.0]) == 27.0


def test_show_puts_a_gates_forward_backward_and_formula_side_by_side():
    text = show(Value(2.0) * Value(3.0))
    assert "d/da = b, d/db = a" in text and "def __mul__" in text and "local" not in text[:20]
    text = show(find("Tensor", "@"))
    assert "dA = dC · Bᵀ" in text and "def matmul" in text and "def _matmul_vjp" in text


def test_find_reaches_every_built_in_gate_by_its_key():
    """Two Value gates are drawn "+": the two-input add and the n-ary sum (vsum)."""
    for gate in BUILTIN:
        assert find(gate.engine, gate.key) is gate, gate
    assert find("Value", "+").key == "add" and find("Value", "sum").key == "sum"
    assert gradtrace.vsum([Value(1.0), Value(2.0), Value(3.0)]).gate is find("Value", "sum")
