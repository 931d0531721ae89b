"""Shared test helpers: PyTorch as a float64 reference, skipped cleanly where it is absent,
except under CI (CI=true), where a missing reference fails the run instead of hiding tests."""

import sys
import types

import pytest
from reference import TORCH_HINT, require


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


class FakeHandle:
    """What IPython's display(..., display_id=True) returns: records every update."""

    def __init__(self):
        self.shown = []
        self.displays = []

    def update(self, obj):
        self.shown.append((obj._repr_html_(), repr(obj)))


@pytest.fixture
def notebook(monkeypatch):
    """A pretend Jupyter kernel: IPython.get_ipython() has a kernel, and every
    display(..., display_id=True) is recorded on the returned handle (`.displays`, `.shown`)."""
    handle = FakeHandle()
    shell = types.SimpleNamespace(kernel=object())
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell
    display_mod = types.ModuleType("IPython.display")

    def display(obj, display_id=False):
        assert display_id is True  # one display updated in place, never a new output per step
        handle.displays.append(obj)
        handle.update(obj)
        return handle

    display_mod.display = display
    fake.display = display_mod
    monkeypatch.setitem(sys.modules, "IPython", fake)
    monkeypatch.setitem(sys.modules, "IPython.display", display_mod)
    return handle
