"""Scalar (Value) models: Neuron, Layer, MLP, heads, and the lecture's 2-2-2 network."""

import math

import numpy as np
import pytest
from gradtrace import Value
from gradtrace.nn import MLP, Layer, Neuron
from gradtrace.nn.optim import SGD


def lecture_net():
    """The 2-2-2 sigmoid network of lecture 003 (w1..w4 into the hidden layer, w5..w8 out;
    one shared bias per layer, 0.35 and 0.60)."""
    return MLP.from_weights(
        [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]],
        biases=[0.35, 0.60],
        activation="sigmoid",
        head="sigmoid",
    )


def squared_error(outputs, targets):
    return 0.5 * sum((t - o) ** 2 for o, t in zip(outputs, targets, strict=True))


def weights_only(net):
    return [p for name, p in net.named_parameters() if not name.endswith(".b")]


def test_lecture_network_total_error():
    net = lecture_net()
    # lecture 003: E_total = 0.298371109
    assert squared_error(net([0.05, 0.10]), [0.01, 0.99]).data == pytest.approx(
        0.298371109, abs=1e-9
    )


def test_lecture_network_one_update_with_biases_frozen():
    net = lecture_net()
    opt = SGD(weights_only(net), lr=0.5)
    squared_error(net([0.05, 0.10]), [0.01, 0.99]).backward()
    opt.step()
    w = [p.data for p in weights_only(net)]
    # DESIGN.md table (from the lecture): w1..w4 then w5..w8 after one update
    expected = [
        0.14978072,
        0.19956143,
        0.24975114,
        0.29950229,
        0.35891648,
        0.40866619,
        0.51130127,
        0.56137012,
    ]
    assert w == pytest.approx(expected, abs=1e-8)
    assert [p.data for p in net.parameters() if p.label.endswith("b")] == [0.35, 0.35, 0.6, 0.6]
    # exact float64 error after the update (the notes print 0.291027924 from rounded numbers)
    assert squared_error(net([0.05, 0.10]), [0.01, 0.99]).data == pytest.approx(
        0.2910277737, abs=1e-10
    )


def test_lecture_network_after_10000_updates():
    net = lecture_net()
    opt = SGD(weights_only(net), lr=0.5)
    for _ in range(10_000):
        opt.zero_grad()
        squared_error(net([0.05, 0.10]), [0.01, 0.99]).backward()
        opt.step()
    out = net([0.05, 0.10])
    # DESIGN.md: 3.5102e-05 with outputs 0.0159136, 0.9840643
    assert squared_error(out, [0.01, 0.99]).data == pytest.approx(3.5102e-05, rel=1e-4)
    assert [o.data for o in out] == pytest.approx([0.0159136, 0.9840643], abs=1e-7)


def test_neuron_weights_are_labelled_for_graphs():
    n = Neuron(3, seed=0)
    assert [p.label for p in n.parameters()] == ["w0", "w1", "w2", "b"]
    assert MLP(2, [2, 1], seed=0).layers[1].neurons[0].w[1].label == "L2.n0.w1"


def test_neuron_is_one_linear_gate_before_its_activation():
    n = Neuron(3, activation="tanh", seed=0)
    out = n([1.0, 2.0, 3.0])
    assert out.op == "tanh"
    (z,) = out.parents
    assert z.op == "linear" and z.parents == (*n.w, n.b)  # numbers are folded in
    assert z.local_grads == (1.0, 2.0, 3.0, 1.0)


def test_unfused_neuron_draws_mul_gates_and_one_sum_with_the_same_numbers():
    fused, unfused = Neuron(3, seed=0), Neuron(3, seed=0, fused=False)
    x = [Value(1.0), Value(-2.0), Value(0.5)]
    a, b = fused(x), unfused(x)
    (z,) = b.parents
    assert z.op == "+" and [p.op for p in z.parents] == ["*", "*", "*", ""]
    a.backward()
    grads = [v.grad for v in [*fused.parameters(), *x]]
    for v in x:
        v.grad = 0.0
    b.backward()
    assert a.data == pytest.approx(b.data, abs=1e-15)
    assert grads == pytest.approx([v.grad for v in [*unfused.parameters(), *x]], abs=1e-15)


@pytest.mark.parametrize(
    "activation, f",
    [
        ("tanh", math.tanh),
        ("relu", lambda z: max(z, 0.0)),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        ("linear", lambda z: z),
        (None, lambda z: z),
    ],
)
def test_neuron_activation_is_applied_to_the_weighted_sum(activation, f):
    n = Neuron(2, activation, seed=3).set_weights([0.5, -2.0], 0.25)
    z = 0.5 * 0.5 + -2.0 * 0.625 + 0.25  # by hand: w.x + b = -0.75
    assert n([0.5, 0.625]).data == pytest.approx(f(z))


def test_neuron_accepts_values_as_inputs_and_passes_gradient_to_them():
    x = [Value(1.0, "x0"), Value(-2.0, "x1")]
    n = Neuron(2, "linear", seed=0).set_weights([3.0, 4.0], 0.0)
    n(x).backward()
    assert [xi.grad for xi in x] == [3.0, 4.0]  # d(w.x)/dx = w, by hand


def test_layer_of_width_one_still_returns_a_list():
    out = Layer(2, 1, seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1


def test_mlp_returns_a_value_for_one_output_and_a_list_otherwise():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 4], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 4


def test_mlp_last_layer_is_linear_and_hidden_layers_use_activation():
    net = MLP(2, [3, 3, 2], activation="relu", seed=0)
    assert [layer.activation for layer in net.layers] == ["relu", "relu", "linear"]


def test_softmax_head_gives_a_distribution_and_is_stable_for_huge_scores():
    net = MLP.from_weights([[[1000.0, 0.0], [0.0, 1000.0], [-1000.0, 0.0]]], head="softmax")
    probs = net([1.0, 0.5])
    assert sum(p.data for p in probs) == pytest.approx(1.0)
    assert all(math.isfinite(p.data) for p in probs)
    probs[0].backward()


def test_softmax_head_matches_numpy():
    net = MLP(3, [4, 3], head="softmax", seed=1)
    scores = MLP(3, [4, 3], seed=1)([0.1, -0.4, 0.8])
    s = np.array([v.data for v in scores])
    expected = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
    assert [p.data for p in net([0.1, -0.4, 0.8])] == pytest.approx(expected, abs=1e-12)


def test_sigmoid_head_squashes_each_output():
    out = MLP(2, [3, 2], head="sigmoid", seed=0)([1.0, -1.0])
    assert all(0 < o.data < 1 for o in out)


def test_same_seed_builds_the_same_model_and_a_generator_works_too():
    a = MLP(2, [4, 1], seed=7).state_dict()
    b = MLP(2, [4, 1], seed=7).state_dict()
    c = MLP(2, [4, 1], rng=np.random.default_rng(7)).state_dict()
    assert all(np.array_equal(a[k], b[k]) and np.array_equal(a[k], c[k]) for k in a)
    d = MLP(2, [4, 1], seed=8).state_dict()
    assert not all(np.array_equal(a[k], d[k]) for k in a)


def test_building_a_model_leaves_numpy_global_random_state_alone():
    np.random.seed(0)
    expected = np.random.random()
    np.random.seed(0)
    MLP(2, [16, 16, 1])
    assert np.random.random() == expected


def test_wrong_number_of_inputs_names_the_model_and_both_counts():
    with pytest.raises(ValueError, match="MLP: expected 2 inputs, got 3"):
        MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Neuron: expected 2 inputs, got 1"):
        Neuron(2, seed=0)([1.0])


@pytest.mark.parametrize("bad", [dict(activation="softplus"), dict(head="relu")])
def test_unknown_activation_or_head_is_a_value_error(bad):
    with pytest.raises(ValueError):
        MLP(2, [1], **bad)


def test_from_weights_checks_that_layer_shapes_chain():
    with pytest.raises(ValueError, match=r"weights\[1\]"):
        MLP.from_weights([np.zeros((3, 2)), np.zeros((1, 4))])


def test_scalar_models_refuse_a_bool_as_a_size():
    # before, Neuron(True) was a one-input neuron and Layer(2, True) a one-neuron layer
    with pytest.raises(ValueError, match="Neuron: nin must be a positive int, got True"):
        Neuron(True)
    with pytest.raises(ValueError, match="Layer: nout must be a positive int, got True"):
        Layer(2, True)
