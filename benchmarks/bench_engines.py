"""Graphviz's `dot` against graphviz-pure on gradtrace's own pictures: the time each takes to
lay out the same DOT text (best of `--repeat` runs) and how big the drawing comes out.

    .venv/bin/python benchmarks/bench_engines.py [--repeat 3] [--out folder]

With --out, both engines' PNGs are written there side by side to look at."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from gradtrace import Value
from gradtrace.viz import backward_steps, draw
from gradtrace.viz import dot as gv

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def pictures() -> dict:
    """Name -> Digraph: the lecture's worked examples, a frame, a long chain."""
    from test_value_worked_examples import _two_two_two, _weights

    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    w0, x0, w1, x1, w2 = (
        Value(v, n) for v, n in zip([2, -1, -3, -2, -3], "w0 x0 w1 x1 w2".split(), strict=True)
    )
    neuron = (w0 * x0 + w1 * x1 + w2).sigmoid()
    neuron.backward()
    error, _ = _two_two_two(_weights())
    error.backward()
    v = Value(0.5, "x")
    for i in range(50):  # 150 nodes
        v = (v * Value(1.01, f"w{i}")).tanh()
    v.backward()
    return {
        "(x+y)z": draw(f),
        "sigmoid neuron": draw(neuron, show_local=True),
        "2-2-2 network": draw(error),
        "backward frame 3 of the neuron (neato, pinned)": backward_steps(neuron)[3],
        "150-node chain": draw(v, max_nodes=None),
    }


def timed(graph, fmt: str, repeat: int) -> tuple[float, bytes]:
    best, out = float("inf"), b""
    for _ in range(repeat):
        start = time.perf_counter()
        out = gv.to_bytes(graph, fmt)
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if gv.system_dot() is None or gv.pure_dot() is None:
        sys.exit("needs both the system's `dot` and graphviz-pure")
    print("| picture | dot s | graphviz-pure s | dot size (pt) | graphviz-pure size (pt) |")
    print("|---|---|---|---|---|")
    for name, graph in pictures().items():
        row, svg = [], {}
        for engine in ("dot", "graphviz-pure"):
            os.environ[gv.ENGINE_VARIABLE] = engine
            seconds, out = timed(graph, "svg", args.repeat)
            row.append(f"{seconds:.3f}")
            m = re.search(rb'<svg width="([\d.]+)pt" height="([\d.]+)pt"', out)
            svg[engine] = f"{float(m.group(1)):.0f} × {float(m.group(2)):.0f}"
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                stem = re.sub(r"\W+", "_", name).strip("_")
                gv.write_file(args.out / f"{stem}.{engine}.png", gv.to_bytes(graph, "png"))
        print(f"| {name} | {row[0]} | {row[1]} | {svg['dot']} | {svg['graphviz-pure']} |")
    os.environ.pop(gv.ENGINE_VARIABLE, None)


if __name__ == "__main__":
    main()
