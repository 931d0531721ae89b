"""A fresh clone without PyTorch passes `make test`: the PyTorch notebook is skipped cleanly,
counted with the PyTorch reference tests, and under CI=true a missing torch still fails."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "notebooks/13_graduating_to_pytorch.ipynb"


def run_without_torch(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess:
    """pytest on the PyTorch notebook with `import torch` failing, as on a machine without it."""
    shim = tmp_path / "hide" / "torch"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('torch hidden by the test')\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(shim.parent)
    if ci:
        env["CI"] = "true"
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbmake", NOTEBOOK]
    cmd += ["-q", "-p", "no:xdist", "--rootdir", str(ROOT)]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_torch_notebook_skips_cleanly_without_torch(tmp_path):
    result = run_without_torch(tmp_path, ci=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout, result.stdout


def test_torch_notebook_fails_without_torch_under_ci(tmp_path):
    result = run_without_torch(tmp_path, ci=True)
    assert result.returncode != 0, result.stdout
    assert "torch" in result.stdout
