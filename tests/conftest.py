"""Shared test helpers."""

import pytest


@pytest.fixture
def torch():
    """PyTorch in float64, or a clean skip where it is absent (a test-only reference)."""
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    return torch
