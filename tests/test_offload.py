"""The SDK's file worker (``_offload``): one thread of its own, at a lower priority, that
finishes what it started before a cancellation goes through, and that a forked child
makes again."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

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
