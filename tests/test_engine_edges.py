"""The engines at the edges of their numbers and their inputs (issue 12, parts 4 and 5): zero
exponents, empty axes, NaN, overflow, and the errors for axes, shapes and gradients that are
wrong. Where torch defines the behaviour the test compares with torch in float64."""

import math

import numpy as np
import pytest
from gradtrace import Tensor, Value, vsum
from gradtrace.tensor_gates import concatenate, stack


def _torch_grads(torch, fn, *arrays, seed=None):
    """torch's value and leaf gradients of fn(*leaves) (float64), seeded with `seed` or ones."""
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    out.backward(torch.ones_like(out) if seed is None else torch.tensor(seed))
    return out.detach().numpy(), [t.grad.numpy() for t in leaves]


# ---------------------------------------------------------------------- Tensor numbers
def test_tensor_power_zero_has_gradient_zero_everywhere_as_torch(torch):
    """x ** 0 is the constant 1: gradient 0 at 0, at NaN and at infinity (torch: the same)."""
    data = np.array([0.0, 2.0, -3.0, np.nan, np.inf])
    x = Tensor(data, requires_grad=True)
    (x**0).sum().backward()
    _, (expected,) = _torch_grads(torch, lambda t: (t**0).sum(), data)
    assert np.array_equal(x.grad, expected) and not x.grad.any()


def test_tensor_exponent_zero_has_gradient_zero_at_zero_as_torch(torch):
    """a ** b with a tensor b: where b = 0, a gets gradient 0, even at a = 0 (torch's rule)."""
    a_data, b_data = np.array([0.0, 0.0, 2.0]), np.array([0.0, 2.0, 0.0])
    a, b = Tensor(a_data, requires_grad=True), Tensor(b_data, requires_grad=True)
    (a**b).sum().backward()
    _, (da, db) = _torch_grads(torch, lambda s, t: (s**t).sum(), a_data, b_data)
    assert np.array_equal(a.grad, da) and np.array_equal(b.grad, db)


@pytest.mark.parametrize("shape", [(2, 0), (3, 2, 0), (0,)])
def test_matmul_over_an_empty_inner_axis_backpropagates_zeros_as_torch(torch, shape):
    a_data, b_data = np.ones(shape), np.ones(0)
    a, b = Tensor(a_data, requires_grad=True), Tensor(b_data, requires_grad=True)
    out = a @ b
    out.backward(np.ones(out.shape))
    value, (da, db) = _torch_grads(torch, lambda s, t: s @ t, a_data, b_data)
    assert np.array_equal(out.data, value)  # zeros: the sum of no products
    assert np.array_equal(a.grad, da) and np.array_equal(b.grad, db)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, axis", [((2, 0), 1), ((0,), 0), ((0, 3), 0), ((3, 0, 2), 1)])
def test_softmax_over_an_empty_axis_is_empty_as_torch(torch, name, shape, axis):
    x = Tensor(np.ones(shape), requires_grad=True)
    out = getattr(x, name)(axis=axis)
    out.backward(np.ones(shape))
    value, (dx,) = _torch_grads(torch, lambda t: getattr(t, name)(axis), np.ones(shape))
    assert out.shape == value.shape == shape and x.grad.shape == dx.shape == shape


def test_softmax_over_a_full_axis_of_an_empty_tensor_is_empty():
    """(0, 3) along axis 1: no rows, each would have 3 entries; the usual path, empty."""
    x = Tensor(np.ones((0, 3)), requires_grad=True)
    out = x.softmax(axis=1)
    out.backward(np.ones((0, 3)))
    assert out.shape == x.grad.shape == (0, 3)


def test_max_of_an_empty_tensor_over_a_full_axis_backpropagates_as_torch(torch):
    x = Tensor(np.ones((0, 3)), requires_grad=True)
    out = x.max(axis=1)
    out.backward(np.ones(0))
    value, (dx,) = _torch_grads(torch, lambda t: t.amax(1), np.ones((0, 3)))
    assert out.shape == value.shape == (0,) and x.grad.shape == dx.shape == (0, 3)


def test_max_over_an_empty_axis_names_the_gate_and_the_shape(torch):
    """There is no largest of nothing: an error in NumPy and in torch (amax) too."""
    with pytest.raises((RuntimeError, IndexError)):
        torch.ones((2, 0)).amax(1)
    with pytest.raises(ValueError, match=r"max gate: a tensor of shape \(2, 0\).*axes \(1,\)"):
        Tensor(np.ones((2, 0))).max(axis=1)


# ---------------------------------------------------------------------- Tensor axes
@pytest.mark.parametrize("axes", [(1, 2), (0, -3), (2, 0), (0, 1, 2)])
def test_transpose_refuses_an_axis_out_of_range_as_numpy(axes):
    """On a (3, 4) tensor (1, 2) used to give a (4, 3) result and (0, -3) the input itself."""
    with pytest.raises(ValueError):  # AxisError, or "axes don't match array" for (0, 1, 2)
        np.ones((3, 4)).transpose(axes)
    bad = next(a for a in axes if not -2 <= a < 2)
    with pytest.raises(np.exceptions.AxisError, match=rf"transpose: axis {bad} .*\(3, 4\)"):
        Tensor(np.ones((3, 4))).transpose(*axes)


def test_transpose_with_negative_axes_still_permutes():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    out = x.transpose(-1, 0, -2)
    out.backward(np.arange(24.0).reshape(4, 2, 3))
    assert np.array_equal(out.data, x.data.transpose(2, 0, 1))
    assert np.array_equal(x.grad, np.arange(24.0).reshape(4, 2, 3).transpose(1, 2, 0))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_refuses_a_tuple_of_axes_as_torch(torch, name):
    """It used to use the first axis of the tuple silently; torch refuses a tuple too."""
    with pytest.raises(TypeError):
        getattr(torch.ones((3, 4)), name)((0, 1))
    with pytest.raises(TypeError, match=rf"{name}: axis must be an int, got tuple \(0, 1\)"):
        getattr(Tensor(np.ones((3, 4))), name)(axis=(0, 1))


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
def test_a_reduction_refuses_a_repeated_axis_as_numpy(name):
    with pytest.raises(ValueError, match="duplicate"):
        getattr(np.ones((3, 4)), name)(axis=(0, 0))
    with pytest.raises(ValueError, match=rf"{name}: axis \(0, -2\) names an axis twice.*\(3, 4\)"):
        getattr(Tensor(np.ones((3, 4))), name)(axis=(0, -2))


@pytest.mark.parametrize("axis", [1.0, "0", True, [[0]]])
def test_a_reduction_refuses_an_axis_that_is_not_an_int(axis):
    """A float used to fail with "'float' object is not iterable"; a bool is not an axis."""
    with pytest.raises(TypeError, match=r"sum: axis must be an int or a tuple of ints, got"):
        Tensor(np.ones((3, 4))).sum(axis=axis)


def test_a_reduction_names_the_axis_and_the_shape_when_out_of_range():
    with pytest.raises(np.exceptions.AxisError, match=r"mean: axis -3 .*shape \(3, 4\)"):
        Tensor(np.ones((3, 4))).mean(axis=(0, -3))


def test_reductions_accept_numpy_integers_and_lists_of_axes():
    x = Tensor(np.arange(12.0).reshape(3, 4))
    assert np.array_equal(x.sum(axis=np.int64(1)).data, x.data.sum(axis=1))
    assert x.sum(axis=[0, 1]).item() == 66.0


# ---------------------------------------------------------------------- Tensor errors
def test_concatenate_with_mismatched_shapes_names_every_shape():
    with pytest.raises(ValueError, match=r"concatenate: .*\(2, 3\), \(2, 3\), \(3, 4\) along axis"):
        concatenate([np.ones((2, 3)), np.ones((2, 3)), np.ones((3, 4))])
    with pytest.raises(ValueError, match=r"concatenate: .*\(2, 3\), \(3,\): .*same number of axes"):
        concatenate([np.ones((2, 3)), np.ones(3)])


def test_concatenate_refuses_an_axis_out_of_range_or_a_tuple():
    with pytest.raises(np.exceptions.AxisError, match=r"concatenate: axis 2 .*\(2, 3\)"):
        concatenate([np.ones((2, 3)), np.ones((2, 3))], axis=2)
    with pytest.raises(TypeError, match="concatenate: axis must be an int"):
        concatenate([np.ones((2, 3)), np.ones((2, 3))], axis=(0, 1))


def test_stack_with_mismatched_shapes_names_every_shape():
    with pytest.raises(ValueError, match=r"stack: .*same shape, got \(2, 3\), \(3, 4\)"):
        stack([np.ones((2, 3)), np.ones((3, 4))])
    with pytest.raises(np.exceptions.AxisError, match=r"stack: axis 3 .*\(2, 2, 3\)"):
        stack([np.ones((2, 3)), np.ones((2, 3))], axis=3)


def test_backward_refuses_a_gradient_that_is_not_numeric_and_names_it(torch):
    y = Tensor(np.ones(3), requires_grad=True) * 2
    with pytest.raises(TypeError, match=r"gradient must be numeric.*list \['a', 'b', 'c'\]"):
        y.backward(["a", "b", "c"])
    with pytest.raises(TypeError, match=r"gradient must be numeric.*complex"):
        y.backward(np.ones(3) * 1j)


def test_backward_without_a_gradient_on_many_elements_gives_a_hint():
    """As torch ("grad can be implicitly created only for scalar outputs"), with the fix."""
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"single-element.*backward\(np.ones\(\(2, 3\)\)\)"):
        y.backward()


# ---------------------------------------------------------------------- Value numbers
def _torch_value_grads(torch, fn, *numbers):
    """torch's value and leaf gradients of fn(*leaves) for 0-d float64 leaves."""
    leaves = [torch.tensor(float(x), requires_grad=True) for x in numbers]
    out = fn(*leaves)
    out.backward()
    return out.item(), [0.0 if t.grad is None else t.grad.item() for t in leaves]


def _same(mine: float, theirs: float) -> bool:
    return math.isnan(mine) and math.isnan(theirs) or mine == theirs


@pytest.mark.parametrize("x", [math.nan, -math.inf, 0.0])
def test_value_relu_of_nan_is_nan_as_torch(torch, x):
    """relu passes a NaN on with gradient 1 (torch: the same)."""
    v = Value(x)
    out = v.relu()
    out.backward()
    value, (grad,) = _torch_value_grads(torch, torch.relu, x)
    assert _same(out.data, value) and _same(v.grad, grad)


@pytest.mark.parametrize("a, b", [(math.nan, 1.0), (1.0, math.nan), (math.nan, math.nan)])
def test_value_max_with_a_nan_is_nan_and_the_nan_gets_the_gradient(torch, a, b):
    """torch.maximum: nan. Gradient: the router's rule with NaN as the winner (torch gives it
    to both inputs instead); the first operand on a tie of two NaNs."""
    x, y = Value(a), Value(b)
    out = x.max(y)
    out.backward()
    value, _ = _torch_value_grads(torch, torch.maximum, a, b)
    assert math.isnan(out.data) and math.isnan(value)
    assert (x.grad, y.grad) == ((1.0, 0.0) if math.isnan(a) else (0.0, 1.0))


@pytest.mark.parametrize("c", [1, 1.0, math.nan])
def test_value_max_with_a_number_and_a_nan_is_nan(c):
    x = Value(math.nan)
    out = x.max(c)
    out.backward()
    assert math.isnan(out.data) and x.grad == 1.0
    y = Value(1.0).max(math.nan)  # the NaN number wins: no gradient for the Value
    y.backward()
    assert math.isnan(y.data) and y.parents[0].grad == 0.0


def test_value_max_ties_still_route_to_the_first_operand():
    x = Value(2.0)
    x.max(x).backward()
    assert x.grad == 1.0


@pytest.mark.parametrize(
    "terms, expected",
    [
        ((math.inf, -math.inf), math.nan),
        ((1e308, 1e308), math.inf),
        ((1e308, 1e308, -1e308), math.inf),
        ((math.inf, 1.0), math.inf),
    ],
)
def test_vsum_of_infinities_and_overflow_is_the_add_gates_float_sum(torch, terms, expected):
    """vsum([inf, -inf]) used to raise fsum's bare ValueError, vsum([1e308, 1e308]) its
    OverflowError; now they are what the chain of add gates gives (and torch's sum)."""
    leaves = [Value(t) for t in terms]
    out = vsum(leaves)
    chain = leaves[0]
    for leaf in leaves[1:]:
        chain = chain + leaf
    assert _same(out.data, expected) and _same(chain.data, expected)
    assert _same(torch.tensor(terms).sum().item(), expected)
    out.backward()
    assert [leaf.grad for leaf in leaves] == [1.0] * len(terms)


def test_vsum_stays_exact_for_finite_numbers():
    assert vsum([Value(1e16), Value(1.0), Value(-1e16)]).data == 1.0


@pytest.mark.parametrize("x", [math.nan, 0.0, math.inf, -3.0])
@pytest.mark.parametrize("n", [0, 0.0])
def test_value_power_zero_has_gradient_zero_as_torch(torch, x, n):
    v = Value(x)
    out = v**n
    out.backward()
    value, (grad,) = _torch_value_grads(torch, lambda t: t**n, x)
    assert out.data == value == 1.0 and v.grad == grad == 0.0


def test_value_log_of_nan_propagates_as_torch(torch):
    """A NaN input is no domain error: log(nan) is nan with gradient nan, as torch."""
    x = Value(math.nan)
    out = x.log()
    out.backward()
    value, (grad,) = _torch_value_grads(torch, torch.log, math.nan)
    assert math.isnan(out.data) and math.isnan(value) and math.isnan(x.grad) and math.isnan(grad)


@pytest.mark.parametrize("x", [0.0, -1.0, -math.inf])
def test_value_log_of_a_number_that_is_not_positive_is_still_an_error(x):
    """The lecture's engine refuses these (torch: -inf or nan), naming the gate and input."""
    with pytest.raises(ValueError, match=rf"log gate: input {x} is not positive"):
        Value(x).log()


@pytest.mark.parametrize(
    "x, n, match",
    [
        (10, 400, r"pow gate: 10 \*\* 400 is too large for a float"),
        (-10, 401, r"pow gate: -10 \*\* 401 is too large"),
        (1e-200, -2, r"pow gate: 1e-200 \*\* -2 is too large"),
        (1e-300, -1, r"pow gate: the gradient of 1e-300 \*\* -1, .* is too large"),
    ],
)
def test_value_power_overflow_names_the_gate_and_the_input(torch, x, n, match):
    """It used to be the raw "(34, 'Numerical result out of range')". torch float64 gives inf
    here; the Value engine raises, as its exp gate does, so a lecture graph never carries an
    inf that nobody asked for."""
    assert math.isinf(torch.tensor(float(x)).pow(n).item()) or n == -1
    with pytest.raises(OverflowError, match=match):
        Value(x) ** n
