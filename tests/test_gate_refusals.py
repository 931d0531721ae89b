"""gate() refuses a Tensor VJP it cannot trust, naming the gate, the input and the shapes: an
extra leading axis (summed away silently before: gradient 6 for 2), NaN at finite inputs, a
complex or a string result. The input's shape, or the output's for a broadcast input, is fine."""

import numpy as np
import pytest
from gradtrace import Tensor, check_gates, gate

TWICE = lambda x: x * 2  # noqa: E731 - the forward all these gates share

GRADIENT = "bad gate: the gradient of input 0"
CASES = [
    (
        lambda g, o, x: (np.stack([2 * g] * 3),),
        ValueError,
        GRADIENT + r" has shape \(3, 3\) \(from its vjp\), but the input has shape \(3,\) "
        r"and the output \(3,\)",
    ),
    (lambda g, o, x: (g * np.nan,), ValueError, GRADIENT + " holds NaN at finite inputs"),
    (lambda g, o, x: (g * (2 + 0j),), TypeError, GRADIENT + r" is complex \(complex128"),
    (lambda g, o, x: ("two",), TypeError, GRADIENT + " is not numbers: got str 'two'"),
    (
        lambda g, o, x: ([[1, 2], [3, 4]],),
        ValueError,
        r"\(2, 2\) \(from its vjp\), but the input has shape \(3,\)",
    ),
]


@pytest.mark.parametrize("vjp, error, message", CASES)
def test_an_untrustworthy_vjp_is_refused_naming_gate_input_and_shapes(vjp, error, message):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = gate("bad", vjp=vjp)(TWICE)(x).sum()
    with pytest.raises(error, match=message):
        out.backward()
    assert x.grad is None  # nothing half-done


@pytest.mark.parametrize("vjp, error, message", CASES)
def test_check_gates_reports_an_untrustworthy_vjp_at_its_gate(vjp, error, message):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = gate("bad", vjp=vjp)(TWICE)(x)
    report = check_gates(out.sum())
    assert [f.op for f in report] == ["bad"]
    assert "bad gate: the gradient of input 0 " in report[0].reason


def test_nan_at_a_nan_input_is_a_gradient_not_an_error():
    x = Tensor([1.0, np.nan], requires_grad=True)
    gate("half", vjp=lambda g, o, x: (g * x / x,))(TWICE)(x).sum().backward()
    assert np.isnan(x.grad[1]) and x.grad[0] == 1.0


def test_the_inputs_shape_or_the_broadcast_output_shape_is_accepted():
    add = gate("add", vjp=lambda g, out, a, b: (g, g))(lambda a, b: a + b)
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    add(a, b).sum().backward()  # b's gradient comes back as (2, 3): broadcasting undone
    np.testing.assert_array_equal(b.grad, [2.0, 2.0, 2.0])
    twice = gate("twice", vjp=lambda g, o, x: (2 * g,))(TWICE)
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    twice(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])
    assert len(check_gates(twice(x).sum())) == 0
