"""Scenario: the blocking twin of AsyncScenario.

It runs the very same coroutines on an event loop of its own, driven by the calling threads
(see _Runner), and declares each method in one line with ``blocking(...)``, which keeps the
async method's full signature for type checkers.
"""

from __future__ import annotations

import asyncio
import contextvars
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from ._client import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_CONNECTION_LIMIT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AsyncScenario,
    Timeout,
    UnknownOutcome,
)
from .resources import AsyncAssets, AsyncJobs, AsyncModels, AsyncTrain, AsyncTrainingImages

if TYPE_CHECKING:
    import ssl

__all__ = ["Scenario"]

#: Seconds without a call after which a call first lets the loop catch up.
_CATCH_UP_AFTER = 0.001

# Every sync call made from the main thread sets and restores the SIGINT handler. The
# functions of the signal module turn their results into enums through a raised ValueError,
# 4 to 5 us each; the C functions they wrap take 0.2 us.
try:
    import _signal  # type: ignore[import-not-found]
except ImportError:  # an interpreter without the C module
    _signal = signal
_get_signal: Callable[[int], Any] = _signal.getsignal
_set_signal: Callable[[int, Any], Any] = _signal.signal

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class _Handoff:
    """A call handed to the thread that is driving the loop, and what became of it."""

    __slots__ = ("done", "driven_here", "error", "func", "result", "task")

    def __init__(self, func: Callable[[], Awaitable[Any]]) -> None:
        self.func = func
        self.done = False
        self.driven_here = False  # the waiting thread took over driving the loop
        self.result: Any = None
        self.error: BaseException | None = None
        self.task: asyncio.Task[None] | None = None


class _Runner:
    """Runs the client's coroutines on its one event loop, in the threads that call.

    A call drives the loop itself (``run_until_complete`` in the calling thread) when no
    other call is running, so a sync call costs what an async call does: handing every call
    to a loop thread cost 1.4 to 1.9 times the CPU, in thread wake-ups (docs/performance.md).
    A call made while another thread drives the loop hands its coroutine over and waits; if
    that thread finishes first, the waiting call takes over the driving. No thread is
    started, and between calls nothing runs.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._driver: int | None = None  # ident of the thread running the loop now
        self._idle_since = 0.0  # time.monotonic() when the loop last stopped
        self.closed = False

    def call(self, func: Callable[[], Awaitable[R]]) -> R:
        """Run ``func()`` on the client's loop and return its result. Ctrl-C cancels the
        coroutine, waits until it has unwound, then raises KeyboardInterrupt."""
        if self._inside_another_loop():
            return _on_helper_thread(self.call, func)
        with self._cond:
            if self.closed:
                raise RuntimeError("this client is closed; create a new one")
            return self._enter(func)

    def _inside_another_loop(self) -> bool:
        """True when this thread runs some other event loop (a notebook, an async app):
        ours cannot run here then. Code running on our own loop is refused: it would wait
        for the loop that waits for it."""
        running = asyncio.events._get_running_loop()
        if running is not None and running is self._loop:
            raise RuntimeError(
                "a sync client cannot be called from code running on its own loop "
                "(an on_progress callback, say); use client.async_client there"
            )
        return running is not None

    def _enter(self, func: Callable[[], Awaitable[R]]) -> R:
        """Run ``func()``: called holding ``self._cond``, which it releases while the call
        runs and holds again when it returns or raises."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        loop = self._loop
        if self._driver is None:
            self._driver = threading.get_ident()
            self._cond.release()
            try:
                return self._drive(loop, func)
            finally:
                self._cond.acquire()
                self._release_locked()
        handoff = _Handoff(func)
        loop.call_soon_threadsafe(self._start, handoff, context=contextvars.copy_context())
        try:
            self._wait(loop, handoff)
        except BaseException:  # Ctrl-C while waiting: stop the call, then let it go
            loop.call_soon_threadsafe(self._cancel, handoff)
            self._wait(loop, handoff)
            raise
        if isinstance(handoff.error, asyncio.CancelledError) and self.closed:
            raise RuntimeError("the client was closed while this call was running")
        if handoff.error is not None:
            raise handoff.error
        result: R = handoff.result
        return result

    def _drive(self, loop: asyncio.AbstractEventLoop, func: Callable[[], Awaitable[R]]) -> R:
        """Run the loop in this thread until ``func()`` is done.

        In the main thread, Ctrl-C cancels the call, which unwinds cleanly, and then raises
        KeyboardInterrupt (as ``asyncio.run`` does), instead of raising in the middle of the
        loop's own code. A second Ctrl-C raises at once.
        """
        idle = time.monotonic() - self._idle_since > _CATCH_UP_AFTER
        task = loop.create_task(_catch_up_then(func) if idle else _just(func))
        interrupted = False

        def on_ctrl_c(signum: int, frame: FrameType | None) -> None:
            nonlocal interrupted
            if interrupted or task.done():
                raise KeyboardInterrupt
            interrupted = True
            task.cancel()
            loop.call_soon_threadsafe(_nothing)  # wake the loop if it waits

        catch = (
            threading.current_thread() is threading.main_thread()
            and _get_signal(signal.SIGINT) is signal.default_int_handler
        )
        if catch:
            _set_signal(signal.SIGINT, on_ctrl_c)
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            if interrupted:
                raise KeyboardInterrupt from None
            if self.closed:
                raise RuntimeError("the client was closed while this call was running") from None
            raise
        finally:
            if catch:
                _set_signal(signal.SIGINT, signal.default_int_handler)

    def _wait(self, loop: asyncio.AbstractEventLoop, handoff: _Handoff) -> None:
        """Wait (with self._cond held) until the handed-over call is done, driving the loop
        whenever no other thread does."""
        while not handoff.done:
            if self._driver is None:
                self._driver = threading.get_ident()
                handoff.driven_here = True
                self._cond.release()
                try:
                    loop.run_forever()  # _run stops it once the call is done
                finally:
                    self._cond.acquire()
                    handoff.driven_here = False
                    self._release_locked()
            else:
                self._cond.wait()

    def _release_locked(self) -> None:
        self._driver = None
        self._idle_since = time.monotonic()
        self._cond.notify_all()  # a waiting call may take over driving

    # These run on the loop, in whichever thread drives it.

    def _start(self, handoff: _Handoff) -> None:
        handoff.task = asyncio.get_running_loop().create_task(self._run(handoff))

    async def _run(self, handoff: _Handoff) -> None:
        try:
            handoff.result = await handoff.func()
        except BaseException as exc:  # handed back to the waiting thread, which raises it
            handoff.error = exc
        finally:
            with self._cond:
                handoff.done = True
                self._cond.notify_all()
                if handoff.driven_here:
                    asyncio.get_running_loop().stop()

    def _cancel(self, handoff: _Handoff) -> None:
        # Queued after _start, so the task exists unless the call has finished already.
        if handoff.task is not None:
            handoff.task.cancel()

    def close(self, aclose: Callable[[], Awaitable[None]]) -> None:
        """Close the pool, end calls other threads still wait on, and close the loop."""

        async def closing() -> None:
            await aclose()
            # Calls still running from other threads end now instead of hanging for ever.
            running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            await asyncio.get_running_loop().shutdown_asyncgens()

        if self._inside_another_loop():
            _on_helper_thread(self.close, aclose)
            return
        with self._cond:
            if self.closed:
                return
            self.closed = True
            loop = self._loop
            if loop is None:
                return
            try:
                self._enter(closing)
            finally:
                while self._driver is not None:
                    self._cond.wait()
                loop.close()


def _on_helper_thread(func: Callable[[T], R], arg: T) -> R:
    with ThreadPoolExecutor(1, thread_name_prefix="scenario-async") as helper:
        return helper.submit(func, arg).result()


async def _catch_up_then(func: Callable[[], Awaitable[R]]) -> R:
    # Nothing ran the loop for a while: let it first take in what happened meanwhile (a
    # server closing an idle keep-alive connection) so that the call does not pick a
    # connection that is already gone. Calls made back to back skip this extra turn of the
    # loop (about 20,000 instructions); for them the race is no wider than on a loop that
    # runs all the time.
    await asyncio.sleep(0)
    return await func()


async def _just(func: Callable[[], Awaitable[R]]) -> R:
    return await func()


def _nothing() -> None:
    pass


class blocking(Generic[P, R]):
    """Declares a sync method that runs the named async method of the wrapped resource."""

    def __init__(self, method: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]]) -> None:
        self._name = method.__name__

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> blocking[P, R]: ...
    @overload
    def __get__(self, obj: SyncResource, owner: type[Any]) -> Callable[P, R]: ...
    def __get__(
        self, obj: SyncResource | None, owner: type[Any]
    ) -> blocking[P, R] | Callable[P, R]:
        if obj is None:
            return self
        method: Callable[P, Coroutine[Any, Any, R]] = getattr(obj._async, self._name)
        loop = obj._loop

        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            return loop.call(lambda: method(*args, **kwargs))

        call.__name__ = self._name
        call.__doc__ = method.__doc__
        return call


class SyncResource:
    def __init__(self, async_resource: Any, loop: _Runner) -> None:
        self._async = async_resource
        self._loop = loop


class TrainingImages(SyncResource):
    add = blocking(AsyncTrainingImages.add)
    replace = blocking(AsyncTrainingImages.replace)
    replace_pairs = blocking(AsyncTrainingImages.replace_pairs)
    delete = blocking(AsyncTrainingImages.delete)
    add_many = blocking(AsyncTrainingImages.add_many)


class Train(SyncResource):
    trigger = blocking(AsyncTrain.trigger)
    action = blocking(AsyncTrain.action)
    wait = blocking(AsyncTrain.wait)
    trigger_and_wait = blocking(AsyncTrain.trigger_and_wait)


class Models(SyncResource):
    retrieve = blocking(AsyncModels.retrieve)

    def __init__(self, async_resource: AsyncModels, loop: _Runner) -> None:
        super().__init__(async_resource, loop)
        self.training_images = TrainingImages(async_resource.training_images, loop)
        self.train = Train(async_resource.train, loop)


class Jobs(SyncResource):
    retrieve = blocking(AsyncJobs.retrieve)


class Assets(SyncResource):
    upload = blocking(AsyncAssets.upload)


class Scenario:
    """The blocking client: the same calls as AsyncScenario, without ``await``.

    Safe to share between threads and to call from code that runs inside an event loop.
    Use it as a context manager or call ``close()``, which also closes its event loop.
    """

    models: Models
    jobs: Jobs
    assets: Assets

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        base_url: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        connection_limit: int = DEFAULT_CONNECTION_LIMIT,
        ssl: ssl.SSLContext | bool = True,
        default_headers: Mapping[str, str] | None = None,
        rate_limit: float | None = None,
        on_unknown_outcome: UnknownOutcome = "verify",
    ) -> None:
        self._bind(
            AsyncScenario(
                api_key=api_key,
                api_secret=api_secret,
                base_url=base_url,
                timeout=timeout,
                connect_timeout=connect_timeout,
                max_retries=max_retries,
                connection_limit=connection_limit,
                ssl=ssl,
                default_headers=default_headers,
                rate_limit=rate_limit,
                on_unknown_outcome=on_unknown_outcome,
            ),
            _Runner(),
        )

    def _bind(self, async_client: AsyncScenario, loop: _Runner) -> None:
        self._async = async_client
        self._loop = loop
        self.models = Models(async_client.models, loop)
        self.jobs = Jobs(async_client.jobs, loop)
        self.assets = Assets(async_client.assets, loop)

    @property
    def async_client(self) -> AsyncScenario:
        """The AsyncScenario this client drives (it lives on this client's own loop)."""
        return self._async

    @property
    def base_url(self) -> str:
        return self._async.base_url

    def __repr__(self) -> str:
        return f"Scenario(base_url={self._async.base_url!r}, max_retries={self._async.max_retries})"

    def with_options(
        self,
        *,
        timeout: Timeout | None = None,
        max_retries: int | None = None,
        on_unknown_outcome: UnknownOutcome | None = None,
    ) -> Scenario:
        """A copy with other defaults, sharing this client's pool and event loop."""
        clone = object.__new__(Scenario)
        copy = self._async.with_options(
            timeout=timeout, max_retries=max_retries, on_unknown_outcome=on_unknown_outcome
        )
        clone._bind(copy, self._loop)
        return clone

    def run(self, func: Callable[[], Awaitable[R]]) -> R:
        """Run a coroutine function on this client's loop (for helpers built on the async
        client) and wait for its result."""
        return self._loop.call(func)

    def close(self) -> None:
        """Close the connection pool and the event loop. Safe to call more than once."""
        self._loop.close(self._async.aclose)

    def __enter__(self) -> Scenario:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
