"""Tensor graphs drawn as matrices: small tensors in full, row by row (values above, gradients
below, four significant digits), big ones summarised; parameters and module outputs named
without labels; every inner gradient shown after backward; show_local writes each gate's rule."""

import numpy as np
from gradtrace import Tensor, nn
from gradtrace.viz import draw


def two_two_two():
    """The lecture's 2-2-2 network (notes 003) as Tensors, after backward."""
    m = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid())
    m[0].weight.data[:] = [[0.15, 0.20], [0.25, 0.30]]
    m[0].bias.data[:] = 0.35
    m[2].weight.data[:] = [[0.40, 0.45], [0.50, 0.55]]
    m[2].bias.data[:] = 0.60
    E = 0.5 * ((m(Tensor([[0.05, 0.10]])) - Tensor([[0.01, 0.99]])) ** 2).sum()
    E.backward()
    return m, E


def test_a_two_by_two_gradient_is_drawn_in_full_at_four_digits():
    _, E = two_two_two()
    src = draw(E).source
    for number in ("0.0004386", "0.0008771", "0.0004977", "0.0009954"):  # dE/dw1..w4
        assert f">{number}<" in src
    assert "0.000439," not in src and "norm" not in src  # not the old flat summary


def test_parameters_and_module_outputs_are_named_without_labels():
    _, E = two_two_two()
    src = draw(E).source
    for name in ("0.weight", "0.bias", "2.weight", "Linear 0 output", "Sigmoid 3 output"):
        assert name in src


def test_inner_gradients_are_shown_after_backward_without_retain_grad():
    _, E = two_two_two()
    src = draw(E).source
    assert "retain_grad" not in src
    assert ">0.1385<" in src and ">-0.0381<" in src  # delta_o1, delta_o2 on Linear 2's output


def test_show_local_writes_each_tensor_gate_rule_with_shapes():
    _, E = two_two_two()
    src = draw(E, show_local=True).source
    assert "dW = δᵀ·X" in src and "(1, 2)ᵀ·(1, 2) = (2, 2)" in src
    assert "db = Σₙ δ" in src and "dz = δ × σ(z)(1 − σ(z))" in src


def test_large_tensors_keep_the_summary_and_a_small_picture():
    x = Tensor(np.arange(49.0).reshape(7, 7) / 10, requires_grad=True)
    v = Tensor(np.arange(13.0), requires_grad=True)
    loss = (x * 2).sum() + (v * v).sum()
    loss.backward()
    src = draw(loss).source
    assert src.count("norm") >= 4  # x, 2x, v, v*v: values and gradients summarised
    assert len(src) < 20_000
    small = Tensor(np.arange(12.0), requires_grad=True)
    assert ">11<" in draw((small * 1).sum()).source  # a vector of 12 is drawn in full


def test_backward_steps_replay_a_tensor_graph_with_each_gate_rule():
    from gradtrace.viz import backward_steps

    m, E = two_two_two()
    steps = backward_steps(E)
    assert len(steps) == 9  # the seed, then *, sum, **2, -, sigmoid, linear, sigmoid, linear
    last = steps.steps[-1]
    assert "dW = δᵀ·X = [[0.0004386, 0.0008771], [0.0004977, 0.0009954]]" in last.caption
    assert "(1, 2)ᵀ·(1, 2) = (2, 2)" in last.caption
    final = {id(p): d for p, _, _, _, d in last.products}
    np.testing.assert_allclose(final[id(m[0].weight)], m[0].weight.grad, rtol=1e-12)
    src = steps[6].source  # the second-layer linear gate at work: its rule under its wires
    assert "dW = δᵀ·X" in src and ">0.08217<" in src
    assert "0.weight" in steps[0].source and "0.0004386" not in steps[0].source


def test_the_page_steps_through_the_tensor_network_and_its_panel_has_the_matrix():
    from gradtrace.viz import explore

    _, E = two_two_two()
    page = explore(E).page()
    assert "[ 0.0004386  0.0008771 ]\\n[ 0.0004977  0.0009954 ]" in page  # 0.weight.grad
    assert "dW = δᵀ·X" in page and "retain_grad" not in page


def test_large_tensors_never_make_a_large_page():
    from gradtrace.viz import explore

    rng = np.random.default_rng(0)
    w = Tensor(rng.normal(size=(100, 100)), requires_grad=True)
    x = Tensor(rng.normal(size=(50, 100)))
    loss = ((x @ w).tanh() ** 2).mean()
    loss.backward()
    page = explore(loss).page()
    assert len(page.encode()) < 150_000 and "norm" in page
