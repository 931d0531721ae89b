"""The one rule for optional references (PyTorch, a browser): skip cleanly where one is
absent, except under CI (CI=true), where a missing reference fails the run instead of hiding
tests. Used by tests/conftest.py and notebooks/conftest.py."""

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


def importable(module: str) -> bool:
    """Can `module` be imported here (without keeping it imported if it was not)?"""
    try:
        __import__(module)
    except ImportError:
        return False
    return True
