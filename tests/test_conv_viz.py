"""viz.conv: pictures of a conv net's filters and of one image's feature maps; the network
view gives a Conv2d layer one box."""

import gradtrace.nn.functional as F
import numpy as np
import pytest
from gradtrace import Tensor
from gradtrace.nn.conv import Conv2d, Flatten, MaxPool2d
from gradtrace.nn.layers import Linear, ReLU, Sequential

pytest.importorskip("matplotlib")
from gradtrace.viz.conv import feature_maps, plot_feature_maps, plot_filters  # noqa: E402


def small_cnn():
    return Sequential(
        Conv2d(1, 4, 3, padding=1, seed=0),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(4 * 4 * 4, 10, seed=0),
    )


def test_plot_filters_draws_one_image_per_filter_and_channel(tmp_path):
    fig = plot_filters(Conv2d(2, 3, 3, seed=0), path=tmp_path / "filters.png")
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 2 * 3
    assert (tmp_path / "filters.png").stat().st_size > 0


def test_plot_filters_accepts_a_weight_array_and_refuses_other_shapes():
    assert plot_filters(np.ones((2, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"\(out, in, kh, kw\)"):
        plot_filters(np.ones((2, 5, 5)))


def test_feature_maps_are_each_layers_output_for_one_image():
    model, image = small_cnn(), np.random.default_rng(0).normal(size=(8, 8))
    maps = dict(feature_maps(model, image, kinds=("Conv2d", "MaxPool2d")))
    assert [m.shape for m in maps.values()] == [(4, 8, 8), (4, 4, 4)]
    expected = model[0](Tensor(image.reshape(1, 1, 8, 8))).data[0]
    np.testing.assert_allclose(maps["0: Conv2d"], expected)


def test_plot_feature_maps_draws_the_input_and_every_map(tmp_path):
    fig = plot_feature_maps(small_cnn(), np.ones((8, 8)), path=tmp_path / "maps.png")
    assert len([ax for ax in fig.axes if ax.images]) == 1 + 3 * 4  # conv, relu, pool rows
    assert (tmp_path / "maps.png").stat().st_size > 0


def test_the_network_view_gives_a_conv_layer_one_box():
    from gradtrace.viz.graph import nodes as walk
    from gradtrace.viz.network import group_by_model

    model = small_cnn()
    loss = F.cross_entropy(model(np.ones((2, 1, 8, 8))), np.array([1, 2]))
    loss.backward()
    order = walk(loss)
    of, units = group_by_model(order, model)
    (conv_unit,) = [u for u in units if u.kind == "Conv2d"]
    conv_node = next(n for n in order if n.op == "conv2d")
    assert of[id(conv_node)] is conv_unit  # the gate joins its weight and bias in one box
    assert {id(p) for p in conv_unit.params} == {id(p) for p in model[0].parameters()}
