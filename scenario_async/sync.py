"""Scenario: the blocking twin of AsyncScenario.

Each client runs one asyncio event loop in a daemon thread of its own, started by its first
call and stopped by ``close()``. A sync method schedules its async twin's coroutine on that
loop and waits: the same code, retries and errors. Each method is one line
(``blocking(...)``) that keeps the async method's signature for type checkers and ``help()``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from ._client import AsyncScenario
from ._options import Timeout, UnknownOutcome
from .resources import AsyncAssets, AsyncJobs, AsyncModels, AsyncTrain, AsyncTrainingImages

__all__ = ["Scenario"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

_CLOSED_MID_CALL = "the client was closed while this call was running"


class _LoopThread:
    """One event loop in a daemon thread. A call is scheduled from the calling thread, which
    waits; Ctrl-C cancels the call, waits until it has unwound, and raises KeyboardInterrupt."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.closed = False
        _LIVE.add(self)

    def call(self, func: Callable[[], Awaitable[R]]) -> R:
        if self._thread is not None and threading.current_thread() is self._thread:
            raise RuntimeError(
                "a sync client cannot be called from code running on its own loop (an "
                "on_progress callback, say); use client.async_client there"
            )
        future: concurrent.futures.Future[R] = concurrent.futures.Future()
        unwound = threading.Event()
        context = contextvars.copy_context()  # the caller's context vars, as asyncio.run
        tasks: list[asyncio.Future[R]] = []

        def start() -> None:  # on the loop
            if not future.set_running_or_notify_cancel():  # Ctrl-C came first
                unwound.set()
                return
            try:
                if self.closed:
                    raise RuntimeError(_CLOSED_MID_CALL)
                task = context.run(asyncio.ensure_future, func())
            except BaseException as exc:
                future.set_exception(exc)
                unwound.set()
                return
            tasks.append(task)
            task.add_done_callback(lambda done: self._settle(done, future, unwound))

        with self._lock:
            if self.closed:
                raise RuntimeError("this client is closed; create a new one")
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._loop.run_forever, name="scenario-async-loop", daemon=True
                )
                self._thread.start()
            loop = self._loop
            loop.call_soon_threadsafe(start)
        try:
            return future.result()
        except KeyboardInterrupt:
            if not future.cancel():  # already running: cancel its task, on the loop
                loop.call_soon_threadsafe(lambda: tasks[0].cancel())
            unwound.wait()
            raise

    def _settle(
        self, task: asyncio.Future[R], future: concurrent.futures.Future[R], unwound: Any
    ) -> None:
        if task.cancelled():
            closed = RuntimeError(_CLOSED_MID_CALL)
            future.set_exception(closed if self.closed else concurrent.futures.CancelledError())
        elif (error := task.exception()) is not None:
            future.set_exception(error)
        else:
            future.set_result(task.result())
        unwound.set()

    def close(self, aclose: Callable[[], Awaitable[None]]) -> None:
        """Close the pool, end the calls still running, then stop the loop and its thread."""
        with self._lock:
            loop, thread, self.closed = self._loop, self._thread, True
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        if threading.current_thread() is thread:  # a finalizer run by the loop's thread
            threading.Thread(target=_stop, args=(loop, thread, aclose)).start()
        else:
            _stop(loop, thread, aclose)

    def forget_after_fork(self) -> None:
        """In a forked child the loop's thread did not come along, and the loop's selector
        and sockets are the parent's: leave them untouched (kept, so no finalizer closes
        them) and start afresh on the next call."""
        _LEFT_IN_PARENT.append(self._loop)
        self._lock = threading.Lock()  # a parent thread may have held it at the fork
        self._loop = self._thread = None


def _stop(
    loop: asyncio.AbstractEventLoop, thread: threading.Thread, aclose: Callable[[], Awaitable[None]]
) -> None:
    async def closing() -> None:
        await aclose()
        running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await loop.shutdown_asyncgens()

    try:
        asyncio.run_coroutine_threadsafe(closing(), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def _after_fork_in_child() -> None:
    for runner in list(_LIVE):
        runner.forget_after_fork()


_LIVE: weakref.WeakSet[_LoopThread] = weakref.WeakSet()
_LEFT_IN_PARENT: list[object] = []
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _like(call: F, method: Callable[..., Any]) -> F:
    """``call`` with ``method``'s name, docstring and signature, as help() and IDEs show."""
    call.__name__ = call.__qualname__ = method.__name__
    call.__doc__ = method.__doc__
    call.__signature__ = inspect.signature(method)  # type: ignore[attr-defined]
    return call


def blocking(
    method: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[SyncResource, P], R]:
    """The sync method that runs the async method of the same name."""

    def call(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> R:
        bound: Callable[P, Coroutine[Any, Any, R]] = getattr(self._async, method.__name__)
        return self._runner.call(lambda: bound(*args, **kwargs))

    return _like(call, method)


def blocking_iter(
    method: Callable[Concatenate[Any, P], AsyncIterator[T]],
) -> Callable[Concatenate[SyncResource, P], Generator[T, None, None]]:
    """The sync method that iterates, item by item, what the async method returns."""

    def call(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> Generator[T, None, None]:
        items: AsyncIterator[T] = getattr(self._async, method.__name__)(*args, **kwargs)
        try:
            while True:
                try:
                    yield self._runner.call(items.__anext__)
                except StopAsyncIteration:
                    return
        finally:
            if hasattr(items, "aclose") and not self._runner.closed:
                self._runner.call(items.aclose)

    return _like(call, method)


class SyncResource:
    def __init__(self, async_resource: Any, runner: _LoopThread) -> None:
        self._async = async_resource
        self._runner = runner


S = TypeVar("S", bound=SyncResource)


class nested(Generic[S]):
    """A sync resource below another, twin of the async attribute of the same name."""

    def __init__(self, cls: type[S]) -> None:
        self._cls = cls

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    def __get__(self, obj: SyncResource, owner: type[Any]) -> S:
        resource = self._cls(getattr(obj._async, self._name), obj._runner)
        obj.__dict__[self._name] = resource  # made once per object
        return resource


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
    training_images = nested(TrainingImages)
    train = nested(Train)


class Jobs(SyncResource):
    retrieve = blocking(AsyncJobs.retrieve)


class Assets(SyncResource):
    upload = blocking(AsyncAssets.upload)


def _init_like(
    source: Callable[Concatenate[Any, P], None],
) -> Callable[[Callable[..., None]], Callable[Concatenate[Any, P], None]]:
    """Give the decorated ``__init__(self, **options)`` the signature of ``source``, for
    type checkers and at runtime: the two clients take the same options by construction."""
    return lambda init: _like(init, source)


class Scenario(SyncResource):
    """The blocking client: the same calls and options as AsyncScenario, without ``await``.

    Its calls run on an event loop in a thread of its own (started by the first call), so it
    is safe to share between threads and to call from code that runs inside an event loop.
    Close it with ``close()`` or a ``with`` block; one dropped unclosed is closed when it is
    collected, or at interpreter exit. A forked child starts a loop and pool of its own.
    """

    models = nested(Models)
    jobs = nested(Jobs)
    assets = nested(Assets)
    _async: AsyncScenario
    _origin: Scenario | None = None

    @_init_like(AsyncScenario.__init__)
    def __init__(self, **options: Any) -> None:
        async_client = AsyncScenario(**options)
        super().__init__(async_client, _LoopThread())
        self._finalizer = weakref.finalize(self, self._runner.close, async_client.aclose)

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
        SyncResource.__init__(clone, copy, self._runner)
        clone._finalizer, clone._origin = self._finalizer, self  # one loop, closed once
        return clone

    def run(self, func: Callable[[], Awaitable[R]]) -> R:
        """Run a coroutine function on this client's loop and wait for its result."""
        return self._runner.call(func)

    def close(self) -> None:
        """Close the pool, the loop and its thread; calls still running in other threads
        raise RuntimeError. Safe to call more than once."""
        self._finalizer()

    def __enter__(self) -> Scenario:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
