"""One file through the service's multipart uploads (``scenario_async._multipart``): against
the fake API (which keeps what it receives), its storage host and its faults, and through a
transport of the test's own where parts in flight must be counted."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import re
import subprocess
import sys
import threading
import tracemalloc
import warnings
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from scenario_async import AsyncScenario, BadRequestError, ImageFileError
from scenario_async import _multipart as multipart
from scenario_async._multipart import (
    MIN_PART_SIZE,
    FileChangedError,
    FileStamp,
    UploadFailedError,
    UploadPartError,
    UploadTimeoutError,
    upload_file,
    wait_for_upload,
)
from scenario_async._transport import AiohttpTransport, Answer
from scenario_async._wire import Body
from scenario_async.testing import FakeScenario, FaultPlan, make_png
from scenario_async.types.uploads import Upload

KiB, MiB = 2**10, 2**20
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def write_image(path: Path, size: int) -> bytes:
    """``size`` bytes that pass for a whole PNG (its magic, noise, its IEND chunk)."""
    magic = b"\x89PNG\r\n\x1a\n"
    content = magic + os.urandom(size - len(magic) - len(PNG_END)) + PNG_END
    path.write_bytes(content)
    return content


def stamp(path: Path) -> FileStamp:
    return FileStamp.from_stat(os.stat(path))


async def send(
    client: AsyncScenario, path: Path, *, part_size: int = 64 * KiB, **options: Any
) -> str:
    """upload_file with small parts (the fake API takes parts of any size)."""
    options.setdefault("min_part_size", 1)
    options.setdefault("poll_interval", 0.02)
    return await upload_file(
        client,
        path,
        file_name=path.name,
        content_type="image/png",
        expected=stamp(path),
        part_size=part_size,
        **options,
    )


def parts_sent(fake: FakeScenario) -> list[tuple[int, int]]:
    """(part number, Content-Length) of each PUT the storage host received, in order."""
    return [
        (int(r.path.rsplit("/", 1)[1]), int(r.headers["Content-Length"]))
        for r in fake.storage_requests
        if r.method == "PUT"
    ]


def api_calls(fake: FakeScenario) -> list[str]:
    """Each API request as ``METHOD path``, upload ids left out."""
    return [f"{r.method} {re.sub(r'upload_[^/]+', 'ID', r.path)}" for r in fake.requests]


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeScenario]:
    async with FakeScenario(validation_duration=0.05) as server:
        yield server


class Relay:
    """A transport of the test's own (the client then hands it every header itself): sends
    through an aiohttp transport without headers of its own, counts the PUTs in flight and
    the parts held (read and not yet answered), and can hold each PUT a moment."""

    def __init__(self, put_delay: float = 0.0, *, keep: bool = False) -> None:
        self.inner = AiohttpTransport(
            connection_limit=100, ssl_context=True, headers={}, trust_env=False
        )
        self.put_delay = put_delay
        self.puts = self.peak_puts = 0
        self.held = self.peak_held = 0
        self.lock = threading.Lock()
        self.sent: list[tuple[str, Mapping[str, str]]] = []
        #: With ``keep``, every PUT's body, kept (as a transport may keep what it sent).
        self.keep = keep
        self.kept: list[tuple[str, Body | None]] = []

    def part_read(self) -> None:
        with self.lock:
            self.held += 1
            self.peak_held = max(self.peak_held, self.held)

    async def send(
        self,
        method: str,
        url: str,
        body: Body | None,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> Answer:
        self.sent.append((method, dict(headers)))
        if method != "PUT":
            return await self.inner.send(method, url, body, headers, timeout)
        if self.keep:
            self.kept.append((url, body))
        self.puts += 1
        self.peak_puts = max(self.peak_puts, self.puts)
        try:
            await asyncio.sleep(self.put_delay)
            return await self.inner.send(method, url, body, headers, timeout)
        finally:
            self.puts -= 1
            with self.lock:
                self.held -= 1

    async def close(self) -> None:
        await self.inner.close()


# The file arrives whole, in parts ---------------------------------------------------------


async def test_a_file_arrives_byte_identical_as_an_asset_in_parts_of_part_size(
    fake: FakeScenario, tmp_path: Path
) -> None:
    path = tmp_path / "big.png"
    content = write_image(path, 5 * 64 * KiB + 1234)
    stored: list[int] = []
    completed: list[str] = []
    async with fake.client() as client:
        asset_id = await send(client, path, on_bytes=stored.append, on_completed=completed.append)
    asset = fake.state.assets[asset_id]
    assert asset.sha256 == hashlib.sha256(content).hexdigest() and asset.size == len(content)
    assert asset.name == "big.png" and asset.mime_type == "image/png"
    # ceil(size / part_size) parts, all of part_size but the last.
    assert sorted(parts_sent(fake)) == [(n, 64 * KiB) for n in range(1, 6)] + [(6, 1234)]
    assert sorted(stored) == sorted([64 * KiB] * 5 + [1234])
    create = fake.requests[0]
    assert create.json == {
        "kind": "image",
        "fileName": "big.png",
        "contentType": "image/png",
        "fileSize": len(content),
        "parts": 6,
    }
    (upload_id,) = completed
    assert fake.state.uploads[upload_id].entity_id == asset_id
    assert api_calls(fake)[:2] == ["POST /v1/uploads", "POST /v1/uploads/ID/action"]
    assert set(api_calls(fake)[2:]) <= {"GET /v1/uploads/ID"}  # polls until validated


async def test_a_file_of_one_part_validated_at_once_needs_no_poll(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    content = write_image(path, 1000)
    async with FakeScenario(validation_duration=0) as fake, fake.client() as client:
        asset_id = await send(client, path)
    assert fake.state.assets[asset_id].sha256 == hashlib.sha256(content).hexdigest()
    assert parts_sent(fake) == [(1, 1000)]
    assert api_calls(fake) == ["POST /v1/uploads", "POST /v1/uploads/ID/action"]


async def test_the_default_part_size_meets_s3s_floor_that_smaller_parts_break(
    fake: FakeScenario, tmp_path: Path
) -> None:
    """The storage's floor: every part but the last holds 5 MiB. The defaults keep to it;
    smaller parts, allowed by lowering min_part_size, are refused when completed."""
    fake.storage.min_part_bytes = MIN_PART_SIZE
    path = tmp_path / "photo.png"
    content = write_image(path, 17 * MiB + 5)
    async with fake.client() as client:
        asset_id = await upload_file(
            client, path, file_name="photo.png", content_type="image/png", expected=stamp(path)
        )
        assert sorted(parts_sent(fake)) == [(1, 8 * MiB), (2, 8 * MiB), (3, MiB + 5)]
        assert fake.state.assets[asset_id].sha256 == hashlib.sha256(content).hexdigest()
        with pytest.raises(ValueError, match="part_size must be at least 5242880"):
            await upload_file(
                client,
                path,
                file_name="photo.png",
                content_type="image/png",
                expected=stamp(path),
                part_size=4 * MiB,
            )
        with pytest.raises(BadRequestError, match="EntityTooSmall"):
            await send(client, path, part_size=4 * MiB)


# What reaches the storage host ------------------------------------------------------------


@pytest.mark.parametrize("transport", ["aiohttp", "given session", "custom transport"])
async def test_no_credentials_nor_custom_headers_reach_the_storage_host(
    fake: FakeScenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    monkeypatch.setenv("SCENARIO_CUSTOM_HEADERS", "X-From-Env: env-value")
    path = tmp_path / "a.png"
    write_image(path, 3 * 64 * KiB)
    options: dict[str, Any] = {"default_headers": {"X-Custom": "custom-value"}}
    async with aiohttp.ClientSession() as session:
        if transport == "given session":
            options["session"] = session
        elif transport == "custom transport":
            options["transport"] = Relay()
        async with fake.client(**options) as client:
            await send(client, path)
    puts = [r for r in fake.storage_requests if r.method == "PUT"]
    assert len(puts) == 3
    for request in puts:
        names = {name.lower() for name in request.headers}
        assert not names & {"authorization", "x-custom", "x-from-env", "cookie"}
        assert fake.api_key not in str(request.headers) and "Basic" not in str(request.headers)
    # ... while every API request carried them.
    assert all(r.headers.get("X-Custom") == "custom-value" for r in fake.requests)
    assert all(r.headers.get("X-From-Env") == "env-value" for r in fake.requests)


async def test_the_fake_storage_host_refuses_a_part_without_its_length_as_s3_does(
    fake: FakeScenario,
) -> None:
    """A chunked body (no Content-Length) is refused with 411: put_part sends the length."""
    async with fake.client() as client:
        upload = (
            await client.uploads.create(
                kind="image", file_name="a.png", content_type="image/png", file_size=10, parts=1
            )
        ).upload
    assert upload.parts is not None and upload.parts[0].url is not None

    async def chunks() -> AsyncIterator[bytes]:
        yield b"0123456789"

    async with (
        aiohttp.ClientSession() as session,
        session.put(upload.parts[0].url, data=chunks()) as answer,
    ):
        assert answer.status == 411 and "MissingContentLength" in await answer.text()
    assert fake.state.uploads[upload.id].parts == {}


async def test_parts_in_flight_are_bounded_by_the_shared_slots(
    fake: FakeScenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two files sharing 3 slots: never more than 3 parts read and not yet answered, and 3
    at a time indeed."""
    relay = Relay(put_delay=0.03)
    real_read = multipart._read_part

    def counted_read(*args: Any) -> tuple[bytes, ...]:
        relay.part_read()
        return real_read(*args)

    monkeypatch.setattr(multipart, "_read_part", counted_read)
    paths = [tmp_path / "a.png", tmp_path / "b.png"]
    contents = [write_image(p, 10 * 32 * KiB - 7) for p in paths]
    slots = asyncio.Semaphore(3)
    async with fake.client(transport=relay) as client:
        assets = await asyncio.gather(
            *(send(client, p, part_size=32 * KiB, part_slots=slots) for p in paths)
        )
    assert relay.peak_held == 3 and relay.peak_puts == 3
    assert len(parts_sent(fake)) == 20
    for asset_id, content in zip(assets, contents, strict=True):
        assert fake.state.assets[asset_id].sha256 == hashlib.sha256(content).hexdigest()
    for _ in range(3):  # every slot was given back
        await asyncio.wait_for(slots.acquire(), 1)
    assert slots.locked()


async def test_a_part_is_read_and_sent_in_short_pieces_never_joined(
    fake: FakeScenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each read is at most ``_READ_PIECE`` bytes (the kernel does not interrupt a read, so
    a long one would hold a loop sharing the core), and the part goes to the transport as
    those very pieces, which together are the part's bytes."""
    monkeypatch.setattr(multipart, "_READ_PIECE", 10_000)
    reads: list[int] = []
    real_read_at = multipart._read_at

    def counted_read_at(fd: int, count: int, offset: int) -> bytes:
        reads.append(count)
        return real_read_at(fd, count, offset)

    monkeypatch.setattr(multipart, "_read_at", counted_read_at)
    relay = Relay(keep=True)
    path = tmp_path / "a.png"
    content = write_image(path, 5 * 64 * KiB + 999)
    async with fake.client(transport=relay) as client:
        await send(client, path, part_slots=asyncio.Semaphore(1))
    assert reads and max(reads) <= 10_000
    bodies = {int(url.split("/parts/")[1].split("?")[0]): body for url, body in relay.kept}
    assert sorted(bodies) == list(range(1, 7))
    for number, body in bodies.items():
        assert isinstance(body, tuple)
        assert all(isinstance(piece, bytes) and len(piece) <= 10_000 for piece in body)
        start = (number - 1) * 64 * KiB
        assert b"".join(body) == content[start : start + 64 * KiB]


# Failures of the storage host -------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", ["unavailable_503", "rate_limited_429", "error_500", "drop_after_store"]
)
async def test_a_part_failing_twice_is_sent_again_and_the_upload_completes(
    tmp_path: Path, fault: str
) -> None:
    path = tmp_path / "a.png"
    content = write_image(path, 50 * KiB)
    rate: dict[str, Any] = {fault: 1.0}
    plan = FaultPlan(**rate, methods=frozenset({"PUT"}), max_faults=2, retry_after=0.01)
    async with FakeScenario(faults=plan) as fake, fake.client(max_retries=2) as client:
        asset_id = await send(client, path)
    assert fake.faults_injected[fault] == 2
    assert parts_sent(fake) == [(1, 50 * KiB)] * 3
    assert fake.state.assets[asset_id].sha256 == hashlib.sha256(content).hexdigest()


async def test_a_part_failing_past_max_retries_fails_the_file_uncompleted(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    write_image(path, 50 * KiB)
    plan = FaultPlan(unavailable_503=1.0, methods=frozenset({"PUT"}), retry_after=0.01)
    async with FakeScenario(faults=plan) as fake, fake.client(max_retries=1) as client:
        with pytest.raises(UploadPartError) as caught:
            await send(client, path)
    assert caught.value.status_code == 503 and caught.value.part_number == 1
    assert "in 2 attempts" in str(caught.value) and "not completed" in str(caught.value)
    assert len(parts_sent(fake)) == 2
    assert api_calls(fake) == ["POST /v1/uploads"]


async def test_a_storage_403_fails_the_file_clearly_and_nothing_is_completed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.png"
    write_image(path, 4 * 64 * KiB)
    async with FakeScenario(part_url_ttl=-60) as fake, fake.client() as client:  # expired
        with pytest.raises(UploadPartError) as caught:
            await send(client, path, part_slots=asyncio.Semaphore(1))
    error = caught.value
    assert error.status_code == 403 and error.path == path
    assert error.upload_id is not None and error.upload_id in fake.state.uploads
    message = str(error)
    assert "refused" in message and "Request has expired" in message
    assert "signature=" not in message  # the part URL's signature is not repeated
    assert parts_sent(fake) == [(1, 64 * KiB)]  # not sent again, the other parts not sent
    assert api_calls(fake) == ["POST /v1/uploads"]
    assert fake.state.uploads[error.upload_id].completed_at is None


async def test_a_complete_whose_answer_was_lost_is_settled_by_the_upload(tmp_path: Path) -> None:
    """``complete`` did its work and its answer was lost: the retry meets 409, and the
    upload, validating, says the work was done."""
    path = tmp_path / "a.png"
    content = write_image(path, 1000)
    async with FakeScenario() as fake, fake.client(max_retries=1) as client:

        def spoil_complete(_: int) -> None:
            fake.faults = FaultPlan(
                error_502_after_store=1.0, methods=frozenset({"POST"}), max_faults=1
            )

        asset_id = await send(client, path, on_bytes=spoil_complete)
    assert fake.state.assets[asset_id].sha256 == hashlib.sha256(content).hexdigest()
    assert api_calls(fake)[:3] == [
        "POST /v1/uploads",
        "POST /v1/uploads/ID/action",
        "POST /v1/uploads/ID/action",
    ]


# The file changed -------------------------------------------------------------------------


def append_byte(path: Path) -> None:
    with path.open("ab") as file:
        file.write(b"!")


def replace_same_size(path: Path) -> None:
    """Another file of the same size renamed over it: a new inode."""
    other = path.with_suffix(".new")
    other.write_bytes(path.read_bytes()[::-1])
    os.replace(other, path)


def rewrite_in_place(path: Path) -> None:
    """The same inode, the same size, other bytes: seen by the modification time."""
    info = os.stat(path)
    with path.open("r+b") as file:
        file.write(b"\x00" * 16)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))


@pytest.mark.parametrize("change", [append_byte, replace_same_size, rewrite_in_place])
async def test_a_file_changed_after_it_was_hashed_is_not_uploaded(
    fake: FakeScenario, tmp_path: Path, change: Any
) -> None:
    path = tmp_path / "a.png"
    write_image(path, 3 * 64 * KiB)
    hashed = stamp(path)
    change(path)
    async with fake.client() as client:
        with pytest.raises(FileChangedError, match=re.escape(str(path))) as caught:
            await upload_file(
                client,
                path,
                file_name="a.png",
                content_type="image/png",
                expected=hashed,
                part_size=64 * KiB,
                min_part_size=1,
            )
    assert isinstance(caught.value, OSError) and caught.value.path == path
    assert fake.requests == [] and fake.storage_requests == []


@pytest.mark.parametrize("after_part", [1, 3])
async def test_a_file_changed_during_the_upload_is_not_completed(
    fake: FakeScenario, tmp_path: Path, after_part: int
) -> None:
    """Changed once part 1 is stored (seen before part 2 is read), or once the last part is
    stored (seen by the last look, after every part)."""
    path = tmp_path / "a.png"
    write_image(path, 3 * 64 * KiB)
    stored: list[int] = []

    def change_after(size: int) -> None:
        stored.append(size)
        if len(stored) == after_part:
            append_byte(path)

    async with fake.client() as client:
        with pytest.raises(FileChangedError, match="changed since it was hashed"):
            await send(client, path, part_slots=asyncio.Semaphore(1), on_bytes=change_after)
    assert len(parts_sent(fake)) == after_part
    assert api_calls(fake) == ["POST /v1/uploads"]  # never completed


# Validation -------------------------------------------------------------------------------


async def test_a_file_failing_validation_raises_the_services_reason(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    path.write_bytes(make_png(40, 40)[:-30])
    async with FakeScenario(validation_duration=0.2) as fake, fake.client() as client:
        with pytest.raises(UploadFailedError) as caught:
            await send(client, path, poll_interval=0.05)
    error, reason = caught.value, "cut.png is truncated: a PNG ends with an IEND chunk"
    assert error.error_message == reason
    assert reason in str(error) and f"upload {error.upload_id} " in str(error)
    assert "GET /v1/uploads/ID" in api_calls(fake)  # found by polling
    assert list(fake.state.assets) == []


async def test_validation_longer_than_max_wait_raises_naming_the_upload(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    content = write_image(path, 1000)
    async with FakeScenario(validation_duration=60) as fake, fake.client() as client:
        with pytest.raises(UploadTimeoutError) as caught:
            await send(client, path, poll_interval=0.05, max_wait=0.3)
        upload_id = caught.value.upload_id
        assert upload_id is not None and upload_id in str(caught.value)
        assert isinstance(caught.value, TimeoutError)
        # Checked later, once the service is done:
        fake.state.uploads[upload_id].validation_duration = 0
        asset_id = await wait_for_upload(client, upload_id, poll_interval=0.01)
    assert fake.state.assets[asset_id].sha256 == hashlib.sha256(content).hexdigest()


class _Uploads:
    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses

    async def retrieve(self, upload_id: str, *, project_id: str | None = None) -> Any:
        status = self.statuses.pop(0)
        upload = Upload(id=upload_id, status=status, entity_id="asset_1")
        return type("Answer", (), {"upload": upload})


async def test_polls_start_at_poll_interval_and_grow_to_a_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    delays: list[float] = []

    async def no_sleep(seconds: float) -> None:
        delays.append(seconds)

    client: Any = type("Client", (), {"uploads": _Uploads(["validating"] * 11 + ["imported"])})
    monkeypatch.setattr(asyncio, "sleep", no_sleep)
    asset_id = await wait_for_upload(client, "u1", poll_interval=1.0, max_wait=1e6)
    monkeypatch.undo()
    assert asset_id == "asset_1"
    assert delays[:5] == [1.0, 1.5, 2.25, 3.375, 5.0] and set(delays[5:]) == {5.0}


# Refused before any request ---------------------------------------------------------------


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_directory(path: Path) -> None:
    path.mkdir()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("make", [make_fifo, make_directory])
async def test_a_fifo_or_a_directory_is_refused_before_any_request(
    fake: FakeScenario, tmp_path: Path, make: Any
) -> None:
    path = tmp_path / "special.png"
    make(path)
    async with fake.client() as client:
        with pytest.raises(ImageFileError, match="not a regular file"):
            await send(client, path)
    assert fake.requests == [] and fake.storage_requests == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"part_size": 3 * MiB, "min_part_size": MIN_PART_SIZE}, "part_size must be at least"),
        ({"part_size": 0}, "part_size must be from 1"),
        ({"part_size": 1}, "over the limit of 10000: use a part_size of at least 2"),
        ({"part_slots": 2}, "part_slots must be an asyncio.Semaphore"),
        ({"poll_interval": 0}, "poll_interval must be a positive number"),
        ({"max_wait": -1}, "max_wait must be a positive number"),
        ({"file_name": " "}, "file_name must be a non-empty string"),
        ({"content_type": "png"}, "content_type must be a MIME type"),
        ({"expected": os.stat_result((0,) * 10)}, "expected must be a FileStamp"),
    ],
)
async def test_arguments_are_checked_before_any_request(
    fake: FakeScenario, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    path = tmp_path / "a.png"
    write_image(path, 10 * MiB if "min_part_size" in change else 15_000)
    arguments: dict[str, Any] = {
        "file_name": "a.png",
        "content_type": "image/png",
        "expected": stamp(path),
        "min_part_size": 1,
        **change,
    }
    async with fake.client() as client:
        with pytest.raises((TypeError, ValueError), match=message):
            await upload_file(client, path, **arguments)
    assert fake.requests == []


async def test_an_empty_file_is_refused_before_any_request(
    fake: FakeScenario, tmp_path: Path
) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    async with fake.client() as client:
        with pytest.raises(ValueError, match="is empty"):
            await send(client, path)
    assert fake.requests == []


# Memory and cancellation ------------------------------------------------------------------


@pytest.fixture
def fake_process() -> Iterator[str]:
    """The fake API in a process of its own (it keeps what it receives: not in this
    process's memory); its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scenario_async.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        found = re.search(r"(http://\S+/v1)", process.stdout.readline())
        assert found is not None
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


async def test_memory_stays_within_the_parts_in_flight_whatever_the_file_size(
    fake_process: str, tmp_path: Path
) -> None:
    """40 MiB in 1 MiB parts, 2 at a time: the traced peak is a few MiB, not the file."""
    path = tmp_path / "big.png"
    write_image(path, 40 * MiB)
    gc.collect()
    async with AsyncScenario(
        api_key="test-key", api_secret="test-secret", base_url=fake_process, trust_env=False
    ) as client:
        tracemalloc.start()
        try:
            asset_id = await send(client, path, part_size=MiB, part_slots=asyncio.Semaphore(2))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        asset = (await client.assets.retrieve(asset_id)).asset
    assert asset.properties is not None and asset.properties.size == 40 * MiB
    assert peak < 8 * MiB, f"traced peak {peak / MiB:.1f} MiB"


async def test_a_cancelled_upload_stops_at_once_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    """Cancelled while parts are being sent (the storage host slow to take them): nothing
    runs on, no part is stored, nothing is completed, nothing warns."""
    path = tmp_path / "a.png"
    write_image(path, 32 * MiB)
    with FakeScenario(latency=0.5).serve_in_thread() as fake:  # its own loop, its own tasks
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            async with fake.client() as client:
                task = asyncio.create_task(
                    send(client, path, part_size=16 * MiB, part_slots=asyncio.Semaphore(2))
                )
                for _ in range(500):  # until both parts are on their way
                    if len(fake.storage_requests) >= 2:
                        break
                    await asyncio.sleep(0.01)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                assert asyncio.all_tasks() == {asyncio.current_task()}
            gc.collect()
            await asyncio.sleep(1.0)  # past the storage host's latency
        upload = next(iter(fake.state.uploads.values()))
        assert len(fake.storage_requests) == 2 and upload.parts == {}
        assert [r.path for r in fake.requests] == ["/v1/uploads"]
    assert [str(w.message) for w in caught] == []
