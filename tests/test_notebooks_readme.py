"""notebooks/README.md lists every notebook, and its table of the notes' examples names them."""

import re
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def test_every_notebook_has_a_row_in_the_readme():
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    missing = [p.stem for p in sorted(NOTEBOOKS.glob("src/[0-9][0-9]_*.py"))]
    missing = [stem for stem in missing if f"| `{stem}` |" not in readme]
    assert not missing, f"notebooks/README.md has no row for {missing}"


def test_the_examples_table_points_only_at_notebooks_that_are_listed():
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    listed = {int(n) for n in re.findall(r"^\| `(\d\d)_\w+` \|", readme, re.MULTILINE)}
    table = readme.split("## Every worked example and formula of the notes", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| 00")]
    assert len(rows) > 40  # one per example or formula of the five notes
    for row in rows:
        where = row.split(" | ")[2]
        numbers = {int(n) for n in re.findall(r"\b(\d\d)\b(?= §| \(|;|,|$)", where)}
        assert numbers, row
        assert numbers <= listed, (row, numbers - listed)
