"""A training loop's memory stays flat: inner gradients are dropped after use and each
step's graph is freed when the next loss replaces it."""

import gc
import tracemalloc

import numpy as np
from gradtrace import Tensor


def train_step(params, x, y):
    w1, b1, w2, b2 = params
    logits = (x @ w1 + b1).relu() @ w2 + b2
    loss = -logits.log_softmax()[np.arange(len(y)), y].mean()
    loss.backward()
    for p in params:
        p.data -= 0.1 * p.grad
        p.grad = None
    return loss.item()  # keeping the loss Tensor would keep its whole graph alive


def test_peak_memory_of_step_1000_equals_step_1():
    rng = np.random.default_rng(0)
    params = [
        Tensor(rng.normal(size=s) * 0.1, requires_grad=True)
        for s in [(64, 128), (128,), (128, 10), (10,)]
    ]
    x, y = Tensor(rng.normal(size=(32, 64))), rng.integers(0, 10, size=32)
    peaks, held = {}, {}
    tracemalloc.start()
    try:
        for step in range(1, 1001):
            measured = step in (1, 2, 1000)
            if measured:
                gc.collect()  # also empties CPython's free lists, which tracemalloc counts
                before = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
            train_step(params, x, y)
            if measured:
                current, peak = tracemalloc.get_traced_memory()
                peaks[step], held[step] = peak - before, current
    finally:
        tracemalloc.stop()
    print(f"peak memory of a step: step 1 {peaks[1]} B, step 1000 {peaks[1000]} B")
    assert peaks[1000] <= peaks[1] * 1.01  # flat (step 1 may include one-off allocations)
    assert held[1000] <= held[2] + 512  # nothing piles up from step to step
