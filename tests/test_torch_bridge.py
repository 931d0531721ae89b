"""Models both ways: Module.to_torch() and nn.from_torch() give the same outputs (to 1e-12 in
float64), the same state_dict names and shapes, and name what cannot be converted."""

import subprocess
import sys

import numpy as np
import pytest
from gradtrace import Tensor, nn
from gradtrace.nn import functional as F
from gradtrace.nn.data import load_digits, train_test_split
from gradtrace.nn.optim import SGD

# (name, a gradtrace module, the input shape): every supported module, alone or nested
CASES = [
    ("Linear", lambda: nn.Linear(5, 3, seed=0), (4, 5)),
    ("Linear without bias", lambda: nn.Linear(5, 3, bias=False, seed=0), (4, 5)),
    ("ReLU", nn.ReLU, (4, 5)),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.1), (4, 5)),
    ("Tanh", nn.Tanh, (4, 5)),
    ("Sigmoid", nn.Sigmoid, (4, 5)),
    ("Softmax", lambda: nn.Softmax(axis=0), (4, 5)),
    ("Dropout", lambda: nn.Dropout(0.3).eval(), (4, 5)),
    ("Flatten", lambda: nn.Flatten(), (2, 3, 4, 4)),
    ("Conv2d", lambda: nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=1, seed=0), (2, 3, 7, 6)),
    ("Conv2d without bias", lambda: nn.Conv2d(3, 2, 3, bias=False, seed=0), (2, 3, 5, 5)),
    ("MaxPool2d", lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 7)),
    ("AvgPool2d", lambda: nn.AvgPool2d(2, padding=1), (2, 3, 5, 5)),
    (
        "Sequential",
        lambda: nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1, seed=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Sequential(nn.Flatten(), nn.Linear(64, 8, seed=2), nn.Tanh()),
            nn.Linear(8, 3, seed=3),
            nn.Softmax(),
        ),
        (2, 1, 8, 8),
    ),
]


def outputs(module, torch_module, x, torch):
    ours = module(Tensor(x)).data
    theirs = torch_module(torch.tensor(x)).detach().numpy()
    return ours, theirs


@pytest.mark.parametrize("name, make, shape", CASES, ids=[c[0] for c in CASES])
def test_to_torch_gives_the_same_outputs_and_state_dict(torch, name, make, shape):
    module = make()
    tm = module.to_torch()
    assert type(tm).__name__ == type(module).__name__
    x = np.random.default_rng(0).normal(size=shape)
    ours, theirs = outputs(module, tm, x, torch)
    assert theirs.dtype == np.float64  # float64 stays float64
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-12)
    ours_sd, theirs_sd = module.state_dict(), tm.state_dict()
    assert list(theirs_sd) == list(ours_sd)  # PyTorch's names, in the same order
    for k, v in ours_sd.items():
        assert tuple(theirs_sd[k].shape) == v.shape


@pytest.mark.parametrize("name, make, shape", CASES, ids=[c[0] for c in CASES])
def test_from_torch_gives_the_same_outputs_from_torch_weights(torch, name, make, shape):
    tm = make().to_torch()
    torch.manual_seed(0)
    for p in tm.parameters():  # torch's own numbers, not the ones gradtrace gave it
        torch.nn.init.normal_(p)
    module = nn.from_torch(tm)
    x = np.random.default_rng(1).normal(size=shape)
    ours, theirs = outputs(module, tm, x, torch)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert list(module.state_dict()) == list(tm.state_dict())


def test_round_trip_keeps_weights_dtype_and_training_flag(torch):
    model = nn.Sequential(nn.Linear(3, 2, seed=0), nn.Dropout(0.25)).eval()
    back = nn.from_torch(model.to_torch())
    for (k, a), (k2, b) in zip(model.state_dict().items(), back.state_dict().items(), strict=True):
        assert k == k2
        np.testing.assert_array_equal(a, b)
    assert back[1].p == 0.25 and not back.training and not back[1].training
    assert not model.to_torch()[1].training
    float32 = nn.Linear(3, 2, seed=0)
    float32.weight.data = float32.weight.data.astype(np.float32)
    assert float32.to_torch().weight.dtype == torch.float32
    assert nn.from_torch(torch.nn.Linear(3, 2, dtype=torch.float32)).weight.dtype == np.float32


def test_weights_are_copied_not_shared(torch):
    model = nn.Linear(3, 2, seed=0)
    tm = model.to_torch()
    with torch.no_grad():
        tm.weight.add_(1.0)
    assert not np.allclose(model.weight.data, tm.weight.detach().numpy())


def test_state_dicts_load_across_as_tensors(torch):
    ours = nn.Sequential(nn.Linear(4, 6, seed=0), nn.ReLU(), nn.Linear(6, 2, seed=1))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(2).normal(size=(5, 4))
    a, b = outputs(ours, theirs, x, torch)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    torch.manual_seed(3)
    other = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
    ours.load_state_dict(other.state_dict())  # torch tensors load into gradtrace
    a, b = outputs(ours, other, x, torch)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_unsupported_torch_module_is_named_with_its_path(torch):
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.BatchNorm1d(4))
    with pytest.raises(
        nn.UnsupportedModuleError, match=r"model\.2 \(BatchNorm1d\) has no gradtrace"
    ):
        nn.from_torch(model)
    nested = torch.nn.Sequential(torch.nn.Sequential(torch.nn.Identity()))
    with pytest.raises(nn.UnsupportedModuleError, match=r"model\.0\.0 \(Identity\)"):
        nn.from_torch(nested)


def test_unsupported_torch_settings_are_named(torch):
    with pytest.raises(nn.UnsupportedModuleError, match=r"model \(Conv2d\) with dilation=\(2, 2\)"):
        nn.from_torch(torch.nn.Conv2d(1, 1, 3, dilation=2))
    with pytest.raises(nn.UnsupportedModuleError, match="padding='same'"):
        nn.from_torch(torch.nn.Conv2d(1, 1, 3, padding="same"))
    with pytest.raises(nn.UnsupportedModuleError, match="ceil_mode=True"):
        nn.from_torch(torch.nn.MaxPool2d(2, ceil_mode=True))
    with pytest.raises(nn.UnsupportedModuleError, match="count_include_pad=False"):
        nn.from_torch(torch.nn.AvgPool2d(2, count_include_pad=False))
    with pytest.raises(nn.UnsupportedModuleError, match="dim=None"):
        nn.from_torch(torch.nn.Softmax())
    with pytest.raises(nn.UnsupportedModuleError, match="end_dim=2"):
        nn.from_torch(torch.nn.Flatten(1, 2))
    with pytest.raises(TypeError, match="expected a torch.nn.Module"):
        nn.from_torch(nn.Linear(2, 2))


def test_subclass_of_torch_linear_is_not_taken_for_a_linear(torch):
    class Scaled(torch.nn.Linear):  # its own forward: converting it as a Linear would be wrong
        def forward(self, x):
            return 2 * super().forward(x)

    with pytest.raises(nn.UnsupportedModuleError, match=r"model\.1 \(Scaled\)"):
        nn.from_torch(torch.nn.Sequential(torch.nn.ReLU(), Scaled(2, 2)))


def test_unsupported_gradtrace_module_is_named_with_its_path(torch):
    model = nn.Sequential(nn.Linear(3, 4), nn.Maxout(4, 2, pieces=3))
    with pytest.raises(nn.UnsupportedModuleError, match=r"model\.1 \(Maxout\) has no torch"):
        model.to_torch()
    with pytest.raises(nn.UnsupportedModuleError, match=r"model \(MLP\)"):
        nn.MLP(2, [3, 1], seed=0).to_torch()


def test_without_torch_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "gradtrace\[torch\]"'):
        nn.Linear(2, 2).to_torch()
    with pytest.raises(ImportError, match=r'pip install "gradtrace\[torch\]"'):
        nn.from_torch(object())


def test_importing_gradtrace_never_imports_torch():
    code = (
        "import sys, gradtrace, gradtrace.nn, gradtrace.viz\n"
        "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_digits_mlp_trained_here_scores_the_same_in_torch_and_trains_on(torch):
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, seed=0, stratify=y)
    model = nn.Sequential(nn.Linear(64, 32, seed=0), nn.ReLU(), nn.Linear(32, 10, seed=1))
    opt = SGD(model.parameters(), lr=0.2, momentum=0.9)
    nn.fit(
        model, F.cross_entropy, X_train, y_train, epochs=2, optimizer=opt, seed=0, progress=False
    )
    ours = nn.predict(model.eval(), X_test)
    tm = model.to_torch()
    theirs = tm(torch.tensor(X_test)).argmax(dim=1).numpy()
    np.testing.assert_array_equal(theirs, ours)  # same held-out accuracy, prediction by prediction
    assert (ours == y_test).mean() > 0.8
    # One more step on the same batch, here and in torch: the same loss before and after.
    opt, topt = SGD(model.parameters(), lr=0.1), torch.optim.SGD(tm.parameters(), lr=0.1)
    xb, yb = X_train[:64], y_train[:64]
    for _ in range(2):
        loss = F.cross_entropy(model(xb), yb)
        tloss = torch.nn.functional.cross_entropy(tm(torch.tensor(xb)), torch.tensor(yb))
        assert abs(float(loss.data) - tloss.item()) < 1e-12
        opt.zero_grad()
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss.backward()
        topt.step()
    back = nn.from_torch(tm)
    np.testing.assert_allclose(back[0].weight.data, model[0].weight.data, rtol=0, atol=1e-12)
