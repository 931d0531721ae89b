"""How long `check_engine` takes on one student's class: what an autograder pays per student.

    taskset -c 0 .venv/bin/python benchmarks/bench_check_engine.py

Runs check_engine on micrograd 0.1.0's Value (the dev extra installs it), on
gradtrace.micrograd.Value and on a learner-style closure engine from the tests, each a few
times in this process after one warm-up, and prints the median wall time and the score. The
time includes building and running every probe twice (the learner's class and gradtrace),
the 3,000-deep chain included.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import gradtrace

REPEAT = 7


def timed(value_class: type) -> tuple[float, gradtrace.EngineReport]:
    gradtrace.check_engine(value_class)  # warm-up
    times, report = [], None
    for seed in range(REPEAT):
        start = time.perf_counter()
        report = gradtrace.check_engine(value_class, seed=seed)
        times.append(time.perf_counter() - start)
    return statistics.median(times), report


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from gradtrace.micrograd import Value as OurMicrograd
    from learner_engine import engine

    classes = {"learner engine (tests)": engine(), "gradtrace.micrograd": OurMicrograd}
    try:
        from micrograd.engine import Value as Micrograd

        classes = {"micrograd 0.1.0": Micrograd, **classes}
    except ImportError:
        print("micrograd is not installed (pip install micrograd==0.1.0): skipped")
    for name, cls in classes.items():
        seconds, report = timed(cls)
        print(
            f"{name:24s} median {seconds * 1000:7.1f} ms over {REPEAT} seeds; "
            f"{report.passed_checks}/{report.checks} checks, causes: {report.causes() or 'none'}"
        )


if __name__ == "__main__":
    main()
