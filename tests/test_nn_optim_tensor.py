"""Optimizers, penalties and max-norm on Tensor parameters (Linear layers), against torch."""

import gradtrace.nn.functional as F
import numpy as np
import pytest
from gradtrace.nn.layers import Linear, Sequential, Tanh
from gradtrace.nn.optim import SGD, Adam, l1_penalty, l2_penalty, max_norm_

X = np.random.default_rng(0).normal(size=(8, 3))
Y = np.array([0, 1, 2, 1, 0, 2, 2, 1])

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.1, dampening=0.2)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.01)),
]


def ours_model():
    return Sequential(Linear(3, 5, seed=0), Tanh(), Linear(5, 3, seed=1))


@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_optimizer_matches_torch_for_five_steps_on_tensors(torch, name, kwargs):
    model = ours_model()
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    with torch.no_grad():
        for (_, p), tp in zip(model.named_parameters(), tmodel.parameters(), strict=True):
            tp.copy_(torch.tensor(p.data))
    opt = {"SGD": SGD, "Adam": Adam}[name](model.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(tmodel.parameters(), **kwargs)
    for _ in range(5):
        opt.zero_grad()
        F.cross_entropy(model(X), Y).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tmodel(torch.tensor(X)), torch.tensor(Y)).backward()
        topt.step()
    for p, tp in zip(model.parameters(), tmodel.parameters(), strict=True):
        assert np.abs(p.data - tp.detach().numpy()).max() < 1e-10


def test_a_tensor_that_backward_did_not_reach_is_left_alone():
    a, b = Linear(3, 2, seed=0), Linear(3, 2, seed=1)
    before = b.weight.data.copy()
    opt = SGD(a.parameters() + b.parameters(), lr=0.1, momentum=0.9)
    a(X).sum().backward()
    opt.step()
    assert np.array_equal(b.weight.data, before)  # grad None: skipped, as in PyTorch


def test_l2_penalty_on_tensors_gives_gradient_w():
    lin = Linear(3, 2, seed=0)
    penalty = l2_penalty([lin.weight])
    penalty.backward()
    assert float(penalty.data) == pytest.approx(0.5 * (lin.weight.data**2).sum())
    assert np.allclose(lin.weight.grad, lin.weight.data)


def test_l1_penalty_on_tensors_gives_gradient_sign_w():
    lin = Linear(3, 2, seed=0)
    penalty = l1_penalty([lin.weight, lin.bias])
    penalty.backward()
    assert float(penalty.data) == pytest.approx(
        np.abs(lin.weight.data).sum() + np.abs(lin.bias.data).sum()
    )
    assert np.array_equal(lin.weight.grad, np.sign(lin.weight.data))


def test_max_norm_projects_each_row_of_a_linear_weight():
    lin = Linear(3, 4, seed=0)
    lin.weight.data[...] = [[3, 4, 0], [0.3, 0.4, 0], [0, 0, 10], [1, 1, 1]]
    bias = lin.bias.data.copy()
    max_norm_(lin, c=2.0)
    # by hand: rows of norm 5 and 10 shrink to norm 2, the others stay
    expected = [[1.2, 1.6, 0], [0.3, 0.4, 0], [0, 0, 2], [1, 1, 1]]
    assert np.allclose(lin.weight.data, expected)
    assert np.array_equal(lin.bias.data, bias)


def test_max_norm_accepts_a_weight_tensor_directly():
    lin = Linear(3, 4, seed=0)
    lin.weight.data *= 100
    max_norm_(lin.weight, c=4.0)
    assert np.linalg.norm(lin.weight.data, axis=1) == pytest.approx([4.0] * 4)
