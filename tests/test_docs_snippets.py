"""The first code a reader runs works as printed: README's "A first look" and the five lines
of docs/getting-started.md (lecture: f = -12, df/dx = df/dy = -4, df/dz = 3)."""

import contextlib
import io
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("doc", ["README.md", "docs/getting-started.md"])
def test_first_picture_snippet_runs_and_draws_the_lecture_numbers(doc, tmp_path, monkeypatch):
    block = _python_blocks(REPO / doc)[0]
    assert len([line for line in block.splitlines() if line.strip()]) <= 6, block
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, doc, "exec"), {})  # noqa: S102 - the project's own documentation
    svg = (tmp_path / "xyz.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "-12" in svg
    if "print(" in block:
        assert out.getvalue().split() == ["-12.0", "-4.0", "-4.0", "3.0"]
