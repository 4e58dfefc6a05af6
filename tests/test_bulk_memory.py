"""add_many's memory: what a run keeps after an item is settled holds none of its image
data, and the peak of a run is set by ``concurrency``, not by how many images it is given.

Memory is measured with tracemalloc, in bytes allocated, never in time.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import hashlib
import json
import os
import random
import struct
import subprocess
import sys
import traceback
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from scenario_async import AsyncScenario, NotFoundError
from scenario_async.bulk import BulkResult, BulkUploadError, ProgressEvent
from scenario_async.images import Image
from scenario_async.journal import Item, Journal
from scenario_async.testing import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeScenario,
    FaultPlan,
    make_png,
)

#: Each test image carries this much incompressible data, so that an image kept by mistake
#: shows up in the memory figures far above what an outcome costs.
IMAGE_PAYLOAD = 128 * 1024


def big_png(i: int, payload: int = IMAGE_PAYLOAD) -> bytes:
    """A valid PNG unique to ``i``, made large by a private chunk of seeded random bytes."""
    png = make_png(4, 4, (i % 256, (i // 256) % 256, 7))
    data = random.Random(i).randbytes(payload)
    chunk = struct.pack(">I", len(data)) + b"ruSt" + data
    chunk += struct.pack(">I", zlib.crc32(b"ruSt" + data))
    return png[:-12] + chunk + png[-12:]  # before the 12-byte IEND chunk


def data_url(content: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(content).decode("ascii")


def from_bytes(i: int) -> Image:
    return Image.from_bytes(big_png(i), name=f"m{i}.png")


def from_data_url(i: int) -> Image:
    return Image.from_data_url(data_url(big_png(i)), name=f"u{i}.png")


def data_url_string(i: int) -> str:
    return data_url(big_png(i))


#: Each kind of in-memory input, with the label its outcome carries as ``source``.
IN_MEMORY: dict[str, tuple[Callable[[int], Image | str], Callable[[int], str]]] = {
    "Image.from_bytes": (from_bytes, lambda i: f"<in memory #{i}: m{i}.png>"),
    "Image.from_data_url": (from_data_url, lambda i: f"<in memory #{i}: u{i}.png>"),
    "data-URL string": (data_url_string, lambda i: f"<data URL #{i}>"),
}


async def run_in_memory(
    client: AsyncScenario, make: Callable[[int], Any], count: int, **options: Any
) -> tuple[BulkResult, list[ProgressEvent]]:
    """add_many over a generator of ``count`` in-memory images, with every progress event."""
    events: list[ProgressEvent] = []

    def inputs() -> Iterator[Any]:
        for i in range(count):
            yield make(i)

    result = await client.models.training_images.add_many(
        "m", inputs(), concurrency=4, on_progress=events.append, **options
    )
    return result, events


async def kept_after_run(
    client: AsyncScenario, make: Callable[[int], Any], count: int, **options: Any
) -> tuple[list[tuple[str, Any, str | None]], list[str], int]:
    """Run add_many, then drop its result and events: the bytes freed are what they alone
    kept alive (a fake API's state and the client's stay). Returns, with that figure, each
    outcome's status, source (when a short string, else its type) and hash, and the kinds
    of the events."""
    gc.collect()
    tracemalloc.start()
    try:
        result, events = await run_in_memory(client, make, count, **options)
        facts: list[tuple[str, Any, str | None]] = [
            (
                o.status,
                o.source
                if isinstance(o.source, str) and len(o.source) < 200
                else type(o.source).__name__,
                o.sha256,
            )
            for o in result
        ]
        kinds: list[str] = [event.kind for event in events]
        gc.collect()
        holding = tracemalloc.get_traced_memory()[0]
        del result, events
        gc.collect()
        freed = holding - tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return facts, kinds, freed


COUNT = 24
#: A quarter of an image per item: far more than an outcome and its events cost (16 KiB in
#: all for 24 sent items; a failed one keeps its traceback, 4 to 8 KiB), far less than what
#: keeping the images would (3 MiB and more).
SMALL = COUNT * IMAGE_PAYLOAD // 4


@pytest.mark.parametrize("kind", list(IN_MEMORY))
async def test_outcomes_and_events_of_in_memory_images_hold_none_of_their_data(
    kind: str,
) -> None:
    make, label = IN_MEMORY[kind]
    async with FakeScenario(record_requests=False, models=["m"]) as fake, fake.client() as client:
        facts, kinds, freed = await kept_after_run(client, make, COUNT)
    assert [status for status, _, _ in facts] == ["sent"] * COUNT
    assert kinds.count("item_done") == COUNT
    # Dropping the result and the events frees far less than one image per item: no outcome
    # nor event keeps its input's bytes or data URL.
    assert freed < SMALL, f"dropping the result freed {freed} bytes"
    # The source of an in-memory input is a short label, by its position (and name).
    assert [source for _, source, _ in facts] == [label(i) for i in range(COUNT)]
    assert [digest for _, _, digest in facts] == [
        hashlib.sha256(big_png(i)).hexdigest() for i in range(COUNT)
    ]


async def test_a_sent_outcome_shares_its_name_with_its_training_image() -> None:
    """A 100,000-image run keeps one name string per image, not two: the training image an
    outcome keeps takes the run's own name when the service answered the same one."""
    paths = [Image.from_bytes(big_png(i), name=f"shared-{i}.png") for i in range(3)]
    async with FakeScenario(record_requests=False, models=["m"]) as fake, fake.client() as client:
        result = await client.models.training_images.add_many("m", paths)
    for outcome in result:
        assert outcome.status == "sent" and outcome.training_image is not None
        assert outcome.training_image.name == outcome.name
        assert outcome.training_image.name is outcome.name
    assert sorted(str(i.name) for i in fake.training_images("m")) == [
        f"shared-{i}.png" for i in range(3)
    ]


async def test_the_journal_keeps_the_tuple_of_each_item_it_was_given_not_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each item's (content, stored name) is one tuple, made when it is read and kept by the
    run's map of first inputs and the journal's maps alike (56 bytes an image less)."""
    sent: list[Item] = []
    landed: list[tuple[Journal, Item]] = []
    send, record_landed = Journal.send, Journal.record_landed

    def spy_send(journal: Journal, item: Item) -> None:
        sent.append(item)
        send(journal, item)

    def spy_landed(journal: Journal, item: Item, image_id: str) -> None:
        landed.append((journal, item))
        record_landed(journal, item, image_id)

    monkeypatch.setattr(Journal, "send", spy_send)
    monkeypatch.setattr(Journal, "record_landed", spy_landed)
    images = [Image.from_bytes(big_png(i), name=f"kept-{i}.png") for i in range(3)]
    async with FakeScenario(record_requests=False, models=["m"]) as fake, fake.client() as client:
        result = await client.models.training_images.add_many(
            "m", images, journal=tmp_path / "run.journal"
        )
    assert [o.status for o in result] == ["sent"] * 3
    assert sorted(item[1] for item in sent) == [f"kept-{i}.png" for i in range(3)]
    assert len(landed) == 3
    for journal, item in landed:
        assert any(item is one for one in sent)  # the tuple announced is the one landed
        (key,) = [key for key in journal.landed if key == item]
        assert key is item


@pytest.mark.parametrize(
    ("fake_options", "client_options"),
    [
        # No such model: every add fails with a 404 raised in the request's stack.
        ({"auto_create_models": False}, {"max_retries": 0}),
        # Every answer is lost and not looked for: an UnknownOutcomeError chained to
        # aiohttp's own error, whose frames held the request body.
        (
            {
                "faults": FaultPlan(drop_after_store=1.0, methods=frozenset({"POST"})),
                "models": ["m"],
            },
            {"max_retries": 0, "on_unknown_outcome": "raise"},
        ),
    ],
    ids=["not-found", "answer-lost"],
)
async def test_failed_in_memory_images_keep_neither_their_data_nor_their_request(
    fake_options: dict[str, Any], client_options: dict[str, Any]
) -> None:
    async with (
        FakeScenario(record_requests=False, **fake_options) as fake,
        fake.client(**client_options) as client,
    ):
        facts, kinds, freed = await kept_after_run(client, from_bytes, COUNT)
    assert facts == [
        ("failed", f"<in memory #{i}: m{i}.png>", hashlib.sha256(big_png(i)).hexdigest())
        for i in range(COUNT)
    ]
    assert kinds.count("item_failed") == COUNT
    # The errors' tracebacks go through frames that held the image and its request body.
    assert freed < SMALL, f"dropping the result freed {freed} bytes"


async def test_a_failed_items_error_keeps_its_traceback_but_not_its_frames_data() -> None:
    async with (
        FakeScenario(auto_create_models=False) as fake,
        fake.client(max_retries=0) as client,
    ):
        result = await client.models.training_images.add_many("m", [from_bytes(0)])
    error = result[0].error
    assert isinstance(error, NotFoundError)
    # Where it was raised still prints, down to the request.
    printed = "".join(traceback.format_exception(error))
    assert "in post_image" in printed and "in add_image" in printed
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    assert len(frames) > 3
    assert [frame.f_code.co_name for frame in frames if holds_data(frame.f_locals)] == []


def holds_data(value: Any, depth: int = 4) -> bool:
    """Whether ``value`` is, or holds within ``depth`` steps, image data: bytes, an Image, a
    long string (a data URL), in containers or attrs objects."""
    if isinstance(value, (bytes, bytearray, memoryview, Image)):
        return True
    if isinstance(value, str) or depth == 0:
        return isinstance(value, str) and len(value) > 1024
    if isinstance(value, dict):
        value = list(value.values())
    elif attrs.has(type(value)):
        value = [getattr(value, f.name) for f in attrs.fields(type(value))]
    if isinstance(value, (list, tuple)):
        return any(holds_data(item, depth - 1) for item in value)
    return False


async def test_unreadable_data_urls_are_reported_without_their_data(client: AsyncScenario) -> None:
    def broken(i: int) -> str:
        return data_url_string(i)[:-8] + "!!!!!!!!"  # no longer base64

    facts, kinds, freed = await kept_after_run(client, broken, COUNT)
    assert facts == [("failed", f"<data URL #{i}>", None) for i in range(COUNT)]
    assert kinds.count("item_failed") == COUNT
    assert freed < SMALL, f"dropping the result freed {freed} bytes"


async def test_images_uploaded_as_assets_wait_for_their_batch_without_their_data() -> None:
    async with FakeScenario(record_requests=False, models=["m"]) as fake, fake.client() as client:
        facts, _, freed = await kept_after_run(client, from_bytes, COUNT, via_assets=True)
    assert [(status, source) for status, source, _ in facts] == [
        ("sent", f"<in memory #{i}: m{i}.png>") for i in range(COUNT)
    ]
    assert freed < SMALL, f"dropping the result freed {freed} bytes"


async def test_a_failure_report_names_a_data_url_input_without_its_data(
    client: AsyncScenario,
) -> None:
    url = data_url(big_png(1))
    broken = url[:-8] + "!!!!!!!!"  # no longer base64
    result = await client.models.training_images.add_many("m", [url, broken, url])
    assert [o.status for o in result] == ["sent", "failed", "duplicate"]
    assert [o.source for o in result] == ["<data URL #0>", "<data URL #1>", "<data URL #2>"]
    assert result[2].duplicate_of == 0 and result[0].name == result[2].name
    with pytest.raises(BulkUploadError) as info:
        result.raise_for_failures()
    report = str(info.value).splitlines()
    assert report[0] == "1 of 3 images failed:" and len(report) == 2
    assert report[1].startswith("  <data URL #1>: ValueError: ") and len(report[1]) < 200


def test_path_inputs_keep_their_path_as_source(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(make_png())
    image = Image.from_path(path)
    with FakeScenario(models=["m"]).serve_in_thread() as fake, fake.sync_client() as client:
        result = client.models.training_images.add_many("m", [path, str(path), image])
    assert [o.source for o in result] == [path, str(path), image]
    assert [o.status for o in result] == ["sent", "duplicate", "duplicate"]


# The peak of a run against the number of images ------------------------------------------

#: The fake API for the peak measurements, in a process of its own so that what it stores
#: is not counted; it stops when its standard input closes.
_SERVE = """
import asyncio, sys
from scenario_async.testing import FakeScenario

async def serve():
    async with FakeScenario(record_requests=False, auto_create_models=True) as fake:
        print(fake.base_url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(serve())
"""


@contextlib.contextmanager
def fake_in_another_process() -> Iterator[str]:
    """A fake API served by another process; yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        yield process.stdout.readline().strip()
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def sized_png(i: int) -> bytes:
    """Image ``i`` of a measured run: 20 to 30 KiB, each different."""
    return big_png(i, 20 * 1024 + (i * 7919) % (10 * 1024))


async def measure(base_url: str, count: int, concurrency: int, *, trace: bool) -> dict[str, Any]:
    """One add_many of ``count`` in-memory images pulled from a generator, on a model of its
    own. With ``trace``, tracemalloc's peak during the run and the bytes its result alone
    keeps; without, the process's peak RSS above its RSS just before the run (Linux)."""
    model = f"mem-{count}-{concurrency}-{trace}"

    def images() -> Iterator[Image]:
        for i in range(count):
            yield Image.from_bytes(sized_png(i), name=f"{i}.png")

    async with AsyncScenario(
        base_url=base_url, api_key=DEFAULT_API_KEY, api_secret=DEFAULT_API_SECRET
    ) as client:
        await client.models.training_images.add_many(model + "-warm", images_of(4))
        gc.collect()
        figures: dict[str, Any] = {"count": count, "concurrency": concurrency}
        if trace:
            tracemalloc.start()
            try:
                result = await client.models.training_images.add_many(
                    model, images(), concurrency=concurrency
                )
                figures["peak"] = tracemalloc.get_traced_memory()[1]
                gc.collect()
                holding = tracemalloc.get_traced_memory()[0]
                counts = result.counts()
                del result
                gc.collect()
                figures["result"] = holding - tracemalloc.get_traced_memory()[0]
            finally:
                tracemalloc.stop()
        else:
            before = _rss()
            result = await client.models.training_images.add_many(
                model, images(), concurrency=concurrency
            )
            figures["rss_above_start"] = _max_rss() - before
            counts = result.counts()
    figures["sent"] = counts["sent"]
    return figures


def images_of(count: int) -> list[Image]:
    return [Image.from_bytes(sized_png(10**6 + i), name=f"warm-{i}.png") for i in range(count)]


def _rss() -> int:
    """The process's resident set now, in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _max_rss() -> int:
    """The process's peak resident set so far, in bytes (Linux: ru_maxrss is in KiB)."""
    import resource  # Unix only; the measurement is run by hand, on Linux

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.slow
def test_the_peak_of_a_run_grows_by_an_outcome_per_image_not_by_the_image() -> None:
    with fake_in_another_process() as base_url:
        small, large = (
            asyncio.run(measure(base_url, count, 8, trace=True)) for count in (1_000, 4_000)
        )
    assert small["sent"] == 1_000 and large["sent"] == 4_000
    # 3,000 more images of 20 to 30 KiB each: the peak grows by what their outcomes and the
    # identities kept to tell repeats cost (about 1.1 KiB an image), not by their data
    # (75 MiB), which only ``concurrency`` bounds.
    assert large["peak"] - small["peak"] < 3_000 * 2 * 1024
    assert large["result"] - small["result"] < 3_000 * 1024


def main() -> None:
    """Print the peak figures of docs/performance.md: ``python tests/test_bulk_memory.py``
    (each figure from a process of its own, the fake API in another)."""
    if sys.argv[1:2] == ["--one"]:
        count, concurrency, trace = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "trace"
        print(json.dumps(asyncio.run(measure(sys.argv[5], count, concurrency, trace=trace))))
        return
    with fake_in_another_process() as base_url:
        for concurrency in (4, 16):
            for count in (2_000, 10_000):
                row: dict[str, Any] = {}
                for mode in ("trace", "rss"):
                    one = [str(count), str(concurrency), mode, base_url]
                    out = subprocess.run(
                        [sys.executable, __file__, "--one", *one],
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    row.update(json.loads(out.stdout))
                mib = {k: round(v / 2**20, 1) for k, v in row.items() if k in _BYTES}
                print(json.dumps({**row, **{k + "_mib": v for k, v in mib.items()}}), flush=True)


_BYTES = ("peak", "result", "rss_above_start")

if __name__ == "__main__":
    main()
