"""explain_layers: the five backprop equations on a Sequential, each δ and gradient checked
against the lecture's numbers, the scalar engine, PyTorch (float64) and the hand formulas."""

import numpy as np
import pytest
from gradtrace import Tensor, Value, nn
from gradtrace.nn import functional as F
from gradtrace.viz import explain_layers
from lecture_nets import T, X, two_two_two_model

ACTS = {"Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "ReLU": nn.ReLU, "LeakyReLU": nn.LeakyReLU}


def two_two_two():
    """The lecture's 2-2-2 network (notes 003) with its weights, inputs and targets."""
    return two_two_two_model(), Tensor(X), Tensor(T)


def test_two_two_two_deltas_and_gradients_are_the_lecture_numbers():
    m, x, y = two_two_two()
    E = 0.5 * ((m(x) - y) ** 2).sum()
    E.backward()
    e = explain_layers(E, m)
    assert e.agrees and e.head.kind == "mse"
    # notes 003: delta_o1 = 0.1384985, delta_o2 = -0.0380983 (rounded to 7 places)
    np.testing.assert_allclose(e.layers[1].delta, [0.1384985, -0.0380983], atol=6e-8)
    assert e.layers[1].grad_weight[0, 0] == pytest.approx(0.082167041, abs=1e-9)  # dE/dw5
    assert e.layers[0].grad_weight[0, 0] == pytest.approx(0.00043856, abs=1e-8)  # dE/dw1
    np.testing.assert_allclose(e.layers[0].grad_weight, m[0].weight.grad, rtol=1e-12)
    text = str(e)
    assert "0.0004386" in text and "(1, 2)ᵀ·(1, 2) = (2, 2)" in text and "✗" not in text


def test_two_two_two_matches_the_scalar_engine():
    m, x, y = two_two_two()
    E = 0.5 * ((m(x) - y) ** 2).sum()
    e = explain_layers(E, m)
    i = [Value(0.05), Value(0.10)]
    w = [Value(v) for v in (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)]
    h = [(w[0] * i[0] + w[1] * i[1] + 0.35).sigmoid(), (w[2] * i[0] + w[3] * i[1] + 0.35).sigmoid()]
    o = [(w[4] * h[0] + w[5] * h[1] + 0.6).sigmoid(), (w[6] * h[0] + w[7] * h[1] + 0.6).sigmoid()]
    (0.5 * (0.01 - o[0]) ** 2 + 0.5 * (0.99 - o[1]) ** 2).backward()
    scalar = np.array([v.grad for v in w])
    np.testing.assert_allclose(e.layers[0].grad_weight.reshape(-1), scalar[:4], rtol=1e-12)
    np.testing.assert_allclose(e.layers[1].grad_weight.reshape(-1), scalar[4:], rtol=1e-12)


def network(rng, sizes, acts, last=""):
    mods = []
    for k in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[k], sizes[k + 1], rng=rng))
        act = acts[k] if k < len(sizes) - 2 else last
        if act:
            mods.append(ACTS[act]() if act != "Softmax" else nn.Softmax())
    return nn.Sequential(*mods)


def ce_probs(o, y):
    return -(o.log() * y).sum(axis=-1).mean()


def sum_over_3(o, y):
    return F.mse_loss(o, y, reduction="sum") / 3


LOSSES = {
    # name: (last module, gradtrace loss, torch loss (T.nn.functional: f), target kind)
    "ce-index": ("", F.cross_entropy, lambda f, o, y: f.cross_entropy(o, y), "index"),
    "ce-onehot": ("", F.cross_entropy, lambda f, o, y: f.cross_entropy(o, y), "onehot"),
    "ce-softmax": ("Softmax", ce_probs, lambda f, o, y: ce_probs(o, y), "onehot"),
    "bce-logits": (
        "",
        F.binary_cross_entropy_with_logits,
        lambda f, o, y: f.binary_cross_entropy_with_logits(o, y),
        "labels",
    ),
    "multilabel": (
        "",
        F.multilabel_cross_entropy,
        lambda f, o, y: f.binary_cross_entropy_with_logits(o, y, reduction="none").sum(-1).mean(),
        "labels",
    ),
    "bce-sigmoid": (
        "Sigmoid",
        F.binary_cross_entropy,
        lambda f, o, y: f.binary_cross_entropy(o, y),
        "labels",
    ),
    "mse": ("Tanh", F.mse_loss, lambda f, o, y: f.mse_loss(o, y), "real"),
    "mse-sum": ("", sum_over_3, lambda f, o, y: f.mse_loss(o, y, reduction="sum") / 3, "real"),
}


def targets(rng, kind, n, c):
    if kind == "index":
        return rng.integers(0, c, n)
    if kind == "onehot":
        return np.eye(c)[rng.integers(0, c, n)]
    if kind == "labels":
        return (rng.random((n, c)) < 0.5).astype(float)
    return rng.normal(size=(n, c))


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_every_layer_matches_pytorch_float64(torch, loss_name):
    last, ours, theirs, kind = LOSSES[loss_name]
    rng = np.random.default_rng(len(loss_name))
    model = network(rng, [3, 5, 4, 3], ["Tanh", "LeakyReLU"], last)
    X, y = rng.normal(size=(4, 3)), targets(rng, kind, 4, 3)
    loss = ours(model(X), y)
    loss.backward()
    e = explain_layers(loss, model)
    assert e.agrees, str(e)
    ref = model.to_torch().double()
    zs = []
    h = torch.tensor(X)
    for mod in ref:
        h = mod(h)
        if isinstance(mod, torch.nn.Linear):
            h.retain_grad()
            zs.append(h)
    theirs(torch.nn.functional, h, torch.tensor(y)).backward()
    linears = [mod for mod in ref if isinstance(mod, torch.nn.Linear)]
    for layer, z, lin in zip(e.layers, zs, linears, strict=True):
        np.testing.assert_allclose(layer.z, z.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(layer.delta, z.grad.numpy(), rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(
            layer.grad_weight, lin.weight.grad.numpy(), rtol=1e-9, atol=1e-14
        )
        np.testing.assert_allclose(layer.grad_bias, lin.bias.grad.numpy(), rtol=1e-9, atol=1e-14)


def test_head_delta_is_a_minus_y_over_n_by_hand():
    rng = np.random.default_rng(1)
    model = network(rng, [2, 3, 4], ["ReLU"])
    X, y = rng.normal(size=(5, 2)), rng.integers(0, 4, 5)
    e = explain_layers(F.cross_entropy(model(X), y), model)
    z = e.layers[-1].z
    a = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(e.layers[-1].delta, (a - np.eye(4)[y]) / 5, rtol=1e-12)
    hidden = e.layers[0]  # delta^L = h'(z^L) * (delta^{L+1} W^{L+1}), rows as examples
    expect = (hidden.z > 0) * (e.layers[1].delta @ model[2].weight.data)
    np.testing.assert_allclose(hidden.delta, expect, rtol=1e-12)
    np.testing.assert_allclose(hidden.grad_weight, hidden.delta.T @ X, rtol=1e-12)
    assert e.head.divisor == 5 and "(1/5)·(softmax(z^H) − y)" in str(e)


def test_a_wrong_grad_is_reported_not_hidden():
    m, x, y = two_two_two()
    E = 0.5 * ((m(x) - y) ** 2).sum()
    E.backward()
    m[2].weight.grad = m[2].weight.grad + 1e-3  # as if backward had accumulated something else
    e = explain_layers(E, m)
    assert not e.agrees and e.layers[1].weight_agrees is False
    assert "✗ DIFFERS from 2.weight.grad" in str(e)
    assert e.disagreements()[0].startswith("layer 1: 2.weight.grad is off by up to 0.001")
    assert "backward ran for another loss" in e.disagreements()[-1]
    assert len(e.disagreements()) == 2  # only the changed .grad, and the cause


@pytest.mark.parametrize("passes", [2, 3])
def test_backward_run_twice_without_zero_grad_is_named_with_its_cure(passes):
    m, x, y = two_two_two()
    E = 0.5 * ((m(x) - y) ** 2).sum()
    for _ in range(passes):
        E.backward()
    e = explain_layers(E, m)
    assert e.agrees is False
    found = e.disagreements()
    assert found[:4] == [
        f"layer 0: 0.weight.grad is {passes}× the equations' ∂J/∂weight^0",
        f"layer 0: 0.bias.grad is {passes}× the equations' ∂J/∂bias^0",
        f"layer 1: 2.weight.grad is {passes}× the equations' ∂J/∂weight^1",
        f"layer 1: 2.bias.grad is {passes}× the equations' ∂J/∂bias^1",
    ]
    assert f"accumulated over {passes} backward passes" in found[4] and "zero_grad()" in found[4]
    text = str(e)
    assert "SOMETHING DISAGREES" not in text and all(line in text for line in found)
    assert f"accumulated over {passes} backward passes" in e._repr_markdown_()
    m.zero_grad()
    E.backward()
    assert explain_layers(E, m).agrees is True and not explain_layers(E, m).disagreements()


def test_before_backward_the_grads_are_not_checked_but_deltas_are():
    m, x, y = two_two_two()
    e = explain_layers(0.5 * ((m(x) - y) ** 2).sum(), m)
    assert e.layers[0].weight_agrees is None and e.layers[0].delta_agrees
    assert "backward has not run" in str(e)
    assert e.agrees is None and not e.agrees  # nothing was checked: not a pass
    assert e.unchecked == ["0.weight.grad", "0.bias.grad", "2.weight.grad", "2.bias.grad"]
    last = str(e).splitlines()[-1]
    assert "the gradients are NOT checked: backward() has not run" in last
    assert "every δ and gradient agrees" not in str(e)
    assert "NOT checked" in e._repr_markdown_()


def test_markdown_has_the_equations_and_matrices_in_latex():
    m, x, y = two_two_two()
    md = explain_layers(0.5 * ((m(x) - y) ** 2).sum(), m)._repr_markdown_()
    assert "\\begin{bmatrix} 0.0004386 & 0.0008771" in md
    assert "\\delta^L = h'(z^L) \\odot W^{L+1}\\delta^{L+1}" in md


def test_large_layers_are_summarised_not_printed_in_full():
    rng = np.random.default_rng(2)
    model = network(rng, [30, 40, 10], ["ReLU"])
    X = rng.normal(size=(64, 30))
    e = explain_layers(F.cross_entropy(model(X), rng.integers(0, 10, 64)), model)
    text = str(e)
    assert e.layers[0].grad_weight.shape == (40, 30) and len(text.splitlines()) < 40
    assert "norm" in text and all(L.delta_agrees for L in e.layers)
    assert e.agrees is None  # no backward: the gradients were not checked


@pytest.mark.parametrize(
    "model, why",
    [
        (nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), "module 0 (Conv2d) is not covered"),
        (nn.Sequential(nn.Linear(2, 3), nn.Softmax(), nn.Linear(3, 2)), "module 1 (Softmax)"),
        (nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5)), "module 1 (Dropout) is not covered"),
        (nn.Linear(2, 3), "got Linear"),
    ],
)
def test_uncovered_models_are_named_errors(model, why):
    with pytest.raises(ValueError, match=why.replace("(", r"\(").replace(")", r"\)")):
        explain_layers(Tensor(1.0, requires_grad=True), model)


def test_a_custom_forward_is_refused_by_name():
    class Twice(nn.Sequential):
        def forward(self, x):
            return super().forward(super().forward(x))

    with pytest.raises(ValueError, match="Twice overrides Sequential's forward"):
        explain_layers(Tensor(1.0, requires_grad=True), Twice(nn.Linear(2, 2)))


def test_a_loss_it_does_not_cover_is_a_clear_error():
    m, x, y = two_two_two()
    with pytest.raises(ValueError, match="not one the five equations cover"):
        explain_layers(F.l1_loss(m(x), y), m)
    with pytest.raises(ValueError, match="does not depend on module 0"):
        explain_layers((Tensor([1.0], requires_grad=True) * 2).sum(), m)


def test_a_loss_that_is_not_a_one_element_tensor_is_refused_by_type():
    m, x, y = two_two_two()
    for loss in (Value(1.0) * 2, m(x), 0.5):  # a Value graph, a (1, 2) output, a number
        with pytest.raises(TypeError, match="loss must be a single-element Tensor"):
            explain_layers(loss, m)


def test_a_float32_model_is_checked_to_float32_precision():
    rng = np.random.default_rng(3)
    m = nn.Sequential(
        nn.Linear(3, 4, dtype=np.float32, rng=rng),
        nn.Tanh(),
        nn.Linear(4, 3, dtype=np.float32, rng=rng),
    )
    loss = F.cross_entropy(m(rng.normal(size=(5, 3)).astype(np.float32)), rng.integers(0, 3, 5))
    loss.backward()
    e = explain_layers(loss, m)
    assert e.agrees and e.layers[0].grad_weight.dtype == np.float32
    m[0].weight.grad = m[0].weight.grad * 1.01  # a 1% error is still found
    assert not explain_layers(loss, m).agrees
