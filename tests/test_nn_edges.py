"""nn at the edges of the numbers: NaN is never hidden by a loss, float32 stays float32,
layers take torch's dtype argument, and BCE at saturated probabilities follows PyTorch."""

import math

import gradtrace.nn.functional as F
import numpy as np
import pytest
from gradtrace import Tensor, Value, topological_order
from gradtrace.nn import Conv2d, Dropout, Linear

NAN = math.nan


def tensor(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def values(rows):
    return (
        [[Value(v) for v in row] for row in rows]
        if isinstance(rows[0], list)
        else [Value(v) for v in rows]
    )


def backward(loss):
    loss.backward() if isinstance(loss, Value) or loss.data.size == 1 else loss.sum().backward()


# ---------------------------------------------------------------------- NaN is never hidden
LOSSES_ON_NAN = {  # name: (loss, input with a NaN score, target)
    "mse": (F.mse_loss, [NAN, 1.0], [0.0, 1.0]),
    "l1": (F.l1_loss, [NAN, 1.0], [0.0, 1.0]),
    "bce_with_logits": (F.binary_cross_entropy_with_logits, [NAN, 0.5], [0.0, 1.0]),
    "hinge": (F.hinge_loss, [NAN, 0.5], [1.0, 1.0]),  # before: 0.25 on Values
    "hinge_multiclass": (F.hinge_loss, [[NAN, 0.5, 0.1]], [1]),  # before: 0.6 on Values
    "cross_entropy": (F.cross_entropy, [[NAN, 0.5]], [1]),
    "cross_entropy_one_hot": (F.cross_entropy, [[NAN, 0.5]], [[0.0, 1.0]]),
    "multilabel": (F.multilabel_cross_entropy, [[NAN, 0.5]], [[0.0, 1.0]]),
    "bce": (F.binary_cross_entropy, [NAN, 0.5], [0.0, 1.0]),  # refused, as torch does
}


@pytest.mark.parametrize("engine", ["tensor", "value"])
@pytest.mark.parametrize("case", sorted(LOSSES_ON_NAN))
def test_no_loss_hides_a_nan_input_behind_a_finite_number(case, engine):
    loss_fn, x, target = LOSSES_ON_NAN[case]
    x = tensor(x) if engine == "tensor" else values(x)
    try:
        loss = loss_fn(x, target)
    except ValueError as err:  # refusing NaN loudly is fine (BCE's range check, the log gate)
        assert "nan" in str(err)
        return
    assert math.isnan(float(np.asarray(loss.data).sum()))


def test_relu_of_nan_is_nan_in_both_engines_as_in_torch():
    # torch.relu(nan) is nan; its gradient there is 1 (torch's threshold_backward)
    v = Value(NAN)
    out = v.relu()
    out.backward()
    assert math.isnan(out.data) and v.grad == 1.0
    assert math.isnan(F.relu(tensor([NAN])).data[0])


# ---------------------------------------------------------------------- float32 stays float32
X32 = [[0.5, -1.0, 2.0], [-0.3, 0.0, 1.5]]
ONE_HOT32 = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)
SIGNS32 = np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]], dtype=np.float32)
FLOAT32_CASES = {
    "leaky_relu": lambda x: F.leaky_relu(x),
    "dropout": lambda x: Dropout(0.5, seed=0)(x),
    "mse": lambda x: F.mse_loss(x, ONE_HOT32),
    "l1": lambda x: F.l1_loss(x, ONE_HOT32),
    "bce_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, ONE_HOT32),
    "bce": lambda x: F.binary_cross_entropy(x.sigmoid(), ONE_HOT32),
    "hinge": lambda x: F.hinge_loss(x, SIGNS32),
    "hinge_multiclass": lambda x: F.hinge_loss(x, np.array([1, 0])),
    "cross_entropy_one_hot": lambda x: F.cross_entropy(x, ONE_HOT32),
    "cross_entropy_indices": lambda x: F.cross_entropy(x, np.array([1, 0])),
    "multilabel": lambda x: F.multilabel_cross_entropy(x, ONE_HOT32),
    "softmax": lambda x: F.softmax(x),
    "log_softmax": lambda x: F.log_softmax(x),
}


@pytest.mark.parametrize("case", sorted(FLOAT32_CASES))
def test_float32_stays_float32_through_nn(case):
    x = tensor(X32, np.float32)
    out = FLOAT32_CASES[case](x)
    backward(out)
    assert out.data.dtype == np.float32 and x.grad.dtype == np.float32


def test_a_float32_numpy_input_stays_float32():
    assert F.mse_loss(np.array(X32, dtype=np.float32), ONE_HOT32).data.dtype == np.float32


@pytest.mark.parametrize(
    "make, x",
    [
        (lambda dtype: Linear(3, 2, seed=0, dtype=dtype), np.ones((4, 3))),
        (lambda dtype: Conv2d(1, 2, 3, seed=0, dtype=dtype), np.ones((1, 1, 5, 5))),
    ],
)
def test_layers_take_torchs_dtype_argument(make, x):
    layer32, layer64 = make(np.float32), make(np.float64)
    assert {p.data.dtype for p in layer32.parameters()} == {np.dtype(np.float32)}
    out = layer32(Tensor(x.astype(np.float32)))
    backward(out)
    assert out.data.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer32.parameters())
    # the same draws, rounded to float32
    for p32, p64 in zip(layer32.parameters(), layer64.parameters(), strict=True):
        np.testing.assert_array_equal(p32.data, p64.data.astype(np.float32))
    with pytest.raises(ValueError, match="dtype must be float64 or float32, got 'int8'"):
        make("int8")


# ---------------------------------------------------------------------- BCE at the edges
P_EDGES = [0.0, 0.0, 1.0, 1.0, 1e-30, 1.0 - 1e-13, 0.5, 0.25]
T_EDGES = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.3, 1.0]


@pytest.mark.parametrize("engine", ["tensor", "value"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce_at_saturated_probabilities_follows_pytorch(torch, engine, reduction):
    # torch: each log clamped at -100, the gradient (p - t) / max(p (1 - p), 1e-12); at p = 0,
    # t = 1 it is -1e12 / N (mean), where the derivative of the clamped loss would be 0
    pt = torch.tensor(P_EDGES, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy(
        pt, torch.tensor(T_EDGES, dtype=torch.float64), reduction=reduction
    )
    expected.backward()
    p = tensor(P_EDGES) if engine == "tensor" else values(P_EDGES)
    loss = F.binary_cross_entropy(p, T_EDGES, reduction=reduction)
    loss.backward()
    grads = p.grad if engine == "tensor" else [v.grad for v in p]
    np.testing.assert_allclose(float(loss.data), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(grads, pt.grad.numpy(), rtol=1e-12, atol=0)
    if reduction == "mean":
        assert grads[0] == pytest.approx(-1e12 / len(P_EDGES), rel=1e-8)
        assert grads[1] == 0.0  # p = 0, t = 0: the loss is at its best


def test_bce_gradient_with_respect_to_a_tensor_target_follows_pytorch(torch):
    p, t = [0.2, 0.5, 0.9], [0.0, 0.3, 1.0]
    pt = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    tt = torch.tensor(t, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(pt, tt).backward()
    ours_p, ours_t = tensor(p), tensor(t)
    F.binary_cross_entropy(ours_p, ours_t).backward()
    np.testing.assert_allclose(ours_p.grad, pt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_t.grad, tt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("engine", ["tensor", "value"])
def test_sigmoid_then_bce_beyond_the_lectures_range_follows_pytorch(torch, engine):
    z = [27.0, 28.0, 30.0, 40.0, -28.0, -40.0]
    y = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]  # certain and wrong
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(
        torch.sigmoid(zt), torch.tensor(y, dtype=torch.float64), reduction="sum"
    ).backward()
    x = tensor(z) if engine == "tensor" else values(z)
    F.binary_cross_entropy(F.sigmoid(x), y, reduction="sum").backward()
    grads = x.grad if engine == "tensor" else [v.grad for v in x]
    np.testing.assert_allclose(grads, zt.grad.numpy(), rtol=1e-8, atol=1e-300)


def test_bce_is_one_gate_per_element_on_values():
    p = values([0.3, 0.9])
    loss = F.binary_cross_entropy(p, [0.0, 1.0], reduction="sum")
    assert [n.op for n in topological_order(loss)].count("bce") == 2
