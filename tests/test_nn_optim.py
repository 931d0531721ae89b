"""Optimizers, penalties, max-norm and LR schedules; compared with torch.optim where it is."""

import math

import numpy as np
import pytest
from gradtrace import Value
from gradtrace.nn import MLP, Neuron
from gradtrace.nn.optim import (
    SGD,
    Adam,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    StepLR,
    l1_penalty,
    l2_penalty,
    max_norm_,
)

START = [0.5, -1.2, 0.3, 2.0, -0.7, 0.9]
COEF = [1.0, 0.5, -2.0, 0.25, 3.0, -1.0]

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.01, dampening=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1, nesterov=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
]


def value_loss(w):
    """sum_i c_i w_i^2 w_(i+1) + tanh(sum w): couples the parameters, curved everywhere."""
    n = len(w)
    cubic = sum(c * wi * wi * w[(i + 1) % n] for i, (c, wi) in enumerate(zip(COEF, w, strict=True)))
    return cubic + sum(w).tanh()


def torch_loss(torch, w):
    c = torch.tensor(COEF)
    return (c * w * w * torch.roll(w, -1)).sum() + torch.tanh(w.sum())


def run_ours(name, kwargs, steps=5):
    w = [Value(v) for v in START]
    opt = {"SGD": SGD, "Adam": Adam}[name](w, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        value_loss(w).backward()
        opt.step()
    return [v.data for v in w]


def run_torch(torch, name, kwargs, steps=5):
    w = torch.tensor(START, requires_grad=True)
    opt = getattr(torch.optim, name)([w], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        torch_loss(torch, w).backward()
        opt.step()
    return w.detach().numpy()


@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_optimizer_matches_torch_for_five_steps_on_values(torch, name, kwargs):
    ours = run_ours(name, kwargs)
    theirs = run_torch(torch, name, kwargs)
    assert np.abs(np.array(ours) - theirs).max() < 1e-10


def test_sgd_step_is_w_minus_lr_grad():
    w = Value(1.0)
    w.grad = 0.5
    SGD([w], lr=0.1).step()
    assert w.data == pytest.approx(0.95)  # by hand: 1 - 0.1 * 0.5


def test_zero_grad_resets_value_grads():
    w = [Value(1.0), Value(2.0)]
    (w[0] * w[1]).backward()
    SGD(w, lr=0.1).zero_grad()
    assert [v.grad for v in w] == [0.0, 0.0]


def test_optimizer_accepts_a_module():
    net = MLP(2, [3, 1], seed=0)
    assert len(SGD(net, lr=0.1).params) == len(net.parameters())


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda p: SGD(p, lr=-0.1), "lr"),
        (lambda p: SGD(p, lr=0.1, momentum=1.0), "momentum"),
        (lambda p: SGD(p, lr=0.1, momentum=-0.1), "momentum"),
        (lambda p: SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), "nesterov"),
        (lambda p: Adam(p, lr=-1), "lr"),
        (lambda p: Adam(p, betas=(1.0, 0.9)), "betas"),
        (lambda p: Adam(p, eps=-1), "eps"),
        (lambda p: SGD([], lr=0.1), "params"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(make, name):
    with pytest.raises(ValueError, match=name):
        make([Value(1.0)])


def test_a_non_parameter_in_params_is_a_type_error():
    with pytest.raises(TypeError, match=r"params\[1\]"):
        SGD([Value(1.0), 2.0], lr=0.1)


# ---------------------------------------------------------------------- penalties
def test_l2_penalty_is_half_the_sum_of_squares_and_its_gradient_is_w():
    w = [Value(3.0), Value(-4.0)]
    penalty = l2_penalty(w)
    penalty.backward()
    assert penalty.data == 12.5  # by hand: (9 + 16) / 2
    assert [v.grad for v in w] == [3.0, -4.0]


def test_l2_penalty_gradient_step_equals_sgd_weight_decay():
    a, b = [Value(v) for v in START], [Value(v) for v in START]
    (value_loss(a) + 0.1 * l2_penalty(a)).backward()
    SGD(a, lr=0.1).step()
    value_loss(b).backward()
    SGD(b, lr=0.1, weight_decay=0.1).step()
    assert [v.data for v in a] == pytest.approx([v.data for v in b], abs=1e-14)


def test_l1_penalty_is_sum_of_absolute_values_with_sign_gradient():
    w = [Value(3.0), Value(-4.0), Value(0.0)]
    penalty = l1_penalty(w)
    penalty.backward()
    assert penalty.data == 7.0  # by hand
    assert [v.grad for v in w] == [1.0, -1.0, 0.0]


def test_max_norm_projects_a_long_weight_vector_onto_the_ball():
    w = [Value(3.0), Value(4.0)]  # norm 5
    max_norm_(w, c=3.0)
    assert [v.data for v in w] == pytest.approx([1.8, 2.4])  # by hand: w * 3/5


def test_max_norm_leaves_short_vectors_and_biases_alone():
    n = Neuron(2, seed=0).set_weights([0.3, 0.4], 10.0)
    max_norm_(n, c=3.0)
    assert [p.data for p in n.parameters()] == [0.3, 0.4, 10.0]


def test_max_norm_on_a_model_constrains_every_neuron():
    net = MLP(3, [4, 2], seed=0)
    for p in net.parameters():
        p.data *= 10
    max_norm_(net, c=1.0)
    for layer in net.layers:
        for n in layer.neurons:
            assert math.sqrt(sum(w.data**2 for w in n.w)) <= 1.0 + 1e-12


# ---------------------------------------------------------------------- schedules
SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.01)),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULES)
def test_schedule_matches_torch(torch, name, kwargs):
    ours_opt = SGD([Value(1.0)], lr=0.5)
    ours = {
        "StepLR": StepLR,
        "ExponentialLR": ExponentialLR,
        "CosineAnnealingLR": CosineAnnealingLR,
    }[name](ours_opt, **kwargs)
    torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    theirs = getattr(torch.optim.lr_scheduler, name)(torch_opt, **kwargs)
    for _ in range(15):
        assert ours_opt.lr == pytest.approx(torch_opt.param_groups[0]["lr"], abs=1e-12)
        torch_opt.step()
        theirs.step()
        ours.step()


def test_lambda_lr_gives_the_micrograd_decay():
    opt = SGD([Value(1.0)], lr=1.0)
    sched = LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
    lrs = []
    for _ in range(100):
        lrs.append(opt.lr)
        sched.step()
    assert lrs[0] == 1.0 and lrs[50] == pytest.approx(0.55) and lrs[99] == pytest.approx(0.109)


# ---------------------------------------------------------------------- settings at the edges
INF = math.inf


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: SGD(p, lr=INF), "SGD: lr must be a finite number >= 0, got inf"),
        (lambda p: SGD(p, lr=math.nan), "SGD: lr must be a finite number >= 0, got nan"),
        (lambda p: SGD(p, lr=0.1, weight_decay=INF), "SGD: weight_decay must be a finite"),
        (lambda p: Adam(p, lr=INF), "Adam: lr must be a finite"),
        (lambda p: Adam(p, eps=INF), "Adam: eps must be a finite"),
        (lambda p: Adam(p, weight_decay=INF), "Adam: weight_decay must be a finite"),
        (lambda p: Adam(p, betas=(math.nan, 0.9)), r"Adam: betas\[0\] must be in \[0, 1\)"),
        (lambda p: SGD(p, lr=True), "SGD: lr must be a finite number >= 0, got True"),
    ],
)
def test_infinite_or_non_numeric_settings_are_refused_by_name(make, message):
    # one step with lr = inf turns every weight into inf or nan; before, inf was accepted
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


def test_numpy_numbers_are_accepted_as_settings():
    # torch accepts any real number; before, lr=np.int64(1) was refused
    w = Value(2.0)
    w.grad = 0.5
    SGD([w], lr=np.int64(1), momentum=np.float32(0.5), weight_decay=np.int64(0)).step()
    assert w.data == 1.5
    Adam([w], lr=np.float64(1e-3), betas=(np.float32(0.9), np.float64(0.999)), eps=np.int64(0))


def test_a_parameter_given_twice_is_refused_naming_it():
    # before: SGD([w, w]) stepped w twice per step
    w, b = Value(1.0, "w"), Value(0.0, "b")
    with pytest.raises(
        ValueError, match=r"SGD: params\[2\] is the same parameter as params\[0\] \('w'\)"
    ):
        SGD([w, b, w], lr=0.1)
    with pytest.raises(ValueError, match=r"Adam: params\[1\] is the same parameter as params\[0\]"):
        Adam([w, w])
