"""AsyncScenario: configuration, the session's lifecycle, and the one request path."""

from __future__ import annotations

import asyncio
import base64
import functools
import ipaddress
import logging
import os
import re
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeGuard, TypeVar, overload

import aiohttp
import yarl

from . import _wire
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    InsecureTransportWarning,
    MissingCredentialsError,
    RateLimitError,
    may_have_acted,
)
from ._logging import logger, setup_logging_from_env
from ._options import LandingCheck, RequestOptions, Timeout, UnknownOutcome
from ._raw import RawResource, Recorder, raw_of
from ._redact import Redactor
from ._transport import DEFAULT_MAX_RESPONSE_BYTES, AiohttpTransport, Answer, Transport
from ._version import __version__

if TYPE_CHECKING:
    import ssl

    from .resources.assets import AsyncAssets, AsyncAssetsWithRawResponse
    from .resources.jobs import AsyncJobs, AsyncJobsWithRawResponse
    from .resources.models import AsyncModels, AsyncModelsWithRawResponse
    from .resources.uploads import AsyncUploads, AsyncUploadsWithRawResponse

__all__ = [
    "DEFAULT_BASE_URL",
    "AsyncScenario",
    "AsyncScenarioWithRawResponse",
    "RequestOptions",
    "Timeout",
    "UnknownOutcome",
]

T = TypeVar("T")

_NO_HEADERS: Mapping[str, str] = {}

DEFAULT_BASE_URL = "https://api.cloud.scenario.com/v1"
DEFAULT_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_CONNECTION_LIMIT = 100
#: Answers of this many bytes or more are parsed in a thread, off the event loop: about
#: 1.5 ms of parsing, the most a task should hold the loop.
PARSE_IN_A_THREAD_FROM = 64 * 1024

#: How many claimed training-image ids a client remembers (about 8 MiB at the most).
_MAX_CLAIMS = 65_536


class _Shared:
    """What a client shares with every copy made by ``with_options``: the transport, the
    pace of its requests, and the training images its adds were answered with."""

    def __init__(self, transport: Transport, interval: float) -> None:
        self.transport = transport
        self.closed = False
        #: Event-loop time before which no request is sent: set by a 429 for every caller.
        self.resume_at = 0.0
        #: How many 429s this client has met: what an adaptive limit watches.
        self.throttles = 0
        #: Seconds between request starts under a client-side rate limit (0: no limit).
        self.interval = interval
        self._next_start = 0.0
        #: Training images this client's adds were answered with, oldest first: never taken
        #: for another add's image after a lost answer (docs/reliability.md). Bounded.
        self._claimed: dict[str, None] = {}

    def claim(self, image_id: str | None) -> None:
        if image_id:
            self._claimed[image_id] = None
            if len(self._claimed) > _MAX_CLAIMS:
                del self._claimed[next(iter(self._claimed))]

    def claimed(self, image_id: str | None) -> bool:
        return image_id in self._claimed

    async def wait_turn(self) -> None:
        """Wait out a shared 429 pause and keep under the rate limit, if either applies."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        start = max(now, self.resume_at)
        if self.interval:
            start = max(start, self._next_start)
            self._next_start = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)

    def pause(self, seconds: float) -> None:
        """Hold every request of this client for ``seconds`` (the server said 429)."""
        self.throttles += 1
        self.resume_at = max(self.resume_at, asyncio.get_running_loop().time() + seconds)


R_co = TypeVar("R_co", covariant=True)


class _made_on_first_use(Generic[R_co]):
    """A client's resource, made by the decorated method on its first use and kept, its
    module (and with it its answer types) imported then: a program pays at start for the
    client, not for the whole API. Unlike ``functools.cached_property`` no lock is taken:
    threads racing to a first use all get the one object kept (``dict.setdefault``), and a
    process forked meanwhile inherits no lock held."""

    def __init__(self, make: Callable[[Any], R_co]) -> None:
        self._make = make
        self.__doc__ = make.__doc__

    def __set_name__(self, owner: type[Any], attribute: str) -> None:
        self._attribute = attribute

    @overload
    def __get__(self, client: None, owner: type[Any]) -> _made_on_first_use[R_co]: ...

    @overload
    def __get__(self, client: object, owner: type[Any]) -> R_co: ...

    def __get__(self, client: object, owner: type[Any]) -> _made_on_first_use[R_co] | R_co:
        if client is None:
            return self
        made: R_co = client.__dict__.setdefault(self._attribute, self._make(client))
        return made


def _own_attributes(cls: type[Any]) -> set[str]:
    """The attributes of ``cls`` that each object makes on its first use and keeps."""
    return {
        name
        for klass in cls.__mro__
        for name, value in vars(klass).items()
        if isinstance(value, (_made_on_first_use, functools.cached_property))
    }


class AsyncScenario:
    """The asyncio client. One ``aiohttp`` session, opened on first use, closed by
    ``async with`` or ``aclose()``.

    Credentials default to ``SCENARIO_SDK_API_KEY`` / ``SCENARIO_SDK_API_SECRET`` and the base
    URL to ``SCENARIO_BASE_URL`` or Scenario's production API.
    """

    #: Where a ``with_raw_response`` call's copy of the client records the answer it
    #: accepts; None on every client a user holds.
    _recorder: Recorder | None = None

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
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        trust_env: bool = True,
        proxy: str | None = None,
        session: aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
    ) -> None:
        """``max_response_bytes`` bounds an answer's length after decompression (64 MiB by
        default: a model with some 40,000 training images); a longer one raises
        APIResponseTooLargeError. ``trust_env`` (on, as in httpx) reads the proxy settings
        ``HTTP(S)_PROXY``/``NO_PROXY`` and ``.netrc``; ``proxy`` names a proxy URL.
        ``session`` is an ``aiohttp.ClientSession`` of yours (a custom connector or
        resolver, trace configs): it is used as it is, on its own loop, and never closed by
        the client; ``connection_limit``, ``ssl`` and ``trust_env`` then do nothing.
        ``transport`` replaces the aiohttp one altogether (tests run the client over one in
        memory)."""
        setup_logging_from_env()
        api_key = api_key if api_key is not None else os.environ.get("SCENARIO_SDK_API_KEY")
        api_secret = (
            api_secret if api_secret is not None else os.environ.get("SCENARIO_SDK_API_SECRET")
        )
        if not api_key:
            raise MissingCredentialsError(
                "api_key is missing: pass api_key= or set SCENARIO_SDK_API_KEY"
            )
        if not api_secret:
            raise MissingCredentialsError(
                "api_secret is missing: pass api_secret= or set SCENARIO_SDK_API_SECRET"
            )
        base = base_url or os.environ.get("SCENARIO_BASE_URL") or DEFAULT_BASE_URL
        parsed = yarl.URL(base)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"base_url must be an http(s) URL, got {base!r}")
        _check_retries(max_retries)
        if not isinstance(connection_limit, int) or connection_limit < 1:
            raise ValueError(
                f"connection_limit must be a positive integer, got {connection_limit!r}"
            )
        if parsed.scheme == "http" and not _is_loopback(parsed.host):
            warnings.warn(
                f"base_url {base!r} is plain http to a host that is not this machine: the API "
                "key and secret would cross the network unencrypted",
                InsecureTransportWarning,
                stacklevel=2,
            )
        if rate_limit is not None and (
            isinstance(rate_limit, bool)
            or not isinstance(rate_limit, (int, float))
            or rate_limit <= 0
        ):
            raise ValueError(
                f"rate_limit must be a positive number of requests per second, got {rate_limit!r}"
            )
        _check_unknown_outcome(on_unknown_outcome)
        if proxy is not None and (
            not isinstance(proxy, str) or yarl.URL(proxy).scheme not in ("http", "https")
        ):
            raise ValueError(f"proxy must be an http(s) URL string, got {proxy!r}")
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise TypeError(
                f"session must be an aiohttp.ClientSession, got {type(session).__name__}"
            )
        if (
            isinstance(max_response_bytes, bool)
            or not isinstance(max_response_bytes, int)
            or max_response_bytes < 1
        ):
            raise ValueError(
                f"max_response_bytes must be a positive integer, got {max_response_bytes!r}"
            )
        self.on_unknown_outcome: UnknownOutcome = on_unknown_outcome
        self.base_url = base.rstrip("/")
        self.max_retries = max_retries
        self.timeout = _client_timeout(timeout, connect_timeout)
        self._connect_timeout = connect_timeout
        token = base64.b64encode(f"{api_key}:{api_secret}".encode()).decode("ascii")
        headers = {
            "Authorization": f"Basic {token}",
            "Accept": "application/json",
            "User-Agent": f"scenario-async/{__version__}",
            **_headers_from_env(os.environ.get("SCENARIO_CUSTOM_HEADERS")),
            **_checked_headers("default_headers", default_headers or {}),
        }
        if transport is None:
            transport = AiohttpTransport(
                connection_limit=connection_limit,
                ssl_context=ssl,
                headers=headers,
                max_response_bytes=max_response_bytes,
                trust_env=trust_env,
                proxy=proxy,
                session=session,
            )
            headers = {}
        self._request_headers: Mapping[str, str] = headers  # those the transport does not add
        self._redact = Redactor(api_key, api_secret)
        self._shared = _Shared(transport, 0.0 if rate_limit is None else 1.0 / rate_limit)

    @_made_on_first_use
    def models(self) -> AsyncModels:
        """Models, and below them their training images, training and dataset scores."""
        from .resources.models import AsyncModels

        return AsyncModels(self)

    @_made_on_first_use
    def jobs(self) -> AsyncJobs:
        """Jobs: training's and every other."""
        from .resources.jobs import AsyncJobs

        return AsyncJobs(self)

    @_made_on_first_use
    def assets(self) -> AsyncAssets:
        """Assets: images uploaded to be attached to a model."""
        from .resources.assets import AsyncAssets

        return AsyncAssets(self)

    @_made_on_first_use
    def uploads(self) -> AsyncUploads:
        """Multipart uploads: a file's raw bytes, sent in parts."""
        from .resources.uploads import AsyncUploads

        return AsyncUploads(self)

    def _copy(self) -> AsyncScenario:
        """A copy with the same settings and pool, whose resources (and anything else a
        class of it makes on first use) are its own."""
        clone = object.__new__(type(self))
        own = _own_attributes(type(self))
        clone.__dict__.update(
            (name, value) for name, value in self.__dict__.items() if name not in own
        )
        return clone

    def __repr__(self) -> str:
        return f"AsyncScenario(base_url={self.base_url!r}, max_retries={self.max_retries})"

    @property
    def with_raw_response(self) -> AsyncScenarioWithRawResponse:
        """Every resource's ``with_raw_response``, as in the published client:
        ``await client.with_raw_response.models.retrieve("m")`` is
        ``await client.models.with_raw_response.retrieve("m")``."""
        return AsyncScenarioWithRawResponse(self)

    def _recording(self, recorder: Recorder) -> AsyncScenario:
        """A copy for one ``with_raw_response`` call: the same settings and pool, and its
        requests record their accepted answer to ``recorder``."""
        clone = self._copy()
        clone._recorder = recorder
        return clone

    def with_options(
        self,
        *,
        timeout: Timeout | None = None,
        max_retries: int | None = None,
        on_unknown_outcome: UnknownOutcome | None = None,
    ) -> AsyncScenario:
        """A copy with other defaults that shares this client's connection pool.

        Closing either closes the shared pool.
        """
        clone = self._copy()
        if timeout is not None:
            clone.timeout = _client_timeout(timeout, self._connect_timeout)
        if max_retries is not None:
            _check_retries(max_retries)
            clone.max_retries = max_retries
        if on_unknown_outcome is not None:
            _check_unknown_outcome(on_unknown_outcome)
            clone.on_unknown_outcome = on_unknown_outcome
        return clone

    async def __aenter__(self) -> AsyncScenario:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool. Safe to call more than once."""
        self._shared.closed = True
        await self._shared.transport.close()

    @property
    def is_closed(self) -> bool:
        return self._shared.closed

    async def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: type[T] | None,
        options: RequestOptions,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        raw_field: tuple[str, Sequence[bytes]] | None = None,
        idempotent: bool = True,
        on_headers: Callable[[Mapping[str, str]], None] | None = None,
        reconcile: Callable[[APIStatusError, float], Awaitable[Any]] | None = None,
        check: LandingCheck | None = None,
    ) -> Any:
        """Send one call, retrying what is safe to retry, and parse its answer.

        A request that is not ``idempotent`` (adding an image, uploading an asset) is only
        retried when the server cannot have acted on it: the connection was never made, or
        the server answered 429. Any other failure is raised at once, since repeating it
        could store the same image twice. ``on_headers`` is given the headers of the answer
        that succeeded (the server's ``Date``, for one).

        A retry can meet the consequence of an earlier attempt whose answer was lost: 409
        "already training", 404 for an image already deleted. So when an attempt fails with
        400, 404 or 409 after an earlier attempt's outcome was unknown (it may have reached
        the server), the call's ``reconcile`` decides: it is given that error and the
        ``time.monotonic()`` of the first attempt, and returns the call's result or raises.

        A create (an add) whose outcome is unknown, or whose answer is not credible, is
        looked for by its ``check``: found, that is the answer; surely absent, it is sent
        again, within the same ``max_retries`` as every other retry.
        """
        request = _wire.build_request(
            method,
            self.base_url,
            path,
            headers=_NO_HEADERS,
            query=query,
            body=body,
            extra_headers=options.extra_headers,
            extra_query=options.extra_query,
            extra_body=options.extra_body,
            raw_field=raw_field,
        )
        timeout = (
            self.timeout
            if options.timeout is None
            else _client_timeout(options.timeout, self._connect_timeout)
        )
        shared = self._shared
        if shared.closed:
            raise RuntimeError("this client is closed; create a new one")
        transport = shared.transport
        headers = request.headers
        if self._request_headers:
            headers = {**self._request_headers, **headers}
        logging_on = logger.isEnabledFor(logging.DEBUG)
        attempt = 0
        # For reconcile: when the first attempt was sent, and whether an attempt may have
        # reached the server without its answer reaching us.
        first_sent = 0.0
        maybe_done = False
        while True:
            if shared.resume_at or shared.interval:
                await shared.wait_turn()
            if reconcile is not None and not attempt:
                first_sent = time.monotonic()
            started = time.perf_counter() if logging_on else 0.0
            retry_headers: Mapping[str, str] | None = None
            error: APIError
            try:
                answer = await transport.send(method, request.url, request.body, headers, timeout)
            except APIConnectionError as exc:
                error = exc
                # Nothing reached the server, or the request is safe to repeat.
                retryable = not exc.sent or idempotent
                status: int | str = (
                    ("timeout" if exc.sent else "connect-timeout")
                    if isinstance(exc, APITimeoutError)
                    else ("connection-error" if exc.sent else "connect-error")
                )
            except APIResponseValidationError as exc:  # an answer too long to read, say
                error, retryable, status = exc, False, exc.status_code
            else:
                status = answer.status
                if status < 300:
                    try:
                        if len(answer.body) < PARSE_IN_A_THREAD_FROM:
                            result = _wire.read_success(
                                status,
                                answer.body,
                                cast_to,
                                method=method,
                                url=request.url,
                                redact=self._redact,
                            )
                        else:
                            result = await self._read_in_a_thread(
                                answer, cast_to, method, request.url
                            )
                    except APIResponseValidationError as unreadable:
                        # A body cut short is a transport accident, worth another try when
                        # repeating is safe; JSON of the wrong shape is not.
                        error = unreadable
                        retryable = idempotent and isinstance(unreadable.body, str)
                    else:
                        if logging_on:
                            _log(method, path, status, attempt, started)
                        if check is None or check.credible(result):
                            if on_headers is not None:
                                on_headers(answer.headers)
                            if self._recorder is not None:  # a with_raw_response call
                                self._recorder.record(answer, method, request.url, attempt)
                            return result
                        error, retryable = _not_credible(method, request.url), False
                else:
                    error = _wire.error_from_response(
                        status,
                        answer.headers,
                        answer.body,
                        method=method,
                        url=request.url,
                        redact=self._redact,
                    )
                    retry_headers = answer.headers
                    retryable = _wire.should_retry_status(status) and (idempotent or status == 429)
            if logging_on:
                _log(method, path, status, attempt, started)
            if reconcile is not None:
                if maybe_done and _met_consequence(error):
                    logger.info("checking whether an earlier %s %s took effect", method, path)
                    if self._recorder is not None:  # what settles the call, unless a read does
                        self._recorder.record(answer, method, request.url, attempt)
                    return await reconcile(error, first_sent)
                maybe_done = maybe_done or may_have_acted(error)
            if check is not None and not retryable and may_have_acted(error):
                found = await check.find(error)
                if found is not None:
                    logger.info("%s %s took effect despite: %s", method, path, error)
                    return found
                retryable = True  # surely not done: safe to send again
            if not retryable or attempt >= self.max_retries:
                raise error
            delay = _wire.retry_delay(attempt, retry_headers)
            logger.info("retrying %s %s in %.2f s after: %s", method, path, delay, error)
            if isinstance(error, RateLimitError):
                shared.pause(delay)  # everyone waits, not just this request
            else:
                await asyncio.sleep(delay)
            attempt += 1

    async def _read_in_a_thread(
        self, answer: Answer, cast_to: type[T] | None, method: str, url: str
    ) -> Any:
        """A large answer, parsed in the loop's default executor: a model of 100,000
        training images answers 19 MiB, half a second of parsing that would hold every
        other task. Not in the SDK's file worker: its lowered priority suits work that lets
        go of the GIL, and the JSON decoder holds it to the end; a thread of the loop's own
        priority does not keep the loop waiting longer than it would have parsed."""
        read = functools.partial(_wire.read_success, method=method, url=url, redact=self._redact)
        loop = asyncio.get_running_loop()
        try:
            parsing = loop.run_in_executor(None, read, answer.status, answer.body, cast_to)
        except RuntimeError:  # the executor or the interpreter is shutting down
            return read(answer.status, answer.body, cast_to)
        return await parsing


class AsyncScenarioWithRawResponse(RawResource):
    """``client.with_raw_response``: ``.models``, ``.jobs``, ``.assets``, ``.uploads`` are
    those resources' ``with_raw_response``."""

    models: raw_of[AsyncModelsWithRawResponse] = raw_of()
    jobs: raw_of[AsyncJobsWithRawResponse] = raw_of()
    assets: raw_of[AsyncAssetsWithRawResponse] = raw_of()
    uploads: raw_of[AsyncUploadsWithRawResponse] = raw_of()


def _not_credible(method: str, url: str) -> APIResponseValidationError:
    return APIResponseValidationError(
        "the answer names a training image that was on the model before this add, or is "
        "the answer to another one",
        method=method,
        url=url,
        status_code=200,
    )


def _met_consequence(error: APIError) -> TypeGuard[APIStatusError]:
    """Whether an answer is what a retry meets when an earlier attempt did the work."""
    return isinstance(error, APIStatusError) and error.status_code in (400, 404, 409)


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_unknown_outcome(value: Any) -> None:
    if value not in ("verify", "raise"):
        raise ValueError(f"on_unknown_outcome must be 'verify' or 'raise', got {value!r}")


def _check_retries(max_retries: Any) -> None:
    if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
        raise ValueError(f"max_retries must be a non-negative integer, got {max_retries!r}")


def _client_timeout(timeout: Any, connect: float) -> aiohttp.ClientTimeout:
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return aiohttp.ClientTimeout(total=float(timeout), connect=min(connect, float(timeout)))


def _headers_from_env(text: str | None) -> dict[str, str]:
    """``SCENARIO_CUSTOM_HEADERS``, as Scenario's published client reads it: one
    ``Name: value`` per line; lines without a colon are ignored. ``default_headers`` win."""
    if not text:
        return {}
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return _checked_headers(
        "SCENARIO_CUSTOM_HEADERS", {name.strip(): value.strip() for name, value in pairs}
    )


#: RFC 9110's token: what a header name may hold.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _checked_headers(where: str, headers: Mapping[str, str]) -> dict[str, str]:
    """The headers, refused with an error naming ``where`` if one could not be sent as it
    is (a line break in a value would inject a header of its own)."""
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"{where} has a header name that is not a valid token: {name!r}")
        if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
            raise ValueError(f"{where}[{name!r}] must be a string without line breaks")
    return dict(headers)


def _log(method: str, path: str, status: int | str, attempt: int, started: float) -> None:
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    logger.debug(
        "%s %s -> %s (attempt %d, %.1f ms)",
        method,
        path,
        status,
        attempt + 1,
        elapsed_ms,
        # For formatters that write records as JSON: the figures as attributes of their own.
        extra={
            "method": method,
            "path": path,
            "status": status,
            "attempt": attempt + 1,
            "elapsed_ms": elapsed_ms,
        },
    )
