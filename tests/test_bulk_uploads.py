"""``add_many(via="uploads")`` and ``via="auto"``: image files go through ``/uploads`` in raw
parts, then are attached in batches of ten, with the identity and journal guarantees of a
direct add. The upload engine itself is tested in test_multipart.py; here, its place in
add_many: which inputs take it, what is sent, what a resumed run skips, and what a file
that changes or is cut short does."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from scenario_async import AsyncScenario, _multipart, bulk
from scenario_async._multipart import FileChangedError
from scenario_async.bulk import UPLOADS_ABOVE, ProgressEvent
from scenario_async.images import Image, TruncatedImageError
from scenario_async.testing import FakeScenario

from .test_bulk_memory import big_png


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def write(folder: Path, name: str, seed: int, payload: int = 4096) -> Path:
    path = folder / name
    path.write_bytes(big_png(seed, payload=payload))
    return path


def upload_requests(fake: FakeScenario) -> list[str]:
    return [r.path for r in fake.requests if r.path.startswith("/v1/uploads")]


async def test_files_go_in_parts_and_are_attached_in_batches_of_ten(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario
) -> None:
    files = [write(tmp_path, f"f{i}.png", i) for i in range(12)]
    memory = Image.from_bytes(big_png(99), name="mem.png")
    events: list[ProgressEvent] = []

    result = await client.models.training_images.add_many(
        "m", [*files, memory], via="uploads", on_progress=events.append
    )

    assert [o.status for o in result] == ["sent"] * 13
    assert all(o.asset_id for o in result[:12]) and result[12].training_image is not None
    stored = {i.name: i.sha256 for i in fake.training_images("m")}
    assert stored == {
        **{f.name: sha256(f.read_bytes()) for f in files},
        "mem.png": sha256(memory.read()),
    }
    assert sum(1 for p in upload_requests(fake) if p == "/v1/uploads") == 12
    assert len(fake.storage_requests) == 12  # one part each: small files
    assert all("Authorization" not in r.headers for r in fake.storage_requests)
    adds = [r.json for r in fake.requests if r.path == "/v1/models/m/training-images"]
    batches = [len(a["assetIds"]) for a in adds if "assetIds" in a]
    assert batches == [10, 2]
    assert [a["name"] for a in adds if "data" in a] == ["mem.png"]  # in memory: a data URL
    done = {e.index: e.bytes for e in events if e.kind == "item_done"}
    assert done[0] == files[0].stat().st_size  # file bytes, not base64 bytes


async def test_auto_sends_only_files_over_the_threshold_in_parts(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario
) -> None:
    large = write(tmp_path, "large.png", 1, payload=UPLOADS_ABOVE + 1024)
    small = write(tmp_path, "small.png", 2)

    result = await client.models.training_images.add_many("m", [large, small])

    assert [o.status for o in result] == ["sent", "sent"]
    assert result[0].asset_id is not None and result[1].training_image is not None
    assert upload_requests(fake).count("/v1/uploads") == 1
    stored = {i.name: i.sha256 for i in fake.training_images("m")}
    assert stored == {
        "large.png": sha256(large.read_bytes()),
        "small.png": sha256(small.read_bytes()),
    }


async def test_a_resumed_run_attaches_completed_uploads_without_sending_them_again(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [write(tmp_path, f"r{i}.png", i) for i in range(3)]
    journal = tmp_path / "run.journal"

    async def killed(self: Any, items: Any) -> None:  # the process dies before attaching
        raise asyncio.CancelledError

    with monkeypatch.context() as patch:
        patch.setattr(bulk._Run, "attach", killed)
        with pytest.raises(asyncio.CancelledError):
            await client.models.training_images.add_many("m", files, via="uploads", journal=journal)
    assert fake.training_images("m") == []
    uploads_before, parts_before = len(upload_requests(fake)), len(fake.storage_requests)

    result = await client.models.training_images.add_many(
        "m", files, via="uploads", journal=journal
    )

    assert [o.status for o in result] == ["sent"] * 3
    assert len(upload_requests(fake)) == uploads_before  # nothing uploaded again
    assert len(fake.storage_requests) == parts_before
    assert sorted(str(i.name) for i in fake.training_images("m")) == ["r0.png", "r1.png", "r2.png"]

    again = await client.models.training_images.add_many("m", files, via="uploads", journal=journal)
    assert [o.status for o in again] == ["already_there"] * 3
    assert len(fake.training_images("m")) == 3


class Killed(BaseException):
    """The process dying: nothing of the run goes on after it."""


async def killed_while_validating(
    client: AsyncScenario, path: Path, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run of ``path`` by uploads whose process dies while the service validates the
    completed upload (its wait cut)."""

    async def killed(*args: Any, **kwargs: Any) -> str:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(_multipart, "wait_for_upload", killed)
        with pytest.raises(Killed):
            await client.models.training_images.add_many(
                "m", [path], via="uploads", journal=journal
            )


def upload_creations(fake: FakeScenario) -> int:
    return sum(1 for r in fake.requests if r.method == "POST" and r.path == "/v1/uploads")


async def test_a_resumed_run_waits_for_an_upload_completed_before_it_stopped(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run stopped while the service validated its completed upload: the next run finds
    the upload in the journal and attaches its asset, sending no part again."""
    path = write(tmp_path, "v.png", 3)
    journal = tmp_path / "run.journal"
    await killed_while_validating(client, path, journal, monkeypatch)
    assert fake.training_images("m") == []
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    (completed,) = [line for line in lines if line.get("op") == "completed"]
    assert completed["name"] == "v.png" and completed["upload"] in fake.state.uploads
    creations, parts = upload_creations(fake), len(fake.storage_requests)
    assert creations == 1 and parts >= 1

    events: list[ProgressEvent] = []
    result = await client.models.training_images.add_many(
        "m", [path], via="uploads", journal=journal, on_progress=events.append
    )

    assert [o.status for o in result] == ["sent"]
    assert result[0].asset_id == fake.state.uploads[completed["upload"]].entity_id
    assert upload_creations(fake) == creations  # no upload made again
    assert len(fake.storage_requests) == parts  # no part sent again
    assert [str(i.name) for i in fake.training_images("m")] == ["v.png"]
    assert [e.bytes for e in events if e.kind == "item_done"] == [0]  # nothing sent now


async def test_a_completed_upload_the_service_no_longer_has_is_uploaded_again(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload the journal names is gone (404): the file is uploaded anew, and attached
    once."""
    path = write(tmp_path, "gone.png", 7)
    journal = tmp_path / "run.journal"
    await killed_while_validating(client, path, journal, monkeypatch)
    fake.state.uploads.clear()

    result = await client.models.training_images.add_many(
        "m", [path], via="uploads", journal=journal
    )

    assert [o.status for o in result] == ["sent"]
    assert upload_creations(fake) == 2
    assert [str(i.name) for i in fake.training_images("m")] == ["gone.png"]
    again = await client.models.training_images.add_many(
        "m", [path], via="uploads", journal=journal
    )
    assert [o.status for o in again] == ["already_there"]
    assert upload_creations(fake) == 2


async def test_a_resumed_wait_that_runs_out_again_keeps_the_upload_for_the_next_run(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service is still validating the upload a stopped run completed, past the resumed
    run's wait: that item fails with UploadTimeoutError, nothing is uploaded again, and the
    journal keeps the upload, whose asset the next run attaches once validated."""
    path = write(tmp_path, "slow.png", 11)
    journal = tmp_path / "run.journal"
    await killed_while_validating(client, path, journal, monkeypatch)
    ((upload_id, upload),) = fake.state.uploads.items()
    upload.validation_duration = 3600.0  # still validating for the whole resumed run
    creations, parts = upload_creations(fake), len(fake.storage_requests)

    def short_wait(*args: Any, **kwargs: Any) -> Any:
        return _multipart.wait_for_upload(*args, **kwargs, poll_interval=0.01, max_wait=0.05)

    with monkeypatch.context() as patch:
        patch.setattr(bulk, "wait_for_upload", short_wait)
        resumed = await client.models.training_images.add_many(
            "m", [path], via="uploads", journal=journal
        )

    (outcome,) = resumed
    assert outcome.status == "failed" and isinstance(outcome.error, _multipart.UploadTimeoutError)
    assert outcome.error.upload_id == upload_id
    assert (upload_creations(fake), len(fake.storage_requests)) == (creations, parts)
    assert fake.training_images("m") == []
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [line["upload"] for line in lines if line.get("op") == "completed"] == [upload_id]

    upload.validation_duration = 0.0  # the service is done validating
    last = await client.models.training_images.add_many("m", [path], via="uploads", journal=journal)

    assert [o.status for o in last] == ["sent"]
    assert last[0].asset_id == fake.state.uploads[upload_id].entity_id
    assert (upload_creations(fake), len(fake.storage_requests)) == (creations, parts)
    assert [str(i.name) for i in fake.training_images("m")] == ["slow.png"]


async def test_a_file_changed_after_it_was_hashed_is_not_uploaded(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    changing = write(tmp_path, "changing.png", 1)
    steady = write(tmp_path, "steady.png", 2)
    original = Image.file_identity

    def then_changed(self: Image) -> Any:
        identity = original(self)
        if self.name == "changing.png":
            with open(changing, "ab") as file:
                file.write(b"appended later")
        return identity

    monkeypatch.setattr(Image, "file_identity", then_changed)

    result = await client.models.training_images.add_many("m", [changing, steady], via="uploads")

    assert [o.status for o in result] == ["failed", "sent"]
    assert isinstance(result[0].error, FileChangedError)
    assert [i.name for i in fake.training_images("m")] == ["steady.png"]
    completes = [r for r in fake.requests if r.path.endswith("/action")]
    assert len(completes) == 1  # only the steady file's upload was completed


async def test_a_cut_file_fails_before_any_upload_request(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario
) -> None:
    cut = tmp_path / "cut.png"
    cut.write_bytes(big_png(1, payload=64 * 1024)[:-30])

    result = await client.models.training_images.add_many("m", [cut], via="uploads")

    assert isinstance(result[0].error, TruncatedImageError)
    assert upload_requests(fake) == [] and fake.storage_requests == []


async def test_the_same_file_twice_is_uploaded_once(
    tmp_path: Path, fake: FakeScenario, client: AsyncScenario
) -> None:
    path = write(tmp_path, "twice.png", 5)

    result = await client.models.training_images.add_many("m", [path, path], via="uploads")

    assert [o.status for o in result] == ["sent", "duplicate"]
    assert upload_requests(fake).count("/v1/uploads") == 1
    assert len(fake.training_images("m")) == 1


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"via": "ftp"}, "via"),
        ({"via": "uploads", "via_assets": True}, "via_assets"),
        ({"via_assets": "yes"}, "via_assets"),
    ],
)
async def test_a_bad_route_is_refused_before_any_request(
    fake: FakeScenario, client: AsyncScenario, kwargs: dict[str, Any], says: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=says):
        await client.models.training_images.add_many("m", [], **kwargs)
    assert fake.requests == []
