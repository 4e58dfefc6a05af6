"""One file through the service's multipart uploads (``/uploads``): raw bytes in parts, not
base64 inside JSON. The engine behind ``add_many(..., via="uploads")``.

``upload_file`` opens the file (regular files only), checks it is the file the caller hashed
(its ``FileStamp``), creates the upload (``kind="image"``, the number of parts), then sends
the parts, several at a time, each read off the event loop just before it is sent and held
only until the storage host has answered it: memory is bounded by ``part_slots x part_size``
whatever the file's size. The file is looked at again before each part is read and after
the last one; if it changed, the upload is not completed (``FileChangedError``). Then
``complete``, then ``retrieve`` until the upload is ``validated`` or ``imported``: its
``entity_id`` is the new asset.

The one assumption about the service that its pages leave open is kept in ``put_part``:
each part goes to its pre-signed ``url`` as an HTTP ``PUT`` of its raw bytes with its
``Content-Length`` and no API credentials (the URL is signed; it lives on a storage host).

Storage rules are S3's, the usual home of such URLs: every part but the last holds at least
5 MiB (``MIN_PART_SIZE``), a part at most 5 GiB, an upload at most 10,000 parts.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import anyio
import yarl
from attrs import frozen

from . import _wire
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    ConflictError,
    ScenarioError,
)
from ._offload import let_the_loop_run, off_the_loop
from ._transport import AiohttpTransport, Answer, Transport
from ._version import __version__
from ._wire import Body
from .images import open_regular_file
from .types.uploads import Upload, UploadKind

if TYPE_CHECKING:
    from ._client import AsyncScenario

__all__ = [
    "DEFAULT_MAX_WAIT",
    "DEFAULT_PART_SIZE",
    "DEFAULT_PART_SLOTS",
    "DEFAULT_POLL_INTERVAL",
    "MAX_PARTS",
    "MAX_PART_SIZE",
    "MAX_POLL_INTERVAL",
    "MIN_PART_SIZE",
    "FileChangedError",
    "FileStamp",
    "PartSender",
    "UploadError",
    "UploadFailedError",
    "UploadPartError",
    "UploadTimeoutError",
    "put_part",
    "upload_file",
    "wait_for_upload",
]

#: 8 MiB, the AWS CLI's own part size: above S3's 5 MiB floor, few requests per file (a
#: 20 MiB image is 3 parts), 10,000 parts reach 78 GiB, and 4 parts in flight hold 32 MiB.
DEFAULT_PART_SIZE = 8 * 2**20
#: S3's smallest part, but for the last one (smaller parts fail when the upload completes).
MIN_PART_SIZE = 5 * 2**20
#: S3's largest part. A part is held in memory while it is sent: stay far below this.
MAX_PART_SIZE = 5 * 2**30
#: S3's most parts in one upload (the fake API's too).
MAX_PARTS = 10_000
#: Parts in flight for one file when the caller shares no ``part_slots``.
DEFAULT_PART_SLOTS = 4
#: The first pause between two reads of an upload being validated; each next one is 1.5
#: times longer, up to ``MAX_POLL_INTERVAL``.
DEFAULT_POLL_INTERVAL = 0.2
MAX_POLL_INTERVAL = 5.0
_POLL_GROWTH = 1.5
#: How long validation may take before ``UploadTimeoutError``.
DEFAULT_MAX_WAIT = 600.0

_DONE = ("validated", "imported")
_USER_AGENT = f"scenario-async/{__version__}"


# The file ---------------------------------------------------------------------------------


@frozen
class FileStamp:
    """What identifies a file's content without reading it again: its size, modification
    time, inode and device. Taken when the file is hashed; any difference later means the
    bytes may not be the ones hashed."""

    size: int
    mtime_ns: int
    inode: int
    device: int

    @classmethod
    def from_stat(cls, info: os.stat_result) -> FileStamp:
        return cls(
            size=info.st_size, mtime_ns=info.st_mtime_ns, inode=info.st_ino, device=info.st_dev
        )


class FileChangedError(OSError):
    """The file is not the one that was hashed: it was written, truncated or replaced since.
    The upload was not completed (no asset was made from it)."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


def _check_unchanged(fd: int, path: Path, expected: FileStamp) -> None:
    found = FileStamp.from_stat(os.fstat(fd))
    if found != expected:
        changes = ", ".join(
            f"{name} {getattr(expected, name)} -> {getattr(found, name)}"
            for name in ("size", "mtime_ns", "inode", "device")
            if getattr(expected, name) != getattr(found, name)
        )
        raise FileChangedError(
            f"{path} changed since it was hashed ({changes}): not uploaded", path=path
        )


def _open_checked(path: Path, expected: FileStamp, opened: list[int]) -> None:
    """Open ``path`` into ``opened`` (where the caller closes it, whatever happens after),
    then check it is the file hashed."""
    fd, _ = open_regular_file(path, sys.maxsize)  # a size that differs is a change
    opened.append(fd)
    _check_unchanged(fd, path, expected)


#: Reads at an offset where the system has no ``pread`` (Windows): a seek and a read, one at
#: a time.
_SEEK_LOCK = threading.Lock()

#: A part is read this many bytes at a time, and sent as those pieces, never joined. Each
#: read is short: the kernel does not interrupt one, and one of a whole part (8 MiB) keeps
#: an event loop that shares its core waiting for milliseconds. Each piece is a new bytes
#: object, filled by the read itself: a buffer made beforehand (``bytearray(n)``) is zeroed
#: while the GIL is held, 5 ms for 8 MiB of fresh memory, all that time stopping the loop.
_READ_PIECE = 2**20


def _read_at(fd: int, count: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, count, offset)
    with _SEEK_LOCK:  # pragma: no cover - Windows
        os.lseek(fd, offset, os.SEEK_SET)
        return os.read(fd, count)


def _read_part(
    fd: int, path: Path, expected: FileStamp, offset: int, length: int
) -> tuple[bytes, ...]:
    """Bytes ``offset`` to ``offset + length`` of the file, in pieces of at most
    ``_READ_PIECE`` bytes, after checking the file is still the one hashed. Runs in a worker
    thread."""
    _check_unchanged(fd, path, expected)
    pieces: list[bytes] = []
    got = 0
    while got < length:
        piece = _read_at(fd, min(_READ_PIECE, length - got), offset + got)
        if not piece:
            raise FileChangedError(
                f"{path} changed since it was hashed (it ends at {offset + got} bytes, "
                f"not {expected.size}): not uploaded",
                path=path,
            )
        pieces.append(piece)
        got += len(piece)
        let_the_loop_run()
    return tuple(pieces)


# Errors -----------------------------------------------------------------------------------


class UploadError(ScenarioError):
    """A multipart upload did not give an asset. ``upload_id`` is the upload's id (None when
    it was not created); ``path`` the file (None for ``wait_for_upload``)."""

    def __init__(self, message: str, *, upload_id: str | None, path: Path | None = None) -> None:
        super().__init__(message)
        self.upload_id = upload_id
        self.path = path


class UploadPartError(UploadError):
    """A part could not be stored: the storage host refused it (a 4xx such as 403, for an
    expired or invalid part URL), or kept failing (5xx, 429, connection errors) after the
    client's ``max_retries``. ``status_code`` is the storage host's last answer (None when
    there was none); the ``__cause__`` is the storage's error. The upload was not
    completed."""

    def __init__(
        self,
        message: str,
        *,
        upload_id: str | None,
        path: Path | None,
        part_number: int,
        status_code: int | None,
    ) -> None:
        super().__init__(message, upload_id=upload_id, path=path)
        self.part_number = part_number
        self.status_code = status_code


class UploadFailedError(UploadError):
    """The service did not accept the file (its validation ``failed``): ``error_message``
    is the service's reason."""

    def __init__(
        self,
        message: str,
        *,
        upload_id: str,
        path: Path | None,
        error_message: str | None,
    ) -> None:
        super().__init__(message, upload_id=upload_id, path=path)
        self.error_message = error_message


class UploadTimeoutError(UploadError, TimeoutError):
    """The upload was completed but not validated within ``max_wait``: the service may
    still validate it. ``wait_for_upload(client, error.upload_id)`` checks again."""


# The storage host -------------------------------------------------------------------------


async def put_part(
    transport: Transport,
    url: str,
    body: Body,
    *,
    timeout: aiohttp.ClientTimeout,
) -> Answer:
    """Send one part to the storage host: the one place that knows how.

    The assumption (Scenario's pages say only that an upload answers "a list of URLs for
    each part of the file"): as with the usual pre-signed part URLs (S3's UploadPart), each
    part is an HTTP ``PUT`` of its raw bytes to its ``url``, taken as it was given (already
    percent-encoded, its signature in its query), with its ``Content-Length`` (a storage
    host refuses a chunked body) and nothing else of the API's: no credentials, no default
    or custom headers. A body in pieces, or over 1 MiB, goes out in slices of the same
    bytes (the transport streams it), never joined or copied."""
    length = sum(map(len, body)) if isinstance(body, tuple) else len(body)
    headers = {"Content-Length": str(length), "User-Agent": _USER_AGENT}
    return await transport.send("PUT", url, body, headers, timeout)


class PartSender:
    """Sends parts to the storage host with the client's settings (proxy, ``.netrc`` and
    environment proxies, TLS context, connection limit, answer size cap, timeout,
    ``max_retries``) but not its credentials.

    The client's aiohttp transport sends its credentials and default headers with every
    request (they are its session's defaults), so parts go through a second transport made
    with the same settings and no headers, on a pool of its own; over a custom transport
    (``AsyncScenario(transport=...)``), which is handed every header explicitly, parts go
    through that transport itself; over an ``aiohttp.ClientSession`` given to the client,
    through that session (with its own default headers, which are the caller's, not the
    SDK's). ``aclose()`` (or ``async with``) closes what this object opened; never the
    client's transport, nor a session given to the client.

    One sender can serve every file of a run (``upload_file(..., sender=...)``); without
    one, each ``upload_file`` call makes its own and closes it when it returns.
    """

    def __init__(self, client: AsyncScenario) -> None:
        transport = client._shared.transport
        self._owned: AiohttpTransport | None = None
        if isinstance(transport, AiohttpTransport):
            transport = self._owned = transport.without_headers()
        self.transport: Transport = transport
        self.timeout = client.timeout
        self.max_retries = client.max_retries

    async def put(
        self,
        url: str,
        body: Body,
        *,
        part_number: int,
        upload_id: str | None = None,
        path: Path | None = None,
    ) -> None:
        """``put_part``, retried like any idempotent request (a part sent again replaces
        the one before): after a connection error, a timeout, 408, 409, 429 or a 5xx, at
        most ``max_retries`` times, with the client's backoff (or the storage host's
        ``Retry-After``). Raises UploadPartError, whose cause is the last failure."""
        shown = _without_query(url)
        attempt = 0
        while True:
            retry_headers = None
            error: APIError
            try:
                answer = await put_part(self.transport, url, body, timeout=self.timeout)
            except APIConnectionError as exc:
                error, retryable, status = exc, True, None
            except APIResponseValidationError as exc:  # an answer too long to read
                error, retryable, status = exc, False, exc.status_code
            else:
                if answer.status < 300:
                    return
                status = answer.status
                error = _wire.error_from_response(
                    status, answer.headers, answer.body, method="PUT", url=shown
                )
                retry_headers = answer.headers
                retryable = _wire.should_retry_status(status)
            if not retryable or attempt >= self.max_retries:
                raise _part_error(error, shown, url, part_number, upload_id, path, attempt + 1)
            await asyncio.sleep(_wire.retry_delay(attempt, retry_headers))
            attempt += 1

    async def aclose(self) -> None:
        if self._owned is not None:
            await self._owned.close()

    async def __aenter__(self) -> PartSender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _without_query(url: str) -> str:
    """A part URL as errors show it: without its query (its signature)."""
    try:
        return str(yarl.URL(url, encoded=True).with_query(None).with_fragment(None))
    except ValueError:
        return "<a part URL>"


def _part_error(
    error: APIError,
    shown: str,
    url: str,
    part_number: int,
    upload_id: str | None,
    path: Path | None,
    attempts: int,
) -> UploadPartError:
    status: int | None = getattr(error, "status_code", None)
    what = f"{path}: part {part_number}" if path is not None else f"part {part_number}"
    reason = error.message.replace(url, shown)
    if isinstance(error, APIStatusError) and not _wire.should_retry_status(error.status_code):
        detail = f"the storage host refused it ({reason}; an expired or invalid part URL?)"
    elif attempts > 1:
        detail = f"it could not be stored in {attempts} attempts (the last: {reason})"
    else:
        detail = f"it could not be stored ({reason})"
    failed = UploadPartError(
        f"{what} of upload {upload_id}: {detail}; the upload was not completed",
        upload_id=upload_id,
        path=path,
        part_number=part_number,
        status_code=status,
    )
    failed.__cause__ = error
    return failed


# The upload -------------------------------------------------------------------------------


def _part_count(size: int, part_size: int, min_part_size: int) -> int:
    """How many parts, after checking ``part_size`` suits the storage and the file."""
    if isinstance(part_size, bool) or not isinstance(part_size, int):
        raise TypeError(f"part_size must be an integer number of bytes, got {part_size!r}")
    if not 1 <= part_size <= MAX_PART_SIZE:
        raise ValueError(f"part_size must be from 1 to {MAX_PART_SIZE} bytes, got {part_size}")
    count = max(1, math.ceil(size / part_size))
    if count > 1 and part_size < min_part_size:
        raise ValueError(
            f"part_size must be at least {min_part_size} bytes (min_part_size: the storage "
            f"takes no smaller part but the last), got {part_size}"
        )
    if count > MAX_PARTS:
        raise ValueError(
            f"part_size {part_size} cuts {size} bytes into {count} parts, over the limit of "
            f"{MAX_PARTS}: use a part_size of at least {math.ceil(size / MAX_PARTS)}"
        )
    return count


def _check_arguments(
    file_name: Any,
    content_type: Any,
    expected: Any,
    part_slots: Any,
    poll_interval: Any,
    max_wait: Any,
    min_part_size: Any,
) -> None:
    for name, value in (("file_name", file_name), ("content_type", content_type)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {type(value).__name__}")
        if not value.strip():
            raise ValueError(f"{name} must be a non-empty string")
    if "/" not in content_type:
        raise ValueError(
            f"content_type must be a MIME type such as image/png, got {content_type!r}"
        )
    if not isinstance(expected, FileStamp):
        raise TypeError(f"expected must be a FileStamp, got {type(expected).__name__}")
    if part_slots is not None and not isinstance(part_slots, asyncio.Semaphore):
        raise TypeError(f"part_slots must be an asyncio.Semaphore, got {type(part_slots).__name__}")
    for name, value in (("poll_interval", poll_interval), ("max_wait", max_wait)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    if isinstance(min_part_size, bool) or not isinstance(min_part_size, int) or min_part_size < 1:
        raise ValueError(f"min_part_size must be a positive integer, got {min_part_size!r}")


async def upload_file(
    client: AsyncScenario,
    path: str | os.PathLike[str],
    *,
    file_name: str,
    content_type: str,
    expected: FileStamp,
    part_size: int = DEFAULT_PART_SIZE,
    part_slots: asyncio.Semaphore | None = None,
    project_id: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    max_wait: float = DEFAULT_MAX_WAIT,
    min_part_size: int = MIN_PART_SIZE,
    sender: PartSender | None = None,
    on_completed: Callable[[str], None] | None = None,
) -> str:
    """Upload the file at ``path`` as an image asset through ``/uploads``; return the
    asset's id (the upload's ``entity_id``).

    ``expected`` is the file as the caller saw it when it hashed it: the upload is of that
    file or of nothing (FileChangedError, checked before each part is read and after the
    last). The file is cut into parts of ``part_size`` bytes, the last one shorter; each
    holds one of ``part_slots`` from before it is read until the storage host answered it
    (a private semaphore of ``DEFAULT_PART_SLOTS`` when None): share one semaphore between
    files to bound a whole run's memory to its size x ``part_size``. ``min_part_size`` is
    the storage's floor for every part but the last (S3's 5 MiB); lower it only for a
    storage that takes smaller parts (the fake API does).

    ``on_bytes`` is called with each part's size once it is stored; ``on_completed`` with
    the upload's id once ``complete`` was accepted (an id to keep: ``wait_for_upload``
    finds the asset with it later). Validation is polled after ``poll_interval`` seconds,
    then 1.5 times longer each time up to ``MAX_POLL_INTERVAL``, for at most ``max_wait``
    seconds. ``sender`` sends the parts (one per run saves a pool per file).

    Raises (after checking the arguments, before any request) TypeError/ValueError, and
    ImageFileError for a path that is no regular file; then OSError (FileChangedError),
    the API's errors, UploadPartError, UploadFailedError or UploadTimeoutError. On any
    failure before ``complete``, the upload is left pending and unused (no asset).
    """
    path = Path(path)
    _check_arguments(
        file_name, content_type, expected, part_slots, poll_interval, max_wait, min_part_size
    )
    size = expected.size
    count = _part_count(size, part_size, min_part_size)
    slots = asyncio.Semaphore(DEFAULT_PART_SLOTS) if part_slots is None else part_slots
    own_sender = sender is None
    parts_sender = PartSender(client) if sender is None else sender
    try:
        opened: list[int] = []
        try:
            await off_the_loop(_open_checked, path, expected, opened)
            if size < 1:
                raise ValueError(f"{path} is empty: there is nothing to upload")
            upload = (
                await client.uploads.create(
                    kind=UploadKind.IMAGE,
                    file_name=file_name,
                    content_type=content_type,
                    file_size=size,
                    parts=count,
                    project_id=project_id,
                )
            ).upload
            urls = _part_urls(upload, count, path)
            await _send_parts(
                parts_sender,
                opened[0],
                path,
                expected,
                urls,
                part_size,
                slots,
                upload.id,
                on_bytes,
            )
            await off_the_loop(_check_unchanged, opened[0], path, expected)
        finally:
            for fd in opened:
                os.close(fd)
        completed = await _complete(client, upload.id, project_id)
        if on_completed is not None:
            on_completed(upload.id)
        return await wait_for_upload(
            client,
            upload.id,
            poll_interval=poll_interval,
            max_wait=max_wait,
            project_id=project_id,
            path=path,
            first=completed,
        )
    finally:
        if own_sender:
            await parts_sender.aclose()


def _part_urls(upload: Upload, count: int, path: Path) -> list[str]:
    """The URL of each part, in part order, as ``create`` answered them."""
    parts = upload.parts or []
    by_number: dict[int, str] = {}
    for position, part in enumerate(parts, start=1):
        number = position if part.number is None else int(part.number)
        if part.url:
            by_number[number] = part.url
    if sorted(by_number) != list(range(1, count + 1)):
        raise UploadError(
            f"{path}: upload {upload.id} was answered with URLs for parts "
            f"{sorted(by_number)}, not for each of its {count} parts",
            upload_id=upload.id,
            path=path,
        )
    return [by_number[number] for number in range(1, count + 1)]


async def _send_parts(
    sender: PartSender,
    fd: int,
    path: Path,
    expected: FileStamp,
    urls: list[str],
    part_size: int,
    slots: asyncio.Semaphore,
    upload_id: str,
    on_bytes: Callable[[int], None] | None,
) -> None:
    """Every part read and stored, as many at a time as ``slots`` allow. The first failure
    cancels the others (none is left sending in the background) and is raised."""
    failures: list[BaseException] = []
    held = 0  # slots taken here and not yet given back by their part

    async def one(number: int) -> None:
        nonlocal held
        try:
            offset = (number - 1) * part_size
            length = min(part_size, expected.size - offset)
            pieces = await off_the_loop(_read_part, fd, path, expected, offset, length)
            await sender.put(
                urls[number - 1], pieces, part_number=number, upload_id=upload_id, path=path
            )
            del pieces
            if on_bytes is not None:
                on_bytes(length)
        except Exception as exc:
            failures.append(exc)
            group.cancel_scope.cancel()
        finally:
            held -= 1
            slots.release()

    try:
        async with anyio.create_task_group() as group:
            for number in range(1, len(urls) + 1):
                await slots.acquire()
                held += 1
                group.start_soon(one, number)
    finally:
        # A part cancelled before it started never gave its slot back.
        for _ in range(held):
            slots.release()
    if failures:
        raise failures[0]


async def _complete(client: AsyncScenario, upload_id: str, project_id: str | None) -> Upload:
    """``complete``. A 409 means an attempt whose answer was lost completed it already
    (the call is retried like any idempotent one): what the upload says then decides."""
    try:
        answer = await client.uploads.trigger_action(
            upload_id, action="complete", project_id=project_id
        )
    except ConflictError:
        upload = (await client.uploads.retrieve(upload_id, project_id=project_id)).upload
        if upload.status is None or upload.status == "pending":
            raise
        return upload
    return answer.upload


async def wait_for_upload(
    client: AsyncScenario,
    upload_id: str,
    *,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    max_wait: float = DEFAULT_MAX_WAIT,
    project_id: str | None = None,
    path: Path | None = None,
    first: Upload | None = None,
) -> str:
    """The asset id of a completed upload, once the service has validated it: its status is
    read after ``poll_interval`` seconds, then 1.5 times longer each time, up to
    ``MAX_POLL_INTERVAL`` (or ``poll_interval`` if longer). ``first`` is the upload as last
    seen (the answer of ``complete``), if any: no read is made when it is done already.

    Raises UploadFailedError (``failed``, with the service's ``error_message``) or, after
    ``max_wait`` seconds, UploadTimeoutError naming the upload."""
    for name, value in (("poll_interval", poll_interval), ("max_wait", max_wait)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait
    delay, cap = float(poll_interval), max(float(poll_interval), MAX_POLL_INTERVAL)
    upload = first
    what = f"{path}: upload {upload_id}" if path is not None else f"upload {upload_id}"
    while True:
        if upload is not None:
            if upload.status in _DONE and upload.entity_id:
                return upload.entity_id
            if upload.status == "failed":
                reason = upload.error_message or "no reason given"
                raise UploadFailedError(
                    f"{what} failed the service's validation: {reason}",
                    upload_id=upload_id,
                    path=path,
                    error_message=upload.error_message,
                )
        remaining = deadline - loop.time()
        if remaining <= 0:
            status = upload.status if upload is not None else "unknown"
            raise UploadTimeoutError(
                f"{what} was not validated within {max_wait:g} s (status {status}); the "
                f"service may still validate it: check later with wait_for_upload("
                f"client, {upload_id!r})",
                upload_id=upload_id,
                path=path,
            )
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * _POLL_GROWTH, cap)
        upload = (await client.uploads.retrieve(upload_id, project_id=project_id)).upload
