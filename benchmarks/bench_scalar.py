"""Scalar engine benchmark: gradtrace's `Value` against micrograd 0.1.0 and a flat tape.

    make bench          (or: .venv/bin/python benchmarks/bench_scalar.py)

Everything is measured in one run on one machine. Each library runs in a fresh process of
its own (benchmarks/scalar_workloads.py): gradtrace with this interpreter, micrograd with
the throwaway environment benchmarks/.venv-micrograd (created here on first use, with
`pip install micrograd==0.1.0`; never a dependency of gradtrace), and the baseline, a flat
pure-Python tape (lists of floats and indices, no node objects), with this interpreter.
Python's garbage collector is left on, as users have it; the same runs with it off are
reported as extra information.

Workloads:
  moons   micrograd's demo: MLP(2, [16, 16, 1]), ReLU hidden layers, linear output, 100
          points of make_moons, SVM max-margin loss + 1e-4 L2, one full-batch SGD step
          (forward, zero grads, backward, update); median time of a step. gradtrace runs
          its nn.MLP twice: fused (the default: one "linear" gate per neuron) and
          unfused (fused=False: a mul gate per weight and an n-ary "+", like micrograd).
  graph   a 200,000-op random graph (200 chains of +, *, relu, **2 over 1,000 shared
          inputs, then summed): build ops/s and backward ops/s, median of several runs.
  memory  bytes per node of a 1,000,000-node graph, measured with tracemalloc (every
          Python allocation the graph keeps alive, divided by the number of op nodes).

The issue's targets were set on a faster machine, so they are also read as ratios to what
was measured there: a step within 20 ms where micrograd took 1.3 s (gc on) and 86 ms (gc
off); build >= 2,000,000 ops/s where the tape built 4,800,000 (0.42x tape); backward
>= 4,000,000 ops/s where the tape did 6,700,000 (0.60x tape).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKER = HERE / "scalar_workloads.py"
MICROGRAD_VENV = HERE / ".venv-micrograd"
MICROGRAD_PY = MICROGRAD_VENV / "bin" / "python"
WORKER_SECONDS = 1800  # one worker process (all its workloads); a hung one stops the run

TARGET_STEP_S = 0.020
TARGET_BUILD, TAPE_BUILD_THERE = 2_000_000, 4_800_000
TARGET_BACKWARD, TAPE_BACKWARD_THERE = 4_000_000, 6_700_000
MICROGRAD_STEP_THERE = {"on": 1.3, "off": 0.086}


def ensure_micrograd() -> Path:
    """The throwaway environment with micrograd 0.1.0 (made once, gitignored)."""
    if not MICROGRAD_PY.exists():
        print(f"creating {MICROGRAD_VENV} with micrograd==0.1.0 ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(MICROGRAD_VENV)
        subprocess.run(
            [str(MICROGRAD_PY), "-m", "pip", "install", "--quiet", "micrograd==0.1.0"],
            check=True,
            timeout=600,  # a pip install that hangs (no network) stops with TimeoutExpired
        )
    return MICROGRAD_PY


def run_worker(python: Path | str, lib: str, gc_mode: str, workloads: list[str]) -> dict:
    cmd = [str(python), str(WORKER), lib, gc_mode, ",".join(workloads)]
    print(f"  {lib:9} gc {gc_mode:3} {','.join(workloads)}", file=sys.stderr, flush=True)
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, cwd=HERE.parent, timeout=WORKER_SECONDS
    )
    return json.loads(out.stdout)


def best_of(old: dict | None, new: dict) -> dict:
    """Merge two runs of one process, keeping the shorter times and the higher rates."""
    if old is None:
        return new
    merged = dict(old)
    for key, value in new.items():
        if key not in old:
            merged[key] = value
        elif isinstance(value, dict):
            merged[key] = best_of(old[key], value)
        elif key.endswith("_per_s"):
            merged[key] = max(old[key], value)
        elif key.endswith("_s"):
            merged[key] = min(old[key], value)
    return merged


def fmt_ops(x: float) -> str:
    return f"{x / 1e6:.2f}M" if x >= 1e6 else f"{x / 1e3:.0f}k"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--libs", default="gradtrace,micrograd,tape")
    parser.add_argument("--gc", default="on,off", help="on, off or on,off")
    parser.add_argument("--workloads", default="moons,graph,memory")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="run every process this many times, interleaved, and keep the faster figures "
        "(the machine is shared: the other load only ever slows a run down)",
    )
    parser.add_argument("--json", help="also write all results to this file")
    args = parser.parse_args()
    libs, gc_modes = args.libs.split(","), args.gc.split(",")
    workloads = args.workloads.split(",")

    results: dict[tuple[str, str], dict] = {}
    for round_ in range(args.rounds):
        for gc_mode in gc_modes:
            for lib in libs:
                python = ensure_micrograd() if lib == "micrograd" else sys.executable
                todo = [w for w in workloads if w != "memory" or gc_mode == gc_modes[0]]
                if round_ > 0:
                    todo = [w for w in todo if w != "memory"]
                r = run_worker(python, lib, gc_mode, todo)
                results[lib, gc_mode] = best_of(results.get((lib, gc_mode)), r)
    if args.json:
        Path(args.json).write_text(json.dumps([*results.values()], indent=1))
    report(results, libs, gc_modes, workloads)


def report(results, libs, gc_modes, workloads) -> None:
    ours, mg, tape = "gradtrace", "micrograd", "tape"

    def get(lib, gc_mode, *keys):
        r = results.get((lib, gc_mode), {})
        for k in keys:
            r = r.get(k) if isinstance(r, dict) else None
        return r

    print(
        f"Python {sys.version.split()[0]}; each library in a fresh process; the median of the"
        " repeats within a process, the best of the rounds\n"
    )
    if "moons" in workloads:
        print("moons demo: one full-batch SGD step, MLP(2, [16, 16, 1]), 100 points")
        print("  fused: nn.MLP (w.x + b is one linear gate); unfused: nn.MLP(fused=False)")
        print(
            f"  {'gc':3}  {'fused':>10}  {'unfused':>10}  {'micrograd':>10}"
            f"  {'fused vs mg':>11}  {'unfused vs mg':>13}"
        )
        for g in gc_modes:
            a, u = get(ours, g, "moons", "step_s"), get(ours, g, "moons_unfused", "step_s")
            b = get(mg, g, "moons", "step_s")
            cells = [f"{x * 1e3:8.1f}ms" if x else f"{'-':>10}" for x in (a, u, b)]
            speed = [f"{b / x:.1f}x faster" if x and b else "" for x in (a, u)]
            print(f"  {g:3}  {'  '.join(cells)}  {speed[0]:>11}  {speed[1]:>13}")
        for g in gc_modes:
            b = get(mg, g, "moons", "step_s")
            if not b or g not in MICROGRAD_STEP_THERE:
                continue
            there = MICROGRAD_STEP_THERE[g]
            for name, key in (("fused", "moons"), ("unfused", "moons_unfused")):
                a = get(ours, g, key, "step_s")
                if a:
                    scaled = a * there / b
                    print(
                        f"  target <= 20 ms, scaled by micrograd gc {g} ({there * 1e3:.0f} ms"
                        f" a step there): {name} would take {scaled * 1e3:.1f} ms there"
                        f" -> {'met' if scaled <= TARGET_STEP_S else 'NOT met'}"
                    )
        ref = get(mg, gc_modes[0], "moons", "losses")
        for name, key in (("fused", "moons"), ("unfused", "moons_unfused")):
            losses = get(ours, gc_modes[0], key, "losses")
            if ref and losses:
                same = all(abs(x - y) < 1e-9 for x, y in zip(losses, ref, strict=True))
                print(f"  losses of the first steps ({name}) agree with micrograd: {same}")
        print()
    if "graph" in workloads:
        print("random graph: 200,000 ops (+ the 199 adds of the final sum), ops per second")
        print(
            f"  {'gc':3}  {'':9}  {'gradtrace':>9}  {'micrograd':>9}  {'tape':>9}"
            f"  {'vs micrograd':>12}  {'vs tape':>8}  {'target (tape)':>13}"
        )
        for g in gc_modes:
            for phase, target, there in (
                ("build", TARGET_BUILD, TAPE_BUILD_THERE),
                ("backward", TARGET_BACKWARD, TAPE_BACKWARD_THERE),
            ):
                key = f"{phase}_ops_per_s"
                a, b, t = (get(lib, g, "graph", key) for lib in (ours, mg, tape))
                cells = [f"{fmt_ops(x):>9}" if x else f"{'-':>9}" for x in (a, b, t)]
                vs_mg = f"{a / b:11.1f}x" if a and b else f"{'':12}"
                vs_t = f"{a / t:7.2f}x" if a and t else f"{'':8}"
                ratio = target / there
                verdict = ""
                if a and t:
                    verdict = "met" if a / t >= ratio else "NOT met"
                print(
                    f"  {g:3}  {phase:9}  {'  '.join(cells)}  {vs_mg}  {vs_t}"
                    f"  >={ratio:.2f}x {verdict}"
                )
        checks = {
            lib: (
                get(lib, gc_modes[0], "graph", "check_value"),
                get(lib, gc_modes[0], "graph", "check_leaf_grad_sum"),
            )
            for lib in libs
        }
        vals = [c for c in checks.values() if c[0] is not None]
        same = all(abs(v[0] - vals[0][0]) < 1e-9 and abs(v[1] - vals[0][1]) < 1e-6 for v in vals)
        print(f"  same root value and leaf gradients in every library: {same}")
        a = get(ours, gc_modes[0], "graph")
        if a:
            print(
                f"  absolute targets (gc {gc_modes[0]}): build {fmt_ops(a['build_ops_per_s'])}"
                f" vs 2.00M, backward {fmt_ops(a['backward_ops_per_s'])} vs 4.00M"
                " (set on a faster machine)"
            )
        print()
    if "memory" in workloads:
        print("memory: bytes per node of a 1,000,000-node graph (tracemalloc)")
        for lib in libs:
            b = get(lib, gc_modes[0], "memory", "bytes_per_node")
            if b:
                print(f"  {lib:9}  {b:6.0f} B")
        a, b = (get(lib, gc_modes[0], "memory", "bytes_per_node") for lib in (ours, mg))
        if a and b:
            print(f"  gradtrace uses {a / b:.2f}x micrograd's memory per node")


if __name__ == "__main__":
    main()
