"""`viz.explain`: the chain rule written out, to the digits the lecture notes print."""

import json
import math

import numpy as np
import pytest
from gradtrace import Tensor, Value
from gradtrace.cli import main
from gradtrace.nn import functional as F
from gradtrace.viz import explain
from hypothesis import given, settings
from hypothesis import strategies as st


def near(value: float, printed: str) -> bool:
    """Within one unit of the last digit the notes print (they truncate as often as round)."""
    digits = len(printed.split(".")[1])
    return abs(value - float(printed)) < 10**-digits


# ---------------------------------------------------------------------- (x + y) z
def test_x_plus_y_times_z_is_df_dq_times_dq_dx():
    # Lecture 003: df/dx = df/dq · dq/dx = -4 × 1 = -4.
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.backward()
    e = explain(f, wrt=x)
    assert "df/dx = df/dq · dq/dx = -4 × 1 = -4" in str(e)
    assert [(fa.name, fa.value) for fa in e.paths[0].factors] == [("df/dq", -4.0), ("dq/dx", 1.0)]
    assert e.gradient == -4.0 and e.agrees
    assert "df/dz = 3" in str(explain(f, wrt=z))  # the mul gate switches: df/dz = q


def test_unlabeled_gates_are_named_by_their_op_and_an_unlabeled_root_is_f():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    assert "df/dx = df/dadd · dadd/dx = -4 × 1 = -4" in str(explain(f, wrt=x))


def test_wrt_can_be_a_label():
    x, y = Value(3.0, "x"), Value(2.0, "y")
    assert explain(x * y, wrt="y").gradient == 3.0


# ---------------------------------------------------------------------- the sigmoid neuron
def sigmoid_neuron_gate_by_gate():
    v = {
        k: Value(d, k)
        for k, d in [("w0", 2.0), ("x0", -1.0), ("w1", -3.0), ("x1", -2.0), ("w2", -3.0)]
    }
    f = ((-(v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"])).exp() + 1).reciprocal()
    f.backward()
    return f, v


def test_sigmoid_neuron_gate_by_gate_at_the_slides_rounding():
    # Lecture 003: 1/x gives -0.53, +1 passes -0.53, exp gives (e^-1)(-0.53) = -0.20, *-1
    # gives 0.20, the add gates pass 0.2 on, and the mul gates switch: w0 -0.20, x0 0.39, ...
    f, v = sigmoid_neuron_gate_by_gate()
    slides = {"w0": "-0.20", "x0": "0.39", "w1": "-0.39", "x1": "-0.59", "w2": "0.20"}
    for name, printed in slides.items():
        e = explain(f, wrt=v[name], fmt=".2f")
        assert e.path_lines()[-1].strip() == f"= {printed}", name
        assert e.agrees
    text = str(explain(f, wrt=v["w0"], fmt=".2f"))
    assert "df/dexp = df/dadd3 · dadd3/dexp = -0.53 × 1.00 = -0.53" in text
    assert "df/dneg = df/dexp · dexp/dneg = -0.53 × 0.37 = -0.20" in text
    assert "df/dw0 = df/dmul1 · dmul1/dw0 = 0.20 × -1.00 = -0.20" in text
    assert "df/dx0 = df/dmul1 · dmul1/dx0 = 0.20 × 2.00 = 0.39" in str(
        explain(f, wrt=v["x0"], fmt=".2f")
    )


def test_a_gate_has_one_name_in_every_derivation_of_its_graph():
    # issue 20: the +1 gate was add3 in w0's derivation and add2 in w2's (names were counted
    # over each derivation's own gates); they are counted over the graph, in reading order
    f, v = sigmoid_neuron_gate_by_gate()
    plus_one = f.parents[0]
    for name in v:
        e = explain(f, wrt=v[name])
        assert e.name_of(plus_one) == "add3", name
    assert explain(f, wrt=v["w0"]).name_of(f) == "f"
    first, second = explain(f, wrt=v["x0"]), explain(f, wrt=v["x1"])
    assert "dmul1/dx0" in str(first) and "dmul2/dx1" in str(second)  # w0 x0 is the first product


# ---------------------------------------------------------------------- the 2-2-2 network
def two_two_two():
    """Lecture 003's 2-2-2 net from Values gate by gate (as tests/test_value_worked_examples.py
    builds it), with the notes' names on the nets and outputs."""
    i1, i2, t1, t2, b1, b2 = 0.05, 0.10, 0.01, 0.99, 0.35, 0.60
    init = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
    w = {k: Value(x, f"w{k}") for k, x in zip(range(1, 9), init, strict=True)}

    def neuron(wa, a, wb, b, bias, name):
        net = wa * a + wb * b + bias
        out = net.sigmoid()
        net.label, out.label = f"net_{name}", f"out_{name}"
        return out

    h1, h2 = neuron(w[1], i1, w[2], i2, b1, "h1"), neuron(w[3], i1, w[4], i2, b1, "h2")
    o1, o2 = neuron(w[5], h1, w[6], h2, b2, "o1"), neuron(w[7], h1, w[8], h2, b2, "o2")
    E = 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2
    E.label = "E"
    E.backward()
    return E, w


def test_two_two_two_dE_dw5_is_the_notes_three_factors():
    # Lecture 003: dE/dw5 = 0.74136507 × 0.18681560 × 0.5932699 = 0.082167041.
    E, w = two_two_two()
    e = explain(E, wrt=w[5], by="label", fmt=".8g")
    (path,) = e.paths
    names = [f.name for f in path.factors]
    assert names == ["dE/dout_o1", "dout_o1/dnet_o1", "dnet_o1/dw5"]
    notes = ["0.74136507", "0.18681560", "0.5932699"]
    for factor, printed in zip(path.factors, notes, strict=True):
        assert near(factor.value, printed), factor.name
    assert near(path.value, "0.082167041") and near(e.gradient, "0.082167041")
    assert "= 0.74136507 × 0.1868156 × 0.59326999" in str(e)
    assert "= 0.082167041" in str(e)
    assert e.agrees


def test_two_two_two_dE_dw1_adds_the_branches_through_both_outputs():
    # Lecture 003: dE/dout_h1 = 0.0553994 + -0.0190491 = 0.0363503, then × 0.2413007 × 0.05
    # gives dE/dw1 = 0.00043856.
    E, w = two_two_two()
    e = explain(E, wrt=w[1], by="label", fmt=".7f")
    assert e.n_paths == 2
    assert [f.name for f in e.paths[1].factors][:3] == [
        "dE/dout_o2",
        "dout_o2/dnet_o2",
        "dnet_o2/dout_h1",
    ]
    out_h1 = next(n for n in e.nodes if n.name == "out_h1")
    assert [t.consumer for t in out_h1.terms] == ["net_o1", "net_o2"]
    assert near(out_h1.terms[0].value, "0.0553994") and near(out_h1.terms[1].value, "-0.0190491")
    assert near(out_h1.gradient, "0.0363503")
    net_h1 = next(n for n in e.nodes if n.name == "net_h1")
    assert near(net_h1.terms[0].local, "0.2413007")
    w1 = next(n for n in e.nodes if n.name == "w1")
    assert w1.terms[0].local == 0.05
    assert near(e.gradient, "0.00043856") and near(sum(p.value for p in e.paths), "0.00043856")
    text = str(e)
    assert "= 0.0553994 + -0.0190491" in text and "= 0.0363503" in text
    assert "= 0.0363503 × 0.2413007" in text
    assert e.agrees


def test_two_two_two_gate_by_gate_gives_the_same_sum_as_by_label():
    E, w = two_two_two()
    for k, leaf in w.items():
        by_gate, by_label = explain(E, wrt=leaf), explain(E, wrt=leaf, by="label")
        assert by_gate.gradient == pytest.approx(leaf.grad, rel=1e-12), k
        assert by_label.gradient == pytest.approx(leaf.grad, rel=1e-12), k
        assert by_gate.n_paths == by_label.n_paths


# ---------------------------------------------------------------------- softmax + CE
def test_softmax_cross_entropy_gives_a_minus_y():
    # Lecture 001/000: with softmax and categorical cross-entropy, dJ/dz = a - y.
    z = [Value(v, f"z{k}") for k, v in enumerate([1.0, 2.0, 0.5])]
    J = F.cross_entropy([z], [1])
    J.backward()
    exps = [math.exp(v.data) for v in z]
    a = [x / sum(exps) for x in exps]
    for k, zk in enumerate(z):
        e = explain(J, wrt=zk)
        assert e.gradient == pytest.approx(a[k] - (k == 1), abs=1e-12)
        assert sum(p.value for p in e.paths) == pytest.approx(a[k] - (k == 1), abs=1e-12)


# ---------------------------------------------------------------------- random graphs
UNARY = ["exp", "tanh", "sigmoid", "relu", "neg", "*0.7", "+1.5", "**2"]
BINARY = ["+", "*", "-", "max"]


def build(leaves, steps):
    """A random Value graph: each step applies a gate to earlier nodes (so nodes branch)."""
    nodes = list(leaves)
    for op, i, j in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op in BINARY:
            out = {"+": a + b, "*": a * b, "-": a - b, "max": a.max(b)}[op]
        elif op == "exp":
            out = a.tanh().exp()  # bounded, so no overflow
        elif op == "**2":
            out = a.tanh() ** 2
        elif op == "neg":
            out = -a
        elif op.startswith("*"):
            out = a * 0.7
        elif op.startswith("+"):
            out = a + 1.5
        else:
            out = getattr(a, op)()
        nodes.append(out)
    return nodes[-1]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-2, 2), min_size=1, max_size=4),
    st.lists(
        st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 99), st.integers(0, 99)),
        min_size=1,
        max_size=14,
    ),
    st.integers(0, 2**16),
)
def test_path_sum_and_per_node_sums_equal_backward_on_random_graphs(data, steps, label_bits):
    leaves = [Value(x, f"x{k}") for k, x in enumerate(data)]
    root = build(leaves, steps)
    root.backward()
    for leaf in leaves:
        if not any(n is leaf for n in _nodes(root)):
            with pytest.raises(ValueError, match="not in the graph"):
                explain(root, wrt=leaf)
            continue
        e = explain(root, wrt=leaf, max_paths=10**9)
        assert math.isclose(sum(p.value for p in e.paths), leaf.grad, rel_tol=1e-9, abs_tol=1e-9)
        assert e.n_paths == len(e.paths)
        nodes = {id(n): n for n in _nodes(root)}
        for node_sum in e.nodes:  # every per-node sum is what backward stored on that node
            assert node_sum.gradient == pytest.approx(node_sum.recorded, rel=1e-9, abs=1e-9)
            assert node_sum.gradient == pytest.approx(
                sum(t.value for t in node_sum.terms), rel=1e-9, abs=1e-9
            )
        # label some inner nodes at random: contracting through the others keeps the sum
        for bit, node in enumerate(n for n in nodes.values() if n.parents and n is not root):
            node.label = f"n{bit}" if label_bits >> (bit % 17) & 1 else ""
        by_label = explain(root, wrt=leaf, by="label", max_paths=10**9)
        assert math.isclose(by_label.gradient, leaf.grad, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(
            sum(p.value for p in by_label.paths), leaf.grad, rel_tol=1e-9, abs_tol=1e-9
        )


def _nodes(root):
    from gradtrace import topological_order

    return topological_order(root)


def test_every_gradient_per_node_when_wrt_is_none():
    x, y = Value(2.0, "x"), Value(3.0, "y")
    f = x * y + x
    f.backward()
    e = explain(f)
    assert e.paths is None and e.wrt is None
    assert {n.name: n.gradient for n in e.nodes if not n.op} == {"x": 4.0, "y": 2.0}
    # x feeds the root f directly (local gradient 1) and through mul (3): 1 × 1 + 1 × 3
    assert "df/dx = df/df · df/dx + df/dmul · dmul/dx = 1 × 1 + 1 × 3 = 1 + 3 = 4" in str(e)


# ---------------------------------------------------------------------- never exponential
def diamonds(n):
    """n diamonds in a row (y -> sigmoid(y), tanh(y) -> their sum): 2**n paths, 4n + 1 nodes."""
    x = y = Value(0.1, "x")
    for _ in range(n):
        y = (y.sigmoid() + y.tanh()) * 0.5
    return x, y


def test_two_to_the_thirty_paths_switch_to_the_per_node_form_at_once(monkeypatch):
    from gradtrace.viz import chain_rule

    def never(*_):  # counted by dynamic programming, never listed (no timed test: RULES)
        raise AssertionError("2**30 paths must be counted, not listed")

    monkeypatch.setattr(chain_rule, "list_paths", never)
    x, root = diamonds(30)
    root.backward()
    e = explain(root, wrt=x)
    text = str(e)
    assert e.n_paths == 2**30 and e.paths is None
    assert "1,073,741,824 paths" in text and "max_paths=64" in text
    assert e.gradient == pytest.approx(x.grad, rel=1e-9)


def test_paths_are_written_up_to_the_limit_and_not_past_it():
    x, root = diamonds(6)  # 64 paths
    assert len(explain(root, wrt=x).paths) == 64
    assert explain(root, wrt=x, max_paths=63).paths is None


def test_a_chain_five_thousand_deep_is_one_path_without_recursion():
    x = y = Value(0.5, "x")
    for _ in range(5000):  # five times Python's recursion limit
        y = y * 1.0
    e = explain(y, wrt=x)
    assert e.n_paths == 1 and len(e.paths[0].factors) == 5000 and e.gradient == 1.0


def test_a_value_used_twice_by_one_gate_has_one_factor_with_both_local_gradients():
    x = Value(3.0, "x")
    f = x * x
    (path,) = explain(f, wrt=x).paths
    assert [(fa.name, fa.value) for fa in path.factors] == [("df/dx", 6.0)]  # d(x*x)/dx = 2x


# ---------------------------------------------------------------------- text, LaTeX, data
def test_markdown_has_the_latex_chain_rule():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    md = explain(q * z, wrt=x)._repr_markdown_()
    assert r"\frac{\partial f}{\partial q}\,\frac{\partial q}{\partial x}" in md
    assert "$$" in md and r"\begin{aligned}" in md


def test_to_dict_is_json_with_named_valued_factors_and_per_node_sums():
    E, w = two_two_two()
    d = json.loads(json.dumps(explain(E, wrt=w[1], by="label").to_dict()))
    assert d["root"] == "E" and d["wrt"] == "w1" and d["n_paths"] == 2
    assert d["paths"][0]["factors"][0] == {
        "name": "dE/dout_o1",
        "of": "E",
        "wrt": "out_o1",
        "value": pytest.approx(0.74136507, abs=1e-8),
    }
    out_h1 = next(n for n in d["nodes"] if n["name"] == "out_h1")
    assert [t["consumer"] for t in out_h1["terms"]] == ["net_o1", "net_o2"]
    assert out_h1["text"].startswith("dE/dout_h1 = dE/dnet_o1 · dnet_o1/dout_h1 + ")
    assert d["text"].startswith("How backprop got dE/dw1")


def test_a_gradient_backward_has_not_filled_is_said_so():
    x = Value(2.0, "x")
    f = x * x
    e = explain(f, wrt=x)
    assert e.gradient == 4.0 and not e.agrees and "backward() has not run" in str(e)
    f.backward()
    f.backward()  # a leaf keeps adding: 8, not 4
    assert "keeps adding" in str(explain(f, wrt=x))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"wrt": "nope"}, ValueError, "no node of this graph has that label"),
        ({"wrt": Value(1.0)}, ValueError, "not in the graph"),
        ({"wrt": "x", "by": "path"}, ValueError, "by must be"),
        ({"wrt": "x", "max_paths": -1}, ValueError, "max_paths"),
        ({"wrt": "x", "fmt": "q"}, ValueError, "format"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    x = Value(1.0, "x")
    with pytest.raises(error, match=message):
        explain(x * 2.0, **kwargs)


def test_a_plain_number_is_not_a_graph():
    with pytest.raises(TypeError, match="Value or Tensor"):
        explain(3.0)


# ---------------------------------------------------------------------- Tensors
def test_tensor_graphs_get_the_per_node_form_with_shapes_and_say_why_no_paths():
    W = Tensor(np.full((3, 2), 0.1), requires_grad=True, label="W")
    X = Tensor(np.arange(6.0).reshape(2, 3), label="X")
    h = (X @ W).tanh()
    h.label = "h"
    L = (h * h).sum() + W.sum()
    L.label = "L"
    L.backward()
    e = explain(L, wrt=W)
    text = str(e)
    assert e.kind == "tensor" and e.paths is None and e.n_paths == 2
    assert "dL/dW (3, 2) = dL/dmatmul · dmatmul/dW + dL/dsum2 · dsum2/dW" in text  # reading order
    assert "Jacobian" in text and "dmatmul/dW, is 4 × 6" in text
    assert "vector-Jacobian product" in text
    json.dumps(e.to_dict())


# ---------------------------------------------------------------------- command line
def test_cli_explain_writes_the_lectures_chain_rule(capsys):
    assert main(["explain", "(x + y) * z", "x=-2", "y=5", "z=-4", "--wrt", "x"]) == 0
    assert "df/dx = df/dadd · dadd/dx = -4 × 1 = -4" in capsys.readouterr().out


def test_cli_explain_names_an_unknown_input(capsys):
    assert main(["explain", "(x + y) * z", "x=-2", "y=5", "z=-4", "--wrt", "w"]) != 0
    err = capsys.readouterr().err
    assert "--wrt w" in err and "x, y, z" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "wrt, error, message",
    [
        ("", ValueError, r"wrt='': an empty label names no node .* \(labels: x, y\)"),
        ("nope", ValueError, r"wrt='nope': no node of this graph has that label"),
        (5, TypeError, r"wrt must be a node of the graph or its label \(a str\), got int 5"),
        (2.5, TypeError, r"got float 2\.5"),
    ],
)
def test_a_wrt_that_names_no_node_is_refused(wrt, error, message):
    x, y = Value(2.0, "x"), Value(3.0, "y")
    f = x * y  # unlabelled: wrt="" once picked it
    f.backward()
    with pytest.raises(error, match=message):
        explain(f, wrt=wrt)
