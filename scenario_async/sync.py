"""Scenario: the blocking twin of AsyncScenario.

Each client runs one asyncio event loop in a daemon thread, started by its first call and
stopped by ``close()``. A sync method hands its async twin's coroutine to that loop and
waits: the same code, retries and errors. Each method is one ``blocking(...)`` line that
keeps the async method's signature for type checkers, ``help()`` and IDEs; each
``with_raw_response`` method is one ``blocking_raw(...)`` line of its async raw twin.
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
from ._raw import APIResponse, AsyncAPIResponse
from .resources import (
    AsyncAssets,
    AsyncAssetsWithRawResponse,
    AsyncJobs,
    AsyncJobsWithRawResponse,
    AsyncModels,
    AsyncModelsWithRawResponse,
    AsyncScores,
    AsyncScoresWithRawResponse,
    AsyncTrain,
    AsyncTrainingImages,
    AsyncTrainingImagesWithRawResponse,
    AsyncTrainWithRawResponse,
    AsyncUploads,
    AsyncUploadsWithRawResponse,
)

__all__ = ["Scenario"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

_CLOSED_MID_CALL = "the client was closed while this call was running"


class _LoopThread:
    """One client's event loop thread. The caller waits for its call; Ctrl-C cancels the
    call, waits until it has unwound, and is raised as KeyboardInterrupt."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.closed = False
        _LIVE.add(self)

    def call(self, func: Callable[[], Awaitable[R]]) -> R:
        if threading.current_thread() is self.thread:
            raise RuntimeError(
                "a sync client cannot be called from code running on its own loop (an "
                "on_progress callback, say); use client.async_client there"
            )
        result: concurrent.futures.Future[R] = concurrent.futures.Future()
        context = contextvars.copy_context()  # the caller's context vars, as asyncio.run
        tasks: list[asyncio.Task[R]] = []

        async def run() -> R:
            if self.closed:
                raise RuntimeError(_CLOSED_MID_CALL)
            return await func()

        def settle(task: asyncio.Task[R]) -> None:
            if task.cancelled():
                closed = RuntimeError(_CLOSED_MID_CALL)  # or cancelled by the caller's Ctrl-C
                result.set_exception(closed if self.closed else asyncio.CancelledError())
            elif (error := task.exception()) is not None:
                result.set_exception(error)
            else:
                result.set_result(task.result())

        def start() -> None:  # on the loop
            tasks.append(context.run(asyncio.ensure_future, run()))
            tasks[0].add_done_callback(settle)

        with self.lock:
            if self.closed:
                raise RuntimeError("this client is closed; create a new one")
            if self.loop is None:
                self.loop = asyncio.new_event_loop()
                self.thread = threading.Thread(
                    target=self.loop.run_forever, name="scenario-async-loop", daemon=True
                )
                self.thread.start()
            loop = self.loop
            loop.call_soon_threadsafe(start)
        try:
            return result.result()
        except KeyboardInterrupt:  # start() was scheduled first, so the task exists by then
            loop.call_soon_threadsafe(lambda: tasks[0].cancel())
            concurrent.futures.wait([result])
            raise

    def close(self, aclose: Callable[[], Awaitable[None]]) -> None:
        """End the calls still running, close the pool, then stop the loop and its thread."""
        with self.lock:
            loop, thread, self.closed = self.loop, self.thread, True
            self.loop = self.thread = None
        if loop is None or thread is None:
            return
        if threading.current_thread() is thread:  # a finalizer run by the loop's own thread
            threading.Thread(target=_stop, args=(loop, thread, aclose)).start()
        else:
            _stop(loop, thread, aclose)

    def forget_after_fork(self) -> None:
        """In a forked child the loop's thread did not come along and its selector and
        sockets are the parent's: keep them untouched (no finalizer may close them) and
        start afresh on the next call."""
        _LEFT_IN_PARENT.append(self.loop)
        self.lock = threading.Lock()  # a parent's thread may have held it at the fork
        self.loop = self.thread = None


def _stop(
    loop: asyncio.AbstractEventLoop, thread: threading.Thread, aclose: Callable[[], Awaitable[None]]
) -> None:
    async def closing() -> None:
        calls = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in calls:
            task.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
        await aclose()
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


def _like(method: Callable[..., Any]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Give the decorated function ``method``'s name, docstring and runtime signature."""

    def copy(call: Callable[P, R]) -> Callable[P, R]:
        call.__name__ = call.__qualname__ = method.__name__
        call.__doc__ = method.__doc__
        call.__signature__ = inspect.signature(method)  # type: ignore[attr-defined]
        return call

    return copy


def blocking(
    method: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[SyncResource, P], R]:
    """The sync method that runs the async method of the same name."""

    @_like(method)
    def call(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> R:
        bound: Callable[P, Coroutine[Any, Any, R]] = getattr(self._async, method.__name__)
        return self._runner.call(lambda: bound(*args, **kwargs))

    return call


def blocking_raw(
    method: Callable[Concatenate[Any, P], Coroutine[Any, Any, AsyncAPIResponse[R]]],
) -> Callable[Concatenate[SyncResource, P], APIResponse[R]]:
    """The sync method that runs the async ``with_raw_response`` method of the same name and
    answers its ``APIResponse`` (whose ``parse()`` is not awaited)."""

    @_like(method)
    def call(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> APIResponse[R]:
        bound: Callable[P, Coroutine[Any, Any, AsyncAPIResponse[R]]] = getattr(
            self._async, method.__name__
        )
        return self._runner.call(lambda: bound(*args, **kwargs))._sync()

    signature: inspect.Signature = call.__signature__  # type: ignore[attr-defined]
    returns = str(signature.return_annotation).replace("AsyncAPIResponse", "APIResponse", 1)
    call.__signature__ = signature.replace(return_annotation=returns)  # type: ignore[attr-defined]
    return call


def blocking_iter(
    method: Callable[Concatenate[Any, P], AsyncIterator[T]],
) -> Callable[Concatenate[SyncResource, P], Generator[T, None, None]]:
    """The sync method that iterates, item by item, what the async method yields."""

    @_like(method)
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

    return call


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


class TrainingImagesWithRawResponse(SyncResource):
    add = blocking_raw(AsyncTrainingImagesWithRawResponse.add)
    replace = blocking_raw(AsyncTrainingImagesWithRawResponse.replace)
    replace_pairs = blocking_raw(AsyncTrainingImagesWithRawResponse.replace_pairs)
    delete = blocking_raw(AsyncTrainingImagesWithRawResponse.delete)


class TrainingImages(SyncResource):
    add = blocking(AsyncTrainingImages.add)
    replace = blocking(AsyncTrainingImages.replace)
    replace_pairs = blocking(AsyncTrainingImages.replace_pairs)
    delete = blocking(AsyncTrainingImages.delete)
    add_many = blocking(AsyncTrainingImages.add_many)
    with_raw_response = nested(TrainingImagesWithRawResponse)


class TrainWithRawResponse(SyncResource):
    trigger = blocking_raw(AsyncTrainWithRawResponse.trigger)
    action = blocking_raw(AsyncTrainWithRawResponse.action)


class Train(SyncResource):
    trigger = blocking(AsyncTrain.trigger)
    action = blocking(AsyncTrain.action)
    wait = blocking(AsyncTrain.wait)
    trigger_and_wait = blocking(AsyncTrain.trigger_and_wait)
    with_raw_response = nested(TrainWithRawResponse)


class ScoresWithRawResponse(SyncResource):
    retrieve_training_dataset = blocking_raw(AsyncScoresWithRawResponse.retrieve_training_dataset)


class Scores(SyncResource):
    retrieve_training_dataset = blocking(AsyncScores.retrieve_training_dataset)
    with_raw_response = nested(ScoresWithRawResponse)


class ModelsWithRawResponse(SyncResource):
    create = blocking_raw(AsyncModelsWithRawResponse.create)
    list = blocking_raw(AsyncModelsWithRawResponse.list)
    retrieve = blocking_raw(AsyncModelsWithRawResponse.retrieve)
    update = blocking_raw(AsyncModelsWithRawResponse.update)
    delete = blocking_raw(AsyncModelsWithRawResponse.delete)
    delete_images = blocking_raw(AsyncModelsWithRawResponse.delete_images)
    restore = blocking_raw(AsyncModelsWithRawResponse.restore)
    copy = blocking_raw(AsyncModelsWithRawResponse.copy)
    download = blocking_raw(AsyncModelsWithRawResponse.download)
    training_images = nested(TrainingImagesWithRawResponse)
    train = nested(TrainWithRawResponse)
    scores = nested(ScoresWithRawResponse)


class Models(SyncResource):
    create = blocking(AsyncModels.create)
    list = blocking_iter(AsyncModels.list)
    list_pages = blocking_iter(AsyncModels.list_pages)
    retrieve = blocking(AsyncModels.retrieve)
    update = blocking(AsyncModels.update)
    delete = blocking(AsyncModels.delete)
    delete_images = blocking(AsyncModels.delete_images)
    restore = blocking(AsyncModels.restore)
    copy = blocking(AsyncModels.copy)
    download = blocking(AsyncModels.download)
    training_images = nested(TrainingImages)
    train = nested(Train)
    scores = nested(Scores)
    with_raw_response = nested(ModelsWithRawResponse)


class JobsWithRawResponse(SyncResource):
    list = blocking_raw(AsyncJobsWithRawResponse.list)
    retrieve = blocking_raw(AsyncJobsWithRawResponse.retrieve)
    trigger_action = blocking_raw(AsyncJobsWithRawResponse.trigger_action)


class Jobs(SyncResource):
    list = blocking_iter(AsyncJobs.list)
    list_pages = blocking_iter(AsyncJobs.list_pages)
    retrieve = blocking(AsyncJobs.retrieve)
    trigger_action = blocking(AsyncJobs.trigger_action)
    with_raw_response = nested(JobsWithRawResponse)


class AssetsWithRawResponse(SyncResource):
    upload = blocking_raw(AsyncAssetsWithRawResponse.upload)
    retrieve = blocking_raw(AsyncAssetsWithRawResponse.retrieve)


class Assets(SyncResource):
    upload = blocking(AsyncAssets.upload)
    retrieve = blocking(AsyncAssets.retrieve)
    with_raw_response = nested(AssetsWithRawResponse)


class UploadsWithRawResponse(SyncResource):
    create = blocking_raw(AsyncUploadsWithRawResponse.create)
    retrieve = blocking_raw(AsyncUploadsWithRawResponse.retrieve)
    trigger_action = blocking_raw(AsyncUploadsWithRawResponse.trigger_action)


class Uploads(SyncResource):
    create = blocking(AsyncUploads.create)
    retrieve = blocking(AsyncUploads.retrieve)
    trigger_action = blocking(AsyncUploads.trigger_action)
    with_raw_response = nested(UploadsWithRawResponse)


class ScenarioWithRawResponse(SyncResource):
    """``Scenario.with_raw_response``: every resource's ``with_raw_response``."""

    models = nested(ModelsWithRawResponse)
    jobs = nested(JobsWithRawResponse)
    assets = nested(AssetsWithRawResponse)
    uploads = nested(UploadsWithRawResponse)


def _options_of(
    source: Callable[Concatenate[Any, P], Any],
) -> Callable[[Callable[..., R]], Callable[Concatenate[Any, P], R]]:
    """Give the decorated ``method(self, **options)`` the options of ``source``, for type
    checkers and at runtime: the two clients take the same options by construction."""
    return _like(source)  # type: ignore[return-value]


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
    uploads = nested(Uploads)
    with_raw_response = nested(ScenarioWithRawResponse)
    _async: AsyncScenario
    _origin: Scenario | None = None  # keeps the client whose loop a copy shares alive

    @_options_of(AsyncScenario.__init__)
    def __init__(self, **options: Any) -> None:
        async_client = AsyncScenario(**options)
        super().__init__(async_client, _LoopThread())
        self._finalizer = weakref.finalize(self, self._runner.close, async_client.aclose)

    @_options_of(AsyncScenario.with_options)
    def with_options(self, **options: Any) -> Scenario:
        clone = object.__new__(Scenario)
        SyncResource.__init__(clone, self._async.with_options(**options), self._runner)
        clone._finalizer, clone._origin = self._finalizer, self  # one loop, closed once
        return clone

    @property
    def async_client(self) -> AsyncScenario:
        """The AsyncScenario this client drives (it lives on this client's own loop)."""
        return self._async

    @property
    def base_url(self) -> str:
        return self._async.base_url

    def __repr__(self) -> str:
        return f"Scenario(base_url={self._async.base_url!r}, max_retries={self._async.max_retries})"

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
