"""`gradtrace demo`: the lecture's worked examples as pictures, and two small trainings.

Writes into one folder (default ./gradtrace-demo):
- the (x+y)z and sigmoid-neuron circuits (SVG and PNG), their backward steps (numbered SVG
  frames and an animated GIF), a roles/local-gradients version of the neuron, and the
  neuron's page stepping through forward and backward (sigmoid_neuron.html);
- the lecture's 2-2-2 network in matrix form (Tensors), after backward;
- micrograd's demo, a scalar MLP on the moons: loss curve, decision boundary, network view,
  gradient histograms;
- a Tensor classifier 64-128-64-10 on the 8x8 digits: curves, confusion matrix, network view,
  gradient histograms.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from gradtrace import Tensor, Value
from gradtrace.viz import backward_steps, network, render, to_html
from gradtrace.viz.dot import dot_available


class DemoFolder:
    """The demo's output folder (viz.dot.Writer writes DOT, this writes files): it keeps the
    list of files written, and prints each one."""

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


def circuits(out: DemoFolder) -> None:
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
            render(s, out.path(f"sigmoid_neuron.{ext}"), title=title),
            "sigmoid neuron circuit",
        )
    roles = "sigmoid_neuron_local_and_roles." + formats[-1]
    out.wrote(
        render(s, out.path(roles), show_local=True, show_roles=True, title=title),
        "with local gradients and gate roles",
    )

    for name, root in (("xyz", f), ("sigmoid_neuron", s)):
        steps = backward_steps(root)  # the stills' number format (the default, .4g)
        frames = steps.save(out.path(f"{name}_steps"), format="svg" if pictures else "dot")
        out.wrote(out.path(f"{name}_steps"), f"{len(frames)} backward-step frames")
        if pictures:
            out.wrote(steps.save_gif(out.path(f"{name}_steps.gif")), "animated backward pass")
    if pictures:
        page = to_html(s, out.path("sigmoid_neuron.html"), title=title)
        out.wrote(page, "sigmoid neuron page: forward and backward, step by step")


def two_two_two(out: DemoFolder) -> None:
    """The lecture's 2-2-2 sigmoid network (003) in matrix form, one fused linear gate per
    layer; E = 1/2 sum (t - o)^2 is the mean squared error over the two outputs."""
    from gradtrace import linear
    from gradtrace.nn.functional import mse_loss

    x = Tensor([[0.05, 0.10]], label="x")
    w1 = Tensor([[0.15, 0.20], [0.25, 0.30]], requires_grad=True, label="W1")  # w1 w2 / w3 w4
    w2 = Tensor([[0.40, 0.45], [0.50, 0.55]], requires_grad=True, label="W2")  # w5 w6 / w7 w8
    h = linear(x, w1, Tensor([0.35, 0.35], label="b1")).sigmoid()
    o = linear(h, w2, Tensor([0.60, 0.60], label="b2")).sigmoid()
    for node, name in ((h, "h"), (o, "o")):
        node.label = name
        node.retain_grad()  # so the picture shows their gradients too
    error = mse_loss(o, Tensor([[0.01, 0.99]], label="t"))
    error.backward()
    print(f"  2-2-2 network (Tensors): E = {error.item():.9f}, dE/dw1 = {w1.grad[0, 0]:.9f}")
    title = (
        f"the 2-2-2 network of the notes in matrix form: E = mean (o - t)^2 = {error.item():.9f}"
    )
    for ext in ("svg", "png") if dot_available() else ("dot",):
        picture = render(error, out.path(f"two_two_two_tensor.{ext}"), title=title)
        out.wrote(picture, "the 2-2-2 network with Tensors")


def moons(out: DemoFolder, plots) -> None:  # noqa: ANN001 - plots is the viz.plots module
    """micrograd's demo: a scalar MLP 2-16-16-1 (Values) on 100 moons points, hinge loss +
    1e-4 sum w^2, full-batch SGD with lr 1.0 - 0.9 k/100, 100 steps."""
    from gradtrace import nn

    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    t = [float(v) for v in 2 * y - 1]  # labels -1 / +1 for the hinge loss
    rows = [[float(a), float(b)] for a, b in X]
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    params = model.parameters()
    opt = nn.optim.SGD(params, lr=1.0)
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    for k in range(100):
        opt.lr = 1.0 - 0.9 * k / 100
        scores = [model(r) for r in rows]
        # l2_penalty is (1/2) sum w^2, so 2e-4 of it is micrograd's 1e-4 sum w^2
        loss = nn.functional.hinge_loss(scores, t) + 2e-4 * nn.optim.l2_penalty(params)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history["loss"].append(loss.data)
        history["accuracy"].append(
            float(np.mean([(s.data > 0) == (ti > 0) for s, ti in zip(scores, t, strict=True)]))
        )
    print(
        f"  moons MLP 2-16-16-1 (micrograd's demo): loss {history['loss'][-1]:.3f}, "
        f"accuracy {history['accuracy'][-1]:.2f} after 100 steps"
    )
    out.figure("moons_history.png", "moons loss curve", plots.plot_history, history, per="step")
    out.figure(
        "moons_boundary.png",
        "moons decision boundary",
        plots.plot_decision_boundary,
        model,
        X,
        y,
        resolution=60,
        threshold=0.0,
        title="moons: MLP 2-16-16-1",
    )
    out.figure(
        "moons_gradients.png", "moons gradient histograms", plots.plot_gradient_histograms, model
    )
    # The network view of the last step's graph (its gradients are still there).
    g = network(loss, model=model, title="moons MLP: the last training step")
    for ext in ("svg", "png") if dot_available() else ("dot",):
        out.wrote(render(g, out.path(f"moons_network.{ext}")), "moons network view")


def digits(out: DemoFolder, plots) -> None:  # noqa: ANN001
    """A Tensor classifier 64-128-64-10 on the 8x8 digits, trained with fit()."""
    from gradtrace import Tensor, nn

    X, y = nn.data.load_digits()
    X_train, X_test, y_train, y_test = nn.data.train_test_split(
        X, y, test_size=0.25, seed=1, stratify=y
    )
    mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 1e-8  # from the training part only
    X_train, X_test = (X_train - mean) / std, (X_test - mean) / std
    model = nn.Sequential(
        nn.Linear(64, 128, seed=0),
        nn.ReLU(),
        nn.Linear(128, 64, seed=1),
        nn.ReLU(),
        nn.Linear(64, 10, seed=2),
    )
    opt = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    history = nn.fit(
        model,
        nn.functional.cross_entropy,
        X_train,
        y_train,
        epochs=15,
        batch_size=32,
        optimizer=opt,
        scheduler=nn.optim.CosineAnnealingLR(opt, T_max=15),
        validation=(X_test, y_test),
        seed=0,
        progress=False,
    )
    print(f"  digits 64-128-64-10: held-out accuracy {history['val_accuracy'][-1]:.3f}")
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
    for ext in ("svg", "png") if dot_available() else ("dot",):
        out.wrote(render(g, out.path(f"digits_network.{ext}")), "digits network view")


def run(folder: str | Path, train: bool = True) -> list[Path]:
    """Write every demo picture into `folder`; returns the paths written."""
    out = DemoFolder(Path(folder))
    start = time.perf_counter()
    print(f"\npictures in {out.folder}/")
    circuits(out)
    two_two_two(out)
    if train:
        try:
            from gradtrace.viz import plots
        except ImportError as e:
            print(f"  training plots skipped: {e}")
        else:
            moons(out, plots)
            digits(out, plots)
    print(f"wrote {len(out.written)} files in {time.perf_counter() - start:.1f} s")
    return out.written
