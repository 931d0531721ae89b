"""Build the notebooks in this folder from their Python sources in `notebooks/src/`.

Each source is a plain Python script in jupytext's "percent" format: a line `# %%` starts a
code cell and `# %% [markdown]` starts a markdown cell whose lines are comments; jupytext turns
it into a notebook, nbclient executes it. The sources are what reviewers read and what
`git diff` shows; the `.ipynb` files are generated from them and executed here, so the
outputs committed with them come from a real run.

    .venv/bin/python notebooks/build_notebooks.py            # build and execute all
    .venv/bin/python notebooks/build_notebooks.py 04 05      # only the matching notebooks
    .venv/bin/python notebooks/build_notebooks.py --no-execute

Every source also runs as a script (`python notebooks/src/01_chain_rule.py`), which is the
quickest way to debug one.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def drop_object_repr(output: nbformat.NotebookNode) -> None:
    """Drop a picture's text fallback like '<graphviz.graphs.Digraph at 0x7f…>': the memory
    address changes on every run and would make every rebuild a diff."""
    data = output.get("data", {})
    text = data.get("text/plain", "")
    if len(data) > 1 and re.fullmatch(r"<.* at 0x[0-9a-f]+>", text.strip()):
        del data["text/plain"]


def merge_streams(outputs: list) -> list:
    """Join consecutive stdout/stderr chunks and keep what a terminal would show of each line
    (the text after its last carriage return), so a progress bar is stored as its final state
    instead of hundreds of updates."""
    merged: list = []
    for output in outputs:
        if (
            output.get("output_type") == "stream"
            and merged
            and merged[-1].get("output_type") == "stream"
            and merged[-1]["name"] == output["name"]
        ):
            merged[-1]["text"] += output["text"]
        else:
            merged.append(output)
    for output in merged:
        if output.get("output_type") == "stream":
            lines = output["text"].split("\n")
            output["text"] = "\n".join(line.rsplit("\r", 1)[-1] for line in lines)
    return merged


def build(source: Path, execute: bool) -> float:
    """Write notebooks/<source stem>.ipynb; execute it in a fresh kernel if asked."""
    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    for cell in nb.cells:  # jupytext's round-trip hints (blank lines) mean nothing here
        cell.metadata = {}
    for i, cell in enumerate(nb.cells):  # stable ids keep diffs quiet
        cell["id"] = f"{source.stem[:2]}-{i:03d}"
    seconds = 0.0
    if execute:
        start = time.perf_counter()
        NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
        ).execute()
        seconds = time.perf_counter() - start
        for cell in nb.cells:
            cell.get("metadata", {}).pop("execution", None)
            if cell.cell_type == "code":
                cell.outputs = merge_streams(cell.outputs)
            for output in cell.get("outputs", []):
                drop_object_repr(output)
    target = HERE / f"{source.stem}.ipynb"
    nbformat.validate(nb)
    nbformat.write(nb, target)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="build only sources whose name contains this")
    parser.add_argument("--no-execute", action="store_true", help="write cells without outputs")
    args = parser.parse_args(argv)
    sources = sorted(SOURCES.glob("[0-9][0-9]_*.py"))
    if args.only:
        sources = [s for s in sources if any(o in s.name for o in args.only)]
    for source in sources:
        seconds = build(source, execute=not args.no_execute)
        print(f"{source.stem}.ipynb" + (f"  executed in {seconds:.1f} s" if seconds else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
