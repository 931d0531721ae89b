"""nn's convolutional layers: Conv2d, MaxPool2d, AvgPool2d, Flatten as Modules."""

import math

import numpy as np
import pytest
from gradtrace import Tensor, nn
from gradtrace.nn.conv import AvgPool2d, Conv2d, Flatten, MaxPool2d
from gradtrace.nn.layers import Linear, ReLU, Sequential


def test_conv2d_has_pytorch_shaped_weight_and_bias():
    conv = Conv2d(3, 8, (5, 3), seed=0)
    assert conv.weight.shape == (8, 3, 5, 3) and conv.bias.shape == (8,)
    assert [name for name, _ in conv.named_parameters()] == ["weight", "bias"]
    assert conv.weight.requires_grad and conv.bias.requires_grad


def test_conv2d_initialisation_is_pytorchs_uniform_one_over_sqrt_fan_in():
    # torch.nn.Conv2d.reset_parameters: kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), ...)
    conv = Conv2d(4, 64, 3, seed=1)
    bound = 1 / math.sqrt(4 * 3 * 3)
    for p in (conv.weight, conv.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.9 * bound  # fills the range, not a narrower one


def test_the_same_seed_builds_the_same_layer():
    a, b = Conv2d(2, 3, 3, seed=5), Conv2d(2, 3, 3, seed=5)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


def test_conv2d_without_bias_has_only_a_weight():
    conv = Conv2d(1, 2, 3, bias=False, seed=0)
    assert conv.bias is None and len(conv.parameters()) == 1
    assert conv(np.ones((1, 1, 4, 4))).shape == (1, 2, 2, 2)


def test_conv2d_matches_torch_with_the_same_weights(torch):
    ours = Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1, seed=0)
    theirs = torch.nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    x = np.random.default_rng(0).normal(size=(2, 2, 7, 5))
    out = ours(x)
    ref = theirs(torch.tensor(x))
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-12)


def test_pools_default_stride_is_their_kernel_size():
    assert MaxPool2d(3).stride == (3, 3)
    assert AvgPool2d((2, 3), stride=1).stride == (1, 1)
    assert MaxPool2d(2)(np.zeros((1, 1, 6, 6))).shape == (1, 1, 3, 3)
    assert AvgPool2d(2)(np.zeros((1, 1, 6, 6))).shape == (1, 1, 3, 3)


def test_a_small_cnn_runs_forward_and_backward_end_to_end():
    model = Sequential(
        Conv2d(1, 4, 3, padding=1, seed=0),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(4 * 4 * 4, 10, seed=0),
    )
    out = model(Tensor(np.random.default_rng(0).normal(size=(5, 1, 8, 8))))
    assert out.shape == (5, 10)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())


def test_conv_layers_save_and_load(tmp_path):
    a, b = Conv2d(1, 2, 3, seed=0), Conv2d(1, 2, 3, seed=1)
    b.load(a.save(tmp_path / "conv.npz"))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


def test_reprs_read_like_pytorch():
    assert repr(Conv2d(1, 8, 5)) == "Conv2d(1, 8, kernel_size=5)"
    assert repr(Conv2d(1, 8, (5, 3), stride=2, padding=(1, 0), bias=False)) == (
        "Conv2d(1, 8, kernel_size=(5, 3), stride=2, padding=(1, 0), bias=False)"
    )
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=2)"
    assert repr(AvgPool2d(3, stride=1)) == "AvgPool2d(kernel_size=3, stride=1)"


def test_layer_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match="Conv2d: kernel 5x5 does not fit input 3x3"):
        Conv2d(1, 1, 5)(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="expected 3 input channels, got 1"):
        Conv2d(3, 1, 3)(np.zeros((1, 1, 8, 8)))
    with pytest.raises(ValueError, match="in_channels must be a positive int"):
        Conv2d(0, 1, 3)


def test_conv_layers_are_exported_from_nn():

    assert nn.Conv2d is Conv2d and nn.MaxPool2d is MaxPool2d and nn.AvgPool2d is AvgPool2d
    assert Flatten is nn.layers.Flatten  # one Flatten: the conv layers reuse nn.layers'
