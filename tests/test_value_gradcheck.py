"""Every scalar gate against central finite differences, on hypothesis-chosen inputs."""

import math

import pytest
from gradtrace import GradcheckError, Value, gradcheck, linear
from hypothesis import given, settings
from hypothesis import strategies as st

anywhere = st.floats(-5, 5)
positive = st.floats(0.05, 5)
away_from_zero = st.one_of(st.floats(-5, -0.05), st.floats(0.05, 5))

# One row per gate: (name, function of Values, strategy for each input). A new gate without
# a row here is not gradient-checked: test_every_gate_is_in_the_table keeps this honest.
UNARY = [
    ("exp", lambda x: x.exp(), anywhere),
    ("log", lambda x: x.log(), positive),
    ("reciprocal", lambda x: x.reciprocal(), away_from_zero),
    ("tanh", lambda x: x.tanh(), anywhere),
    ("sigmoid", lambda x: x.sigmoid(), anywhere),
    ("relu", lambda x: x.relu(), away_from_zero),
    ("pow2", lambda x: x**2, anywhere),
    ("pow3", lambda x: x**3, anywhere),
    ("pow-1.5", lambda x: x**-1.5, positive),
    ("pow0.5", lambda x: x**0.5, positive),
    ("neg", lambda x: -x, anywhere),
    ("add_const", lambda x: x + 2.5, anywhere),
    ("mul_const", lambda x: x * -1.5, anywhere),
    ("sub_const", lambda x: 3 - x, anywhere),
    ("div_const", lambda x: x / 3, anywhere),
    ("rdiv_const", lambda x: 3 / x, away_from_zero),
    ("max_const", lambda x: x.max(0.5), st.floats(-5, 5).filter(lambda v: abs(v - 0.5) > 0.01)),
]
BINARY = [
    ("add", lambda a, b: a + b),
    ("mul", lambda a, b: a * b),
    ("sub", lambda a, b: a - b),
    ("max", lambda a, b: a.max(b)),
]


@pytest.mark.parametrize(("name", "fn", "domain"), UNARY, ids=[row[0] for row in UNARY])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_unary_gate_matches_finite_differences(name, fn, domain, data):
    x = data.draw(domain)
    assert gradcheck(fn, x)


@pytest.mark.parametrize(("name", "fn"), BINARY, ids=[row[0] for row in BINARY])
@settings(max_examples=60, deadline=None)
@given(a=anywhere, b=anywhere)
def test_binary_gate_matches_finite_differences(name, fn, a, b):
    if name == "max" and abs(a - b) < 0.01:
        return  # max is not differentiable at a tie
    assert gradcheck(fn, a, b)


@settings(max_examples=60, deadline=None)
@given(a=anywhere, b=away_from_zero)
def test_division_matches_finite_differences(a, b):
    assert gradcheck(lambda x, y: x / y, a, b)


def test_every_gate_is_in_the_table():
    gates = {"exp", "log", "reciprocal", "tanh", "sigmoid", "relu", "max"}
    methods = {name for name in dir(Value) if not name.startswith("_")}
    public_gates = methods - {
        "backward",
        "zero_grad",
        "data",
        "grad",
        "op",
        "parents",
        "local_grads",
        "label",
        "gate",
        "settings",
    }
    assert public_gates <= gates, f"new gate without a gradient check: {public_gates - gates}"
    tested = {row[0] for row in UNARY} | {row[0] for row in BINARY}
    assert gates <= tested


def test_gradcheck_reports_a_wrong_gradient():
    def wrong_square(x):
        out = x * x
        out.local_grads = (x.data, 0.0)  # half the true gradient 2x
        return out

    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(wrong_square, 3.0)


def test_gradcheck_accepts_values_and_rejects_strings():
    assert gradcheck(lambda x, y: (x * y).tanh(), Value(0.3), 2)
    with pytest.raises(TypeError, match="input 1"):
        gradcheck(lambda x, y: x * y, 1.0, "two")


def test_composed_expression_matches_finite_differences():
    def f(a, b, c):
        return ((a * b).sigmoid() + (c**2).log() - a.tanh() / b).relu() * 2

    assert gradcheck(f, 0.7, -1.3, 2.1)
    assert math.isfinite(f(Value(0.7), Value(-1.3), Value(2.1)).data)


@settings(max_examples=40, deadline=None)
@given(w=st.lists(anywhere, min_size=3, max_size=3), x=st.lists(anywhere, min_size=3, max_size=3))
def test_linear_gate_matches_finite_differences(w, x):
    def f(w0, w1, w2, x0, x1, x2, b):
        return linear([x0, x1, x2], [w0, w1, w2], b)

    assert gradcheck(f, *w, *x, 0.3)


def test_gradcheck_reports_a_nan_gradient_on_a_later_input():
    # backward gives b.grad = nan (0 * inf from sqrt at 0); finite differences give 0
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda a, b: a + ((b * b) ** 0.5) * 0.0, 1.0, 0.0)
