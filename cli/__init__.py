"""gradtrace.cli: the `gradtrace` command line (draw, demo). It is the one place that uses both
nn and viz, so it lives apart from the drawing code."""

from .main import main

__all__ = ["main"]
