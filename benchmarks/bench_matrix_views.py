"""The matrix views' cost: explain_layers on an MNIST-sized MLP, and the 2-2-2 Tensor network's
picture, frames, page and explanation (time and size). Run: .venv/bin/python
benchmarks/bench_matrix_views.py"""

import time

import numpy as np
from gradtrace import Tensor, nn
from gradtrace.nn import functional as F
from gradtrace.viz import backward_steps, draw, explain, explain_layers, explore


def timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def two_two_two():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid())
    m[0].weight.data[:] = [[0.15, 0.20], [0.25, 0.30]]
    m[0].bias.data[:] = 0.35
    m[2].weight.data[:] = [[0.40, 0.45], [0.50, 0.55]]
    m[2].bias.data[:] = 0.60
    E = 0.5 * ((m(Tensor([[0.05, 0.10]])) - Tensor([[0.01, 0.99]])) ** 2).sum()
    E.backward()
    return m, E


def main():
    rng = np.random.default_rng(0)
    mlp = nn.Sequential(nn.Linear(784, 128, rng=rng), nn.ReLU(), nn.Linear(128, 10, rng=rng))
    X, y = rng.normal(size=(64, 784)), rng.integers(0, 10, 64)
    loss = F.cross_entropy(mlp(X), y)
    loss.backward()
    e, t = timed(lambda: explain_layers(loss, mlp))
    print(
        f"explain_layers, 784-128-10 MLP, batch 64: {t * 1e3:.1f} ms, {len(str(e))} chars of text"
    )
    m, E = two_two_two()
    g, t = timed(lambda: draw(E, show_local=True).pipe(format="svg"))
    print(f"2-2-2 Tensor graph, draw(show_local=True) to SVG: {t * 1e3:.0f} ms, {len(g):,} bytes")
    s, t = timed(lambda: backward_steps(E).svgs(), repeat=1)
    print(f"2-2-2 backward_steps, {len(s)} frames as SVG: {t:.2f} s, {sum(map(len, s)):,} chars")
    p, t = timed(lambda: explore(E).page(), repeat=1)
    print(f"2-2-2 explorer page: {t:.2f} s, {len(p.encode()):,} bytes")
    x, t = timed(lambda: str(explain(E, wrt=m[0].weight)))
    print(f"2-2-2 explain(E, wrt=0.weight): {t * 1e3:.1f} ms, {len(x)} chars")
    w = Tensor(rng.normal(size=(100, 100)), requires_grad=True)
    big = ((Tensor(rng.normal(size=(50, 100))) @ w).tanh() ** 2).mean()
    big.backward()
    p, t = timed(lambda: explore(big).page(), repeat=1)
    print(f"100x100 weight, batch 50: page {len(p.encode()):,} bytes in {t:.2f} s (summaries)")


if __name__ == "__main__":
    main()
