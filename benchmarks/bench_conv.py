"""Convolution benchmark: gradtrace's Conv2d + MaxPool2d against PyTorch CPU, in one run.

    .venv/bin/python benchmarks/bench_conv.py
    .venv/bin/python benchmarks/bench_conv.py --repeats 200

The workload (issue 7): forward plus backward of Conv2d(1, 8, 5) then MaxPool2d(2) on a batch
of 64 28x28 images (64x1x28x28 -> 64x8x24x24 -> 64x8x12x12), with an upstream gradient of
ones; the images do not require a gradient (as in training), the weights and bias do. One
step = zero the gradients, forward, backward.

Each contestant runs the same step, interleaved round by round so a noisy, shared machine
slows them alike: gradtrace in float64 (its default) and float32, PyTorch 2 threads
(`torch.set_num_threads(2)`, this machine's cores) in float32 (its default) and float64.
Reported: the median and the best time of a step, and gradtrace's ratio to PyTorch at the
same precision. The issue's target is at most 2x PyTorch's time.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

import numpy as np
from gradtrace.nn.conv import Conv2d, MaxPool2d

BATCH, SIZE, FILTERS, KERNEL, POOL = 64, 28, 8, 5, 2


def gradtrace_step(dtype: type) -> Callable[[], None]:
    x = np.random.default_rng(0).normal(size=(BATCH, 1, SIZE, SIZE)).astype(dtype)
    conv, pool = Conv2d(1, FILTERS, KERNEL, seed=0), MaxPool2d(POOL)
    for p in conv.parameters():
        p.data = p.data.astype(dtype)
    out_shape = pool(conv(x)).shape
    ones = np.ones(out_shape, dtype=dtype)

    def step() -> None:
        conv.zero_grad()
        out = pool(conv(x))
        out.backward(ones)

    return step


def torch_step(torch, dtype) -> Callable[[], None]:
    x = torch.tensor(np.random.default_rng(0).normal(size=(BATCH, 1, SIZE, SIZE)), dtype=dtype)
    conv = torch.nn.Conv2d(1, FILTERS, KERNEL).to(dtype)
    pool = torch.nn.MaxPool2d(POOL)
    ones = torch.ones(pool(conv(x)).shape, dtype=dtype)

    def step() -> None:
        conv.zero_grad()
        out = pool(conv(x))
        out.backward(ones)

    return step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=100, help="timed rounds (default 100)")
    args = parser.parse_args(argv)

    steps: dict[str, Callable[[], None]] = {
        "gradtrace float64": gradtrace_step(np.float64),
        "gradtrace float32": gradtrace_step(np.float32),
    }
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: gradtrace only (make torch)")
    if torch is not None:
        torch.set_num_threads(2)
        steps["PyTorch float32"] = torch_step(torch, torch.float32)
        steps["PyTorch float64"] = torch_step(torch, torch.float64)

    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(5):  # warm-up: allocators, BLAS threads, torch's first-call setup
        for step in steps.values():
            step()
    for _ in range(args.repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)

    print(
        f"Conv2d(1, {FILTERS}, {KERNEL}) + MaxPool2d({POOL}), forward + backward, batch "
        f"{BATCH}x1x{SIZE}x{SIZE}; {args.repeats} interleaved rounds on "
        f"{platform.machine()}, numpy {np.__version__}"
        + (f", torch {torch.__version__} (2 threads)" if torch is not None else "")
    )
    median = {name: 1e3 * float(np.median(t)) for name, t in times.items()}
    best = {name: 1e3 * min(t) for name, t in times.items()}
    for name in steps:
        line = f"  {name:18s} median {median[name]:7.2f} ms   best {best[name]:7.2f} ms"
        bits = name.split()[-1]
        if torch is not None and name.startswith("gradtrace"):
            ref = f"PyTorch {bits}"
            line += (
                f"   {median[name] / median[ref]:.2f}x PyTorch {bits} (median), "
                f"{best[name] / best[ref]:.2f}x (best)"
            )
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
