"""Grad mode: are gates recording the graph right now? One switch per thread and per asyncio
task, as PyTorch's (which is per thread).

The switch is a `contextvars.ContextVar`: a new thread starts with recording on, whatever
another thread is doing; an asyncio task starts with the mode of the code that created it,
and what it changes stays inside it. So thread B's `y = x * x; y.backward()` records while
thread A is inside `no_grad()`, and blocks entered and left in any interleaving across threads
leave each thread as it was. This is the library's only global state.

    no_grad()              context manager (or decorator): record nothing inside
    enable_grad()          context manager (or decorator): record inside, even within no_grad
    set_grad_enabled(mode) sets the mode now; as a context manager, restores it on exit
    is_grad_enabled()      the mode of the running thread / task
"""

from __future__ import annotations

from contextlib import ContextDecorator
from contextvars import ContextVar
from typing import Any

_RECORDING: ContextVar[bool] = ContextVar("gradtrace_grad_enabled", default=True)

# The gates read the mode through this bound method: one C call, no Python frame (about
# 30 ns a gate; a plain module flag was 20 ns, but it was one flag for every thread).
is_recording = _RECORDING.get


def is_grad_enabled() -> bool:
    """True when gates record the graph in this thread / task (off inside `no_grad()`)."""
    return _RECORDING.get()


class _GradModeBlock(ContextDecorator):
    """A block that sets grad mode on entry and restores the previous mode on exit. Each use
    as a decorator gets a fresh block, so one decorated function runs safely in many threads."""

    mode = True

    def __init__(self) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(_RECORDING.get())
        _RECORDING.set(self.mode)

    def __exit__(self, *exc: Any) -> None:
        _RECORDING.set(self._previous.pop())

    def _recreate_cm(self) -> _GradModeBlock:
        return type(self)()


class no_grad(_GradModeBlock):  # noqa: N801 (PyTorch's name, used like a function)
    """Inside this block gates compute values but record no parents (no graph, no gradients).

    Per thread and per asyncio task: other threads keep recording. Also a decorator."""

    mode = False


class enable_grad(_GradModeBlock):  # noqa: N801 (PyTorch's name)
    """Inside this block gates record the graph, even within an outer `no_grad()`."""

    mode = True


class set_grad_enabled:  # noqa: N801 (PyTorch's name)
    """`set_grad_enabled(False)` turns recording off now, in this thread / task, as a function
    call; `with set_grad_enabled(mode):` sets it for the block and restores the previous
    mode on exit (as in PyTorch)."""

    def __init__(self, mode: bool) -> None:
        if type(mode).__name__ not in ("bool", "bool_"):  # NumPy's bool too
            raise TypeError(f"set_grad_enabled(mode): mode must be True or False, got {mode!r}")
        self.mode = mode = bool(mode)
        self._previous = _RECORDING.get()
        _RECORDING.set(mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        _RECORDING.set(self._previous)
