"""The SDK's file work (reading, hashing and encoding images, reading upload parts) in one
worker thread of its own, one piece of work at a time, at a lower CPU priority than the
event loop's thread.

One thread, because more would not go faster and would make the loop wait: the work is
bound by the CPU and memory bandwidth, a single thread of it keeps up with any network
(about 1.2 GB/s here), and every other thread doing it is one more that the loop's thread
must win the GIL and a core from before it can run. On a loop limited to one core, four
threads reading 20 MiB files at once kept it waiting 20 ms and more; one kept it under 10.

On a core shared with the loop's thread, the scheduler lets the worker run to the end of its
time slice (3 to 4 ms here) before the loop's thread, woken meanwhile, gets the core. So
the worker has a lower priority (``NICENESS``; on Linux, where a thread has its own) and
gives the core back after each piece of work of about a millisecond
(``let_the_loop_run``). Where the loop has a core to itself, neither changes anything. The
thread is the SDK's own, never a pool's that runs other code: a thread's priority, once
lowered, cannot be raised again without privileges.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import anyio
import anyio.lowlevel

T = TypeVar("T")

#: How much lower the worker thread's priority is than the process's (a nice increment).
NICENESS = 10

_worker: ThreadPoolExecutor | None = None
_lock = threading.Lock()
_here = threading.local()


def _start_the_worker() -> None:
    """In the new worker thread: mark it as the worker, and lower its CPU priority (on
    Linux a nice value is per thread)."""
    _here.is_the_worker = True
    if sys.platform == "linux":
        with contextlib.suppress(OSError):  # a sandbox that forbids it: run as we are
            os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)


def _the_worker() -> ThreadPoolExecutor:
    global _worker
    with _lock:
        if _worker is None:
            _worker = ThreadPoolExecutor(
                1, thread_name_prefix="scenario-async-files", initializer=_start_the_worker
            )
        return _worker


def _forget_the_worker() -> None:
    """In a forked child: the parent's worker thread does not exist here."""
    global _worker, _lock
    _worker, _lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_the_worker)


def let_the_loop_run() -> None:
    """After a piece of work, in the worker: let a thread waiting for this core (the event
    loop's) have it now. Returns at once when none is waiting, or when called elsewhere
    (a small image is read on the loop's thread itself)."""
    if _CAN_YIELD and getattr(_here, "is_the_worker", False):
        os.sched_yield()


_CAN_YIELD = hasattr(os, "sched_yield")


async def off_the_loop(func: Callable[..., T], *args: Any) -> T:
    """``func(*args)`` in the SDK's file worker, after the work queued before it (see
    ``outcome_of`` for what a cancellation does)."""
    return await outcome_of(in_the_worker(func, *args))


def in_the_worker(func: Callable[..., T], *args: Any) -> Future[T]:
    """Start ``func(*args)`` in the SDK's file worker, after the work queued before it,
    while the caller goes on; ``outcome_of`` waits for it. For work that overlaps a
    request, where ``off_the_loop`` would make the request wait."""
    return _the_worker().submit(func, *args)


async def outcome_of(work: Future[T]) -> T:
    """What the worker's ``work`` returned (or raised), once it has.

    A cancellation waits for ``work`` to return, if it has started, before it is let
    through (then raised, whatever ``work`` returned), so that nothing it does (a file it
    opens, say) happens after the caller has moved on; work not started yet is dropped.
    The wait is shielded from anyio's cancel scopes, which would otherwise cancel the
    waiting task again on every turn of the loop."""
    done = asyncio.wrap_future(work)
    cancelled: asyncio.CancelledError | None = None
    with anyio.CancelScope(shield=True):
        while not done.done():
            try:
                await asyncio.wait((done,))
            except asyncio.CancelledError as exc:
                cancelled = exc
                work.cancel()  # only if it has not started
    if cancelled is not None:
        if not done.cancelled():
            done.exception()  # looked at, so that asyncio does not log it as lost
        raise cancelled
    await anyio.lowlevel.checkpoint_if_cancelled()  # a cancel scope cancelled meanwhile
    return done.result()
