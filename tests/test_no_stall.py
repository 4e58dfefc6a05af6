"""add_many never holds the event loop for a large image: reading, hashing and encoding it
happen in a worker thread, and its request body goes out in pieces that are never joined.
Small images are still read inline, where that costs less than a thread would.

These tests prove where the work happens, never how long it takes (the benchmark's
``--only stall`` scenario measures the pauses).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from scenario_async import AsyncScenario
from scenario_async._transport import Answer
from scenario_async._wire import JOIN_AT_MOST, splice_json
from scenario_async.images import Image, _base64_pieces
from scenario_async.testing import FakeScenario

from .test_bulk_memory import big_png


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def record_threads(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Which thread ran ``identified_parts`` for each image, by name."""
    seen: dict[str, str] = {}
    original = Image.identified_parts

    def spy(self: Image) -> tuple[str, tuple[bytes, ...]]:
        seen[self.name] = threading.current_thread().name
        return original(self)

    monkeypatch.setattr(Image, "identified_parts", spy)
    return seen


async def test_large_files_are_read_in_a_worker_thread_and_small_ones_inline(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    large, small = tmp_path / "large.png", tmp_path / "small.png"
    large.write_bytes(big_png(1, payload=600 * 1024))
    small.write_bytes(big_png(2, payload=1024))
    seen = record_threads(monkeypatch)
    loop_thread = threading.current_thread().name

    result = await client.models.training_images.add_many("m", [large, small])

    assert [o.status for o in result] == ["sent", "sent"]
    assert seen["small.png"] == loop_thread
    assert seen["large.png"] != loop_thread
    stored = {i.name: i.sha256 for i in fake.training_images("m")}
    assert stored == {
        "large.png": sha256(large.read_bytes()),
        "small.png": sha256(small.read_bytes()),
    }


async def test_large_in_memory_images_and_data_urls_are_encoded_off_the_loop(
    fake: FakeScenario, client: AsyncScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = big_png(3, payload=400 * 1024)
    seen = record_threads(monkeypatch)

    result = await client.models.training_images.add_many(
        "m", [Image.from_bytes(content, name="mem.png")]
    )

    assert result[0].status == "sent"
    assert seen["mem.png"] != threading.current_thread().name
    assert [i.sha256 for i in fake.training_images("m")] == [sha256(content)]


async def test_a_file_that_fails_in_the_thread_fails_its_item_only(
    tmp_path: Path, client: AsyncScenario
) -> None:
    broken = tmp_path / "cut.png"
    broken.write_bytes(big_png(4, payload=600 * 1024)[:-20])  # its end is missing
    fine = tmp_path / "fine.png"
    fine.write_bytes(big_png(5, payload=600 * 1024))

    result = await client.models.training_images.add_many("m", [broken, fine])

    assert [o.status for o in result] == ["failed", "sent"]
    assert "truncated" in str(result[0].error)
    assert result[0].source == broken


class PieceRecorder:
    """A transport that keeps the body it is given as it is (bytes or pieces) and answers
    an add like the service."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []

    async def send(
        self,
        method: str,
        url: str,
        body: Any,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> Answer:
        self.bodies.append(body)
        if method == "GET":
            return Answer(404, {}, b'{"message": "no such model"}')
        image = {"id": f"ti_{len(self.bodies)}", "name": "x.png", "createdAt": "2026-01-01"}
        answer = json.dumps({"trainingImage": image}).encode()
        return Answer(200, {"Content-Type": "application/json"}, answer)

    async def close(self) -> None:
        pass


async def test_a_large_body_reaches_the_transport_in_pieces_that_make_the_whole_request(
    tmp_path: Path,
) -> None:
    path = tmp_path / "big.png"
    content = big_png(6, payload=3 * 2**20)
    path.write_bytes(content)
    transport = PieceRecorder()
    async with AsyncScenario(api_key="k", api_secret="s", transport=transport) as client:
        result = await client.models.training_images.add_many("m", [path])

    assert result[0].status == "sent"
    body = transport.bodies[-1]
    assert isinstance(body, tuple) and len(body) > 3
    assert max(map(len, body)) <= 2**20  # no piece is the whole image
    sent = json.loads(b"".join(body))
    assert sent["name"] == "big.png"
    assert sent["data"] == "data:image/png;base64," + base64.b64encode(content).decode()


def test_small_bodies_are_joined_and_large_ones_kept_in_pieces() -> None:
    small = splice_json({"name": "a.png"}, "data", [b"data:image/png;base64,", b"QUJD"])
    assert small == b'{"data":"data:image/png;base64,QUJD","name":"a.png"}'
    parts = [b"data:image/png;base64,", b"A" * JOIN_AT_MOST, b"B" * 8]
    large = splice_json({"name": "a.png"}, "data", parts)
    assert isinstance(large, tuple)
    assert large[4] is parts[1]  # the image's piece itself: not copied
    assert json.loads(b"".join(large))["data"] == b"".join(parts).decode()


@pytest.mark.parametrize("size", [0, 1, 3 * 2**18 - 1, 3 * 2**18, 3 * 2**18 + 1, 7 * 2**20 + 5])
def test_base64_in_pieces_is_the_whole_encoding(size: int) -> None:
    content = hashlib.sha256(str(size).encode()).digest() * (size // 32 + 1)
    content = content[:size]
    pieces = _base64_pieces(content)
    assert b"".join(pieces) == base64.b64encode(content)
    assert all(len(piece) <= 2**20 for piece in pieces)
    assert all(not piece.endswith(b"=") for piece in pieces[:-1])


@pytest.mark.parametrize("size", [1000, 1001, 1002, 600 * 1024])
async def test_progress_reports_the_image_bytes_not_the_base64_bytes(
    tmp_path: Path, client: AsyncScenario, size: int
) -> None:
    content = big_png(size, payload=size)
    path = tmp_path / "a.png"
    path.write_bytes(content)
    data_url = "data:image/png;base64," + base64.b64encode(content).decode()
    events: list[Any] = []
    await client.models.training_images.add_many("m", [path, data_url], on_progress=events.append)
    done = sorted(e.bytes for e in events if e.kind == "item_done")
    assert done == [len(content), len(content)]


async def test_a_resumed_run_sends_a_new_image_while_it_still_settles_old_ones(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario
) -> None:
    """Settling items an earlier run stored needs no request and no wait: a producer that
    never let the loop run would settle every one of them before the first new image left."""
    from scenario_async.testing import make_png

    old = [
        Image.from_bytes(make_png(2, 2, (i % 256, i // 256, 1)), name=f"o{i}.png")
        for i in range(1500)
    ]
    journal = tmp_path / "run.journal"
    await client.models.training_images.add_many("m", old, journal=journal, concurrency=16)
    new = Image.from_bytes(make_png(3, 3, (9, 9, 9)), name="new.png")
    adds_before = sum(1 for r in fake.requests if r.method == "POST")
    sent_by_then: list[bool] = []

    def on_progress(event: Any) -> None:
        if event.kind == "item_skipped":
            sent_by_then.append(sum(1 for r in fake.requests if r.method == "POST") > adds_before)

    result = await client.models.training_images.add_many(
        "m", [*old[:10], new, *old[10:]], journal=journal, on_progress=on_progress
    )

    assert result[10].status == "sent" and result.counts()["already_there"] == 1500
    assert sent_by_then[-1] and sent_by_then.count(False) < 1000


async def test_a_streamed_body_lets_other_tasks_run_between_its_chunks() -> None:
    """aiohttp waits between writes only when the socket is full: the body's stream itself
    gives the loop a turn after each 256 KiB chunk."""
    import asyncio

    from scenario_async._transport import _streamed

    turns = 0
    done = False

    async def other_task() -> None:
        nonlocal turns
        while not done:
            turns += 1
            await asyncio.sleep(0)

    body = (b"a" * 2**20, b"b" * 2**20)
    stream, headers = _streamed(body, {})
    task = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    started = turns
    received = [bytes(chunk) async for chunk in stream]
    done = True
    await task
    assert b"".join(received) == b"".join(body) and headers["Content-Length"] == str(2**21)
    assert turns - started >= len(received) - 1  # a turn after (nearly) every chunk


async def test_a_worker_lets_other_tasks_run_between_an_answer_and_its_next_request(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Handling an image's answer and starting the next image's request each hold the loop
    for a few hundred microseconds with large images: a worker gives the loop a turn
    between them, so that the answers of several workers do not make one long step."""
    import asyncio

    from scenario_async._transport import AiohttpTransport

    turns = 0
    done = False
    events: list[tuple[str, int]] = []

    async def other_task() -> None:
        nonlocal turns
        while not done:
            turns += 1
            await asyncio.sleep(0)

    original_send = AiohttpTransport.send

    async def send(self: AiohttpTransport, method: str, url: str, *args: Any) -> Answer:
        if method == "POST":
            events.append(("request", turns))
        return await original_send(self, method, url, *args)

    monkeypatch.setattr(AiohttpTransport, "send", send)
    paths = []
    for i in range(4):
        paths.append(tmp_path / f"{i}.png")
        paths[-1].write_bytes(big_png(i, payload=1024))

    def on_progress(event: Any) -> None:
        if event.kind == "item_done":
            events.append(("answered", turns))

    task = asyncio.create_task(other_task())
    result = await client.models.training_images.add_many(
        "m", paths, concurrency=1, on_progress=on_progress
    )
    done = True
    await task

    assert [o.status for o in result] == ["sent"] * 4
    assert [kind for kind, _ in events] == ["request", "answered"] * 4
    for (_, answered), (_, next_request) in zip(events[1::2], events[2::2], strict=False):
        assert next_request > answered  # the other task ran in between
    assert sorted(i.name or "" for i in fake.training_images("m")) == [p.name for p in paths]


def test_a_large_file_is_read_a_piece_at_a_time_and_checked_on_those_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each read asks for one piece of ``_ENCODE_SLICE`` bytes (the kernel does not cut a
    read short, so a long one would hold a loop sharing the core), and the hash and the
    data URL are those of the whole file, as for the same bytes in memory."""
    import os

    from scenario_async import images

    path = tmp_path / "big.png"
    content = big_png(7, payload=3 * 2**20)
    path.write_bytes(content)
    asked: list[int] = []
    real_read = os.read

    def counted_read(fd: int, count: int) -> bytes:
        asked.append(count)
        return real_read(fd, count)

    monkeypatch.setattr(os, "read", counted_read)
    digest, parts = Image.from_path(path).identified_parts()

    assert asked and max(asked) <= images._ENCODE_SLICE
    assert len(asked) == len(content) // images._ENCODE_SLICE + 2  # the last one finds the end
    in_memory = Image.from_bytes(content, name="big.png").identified_parts()
    assert (digest, parts) == in_memory
    assert digest == sha256(content)
    assert b"".join(parts) == b"data:image/png;base64," + base64.b64encode(content)


def test_a_large_file_cut_short_or_growing_past_its_limit_is_refused_when_read_in_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scenario_async.images import ImageTooLargeError, TruncatedImageError

    from .test_special_files import grow_after_each_fstat

    cut = tmp_path / "cut.png"
    cut.write_bytes(big_png(8, payload=2 * 2**20)[:-20])
    with pytest.raises(TruncatedImageError, match=r"cut\.png is truncated"):
        Image.from_path(cut).identified_parts()

    whole = big_png(9, payload=2 * 2**20)
    growing = tmp_path / "growing.png"
    growing.write_bytes(whole)
    grow_after_each_fstat(monkeypatch, growing)
    with pytest.raises(ImageTooLargeError, match="grew past the limit of"):
        Image.from_path(growing, max_bytes=len(whole) + 10).identified_parts()


async def test_file_work_runs_in_one_worker_thread_at_a_time() -> None:
    """More threads would only take the GIL and the cores from the event loop: however
    many images are being prepared, their file work never overlaps."""
    import asyncio
    import time

    from scenario_async._offload import off_the_loop

    lock = threading.Lock()
    running = peak = 0
    threads: set[str] = set()

    def work(index: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        threads.add(threading.current_thread().name)
        time.sleep(0.005)
        with lock:
            running -= 1
        return index

    results = await asyncio.gather(*(off_the_loop(work, i) for i in range(8)))

    assert results == list(range(8))
    assert peak == 1
    assert threading.current_thread().name not in threads


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """In a thread: poll ``condition`` until it holds (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


async def test_a_resumed_run_reads_its_journal_off_the_loop_while_the_model_is_read(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A journal of a large run takes a second or more to read, and the model's answer as
    long to come: the journal is read in the file worker while the model's GET is in
    flight, and nothing is sent before both are read."""
    from scenario_async.journal import Journal

    old, new = tmp_path / "a.png", tmp_path / "b.png"
    old.write_bytes(big_png(1, payload=1024))
    new.write_bytes(big_png(2, payload=1024))
    journal = tmp_path / "run.journal"
    first = await client.models.training_images.add_many("m", [old], journal=journal)
    assert [o.status for o in first] == ["sent"]
    requests_before = len(fake.requests)
    loop_thread = threading.current_thread().name
    seen: dict[str, Any] = {}
    original_load = Journal.load

    def model_read() -> bool:
        return any(r.method == "GET" for r in fake.requests[requests_before:])

    def load(self: Journal) -> None:
        seen["thread"] = threading.current_thread().name
        seen["model read meanwhile"] = wait_for(model_read)
        original_load(self)
        seen["requests when loaded"] = len(fake.requests)

    monkeypatch.setattr(Journal, "load", load)
    again = await client.models.training_images.add_many("m", [old, new], journal=journal)

    assert [o.status for o in again] == ["already_there", "sent"]
    assert seen["thread"] != loop_thread
    assert seen["model read meanwhile"]
    after = fake.requests[requests_before:]
    assert [
        (r.method, r.path) for r in after[: seen["requests when loaded"] - requests_before]
    ] == [("GET", "/v1/models/m")]  # the add came after the journal was read
    assert [(r.method, r.path) for r in after] == [
        ("GET", "/v1/models/m"),
        ("POST", "/v1/models/m/training-images"),
    ]
    assert [i.name for i in fake.training_images("m")] == ["a.png", "b.png"]


async def test_a_large_answer_is_parsed_in_the_worker_and_a_small_one_on_the_loop(
    fake: FakeScenario, client: AsyncScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model of 100,000 training images answers 19 MiB, half a second of parsing: from
    PARSE_IN_A_THREAD_FROM bytes an answer is parsed in a thread of the loop's executor
    (not the SDK's low-priority file worker: the JSON decoder holds the GIL), and the
    caller gets the same typed answer."""
    from scenario_async import _client, _wire

    for i in range(600):
        fake.add_training_image("big", name=f"image-{i:04d}.png")
    fake.add_training_image("small", name="one.png")
    parsed: list[tuple[int, str]] = []
    original = _wire.read_success

    def spy(status: int, raw: bytes, *args: Any, **kwargs: Any) -> Any:
        parsed.append((len(raw), threading.current_thread().name))
        return original(status, raw, *args, **kwargs)

    monkeypatch.setattr(_wire, "read_success", spy)
    loop_thread = threading.current_thread().name

    big = await client.models.retrieve("big")
    small = await client.models.retrieve("small")

    assert [i.name for i in big.model.training_images or []] == [
        f"image-{i:04d}.png" for i in range(600)
    ]
    assert [i.name for i in small.model.training_images or []] == ["one.png"]
    (big_size, big_thread), (small_size, small_thread) = parsed
    assert big_size >= _client.PARSE_IN_A_THREAD_FROM > small_size
    assert big_thread != loop_thread and not big_thread.startswith("scenario-async-files")
    assert small_thread == loop_thread


async def test_a_large_answer_that_is_no_json_fails_as_a_small_one_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Parsed in a thread, an unreadable answer raises the same error, with its body."""
    from scenario_async import APIResponseValidationError, _client

    from .test_transport import MemoryTransport

    size = _client.PARSE_IN_A_THREAD_FROM
    errors: list[APIResponseValidationError] = []
    for body in (b"<html>" + b"x" * 10, b"<html>" + b"x" * size):

        def answer(method: str, url: str, sent: Any, body: bytes = body) -> Answer:
            return Answer(200, {}, body)

        transport = MemoryTransport(answer)
        client = AsyncScenario(api_key="k", api_secret="s", max_retries=0, transport=transport)
        with pytest.raises(APIResponseValidationError) as caught:
            await client.models.retrieve("m")
        errors.append(caught.value)
        await client.aclose()
    small, large = errors
    assert (
        str(small)
        == str(large)
        == (
            "GET https://api.cloud.scenario.com/v1/models/m answered 200 with a body that is not "
            "JSON (Expecting value: line 1 column 1 (char 0))"
        )
    )
    assert isinstance(large.body, str) and large.body.startswith("<html>xxx")
    assert len(large.body) == size + 6


async def test_a_large_answer_is_parsed_on_the_loop_once_the_executor_is_shut_down(
    fake: FakeScenario, client: AsyncScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At interpreter exit (or after ``shutdown_default_executor``) a thread can no longer be
    given work: the answer is parsed on the loop rather than the call failing with a
    RuntimeError, which add_many would take for a request surely not stored."""
    import asyncio

    from scenario_async import _wire

    for i in range(600):
        fake.add_training_image("big", name=f"image-{i:04d}.png")
    threads: list[str] = []
    original = _wire.read_success

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(_wire, "read_success", spy)
    await asyncio.get_running_loop().shutdown_default_executor()

    big = await client.models.retrieve("big")

    assert len(big.model.training_images or []) == 600
    assert threads == [threading.current_thread().name]
