"""Pure functions between a call and HTTP: build a request, read an answer, decide on retries.

Nothing here does I/O, so every rule about what goes on the wire and what comes back can be
tested without a server.
"""

from __future__ import annotations

import email.utils
import functools
import json
import json.encoder
import random
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, TypeAlias, TypeVar
from urllib.parse import quote, urlencode

from cattrs.errors import BaseValidationError
from multidict import CIMultiDict, CIMultiDictProxy

from . import _errors
from ._convert import structure
from ._redact import NO_SECRETS, Redactor

__all__ = [
    "Request",
    "build_request",
    "dumps",
    "error_from_response",
    "path_segment",
    "read_success",
    "retry_delay",
    "should_retry_status",
    "splice_json",
]

T = TypeVar("T")

#: Longest wait a ``Retry-After`` header can impose before the SDK gives up waiting on it.
MAX_RETRY_AFTER = 60.0
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0

_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


#: A request body: bytes, or (for a large one) its pieces in order, sent one after another
#: without ever being joined.
Body: TypeAlias = "bytes | tuple[bytes, ...]"
#: A spliced body larger than this is kept in pieces (see ``splice_json``).
JOIN_AT_MOST = 2**20


class Request(NamedTuple):
    """One HTTP request, ready to send. ``url`` is already percent-encoded.

    A named tuple: built on every call, and four times cheaper to build than a frozen class.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: Body | None


#: The headers of a request with a JSON body and no others: built once, read-only, and of the
#: type aiohttp takes as it is. A dict would be converted to it on every request: 2,400 more
#: instructions in aiohttp's header merge, and 1.5 to 3 % of a small add's CPU time; kept,
#: with raw_decode below, because together they keep small adds within 1.15x plain aiohttp.
JSON_HEADERS: Mapping[str, str] = CIMultiDictProxy(
    CIMultiDict({"Content-Type": "application/json"})
)


@functools.lru_cache(maxsize=1024)
def path_segment(value: str) -> str:
    """Percent-encode one path parameter so that no id can change the route.

    ``/``, ``?``, ``#`` and ``%`` are encoded like any reserved character; a segment made only
    of dots is encoded too, since ``..`` would otherwise climb one level up. Cached: a bulk
    upload encodes the same model id for every image (1,500 instructions, 0.2 % of a small
    add; see _transport._parsed_url for why it stays).
    """
    if _PLAIN_SEGMENT.fullmatch(value):
        return value
    encoded = quote(value, safe="")
    if encoded.strip(".") == "":
        encoded = encoded.replace(".", "%2E")
    return encoded


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):  # the service reads a list as comma-separated values
        return ",".join(_query_value(item) for item in value)
    return str(value)


# One encoder and decoder for the process: json.dumps with options builds a new encoder on
# every call, and json.loads on bytes sniffs their encoding first.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_DECODER = json.JSONDecoder()
_encode_str = json.encoder.encode_basestring  # a JSON string literal, non-ASCII kept


def dumps(body: Any) -> bytes:
    """Compact JSON, UTF-8, non-ASCII kept as is (the service reads UTF-8)."""
    if type(body) is dict:
        # The common body (a name, a preset, an asset id): the encoder's per-call set-up
        # costs more than encoding a few strings directly.
        pairs = []
        for key, value in body.items():
            if type(value) is not str or type(key) is not str:
                break
            pairs.append(f"{_encode_str(key)}:{_encode_str(value)}")
        else:
            return ("{" + ",".join(pairs) + "}").encode()
    return _ENCODER.encode(body).encode()


def loads(raw: bytes) -> Any:
    """Parse a UTF-8 JSON answer; raises ValueError when it is not JSON.

    ``raw_decode`` on the stripped text rather than ``json.loads``, which looks for white
    space with a regular expression at both ends: 8,000 to 16,000 instructions of a small
    add's 655,000 (1.3 to 2.4 %), measured when dropping it was tried.
    """
    text = raw.decode("utf-8").strip()
    try:
        value, end = _DECODER.raw_decode(text)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to parse") from None
    if end != len(text):
        raise ValueError(f"extra data after the JSON value, at character {end}")
    return value


def build_request(
    method: str,
    base_url: str,
    path: str,
    *,
    headers: Mapping[str, str],
    query: Mapping[str, Any] | None = None,
    body: Any = None,
    extra_headers: Mapping[str, str] | None = None,
    extra_query: Mapping[str, Any] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    raw_field: tuple[str, Sequence[bytes]] | None = None,
) -> Request:
    """Turn a call into a request. ``None`` query values are left out; booleans become
    ``true``/``false``. ``extra_body`` merges into an object body (it cannot extend an array).

    ``raw_field`` is ``(key, parts)``: a string field of the object body whose value is the
    concatenation of ``parts``, already known to need no JSON escaping (checked base64).
    """
    params = {k: _query_value(v) for k, v in query.items() if v is not None} if query else {}
    if extra_query:
        params.update({k: _query_value(v) for k, v in extra_query.items() if v is not None})
    url = base_url + path
    if params:
        url += "?" + urlencode(params, quote_via=quote)
    if extra_body:
        if not isinstance(body, dict):
            raise TypeError("extra_body can only extend a JSON object body")
        body = {**body, **extra_body}
    data: Body | None = None
    if raw_field is not None:
        data = splice_json(body or {}, *raw_field)
    elif body is not None:
        data = dumps(body)
    all_headers: Mapping[str, str]
    if headers or extra_headers:
        all_headers = {**headers, **(extra_headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
    else:
        all_headers = {} if data is None else JSON_HEADERS
    return Request(method, url, all_headers, data)


def splice_json(fields: Mapping[str, Any], key: str, parts: Sequence[bytes]) -> Body:
    """``{"key": "<parts>", **fields}`` as JSON: one bytes object (the parts copied exactly
    once), or for a body over ``JOIN_AT_MOST`` its pieces in order, never joined: joining
    27 MiB (a 20 MiB image in base64) holds the event loop for 10 ms and more."""
    if key in fields:  # an extra_body naming the same key: the spliced value wins
        fields = {k: v for k, v in fields.items() if k != key}
    tail = b'",' + dumps(fields)[1:] if fields else b'"}'
    pieces = (b'{"', key.encode(), b'":"', *parts, tail)
    if len(parts) > 1 and sum(map(len, parts)) > JOIN_AT_MOST:
        return pieces
    return b"".join(pieces)


def _decode_body(text: str, content_type: str) -> Any:
    """The parsed JSON when the answer is JSON, else the text (an HTML proxy page, say)."""
    if "json" in content_type or text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
            return text
    return text


def _server_message(body: Any) -> str | None:
    if isinstance(body, dict):
        for key in ("message", "reason", "error", "apiError"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict):
                nested = _server_message(value)
                if nested:
                    return nested
    return None


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    raw: bytes,
    *,
    method: str,
    url: str,
    redact: Redactor = NO_SECRETS,
) -> _errors.APIStatusError:
    """The typed error for a 3xx not followed, a 4xx or a 5xx, whatever its body looks like;
    the client's credentials, if the server echoed them, are redacted from all of it."""
    headers = redact.headers(headers)
    body = _decode_body(redact.text(raw.decode("utf-8", errors="replace")), _content_type(headers))
    server_message = _server_message(body)
    if 300 <= status < 400:
        where = headers.get("Location") or headers.get("location") or "nowhere"
        detail = f"a redirect to {where[:200]}, not followed (see RedirectError)"
    elif server_message is None and isinstance(body, str) and body.strip():
        detail = " ".join(body.split())[:200]
    else:
        detail = server_message or ""
    message = f"{method} {url} answered {status}" + (f": {detail}" if detail else "")
    cls = _errors.error_class_for(status)
    return cls(
        message,
        method=method,
        url=url,
        status_code=status,
        body=body,
        server_message=server_message,
        headers=headers,
    )


def _content_type(headers: Mapping[str, str]) -> str:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value
    return ""


def read_success(
    status: int,
    raw: bytes,
    cast_to: type[T] | None,
    *,
    method: str,
    url: str,
    redact: Redactor = NO_SECRETS,
) -> T | Any:
    """Parse a 2xx answer into ``cast_to``; with ``cast_to=None`` return any JSON or ``None``
    for an empty body (the delete answer is not specified)."""
    if cast_to is None:
        if not raw.strip():
            return None
        try:
            return loads(raw)
        except ValueError:
            return raw.decode("utf-8", errors="replace")
    try:
        data = loads(raw)
    except ValueError as exc:
        raise _errors.APIResponseValidationError(
            f"{method} {url} answered {status} with a body that is not JSON ({exc})",
            method=method,
            url=url,
            status_code=status,
            body=redact.text(raw.decode("utf-8", errors="replace")),
        ) from None
    try:
        return structure(data, cast_to)
    except Exception as exc:
        try:
            body = _redacted_json(data, redact)
        except RecursionError:  # nested deeper than the walk can follow: kept as text
            body = redact.text(raw.decode("utf-8", errors="replace"))
        raise _errors.APIResponseValidationError(
            f"{method} {url} answered {status} with JSON that is not a {cast_to.__name__}: "
            f"{redact.text(_describe_structure_error(exc, data, cast_to))}",
            method=method,
            url=url,
            status_code=status,
            body=body,
        ) from exc


def _redacted_json(data: Any, redact: Redactor) -> Any:
    """``data`` with its strings redacted (it is kept on an error, for the caller to read)."""
    if isinstance(data, str):
        return redact.text(data)
    if isinstance(data, dict):
        return {redact.text(str(k)): _redacted_json(v, redact) for k, v in data.items()}
    if isinstance(data, list):
        return [_redacted_json(v, redact) for v in data]
    return data


def _describe_structure_error(exc: BaseException, data: Any, cls: type[Any]) -> str:
    """The wire path of the first field that does not fit and why, e.g.
    ``model.trainingImages[1].createdAt: expected a string, got int 7``.

    The fast structuring does not track where it is; the path comes from a second, slower
    walk (``find_mismatch``), run only for an answer that already failed.
    """
    from ._convert import find_mismatch  # only an answer that failed needs it

    try:
        found = find_mismatch(data, cls)
    except RecursionError:  # nested deeper than the walk can follow: say what failed
        found = None
    if found is not None:
        path, problem = found
        return f"{path or 'the answer itself'}: {problem}"
    # cattrs reports nested problems as an exception group; name the innermost cause.
    while isinstance(exc, BaseValidationError) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


def should_retry_status(status: int) -> bool:
    """Statuses that are worth another try for a request that is safe to repeat."""
    return status in (408, 409, 429) or status >= 500


def _retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the server asked us to wait, from ``retry-after-ms`` or ``Retry-After``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    try:
        return float(email.utils.mktime_tz(parsed)) - now
    except (ValueError, OverflowError):  # a year past 9999, say: no usable date
        return None


def retry_delay(
    attempt: int, headers: Mapping[str, str] | None = None, *, now: float | None = None
) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based).

    A server's ``Retry-After`` wins when it is between 0 and ``MAX_RETRY_AFTER``; otherwise
    exponential backoff from ``INITIAL_BACKOFF`` capped at ``MAX_BACKOFF``, less up to 25 %
    jitter so that many clients do not retry in step.
    """
    if headers:
        asked = _retry_after(headers, time.time() if now is None else now)
        if asked is not None and 0 <= asked <= MAX_RETRY_AFTER:
            return asked
    backoff: float = min(INITIAL_BACKOFF * 2.0**attempt, MAX_BACKOFF)
    return backoff * (1 - 0.25 * random.random())
