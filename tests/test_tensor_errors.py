"""Bad input fails loudly, naming what was wrong."""

import numpy as np
import pytest
from gradtrace import GradcheckError, Tensor, gradcheck


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) @ \(5, 6\).*4 and 5 differ"):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 6)))


def test_matmul_batch_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) @ \(3, 4, 5\).*batch"):
        Tensor(np.ones((2, 3, 4))) @ np.ones((3, 4, 5))


def test_backward_on_multi_element_tensor_without_gradient_says_to_pass_one():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"pass a gradient of shape \(2, 3\)"):
        y.backward()


def test_backward_with_gradient_of_wrong_shape_names_both_shapes():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        y.backward(np.ones((3, 2)))


def test_backward_with_explicit_gradient():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    (x * 2).backward(np.full((2, 3), 0.5))
    assert np.allclose(x.grad, 1.0)


def test_reshape_to_wrong_size_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) \(6 elements\) as \(4,\)"):
        Tensor(np.ones((2, 3))).reshape(4)


def test_axis_out_of_range():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        Tensor(np.ones((2, 3))).sum(axis=2)


def test_transpose_needs_a_permutation():
    with pytest.raises(ValueError, match="not a permutation"):
        Tensor(np.ones((2, 3))).transpose(0, 0)


def test_combining_with_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="cannot combine"):
        Tensor([1.0]) + "a"


def test_gradcheck_names_input_and_element_of_worst_mismatch():
    def wrong(x, y):  # claims d/dy = 1 everywhere, but y's element 1 enters twice
        return x * 2 + Tensor(y.data * np.array([1.0, 3.0])) + y

    with pytest.raises(GradcheckError, match=r"input 1 at element \(1,\)"):
        gradcheck(wrong, Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))


def test_gradcheck_passes_non_tensor_inputs_through():
    assert gradcheck(lambda x, idx: x[idx] ** 2, Tensor([1.0, 2.0, 3.0]), np.array([2, 2, 0]))
