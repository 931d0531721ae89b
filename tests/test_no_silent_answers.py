"""Answers the fuzzers found silently wrong: each now matches NumPy / PyTorch or is refused,
naming what was wrong."""

import numpy as np
import pytest
from gradtrace import Tensor, Value, no_grad


def test_a_boolean_tensor_indexes_as_its_mask():
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    mask = np.array([True, False, True])
    picked = x[Tensor(mask)]
    np.testing.assert_array_equal(picked.data, x.data[mask])  # [10, 30], not [20, 10, 20]
    picked.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(x[Tensor([2, 0])].data, [30.0, 10.0])  # integers still
    np.testing.assert_array_equal(x[Tensor(Tensor(mask))].data, [10.0, 30.0])  # a copy too


def test_a_tensor_index_that_is_not_whole_is_refused():
    x = Tensor([10.0, 20.0, 30.0])
    with pytest.raises(IndexError, match=r"whole numbers .* got 0\.5 in a Tensor of shape \(1,\)"):
        x[Tensor([0.5])]


def test_backward_from_a_value_computed_under_no_grad_raises_as_a_tensor_does():
    x = Value(2.0, "x")
    with no_grad():
        y = x * x
    with pytest.raises(RuntimeError, match=r"computed under no_grad\(\)"):
        y.backward()
    t = Tensor([2.0], requires_grad=True)
    with no_grad():
        u = (t * t).sum()
    with pytest.raises(RuntimeError, match=r"no_grad\(\)"):
        u.backward()
    assert x.grad == 0.0 and t.grad is None
    leaf = Value(3.0)
    leaf.backward()  # a leaf made by hand is its own graph
    assert leaf.grad == 1.0


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: Tensor([1.0], requires_grad="yes"),
            r"requires_grad must be True or False, got str",
        ),
        (lambda: Tensor([1.0], requires_grad=1), r"requires_grad must be True or False, got int"),
        (lambda: Value(1, label=5), r"Value\(label=...\): label must be a str, got int 5"),
        (lambda: Tensor([1.0], label=5), r"Tensor\(label=...\): label must be a str, got int"),
    ],
)
def test_arguments_of_the_wrong_kind_are_refused_by_name(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_a_float32_tensor_keeps_its_dtype_with_a_list_or_a_0d_array_as_pytorch():
    x32 = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    for y in (x32 + [0.5, 0.25], [0.5, 0.25] - x32, x32 * np.array(2.0), np.array(2.0) / x32):
        assert y.dtype == np.float32
    y.sum().backward()
    assert x32.grad.dtype == np.float32
    assert (x32 + np.ones(2)).dtype == np.float64  # an array with axes promotes, as in torch
    assert (Tensor(np.float32(1.0)) + np.array(2.0)).dtype == np.float64  # both 0-d: promotes
