"""Pictures of PyTorch graphs: trace_torch and bare tensors draw the numbers gradtrace draws
(checked in the DOT text), with PyTorch's gates named like ours and nothing made up."""

import sys

import numpy as np
import pytest
from gradtrace import Value
from gradtrace.viz import backward_steps, draw, network, trace_torch
from gradtrace.viz.torch_trace import NOT_SAVED, as_graph, op_name

NEURON = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}  # the lecture's neuron


def xyz_in_gradtrace():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    return f


def neuron_in_gradtrace(fused):
    w0, x0, w1, x1, w2 = (Value(v, name) for name, v in NEURON.items())
    z = w0 * x0 + w1 * x1 + w2
    s = z.sigmoid() if fused else 1 / (1 + (-z).exp())
    s.backward()
    return s


def test_xyz_in_torch_draws_exactly_the_gradtrace_picture(torch):
    f = trace_torch(lambda x, y, z: (x + y) * z, -2.0, 5.0, -4.0)
    dot = draw(f).source
    assert dot == draw(xyz_in_gradtrace()).source  # the same DOT text, number for number
    for number in (">-2<", ">5<", ">-4<", ">3<", ">-12<"):  # values -2 5 -4 3 -12 (lecture)
        assert number in dot
    assert (f.data, f.parents[0].grad, f.parents[1].grad) == (-12.0, -4.0, 3.0)
    assert [p.label for p in f.parents[0].parents] == ["x", "y"]
    assert draw(f, show_local=True).source == draw(xyz_in_gradtrace(), show_local=True).source


def test_xyz_backward_steps_from_torch_match_gradtrace(torch):
    f = trace_torch(lambda x, y, z: (x + y) * z, -2.0, 5.0, -4.0)
    ours, theirs = backward_steps(xyz_in_gradtrace()), backward_steps(f)
    assert [s.caption for s in theirs.steps] == [s.caption for s in ours.steps]
    assert theirs[2].source == ours[2].source


def test_sigmoid_neuron_in_torch_draws_the_lecture_numbers(torch):
    fused = trace_torch(
        lambda w0, x0, w1, x1, w2: torch.sigmoid(w0 * x0 + w1 * x1 + w2), *NEURON.values()
    )
    assert draw(fused, fmt=".7f").source == draw(neuron_in_gradtrace(True), fmt=".7f").source
    gates = trace_torch(
        lambda w0, x0, w1, x1, w2: 1 / (1 + torch.exp(-(w0 * x0 + w1 * x1 + w2))), *NEURON.values()
    )
    dot = draw(gates, fmt=".7f", show_local=True).source
    # out 0.7310586; dw0 -0.1966119, dx0 0.3932239, dw1 -0.3932239, dx1 -0.5898358, dw2 0.1966119
    for number in ("0.7310586", "-0.1966119", "0.3932239", "-0.3932239", "-0.5898358"):
        assert f">{number}<" in dot
    ops = [n.op for n in walk_inputs_first(gates) if n.op]
    assert ops == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x", "*1"]  # torch: 1/x then *1
    ours = draw(neuron_in_gradtrace(False), fmt=".7f").source
    theirs = draw(gates, fmt=".7f").source
    # the end: the picture differs only there; n12 and w12's tooltips (the node in words)
    # differ too, since theirs ends in torch's "*1" gate, so f is a different node
    ends = {line.split(" ")[0] for line in set(ours.splitlines()) - set(theirs.splitlines())}
    assert ends == {"\tw12:e", "\tn12", "\tw12"}
    assert "local -0.5344466" in dot  # d(1/x)/dx = -1/x**2 at x = 1 + e**-1 (hand)


def walk_inputs_first(root):
    from gradtrace import topological_order

    return topological_order(root)[::-1]


def test_traced_numbers_are_pytorchs_own(torch):
    w = torch.tensor([0.5, -1.5], requires_grad=True)
    w.label = "w"
    x = torch.tensor([2.0, 3.0])
    f = trace_torch(lambda w: (w * x).tanh().sum(), w)
    expected = torch.tanh(w.detach() * x)
    np.testing.assert_array_equal(f.parents[0].data, expected.numpy())
    np.testing.assert_array_equal(walk_inputs_first(f)[0].grad, w.grad.numpy())
    leaf = walk_inputs_first(f)[0]
    assert leaf.label == "w" and leaf.data.shape == (2,)
    dot = draw(f).source
    assert "(2,) float64" in dot and ">tanh<" not in dot and "label=tanh" in dot


def test_local_gradients_are_what_torch_computes(torch):
    f = trace_torch(lambda a, b: torch.maximum(a, b) * a.log(), 3.0, 2.0)
    mx, log = f.parents
    assert f.local_grads == pytest.approx((np.log(3.0), 3.0), abs=1e-15)
    assert mx.local_grads == (1.0, 0.0) and mx.op == "max"  # the router
    assert log.local_grads == pytest.approx((1 / 3,), abs=1e-15)


def test_gate_names_follow_gradtrace(torch):
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)
    W = torch.ones(3, 2, requires_grad=True)
    y = torch.nn.functional.linear(x, W).relu().sum()
    assert op_name(y.grad_fn) == "sum"
    assert op_name(y.grad_fn.next_functions[0][0]) == "relu"
    assert op_name(y.grad_fn.next_functions[0][0].next_functions[0][0]) == "@"
    layer_norm = torch.nn.functional.layer_norm(x, (2,)).sum().grad_fn.next_functions[0][0]
    assert op_name(layer_norm) == "native_layer_norm"


def test_bare_tensor_draws_what_torch_kept_and_says_what_it_did_not(torch):
    x, y, z = (torch.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    for t, name in zip((x, y, z), "xyz", strict=True):
        t.label = name
    f = (x + y) * z
    f.backward()  # frees the saved tensors: the value of x + y is gone
    dot = draw(f).source  # a bare tensor: draw calls as_graph
    assert NOT_SAVED in dot
    for number in (">-2<", ">5<", ">-4<", ">-12<"):  # leaves, their .grad and f are known
        assert number in dot
    assert ">3<" in dot  # dz = 3 (z.grad), though x + y = 3 was not saved
    graph = as_graph(f)
    add = graph.parents[0]
    assert add.data is None and add.grad is None and add.op == "+"
    assert add.local_grads == (1.0, 1.0)  # the add gate needs no saved value
    assert graph.local_grads is None  # mul needs the inputs, which backward() freed


def test_bare_tensor_with_retained_graph_shows_saved_values(torch):
    x, y, z = (torch.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    f = (x + y) * z
    f.backward(retain_graph=True)
    graph = as_graph(f)
    assert graph.parents[0].data == 3.0  # mul saved its inputs
    assert graph.local_grads == (-4.0, 3.0)


def test_tensor_model_graph_is_summarised_and_grouped_by_module(torch):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    X, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1])
    loss = trace_torch(lambda X: torch.nn.functional.cross_entropy(model(X), y), X, model=model)
    assert loss.data == pytest.approx(torch.nn.functional.cross_entropy(model(X), y).item())
    labels = {n.label for n in walk_inputs_first(loss) if not n.parents}
    assert labels == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert {n.module for n in walk_inputs_first(loss) if n.op == "linear"} == {"0", "2"}
    dot = draw(loss).source
    assert "(5, 8) float64" in dot and "label=linear" in dot
    boxes = network(loss).source  # the traced model's modules, without passing model=
    assert "<B>Linear 0 (4 → 8)</B>" in boxes and "<B>Linear 2 (8 → 3)</B>" in boxes


def test_big_torch_graph_goes_to_the_network_view_by_module(torch):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh(), torch.nn.Linear(3, 3))

    def unrolled(h):
        for _ in range(60):  # 60 x (transpose, linear, tanh, transpose, linear) nodes
            h = model(h)
        return h.sum()

    root = trace_torch(unrolled, torch.randn(2, 3), model=model)
    dot = draw(root).source
    assert "network view" in dot and "by module" in dot
    assert "<B>Linear 0 (3 → 3)</B>" in dot and "<B>Linear 2 (3 → 3)</B>" in dot


def test_result_must_be_a_single_element(torch):
    with pytest.raises(ValueError, match=r"single-element tensor.*\(2,\)"):
        trace_torch(lambda x: x * 2, torch.ones(2, requires_grad=True))
    with pytest.raises(ValueError, match="does not depend on any input that requires grad"):
        trace_torch(lambda x: x * 2, torch.tensor(1.0))


def test_without_torch_tracing_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r'pip install "gradtrace\[torch\]"'):
        trace_torch(lambda x: x, 1.0)


def test_explain_reads_a_traced_graph_as_a_gradtrace_one(torch):
    from gradtrace.viz.explain import explain

    f = trace_torch(lambda x, y, z: (x + y) * z, -2.0, 5.0, -4.0)
    assert str(explain(f, wrt="x")) == str(explain(xyz_in_gradtrace(), wrt="x"))


def test_backward_steps_of_a_bare_tensor_say_what_is_missing(torch):
    x, y = torch.tensor(2.0, requires_grad=True), torch.tensor(3.0, requires_grad=True)
    f = x * y
    f.backward()  # mul's saved inputs are freed: its local gradients are unknown
    with pytest.raises(TypeError, match="trace_torch"):
        backward_steps(f)
    g = x * y
    g.backward(retain_graph=True)  # kept: the steps replay PyTorch's local gradients
    assert len(backward_steps(g)) == 2


@pytest.mark.parametrize(
    "expression",
    [
        lambda torch, x: torch.exp(x) * x,
        lambda torch, x: torch.sigmoid(x) * x,
        lambda torch, x: torch.tanh(x) + x,
        lambda torch, x: (x * x) * x,
    ],
)
def test_a_value_used_again_after_a_gate_traces_and_draws(torch, expression):
    f = trace_torch(lambda x: expression(torch, x), 0.5)
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    (expected,) = torch.autograd.grad(expression(torch, x), x)
    leaf = next(p for p in f.parents if not p.op)
    assert leaf.grad == pytest.approx(expected.item(), rel=1e-15)
    assert "->" in draw(f).source


def test_a_bare_tensor_reusing_its_leaf_draws(torch):
    A = torch.tensor([1.0, 2.0], requires_grad=True)
    out = ((A.mean() - A) ** 2).sum()
    out.backward()
    assert "->" in draw(out).source


def test_an_unlabelled_tensor_leaf_used_many_times_is_named_by_its_shape():
    from gradtrace import Tensor

    x = Tensor([1.0, 2.0], requires_grad=True)
    source = draw((x * x + x * x + x * x).sum()).source
    assert "((2,) float64) #1: used more than 4 times" in source


def test_a_traced_graph_displays_inline_in_jupyter(torch):
    from gradtrace.viz import jupyter
    from IPython.core.formatters import SVGFormatter

    ip = type("IP", (), {})()  # just what register() touches: IPython's SVG formatter
    ip.display_formatter = type("DF", (), {"formatters": {"image/svg+xml": SVGFormatter()}})()
    assert jupyter.register(ip)
    f = trace_torch(lambda x, y, z: (x + y) * z, -2.0, 5.0, -4.0)
    svg = ip.display_formatter.formatters["image/svg+xml"](f)  # what Jupyter shows for it
    assert svg is not None and "<svg" in svg and ">&#45;12</text>" in svg  # -12, as dot writes
    jupyter.unregister(ip)
    assert ip.display_formatter.formatters["image/svg+xml"](f) is None


def test_pytorch_backward_functions_map_to_gradtraces_own_gate_objects(torch):
    """The neuron's 1 + e**-z traced in torch: every gate is the gate object gradtrace's Value
    graph records (negation is "*" with -1 kept, the "+1" keeps its number): one record."""
    from gradtrace.gates import find

    def f(w0, x0, w1, x1, w2):
        return (-(w0 * x0 + w1 * x1 + w2)).exp() + 1

    mine = [(n.gate, n.settings, n.op) for n in _gates(trace_torch(f, *NEURON.values()))]
    theirs = [(n.gate, n.settings, n.op) for n in _gates(f(*map(Value, NEURON.values())))]
    assert mine == theirs and len(mine) == 7
    assert (find("Value", "*"), -1.0, "*-1") in mine and (find("Value", "+"), 1.0, "+1") in mine
    t = torch.ones(2, 2, requires_grad=True)  # a Tensor gate's settings are not known: no record
    assert as_graph((t @ t).sum(dim=1)).gate is None


def _gates(root):
    from gradtrace import topological_order

    return [n for n in topological_order(root) if n.parents]


def test_trace_torch_given_a_tensor_instead_of_a_function_says_what_to_do(torch):
    t = torch.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match=r"fn must be a function .* got Tensor.*draw\(tensor\)"):
        trace_torch((t * 2).sum())
