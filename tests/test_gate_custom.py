"""`gradtrace.gate` (issue 13, part 1): a learner's own gate, Value and Tensor, recorded like a
built-in one; its mistakes are errors naming the gate."""

import math

import numpy as np
import pytest
from gradtrace import Tensor, Value, gate, gradcheck, no_grad
from hypothesis import given, settings
from hypothesis import strategies as st


@gate("softplus")
def softplus(x):
    """softplus(x) = ln(1 + e**x); d/dx = sigmoid(x)."""
    return math.log1p(math.exp(x)), (1 / (1 + math.exp(-x)),)


@gate("hypot")
def hypot(a, b):
    """sqrt(a**2 + b**2); d/da = a / f, d/db = b / f."""
    f = math.hypot(a, b)
    return f, (a / f, b / f)


def _softplus_vjp(g, out, x):
    return (g / (1 + np.exp(-x)),)


@gate("softplus", vjp=_softplus_vjp)
def softplus_t(x):
    return np.logaddexp(0, x)


def _scaled_vjp(g, out, x, w):
    return g * w, g * x  # w broadcasts over x's rows: the engine sums it back


@gate("scaled", vjp=_scaled_vjp)
def scaled(x, w):
    return x * w


# ---------------------------------------------------------------------- Value gates
def test_a_value_gate_is_one_node_named_by_the_gate_with_its_local_gradients():
    x = Value(0.5, "x")
    y = softplus(x)
    assert y.op == "softplus" and y.parents == (x,)
    assert y.data == pytest.approx(math.log1p(math.exp(0.5)))
    assert y.local_grads == pytest.approx((1 / (1 + math.exp(-0.5)),))  # sigmoid(0.5) (hand)


def test_a_value_gate_backpropagates_like_a_built_in_one():
    x = Value(0.5)
    y = softplus(x) * 3.0
    y.backward()
    assert x.grad == pytest.approx(3.0 / (1 + math.exp(-0.5)))  # 3 sigmoid(x) (hand)


@settings(max_examples=30, deadline=None)
@given(a=st.floats(-3, 3), b=st.floats(0.5, 3))
def test_a_two_input_value_gate_matches_finite_differences(a, b):
    assert gradcheck(lambda p, q: hypot(p * 2.0, q) + softplus(p), a, b)


def test_numbers_mixed_with_values_are_folded_in():
    x = Value(3.0)
    y = hypot(x, 4.0)
    assert y.data == 5.0 and y.parents == (x,) and y.local_grads == (0.6,)  # 3/5 (hand)
    assert isinstance(hypot(3.0, 4.0), Value) and hypot(3.0, 4.0).parents == ()


def test_the_same_value_twice_gets_both_gradients():
    x = Value(3.0)
    hypot(x, x).backward()  # sqrt(2) |x|: d/dx = sqrt(2) (hand)
    assert x.grad == pytest.approx(math.sqrt(2))


def test_a_value_gate_records_nothing_under_no_grad():
    with no_grad():
        y = softplus(Value(1.0))
    assert y.parents == () and y.op == ""


def test_a_value_gate_matches_torch(torch):
    x, t = Value(-1.3), torch.tensor(-1.3, requires_grad=True)
    (softplus(x) * x).backward()
    (torch.nn.functional.softplus(t) * t).backward()
    assert x.grad == pytest.approx(t.grad.item(), rel=1e-12)


def test_the_wrong_number_of_local_gradients_names_the_gate():
    @gate("twice")
    def twice(x):
        return 2 * x, (2.0, 0.0)

    with pytest.raises(ValueError, match="twice gate: 2 local gradients for 1 input"):
        twice(Value(1.0))


def test_a_non_finite_local_gradient_names_the_gate_and_the_input():
    @gate("sqrt")
    def sqrt(x):
        return math.sqrt(x), (0.5 / math.sqrt(x) if x else math.inf,)

    with pytest.raises(ValueError, match=r"sqrt gate: local gradient 0 .* is inf"):
        sqrt(Value(0.0))


def test_a_function_that_returns_no_local_gradients_names_the_gate():
    @gate("bare")
    def bare(x):
        return x * 2

    with pytest.raises(TypeError, match=r"bare gate: the function must return \(value, local"):
        bare(Value(1.0))


def test_a_value_gate_refuses_a_tensor_and_says_what_to_do():
    with pytest.raises(TypeError, match=r"softplus gate: input 0 .* Tensor \(a Tensor gate"):
        softplus(Tensor([1.0]))


# ---------------------------------------------------------------------- Tensor gates
def test_a_tensor_gate_is_one_node_and_matches_finite_differences():
    x = Tensor(np.linspace(-2, 2, 5), requires_grad=True)
    y = softplus_t(x)
    assert y.op == "softplus" and y.parents == (x,)
    assert gradcheck(lambda t: softplus_t(t) * np.arange(5.0), Tensor(np.linspace(-2, 2, 5)))


def test_a_tensor_gate_has_broadcasting_undone_by_the_engine():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(3, 4)), rng.normal(size=(4,))
    assert gradcheck(
        lambda a, b: scaled(a, b) * np.arange(12.0).reshape(3, 4), Tensor(x), Tensor(w)
    )
    tx, tw = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    scaled(tx, tw).sum().backward()
    np.testing.assert_allclose(tw.grad, x.sum(axis=0))  # d sum(x w) / dw = column sums (hand)


def test_a_tensor_gate_takes_numbers_and_arrays_as_constants():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = scaled(x, 3.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert y.parents[1].requires_grad is False


def test_a_tensor_gate_matches_torch(torch):
    x = np.linspace(-3, 3, 7)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (softplus_t(ours) * ours).sum().backward()
    (torch.nn.functional.softplus(theirs) * theirs).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)


def test_a_vjp_with_the_wrong_number_of_gradients_names_the_gate():
    @gate("lonely", vjp=lambda g, out, a, b: (g,))
    def lonely(a, b):
        return a + b

    y = lonely(Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True))
    with pytest.raises(ValueError, match=r"lonely gate: its vjp must return one gradient per"):
        y.sum().backward()


def test_a_vjp_of_the_wrong_shape_names_the_gate_and_the_shapes():
    @gate("squash", vjp=lambda g, out, x: (g.sum(axis=0, keepdims=True)[:, :2],))
    def squash(x):
        return x * 1.0

    y = squash(Tensor(np.ones((2, 3)), requires_grad=True))
    with pytest.raises(ValueError, match=r"squash gate: the gradient of input 0 has shape"):
        y.sum().backward()


def test_an_input_that_needs_no_gradient_may_get_none():
    @gate("shift", vjp=lambda g, out, x, s: (g, None))
    def shift(x, s):
        return x + s

    x, s = Tensor([1.0, 2.0], requires_grad=True), Tensor([5.0, 5.0], requires_grad=True)
    shift(x, s).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    assert s.grad is None


def test_the_gate_records_what_a_checker_needs_to_rerun_it():
    # the forward and the recorded inputs: re-running the gate gives the node's value
    from gradtrace.custom_gates import rerun

    v = softplus(Value(0.5))
    assert rerun(v, [0.5]) == v.data
    t = softplus_t(Tensor([0.0, 1.0], requires_grad=True))
    np.testing.assert_array_equal(rerun(t, [np.array([0.0, 1.0])]), t.data)


def test_gate_needs_a_name():
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        gate("")
