"""Every Tensor gate's backward rule, as the lecture writes it (autograd/tensor_rules.py),
gives the same numbers as the gate's VJP on random inputs: the words and the computation
cannot drift apart."""

import numpy as np
import pytest
from gradtrace import Tensor, linear, rule_of, topological_order
from gradtrace.nn import functional as F
from gradtrace.tensor import GATES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensor_cases import CASES


def gate_nodes(out, name):
    """The nodes of `out`'s graph made by the gate `name`."""
    return [n for n in topological_order(out) if n.gate is GATES[name]]


def test_every_gate_has_a_rule_in_its_record():
    for name, gate in GATES.items():
        assert gate.rule.parts, name
        assert all(p.text for p in gate.rule.parts), name


@pytest.mark.parametrize("name", sorted(GATES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_rule_gives_the_vjp_numbers(name, data):
    fn, arrays = CASES[name](data.draw)
    out = fn(*[Tensor(a, requires_grad=True) for a in arrays])
    rng = np.random.default_rng(0)
    for node in gate_nodes(out, name):
        g = rng.normal(size=node.shape)
        rule = rule_of(node)
        xs = [p.data for p in node.parents]
        settings_ = {**(node.settings or {}), **(node._saved or {})}
        by_vjp = dict((id(p), share) for p, share in node._shares(g))
        for i, parent in enumerate(node.parents):
            if id(parent) not in by_vjp:
                continue
            by_rule = rule.compute(i, g, node.data, xs, settings_)
            assert np.shape(by_rule) == parent.shape, (name, i)
            np.testing.assert_allclose(by_rule, by_vjp[id(parent)], rtol=1e-10, atol=1e-12)
            name_, text, shapes = rule.lines(g, xs, settings_)[i]
            assert text and shapes and name_


def test_a_wrong_rule_would_be_caught():
    """The check can fail: the sigmoid rule with tanh's derivative disagrees with the VJP."""
    z = Tensor(np.linspace(-2, 2, 5), requires_grad=True)
    node = z.sigmoid()
    g = np.ones(5)
    (vjp,) = [s for _, s in node._shares(g)]
    wrong = g * (1 - np.tanh(z.data) ** 2)
    assert not np.allclose(wrong, vjp)
    assert np.allclose(rule_of(node).compute(0, g, node.data, [z.data], {}), vjp)


def test_lecture_shapes_for_linear_and_matmul():
    x, w, b = (Tensor(np.ones(s), requires_grad=True) for s in [(1, 2), (2, 2), (2,)])
    node = linear(x, w, b)
    lines = rule_of(node).lines(np.ones((1, 2)), [x.data, w.data, b.data], {})
    assert lines[0][1:] == ("δ·W", "(1, 2)·(2, 2) = (1, 2)")
    assert lines[1][1:] == ("δᵀ·X", "(1, 2)ᵀ·(1, 2) = (2, 2)")
    assert lines[2][1] == "Σₙ δ"
    m = x @ w
    assert rule_of(m).lines(np.ones((1, 2)), [x.data, w.data], {})[1][1:] == (
        "Aᵀ·δ",
        "(1, 2)ᵀ·(1, 2) = (2, 2)",
    )


def test_bce_gate_rule_matches_its_vjp():
    a = Tensor(np.array([0.2, 0.7, 0.9]), requires_grad=True)
    y = Tensor(np.array([0.0, 1.0, 1.0]), requires_grad=True)
    loss = F.binary_cross_entropy(a, y, reduction="none")
    node = loss if loss.gate is not None and loss.gate.name == "bce" else loss.parents[0]
    g = np.array([1.0, -2.0, 0.5])
    shares = dict((id(p), s) for p, s in node._shares(g))
    for i, p in enumerate(node.parents):
        by_rule = rule_of(node).compute(i, g, node.data, [a.data, y.data], node._saved)
        np.testing.assert_allclose(by_rule, shares[id(p)], rtol=1e-12)


def test_a_broadcast_input_is_said_to_be_summed_back_along_its_axis():
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    lines = rule_of(x + b).lines(np.ones((4, 3)), [x.data, b.data], {})
    assert lines[1] == ("b", "δ", "(4, 3) → (4, 3), summed over axis 0 to (3,) (it was broadcast)")
    s = x.sum(axis=0)
    assert rule_of(s).lines(np.ones(3), [x.data], s.settings)[0][2] == (
        "(3,) → (4, 3), copied along axis 0"
    )
