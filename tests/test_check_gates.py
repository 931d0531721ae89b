"""check_gates: it finds a wrong derivative planted in any gate, at that gate, and raises no
false alarm on correct gates (random graphs), nor at kinks (relu at 0, max on a tie)."""

from __future__ import annotations

import functools
import math

import gradtrace
import numpy as np
import pytest
from gradtrace import (
    Tensor,
    Value,
    avg_pool2d,
    check_gates,
    concatenate,
    conv2d,
    cross_entropy,
    linear,
    max_pool2d,
    stack,
    vsum,
)
from gradtrace import value as value_module
from gradtrace.check_gates import KINK, NOT_FINITE
from gradtrace.tensor import GATES, TensorGate
from gradtrace.viz import check_report
from test_fuzz_tensor import Program as TensorProgram
from test_fuzz_value import Program as ValueProgram

R = np.random.default_rng(0)


def arr(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, shape)


def away_from_zero(*shape):
    return R.uniform(0.3, 2.0, shape) * R.choice([-1.0, 1.0], shape)


def distinct(*shape):
    """Elements 0.1 apart: a unique arg-max that stays put under a nudge."""
    return R.permutation(int(np.prod(shape))).reshape(shape) / 10.0


# One example per built-in Tensor gate: a function of Tensors whose last gate is that gate, and
# inputs where every input's gradient is non-zero (so a scaled VJP changes something).
TENSOR_EXAMPLES = {
    "+": (lambda a, b: a + b, [arr(2, 3), arr(3)]),
    "-": (lambda a, b: a - b, [arr(2, 3), arr(2, 1)]),
    "*": (lambda a, b: a * b, [arr(2, 3), arr(3)]),
    "/": (lambda a, b: a / b, [arr(2, 3), away_from_zero(3)]),
    "**": (lambda a, b: a**b, [arr(2, 3, lo=0.5), arr(2, 3)]),
    "@": (lambda a, b: a @ b, [arr(2, 3), arr(3, 4)]),
    "neg": (lambda x: -x, [arr(4)]),
    "pow": (lambda x: x**3, [arr(2, 2)]),
    "exp": (lambda x: x.exp(), [arr(3)]),
    "log": (lambda x: x.log(), [arr(3, lo=0.2, hi=3.0)]),
    "tanh": (lambda x: x.tanh(), [arr(2, 3)]),
    "sigmoid": (lambda x: x.sigmoid(), [arr(2, 3)]),
    "relu": (lambda x: x.relu(), [away_from_zero(2, 3)]),
    "sum": (lambda x: x.sum(axis=1), [arr(2, 3)]),
    "mean": (lambda x: x.mean(axis=0, keepdims=True), [arr(2, 3)]),
    "max": (lambda x: x.max(axis=1), [distinct(2, 3)]),
    "softmax": (lambda x: x.softmax(axis=-1), [arr(2, 3)]),
    "log_softmax": (lambda x: x.log_softmax(axis=0), [arr(2, 3)]),
    "cross_entropy": (lambda x: cross_entropy(x, np.array([2, 0])), [arr(2, 3)]),
    "linear": (lambda x, w, b: linear(x, w, b), [arr(4, 3), arr(2, 3), arr(2)]),
    "reshape": (lambda x: x.reshape(3, 2), [arr(2, 3)]),
    "transpose": (lambda x: x.T, [arr(2, 3)]),
    "index": (lambda x: x[np.array([0, 2, 2])], [arr(3, 2)]),
    "concatenate": (lambda a, b: concatenate([a, b], axis=1), [arr(2, 1), arr(2, 3)]),
    "stack": (lambda a, b: stack([a, b], axis=1), [arr(2, 3), arr(2, 3)]),
    "conv2d": (
        lambda x, w, b: conv2d(x, w, b, padding=1),
        [arr(2, 2, 4, 4), arr(3, 2, 3, 3), arr(3)],
    ),
    "max_pool2d": (lambda x: max_pool2d(x, 2), [distinct(1, 2, 4, 4)]),
    "avg_pool2d": (lambda x: avg_pool2d(x, 2, stride=1), [arr(1, 2, 3, 3)]),
}
TENSOR_CASES = [(name, k) for name, (_, xs) in TENSOR_EXAMPLES.items() for k in range(len(xs))]


def build(name):
    fn, arrays = TENSOR_EXAMPLES[name]
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    return fn(*leaves)


def test_every_built_in_tensor_gate_has_an_example():
    assert set(TENSOR_EXAMPLES) == set(GATES)


@pytest.mark.parametrize("name", sorted(TENSOR_EXAMPLES))
def test_a_correct_tensor_gate_passes(name):
    report = check_gates(build(name))
    assert list(report) == [], str(report)
    assert report.checked == len(TENSOR_EXAMPLES[name][1]) and not report.skipped


@pytest.mark.parametrize(("name", "k"), TENSOR_CASES)
def test_a_wrong_vjp_in_any_tensor_gate_is_found_at_that_gate(monkeypatch, name, k):
    gate = GATES[name]
    right = gate.vjp

    @functools.wraps(right)
    def wrong(*args, **kwargs):  # input k's gradient 1.5x too large
        grads = list(right(*args, **kwargs))
        grads[k] = grads[k] * 1.5
        return tuple(grads)

    monkeypatch.setattr(gate, "vjp", wrong)
    out = build(name)
    assert out.gate is gate
    report = check_gates(out)
    assert [(f.node, f.input) for f in report] == [(out, k)], str(report)
    f = report[0]
    assert f.op == out.op and f.parent is out.parents[k]
    assert f.analytic == pytest.approx(1.5 * f.numeric, rel=1e-3)


# One example per built-in Value gate (every op family `value.py` makes), with inputs of its
# domain, away from kinks, where every local gradient is non-zero.
VALUE_EXAMPLES = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "max (first larger)": lambda a, b: b.max(a),
    "max (second larger)": lambda a, b: a.max(b),
    "add a number": lambda a, b: a + 2.5,
    "subtract a number": lambda a, b: a - 2.5,
    "times a number": lambda a, b: a * 2.5,
    "divide by a number": lambda a, b: a / 2.5,
    "max with a number": lambda a, b: a.max(-0.5),
    "square": lambda a, b: a**2,
    "power": lambda a, b: a**3.5,
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(),
    "reciprocal": lambda a, b: a.reciprocal(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "relu": lambda a, b: a.relu(),
    "vsum": lambda a, b: vsum([a, b, 2.0, a]),
    "linear": lambda a, b: linear([a, 2.0, b], [b, a, Value(-1.5)], Value(0.25)),
}


def value_leaves():
    return Value(0.7, label="a"), Value(0.3, label="b")


def value_arity(name):
    return len(VALUE_EXAMPLES[name](*value_leaves()).parents)


VALUE_CASES = [(name, k) for name in VALUE_EXAMPLES for k in range(value_arity(name))]


def test_the_value_examples_cover_every_op_family():
    ops = {VALUE_EXAMPLES[name](*value_leaves()).op for name in VALUE_EXAMPLES}
    assert ops == {
        "+",
        "*",
        "max",
        "+2.5",
        "-2.5",
        "*2.5",
        "/2.5",
        "max -0.5",
        "**2",
        "**3.5",
        "exp",
        "log",
        "1/x",
        "tanh",
        "sigmoid",
        "relu",
        "linear",
    }


@pytest.mark.parametrize("name", VALUE_EXAMPLES)
def test_a_correct_value_gate_passes(name):
    out = VALUE_EXAMPLES[name](*value_leaves())
    report = check_gates(out)
    assert list(report) == [] and not report.skipped, str(report)
    assert report.checked == len(out.parents)


@pytest.mark.parametrize(("name", "k"), VALUE_CASES)
def test_a_wrong_local_gradient_in_any_value_gate_is_found_at_that_gate(monkeypatch, name, k):
    right = value_module.new_node
    made = []

    def wrong(data, gate, parents, local_grads, *settings):  # local gradient k is 0.5 too large
        local = list(local_grads)
        if len(local) > k:
            local[k] += 0.5
        made.append(right(data, gate, parents, tuple(local), *settings))
        return made[-1]

    with monkeypatch.context() as m:
        m.setattr(value_module, "new_node", wrong)
        out = VALUE_EXAMPLES[name](*value_leaves())
    assert out is made[-1]
    report = check_gates(out)
    assert (out, k) in [(f.node, f.input) for f in report], str(report)
    f = next(f for f in report if f.node is out)
    assert f.analytic == pytest.approx(f.numeric + 0.5, abs=1e-6)


# ---------------------------------------------------------------------- no false alarms
def test_no_false_alarm_on_random_value_graphs():
    """The differential fuzz's random Value graphs (every gate, shared nodes, numbers on
    both sides, some NaN and infinite leaves): each correct gate agrees, or is skipped (a kink
    the fuzz allows, relu at an exact 0; a NaN or inf input), never reported."""
    checked = 0
    for seed in range(150):
        program = ValueProgram(seed)
        report = check_gates(program.nodes[-1])
        assert list(report) == [], f"{program}\n{report}"
        for f in report.skipped:  # only a kink the fuzz allows, or NaN / inf it feeds in
            assert f.reason == NOT_FINITE or f.reason == KINK and f.op.startswith(("relu", "max"))
        checked += report.checked
    assert checked > 1000


def test_no_false_alarm_on_random_tensor_graphs():
    """The same for the Tensor fuzz's graphs (broadcasting, reductions, indexing, matmul,
    float32 and float64)."""
    checked = 0
    for seed in range(60):
        program = TensorProgram(seed)
        root = program.nodes[-1]
        if not root.requires_grad:
            continue
        report = check_gates(root)
        assert list(report) == [], f"{program}\n{report}"
        checked += report.checked
    assert checked > 100


# ---------------------------------------------------------------------- kinks
def test_relu_at_zero_and_a_max_tie_are_kinks_not_errors():
    x, y = Value(0.0, label="x"), Value(1.5, label="y")
    out = x.relu() + y.max(y * 1.0) + abs_gate_free_kink(y)
    report = check_gates(out)
    assert list(report) == []
    kinks = {(f.op, f.input) for f in report.skipped}
    assert ("relu", 0) in kinks and ("max", 0) in kinks and ("max", 1) in kinks
    assert "kink" in str(report) and "skipped" in str(report)


def abs_gate_free_kink(y):
    """max(y - 1.5, 0): a kink at the recorded point, through a folded number."""
    return (y - 1.5).max(0.0)


def test_tensor_relu_and_max_pool_ties_are_kinks_not_errors():
    x = Tensor(np.array([[0.0, 1.0, -2.0], [3.0, 0.0, -0.5]]), requires_grad=True)
    tied = max_pool2d(x.relu().reshape(1, 1, 2, 3), (2, 1))  # a window of two zeros
    report = check_gates(tied.sum())
    assert list(report) == []
    assert {f.op for f in report.skipped} == {"relu", "max_pool2d"}


def test_log_near_zero_is_checked_with_a_smaller_step():
    x = Value(1e-7)
    report = check_gates(x.log() * 1.0)
    assert list(report) == [] and not report.skipped and report.checked == 2


# ---------------------------------------------------------------------- the report
def test_a_wrong_gate_deep_inside_a_graph_is_named_and_gradcheck_only_sees_the_input():
    wrong_tanh = TensorGate("tanh", GATES["tanh"].forward, lambda g, out, x: (g * (1 - out),))

    def f(x):
        h = wrong_tanh(x * 2.0)
        return (h * h).sum() + x.sum()

    x = Tensor(arr(3), requires_grad=True, label="x")
    out = f(x)
    report = check_gates(out)
    assert [(f.op, f.input) for f in report] == [("tanh", 0)]
    assert report[0].parent.op == "*" and report[0].rel_error > 0.01
    with pytest.raises(gradtrace.GradcheckError, match="gradient of input 0"):
        gradtrace.gradcheck(f, x)
    text = str(report)
    assert "1 disagrees" in text and "tanh" in text and "analytic" in text
    page = check_report.to_html(report)  # the HTML table is drawn in viz, not the engine
    assert "<table>" in page and "tanh" in page
    assert "tanh" in report._repr_markdown_() and "<table>" not in report._repr_markdown_()


def test_a_vjp_of_the_wrong_shape_is_a_finding_that_says_so():
    bad = TensorGate("widen", lambda x: x * 2, lambda g, out, x: (np.ones(5),))
    x = Tensor(arr(3), requires_grad=True)
    report = check_gates(bad(x))
    assert len(report) == 1 and "shape" in report[0].reason
    assert "shape" in str(report)


def test_anomaly_mode_records_where_a_wrong_tensor_gate_was_made():
    wrong_exp = TensorGate("exp", GATES["exp"].forward, lambda g, out, x: (g,))
    with gradtrace.detect_anomaly():
        out = wrong_exp(Tensor(arr(2), requires_grad=True))  # this line
    site = check_gates(out)[0].site
    assert site is not None and site.startswith(__file__) and "test_anomaly_mode" in site


def test_an_empty_report_is_falsy_and_says_every_gate_agrees():
    x = Value(2.0)
    report = check_gates((x * x).exp())
    assert not report and len(report) == 0 and report.gates == 2
    assert "every gate agrees" in str(report)


def test_bad_settings_are_errors():
    with pytest.raises(ValueError, match="eps"):
        check_gates(Value(1.0) * 2.0, eps=0)
    with pytest.raises(ValueError, match="probes"):
        check_gates(Value(1.0) * 2.0, probes=0)


# ---------------------------------------------------------------------- the picture
def test_draw_marks_the_wrong_gate_and_its_wire_with_both_numbers():
    from gradtrace.viz import draw
    from gradtrace.viz.style import WARN

    wrong_exp = TensorGate("exp", GATES["exp"].forward, lambda g, out, x: (2 * g * out,))
    x = Tensor(np.array(0.5), requires_grad=True, label="x")
    out = wrong_exp(x * 3.0) + x
    out.backward()
    report = check_gates(out)
    source = draw(out, check=report).source
    analytic, numeric = report[0].analytic, report[0].numeric
    assert source.count(WARN) == 3  # the gate's outline, its input wire's edge and its text
    assert f"backward {analytic:.4g} ≠ numeric {numeric:.4g}" in source
    assert "1 of 4 gate inputs disagrees with finite differences: the exp gate" in source
    assert numeric == pytest.approx(np.exp(1.5)) and analytic == pytest.approx(2 * np.exp(1.5))
    assert draw(out, check=True).source == source
    assert WARN not in draw(out).source and WARN not in draw(out, check=False).source


# ---------------------------------------------------------------------- a learner's own gate
def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def softplus_gate(derivative):
    @gradtrace.gate("softplus")
    def softplus(x):
        return max(x, 0.0) + math.log1p(math.exp(-abs(x))), (derivative(x),)

    return softplus


def test_a_learners_softplus_with_a_wrong_derivative_is_found_drawn_red_and_fixed():
    from gradtrace.viz import draw
    from gradtrace.viz.style import WARN

    wrong = softplus_gate(lambda x: sigmoid(-x))  # the slip: d/dx ln(1 + e**-x)

    def f(x, w, b, gate=wrong):
        return (gate(w * x + b) - 1.0) ** 2

    # the whole-graph check only names an input of f
    with pytest.raises(gradtrace.GradcheckError, match=r"gradient of input \d \(value"):
        gradtrace.gradcheck(f, 2.0, -0.5, 0.5)
    x, w, b = Value(2.0, "x"), Value(-0.5, "w"), Value(0.5, "b")
    loss = f(x, w, b)
    loss.backward()
    report = check_gates(loss)
    assert [(f.op, f.input) for f in report] == [("softplus", 0)]
    # at z = -0.5, by hand: backward used sigmoid(0.5), the slope is sigmoid(-0.5)
    assert report[0].analytic == pytest.approx(sigmoid(0.5), rel=1e-12)
    assert report[0].numeric == pytest.approx(sigmoid(-0.5), rel=1e-6)
    source = draw(loss, check=report).source
    assert WARN in source and "backward 0.6225 ≠ numeric 0.3775" in source
    right = softplus_gate(sigmoid)
    assert gradtrace.gradcheck(lambda x, w, b: f(x, w, b, right), 2.0, -0.5, 0.5)
    assert len(check_gates(f(x, w, b, right))) == 0


def test_a_learners_gate_with_a_number_mixed_in_is_checked_per_value_input():
    @gradtrace.gate("scaled_power")
    def scaled_power(x, n, c):  # c * x**n; called with c a plain number, folded in
        return c * x**n, (c * n * x ** (n - 1), c * x**n * math.log(x), x**n)

    x, n = Value(1.5, "x"), Value(2.0, "n")
    out = scaled_power(x, n, 3.0)
    assert out.parents == (x, n)
    assert len(check_gates(out)) == 0

    @gradtrace.gate("scaled_power")
    def wrong_in_n(x, n, c):
        return c * x**n, (c * n * x ** (n - 1), c * x**n, x**n)  # forgot the log

    report = check_gates(wrong_in_n(x, n, 3.0))
    assert [(f.input, f.parent) for f in report] == [(1, n)]


def test_a_learners_tensor_gate_with_a_wrong_vjp_is_found():
    @gradtrace.gate("softplus", vjp=lambda g, out, x: (g / (1 + np.exp(x)),))
    def softplus(x):
        return np.logaddexp(0, x)

    X = Tensor(arr(4, 3), requires_grad=True)
    W = Tensor(arr(2, 3), requires_grad=True)
    report = check_gates(softplus(linear(X, W)).sum())
    assert [(f.op, f.input) for f in report] == [("softplus", 0)]
