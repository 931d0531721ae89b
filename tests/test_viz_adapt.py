"""A learner's micrograd-style engine draws, steps and explains like gradtrace's own."""

import gradtrace
import pytest
from gradtrace import viz
from learner_engine import engine

micrograd_engine = pytest.importorskip("micrograd.engine")


def neuron(V):
    """(x1 w1 + x2 w2 + b).relu(), the lecture's neuron, in class V."""
    x1, x2, w1, w2, b = V(2.0), V(0.0), V(-3.0), V(1.0), V(6.8813735870195432)
    out = (x1 * w1 + x2 * w2 + b).relu()
    out.backward()
    return out, x1, w1


@pytest.mark.parametrize("V", [micrograd_engine.Value, engine()], ids=["micrograd", "tests"])
def test_micrograd_style_nodes_draw_with_values_gradients_and_local_gradients(V):
    out, x1, w1 = neuron(V)
    root = viz.as_root(out)
    assert root.source is out and root.op in ("ReLU",)
    leaves = [n for n in gradtrace.topological_order(root) if not n.parents]
    assert len(leaves) == 5
    mul = next(
        n
        for n in gradtrace.topological_order(root)
        if n.op == "*" and x1 in [p.source for p in n.parents]
    )
    assert sorted(mul.local_grads) == sorted([x1.data, w1.data])  # the mul gate's switch
    source = viz.draw(out).source
    assert "0.8814" in source and "-3" in source  # the value of out and w1 (relu passes)


@pytest.mark.parametrize("V", [micrograd_engine.Value, engine()], ids=["micrograd", "tests"])
def test_a_set_of_inputs_draws_the_same_picture_every_time(V):
    sources = {viz.draw(neuron(V)[0]).source for _ in range(8)}  # new objects, new set order
    assert len(sources) == 1


def test_explain_and_steps_work_on_a_learner_graph_and_agree_with_its_grads():
    out, x1, w1 = neuron(micrograd_engine.Value)
    text = str(viz.explain(out, wrt=x1))
    assert f"= {x1.grad:.6g}" in text.replace("= -3 ", "= -3 ")  # x1.grad = w1 * relu' = -3
    assert len(viz.backward_steps(out)) > 1
    assert "data-steps" in viz.explore(out)._repr_html_()


def test_subtraction_from_a_set_is_put_back_in_operand_order():
    V = micrograd_engine.Value
    a, b = V(5.0), V(2.0)
    a.label, b.label = "a", "b"
    d = a - b  # micrograd: a + (-b)
    d.backward()
    root = viz.adapt(d)
    assert root.local_grads == (1.0, 1.0)
    assert {p.op for p in root.parents} == {"", "*"}


def test_adapt_reads_other_attribute_names():
    class Node:
        def __init__(self, value, inputs=(), kind=""):
            self.value, self.inputs, self.kind, self.g = value, inputs, kind, 0.0

    a, b = Node(2.0), Node(-4.0)
    f = Node(-8.0, [a, b], "mul")
    f.g, a.g, b.g = 1.0, -4.0, 2.0
    root = viz.adapt(f, parents="inputs", op="kind", data="value", grad="g")
    assert root.local_grads == (-4.0, 2.0)  # operand order kept from a list
    assert viz.draw(root).source.count("->") >= 3
    with pytest.raises(TypeError, match="inputs"):
        viz.adapt(f)  # the default names (_prev, _op) are not there: say which are missing


def test_an_unknown_op_still_draws_with_its_local_gradient_unknown():
    V = engine()
    a = V(2.0)
    out = V(7.0, (a,), "mystery")
    out.grad = 1.0
    root = viz.adapt(out)
    assert root.local_grads is None
    assert "mystery" in viz.draw(out).source
