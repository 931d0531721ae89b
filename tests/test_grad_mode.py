"""Grad mode is per thread and per asyncio task (issue 12, part 1), with PyTorch's no_grad,
enable_grad and set_grad_enabled. Real threads, synchronised by events (no sleeps)."""

import asyncio
import threading

import numpy as np
import pytest
from gradtrace import Tensor, Value, enable_grad, is_grad_enabled, no_grad, set_grad_enabled

TIMEOUT = 10  # seconds; a wait that times out means a thread never got there


def run_threads(*targets):
    """Start one thread per target, join them all, and re-raise the first failure."""
    errors = []

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 (handed to the main thread)
                errors.append(e)

        return run

    threads = [threading.Thread(target=guarded(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    if errors:
        raise errors[0]


def wait(event: threading.Event) -> None:
    assert event.wait(TIMEOUT), "the other thread never got there"


def test_thread_b_records_while_thread_a_is_inside_no_grad():
    # issue 12: today B's y = x * x; y.backward() gives x.grad == 0.0 with no error
    a_inside, b_done = threading.Event(), threading.Event()
    seen = {}

    def thread_a():
        with no_grad():
            a_inside.set()
            wait(b_done)
            seen["a"] = is_grad_enabled()

    def thread_b():
        wait(a_inside)
        x = Value(3.0)
        y = x * x
        y.backward()
        seen["b"] = (is_grad_enabled(), x.grad)
        b_done.set()

    run_threads(thread_a, thread_b)
    assert seen == {"a": False, "b": (True, 6.0)}  # d(x*x)/dx = 2x = 6 (hand)


def test_interleaved_blocks_a_b_a_b_leave_recording_on():
    # A enters, B enters, A exits, B exits: with one process-wide flag restored on exit,
    # recording stayed off for the rest of the process
    steps = [threading.Event() for _ in range(4)]
    after = {}

    def thread_a():
        with no_grad():
            steps[0].set()
            wait(steps[1])
        after["a"] = is_grad_enabled()
        steps[2].set()

    def thread_b():
        wait(steps[0])
        with no_grad():
            steps[1].set()
            wait(steps[2])
        after["b"] = is_grad_enabled()

    run_threads(thread_a, thread_b)
    assert after == {"a": True, "b": True}
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])  # 2x (hand): recording is on here too


def test_asyncio_task_records_while_another_awaits_inside_no_grad():
    async def main():
        inside, done = asyncio.Event(), asyncio.Event()

        async def quiet():
            with no_grad():
                inside.set()
                await done.wait()
                return is_grad_enabled(), (Value(2.0) * Value(3.0)).parents

        async def loud():
            await inside.wait()
            x = Value(2.0)
            (x * x).backward()
            done.set()
            return is_grad_enabled(), x.grad

        return await asyncio.gather(quiet(), loud())

    (quiet_mode, quiet_parents), (loud_mode, loud_grad) = asyncio.run(main())
    assert (quiet_mode, quiet_parents) == (False, ())
    assert (loud_mode, loud_grad) == (True, 4.0)  # d(x*x)/dx = 2x = 4 (hand)


def test_a_task_started_inside_no_grad_inherits_it_and_keeps_its_changes_to_itself():
    async def main():
        async def child():
            inherited = is_grad_enabled()
            set_grad_enabled(True)  # changes this task's mode only
            return inherited

        with no_grad():
            inherited = await asyncio.create_task(child())
            return inherited, is_grad_enabled()

    assert asyncio.run(main()) == (False, False)  # as contextvars copy the context
    assert is_grad_enabled()


def test_no_grad_blocks_nest_and_enable_grad_turns_recording_back_on():
    x = Value(1.0)
    with no_grad():
        assert (x + 1).parents == ()
        with enable_grad():
            assert is_grad_enabled() and (x + 1).parents == (x,)
            with no_grad():
                assert not is_grad_enabled()
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_set_grad_enabled_works_as_a_call_and_as_a_block():
    try:
        set_grad_enabled(False)  # as a function, like torch.set_grad_enabled(False)
        assert not is_grad_enabled()
        with set_grad_enabled(True):
            assert (Value(1.0) * 2).op == "*2"
        assert not is_grad_enabled()  # the block restored what it found
    finally:
        set_grad_enabled(True)
    with set_grad_enabled(False):
        t = Tensor([1.0], requires_grad=True) * 2
        assert not t.requires_grad and t.parents == ()
    assert is_grad_enabled()


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError), no_grad():
        1 / 0  # noqa: B018
    assert is_grad_enabled()


def test_no_grad_decorates_a_function_and_each_call_gets_its_own_block():
    @no_grad()
    def value_of(x):
        assert not is_grad_enabled()
        return (x * x).parents

    results = []
    run_threads(*[lambda: results.append(value_of(Value(2.0))) for _ in range(4)])
    assert results == [()] * 4 and is_grad_enabled()


def test_set_grad_enabled_wants_a_bool():
    with pytest.raises(TypeError, match="mode must be True or False"):
        set_grad_enabled("no")
    assert is_grad_enabled()
    with set_grad_enabled(np.bool_(False)):  # NumPy's bool is a bool
        assert not is_grad_enabled()
