"""`gradtrace demo`: the lecture's worked examples as pictures, and two small trainings.

Writes into one folder (default ./gradtrace-demo):
- the (x+y)z and sigmoid-neuron circuits (SVG and PNG), their backward steps (numbered SVG
  frames and an animated GIF), and a roles/local-gradients version of the neuron;
- a scalar MLP on the moons: loss curve, decision boundary, network view, gradient histograms;
- a Tensor classifier on the 8x8 digits: curves, confusion matrix, network view, gradient
  histograms (when nn has Linear, Sequential and fit).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from autograd import Value

from .draw import dot_available, render
from .network import network
from .steps import backward_steps


class Writer:
    """Keeps the list of files written, and prints each one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[Path] = []
        folder.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.folder / name

    def figure(self, name: str, what: str, plot: Callable, *args, **kwargs) -> None:
        """Draw a matplotlib plot straight into the folder."""
        plot(*args, path=self.path(name), **kwargs)
        self.wrote(self.path(name), what)

    def wrote(self, path: Path, what: str) -> None:
        self.written.append(path)
        shown = path.relative_to(self.folder) if path.is_relative_to(self.folder) else path
        print(f"  wrote {self.folder.name}/{shown}  ({what})")


def circuits(out: Writer) -> None:
    """The two graphs of the lecture (003), after backward, and their backward steps."""
    pictures = dot_available()
    formats = ("svg", "png") if pictures else ("dot",)
    if not pictures:
        print("  (Graphviz's dot is not installed: writing .dot files only)")

    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.backward()
    for ext in formats:
        out.wrote(render(f, out.path(f"xyz.{ext}"), title="f = (x + y) z"), "(x+y)z circuit")

    w0, w1, w2 = Value(2.0, "w0"), Value(-3.0, "w1"), Value(-3.0, "w2")
    x0, x1 = Value(-1.0, "x0"), Value(-2.0, "x1")
    # The lecture's gates one by one: *, +, *-1, exp, +1, 1/x.
    s = ((-(w0 * x0 + w1 * x1 + w2)).exp() + 1).reciprocal()
    s.backward()
    title = "f(w, x) = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))"
    for ext in formats:
        out.wrote(
            render(s, out.path(f"sigmoid_neuron.{ext}"), fmt=".2f", title=title),
            "sigmoid neuron circuit",
        )
    roles = "sigmoid_neuron_local_and_roles." + formats[-1]
    out.wrote(
        render(s, out.path(roles), fmt=".2f", show_local=True, show_roles=True, title=title),
        "with local gradients and gate roles",
    )

    for name, root in (("xyz", f), ("sigmoid_neuron", s)):
        steps = backward_steps(root, fmt=".2f")
        frames = steps.save(out.path(f"{name}_steps"), format="svg" if pictures else "dot")
        out.wrote(out.path(f"{name}_steps"), f"{len(frames)} backward-step frames")
        if pictures:
            out.wrote(steps.save_gif(out.path(f"{name}_steps.gif")), "animated backward pass")


def moons(out: Writer, plots) -> None:  # noqa: ANN001 - plots is the viz.plots module
    """A scalar MLP (Values) on the moons, trained with hinge loss and SGD."""
    import nn

    X, y = nn.data.make_moons(60, noise=0.1, seed=1)
    t = 2 * y - 1  # labels -1 / +1 for the hinge loss
    model = nn.MLP(2, [16, 16, 1], seed=0) if _takes_seed(nn.MLP) else nn.MLP(2, [16, 16, 1])
    opt = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    for _ in range(30):
        scores = [model([float(a) for a in row]) for row in X]
        loss = nn.functional.hinge_loss(scores, t.astype(float))
        opt.zero_grad()
        loss.backward()
        opt.step()
        history["loss"].append(loss.data)
        history["accuracy"].append(float(np.mean(np.sign([s.data for s in scores]) == t)))
    print(
        f"  moons MLP 2-16-16-1: loss {history['loss'][-1]:.3f}, "
        f"accuracy {history['accuracy'][-1]:.2f} after 30 steps"
    )
    out.figure("moons_history.png", "moons loss curve", plots.plot_history, history)
    out.figure(
        "moons_boundary.png",
        "moons decision boundary",
        plots.plot_decision_boundary,
        model,
        X,
        y,
        resolution=36,
        threshold=0.0,
        title="moons: MLP 2-16-16-1",
    )
    out.figure(
        "moons_gradients.png", "moons gradient histograms", plots.plot_gradient_histograms, model
    )
    # The network view of the last step's graph (its gradients are still there).
    g = network(loss, model=model, title="moons MLP: the last training step")
    out.wrote(
        render(g, out.path("moons_network." + ("svg" if dot_available() else "dot"))),
        "moons network view",
    )


def digits(out: Writer, plots) -> None:  # noqa: ANN001
    """A Tensor classifier 64-32-10 on the 8x8 digits, trained with fit()."""
    import nn

    needed = ("Linear", "Sequential", "ReLU", "fit")
    missing = [n for n in needed if not hasattr(nn, n)]
    if missing:
        print(f"  digits: skipped (nn has no {', '.join(missing)} yet)")
        return
    from autograd import Tensor

    X, y = nn.data.load_digits()
    X = X / 16.0
    split = nn.data.train_test_split if hasattr(nn.data, "train_test_split") else None
    if split is not None:
        X_train, X_test, y_train, y_test = split(X, y, test_size=0.25, seed=0)
    else:
        X_train, X_test, y_train, y_test = X[:1350], X[1350:], y[:1350], y[1350:]
    model = nn.Sequential(nn.Linear(64, 32, seed=0), nn.ReLU(), nn.Linear(32, 10, seed=1))
    history = nn.fit(
        model,
        nn.functional.cross_entropy,
        X_train,
        y_train,
        epochs=12,
        batch_size=32,
        optimizer=nn.optim.Adam(model.parameters(), lr=0.01),
        validation=(X_test, y_test),
        seed=0,
        progress=False,
    )
    print(f"  digits 64-32-10: validation accuracy {history['val_accuracy'][-1]:.3f}")
    out.figure("digits_history.png", "digits curves", plots.plot_history, history)
    model.eval()
    logits = model(Tensor(X_test))
    pred = np.argmax(logits.data, axis=1)
    cm = nn.metrics.confusion_matrix(y_test, pred, num_classes=10)
    out.figure(
        "digits_confusion.png",
        "digits confusion matrix",
        plots.plot_confusion_matrix,
        cm,
        title="digits: confusion matrix (test set)",
    )
    loss = nn.functional.cross_entropy(model(Tensor(X_test[:64])), y_test[:64])
    model.zero_grad()
    loss.backward()
    out.figure(
        "digits_gradients.png", "digits gradient histograms", plots.plot_gradient_histograms, model
    )
    g = network(loss, model=model, title="digits classifier: one batch")
    out.wrote(
        render(g, out.path("digits_network." + ("svg" if dot_available() else "dot"))),
        "digits network view",
    )


def _takes_seed(cls: type) -> bool:
    import inspect

    return "seed" in inspect.signature(cls).parameters


def run(folder: str | Path, train: bool = True) -> list[Path]:
    """Write every demo picture into `folder`; returns the paths written."""
    out = Writer(Path(folder))
    start = time.perf_counter()
    print(f"\npictures in {out.folder}/")
    circuits(out)
    if train:
        try:
            from . import plots
        except ImportError as e:
            print(f"  training plots skipped: {e}")
        else:
            for part in (moons, digits):
                _guarded(part, out, plots)
    print(f"wrote {len(out.written)} files in {time.perf_counter() - start:.1f} s")
    return out.written


def _guarded(part: Callable, out: Writer, plots) -> None:  # noqa: ANN001
    """One training part; if nn is not ready for it, say so and go on."""
    try:
        part(out, plots)
    except (ImportError, AttributeError) as e:
        print(f"  {part.__name__}: skipped ({e})")
