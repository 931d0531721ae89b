"""The one backward pass and what every node records: backward processes the engine's own
topological order and returns it, and every gate (Value or Tensor, built-in or a learner's)
records enough to be re-run on nudged inputs, which is what a gate checker does."""

import math

import numpy as np
import pytest
from gradtrace import Tensor, Value, linear, topological_order, vsum
from gradtrace.custom_gates import rerun
from gradtrace.tensor import GATES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensor_cases import CASES

H = 1e-6


# ---------------------------------------------------------------------- the one order
def test_backward_returns_the_order_it_processed_each_node_before_its_parents():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z + q
    order = f.backward()
    assert order == topological_order(f)
    assert order[0] is f and len(order) == 6  # f, q*z, q, z, x, y: each node once
    position = {id(n): i for i, n in enumerate(order)}
    assert all(position[id(p)] > position[id(n)] for n in order for p in n.parents)


def test_tensor_backward_returns_the_same_order_as_topological_order():
    a = Tensor(np.ones((2, 2)), requires_grad=True)
    out = ((a @ a).relu() + a).sum()
    order = out.backward()
    assert [id(n) for n in order] == [id(n) for n in topological_order(out)]
    assert order[0] is out and order[-1] is a


# ---------------------------------------------------------------------- Value records
def _value_nodes():
    """One node of every built-in Value gate (parents in general position)."""
    x, y, z, w = Value(0.7), Value(-1.3), Value(2.1), Value(0.4)
    return [
        x + y,
        x * y,
        x.max(y),
        y.max(x),
        x**2,
        x**3,
        z**0.5,
        x**-1.5,
        x.exp(),
        z.log(),
        x.reciprocal(),
        x.tanh(),
        y.sigmoid(),
        x.relu(),
        x + 1.5,
        x - 2.5,
        x * 0.3,
        x / 4,
        2 - x,
        3 / z,
        x.max(0.2),
        y.max(0.2),
        vsum([x, y, z]),
        vsum([x, 2.0]),
        linear([x, 2.0, y], [z, w, x], y),
        linear([3.0, x], [z, w]),
    ]


@pytest.mark.parametrize("k", range(len(_value_nodes())))
def test_every_value_gate_reruns_to_its_value_and_its_local_gradients(k):
    node = _value_nodes()[k]
    xs = [p.data for p in node.parents]
    assert rerun(node, xs) == pytest.approx(node.data, rel=1e-6), node.op
    for i in range(len(xs)):
        up = rerun(node, [x + H * (j == i) for j, x in enumerate(xs)])
        down = rerun(node, [x - H * (j == i) for j, x in enumerate(xs)])
        assert (up - down) / (2 * H) == pytest.approx(node.local_grads[i], rel=1e-5, abs=1e-6)


def test_rerun_never_reads_the_recorded_local_gradients():
    node = Value(3.0) * 0.5
    node.local_grads = (99.0,)  # a planted wrong local gradient
    numeric = (rerun(node, [3.0 + H]) - rerun(node, [3.0 - H])) / (2 * H)
    assert numeric == pytest.approx(0.5) and math.isfinite(numeric)


# ---------------------------------------------------------------------- Tensor records
@pytest.mark.parametrize("name", sorted(GATES))
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_tensor_gate_reruns_to_its_output_and_its_vjp(name, data):
    fn, arrays = CASES[name](data.draw)
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    node = next(n for n in topological_order(out) if n.parents and n.gate is GATES[name])
    inputs = [p.data for p in node.parents]
    np.testing.assert_allclose(rerun(node, inputs), node.data, rtol=1e-12)
    # a random upstream gradient w: <vjp(w), d> against the directional derivative along d
    rng = np.random.default_rng(0)
    w = np.asarray(rng.normal(size=node.shape))
    shares = dict((id(p), g) for p, g in node._shares(w))
    for i, p in enumerate(node.parents):
        if id(p) not in shares:
            continue
        d = rng.normal(size=p.shape)
        moved = [x + H * d if j == i else x for j, x in enumerate(inputs)]
        back = [x - H * d if j == i else x for j, x in enumerate(inputs)]
        numeric = np.sum(w * (rerun(node, moved) - rerun(node, back))) / (2 * H)
        assert np.sum(shares[id(p)] * d) == pytest.approx(numeric, rel=1e-4, abs=1e-6)
