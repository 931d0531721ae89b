"""fit(): training loop, history, validation before training, and the digits quality bar."""

import gradtrace.nn.functional as F
import numpy as np
import pytest
from gradtrace.nn import MLP
from gradtrace.nn.data import load_digits, make_blobs, make_moons, train_test_split
from gradtrace.nn.layers import Linear, ReLU, Sequential
from gradtrace.nn.optim import SGD, Adam, CosineAnnealingLR, StepLR
from gradtrace.nn.train import evaluate, fit, predict


def blobs():
    X, y = make_blobs(120, centers=3, seed=0)
    return X, y


def small_net(seed=0):
    return Sequential(Linear(2, 16, seed=seed), ReLU(), Linear(16, 3, seed=seed + 1))


def test_fit_returns_one_history_entry_per_epoch_and_learns():
    X, y = blobs()
    model = small_net()
    history = fit(
        model,
        F.cross_entropy,
        X,
        y,
        epochs=8,
        batch_size=16,
        optimizer=Adam(model.parameters(), lr=0.02),
        seed=0,
        progress=False,
    )
    assert set(history) == {"loss", "accuracy", "lr", "time"}
    assert all(len(v) == 8 for v in history.values())
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] > 0.9


def test_fit_with_validation_adds_val_loss_and_val_accuracy():
    X, y = blobs()
    Xtr, Xte, ytr, yte = train_test_split(X, y, seed=0)
    model = small_net()
    history = fit(
        model,
        F.cross_entropy,
        Xtr,
        ytr,
        epochs=3,
        batch_size=16,
        validation=(Xte, yte),
        seed=0,
        progress=False,
    )
    assert len(history["val_loss"]) == len(history["val_accuracy"]) == 3
    assert history["val_accuracy"][-1] == evaluate(model, F.cross_entropy, Xte, yte)[1]


def test_fit_is_reproducible_with_a_seed():
    X, y = blobs()
    runs = []
    for _ in range(2):
        model = small_net()
        runs.append(
            fit(
                model,
                F.cross_entropy,
                X,
                y,
                epochs=2,
                batch_size=10,
                seed=3,
                optimizer=SGD(model.parameters(), lr=0.1),
                progress=False,
            )["loss"]
        )
    assert runs[0] == runs[1]


def test_fit_steps_the_scheduler_once_per_epoch():
    X, y = blobs()
    model = small_net()
    opt = SGD(model.parameters(), lr=0.1)
    history = fit(
        model,
        F.cross_entropy,
        X,
        y,
        epochs=4,
        batch_size=40,
        optimizer=opt,
        scheduler=StepLR(opt, step_size=2, gamma=0.5),
        progress=False,
    )
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05])


def test_fit_trains_a_scalar_mlp_row_by_row():
    X, y = make_moons(40, noise=0.1, seed=0)
    model = MLP(2, [8, 2], activation="tanh", seed=0)
    history = fit(
        model,
        F.cross_entropy,
        X,
        y,
        epochs=5,
        batch_size=20,
        optimizer=SGD(model.parameters(), lr=0.2),
        seed=0,
        progress=False,
    )
    assert history["loss"][-1] < history["loss"][0]
    assert predict(model, X).shape == (40,)


def test_fit_applies_max_norm_after_each_step():
    X, y = blobs()
    model = small_net()
    fit(
        model,
        F.cross_entropy,
        X * 100,
        y,
        epochs=2,
        batch_size=16,
        max_norm=0.5,
        optimizer=SGD(model.parameters(), lr=1.0),
        progress=False,
    )
    for layer in (model[0], model[2]):
        assert np.linalg.norm(layer.weight.data, axis=1).max() <= 0.5 + 1e-12


def test_fit_progress_bar_shows_the_running_loss(capsys):
    X, y = blobs()
    fit(small_net(), F.cross_entropy, X, y, epochs=1, batch_size=60, progress=True)
    assert "loss=" in capsys.readouterr().err


# ---------------------------------------------------------------------- bad input
def untouched(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize(
    "change, name",
    [
        (lambda X, y: (X, np.where(y == 2, 3, y)), "y"),
        (lambda X, y: (X, np.where(y == 2, -1, y)), "y"),
        (lambda X, y: (X[:, :1], y), "X"),
        (lambda X, y: (np.where(np.arange(len(X))[:, None] == 5, np.nan, X), y), "X"),
        (lambda X, y: (X, y[:-1]), "y"),
    ],
    ids=["label too large", "negative label", "wrong feature count", "NaN", "length"],
)
def test_bad_data_is_refused_before_any_training(change, name):
    X, y = blobs()
    model = small_net()
    before = untouched(model)
    X_bad, y_bad = change(X, y)
    with pytest.raises(ValueError, match=rf"^{name}:"):
        fit(model, F.cross_entropy, X_bad, y_bad, epochs=1, progress=False)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_bad_validation_data_is_named_as_such():
    X, y = blobs()
    with pytest.raises(ValueError, match="validation X"):
        fit(small_net(), F.cross_entropy, X, y, validation=(X[:, :1], y), progress=False)


def test_scalar_mlp_with_the_wrong_feature_count_is_refused():
    X, y = make_moons(10, seed=0)
    with pytest.raises(ValueError, match="X: the model expects 3 features per row, got 2"):
        fit(MLP(3, [4, 2], seed=0), F.cross_entropy, X, y, progress=False)


@pytest.mark.parametrize(
    "kwargs, name", [(dict(epochs=-1), "epochs"), (dict(batch_size=0), "batch_size")]
)
def test_bad_loop_settings_are_named(kwargs, name):
    X, y = blobs()
    with pytest.raises(ValueError, match=name):
        fit(small_net(), F.cross_entropy, X, y, progress=False, **kwargs)


# ---------------------------------------------------------------------- quality bar
def test_digits_mlp_reaches_97_percent_on_a_held_out_quarter():
    # issue 4's bar: a 64-128-64-10 Tensor MLP, >= 97% on a 25% split (about 3 s of training
    # on the 2-core machines; time is measured in the README, not asserted here). Over 12
    # (split, init) seeds this recipe gave 96.7% to 98.7%, mean 97.7%; this pair gives 98.0%.
    X, y = load_digits()
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, seed=1, stratify=y)
    mean, std = Xtr.mean(axis=0), Xtr.std(axis=0) + 1e-8  # statistics of the training part
    Xtr, Xte = (Xtr - mean) / std, (Xte - mean) / std
    model = Sequential(
        Linear(64, 128, seed=0), ReLU(), Linear(128, 64, seed=1), ReLU(), Linear(64, 10, seed=2)
    )
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    history = fit(
        model,
        F.cross_entropy,
        Xtr,
        ytr,
        epochs=15,
        batch_size=32,
        optimizer=opt,
        scheduler=CosineAnnealingLR(opt, T_max=15),
        validation=(Xte, yte),
        seed=0,
        progress=False,
    )
    assert history["val_accuracy"][-1] >= 0.97


def test_fit_trains_a_conv_net_on_images_directly():
    from gradtrace.nn.conv import Conv2d, MaxPool2d
    from gradtrace.nn.layers import Flatten

    X, y = load_digits()
    images = (X / 16.0).reshape(-1, 1, 8, 8)[:300]
    model = Sequential(
        Conv2d(1, 4, 3, padding=1, seed=0), ReLU(), MaxPool2d(2), Flatten(), Linear(64, 10, seed=1)
    )
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(
        model, F.cross_entropy, images, y[:300], epochs=3, optimizer=opt, seed=0, progress=False
    )
    assert history["loss"][-1] < history["loss"][0]
    with pytest.raises(ValueError, match="expects 1 input channels"):
        fit(model, F.cross_entropy, np.zeros((4, 3, 8, 8)), y[:4], epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"NaN or inf \(first at index \(0, 0, 1, 2\)\)"):
        bad = images[:4].copy()
        bad[0, 0, 1, 2] = np.nan
        fit(model, F.cross_entropy, bad, y[:4], epochs=1, progress=False)


def test_flatten_keeps_dimensions_before_start_dim():
    from gradtrace import Tensor
    from gradtrace.nn.layers import Flatten

    x = Tensor(np.zeros((2, 3, 4, 5)))
    assert Flatten()(x).shape == (2, 60)
    assert Flatten(start_dim=2)(x).shape == (2, 3, 20)


def test_the_digits_benchmark_trains_with_fit_not_a_copy_of_its_loop(monkeypatch):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "train_digits_cnn.py"
    spec = importlib.util.spec_from_file_location("train_digits_cnn", script)
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    calls = []

    def counting_fit(*args, **kwargs):
        calls.append(kwargs["epochs"])
        return fit(*args, **kwargs)

    monkeypatch.setattr(recipe, "fit", counting_fit)
    Xtr, Xte, ytr, yte = recipe.digits_split()
    accuracy, seconds = recipe.train(recipe.make_cnn(0), (Xtr[:64], Xte, ytr[:64], yte), 1, 0)
    assert calls == [1] and 0.0 <= accuracy <= 1.0 and seconds > 0.0
