"""``with_raw_response``: a call's HTTP answer (status, headers, request id) with its result.

``client.models.with_raw_response.retrieve("m")`` runs the plain ``client.models.retrieve``
(the same checks, retries, reconciliation and errors) on a copy of the client that records
the answer its result was read from, and hands back that answer: an ``AsyncAPIResponse``
whose ``await parse()`` is what the plain call returns. ``Scenario``'s twin gives an
``APIResponse``, whose ``parse()`` is not awaited. The names and the shape are those of
Scenario's published client.

A plain call never records anything: the only cost to it is the test of the client's
``_recorder`` (None but on such a copy) when an answer is accepted.
"""

from __future__ import annotations

import http
import inspect
import json
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import yarl
from multidict import CIMultiDict, CIMultiDictProxy

if TYPE_CHECKING:
    from ._transport import Answer

__all__ = [
    "REQUEST_ID_HEADERS",
    "APIResponse",
    "AsyncAPIResponse",
    "BaseAPIResponse",
    "RawResource",
    "first_page",
    "raw",
    "raw_of",
]

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")

#: Where ``request_id`` is read from, the first present: the published client and the API
#: reference name no request-id header, so the conventional one, then the gateway's.
REQUEST_ID_HEADERS = ("x-request-id", "x-amzn-requestid")


class BaseAPIResponse(Generic[T]):
    """One HTTP answer of a successful call: what both clients' raw responses share.

    ``status_code``, ``headers`` (case-insensitive, every value of a repeated header kept),
    the request's ``method`` and ``url``, ``retries_taken``, and ``request_id``. It is the
    answer the call finally accepted: after retries, the attempt that succeeded; when the
    SDK settled a write whose answer was lost (docs/reliability.md), the answer that settled
    it (the read that found the write's effect, or the 404 of a delete already done)."""

    __slots__ = ("_body", "_parsed", "headers", "method", "retries_taken", "status_code", "url")

    status_code: int
    headers: CIMultiDictProxy[str]
    method: str
    url: yarl.URL
    #: Retries made by the request that gave this answer (0 when its first attempt did).
    retries_taken: int

    def __init__(
        self,
        *,
        parsed: T,
        status_code: int,
        headers: Mapping[str, str],
        body: bytes,
        method: str,
        url: yarl.URL,
        retries_taken: int,
    ) -> None:
        self._parsed = parsed
        self._body = body
        self.status_code = status_code
        self.headers = (
            headers
            if isinstance(headers, CIMultiDictProxy)
            else CIMultiDictProxy(CIMultiDict(headers))
        )
        self.method = method
        self.url = url
        self.retries_taken = retries_taken

    @property
    def request_id(self) -> str | None:
        """The service's id of this request (quote it to support), when the answer has one:
        the first of ``REQUEST_ID_HEADERS`` present."""
        for name in REQUEST_ID_HEADERS:
            value = self.headers.get(name)
            if value:
                return value
        return None

    def _fields(self) -> dict[str, Any]:
        return {
            "parsed": self._parsed,
            "status_code": self.status_code,
            "headers": self.headers,
            "body": self._body,
            "method": self.method,
            "url": self.url,
            "retries_taken": self.retries_taken,
        }

    def _text(self) -> str:
        charset = "utf-8"
        for part in self.headers.get("Content-Type", "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip('"')
        try:
            return self._body.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return self._body.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        try:
            reason = http.HTTPStatus(self.status_code).phrase
        except ValueError:  # 269, the dry run's
            reason = ""
        status = f"{self.status_code} {reason}".rstrip()
        return f"<{type(self).__name__} [{status}] {self.method} {self.url}>"


class APIResponse(BaseAPIResponse[T]):
    """What ``Scenario``'s ``with_raw_response`` calls answer."""

    __slots__ = ()

    def parse(self) -> T:
        """What the plain call returns (already read: parsing again costs nothing)."""
        return self._parsed

    def read(self) -> bytes:
        """The answer's body, as received (decompressed)."""
        return self._body

    def text(self) -> str:
        """The body decoded by its ``Content-Type`` charset (UTF-8 by default)."""
        return self._text()

    def json(self) -> Any:
        """The body's JSON, as sent: camelCase keys, fields this version does not know."""
        return json.loads(self._body)


class AsyncAPIResponse(BaseAPIResponse[T]):
    """What ``AsyncScenario``'s ``with_raw_response`` calls answer. As in the published
    client, ``parse``, ``read``, ``text`` and ``json`` are awaited (they return at once)."""

    __slots__ = ()

    async def parse(self) -> T:
        """What the plain call returns (already read: parsing again costs nothing)."""
        return self._parsed

    async def read(self) -> bytes:
        """The answer's body, as received (decompressed)."""
        return self._body

    async def text(self) -> str:
        """The body decoded by its ``Content-Type`` charset (UTF-8 by default)."""
        return self._text()

    async def json(self) -> Any:
        """The body's JSON, as sent: camelCase keys, fields this version does not know."""
        return json.loads(self._body)

    def _sync(self) -> APIResponse[T]:
        """The same answer for the sync client."""
        return APIResponse(**self._fields())


class Recorder:
    """What a copy of the client records (``AsyncScenario._recorder``): the last answer a
    request of the call accepted, or that settled it after a lost answer."""

    __slots__ = ("answer", "method", "retries", "url")

    def __init__(self) -> None:
        self.answer: Answer | None = None
        self.method = ""
        self.url = ""
        self.retries = 0

    def record(self, answer: Answer, method: str, url: str, retries: int) -> None:
        self.answer, self.method, self.url, self.retries = answer, method, url, retries

    def response(self, parsed: T) -> AsyncAPIResponse[T]:
        answer = self.answer
        if answer is None:  # every way a call succeeds records an answer first
            raise RuntimeError("the call succeeded without an answer to show")
        return AsyncAPIResponse(
            parsed=parsed,
            status_code=answer.status,
            headers=answer.headers,
            body=answer.body,
            method=self.method,
            url=yarl.URL(self.url, encoded=True),
            retries_taken=self.retries,
        )


class RawResource:
    """``resource.with_raw_response``: the resource's calls, each answering its
    ``AsyncAPIResponse``. Sends through the resource's client (and its ``with_options``)."""

    def __init__(self, resource: Any) -> None:
        self._resource = resource


def _recording(resource: Any, recorder: Recorder) -> Any:
    """A copy of ``resource`` whose client (a copy sharing the pool) records to ``recorder``:
    nothing of the original changes, so calls running beside it are untouched."""
    copy = object.__new__(type(resource))
    copy.__dict__.update(resource.__dict__)
    copy._client = resource._client._recording(recorder)
    return copy


def _like(call: Callable[..., Any], method: Callable[..., Any], inner: Any) -> None:
    """Give ``call`` the name, docstring and parameters of ``method``, answering
    ``AsyncAPIResponse[inner]`` (for ``help()``, IDEs and ``inspect.signature``)."""
    call.__name__ = call.__qualname__ = method.__name__
    call.__doc__ = method.__doc__
    if inner is inspect.Signature.empty:
        inner = "Any"
    elif not isinstance(inner, str):
        inner = getattr(inner, "__name__", repr(inner))
    signature = inspect.signature(method).replace(return_annotation=f"AsyncAPIResponse[{inner}]")
    call.__signature__ = signature  # type: ignore[attr-defined]


def raw(
    method: Callable[Concatenate[Any, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[RawResource, P], Coroutine[Any, Any, AsyncAPIResponse[T]]]:
    """The raw twin of the resource's coroutine method ``method``: the same parameters, the
    same call, its answer with the result."""
    name = method.__name__

    async def call(self: RawResource, /, *args: P.args, **kwargs: P.kwargs) -> AsyncAPIResponse[T]:
        recorder = Recorder()
        result: T = await getattr(_recording(self._resource, recorder), name)(*args, **kwargs)
        return recorder.response(result)

    _like(call, method, inspect.signature(method).return_annotation)
    return call


def first_page(
    items: Callable[Concatenate[Any, P], AsyncIterator[Any]],
    pages: Callable[Concatenate[Any, P], AsyncIterator[T]],
) -> Callable[Concatenate[RawResource, P], Coroutine[Any, Any, AsyncAPIResponse[T]]]:
    """The raw twin of the list ``items``: as in the published client, one request, for the
    page ``pages`` (its ``list_pages``) reads first (the one at ``pagination_token``, if
    given). Its ``parse()`` is that page, with ``next_pagination_token`` for the next."""
    pages_name = pages.__name__

    async def call(self: RawResource, /, *args: P.args, **kwargs: P.kwargs) -> AsyncAPIResponse[T]:
        recorder = Recorder()
        walk: AsyncIterator[T] = getattr(_recording(self._resource, recorder), pages_name)(
            *args, **kwargs
        )
        try:
            page = await walk.__anext__()
        finally:
            close = getattr(walk, "aclose", None)
            if close is not None:
                await close()
        return recorder.response(page)

    inner = inspect.signature(pages).return_annotation  # AsyncIterator[the page]
    if isinstance(inner, str) and inner.startswith("AsyncIterator[") and inner.endswith("]"):
        inner = inner[len("AsyncIterator[") : -1]
    _like(call, items, inner)
    return call


class raw_of(Generic[R]):
    """``with_raw_response`` of the attribute of the same name of the resource (or client)
    a raw view is of: ``client.with_raw_response.models``, ``...models.training_images``.
    Its type is declared (``models: raw_of[AsyncModelsWithRawResponse] = raw_of()``), so
    that the view's class is only imported with the resource."""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> raw_of[R]: ...

    @overload
    def __get__(self, obj: RawResource, owner: type[Any]) -> R: ...

    def __get__(self, obj: RawResource | None, owner: type[Any]) -> raw_of[R] | R:
        if obj is None:
            return self
        view: R = getattr(obj._resource, self._name).with_raw_response
        return view
