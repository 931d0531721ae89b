"""Notebooks run as tests (pytest --nbmake). One that imports PyTorch is skipped cleanly where
torch is absent, counted with the PyTorch reference tests in pytest's summary; under CI
(CI=true) it runs, so a missing torch fails the run instead of hiding the notebook."""

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reference import IN_CI, TORCH_HINT, importable  # noqa: E402

_IMPORTS_TORCH = re.compile(r"^\s*(import torch\b|from torch\b)", re.MULTILINE)


def needs_torch(path: Path) -> bool:
    """Does a code cell of this notebook import torch?"""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return any(
        c.get("cell_type") == "code" and _IMPORTS_TORCH.search("".join(c.get("source", "")))
        for c in cells
    )


def pytest_collection_modifyitems(config, items):
    if IN_CI or importable("torch"):
        return
    for item in items:
        path = Path(str(item.path))
        if path.suffix == ".ipynb" and needs_torch(path):
            item.add_marker(pytest.mark.skip(reason=TORCH_HINT))
