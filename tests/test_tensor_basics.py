"""Tensor behaviour: dtypes, broadcasting, gradient bookkeeping, no_grad, conveniences."""

import numpy as np
import pytest
from gradtrace import Tensor, concatenate, gradcheck, no_grad, stack, topological_order


def test_float64_by_default_and_integers_become_float64():
    assert Tensor([1, 2, 3]).dtype == np.float64
    assert Tensor(2.0).dtype == np.float64 and Tensor(2.0).shape == ()


def test_float32_is_kept_through_gates_and_gradients():
    x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = (x * 2.5 + 1).exp().sum()  # plain numbers do not promote (NumPy's weak scalars)
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_tensor_copies_its_data_like_torch_tensor():
    a = np.zeros(3)
    t = Tensor(a)
    a[0] = 5.0
    assert t.data[0] == 0.0


def test_non_numeric_data_is_a_type_error():
    with pytest.raises(TypeError, match="numeric"):
        Tensor(["a", "b"])


def test_broadcast_gradient_is_summed_back_to_each_input_shape():
    a = Tensor(np.ones((4, 3)), requires_grad=True)
    b = Tensor(np.ones((1, 3)), requires_grad=True)
    c = Tensor(2.0, requires_grad=True)
    ((a + b) * c).sum().backward()
    assert b.grad.shape == (1, 3) and np.allclose(b.grad, 8.0)  # 4 rows x c=2 (by hand)
    assert c.grad.shape == () and np.isclose(c.grad, 24.0)  # sum(a + b) = 12 * 2


def test_reflected_operators_with_numbers_and_arrays():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (3 - x) + (1 / x) + 2 * x + np.array([1.0, 1.0]) @ x + 2**x
    assert isinstance(y, Tensor)
    y.sum().backward()
    v = np.array([1.0, 2.0])
    # by hand; the scalar ones @ x is broadcast over both elements, so it contributes 2
    expected = -1 - 1 / v**2 + 2 + 2 + 2**v * np.log(2)
    assert np.allclose(x.grad, expected)


def test_ndarray_on_the_left_gives_a_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for y in (np.ones(2) + x, np.ones(2) * x, np.ones(2) - x, np.ones(2) / x, np.eye(2) @ x):
        assert isinstance(y, Tensor) and y.requires_grad


def test_gradients_add_at_branches():
    x = Tensor([1.0, -2.0], requires_grad=True)
    (x * x + x).sum().backward()
    assert np.allclose(x.grad, [3.0, -3.0])  # 2x + 1


def test_same_tensor_on_both_sides_of_add_gets_both_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x + x).sum().backward()
    assert np.allclose(x.grad, 2.0)


def test_leaves_accumulate_across_backward_calls_and_zero_grad_resets():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).sum()
    y.backward()
    y.backward()
    assert np.allclose(x.grad, 6.0)  # as in PyTorch
    y.zero_grad()
    assert x.grad is None


def test_inner_gradients_are_freed_and_retain_grad_keeps_one():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    k = h.exp()
    k.retain_grad()
    y = k.sum()
    y.backward()
    assert h.grad is None and y.grad is None  # used, then dropped
    assert np.allclose(k.grad, 1.0)
    assert np.allclose(x.grad, 2 * np.exp(2 * np.array([1.0, 2.0])))


def test_retained_inner_gradient_is_recomputed_not_accumulated():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    y = h.sum()
    y.backward()
    y.backward()
    assert np.allclose(h.grad, 1.0) and np.allclose(x.grad, 4.0)


def test_leaf_gradients_never_share_memory():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()  # the add gate hands the same upstream array to both
    a.grad += 1
    assert np.allclose(b.grad, 1.0)
    c = Tensor(np.ones((2, 3)), requires_grad=True)
    c.sum().backward()  # sum's gradient is a read-only broadcast view
    c.grad *= 2  # and still the leaf's own, writable array
    assert np.allclose(c.grad, 2.0)


def test_tensor_without_requires_grad_gets_no_gradient():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0])
    (w * x).sum().backward()
    assert x.grad is None and np.allclose(w.grad, [3.0, 4.0])


def test_operations_on_constants_record_no_graph():
    y = Tensor([1.0]) * 2
    assert not y.requires_grad and y.parents == () and y.op == ""
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_records_no_parents():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = (w * 2).sum()
    assert y.parents == () and not y.requires_grad


def test_graph_keeps_operand_order():
    a = Tensor(1.0, requires_grad=True)
    b = Tensor(2.0, requires_grad=True)
    y = (b - a).exp()
    assert y.parents[0].parents == (b, a)
    assert topological_order(y)[0] is y


def test_matmul_batched_broadcasts_batch_dimensions():
    a = Tensor(np.random.default_rng(1).normal(size=(2, 1, 3, 4)), requires_grad=True)
    b = Tensor(np.random.default_rng(2).normal(size=(5, 4, 2)), requires_grad=True)
    assert (a @ b).shape == (2, 5, 3, 2)
    assert gradcheck(lambda a, b: ((a @ b) ** 2).sum(), a, b)


def test_max_routes_gradient_to_the_first_of_tied_maxima():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    assert np.array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])  # the first on ties (DESIGN)


def test_relu_derivative_at_zero_is_zero():
    x = Tensor([0.0, 1.0, -1.0], requires_grad=True)
    x.relu().sum().backward()
    assert np.array_equal(x.grad, [0.0, 1.0, 0.0])


def test_repeated_integer_index_accumulates():
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[np.array([0, 2, 0, 0])].sum().backward()
    assert np.array_equal(x.grad, [3.0, 0.0, 1.0])


def test_boolean_mask_and_tensor_index():
    x = Tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    x[x.data > 0].sum().backward()
    assert np.array_equal(x.grad, [[1, 0], [1, 0]])
    assert np.array_equal(x[Tensor([1, 0])].data, [[3.0, -4.0], [1.0, -2.0]])


def test_softmax_and_log_softmax_are_finite_at_logits_of_1000():
    z = Tensor([[1000.0, -1000.0, 0.0]], requires_grad=True)
    ls = z.log_softmax()
    assert np.isfinite(ls.data).all() and np.isclose(ls.data[0, 0], 0.0)
    (ls * np.array([[0.0, 1.0, 0.0]])).sum().backward()
    assert np.allclose(z.grad, [[-1.0, 1.0, 0.0]])  # softmax - onehot (DESIGN)
    s = Tensor([[1000.0, -1000.0]], requires_grad=True)
    s.softmax().sum().backward()
    assert np.isfinite(s.grad).all() and np.allclose(s.softmax().data, [[1.0, 0.0]])


def test_sigmoid_is_finite_at_1000():
    x = Tensor([-1000.0, 1000.0], requires_grad=True)
    x.sigmoid().sum().backward()
    assert np.array_equal(x.sigmoid().data, [0.0, 1.0]) and np.array_equal(x.grad, [0.0, 0.0])


def test_concatenate_and_stack_return_each_slice_of_the_gradient():
    a = Tensor(np.ones((2, 2)), requires_grad=True)
    b = Tensor(np.ones((1, 2)), requires_grad=True)
    (concatenate([a, b]) * np.arange(3.0)[:, None]).sum().backward()
    assert np.array_equal(a.grad, [[0, 0], [1, 1]]) and np.array_equal(b.grad, [[2, 2]])
    c = Tensor([1.0, 2.0], requires_grad=True)
    s = stack([c, c * 3], axis=1)
    assert s.shape == (2, 2)
    s.sum().backward()
    assert np.allclose(c.grad, 4.0)


def test_reshape_transpose_and_T():
    x = Tensor(np.arange(6.0), requires_grad=True)
    y = x.reshape(2, 3).T
    assert y.shape == (3, 2) and x.reshape((3, 2)).shape == (3, 2)
    assert Tensor(np.zeros((2, 3, 4))).transpose(1, 0, 2).shape == (3, 2, 4)
    (y * np.arange(6.0).reshape(3, 2)).sum().backward()
    assert np.array_equal(x.grad, [0, 2, 4, 1, 3, 5])


def test_item_numpy_detach_and_repr():
    x = Tensor([[2.0]], requires_grad=True, label="x")
    assert x.item() == 2.0 and x.numpy() is x.data
    d = (x * 2).detach()
    assert d.parents == () and not d.requires_grad
    assert repr(x) == "Tensor([[2.]], requires_grad=True, label='x')"
    assert repr(Tensor([0.00043856, -1.5])) == "Tensor([0.0004386, -1.5])"  # 4 significant digits
    assert "op='*'" in repr(x * 2)
    assert "dtype=float32" in repr(Tensor(np.ones(2, np.float32)))
    with pytest.raises(ValueError, match="single element"):
        Tensor([1.0, 2.0]).item()
