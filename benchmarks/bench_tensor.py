"""Tensor engine benchmark: gradtrace against a hand-written NumPy step and PyTorch CPU.

    .venv/bin/python benchmarks/bench_tensor.py [digits] [wide]

Both workloads run side by side in one process, float32, same data, same initial weights,
same batches; PyTorch with torch.set_num_threads(2). A training step is forward, softmax
cross-entropy, backward, an SGD update (lr 0.1) and clearing the gradients. The hand-written
NumPy step (forward and backward written out by hand, no graph) is the floor for any
NumPy-based engine.

Taking turns: the implementations run in short interleaved rounds so that a noisy, shared
machine slows them alike, each one first in turn, with a short pause before each block.
Without the pause, whichever ran right after PyTorch paid for PyTorch's worker threads still
spinning on the second core: up to 2x slower on this 2-core machine. The figure is the best
round's time per step (the median round's in parentheses); ratios compare figures of one run.
NumPy's OpenBLAS uses every core by default; on a loaded machine a 2-thread matrix product
waits for a descheduled thread, so `OPENBLAS_NUM_THREADS=1` gives much steadier figures (the
same BLAS for gradtrace and the hand-written NumPy either way).

  nn+SGD     gradtrace as a user writes it: nn.Sequential(nn.Linear, nn.ReLU, ...),
             nn.functional.cross_entropy, nn.optim.SGD (one fused linear gate per layer, one
             fused loss gate)
  nn+inplace the same, with the SGD update written in place instead of nn.optim.SGD
  tensors    the same gates on bare Tensors, with the update in place
  numpy      forward and backward written out by hand
  pytorch    the same network in torch (CPU, 2 threads)

  digits  MLP 64-128-64-10, ReLU, batch 32, on the 8x8 digits (nn.data.load_digits)
  wide    MLP 784-256-10, ReLU, batch 128, on random 784-d inputs

Fairness check: every implementation trains from the same start for a fixed number of steps
and must reach the hand-written NumPy's loss to 1e-5. The memory check compares the peak
memory of gradtrace's training step 1 with step 1000 (tracemalloc, after gc.collect()).
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gradtrace import Tensor, cross_entropy, linear  # noqa: E402

LR = 0.1
F32 = np.float32
PAUSE = 0.1  # seconds between timed blocks; see "Taking turns" in the docstring


# ----------------------------------------------------------------------------- data, weights
def digits_data():
    """The 8x8 digits scaled to [0, 1] (random data of the same shape if nn.data is absent)."""
    try:
        from gradtrace.nn.data import load_digits

        X, y = load_digits()
        return np.asarray(X, F32) / np.float32(max(float(np.max(X)), 1.0)), np.asarray(y)
    except ImportError:
        rng = np.random.default_rng(0)
        return rng.random((1797, 64), dtype=F32), rng.integers(0, 10, 1797)


def wide_data():
    rng = np.random.default_rng(1)
    return rng.standard_normal((2048, 784), dtype=F32), rng.integers(0, 10, 2048)


def init_weights(sizes, seed=0):
    """He-initialised weights in PyTorch's layout (out, in), so a layer is x @ W.T + b, and
    zero biases."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        params.append((rng.standard_normal((n_out, n_in)) * np.sqrt(2 / n_in)).astype(F32))
        params.append(np.zeros(n_out, F32))
    return params


def make_batches(X, y, batch, count, seed=2):
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        order = rng.permutation(len(X))
        for i in range(0, len(X) - batch + 1, batch):
            idx = order[i : i + batch]
            out.append((np.ascontiguousarray(X[idx]), y[idx]))
    return out[:count]


# ----------------------------------------------------------------------------- gradtrace
class Gradtrace:
    """What a user writes: nn.Sequential of nn.Linear and nn.ReLU, nn.functional.cross_entropy
    and nn.optim.SGD, loaded with the shared weights."""

    def __init__(self, weights):
        from gradtrace.nn import Linear, ReLU, Sequential
        from gradtrace.nn.functional import cross_entropy
        from gradtrace.nn.optim import SGD

        layers = []
        for w, b in zip(weights[::2], weights[1::2], strict=True):
            layer = Linear(w.shape[1], w.shape[0])
            layer.weight.data, layer.bias.data = w.copy(), b.copy()
            layers += [layer, ReLU()]
        self.model = Sequential(*layers[:-1])
        self.loss_fn = cross_entropy
        self.opt = SGD(self.model.parameters(), lr=LR)

    def prepare(self, batches):
        return [(Tensor(x), y) for x, y in batches]

    def step(self, batch):
        x, y = batch
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        self.opt.step()
        self.opt.zero_grad()
        return loss.data


class GradtraceInPlace(Gradtrace):
    """The same nn model and loss, with the SGD update written in place (p.data -= lr * grad):
    the cost of nn.optim.SGD's out-of-place update (w - lr * g, then copied into w)."""

    def step(self, batch):
        x, y = batch
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        for p in self.opt.params:
            p.data -= LR * p.grad
            p.grad = None
        return loss.data


class GradtraceTensors:
    """The same gates called on bare Tensors (autograd.tensor.linear, relu, cross_entropy),
    with the SGD update written in place: what nn's layers, loss and optimizer add on top."""

    def __init__(self, weights):
        self.params = [Tensor(w, requires_grad=True) for w in weights]

    def prepare(self, batches):
        return [(Tensor(x), y) for x, y in batches]

    def step(self, batch):
        x, y = batch
        params = self.params
        h = x
        for i in range(0, len(params), 2):
            if i:
                h = h.relu()
            h = linear(h, params[i], params[i + 1])
        loss = cross_entropy(h, y)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
        return loss.data


# ----------------------------------------------------------------------------- NumPy by hand
class HandNumpy:
    """The same network with forward and backward written out by hand (the floor)."""

    def __init__(self, weights):
        self.params = [w.copy() for w in weights]

    def prepare(self, batches):
        return [(x, np.arange(len(y)), y) for x, y in batches]

    def step(self, batch):
        x, rows, y = batch
        params = self.params
        n = len(params) // 2
        acts, pre = [x], []
        for i in range(n):
            z = acts[-1] @ params[2 * i].T + params[2 * i + 1]
            pre.append(z)
            if i < n - 1:
                acts.append(np.maximum(z, 0))
        z = pre[-1]
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        loss = -(shifted[rows, y] - np.log(s[:, 0])).mean()
        dz = e / s  # softmax - onehot, divided by the batch size
        dz[rows, y] -= 1
        dz /= len(y)
        for i in range(n - 1, -1, -1):
            dW, db = dz.T @ acts[i], dz.sum(axis=0)
            if i > 0:
                dz = (dz @ params[2 * i]) * (pre[i - 1] > 0)
            params[2 * i] -= LR * dW
            params[2 * i + 1] -= LR * db
        return loss


# ----------------------------------------------------------------------------- PyTorch
class Torch:
    def __init__(self, weights):
        import torch

        torch.set_num_threads(2)
        self.torch = torch
        self.params = [torch.tensor(w, requires_grad=True) for w in weights]

    def prepare(self, batches):
        t = self.torch
        return [(t.from_numpy(x), t.from_numpy(y.astype(np.int64))) for x, y in batches]

    def step(self, batch):
        t = self.torch
        x, y = batch
        params = self.params
        h = x
        last = len(params) - 2
        for i in range(0, len(params), 2):
            h = t.nn.functional.linear(h, params[i], params[i + 1])
            if i < last:
                h = h.relu()
        loss = t.nn.functional.cross_entropy(h, y)
        loss.backward()
        with t.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss.detach()


# ----------------------------------------------------------------------------- measuring
def time_steps(impl, batches, steps):
    step = impl.step
    start = time.perf_counter()
    for i in range(steps):
        step(batches[i % len(batches)])
    return (time.perf_counter() - start) / steps


def final_loss(cls, weights, batches, steps):
    impl = cls(weights)
    prepared = impl.prepare(batches)
    for i in range(steps):
        loss = impl.step(prepared[i % len(prepared)])
    return float(loss)


def step_memory(weights, batches):
    """Peak bytes allocated during gradtrace's training step 1 and step 1000."""
    impl = Gradtrace(weights)
    prepared = impl.prepare(batches)
    peaks = {}
    tracemalloc.start()
    for i in range(1, 1001):
        if i in (1, 1000):
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
        impl.step(prepared[i % len(prepared)])
        if i in (1, 1000):
            peaks[i] = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peaks


def run(name, X, y, sizes, batch, rounds, steps, check_steps):
    weights = init_weights(sizes)
    batches = make_batches(X, y, batch, 64)
    impls = {
        "nn+SGD": Gradtrace,
        "nn+inplace": GradtraceInPlace,
        "tensors": GradtraceTensors,
        "numpy": HandNumpy,
    }
    try:
        import torch  # noqa: F401

        impls["pytorch"] = Torch
    except ImportError:
        pass
    ready = {}
    for label, cls in impls.items():
        impl = cls(weights)
        ready[label] = (impl, impl.prepare(batches))
        time_steps(impl, ready[label][1], steps)  # warm-up
    times = {label: [] for label in impls}
    labels = list(impls)
    for r in range(rounds):
        for label in labels[r % len(labels) :] + labels[: r % len(labels)]:  # each goes first
            impl, prepared = ready[label]
            time.sleep(PAUSE)  # let the last one's worker threads (OpenMP, OpenBLAS) go idle
            times[label].append(time_steps(impl, prepared, steps))
    best = {label: min(t) * 1e3 for label, t in times.items()}
    median = {label: statistics.median(t) * 1e3 for label, t in times.items()}

    losses = {label: final_loss(cls, weights, batches, check_steps) for label, cls in impls.items()}
    peaks = step_memory(weights, batches)

    print(
        f"\n{name}: MLP {'-'.join(map(str, sizes))}, batch {batch}, float32, "
        f"{rounds} rounds of {steps} steps"
    )
    print("  ms/step: best round (median round); ratio to hand-written NumPy in the same run")
    for label in impls:
        print(
            f"  {label:10s} {best[label]:8.4f} ({median[label]:8.4f})   "
            f"{best[label] / best['numpy']:5.2f}x ({median[label] / median['numpy']:5.2f}x)"
        )
    floor = losses["numpy"]
    print(f"  loss after {check_steps} steps (|difference| to numpy, must be < 1e-5):")
    for label, loss in losses.items():
        ok = "OK" if abs(loss - floor) < 1e-5 else "FAIL"
        print(f"    {label:10s} {loss:.7f}  {abs(loss - floor):.1e} {ok}")
    print(f"  gradtrace peak memory of a step: step 1 {peaks[1]:,} B, step 1000 {peaks[1000]:,} B")
    return best


def main():
    which = sys.argv[1:] or ["digits", "wide"]
    if "digits" in which:
        X, y = digits_data()
        run("digits", X, y, [64, 128, 64, 10], 32, rounds=21, steps=200, check_steps=300)
    if "wide" in which:
        X, y = wide_data()
        run("wide", X, y, [784, 256, 10], 128, rounds=21, steps=30, check_steps=100)


if __name__ == "__main__":
    main()
