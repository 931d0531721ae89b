"""Every Tensor gate against PyTorch float64: forward values and gradients, including
broadcasting (skipped cleanly where torch is not installed)."""

import numpy as np
import pytest
from gradtrace import Tensor, concatenate, cross_entropy, linear, stack
from gradtrace.conv_gates import avg_pool2d, conv2d, max_pool2d
from gradtrace.tensor import GATES

rng = np.random.default_rng(7)
A, B = rng.normal(size=(3, 4)), rng.normal(size=(1, 4))  # B broadcasts over A's rows
POS = rng.uniform(0.5, 2.0, size=(3, 4))
IDX = np.array([2, 0, 2, 2])
IMG, FILTERS = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
MASK = A > 0

# name: (gradtrace function, torch function (t is the torch module), inputs)
CASES = {
    "+": (lambda a, b: a + b, lambda t, a, b: a + b, [A, B]),
    "-": (lambda a, b: 1.5 - a - b, lambda t, a, b: 1.5 - a - b, [A, B]),
    "*": (lambda a, b: a * b * 2, lambda t, a, b: a * b * 2, [A, B]),
    "/": (lambda a, b: a / b + 1 / b, lambda t, a, b: a / b + 1 / b, [A, B + 3]),
    "**": (lambda a, b: a**b, lambda t, a, b: a**b, [POS, B]),
    "@": (lambda a, b: a @ b.T, lambda t, a, b: a @ b.T, [A, B]),
    "neg": (lambda a: -a, lambda t, a: -a, [A]),
    "pow": (lambda a: a**3 + a**0.5, lambda t, a: a**3 + a**0.5, [POS]),
    "exp": (lambda a: a.exp(), lambda t, a: a.exp(), [A]),
    "log": (lambda a: a.log(), lambda t, a: a.log(), [POS]),
    "tanh": (lambda a: a.tanh(), lambda t, a: a.tanh(), [A]),
    "sigmoid": (lambda a: a.sigmoid(), lambda t, a: a.sigmoid(), [A * 10]),
    "relu": (lambda a: a.relu(), lambda t, a: a.relu(), [A]),
    "sum": (lambda a: a.sum(axis=0), lambda t, a: a.sum(dim=0), [A]),
    "mean": (
        lambda a: a.mean(axis=(0, 1), keepdims=True),
        lambda t, a: a.mean(dim=(0, 1), keepdim=True),
        [A],
    ),
    "max": (lambda a: a.max(axis=-1), lambda t, a: a.amax(dim=-1), [A]),
    "softmax": (lambda a: a.softmax(axis=0), lambda t, a: a.softmax(0), [A * 300]),
    "log_softmax": (lambda a: a.log_softmax(), lambda t, a: a.log_softmax(-1), [A * 300]),
    "linear": (
        lambda x, w, b: linear(x, w, b[0, :3]),
        lambda t, x, w, b: t.nn.functional.linear(x, w, b[0, :3]),
        [A, A, B],
    ),
    "cross_entropy": (
        lambda a: cross_entropy(a * 300, IDX[:3]) + cross_entropy(a, IDX[:3], "sum"),
        lambda t, a: (
            t.nn.functional.cross_entropy(a * 300, t.from_numpy(IDX[:3]))
            + t.nn.functional.cross_entropy(a, t.from_numpy(IDX[:3]), reduction="sum")
        ),
        [A],
    ),
    "reshape": (lambda a: a.reshape(2, 6), lambda t, a: a.reshape(2, 6), [A]),
    "transpose": (lambda a: a.T, lambda t, a: a.T, [A]),
    "index": (
        lambda a: a[IDX, 1:] + a[MASK].sum() + a[-1, 1:],
        lambda t, a: a[t.from_numpy(IDX), 1:] + a[t.from_numpy(MASK)].sum() + a[-1, 1:],
        [A],
    ),
    "concatenate": (
        lambda a, b: concatenate([a, b, a], axis=0),
        lambda t, a, b: t.cat([a, b, a], dim=0),
        [A, B],
    ),
    "stack": (
        lambda a, b: stack([a, b * 2], axis=1),
        lambda t, a, b: t.stack([a, b * 2], 1),
        [A, A + 1],
    ),
    "conv2d": (
        lambda x, w, b: conv2d(x, w, b[0, :3], 2, 1),
        lambda t, x, w, b: t.nn.functional.conv2d(x, w, b[0, :3], 2, 1),
        [IMG, FILTERS, B],
    ),
    "max_pool2d": (
        lambda x: max_pool2d(x, 3, 2, 1),
        lambda t, x: t.nn.functional.max_pool2d(x, 3, 2, 1),
        [IMG],
    ),
    "avg_pool2d": (
        lambda x: avg_pool2d(x, 2, 1),
        lambda t, x: t.nn.functional.avg_pool2d(x, 2, 1),
        [IMG],
    ),
}


def test_every_gate_is_compared_with_torch():
    assert set(CASES) == set(GATES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gate_value_and_gradient_match_torch(torch, name):
    ours, theirs, arrays = CASES[name]
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = ours(*xs), theirs(torch, *ts)
    weights = rng.normal(size=out.shape)  # an arbitrary upstream gradient
    (out * weights).sum().backward()
    (ref * torch.from_numpy(weights)).sum().backward()
    assert np.allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    for x, t in zip(xs, ts, strict=True):
        assert np.allclose(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_matmul_batched_and_vector_forms_match_torch(torch):
    shapes = [((4,), (4,)), ((3, 4), (4,)), ((4,), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2))]
    for sa, sb in shapes:
        a, b = rng.normal(size=sa), rng.normal(size=sb)
        x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        ((x @ y) ** 2).sum().backward()
        ((ta @ tb) ** 2).sum().backward()
        assert np.allclose(x.grad, ta.grad.numpy()) and np.allclose(y.grad, tb.grad.numpy())


def test_softmax_cross_entropy_network_matches_torch(torch):
    x, y = rng.normal(size=(8, 5)), rng.integers(0, 3, size=8)
    w, b = rng.normal(size=(5, 3)), rng.normal(size=3)
    W, bb = Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)
    loss = -(Tensor(x) @ W + bb).tanh().log_softmax()[np.arange(8), y].mean()
    loss.backward()
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    ref = torch.nn.functional.cross_entropy((torch.tensor(x) @ tw + tb).tanh(), torch.from_numpy(y))
    ref.backward()
    assert np.isclose(loss.item(), ref.item(), rtol=1e-12)
    assert np.allclose(W.grad, tw.grad.numpy()) and np.allclose(bb.grad, tb.grad.numpy())
