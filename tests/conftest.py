"""Shared test helpers: PyTorch as a float64 reference, skipped cleanly where it is absent,
except under CI (CI=true), where a missing reference fails the run instead of hiding tests."""

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TORCH_HINT = "PyTorch is not installed: `make torch` installs torch==2.13.0 (the CPU build)"


def require(module: str, hint: str):
    """Import `module` or skip the test with `hint`; under CI a missing module fails instead."""
    try:
        return __import__(module)
    except ImportError:
        if IN_CI:
            pytest.fail(f"CI=true and {module} is missing: {hint}", pytrace=False)
        pytest.skip(hint)


@pytest.fixture
def torch():
    """PyTorch in float64 (a test-only reference)."""
    try:
        import torch
    except ImportError:
        torch = require("torch", TORCH_HINT)  # fails under CI, skips elsewhere
    torch.set_default_dtype(torch.float64)
    return torch


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say once, at the end, that the PyTorch reference tests did not run and how to run them.
    (Counted from the skip reports, so it also works when pytest-xdist runs the tests.)"""
    skipped = terminalreporter.stats.get("skipped", [])
    torch_skips = sum(TORCH_HINT in str(getattr(report, "longrepr", "")) for report in skipped)
    if torch_skips:
        terminalreporter.write_line(
            f"{torch_skips} PyTorch reference tests were skipped: {TORCH_HINT}, "
            "then `make test` runs them.",
            yellow=True,
        )
