"""The SDK's file worker (``_offload``): one thread of its own, at a lower priority, that
finishes what it started before a cancellation goes through, and that a forked child
makes again."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from typing import Any

import pytest

from scenario_async import _offload
from scenario_async._offload import NICENESS, let_the_loop_run, off_the_loop


async def test_the_work_runs_in_the_sdks_own_thread_and_its_errors_come_back() -> None:
    name = await off_the_loop(lambda: threading.current_thread().name)
    assert name.startswith("scenario-async-files")
    assert name != threading.current_thread().name

    def broken() -> None:
        raise OSError("the disk is gone")

    with pytest.raises(OSError, match="the disk is gone"):
        await off_the_loop(broken)


@pytest.mark.skipif(sys.platform != "linux", reason="a thread has its own nice value on Linux")
async def test_the_worker_runs_at_a_lower_priority_than_the_process() -> None:
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    worker = await off_the_loop(os.getpriority, os.PRIO_PROCESS, 0)
    assert worker == min(ours + NICENESS, 19)
    assert os.getpriority(os.PRIO_PROCESS, 0) == ours  # the loop's thread is untouched


async def test_a_cancellation_waits_for_the_work_to_end_and_is_then_raised() -> None:
    """A file opened by the work must not be opened after the caller's cleanup ran: the
    cancelled call returns only once the work has returned."""
    started, release = threading.Event(), threading.Event()
    finished: list[str] = []

    def work() -> str:
        started.set()
        release.wait(5)
        finished.append("done")
        return "done"

    task = asyncio.create_task(off_the_loop(work))
    assert await asyncio.to_thread(started.wait, 5)
    task.cancel()
    await asyncio.sleep(0.02)
    assert not task.done()  # cancelled, but the work still runs
    task.cancel()  # a second cancellation does not cut the wait short either
    await asyncio.sleep(0.02)
    assert not task.done()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished == ["done"]


def test_let_the_loop_run_yields_the_core_in_the_worker_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not hasattr(os, "sched_yield"):
        pytest.skip("no sched_yield here")
    yields: list[str] = []
    monkeypatch.setattr(os, "sched_yield", lambda: yields.append(threading.current_thread().name))

    let_the_loop_run()  # on this thread (the loop's, for a small image): nothing
    assert yields == []
    asyncio.run(off_the_loop(let_the_loop_run))
    assert len(yields) == 1 and yields[0].startswith("scenario-async-files")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_gets_a_worker_of_its_own() -> None:
    """The parent's worker thread does not exist in a child: work sent to it would wait
    forever. The child makes its own."""
    assert asyncio.run(off_the_loop(lambda: 1)) == 1  # the parent has its worker
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            loop = asyncio.new_event_loop()
            got = loop.run_until_complete(asyncio.wait_for(off_the_loop(lambda: 41 + 1), 10))
            os.write(writer, str(got).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    _, status = os.waitpid(child, 0)
    answer = os.read(reader, 100)
    os.close(reader)
    assert os.waitstatus_to_exitcode(status) == 0
    assert answer == b"42"
    assert _offload._worker is not None  # the parent's is still there


async def test_a_cancel_scope_waiting_for_the_work_does_not_wake_it_again_and_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """anyio cancels a task in a cancelled scope again on every turn of the loop while it
    waits: unshielded, the wait would spin the loop (and starve the worker) until the work
    ends. The wait is woken once, and the cancellation still goes through after it."""
    import anyio

    waits = 0
    real_wait = asyncio.wait

    async def counted_wait(*args: Any, **kwargs: Any) -> Any:
        nonlocal waits
        waits += isinstance(args[0], tuple)  # the worker's waits, not anyio's
        return await real_wait(*args, **kwargs)

    monkeypatch.setattr("scenario_async._offload.asyncio.wait", counted_wait)
    started, release = threading.Event(), threading.Event()
    finished: list[str] = []

    def work() -> None:
        started.set()
        release.wait(5)
        finished.append("done")

    async def cancel_when_started(scope: anyio.CancelScope) -> None:
        await anyio.to_thread.run_sync(started.wait, 5)
        scope.cancel()
        await anyio.sleep(0.05)  # many turns of the loop while the work goes on
        release.set()

    after: list[str] = []
    async with anyio.create_task_group() as group:
        with anyio.CancelScope() as scope:
            group.start_soon(cancel_when_started, scope)
            await off_the_loop(work)
            after.append("not cancelled")
    assert finished == ["done"]
    assert after == []  # the cancellation went through once the work had ended
    assert waits == 1


async def test_work_not_started_is_dropped_and_a_failure_of_cancelled_work_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import gc

    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def blocker() -> None:
        started.set()
        release.wait(5)

    def failing() -> None:
        ran.append("failing")
        raise FileNotFoundError("gone")

    first = asyncio.create_task(off_the_loop(blocker))
    assert await asyncio.to_thread(started.wait, 5)
    queued = asyncio.create_task(off_the_loop(ran.append, "queued"))
    await asyncio.sleep(0)
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued  # left at once: its work had not started
    assert not release.is_set()

    failed = asyncio.create_task(off_the_loop(failing))
    await asyncio.sleep(0)
    release.set()
    await first
    await asyncio.sleep(0.01)
    failed.cancel()
    with pytest.raises((asyncio.CancelledError, FileNotFoundError)):
        await failed
    gc.collect()
    await asyncio.sleep(0)
    assert ran in (["failing"], [])
    assert "never retrieved" not in caplog.text
