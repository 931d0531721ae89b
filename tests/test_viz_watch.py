"""watch(model): one notebook display updated in place while training, nothing elsewhere."""

import gradtrace.nn as nn
import pytest
from gradtrace.micrograd import Value
from gradtrace.micrograd.nn import MLP as MicroMLP
from gradtrace.nn import functional as F
from gradtrace.viz import watch


def moons():
    X, y = nn.data.make_moons(16, noise=0.1, seed=0)
    return X, y


def test_fit_calls_watch_each_step_and_one_display_is_updated(notebook):
    X, y = moons()
    model = nn.MLP(2, [4, 1], seed=0)
    w = watch(model, every=2)
    fit_steps = 2 * 2  # 2 epochs of 2 batches
    nn.fit(
        model,
        F.hinge_loss,
        X,
        y * 2 - 1,
        epochs=2,
        batch_size=8,
        seed=0,
        progress=False,
        callback=w,
    )
    assert len(w.losses) == fit_steps and len(notebook.displays) == 1
    assert w.frames == len(notebook.shown) == 2  # steps 1 and 3
    html, text = notebook.shown[-1]
    assert "<svg" in html and "polyline" in html and f"loss {w.losses[2]:.4g}" in html
    assert text == f"watch: step 3, loss {w.losses[2]:.4g}"


def test_leaving_the_with_block_draws_the_last_step(notebook):
    random_model = MicroMLP(2, [3, 1])
    X, y = moons()
    with watch(random_model, every=10) as w:
        for _ in range(4):
            loss = sum(
                (1 + -float(t) * random_model(list(map(Value, row)))).relu()
                for row, t in zip(X, y * 2 - 1, strict=True)
            )
            random_model.zero_grad()
            loss.backward()
            w(loss)
            for p in random_model.parameters():
                p.data -= 0.01 * p.grad
    assert w.frames == 2 and "step 4" in notebook.shown[-1][1]  # step 1, then the last


def test_outside_a_notebook_nothing_is_drawn_or_written(capsys):
    X, y = moons()
    model = nn.MLP(2, [4, 1], seed=0)
    w = watch(model, every=1)
    nn.fit(model, F.hinge_loss, X, y * 2 - 1, epochs=1, batch_size=8, progress=False, callback=w)
    assert w.frames == 0 and len(w.losses) == 2
    assert capsys.readouterr() == ("", "")


def test_every_must_be_a_whole_number():
    with pytest.raises(ValueError, match="every=0"):
        watch(None, every=0)
