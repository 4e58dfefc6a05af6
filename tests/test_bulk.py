"""add_many: chunking, bounded concurrency, ordered outcomes, journal, laziness, cancel."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from scenario_async import AsyncScenario, NotFoundError
from scenario_async.bulk import BulkAbortedError, BulkUploadError, ProgressEvent
from scenario_async.images import Image, NotAnImageError
from scenario_async.testing import FakeScenario, make_png


def write_images(folder: Path, count: int, prefix: str = "img") -> list[Path]:
    paths = []
    for i in range(count):
        path = folder / f"{prefix}-{i:03}.png"
        path.write_bytes(make_png(8, 8, (i % 256, (i * 7) % 256, 99)))
        paths.append(path)
    return paths


def add_requests(fake: FakeScenario) -> list[Any]:
    return [r.json for r in fake.requests if r.path.endswith("/training-images")]


async def test_45_asset_ids_are_sent_as_batches_of_10_10_10_10_5(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    ids = [fake.add_asset(make_png(2, 2, (i, 0, 0)), name=f"{i}.png").id for i in range(45)]
    result = await client.models.training_images.add_many("m", asset_ids=ids, concurrency=3)
    sizes = sorted((len(body["assetIds"]) for body in add_requests(fake)), reverse=True)
    assert sizes == [10, 10, 10, 10, 5]
    sent = [asset_id for body in add_requests(fake) for asset_id in body["assetIds"]]
    assert sorted(sent) == sorted(ids)
    assert [o.asset_id for o in result] == ids
    assert result.counts() == {
        "total": 45,
        "sent": 45,
        "already_there": 0,
        "duplicate": 0,
        "failed": 0,
        "not_attempted": 0,
    }
    assert len(fake.training_images("m")) == 45


async def test_no_more_than_concurrency_requests_are_ever_in_flight(tmp_path: Path) -> None:
    paths = write_images(tmp_path, 30)
    async with FakeScenario(latency=0.05, models=["m"]) as fake, fake.client() as client:
        result = await client.models.training_images.add_many("m", paths, concurrency=4)
    assert fake.peak_in_flight == 4
    assert result.counts()["sent"] == 30
    assert len(fake.training_images("m")) == 30


async def test_outcomes_follow_input_order_with_mixed_failures(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario
) -> None:
    good = write_images(tmp_path, 3)
    not_image = tmp_path / "notes.png"
    not_image.write_text("not an image")
    data_url = "data:image/png;base64," + base64.b64encode(make_png(3, 3)).decode()
    inputs: list[Any] = [
        good[0],
        tmp_path / "missing.png",
        str(good[1]),
        not_image,
        data_url,
        Image.from_bytes(make_png(4, 4), name="from-bytes.png"),
        good[2],
    ]
    result = await client.models.training_images.add_many("m", inputs, concurrency=3)
    # In-memory inputs are labelled, not kept: a result must not hold every image's data.
    labels = ["<data URL #4>", "<in memory #5: from-bytes.png>"]
    assert [o.source for o in result] == [*inputs[:4], *labels, inputs[6]]
    assert [o.index for o in result] == list(range(7))
    assert [o.ok for o in result] == [True, False, True, False, True, True, True]
    assert isinstance(result[1].error, FileNotFoundError)
    assert isinstance(result[3].error, NotAnImageError)
    names = [o.training_image.name for o in result if o.training_image]
    # A nameless data URL is named after its content, never its position.
    content_name = "image-" + hashlib.sha256(make_png(3, 3)).hexdigest()[:12] + ".png"
    assert names == ["img-000.png", "img-001.png", content_name, "from-bytes.png", "img-002.png"]
    stored = {image.id for image in fake.training_images("m")}
    assert {o.training_image.id for o in result.succeeded if o.training_image} == stored
    with pytest.raises(BulkUploadError, match="2 of 7 images failed") as info:
        result.raise_for_failures()
    assert "missing.png" in str(info.value) and info.value.result is result


async def test_server_side_failures_are_outcomes_not_crashes(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario
) -> None:
    ids = ["asset_does_not_exist"]
    result = await client.models.training_images.add_many(
        "m", write_images(tmp_path, 2), asset_ids=ids
    )
    assert [o.ok for o in result] == [True, True, False]
    assert isinstance(result[2].error, NotFoundError)
    assert result[2].asset_id == "asset_does_not_exist"


async def test_a_second_run_with_the_journal_sends_nothing_for_what_landed(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario
) -> None:
    paths = write_images(tmp_path, 12)
    ids = [fake.add_asset(make_png(2, 2, (i, 1, 1))).id for i in range(3)]
    journal = tmp_path / "upload.jsonl"
    first = await client.models.training_images.add_many(
        "m", paths[:8], asset_ids=ids, journal=journal
    )
    assert len(first.succeeded) == 11
    sent_before = len(fake.requests)
    second = await client.models.training_images.add_many(
        "m", paths, asset_ids=ids, journal=journal
    )
    assert [o.skipped for o in second] == [True] * 8 + [False] * 4 + [True] * 3
    assert second[0].training_image is not None and first[0].training_image is not None
    assert second[0].training_image.id == first[0].training_image.id
    assert second[0].training_image.name == "img-000.png"
    new_requests = fake.requests[sent_before:]
    # One read of the model to resume, then only the four images that had not landed.
    assert [r.method for r in new_requests] == ["GET", "POST", "POST", "POST", "POST"]
    assert all("data" in r.json for r in new_requests[1:])
    assert len(fake.training_images("m")) == 12 + 3
    third = await client.models.training_images.add_many("m", paths, journal=journal)
    assert len(third.skipped) == 12
    assert [r.method for r in fake.requests[sent_before + 5 :]] == ["GET"]


async def test_the_journal_is_per_model(tmp_path: Path, client: AsyncScenario) -> None:
    paths = write_images(tmp_path, 2)
    journal = tmp_path / "j.jsonl"
    await client.models.training_images.add_many("m1", paths, journal=journal)
    other = await client.models.training_images.add_many("m2", paths, journal=journal)
    assert other.skipped == []


async def test_a_torn_last_journal_line_is_ignored(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario
) -> None:
    paths = write_images(tmp_path, 3)
    journal = tmp_path / "j.jsonl"
    await client.models.training_images.add_many("m", paths[:2], journal=journal)
    with journal.open("a") as file:
        file.write('{"model": "m", "key": "sha')  # a crash mid-write
    again = await client.models.training_images.add_many("m", paths, journal=journal)
    assert [o.skipped for o in again] == [True, True, False]


async def test_images_are_read_ahead_of_sending_but_never_more_than_twice_the_slots(
    tmp_path: Path,
) -> None:
    paths = write_images(tmp_path, 20)
    finished = 0
    ahead: list[int] = []

    def on_progress(event: ProgressEvent) -> None:
        nonlocal finished
        if event.kind in ("item_done", "item_failed"):
            finished += 1

    def lazily() -> Iterator[Path]:
        for pulled, path in enumerate(paths, start=1):
            ahead.append(pulled - finished)
            yield path

    async with FakeScenario(latency=0.03, models=["m"]) as fake, fake.client() as client:
        result = await client.models.training_images.add_many(
            "m", lazily(), concurrency=3, on_progress=on_progress
        )
    assert result.counts()["sent"] == 20 and len(ahead) == 20
    # Ready images wait while 3 are in flight (so a freed slot sends at once), but at most
    # 3 in flight + 3 queued + 1 being read are ever held: the generator is not drained.
    assert 3 < max(ahead) <= 2 * 3 + 1


async def test_an_async_iterable_is_accepted(tmp_path: Path, client: AsyncScenario) -> None:
    paths = write_images(tmp_path, 5)

    async def produce() -> AsyncIterator[Path]:
        for path in paths:
            await asyncio.sleep(0)
            yield path

    result = await client.models.training_images.add_many("m", produce())
    assert [o.source for o in result] == paths and not result.failed


async def test_progress_events_tell_the_whole_story(tmp_path: Path, client: AsyncScenario) -> None:
    paths = write_images(tmp_path, 3)
    events: list[ProgressEvent] = []
    await client.models.training_images.add_many(
        "m", [*paths, tmp_path / "gone.png"], on_progress=events.append
    )
    assert events[0] == ProgressEvent("started", total=4)
    assert events[-1] == ProgressEvent("finished", total=4)
    done = [e for e in events if e.kind == "item_done"]
    assert sorted(e.index or 0 for e in done) == [0, 1, 2]
    assert all(e.bytes > 100 for e in done)
    (failed,) = [e for e in events if e.kind == "item_failed"]
    assert failed.index == 3 and isinstance(failed.error, FileNotFoundError)


async def test_via_assets_uploads_assets_then_attaches_them_in_batches(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    images = [Image.from_bytes(make_png(4, 4, (i, 2, 3)), name=f"{i}.png") for i in range(23)]
    result = await client.models.training_images.add_many(
        "m", images, via_assets=True, concurrency=4
    )
    uploads = [r for r in fake.requests if r.path == "/v1/assets"]
    batches = add_requests(fake)
    assert len(uploads) == 23
    assert sorted(len(b["assetIds"]) for b in batches) == [3, 10, 10]
    assert all(o.ok and o.asset_id for o in result)
    assert [o.source for o in result] == [f"<in memory #{i}: {i}.png>" for i in range(23)]
    assert len(fake.training_images("m")) == 23


async def test_cancelling_mid_flight_stops_fast_and_leaves_a_consistent_journal(
    tmp_path: Path,
) -> None:
    paths = write_images(tmp_path, 40)
    journal = tmp_path / "j.jsonl"
    with FakeScenario(latency=0.1, models=["m"]).serve_in_thread() as fake:
        client = fake.client()
        task = asyncio.create_task(
            client.models.training_images.add_many("m", paths, concurrency=4, journal=journal)
        )
        await asyncio.sleep(0.35)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 1.0
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
        await client.aclose()
        assert client.is_closed
        await asyncio.sleep(0.3)  # let the server finish what it had already received
        entries = [json.loads(line) for line in journal.read_text().splitlines()]
        lines = [entry for entry in entries if entry["op"] == "landed"]
        assert 0 < len(lines) < 40
        stored = {image.id for image in fake.training_images("m")}
        assert {line["id"] for line in lines} <= stored
        # Requests in flight at the cancel may still land unseen (at most `concurrency`):
        # the resumed run finds them on the model by name instead of sending them again.
        unseen = len(stored) - len(lines)
        assert 0 <= unseen <= 4
        async with fake.client() as again:
            rest = await again.models.training_images.add_many("m", paths, journal=journal)
        assert len(rest.skipped) == len(lines) + unseen
        assert not rest.failed
        assert sorted(i.name or "" for i in fake.training_images("m")) == [p.name for p in paths]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"concurrency": 0}, ValueError, "concurrency"),
        ({"concurrency": 10**6}, ValueError, "concurrency"),
        ({"concurrency": True}, TypeError, "concurrency"),
        ({"asset_ids": "asset_1"}, TypeError, "asset_ids"),
        ({"asset_ids": ["ok", ""]}, ValueError, r"asset_ids\[1\]"),
        ({"preset": "nope"}, ValueError, "preset"),
    ],
)
async def test_bad_bulk_arguments_are_refused_before_anything_is_sent(
    fake: FakeScenario,
    client: AsyncScenario,
    kwargs: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        await client.models.training_images.add_many("m", [], **kwargs)
    assert fake.requests == []


async def test_a_single_path_instead_of_a_list_is_refused(client: AsyncScenario) -> None:
    with pytest.raises(TypeError, match="iterable of images"):
        await client.models.training_images.add_many("m", "one.png")


def test_the_sync_twin_runs_add_many_with_a_callback(
    tmp_path: Path, fake_scenario: FakeScenario
) -> None:
    paths = write_images(tmp_path, 6)
    kinds: list[str] = []
    with fake_scenario.sync_client() as client:
        result = client.models.training_images.add_many(
            "m", paths, on_progress=lambda e: kinds.append(e.kind)
        )
    assert result.counts()["sent"] == 6
    assert kinds[0] == "started" and kinds[-1] == "finished" and kinds.count("item_done") == 6


async def test_original_assets_and_project_id_are_checked_before_anything_is_sent(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    with pytest.raises(TypeError, match="original_assets"):
        await client.models.training_images.add_many("m", [], original_assets="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="project_id"):
        await client.models.training_images.add_many("m", [], project_id="")
    assert fake.requests == []


async def test_batches_left_out_after_a_stop_report_each_of_their_asset_ids(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    ids = [fake.add_asset(make_png(2, 2, (i, 9, 9)), name=f"{i}.png").id for i in range(45)]

    def refused_from_now_on() -> Iterator[Path]:
        # Pulled once the model was read: every request after that is refused.
        fake.expected_authorization = "Basic refused"
        yield from ()

    with pytest.raises(BulkAbortedError) as info:
        await client.models.training_images.add_many(
            "m", refused_from_now_on(), asset_ids=ids, concurrency=1
        )
    result = info.value.result
    assert [o.index for o in result] == list(range(45))
    assert [o.asset_id for o in result] == ids
    assert [o.source for o in result] == ids
    assert [o.status for o in result] == ["failed"] * 10 + ["not_attempted"] * 35
    assert len(add_requests(fake)) == 1


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 767 * 1024 + 1, 3 * 2**18 + 2])
def test_a_progress_size_is_the_images_bytes_whatever_its_padding_and_pieces(size: int) -> None:
    """``item_done``'s ``bytes`` is read from the data URL's parts: its base64 length, less
    the padding found at the very end of the last piece."""
    from scenario_async.bulk import _image_size

    content = bytes(range(256)) * (size // 256) + bytes(size % 256)
    piece = 3 * 2**10  # whole pieces of a multiple of 3 bytes: no padding but the last's
    pieces = [content[i : i + piece] for i in range(0, len(content), piece)]
    parts = (b"data:image/png;base64,", *(base64.b64encode(p) for p in pieces))
    assert _image_size(parts) == size
