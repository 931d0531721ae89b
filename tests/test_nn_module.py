"""Module: registration by attribute, dotted names, train/eval, state_dict, save/load."""

import numpy as np
import pytest
from gradtrace import Value
from gradtrace.nn import MLP, Module, Neuron


class Pair(Module):
    def __init__(self):
        super().__init__()
        self.scale = Value(2.0, "scale")
        self.inner = Neuron(3, seed=0)
        self.heads = [Neuron(1, seed=1), Neuron(1, seed=2)]

    def forward(self, x):
        return self.inner(x) * self.scale


def test_parameters_and_submodules_register_by_attribute_with_dotted_names():
    names = [n for n, _ in Pair().named_parameters()]
    assert names == [
        "scale",
        "inner.w.0",
        "inner.w.1",
        "inner.w.2",
        "inner.b",
        "heads.0.w.0",
        "heads.0.b",
        "heads.1.w.0",
        "heads.1.b",
    ]


def test_mlp_parameter_names_follow_layers_and_neurons():
    names = [n for n, _ in MLP(2, [3, 1], seed=0).named_parameters()]
    assert names[0] == "layers.0.neurons.0.w.0"
    assert names[-1] == "layers.1.neurons.0.b"
    assert len(names) == 2 * 3 + 3 + 3 + 1  # hand count: weights and biases of 2-3-1


def test_shared_parameter_is_listed_once():
    m = Pair()
    m.again = m.scale
    assert sum(p is m.scale for p in m.parameters()) == 1


def test_typo_in_attribute_name_raises_instead_of_returning_none():
    with pytest.raises(AttributeError, match="wieght"):
        Pair().wieght  # noqa: B018


def test_reassigning_an_attribute_to_a_plain_value_unregisters_it():
    m = Pair()
    m.scale = 3.0
    assert "scale" not in dict(m.named_parameters())
    assert m.scale == 3.0


def test_subclass_that_forgets_super_init_still_registers():
    class Lazy(Module):
        def __init__(self):
            self.w = Value(1.0)

    assert len(Lazy().parameters()) == 1


def test_call_runs_forward():
    m = Pair()
    assert m([1.0, 2.0, 3.0]).data == pytest.approx(2 * m.inner([1.0, 2.0, 3.0]).data)


def test_zero_grad_clears_value_grads():
    m = Pair()
    m([1.0, 2.0, 3.0]).backward()
    assert any(p.grad != 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


def test_train_and_eval_return_self_and_reach_every_child():
    m = Pair()
    assert m.eval() is m
    assert not any(sub.training for sub in m.modules())
    assert m.train() is m
    assert all(sub.training for sub in m.modules())


def test_state_dict_is_a_copy_of_the_data_as_numpy_arrays():
    m = Pair()
    state = m.state_dict()
    assert isinstance(state["scale"], np.ndarray) and state["scale"].shape == ()
    state["scale"][...] = 99.0
    assert m.scale.data == 2.0


def test_load_state_dict_round_trips_into_a_fresh_model():
    a, b = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=1)
    b.load_state_dict(a.state_dict())
    assert b([0.3, -0.7]).data == a([0.3, -0.7]).data


def test_load_state_dict_lists_missing_unexpected_and_misshaped_keys_in_one_error():
    m = Pair()
    state = m.state_dict()
    del state["inner.b"]
    state["bogus"] = np.zeros(2)
    state["scale"] = np.zeros(3)
    before = m.state_dict()
    with pytest.raises(ValueError) as err:
        m.load_state_dict(state)
    message = str(err.value)
    assert "missing keys: inner.b" in message
    assert "unexpected keys: bogus" in message
    assert "scale: expected (), got (3,)" in message
    assert all(np.array_equal(before[k], v) for k, v in m.state_dict().items())  # untouched


def test_save_and_load_round_trip_through_npz(tmp_path):
    a, b = MLP(2, [4, 2], seed=0), MLP(2, [4, 2], seed=5)
    path = a.save(tmp_path / "model")
    assert path.endswith("model.npz")
    assert b.load(path) is b
    assert [v.data for v in b([0.1, 0.2])] == [v.data for v in a([0.1, 0.2])]


def test_saved_file_is_plain_npz_readable_without_pickle(tmp_path):
    path = MLP(2, [1], seed=0).save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == [
            "layers.0.neurons.0.b",
            "layers.0.neurons.0.w.0",
            "layers.0.neurons.0.w.1",
        ]


def test_truncated_file_raises_an_error_naming_the_file(tmp_path):
    path = MLP(2, [8, 1], seed=0).save(tmp_path / "m.npz")
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"m\.npz.*truncated or corrupted"):
        MLP(2, [8, 1], seed=0).load(path)


def test_corrupted_file_raises_an_error_naming_the_file(tmp_path):
    path = MLP(2, [8, 1], seed=0).save(tmp_path / "m.npz")
    data = bytearray(open(path, "rb").read())
    for i in range(200, 260):
        data[i] ^= 0xFF
    open(path, "wb").write(bytes(data))
    with pytest.raises(ValueError, match=r"m\.npz.*truncated or corrupted"):
        MLP(2, [8, 1], seed=0).load(path)


def test_a_file_that_needs_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="evil.npz"):
        MLP(1, [1], seed=0).load(path)


def test_load_finds_the_file_save_wrote_under_the_same_name(tmp_path):
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=7)
    a.save(tmp_path / "model")  # writes model.npz
    b.load(tmp_path / "model")
    assert b([0.3, -0.1]).data == a([0.3, -0.1]).data


def test_module_and_optimizer_zero_grad_share_one_implementation(monkeypatch):
    import gradtrace.nn.module as module
    from gradtrace.nn.optim import SGD

    m = Pair()
    seen = []
    monkeypatch.setattr(module, "zero_grad", lambda params: seen.append(list(params)))
    monkeypatch.setattr("gradtrace.nn.optim.zero_grad", module.zero_grad)
    m.zero_grad()
    SGD(m, lr=0.1).zero_grad()
    assert seen == [m.parameters(), m.parameters()]


def test_zero_grad_forgets_value_and_tensor_gradients_alike():
    from gradtrace import Tensor
    from gradtrace.nn.module import zero_grad

    v, t = Value(1.0), Tensor(np.ones(2), requires_grad=True)
    v.grad, t.grad = 3.0, np.ones(2)
    zero_grad([v, t])
    assert v.grad == 0.0 and t.grad is None  # PyTorch's set_to_none=True for Tensors


def test_module_list_append_returns_the_list_as_in_pytorch():
    from gradtrace.nn import ModuleList

    layers = ModuleList()
    assert layers.append(Neuron(1, seed=0)) is layers and len(layers) == 1
    with pytest.raises(TypeError, match="ModuleList: expected a Module, got int"):
        layers.append(3)
