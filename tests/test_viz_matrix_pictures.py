"""Tensor graphs drawn as matrices: small tensors in full, row by row (values above, gradients
below, four significant digits), big ones summarised; parameters and module outputs named
without labels; every inner gradient shown after backward; show_local writes each gate's rule."""

import numpy as np
from gradtrace import Tensor
from gradtrace.viz import draw
from lecture_nets import T, X, two_two_two_model


def two_two_two():
    """The lecture's 2-2-2 network (notes 003) as Tensors, after backward."""
    m = two_two_two_model()
    E = 0.5 * ((m(Tensor([X])) - Tensor([T])) ** 2).sum()
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


def test_explain_writes_each_gate_rule_with_shapes_and_numbers_ending_in_wrt_grad():
    from gradtrace.viz import explain

    m, E = two_two_two()
    text = str(explain(E, wrt=m[0].weight))  # no label, no retain_grad
    assert "the linear gate's rule: dW = δᵀ·X   (1, 2)ᵀ·(1, 2) = (2, 2)" in text
    assert "dz = δ ⊙ σ(z)(1 − σ(z))" in text
    assert "[ 0.1385  -0.0381 ]" in text  # delta_o1, delta_o2 (notes: 0.1384985, -0.0380983)
    assert "[ 0.0004386  0.0008771 ]" in text  # dE/dw1, dE/dw2 (notes: 0.00043856 ...)
    ending = text.split("0.weight.grad (backward) =")[1]  # the explanation ends in wrt.grad
    assert "✓ the same as the rules give" in ending and "the linear gate" not in ending
    md = explain(E, wrt=m[0].weight)._repr_markdown_()
    assert "\\begin{bmatrix} 0.0004386 & 0.0008771 \\\\ 0.0004977 & 0.0009954 \\end{bmatrix}" in md


def test_explain_says_when_grad_is_not_what_the_rules_give():
    from gradtrace.viz import explain

    m, E = two_two_two()
    E.backward()  # a second pass: the leaves hold twice the gradient
    assert "✗ NOT what the rules give" in str(explain(E, wrt=m[0].weight))


def test_explain_of_a_small_cnn_writes_the_pooling_and_convolution_rules():
    from gradtrace import conv2d, max_pool2d
    from gradtrace.viz import explain

    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(1, 1, 4, 4)))
    w = Tensor(rng.normal(size=(1, 1, 3, 3)), requires_grad=True, label="w")
    loss = max_pool2d(conv2d(x, w), 2).sum()
    loss.backward()
    text = str(explain(loss, wrt=w))
    assert "each window's δ routed to its arg-max" in text
    assert "Σ over n, j, k of δ[n, o, j, k] ⊙ window (j, k)" in text
    assert "✓ the same as the rules give" in text


def test_explain_checks_a_float32_graph_to_float32_precision():
    from gradtrace.viz import explain

    w = Tensor(np.array([[0.3, -0.2], [0.1, 0.5]], np.float32), requires_grad=True, label="w")
    loss = (Tensor(np.array([[1.0, 2.0]], np.float32)) @ w).tanh().sum()
    loss.backward()
    assert "✓ the same as the rules give" in str(explain(loss, wrt=w))
