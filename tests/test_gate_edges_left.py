"""Left from the last round: linear with zero input (or output) features on inputs that are not
2-D gives the bias and PyTorch's gradients (its VJP once failed to reshape an empty input with
-1); check_gates says the bce gate follows PyTorch's clamp at saturated probabilities instead
of reporting it, and the Value bce node is a gate it checks."""

import numpy as np
import pytest
from gradtrace import Tensor, check_gates, linear


@pytest.mark.parametrize(
    "x_shape, w_shape", [((2, 3, 0), (4, 0)), ((0,), (4, 0)), ((2, 3, 5), (0, 5)), ((3, 0), (4, 0))]
)
def test_linear_with_zero_features_matches_torch(torch, x_shape, w_shape):
    rng = np.random.default_rng(0)
    x_np, w_np = rng.normal(size=x_shape), rng.normal(size=w_shape)
    b_np = rng.normal(size=w_shape[0])
    x, w, b = (Tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    y = linear(x, w, b)
    up = rng.normal(size=y.shape)
    (y * Tensor(up)).sum().backward()
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    ty = torch.nn.functional.linear(tx, tw, tb)
    (ty * torch.tensor(up)).sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12)
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        assert ours.grad.shape == tuple(theirs.grad.shape)
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert len(check_gates((y * Tensor(up)).sum())) == 0


def test_check_gates_says_the_bce_gate_follows_torchs_clamp_on_purpose():
    from gradtrace import Value
    from gradtrace.nn import functional as F

    p = Tensor(np.array([1e-15, 0.5, 1 - 1e-15]), requires_grad=True)
    report = check_gates(F.binary_cross_entropy(p, Tensor(np.array([1.0, 0.0, 0.0]))))
    assert len(report) == 0  # was a finding: analytic -3e12, numeric -3e15
    assert [f.op for f in report.skipped] == ["bce"]
    assert "follows PyTorch's clamp" in report.skipped[0].reason
    value = check_gates(F.binary_cross_entropy(Value(1e-15, "p"), 1.0))
    assert len(value) == 0 and "on purpose" in value.skipped[0].reason
    inside = check_gates(F.binary_cross_entropy(Value(0.3, "p"), 1.0))  # checked as usual
    assert len(inside) == 0 and not inside.skipped
    assert any(n.gate.name == "bce" for n in _nodes(F.binary_cross_entropy(Value(0.3), 1.0)))


def _nodes(root):
    from gradtrace import topological_order

    return topological_order(root)
