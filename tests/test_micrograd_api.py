"""gradtrace.micrograd: micrograd's public API on gradtrace's engine, same numbers as micrograd."""

import random

import gradtrace
import numpy as np
import pytest
from gradtrace import micrograd as gm
from gradtrace.micrograd import nn as gnn

micrograd_engine = pytest.importorskip("micrograd.engine")
micrograd_nn = pytest.importorskip("micrograd.nn")


def test_value_has_micrograd_names_and_is_a_gradtrace_value():
    a, b = gm.Value(2.0), gm.Value(-3.0)
    ab = a * b
    c = ab + a
    assert isinstance(c, gm.Value) and isinstance(c, gradtrace.Value)
    assert c._op == "+" and c._prev == {ab, a} and ab._op == "*"
    c.backward()
    assert (a.grad, b.grad) == (-2.0, 2.0)  # d/da (ab + a) = b + 1, d/db = a


def test_a_node_built_by_hand_gets_its_local_gradients_from_its_op():
    a, b = gm.Value(2.0), gm.Value(-3.0)
    out = gm.Value(a.data * b.data, (a, b), "*")
    out.backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)
    with pytest.raises(ValueError, match="knows"):
        gm.Value(1.0, (a,), "mystery")


def moons_losses(Value, MLP, steps, n=24):
    """micrograd's demo training (hinge loss, L2 1e-4, lr 1 - 0.9 k / 100) on moons, seeded as
    the demo seeds it: the losses step by step."""
    random.seed(1337)
    np.random.seed(1337)
    X, y = gradtrace.nn.data.make_moons(n, noise=0.1, seed=1337)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])
    losses = []
    for k in range(steps):
        inputs = [list(map(Value, row)) for row in X]
        scores = list(map(model, inputs))
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)) * (
            1.0 / len(X)
        )
        total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        losses.append(total.data)
    return losses


def test_the_demo_training_gives_micrograds_losses_step_by_step():
    ours = moons_losses(gm.Value, gnn.MLP, steps=6)
    theirs = moons_losses(micrograd_engine.Value, micrograd_nn.MLP, steps=6)
    assert ours == pytest.approx(theirs, rel=1e-12, abs=0)
    assert ours[-1] < ours[0]


def test_models_draw_the_same_weights_as_micrograd():
    random.seed(7)
    ours = gnn.MLP(3, [4, 1])
    random.seed(7)
    theirs = micrograd_nn.MLP(3, [4, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert len(gnn.Neuron(3).parameters()) == 4 and gnn.Neuron(3).nonlin
    assert isinstance(gnn.Layer(2, 1)([1.0, 2.0]), gradtrace.Value)  # one output: a Value


def draw_dot_like(root):
    """What a micrograd course's draw_dot does: walk _prev, read _op, data and grad."""
    nodes, edges, stack = set(), set(), [root]
    while stack:
        v = stack.pop()
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                stack.append(child)
    return {(v._op, round(v.data, 6), round(v.grad, 6)) for v in nodes}, len(edges)


def test_a_micrograd_style_draw_dot_works_on_these_values():
    x, w = gm.Value(2.0), gm.Value(-3.0)
    out = (x * w + 1).relu()
    out.backward()
    seen, n_edges = draw_dot_like(out)
    assert ("*", -6.0, 0.0) in seen and ("relu", 0.0, 1.0) in seen and n_edges == 4
