"""`fit`: epochs of mini-batches with a progress bar, returning a history to plot.

    history = fit(model, F.cross_entropy, X_train, y_train, epochs=20, batch_size=32,
                  optimizer=Adam(model.parameters(), lr=1e-3), validation=(X_test, y_test))
    history["loss"], history["accuracy"], history["val_accuracy"]   # one number per epoch

It is the plain loop, packaged:

    for epoch in range(epochs):
        for Xb, yb in batches(X, y, batch_size, seed=rng):
            loss = loss_fn(model(Xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

Works for Tensor models (a whole batch in one call) and for scalar Value models (the model is
called on each row, and the loss gets the list of outputs). Bad data is refused before the
first step: NaN or inf, the wrong number of features, labels outside the class range.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from gradtrace import Tensor, Value, no_grad

from . import metrics
from .data import batches
from .init import make_rng
from .module import Module, check_count
from .optim import Adam, LRScheduler, Optimizer, max_norm_
from .progress import progress_bar


def fit(
    model: Module,
    loss_fn: Callable[[Any, np.ndarray], Any],
    X: Any,
    y: Any,
    *,
    epochs: int = 10,
    batch_size: int = 32,
    optimizer: Optimizer | None = None,
    validation: tuple[Any, Any] | None = None,
    scheduler: LRScheduler | None = None,
    max_norm: float | None = None,
    seed: int | np.random.Generator | None = None,
    shuffle: bool = True,
    progress: bool | None = None,
    threshold: float | None = None,
    callback: Callable[[Any], None] | None = None,
) -> dict[str, list[float]]:
    """Train `model` on (X, y) and return its history.

    loss_fn(outputs, y_batch) returns the loss node (e.g. `nn.functional.cross_entropy`).
    optimizer: defaults to Adam(model.parameters(), lr=1e-3). validation: (X_val, y_val),
    evaluated in eval mode after each epoch. scheduler: stepped once per epoch. max_norm: if
    given, `max_norm_(model, max_norm)` after every step (the lecture's max-norm constraint).
    seed: the shuffling order. progress: a bar with the running loss, tqdm's in a terminal and
    one updated in place in a notebook (None: only in a terminal or a notebook).

    The history has one number per epoch under "loss" (the mean training loss over the
    epoch's batches), "lr", "time" (seconds), and for classification (integer labels)
    "accuracy" (over the epoch's batches, as they were trained), plus "val_loss" and
    "val_accuracy" with a validation set. Predictions: argmax for several outputs; for one
    output, score > threshold (0.5 after a sigmoid head, else 0), mapped to {-1, +1} when
    the labels are -1/+1.

    callback: called as `callback(loss)` at every step, after backward() and before the
    optimizer's step, so the loss node's graph holds the numbers that made its gradients;
    e.g. `gradtrace.viz.watch(model)`.
    """
    params = _parameters_to_train(model)
    X, y = _check_data(model, X, y, "X", "y")
    validation = _check_validation(model, validation)
    epochs = check_count("epochs", epochs, minimum=0, who="fit")
    batch_size = check_count("batch_size", batch_size, who="fit")
    if optimizer is None:
        optimizer = Adam(params, lr=1e-3)
    if threshold is None:
        threshold = 0.5 if _ends_in_sigmoid(model) else 0.0
    scalar, classify = isinstance(params[0], Value), _is_classification(y)
    run = _Run(
        model, loss_fn, optimizer, scheduler, scalar, classify, threshold, max_norm, callback
    )
    data = partial(batches, X, y, batch_size, shuffle=shuffle, seed=make_rng(seed=seed))
    bar = progress_bar(epochs * -(-len(X) // batch_size), progress)
    return _train(run, epochs, data, validation, bar)


def evaluate(
    model: Module,
    loss_fn: Callable[[Any, np.ndarray], Any],
    X: Any,
    y: Any,
    threshold: float | None = None,
) -> tuple[float, float]:
    """(loss, accuracy) of `model` on (X, y) in eval mode without recording a graph; the
    accuracy is nan when the labels are not class labels. Restores the training flag."""
    was_training = model.training
    scalar = isinstance(model.parameters()[0], Value)
    if threshold is None:
        threshold = 0.5 if _ends_in_sigmoid(model) else 0.0
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    model.eval()
    try:
        with no_grad():
            out = _forward(model, X, scalar)
            loss = _scalar(loss_fn(out, y))
    finally:
        model.train(was_training)
    acc = metrics.accuracy(y, _predict(out, y, threshold)) if _is_classification(y) else np.nan
    return loss, float(acc)


def predict(model: Module, X: Any, threshold: float | None = None) -> np.ndarray:
    """Class predictions for the rows of X (argmax, or score > threshold for one output)."""
    scalar = isinstance(model.parameters()[0], Value)
    if threshold is None:
        threshold = 0.5 if _ends_in_sigmoid(model) else 0.0
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            out = _forward(model, np.asarray(X, dtype=np.float64), scalar)
    finally:
        model.train(was_training)
    return _predict(out, np.zeros(1, dtype=np.int64), threshold)


# ---------------------------------------------------------------------- the loop
@dataclass
class _Run:
    """What stays fixed over one call of `fit`: the model, its loss, how it steps and scores."""

    model: Module
    loss_fn: Callable[[Any, np.ndarray], Any]
    optimizer: Optimizer
    scheduler: LRScheduler | None
    scalar: bool
    classify: bool
    threshold: float
    max_norm: float | None
    callback: Callable[[Any], None] | None


def _train(
    run: _Run,
    epochs: int,
    data: Callable[[], Any],
    validation: tuple[np.ndarray, np.ndarray] | None,
    bar: Any,
) -> dict[str, list[float]]:
    """Run the epochs, one history entry each; the bar is closed even when a step raises."""
    history = _empty_history(run.classify, validation is not None)
    try:
        for epoch in range(epochs):
            bar.set_description(f"epoch {epoch + 1}/{epochs}")
            start = time.perf_counter()
            loss, accuracy = _train_epoch(run, data(), bar)
            _record_epoch(run, history, loss, accuracy, validation, bar)
            history["time"].append(time.perf_counter() - start)
    finally:
        bar.close()
    return history


def _empty_history(classify: bool, validated: bool) -> dict[str, list[float]]:
    """The history's lists, keyed as `fit`'s docstring says, accuracy only for class labels."""
    history: dict[str, list[float]] = {"loss": [], "lr": [], "time": []}
    if classify:
        history["accuracy"] = []
    if validated:
        history["val_loss"] = []
        if classify:
            history["val_accuracy"] = []
    return history


def _train_epoch(run: _Run, data: Any, bar: Any) -> tuple[float, float]:
    """One pass over the batches: (mean loss, accuracy of the batches as they were trained)."""
    run.model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for Xb, yb in data:
        out, loss = _train_step(run, Xb, yb)
        total_loss += _scalar(loss) * len(Xb)
        seen += len(Xb)
        if run.classify:
            correct += int(np.sum(_predict(out, yb, run.threshold) == yb))
        bar.update(1)
        bar.set_postfix(loss=f"{total_loss / seen:.4f}", refresh=False)
    return total_loss / seen, correct / seen


def _train_step(run: _Run, Xb: np.ndarray, yb: np.ndarray) -> tuple[Any, Any]:
    """Forward, backward, the callback, the optimizer's step, then the max-norm constraint."""
    out = _forward(run.model, Xb, run.scalar)
    loss = run.loss_fn(out, yb)
    run.optimizer.zero_grad()
    loss.backward()
    if run.callback is not None:
        run.callback(loss)
    run.optimizer.step()
    if run.max_norm is not None:
        max_norm_(run.model, run.max_norm)
    return out, loss


def _record_epoch(
    run: _Run,
    history: dict[str, list[float]],
    loss: float,
    accuracy: float,
    validation: tuple[np.ndarray, np.ndarray] | None,
    bar: Any,
) -> None:
    """Append the epoch's numbers (validated in eval mode), then step the scheduler."""
    history["loss"].append(loss)
    if run.classify:
        history["accuracy"].append(accuracy)
    if validation is not None:
        val_loss, val_acc = evaluate(run.model, run.loss_fn, *validation, run.threshold)
        history["val_loss"].append(val_loss)
        if run.classify:
            history["val_accuracy"].append(val_acc)
            bar.set_postfix(loss=f"{loss:.4f}", val_acc=f"{val_acc:.3f}")
    history["lr"].append(run.optimizer.lr)
    if run.scheduler is not None:
        run.scheduler.step()


# ---------------------------------------------------------------------- helpers
def _parameters_to_train(model: Module) -> list[Any]:
    """The model's parameters, refusing a non-Module or a model with none."""
    if not isinstance(model, Module):
        raise TypeError(f"model: expected an nn.Module, got {type(model).__name__}")
    params = model.parameters()
    if not params:
        raise ValueError("model: it has no parameters to train")
    return params


def _check_validation(model: Module, validation: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The validation pair, checked as the training data is (None when not given)."""
    if validation is None:
        return None
    if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
        raise ValueError("validation: expected a pair (X_val, y_val)")
    return _check_data(model, *validation, "validation X", "validation y")


def _forward(model: Module, X: np.ndarray, scalar: bool) -> Any:
    """A Tensor model sees the whole batch; a scalar model one row at a time."""
    if scalar:
        return [model([float(v) for v in row]) for row in X]
    return model(Tensor(X))


def _scalar(loss: Any) -> float:
    if isinstance(loss, Value):
        return loss.data
    if isinstance(loss, Tensor):
        if loss.data.size != 1:
            raise ValueError(
                f"loss_fn: must return a single number (use reduction='mean'), got shape "
                f"{loss.shape}"
            )
        return float(loss.data.reshape(()))
    return float(loss)


def _scores(out: Any) -> np.ndarray:
    if isinstance(out, Tensor):
        return out.data
    if isinstance(out, Value):
        return np.array(out.data)
    return np.array([_scores(o) for o in out], dtype=np.float64)


def _predict(out: Any, y: np.ndarray, threshold: float) -> np.ndarray:
    s = _scores(out)
    if s.ndim == 2 and s.shape[1] > 1:
        return s.argmax(axis=1)
    s = s.reshape(len(s))
    if np.any(y < 0):  # labels -1 / +1 (hinge loss)
        return np.where(s > threshold, 1, -1)
    return (s > threshold).astype(np.int64)


def _is_classification(y: np.ndarray) -> bool:
    return y.ndim == 1 and (y.dtype.kind in "iub" or bool(np.all(y == np.round(y))))


def _ends_in_sigmoid(model: Module) -> bool:
    if getattr(model, "head", None) == "sigmoid":
        return True
    last = list(model.modules())[-1]
    return type(last).__name__ == "Sigmoid"


def _in_out_features(model: Module) -> tuple[int | None, int | None]:
    """What the model reads and writes, from its first and last layer (None if unknown)."""
    if hasattr(model, "nouts"):  # MLP
        return model.nin, model.nouts[-1]
    if hasattr(model, "nout"):  # Layer
        return model.nin, model.nout
    if hasattr(model, "nin"):  # Neuron
        return model.nin, 1
    sized = [m for m in model.modules() if hasattr(m, "in_features") or hasattr(m, "in_channels")]
    if not sized:
        return None, None
    last = sized[-1]
    n_out = getattr(last, "out_features", None)
    if hasattr(sized[0], "in_channels"):  # a conv net reads (N, C, H, W): C is checked
        return None, n_out
    return sized[0].in_features, n_out


def _check_data(model: Module, X: Any, y: Any, x_name: str, y_name: str):
    """Validate before training: shapes, finiteness, features, label range."""
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if X.dtype.kind not in "iufb":
        raise ValueError(f"{x_name}: expected numbers, got an array of dtype {X.dtype}")
    X = X.astype(np.float64, copy=False)
    if X.ndim < 2:
        raise ValueError(
            f"{x_name}: expected shape (n_samples, n_features) or (n_samples, C, H, W), "
            f"got {X.shape}"
        )
    channels = next((m.in_channels for m in model.modules() if hasattr(m, "in_channels")), None)
    if channels is not None and X.ndim == 4 and X.shape[1] != channels:
        raise ValueError(
            f"{x_name}: the model expects {channels} input channels, got shape {X.shape}"
        )
    if len(y) != len(X):
        raise ValueError(f"{y_name}: {len(y)} labels for {len(X)} rows of {x_name}")
    if len(X) == 0:
        raise ValueError(f"{x_name}: no samples")
    bad = ~np.isfinite(X)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{x_name}: contains NaN or inf (first at index {first})")
    if y.dtype.kind not in "iufb":
        raise ValueError(f"{y_name}: expected numeric labels, got an array of dtype {y.dtype}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(
            f"{y_name}: contains NaN or inf (first at row {np.argwhere(~np.isfinite(y))[0][0]})"
        )
    n_in, n_out = _in_out_features(model)
    if n_in is not None and (X.ndim != 2 or X.shape[1] != n_in):
        raise ValueError(
            f"{x_name}: the model expects {n_in} features per row, got {X.shape[1]} "
            f"({x_name} has shape {X.shape})"
        )
    if n_out is not None and n_out > 1 and y.ndim == 1:
        if not _is_classification(y):
            raise ValueError(f"{y_name}: expected class indices for {n_out} outputs")
        low, high = y.min(), y.max()
        if low < 0 or high >= n_out:
            raise ValueError(
                f"{y_name}: labels must be class indices in [0, {n_out}) for a model with "
                f"{n_out} outputs, got values from {low} to {high}"
            )
        y = y.astype(np.int64)
    return X, y
