"""The explorer page's size, write time and Chromium load time for graphs of 10, 100 and 1,000
nodes drawn in full (max_nodes=None, max_bytes=None): a chain, and a chain with an input leaf
at every gate (each leaf has its own chain-rule path back from the root in the node panel).

    .venv/bin/python benchmarks/bench_page.py [--nodes 10 100 1000] [--no-browser]

Load time: from asking headless Chromium for the page until its script has set it up and
shown step 0 (`data-ready`), best of two. A page estimated above --skip-mb is not written:
its estimated size is printed instead (the old one-SVG-per-frame page of 1,000 nodes would be
gigabytes)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from gradtrace import Value
from gradtrace.viz import html as page


def chain(n: int) -> Value:
    """A chain of exactly `n` nodes: x, then alternately *0.9 and tanh."""
    v = Value(0.5, "x")
    for i in range(n - 1):
        v = v * 0.9 if i % 2 == 0 else v.tanh()
    v.backward()
    return v


def leaf_per_gate(n: int) -> Value:
    """x, then f = tanh(f + c) with its own leaf c until `n` nodes (1,000: 333 times)."""
    f = Value(0.5, "x")
    for i in range((n - 1) // 3):
        f = (f + Value(0.01 * (i % 7) - 0.03)).tanh()
    f.backward()
    return f


GRAPHS = {"chain": chain, "leaf per gate": leaf_per_gate}


def estimate(root: Value) -> int | None:
    """The old page's own estimate (first frame × frames), where it has one."""
    if not hasattr(page, "_frame"):
        return None
    steps = page.BackwardSteps(root)
    return len(page._frame(steps, 0)) * len(steps)


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(300)
    return driver


def load_seconds(driver, path: Path) -> float:
    from selenium.webdriver.support.ui import WebDriverWait

    best = float("inf")
    for _ in range(2):
        driver.get("about:blank")
        start = time.perf_counter()
        driver.get(path.as_uri())
        WebDriverWait(driver, 300, poll_frequency=0.05).until(
            lambda d: d.execute_script(
                "var r = document.querySelector('.gradtrace-explorer');"
                "return r && r.dataset.ready === '1';"
            )
        )
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--skip-mb", type=float, default=200.0)
    args = parser.parse_args()
    driver = None if args.no_browser else browser()
    folder = Path(tempfile.mkdtemp(prefix="gradtrace-bench-page-"))
    print("| graph | nodes | page | write s | Chromium load s |")
    print("|---|---|---|---|---|")
    try:
        for (kind, make), n in ((g, n) for g in GRAPHS.items() for n in args.nodes):
            root = make(n)
            n = len(page.topological_order(root))
            guess = estimate(root)
            if guess is not None and guess > args.skip_mb * 1e6:
                print(f"| {kind} | {n} | ~{guess / 1e6:,.0f} MB (estimated, not written) | - | - |")
                continue
            path = folder / f"{kind.replace(' ', '_')}{n}.html"
            start = time.perf_counter()
            page.to_html(root, path, max_nodes=None, max_bytes=None)
            seconds = time.perf_counter() - start
            size = path.stat().st_size
            load = f"{load_seconds(driver, path):.2f}" if driver else "-"
            print(f"| {kind} | {n} | {size / 1e6:.2f} MB | {seconds:.2f} | {load} |")
            sys.stdout.flush()
    finally:
        if driver:
            driver.quit()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
