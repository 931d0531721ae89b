"""Tensor layers: Linear, Sequential, activations, Dropout, Maxout, Flatten, and nn.init."""

import math

import numpy as np
import pytest
from gradtrace import Tensor, Value
from gradtrace.nn import init
from gradtrace.nn.layers import (
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    Maxout,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)

X = np.random.default_rng(0).normal(size=(5, 4))


def test_linear_shapes_follow_pytorch():
    lin = Linear(4, 3, seed=0)
    assert lin.weight.shape == (3, 4) and lin.bias.shape == (3,)
    assert lin.weight.requires_grad and lin.bias.requires_grad
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]


def test_linear_computes_x_weight_transpose_plus_bias():
    lin = Linear(4, 3, seed=0)
    expected = X @ lin.weight.data.T + lin.bias.data
    assert np.allclose(lin(X).data, expected, atol=1e-14)


def test_linear_without_bias():
    lin = Linear(4, 3, bias=False, seed=0)
    assert lin.bias is None and len(lin.parameters()) == 1
    assert np.allclose(lin(X).data, X @ lin.weight.data.T)


def test_linear_forward_and_gradients_match_torch(torch):
    lin = Linear(4, 3, seed=1)
    tl = torch.nn.Linear(4, 3)
    with torch.no_grad():
        tl.weight.copy_(torch.tensor(lin.weight.data))
        tl.bias.copy_(torch.tensor(lin.bias.data))
    (lin(X).tanh() ** 2).sum().backward()
    (torch.tanh(tl(torch.tensor(X))) ** 2).sum().backward()
    assert np.allclose(lin.weight.grad, tl.weight.grad.numpy(), atol=1e-12)
    assert np.allclose(lin.bias.grad, tl.bias.grad.numpy(), atol=1e-12)


def test_linear_default_init_is_pytorchs_uniform_range():
    lin = Linear(100, 50, seed=0)
    bound = 1 / math.sqrt(100)  # PyTorch: kaiming_uniform_(a=sqrt(5)) = U(+-1/sqrt(fan_in))
    assert np.abs(lin.weight.data).max() <= bound and np.abs(lin.bias.data).max() <= bound
    assert np.abs(lin.weight.data).max() > 0.9 * bound


@pytest.mark.parametrize(
    "name", ["kaiming_uniform", "kaiming_normal", "xavier_uniform", "xavier_normal"]
)
def test_named_inits_have_the_textbook_standard_deviation(name):
    w = Linear(400, 300, init=name, seed=0).weight.data
    expected = math.sqrt(2 / 400) if name.startswith("kaiming") else math.sqrt(2 / 700)
    assert w.std() == pytest.approx(expected, rel=0.02)  # He: 2/fan_in; Glorot: 2/(in+out)


def test_named_inits_give_zero_biases():
    assert not Linear(4, 3, init="xavier_uniform", seed=0).bias.data.any()


def test_init_functions_fill_in_place_and_return_their_argument():
    t = Tensor(np.ones((3, 4)), requires_grad=True)
    assert init.zeros_(t) is t and not t.data.any()
    assert init.xavier_uniform_(t, seed=0) is t
    assert np.abs(t.data).max() <= math.sqrt(6 / 7)


def test_init_is_reproducible_from_seed_or_generator():
    a = Linear(4, 3, seed=3).weight.data
    b = Linear(4, 3, rng=np.random.default_rng(3)).weight.data
    assert np.array_equal(a, b)
    assert not np.array_equal(a, Linear(4, 3, seed=4).weight.data)


def test_unknown_init_name_is_a_value_error():
    with pytest.raises(ValueError, match="init"):
        Linear(4, 3, init="glorot")


def test_wrong_number_of_features_names_the_layer_and_both_shapes():
    with pytest.raises(
        ValueError,
        match=r"Linear\(4, 3\): expected input of shape \(\.\.\., 4\), "
        r"got shape \(5, 2\)",
    ):
        Linear(4, 3, seed=0)(np.ones((5, 2)))


def test_sequential_is_indexable_iterable_and_names_like_pytorch():
    model = Sequential(Linear(4, 8, seed=0), ReLU(), Linear(8, 2, seed=1))
    assert len(model) == 3 and isinstance(model[1], ReLU)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    assert isinstance(model[:2], Sequential) and len(model[:2]) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    expected = np.maximum(X @ model[0].weight.data.T + model[0].bias.data, 0)
    expected = expected @ model[2].weight.data.T + model[2].bias.data
    assert np.allclose(model(X).data, expected, atol=1e-13)


def test_sequential_state_dict_round_trip(tmp_path):
    a = Sequential(Linear(4, 8, seed=0), Tanh(), Linear(8, 2, seed=1))
    b = Sequential(Linear(4, 8, seed=5), Tanh(), Linear(8, 2, seed=6))
    b.load(a.save(tmp_path / "seq.npz"))
    assert np.array_equal(a(X).data, b(X).data)


def test_load_state_dict_reports_a_misshaped_tensor():
    a = Sequential(Linear(4, 8, seed=0))
    state = a.state_dict()
    state["0.weight"] = np.zeros((8, 5))
    with pytest.raises(ValueError, match=r"0\.weight: expected \(8, 4\), got \(8, 5\)"):
        a.load_state_dict(state)


def test_zero_grad_sets_tensor_grads_to_none():
    lin = Linear(4, 3, seed=0)
    lin(X).sum().backward()
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None


@pytest.mark.parametrize(
    "layer, f",
    [
        (ReLU(), lambda x: np.maximum(x, 0)),
        (LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
        (Tanh(), np.tanh),
        (Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (Softmax(), lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)),
        (Softmax(axis=0), lambda x: np.exp(x) / np.exp(x).sum(axis=0, keepdims=True)),
    ],
)
def test_activation_layers_match_numpy(layer, f):
    assert np.allclose(layer(Tensor(X)).data, f(X), atol=1e-14)


def test_leaky_relu_default_slope_is_pytorchs():
    assert LeakyReLU().slope == 0.01


def test_flatten_keeps_the_batch_axis():
    assert Flatten()(np.ones((2, 3, 4))).shape == (2, 12)


# ---------------------------------------------------------------------- dropout
def test_dropout_is_identity_in_eval_mode():
    d = Dropout(0.5, seed=0).eval()
    x = Tensor(X)
    assert d(x) is x


def test_dropout_scales_survivors_by_one_over_keep_probability():
    out = Dropout(0.25, seed=0)(np.ones((200, 50))).data
    assert set(np.unique(out)) <= {0.0, 1 / 0.75}
    assert (out == 0).mean() == pytest.approx(0.25, abs=0.01)  # p is the DROP probability
    assert out.mean() == pytest.approx(1.0, abs=0.02)  # expectation unchanged (inverted)


def test_dropout_mask_is_reproducible_from_seed():
    a = Dropout(0.5, seed=7)(np.ones((4, 5))).data
    b = Dropout(0.5, seed=7)(np.ones((4, 5))).data
    assert np.array_equal(a, b)


def test_dropout_gradient_flows_only_through_kept_units():
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    out = Dropout(0.5, seed=1)(x)
    out.sum().backward()
    assert np.array_equal(x.grad, out.data)  # d(sum(x * mask))/dx = mask


def test_dropout_p_one_drops_everything_and_p_zero_nothing():
    assert not Dropout(1.0, seed=0)(np.ones(5)).data.any()
    x = Tensor(np.ones(5))
    assert Dropout(0.0)(x) is x


def test_dropout_on_a_list_of_values():
    out = Dropout(0.5, seed=0)([Value(1.0) for _ in range(100)])
    assert {v.data for v in out} <= {0.0, 2.0}


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_p_outside_0_1(p):
    with pytest.raises(ValueError, match="p"):
        Dropout(p)


def test_dropout_follows_the_model_train_flag():
    model = Sequential(Linear(4, 4, seed=0), Dropout(0.5, seed=0))
    assert np.array_equal(model.eval()(X).data, model[0](X).data)
    assert not np.array_equal(model.train()(X).data, model[0](X).data)


# ---------------------------------------------------------------------- maxout
def test_maxout_takes_the_largest_piece_per_unit():
    m = Maxout(4, 3, pieces=2, seed=0)
    z = X @ m.linear.weight.data.T + m.linear.bias.data
    assert m(X).shape == (5, 3)
    assert np.allclose(m(X).data, z.reshape(5, 3, 2).max(axis=-1))


def test_maxout_gradient_goes_to_the_winning_piece_only():
    m = Maxout(4, 3, pieces=2, seed=0)
    m(X[:1]).sum().backward()
    z = X[:1] @ m.linear.weight.data.T + m.linear.bias.data
    winners = z.reshape(3, 2).argmax(axis=1) + np.arange(3) * 2
    assert set(np.flatnonzero(m.linear.bias.grad)) == set(winners)


def test_maxout_checks_the_number_of_features():
    with pytest.raises(ValueError, match="Maxout"):
        Maxout(4, 3, 2, seed=0)(np.ones((2, 5)))


def test_sequential_is_built_on_the_module_list_base():
    from gradtrace.nn import ModuleList

    model = Sequential(Linear(4, 3, seed=0), ReLU())
    assert isinstance(model, ModuleList) and model.append(Tanh()) is model
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Tanh"]
    assert isinstance(model[-2:], Sequential) and isinstance(model[-1], Tanh)
    with pytest.raises(TypeError, match="Sequential: expected a Module, got int"):
        Sequential(Linear(4, 3, seed=0), 3)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Linear(True, 3), "Linear: in_features must be a positive int, got True"),
        (lambda: Linear(3, False), "Linear: out_features must be a positive int, got False"),
        (lambda: Linear(2.0, 3), "Linear: in_features must be a positive int, got 2.0"),
        (lambda: Maxout(3, 2, True), "Maxout: pieces must be a positive int, got True"),
    ],
)
def test_a_bool_or_a_float_is_not_a_size(make, message):
    # before, Linear(True, 3) built a layer with one input (True == 1)
    with pytest.raises(ValueError, match=message):
        make()


def test_numpy_integers_are_sizes():
    assert Linear(np.int64(3), np.int32(2), seed=0).weight.shape == (2, 3)
