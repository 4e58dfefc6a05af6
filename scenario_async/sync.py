"""Scenario: the blocking twin of AsyncScenario.

It runs the very same coroutines on a private event-loop thread and declares each method in
one line with ``blocking(...)``, which keeps the async method's full signature for type
checkers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from types import TracebackType
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

P = ParamSpec("P")
R = TypeVar("R")

#: How long an interrupted sync call waits for its coroutine to unwind.
CANCEL_GRACE = 5.0


class _LoopThread:
    """A daemon thread running one asyncio event loop, started on first use and stopped by
    close(). A daemon thread, so a client that is never closed cannot keep the interpreter
    alive.

    Calls are handed over with ``asyncio.run_coroutine_threadsafe``: the loop must be
    asyncio's anyway (aiohttp runs on nothing else), and the hop costs a fraction of a
    blocking portal's task-group spawn, which the benchmark showed as 1.74x the CPU of the
    same calls made with the async client (see docs/performance.md).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.closed = False

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self.closed:
                raise RuntimeError("this client is closed; create a new one")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=loop.run_forever, name="scenario-async-loop", daemon=True
                )
                self._thread.start()
                self._loop = loop
            return self._loop

    def call(self, func: Callable[[], Awaitable[R]]) -> R:
        """Run ``func()`` on the loop thread and wait for it. Ctrl-C (or any exception
        raised while waiting) cancels the coroutine and waits until it has unwound."""
        loop = self._start()
        if threading.current_thread() is self._thread:
            raise RuntimeError("a sync client cannot be called from its own loop thread")
        finished = threading.Event()

        async def run() -> R:
            try:
                return await func()
            finally:
                finished.set()

        future = asyncio.run_coroutine_threadsafe(run(), loop)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            if self.closed:
                raise RuntimeError("the client was closed while this call was running") from None
            raise
        except BaseException:
            if future.cancel():
                finished.wait(timeout=CANCEL_GRACE)
            raise

    def close(self, aclose: Callable[[], Awaitable[None]]) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def closing() -> None:
            await aclose()
            # Calls still running from other threads end now instead of hanging for ever.
            running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(closing(), loop).result()
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()


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
    def __init__(self, async_resource: Any, loop: _LoopThread) -> None:
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

    def __init__(self, async_resource: AsyncModels, loop: _LoopThread) -> None:
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
    Use it as a context manager or call ``close()``, which also stops its loop thread.
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
            _LoopThread(),
        )

    def _bind(self, async_client: AsyncScenario, loop: _LoopThread) -> None:
        self._async = async_client
        self._loop = loop
        self.models = Models(async_client.models, loop)
        self.jobs = Jobs(async_client.jobs, loop)
        self.assets = Assets(async_client.assets, loop)

    @property
    def async_client(self) -> AsyncScenario:
        """The AsyncScenario this client drives (it lives on the private loop thread)."""
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
        """A copy with other defaults, sharing this client's pool and loop thread."""
        clone = object.__new__(Scenario)
        copy = self._async.with_options(
            timeout=timeout, max_retries=max_retries, on_unknown_outcome=on_unknown_outcome
        )
        clone._bind(copy, self._loop)
        return clone

    def run(self, func: Callable[[], Awaitable[R]]) -> R:
        """Run a coroutine function on this client's loop thread (for helpers built on the
        async client) and wait for its result."""
        return self._loop.call(func)

    def close(self) -> None:
        """Close the connection pool and stop the loop thread. Safe to call more than once."""
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
