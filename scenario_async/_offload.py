"""The SDK's file work (reading, hashing and encoding images, reading upload parts) in a
worker thread, one piece of work at a time per event loop.

One at a time, because more would not go faster and would make the loop wait: the work is
bound by the CPU and memory bandwidth, a single thread of it keeps up with any network
(about 1.2 GB/s here), and every other thread doing it is one more that the loop's thread
must win the GIL and a core from before it can run. On a loop limited to one core, four
threads reading 20 MiB files at once kept it waiting 20 ms and more; one kept it under 5.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")

_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


async def off_the_loop(func: Callable[..., T], *args: Any) -> T:
    """``func(*args)`` in a worker thread, after the loop's earlier file work has ended."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(1)
    return await anyio.to_thread.run_sync(func, *args, limiter=limiter)
