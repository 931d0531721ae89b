"""The bridge never changes a model silently: a module used twice and tied weights stay shared
(or are refused by path), child names and frozen parameters carry over both ways, ModuleList
converts, and hooks, buffers and meta-device weights are refused naming the module."""

from collections import OrderedDict

import numpy as np
import pytest
from gradtrace import Tensor, nn
from gradtrace.nn.optim import SGD

X = np.random.default_rng(0).normal(size=(5, 3))


def same_outputs(ours, theirs, torch, x=X):
    np.testing.assert_allclose(
        ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=0, atol=1e-12
    )


def test_a_module_used_twice_stays_one_module_from_torch(torch):
    lin = torch.nn.Linear(3, 3, dtype=torch.float64)
    model = torch.nn.Sequential(lin, torch.nn.Tanh(), lin)
    ours = nn.from_torch(model)
    assert len(ours) == 3 and ours[0] is ours[2]
    same_outputs(ours, model, torch)


def test_a_module_used_twice_stays_one_module_to_torch(torch):
    lin = nn.Linear(3, 3, seed=0)
    model = nn.Sequential(lin, nn.Tanh(), lin)
    theirs = model.to_torch()
    assert len(theirs) == 3 and theirs[0] is theirs[2]
    same_outputs(model, theirs, torch)


def test_tied_weights_stay_tied_from_torch(torch):
    l1, l2 = torch.nn.Linear(3, 3, dtype=torch.float64), torch.nn.Linear(3, 3, dtype=torch.float64)
    l2.weight = l1.weight
    model = torch.nn.Sequential(l1, torch.nn.Tanh(), l2)
    ours = nn.from_torch(model)
    assert ours[0].weight is ours[2].weight and ours[0].bias is not ours[2].bias
    same_outputs(ours, model, torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in model.named_parameters()]


def test_tied_weights_stay_tied_to_torch(torch):
    l1, l2 = nn.Linear(3, 3, seed=0), nn.Linear(3, 3, seed=1)
    l2.weight = l1.weight
    model = nn.Sequential(l1, nn.Tanh(), l2)
    theirs = model.to_torch()
    assert theirs[0].weight is theirs[2].weight and theirs[0].bias is not theirs[2].bias
    same_outputs(model, theirs, torch)
    assert len(list(theirs.parameters())) == len(model.parameters()) == 3


def test_named_children_keep_their_names_both_ways(torch):
    model = torch.nn.Sequential(
        OrderedDict(
            fc1=torch.nn.Linear(3, 4, dtype=torch.float64),
            act=torch.nn.ReLU(),
            fc2=torch.nn.Linear(4, 2, dtype=torch.float64),
        )
    )
    ours = nn.from_torch(model)
    assert list(ours.state_dict()) == list(model.state_dict())  # fc1.weight, ...
    ours.load_state_dict(model.state_dict())
    same_outputs(ours, model, torch)
    assert ours[0] is ours.fc1 and ours[-1] is ours.fc2  # indexable by position too
    back = ours.to_torch()
    assert list(back.state_dict()) == list(model.state_dict())
    same_outputs(ours, back, torch)


def test_a_name_pytorch_refuses_is_refused():
    with pytest.raises(ValueError, match="Sequential: a module name must be .* got 'a.b'"):
        nn.Sequential(OrderedDict([("a.b", nn.ReLU())]))


def test_frozen_parameters_stay_frozen_both_ways(torch):
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 4, dtype=torch.float64), torch.nn.Linear(4, 1, dtype=torch.float64)
    )
    model[0].weight.requires_grad_(False)
    ours = nn.from_torch(model)
    assert not ours[0].weight.requires_grad and ours[0].bias.requires_grad
    assert "0.weight" in ours.state_dict()
    frozen = ours[0].weight.data.copy()
    opt = SGD(ours.parameters(), lr=0.1)  # a frozen parameter is accepted, as in torch
    ours(Tensor(X)).sum().backward()
    opt.step()
    assert ours[0].weight.grad is None
    np.testing.assert_array_equal(ours[0].weight.data, frozen)
    back = ours.to_torch()
    assert [p.requires_grad for p in back.parameters()] == [False, True, True, True]


def test_module_list_converts_both_ways(torch):
    tl = torch.nn.ModuleList([torch.nn.Linear(3, 2, dtype=torch.float64), torch.nn.Tanh()])
    ours = nn.from_torch(tl)
    assert isinstance(ours, nn.ModuleList) and list(ours.state_dict()) == list(tl.state_dict())
    back = ours.to_torch()
    assert isinstance(back, torch.nn.ModuleList)
    x = torch.tensor(X)
    np.testing.assert_array_equal(back[0](x).detach().numpy(), tl[0](x).detach().numpy())


def test_training_flags_are_kept_per_module(torch):
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Dropout(0.5).eval())
    ours = nn.from_torch(model)
    assert ours.training and not ours[1].training
    back = ours.to_torch()
    assert back.training and not back[1].training


def test_a_module_with_hooks_is_refused_by_path(torch):
    model = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 2))
    model[1].register_forward_hook(lambda m, i, o: o * 2)
    with pytest.raises(nn.UnsupportedModuleError, match=r"model\.1 \(Linear\) has forward hooks"):
        nn.from_torch(model)
    pre = torch.nn.Linear(2, 2)
    pre.register_forward_pre_hook(lambda m, i: i)
    with pytest.raises(nn.UnsupportedModuleError, match=r"model \(Linear\) has forward pre hooks"):
        nn.from_torch(pre)


def test_meta_device_buffers_and_extra_parameters_are_refused_by_path(torch):
    meta = torch.nn.Sequential(torch.nn.Linear(2, 2, device="meta"))
    with pytest.raises(nn.UnsupportedModuleError, match=r"model\.0 \(Linear\) .* meta device"):
        nn.from_torch(meta)
    buffered = torch.nn.Linear(2, 2)
    buffered.register_buffer("scale", torch.ones(1))
    with pytest.raises(nn.UnsupportedModuleError, match=r"model \(Linear\) has buffers \(scale\)"):
        nn.from_torch(buffered)
    extra = torch.nn.Sequential(torch.nn.Linear(2, 2))
    extra[0].gain = torch.nn.Parameter(torch.ones(1))
    with pytest.raises(nn.UnsupportedModuleError, match=r"model\.0\.gain: a parameter"):
        nn.from_torch(extra)


@pytest.mark.parametrize("name", ["forward", "training", "parameters", "_members", "fc"])
def test_a_child_named_like_an_attribute_is_refused(name):
    children = OrderedDict([("fc", nn.Linear(2, 2, seed=0)), (name, nn.ReLU())])
    if name == "fc":  # a repeated name: the dict keeps one, as PyTorch's OrderedDict does
        assert len(nn.Sequential(children)) == 1
        return
    with pytest.raises(ValueError, match=f"a module cannot be named '{name}'"):
        nn.Sequential(children)


def test_state_dicts_of_tied_and_repeated_models_load_across_both_ways(torch):
    l1, l2 = torch.nn.Linear(3, 3, dtype=torch.float64), torch.nn.Linear(3, 3, dtype=torch.float64)
    l2.weight = l1.weight
    theirs = torch.nn.Sequential(l1, torch.nn.Tanh(), l2, torch.nn.Tanh(), l1)
    ours = nn.from_torch(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())  # each name, as torch lists it
    ours.load_state_dict(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    same_outputs(ours, theirs, torch)
    state = {k: v.copy() for k, v in ours.state_dict().items()}
    state["2.weight"] += 1.0  # the same parameter as 0.weight, given another value
    before = ours.state_dict()
    with pytest.raises(ValueError, match="0.weight and 2.weight name one shared parameter"):
        ours.load_state_dict(state)
    assert all(np.array_equal(before[k], v) for k, v in ours.state_dict().items())
