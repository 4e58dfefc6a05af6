"""The transport: everything aiohttp. The connection pool and its lifecycle, sending a body,
reading an answer, and turning aiohttp's failures into the SDK's errors with ``sent`` right.

The client above it keeps the configuration and the one retry loop; it sees only
``Transport.send`` and ``Transport.close``, so tests can run the whole client over a
transport of their own (see tests/test_transport.py).
"""

from __future__ import annotations

import asyncio
import functools
import os
import urllib.request
import zlib
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import aiohttp
import yarl
from aiohttp.helpers import get_env_proxy_for_url

from ._errors import (
    APIConnectionError,
    APIResponseTooLargeError,
    APIResponseValidationError,
    APITimeoutError,
)
from ._wire import Body

if TYPE_CHECKING:
    import ssl

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "AiohttpTransport", "Answer", "Transport"]

#: The longest answer read, after decompression: a model's answer lists its training images
#: (about 1.5 KiB each with their signed URLs), so 64 MiB holds some 40,000 of them.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 2**20
#: An error's body is only read for its explanation: its first 64 KiB are kept.
_ERROR_BODY_LIMIT = 2**16
#: Redirects a read follows, within the configured origin only.
_MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class Answer(NamedTuple):
    """What came back: the status, the headers and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    """What the client needs of a transport."""

    async def send(
        self,
        method: str,
        url: str,
        body: Body | None,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> Answer:
        """Send one request (``url`` percent-encoded) and read its answer. Raises
        APIConnectionError (``sent`` False when nothing can have reached the server),
        APITimeoutError, or APIResponseValidationError for an answer it cannot read (too
        large, say). A 3xx answer is returned as it is, for the client to refuse."""

    async def close(self) -> None:
        """Release the connections. Safe to call more than once."""


class AiohttpTransport:
    """One aiohttp session, opened on first use inside the running loop.

    Answers are read up to ``max_response_bytes`` (after decompression, which is done here
    so that it is bounded too). Redirects are not followed by aiohttp: a GET follows up to 5
    within the configured origin, and any other redirect is returned, unfollowed.

    A pool belongs to the event loop and the process that opened it: used from another loop
    (a second ``asyncio.run``) or in a forked child, a fresh pool is opened, and the old one
    is left untouched (its sockets may be the parent's, its loop gone).

    ``trust_env`` sends through the proxy ``HTTP(S)_PROXY`` names (unless ``NO_PROXY``
    exempts the host), with proxy credentials from ``.netrc``, as httpx does by default;
    ``proxy`` names one explicitly. A ``session`` of the caller's is used as
    it is (its connector, resolver, trace configs, loop) and never closed here.
    """

    def __init__(
        self,
        *,
        connection_limit: int,
        ssl_context: ssl.SSLContext | bool,
        headers: Mapping[str, str],
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        trust_env: bool = True,
        proxy: str | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.max_response_bytes = max_response_bytes
        self.proxy = proxy
        self.given_session = session
        #: The proxy (and its credentials) the environment names for each origin, read once;
        #: None when no proxy is to be looked up (the common case costs one test).
        self._env_proxies: dict[tuple[str, str | None, int | None], Any] | None = (
            {} if trust_env and session is None and _proxies_in_env() else None
        )
        self.connection_limit = connection_limit
        self.ssl_context = ssl_context
        self.headers = headers
        self.session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the pool's loop and process
        self._forks = 0
        self._guard: AsyncIterator[None] | None = None

    def without_headers(self) -> AiohttpTransport:
        """A transport with this one's settings (pool size, TLS, answer limit, proxies, a
        session given) and none of its default headers, on a pool of its own: for a host
        that must not see the client's credentials (an upload's storage host)."""
        return AiohttpTransport(
            connection_limit=self.connection_limit,
            ssl_context=self.ssl_context,
            headers={},
            max_response_bytes=self.max_response_bytes,
            trust_env=self._env_proxies is not None,
            proxy=self.proxy,
            session=self.given_session,
        )

    def _owns(self) -> bool:
        """Whether the pool was opened by the running loop, in this process."""
        return self._loop is asyncio.get_running_loop() and self._forks == _FORKS[0]

    async def _session(self) -> aiohttp.ClientSession:
        session = self.session
        if session is not None and not session.closed and self._owns():
            return session
        if session is not None and not session.closed:
            # Another loop's (already closed by its guard) or the parent's: not ours to close.
            _LEFT_BEHIND.append((session, self._guard))
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.connection_limit, ssl=self.ssl_context),
            # Per-request timeouts are always passed; this only disables aiohttp's default.
            timeout=aiohttp.ClientTimeout(total=None),
            # Sent with every request; set once here rather than merged per request. Only
            # the encodings _Decoder reads are asked for.
            headers={**self.headers, "Accept-Encoding": "gzip, deflate"},
            # Decompressed by _read_capped, bounded by the answer size limit.
            auto_decompress=False,
            # The environment's proxy is looked up once per origin (_proxy_for): aiohttp's
            # trust_env reads it, and .netrc, for every request (+250 us a small add).
            trust_env=False,
        )
        # aiohttp sends a GET, PUT or DELETE again, unseen, when its connection drops. That
        # resend ignores max_retries and hides a lost answer from the client's retry loop,
        # which must see it to reconcile what the resend meets. The switch is private to
        # aiohttp (its test client uses it) and came with 3.11, hence the lower bound in
        # pyproject.toml: before it, nothing turns the resend off.
        if hasattr(session, "_retry_connection"):
            session._retry_connection = False
        self.session, self._loop, self._forks = session, asyncio.get_running_loop(), _FORKS[0]
        self._guard = _closed_with_the_loop(session)
        await self._guard.__anext__()
        return session

    async def send(
        self,
        method: str,
        url: str,
        body: Body | None,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> Answer:
        session = self.session
        if self.given_session is not None:
            session = self.given_session
            headers = {**self.headers, **headers}  # its defaults are not ours
        elif session is None or session.closed or not self._owns():
            session = await self._session()
        target = _parsed_url(url)
        proxy, proxy_auth = self._proxy_for(target)
        try:
            data: Any = body
            if isinstance(body, tuple) or (body is not None and len(body) > _STREAM_BODIES_ABOVE):
                data, headers = _streamed(body, headers)
            for hops in range(_MAX_REDIRECTS + 1):
                async with session.request(
                    method,
                    target,
                    data=data,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                    proxy=proxy,
                    proxy_auth=proxy_auth,
                ) as response:
                    status = response.status
                    if status in _REDIRECT_STATUSES and method == "GET" and hops < _MAX_REDIRECTS:
                        following = _within_origin(target, response.headers.get("Location"))
                        if following is not None:
                            target = following
                            continue
                    raw = await self._read_capped(
                        response, method, url, decoded=session.auto_decompress
                    )
                    return Answer(status, response.headers, raw)
            raise AssertionError("unreachable: the last hop returns")  # pragma: no cover
        except aiohttp.ConnectionTimeoutError:
            # The connection was never made, so nothing reached the server.
            raise APITimeoutError(method=method, url=url, sent=False) from None
        except asyncio.TimeoutError:
            raise APITimeoutError(method=method, url=url) from None
        except aiohttp.ClientConnectorError as exc:
            # aiohttp 3.10's certificate error lacks os_error (its property raises).
            cause = getattr(exc, "os_error", None) or exc
            raise APIConnectionError(
                f"could not connect to {target.host}: {cause}", method=method, url=url
            ) from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(
                f"connection failed during {method} {url}: {type(exc).__name__}",
                method=method,
                url=url,
                sent=True,
            ) from exc

    def _proxy_for(self, target: yarl.URL) -> tuple[Any, aiohttp.BasicAuth | None]:
        """The proxy for ``target``: the one given, else (with ``trust_env``) the one
        ``HTTP(S)_PROXY`` names unless ``NO_PROXY`` exempts the host, with any proxy
        credentials from ``.netrc``. The environment is read when the client is made, and
        each origin's proxy at its first request."""
        if self.proxy is not None or self._env_proxies is None:
            return self.proxy, None
        origin = (target.scheme, target.host, target.port)
        found = self._env_proxies.get(origin)
        if found is None:
            try:
                found = get_env_proxy_for_url(target)
            except LookupError:  # no proxy for it, or NO_PROXY names it
                found = (None, None)
            self._env_proxies[origin] = found
        return found

    async def _read_capped(
        self, response: aiohttp.ClientResponse, method: str, url: str, *, decoded: bool
    ) -> bytes:
        """The answer's body, decompressed, read no further than the limit: a 2xx over it
        raises APIResponseTooLargeError; an error's body is cut to its first 64 KiB.
        ``decoded``: aiohttp already decompresses (a caller's session)."""
        status = response.status
        limit = self.max_response_bytes if status < 300 else _ERROR_BODY_LIMIT
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        declared = response.content_length
        if encoding in ("", "identity") and declared is not None:
            if declared <= limit:
                return await response.read()  # the parser stops at Content-Length
            if status < 300:
                response.close()
                raise _too_large(method, url, status, limit)
        body = bytearray()
        try:
            decoder = _Decoder("identity" if decoded else encoding)
            while len(body) <= limit:
                chunk = await response.content.readany()
                room = limit + 1 - len(body)
                body += decoder.decode(chunk, room) if chunk else decoder.finish(room)
                if not chunk:
                    break
        except zlib.error as exc:
            response.close()
            raise APIResponseValidationError(
                f"{method} {url} answered {status} with a body that cannot be decoded: {exc}",
                method=method,
                url=url,
                status_code=status,
            ) from None
        if len(body) <= limit:
            return bytes(body)
        response.close()  # the rest is not read: the connection cannot be reused
        if status >= 300:
            return bytes(body[:limit])
        raise _too_large(method, url, status, limit)

    async def close(self) -> None:
        session, self.session = self.session, None  # never the caller's given_session
        if session is not None and not session.closed:
            await session.close()


async def _closed_with_the_loop(session: aiohttp.ClientSession) -> AsyncIterator[None]:
    """Started once and never resumed: when the loop ends (``asyncio.run`` returning, the
    sync client closing), asyncio closes its unfinished async generators, and so the pool,
    while the loop can still do it cleanly."""
    try:
        yield
    finally:
        await session.close()


#: Sessions of another loop or of the parent process, with their guards: kept, so that no
#: finalizer touches sockets the parent still uses, nor warns about a session it could not
#: close.
_LEFT_BEHIND: list[tuple[aiohttp.ClientSession, AsyncIterator[None] | None]] = []
#: How many forks this process is down from the one that imported the SDK.
_FORKS = [0]


def _count_fork() -> None:
    _FORKS[0] += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_count_fork)


def _proxies_in_env() -> bool:
    """Whether the environment names an HTTP(S) proxy at all."""
    return any(scheme in ("http", "https") for scheme in urllib.request.getproxies())


def _too_large(method: str, url: str, status: int, limit: int) -> APIResponseTooLargeError:
    return APIResponseTooLargeError(
        f"{method} {url} answered {status} with more than {limit} bytes (the client's "
        "max_response_bytes); nothing past the limit was read",
        method=method,
        url=url,
        status_code=status,
        limit=limit,
    )


class _Decoder:
    """Undoes a Content-Encoding, never producing more than asked at a time, so that a
    small compressed answer cannot expand past the size limit in memory."""

    def __init__(self, encoding: str) -> None:
        if encoding in ("", "identity"):
            self._zlib = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            self._zlib = zlib.decompressobj(wbits=47)  # 32 + 15: a gzip or zlib header
        else:
            raise zlib.error(f"Content-Encoding {encoding!r} was not asked for")

    def decode(self, chunk: bytes, most: int) -> bytes:
        if self._zlib is None:
            return chunk
        # What does not fit stays in unconsumed_tail; the caller stops reading then.
        return self._zlib.decompress(self._zlib.unconsumed_tail + chunk, most)

    def finish(self, most: int) -> bytes:
        if self._zlib is None:
            return b""
        return self.decode(b"", most) + self._zlib.flush()[:most]


def _within_origin(current: yarl.URL, location: str | None) -> yarl.URL | None:
    """Where a redirect points, when it stays within ``current``'s origin; else None."""
    if not location:
        return None
    try:
        target = current.join(yarl.URL(location))
        return target if target.origin() == current.origin() else None
    except ValueError:
        return None


#: aiohttp warns (ResourceWarning) about a bytes body larger than this: with warnings turned
#: into errors, as many test suites do, the request would fail.
_STREAM_BODIES_ABOVE = 2**20
_CHUNK = 2**18


async def _chunks(pieces: tuple[bytes, ...]) -> AsyncIterator[memoryview]:
    for piece in pieces:
        view = memoryview(piece)  # slices share the bytes: nothing is copied
        for start in range(0, len(piece), _CHUNK):
            yield view[start : start + _CHUNK]
            # aiohttp waits between writes only when the socket's buffer is full; a socket
            # that takes it all (a fast link, loopback) would get the whole body in one
            # step of the event loop: 20 ms for a 20 MiB image. Other tasks go between.
            await asyncio.sleep(0)


def _streamed(body: Body, headers: Mapping[str, str]) -> tuple[Any, Mapping[str, str]]:
    """A body over 1 MiB (or in pieces) as aiohttp asks to be given it: a stream of slices
    of at most 256 KiB, each written as it is, with its Content-Length (so it is not sent
    chunked). One write of many MiB would copy what the socket does not take at once on the
    event loop."""
    pieces = body if isinstance(body, tuple) else (body,)
    length = sum(map(len, pieces))
    return _chunks(pieces), {**headers, "Content-Length": str(length)}


@functools.lru_cache(maxsize=1024)
def _parsed_url(url: str) -> yarl.URL:
    """The URL object of a percent-encoded URL, which aiohttp must not encode again. Cached
    (2,600 instructions a call, 0.4 % of a small add): kept with path_segment's cache because
    together with the JSON headers and raw_decode they hold small adds within 1.15x."""
    return yarl.URL(url, encoded=True)
