"""This checkout's gradtrace against another one (say, before a change), rounds interleaved.

    git worktree add --detach /tmp/before fb28f7b
    .venv/bin/python benchmarks/compare_commits.py /tmp/before --rounds 6

Each round runs one fresh process per version, taking turns (each goes first in turn), with
OPENBLAS_NUM_THREADS=1. A process times, in CPU time of the process (time.process_time, so
that other jobs on a shared machine count less than in wall time), the best of short blocks
of: the digits MLP step (64-128-64-10, batch 32, float32) as a user writes it (nn + SGD), on
bare Tensors, and written out by hand in NumPy (bench_tensor.py's classes), the same for the
wide MLP (784-256-10, batch 128), bench_conv.py's Conv2d + MaxPool2d step in float64 and
float32, and bench_scalar's random Value graph (40 chains of 1,000 ops: build, backward).
Printed: each figure's best over rounds for both versions and their ratio (the median of
the per-round figures in parentheses), and the digits step's ratio to NumPy per version.
The other version runs with this checkout's benchmark code and its own gradtrace (a
temporary folder maps `gradtrace` to its autograd/, nn/, viz/ and cli/).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


# ---------------------------------------------------------------------------- one process
def best_block(step, blocks: int, n: int) -> float:
    """The best (smallest) CPU time per call of `step` over `blocks` blocks of `n` calls."""
    times = []
    for _ in range(blocks):
        start = time.process_time()
        for _ in range(n):
            step()
        times.append((time.process_time() - start) / n)
    return min(times)


def worker() -> dict[str, float]:
    """Every figure of one version, in milliseconds."""
    sys.path.insert(0, str(HERE))
    import bench_conv
    import bench_tensor as bt
    import numpy as np
    from scalar_workloads import make_program

    out = {}
    runs = (
        ("digits", [64, 128, 64, 10], 32, bt.digits_data(), 10),
        ("wide", [784, 256, 10], 128, bt.wide_data(), 3),
    )
    for name, sizes, batch, (X, y), n in runs:
        weights = bt.init_weights(sizes)
        batches = bt.make_batches(X, y, batch, 16)
        steps = {}
        for label, cls in (
            ("nn+SGD", bt.Gradtrace),
            ("tensors", bt.GradtraceTensors),
            ("numpy", bt.HandNumpy),
        ):
            impl = cls(weights)
            prepared = impl.prepare(batches)
            k = iter(range(10**9))

            def step(impl=impl, prepared=prepared, k=k):
                impl.step(prepared[next(k) % len(prepared)])

            for _ in range(50):
                step()
            steps[label] = step
        # short blocks taking turns, as bench_tensor.py, so that a load change hits all three
        best = {label: float("inf") for label in steps}
        for _ in range(40):
            for label, step in steps.items():
                best[label] = min(best[label], best_block(step, 1, n))
        out.update({f"{name} {label}": t * 1e3 for label, t in best.items()})
    for dtype in (np.float64, np.float32):
        step = bench_conv.gradtrace_step(dtype)
        for _ in range(3):
            step()
        out[f"conv {np.dtype(dtype).name}"] = best_block(step, 15, 1) * 1e3
    out.update(scalar_graph(make_program(40, 1000, 1000)))
    return out


def scalar_graph(program) -> dict[str, float]:
    """Build and backward of bench_scalar's random Value graph (+, *, relu, **2 chains)."""
    import gc

    from gradtrace import Value, vsum

    leaf_values, chains = program
    build, back = [], []
    for _ in range(15):
        gc.collect()
        start = time.process_time()
        leaves = [Value(x) for x in leaf_values]
        ends = []
        for first, ops in chains:
            x = leaves[first]
            for op, j in ops:
                x = (
                    x + leaves[j]
                    if op == 0
                    else x * leaves[j]
                    if op == 1
                    else x.relu()
                    if op == 2
                    else x**2
                )
            ends.append(x)
        root = vsum(ends)
        middle = time.process_time()
        root.backward()
        build.append(middle - start)
        back.append(time.process_time() - middle)
    return {"scalar graph build": min(build) * 1e3, "scalar graph backward": min(back) * 1e3}


# ---------------------------------------------------------------------------- the driver
def other_package(checkout: Path, into: Path) -> Path:
    """A folder where `import gradtrace` finds the other checkout (its package-dir layout)."""
    pkg = into / "gradtrace"
    pkg.mkdir()
    for f in (checkout / "autograd").glob("*.py"):
        (pkg / f.name).symlink_to(f)
    for sub in ("nn", "viz", "cli"):
        if (checkout / sub).is_dir():
            (pkg / sub).symlink_to(checkout / sub)
    return into


def run(pythonpath: str, timeout: float) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=pythonpath, OPENBLAS_NUM_THREADS="1")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    try:
        done = subprocess.run(
            cmd,
            env=env,
            cwd=tempfile.gettempdir(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        raise SystemExit(f"compare_commits: a worker took more than {timeout:.0f} s") from None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", nargs="?", type=Path, help="the other checkout (a git worktree)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per worker")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker()))
        return 0
    if args.other is None or not (args.other / "autograd").is_dir():
        parser.error("give the other checkout's folder (it has autograd/)")
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"other": str(other_package(args.other.resolve(), Path(tmp))), "this": ""}
        figures: dict[str, list[dict[str, float]]] = {"other": [], "this": []}
        for r in range(args.rounds):
            for who in ("other", "this") if r % 2 == 0 else ("this", "other"):
                print(f"  round {r + 1}: {who}", file=sys.stderr, flush=True)
                figures[who].append(run(paths[who], args.timeout))
    print(f"{'figure (ms)':24s} {'other':>9s} {'this':>9s}  this/other best (median)")
    for key in figures["this"][0]:
        best = {w: min(f[key] for f in figures[w]) for w in figures}
        med = {w: statistics.median(f[key] for f in figures[w]) for w in figures}
        ratio = f"{best['this'] / best['other']:.3f} ({med['this'] / med['other']:.3f})"
        print(f"{key:24s} {best['other']:9.4g} {best['this']:9.4g}  {ratio}")
    for who in figures:
        ratios = [f["digits nn+SGD"] / f["digits numpy"] for f in figures[who]]
        tensors = [f["digits tensors"] / f["digits numpy"] for f in figures[who]]
        print(
            f"{who}: digits step / hand-written NumPy, median over rounds: nn+SGD "
            f"{statistics.median(ratios):.3f}, tensors {statistics.median(tensors):.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
