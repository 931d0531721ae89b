"""The lecture's worked examples on the scalar engine, exact to 1e-9 (DESIGN.md table)."""

import pytest
from gradtrace import Value


def test_chain_rule_x_plus_y_times_z():
    # Lecture 003: f = (x+y)z at (-2, 5, -4): f = -12, df/dx = -4, df/dy = -4, df/dz = 3.
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    assert f.data == -12.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)
    assert q.grad == -4.0  # df/dq = z


def test_second_backward_adds_to_leaves_and_recomputes_inner_nodes():
    # DESIGN.md: as in PyTorch, leaves accumulate across calls (x.grad -4 -> -8).
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    q = x + y
    f = q * z
    f.backward()
    f.backward()
    assert (x.grad, y.grad, z.grad) == (-8.0, -8.0, 6.0)
    assert q.grad == -4.0 and f.grad == 1.0


def test_zero_grad_clears_the_whole_graph():
    x, y = Value(2.0), Value(3.0)
    f = x * y
    f.backward()
    f.zero_grad()
    assert (x.grad, y.grad, f.grad) == (0.0, 0.0, 0.0)
    f.backward()
    assert (x.grad, y.grad) == (3.0, 2.0)


NEURON_GRADS = {  # lecture 003 rounds these to -0.2, 0.39, -0.39, -0.59, 0.2
    "w0": -0.1966119332,
    "x0": 0.3932238665,
    "w1": -0.3932238665,
    "x1": -0.5898357997,
    "w2": 0.1966119332,
}


def _neuron_inputs():
    return {
        "w0": Value(2.0, "w0"),
        "x0": Value(-1.0, "x0"),
        "w1": Value(-3.0, "w1"),
        "x1": Value(-2.0, "x1"),
        "w2": Value(-3.0, "w2"),
    }


def test_sigmoid_neuron_fused_gate():
    v = _neuron_inputs()
    f = (v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]).sigmoid()
    f.backward()
    assert f.data == pytest.approx(0.7310585786, abs=1e-9)
    for name, expected in NEURON_GRADS.items():
        assert v[name].grad == pytest.approx(expected, abs=1e-9), name


def test_sigmoid_neuron_gate_by_gate_matches_fused():
    # The slides' circuit: *, +, *-1, exp, +1, 1/x. Same value and gradients as the fused gate.
    v = _neuron_inputs()
    dot = v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]
    neg = -dot
    e = neg.exp()
    den = e + 1
    f = den.reciprocal()
    f.backward()
    assert [n.op for n in (neg, e, den, f)] == ["*-1", "exp", "+1", "1/x"]
    assert f.data == pytest.approx(0.7310585786, abs=1e-9)
    # The slides' intermediate gradients: 1/x gives -0.53, +1 gives -0.53, exp gives -0.2.
    assert den.grad == pytest.approx(-1 / 1.37**2, abs=1e-2)
    assert neg.grad == pytest.approx(-0.53 * 0.37, abs=1e-2)
    assert dot.grad == pytest.approx(0.1966119332, abs=1e-9)
    for name, expected in NEURON_GRADS.items():
        assert v[name].grad == pytest.approx(expected, abs=1e-9), name


def _two_two_two(w, inputs=(0.05, 0.10), targets=(0.01, 0.99)):
    """The 2-2-2 sigmoid network of lecture 003 with squared error E = sum 1/2 (t - o)^2."""
    i1, i2 = inputs
    b1, b2 = 0.35, 0.60  # biases are not updated, as in the notes
    h1 = (w[1] * i1 + w[2] * i2 + b1).sigmoid()
    h2 = (w[3] * i1 + w[4] * i2 + b1).sigmoid()
    o1 = (w[5] * h1 + w[6] * h2 + b2).sigmoid()
    o2 = (w[7] * h1 + w[8] * h2 + b2).sigmoid()
    error = 0.5 * (targets[0] - o1) ** 2 + 0.5 * (targets[1] - o2) ** 2
    return error, (o1, o2)


def _weights():
    init = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
    return {k: Value(x, f"w{k}") for k, x in zip(range(1, 9), init, strict=True)}


def _sgd_step(w, lr=0.5):
    error, outputs = _two_two_two(w)
    error.backward()
    for v in w.values():
        v.data -= lr * v.grad
        v.grad = 0.0
    return error, outputs


def test_two_two_two_network_first_update():
    w = _weights()
    error, _ = _sgd_step(w)
    assert error.data == pytest.approx(0.298371109, abs=1e-9)  # lecture 003
    expected = {  # lecture 003 (which mislabels w2..w4 as w1..w3)
        1: 0.14978072,
        2: 0.19956143,
        3: 0.24975114,
        4: 0.29950229,
        5: 0.35891648,
        6: 0.40866619,
        7: 0.51130127,
        8: 0.56137012,
    }
    for k, value in expected.items():
        assert w[k].data == pytest.approx(value, abs=1e-8), f"w{k}"
    # Exact float64. The notes print 0.291027924: their source updates w5..w8 first and uses
    # the new w5, w7 for the hidden gradients (notebook 04 reproduces that to nine digits).
    after, _ = _two_two_two(w)
    assert after.data == pytest.approx(0.2910277737, abs=1e-9)


def test_two_two_two_network_after_ten_thousand_updates():
    w = _weights()
    for _ in range(10_000):
        _sgd_step(w)
    error, (o1, o2) = _two_two_two(w)
    # Exact float64 (DESIGN.md); the notes print 0.0000351085, 0.015912196, 0.984065734.
    assert error.data == pytest.approx(3.5102e-05, abs=1e-9)
    assert o1.data == pytest.approx(0.0159136, abs=1e-7)
    assert o2.data == pytest.approx(0.9840643, abs=1e-7)
