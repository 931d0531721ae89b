"""fit's progress bar: tqdm's text in a terminal, one display updated in place in a notebook."""

import gradtrace.nn.functional as F
from gradtrace.nn import progress
from gradtrace.nn.data import make_blobs
from gradtrace.nn.layers import Linear, ReLU, Sequential
from gradtrace.nn.train import fit


def train(**kw):
    X, y = make_blobs(120, centers=3, seed=0)
    model = Sequential(Linear(2, 8, seed=0), ReLU(), Linear(8, 3, seed=1))
    return fit(model, F.cross_entropy, X, y, epochs=2, batch_size=30, seed=0, **kw)


def test_in_a_notebook_the_bar_is_one_display_and_nothing_goes_to_stderr(notebook, capsys):
    train(validation=make_blobs(30, centers=3, seed=1))
    assert capsys.readouterr().err == ""  # no red stderr box
    html, text = notebook.shown[-1]  # the last state is what the saved notebook keeps
    assert '<progress value="8" max="8">' in html
    assert "epoch 2/2" in text and "8/8 batch" in text and "loss=" in text
    assert "val_acc=" in text and "█" * progress.WIDTH in text


def test_by_default_a_notebook_gets_the_bar_and_progress_false_gets_none(notebook):
    train()
    assert notebook.shown
    notebook.shown.clear()
    train(progress=False)
    assert notebook.shown == []


def test_outside_a_notebook_progress_true_is_tqdms_text_bar_on_stderr(capsys):
    assert not progress.in_notebook()
    train(progress=True)
    assert "loss=" in capsys.readouterr().err


def test_notebook_bar_escapes_its_text_and_redraws_at_most_every_interval(notebook):
    bar = progress.NotebookBar(4, every=3600)
    bar.set_description("<b>epoch</b>")
    for _ in range(4):
        bar.update()
    assert len(notebook.shown) == 1  # only the first display so far: throttled
    bar.close()
    html, text = notebook.shown[-1]
    assert "&lt;b&gt;epoch&lt;/b&gt;" in html and "<b>" not in html
    assert text.startswith("<b>epoch</b> |" + "█" * progress.WIDTH + "| 4/4 batch")
