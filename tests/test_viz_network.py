"""viz.network: big graphs summarised by module or by depth, arrows coloured by gradient size."""

import re

import gradtrace
import numpy as np
import pytest
from gradtrace import Value, vsum
from gradtrace.viz import draw
from gradtrace.viz.graph import nodes as walk
from gradtrace.viz.network import colour, network

nn = pytest.importorskip("gradtrace.nn")


def mlp_loss(n_samples=4):
    model = nn.MLP(2, [3, 3, 1])
    rng = np.random.default_rng(0)
    preds = [model([float(a) for a in x]) for x in rng.normal(size=(n_samples, 2))]
    loss = vsum([(p - 1.0) ** 2 for p in preds])
    loss.backward()
    return model, loss


def test_scalar_mlp_is_grouped_by_neuron_in_layer_clusters():
    model, loss = mlp_loss()
    src = network(loss, model=model).source
    assert src.count("subgraph cluster_") == 4  # layers.0, layers.1, layers.2, the legend
    for layer in ("layers.0", "layers.1", "layers.2"):
        assert f"label={layer}" in src or f'label="{layer}"' in src
    assert src.count("<B>Neuron ") == 7  # 3 + 3 + 1 neurons
    assert "<B>output</B>" in src  # the loss after the last module


def test_arrows_are_coloured_by_gradient_size_with_a_legend():
    model, loss = mlp_loss()
    src = network(loss, model=model).source
    assert "RMS gradient along an arrow" in src  # the one statistic, named in the legend
    assert re.search(r"-> [tu]\d+(:u\d+:w)? \[.*color=\"#[0-9a-f]{6}\"", src)


def test_colour_scale_runs_along_viridis_from_teal_to_dark_purple():
    # viridis at t = 0.5 (small gradients) to t = 0 (large): colour-blind safe, 3:1 on white
    # (tests/test_colours.py checks both)
    assert colour(0.0) == "#1f9e89" and colour(1.0) == "#440154"


def test_without_a_model_the_graph_is_banded_by_depth():
    x = Value(0.5, "x")
    h = x
    for _ in range(100):
        h = (h * 0.9).tanh()
    h.backward()
    src = network(h).source
    assert "by depth" in src and "depth 0" in src


def test_a_model_that_is_not_a_module_is_refused_by_name():
    x = Value(0.5, "x")
    f = (x * 2.0).tanh()
    f.backward()
    with pytest.raises(TypeError, match=r"network\(model=...\): .* got int"):
        network(f, model=3)


def test_before_backward_the_network_view_says_so():
    model = nn.MLP(2, [2, 1])
    out = model([1.0, 2.0])
    assert "gradients not computed yet" in network(out, model=model).source


def test_a_large_graph_switches_to_the_network_view_with_a_note():
    _, loss = mlp_loss(n_samples=40)
    g = draw(loss, max_nodes=200)
    assert "network view" in g.source and "max_nodes=200" in g.source


def test_a_graph_of_100k_nodes_gives_dot_source():
    # the README reports the time; here only that it works
    model = nn.MLP(16, [32, 32, 1], fused=False)  # gate by gate: 100,176 nodes
    rng = np.random.default_rng(0)
    preds = [model([float(a) for a in x]) for x in rng.normal(size=(58, 16))]
    loss = vsum([(p - 1.0) ** 2 for p in preds])
    loss.backward()
    assert len(walk(loss)) > 100_000
    assert "network view" in draw(loss, model=model).source


@pytest.mark.skipif(not hasattr(gradtrace, "Tensor"), reason="gradtrace.Tensor not there yet")
def test_tensor_graph_nodes_show_shape_dtype_and_summaries():
    Tensor = gradtrace.Tensor
    x = Tensor(np.arange(14.0).reshape(2, 7), label="x")
    w = Tensor(np.full((7, 4), 0.5), requires_grad=True, label="W")
    loss = (x @ w).sum()
    loss.backward()
    src = draw(loss).source
    assert "(7, 4) float64" in src and "(2, 7) float64" in src
    assert "norm" in src  # a summary of a 28-element array (7 rows: more than a 6 x 6 grid)
    assert "requires_grad=False" in src  # x has no gradient, and the picture says why


@pytest.mark.skipif(not hasattr(nn, "Sequential"), reason="nn.Sequential not there yet")
def test_tensor_model_is_grouped_by_layer_with_coloured_arrows():
    Tensor = gradtrace.Tensor
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x = Tensor(np.random.default_rng(0).normal(size=(5, 4)))
    loss = nn.functional.cross_entropy(model(x), np.array([0, 1, 2, 0, 1]))
    loss.backward()
    src = network(loss, model=model).source
    assert src.count("Linear") == 2
    assert "RMS gradient of its parameters" in src
    assert re.search(r"-> u\d+ \[.*color=\"#[0-9a-f]{6}\"", src)


def test_the_output_box_holds_the_root_not_the_first_parameterless_layer():
    from gradtrace import Tensor
    from gradtrace.viz.network import group_by_model

    model = nn.Sequential(nn.Linear(4, 4, seed=0), nn.Sigmoid(), nn.Linear(4, 1, seed=1))
    x = Tensor(np.ones((2, 4)))
    glue = (model[0](x).sigmoid().exp() * 2.0).exp()  # gates of no module, between layers
    loss = (model[2](glue) ** 2).sum()
    of, _ = group_by_model(walk(loss), model)
    assert of[id(loss)].name == "output"
    assert of[id(glue)].name.startswith("ops ")


def test_the_ops_the_network_view_recognises_are_ops_the_engine_records():
    # a stale name here (once "leaky_relu", "t") would silently never match a node
    from gradtrace import Tensor
    from gradtrace.viz.network import ACTIVATIONS, RESHAPES

    x = Tensor(np.ones((2, 3)), requires_grad=True)
    recorded = {getattr(x, name)().op for name in ("tanh", "relu", "sigmoid")}
    recorded |= {getattr(Value(0.5), name)().op for name in ("tanh", "relu", "sigmoid")}
    assert ACTIVATIONS <= recorded
    assert RESHAPES <= {x.T.op, x.transpose(1, 0).op, x.reshape(3, 2).op, x[0].op}


def test_neurons_are_listed_in_index_order_one_row_each():
    # the moons view once listed neurons 14, 15, 0, 1, ...
    model = nn.MLP(2, [12, 1], seed=0)
    loss = vsum([(model([0.5, -1.0]) - 1.0) ** 2, (model([1.0, 2.0]) + 1.0) ** 2])
    loss.backward()
    src = network(loss, model=model).source
    shown = [int(n) for n in re.findall(r"<B>Neuron (\d+) \(2 inputs\)</B>", src)]
    assert shown == list(range(12))


def test_a_penalty_is_its_own_box_and_its_arrows_are_folded_per_layer():
    # micrograd's moons loss: data term + 1e-4 sum w^2; every neuron feeds the penalty
    model = nn.MLP(2, [8, 8, 1], activation="relu", seed=0)
    rows = np.random.default_rng(0).normal(size=(6, 2))
    data = vsum([(model([float(a), float(b)]) - 1.0) ** 2 for a, b in rows])
    loss = data + 2e-4 * nn.optim.l2_penalty(model.parameters())
    loss.backward()
    g = network(loss, model=model)
    src = g.source
    assert "<B>penalty</B>" in src and "computed from the parameters alone" in src
    assert "penalty: a hub, fed by 17 boxes" in src  # 8 + 8 + 1 neurons
    penalty = re.search(r"\t(u\d+) \[label=<<B>penalty", src).group(1)
    assert len(re.findall(rf"-> {penalty} \[", src)) == 3  # one arrow per layer
    assert "output: the root" in src


def test_boxes_are_named_by_kind_index_and_size():
    from gradtrace import Tensor

    model = nn.Sequential(nn.Linear(64, 128, seed=0), nn.ReLU(), nn.Linear(128, 10, seed=1))
    loss = nn.functional.cross_entropy(model(Tensor(np.ones((3, 64)))), np.array([0, 1, 2]))
    loss.backward()
    src = network(loss, model=model).source
    assert "<B>Linear 0 (64 → 128)</B>" in src and "<B>Linear 2 (128 → 10)</B>" in src
    assert "grad norm" not in src and "mean |gradient|" not in src  # one statistic: RMS
    assert "not kept" in src  # the grey of an arrow whose gradient was not kept is explained


def test_a_layers_zero_gradient_arrows_are_folded_into_one():
    # dead relus (bias -100): every arrow from layer 0 into layer 1 carries gradient 0
    model = nn.MLP(2, [5, 5, 1], activation="relu", seed=0)
    for neuron in model.layers[0].neurons:
        neuron.b.data = -100.0
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    src = network(loss, model=model).source
    dashed = [line for line in src.splitlines() if "->" in line and "style=dashed" in line]
    assert len(dashed) == 1 and 'xlabel="×25"' in dashed[0]  # 5 x 5 arrows, one drawn
    assert "25 arrows of gradient 0 from layers.0 to layers.1" in src


@pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="needs Graphviz's dot")
def test_size_scales_the_network_view_down_to_fit_a_column():
    model, loss = mlp_loss()

    def width_pt(graph):
        svg = graph.pipe(format="svg").decode()
        return float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))

    assert width_pt(network(loss, model=model)) > 4 * 72
    assert width_pt(network(loss, model=model, size=4)) <= 4 * 72 + 1
    # draw passes size on when it switches to the network view
    assert 'size="4,100"' in draw(loss, model=model, max_nodes=5, size=4).source
    with pytest.raises(ValueError, match="size"):
        network(loss, model=model, size=-1)


def test_a_sized_network_view_wraps_its_caption():
    model, loss = mlp_loss()
    label = re.search(r'label="(network view.*?)"', network(loss, model=model, size=6).source)
    lines = label.group(1).split("\\l")
    assert len(lines) > 3 and max(len(line) for line in lines) <= 80
    unsized = network(loss, model=model).source
    assert any(
        len(line) > 80 for line in re.search(r'label="(network.*?)"', unsized).group(1).split("\\l")
    )
