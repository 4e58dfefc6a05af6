"""The workflow calls of the SDK against the fake API: what each one does to the service, and
what comes back (the requests themselves are checked field by field in
test_workflow_mocked.py)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from scenario_async import NotFoundError, Scenario
from scenario_async.testing import FakeScenario, make_png
from scenario_async.types import ModelStatus, UploadStatus

from .conftest import PNG_DATA_URL


async def test_a_model_is_created_changed_copied_deleted_and_restored() -> None:
    async with FakeScenario() as fake, fake.client() as client:
        model = (await client.models.create(name="Cats", type="flux.1-lora")).model
        assert model.status is ModelStatus.NEW and model.name == "Cats"
        await client.models.training_images.add(model.id, data=PNG_DATA_URL, name="a.png")
        renamed = await client.models.update(model.id, name="Cats in hats")
        assert renamed.model.name == "Cats in hats"
        copy = (await client.models.copy(model.id)).model
        assert copy.id != model.id
        await client.models.delete(model.id)
        with pytest.raises(NotFoundError):
            await client.models.retrieve(model.id)
        restored = await client.models.restore(model.id)
        assert restored.model.id == model.id
        names = {m.name async for m in client.models.list()}
    assert "Cats in hats" in names and len(names) >= 1


async def test_a_trained_model_is_scored_downloaded_and_its_images_deleted() -> None:
    async with FakeScenario() as fake, fake.client() as client:
        model = fake.add_model(trained=True)
        score = await client.models.scores.retrieve_training_dataset(model.id)
        assert score.model_id == model.id and score.score is not None
        estimate = await client.models.download(model.id, dry_run=True)
        assert estimate.creative_units_cost is not None
        started = await client.models.download(model.id)
        for _ in range(100):
            job = (await client.jobs.retrieve(started.job_id)).job
            if job.status == "success":
                break
            await asyncio.sleep(0.05)
        output = job.metadata.output if job.metadata else None
        assert job.status == "success" and isinstance(output, dict) and output["url"]
        held = (await client.models.retrieve(model.id)).model.training_images or []
        asset_ids = [image.id for image in held]
        await client.models.delete_images(model.id, ids=asset_ids)
        left = (await client.models.retrieve(model.id)).model.training_images or []
    assert asset_ids and left == []


async def test_jobs_are_listed_page_by_page_and_an_inference_is_cancelled() -> None:
    async with FakeScenario() as fake, fake.client() as client:
        made = [fake.add_job("inference").job_id for _ in range(5)]
        pages = [page async for page in client.jobs.list_pages(page_size=2)]
        assert [len(page.jobs) for page in pages] == [2, 2, 1]
        assert {job.job_id for page in pages for job in page.jobs} == set(made)
        cancelled = await client.jobs.trigger_action(made[0], action="cancel")
    assert cancelled.job.status == "canceled"


async def test_an_upload_in_parts_becomes_an_asset_a_model_can_train_on() -> None:
    content = make_png(64, 64, (10, 20, 30))
    half = len(content) // 2
    async with FakeScenario(models=["m"]) as fake, fake.client() as client:
        upload = (
            await client.uploads.create(
                kind="image",
                file_name="big.png",
                content_type="image/png",
                file_size=len(content),
                parts=2,
            )
        ).upload
        assert upload.parts is not None and len(upload.parts) == 2
        async with aiohttp.ClientSession() as storage:  # raw bytes, no API credentials
            for part, piece in zip(upload.parts, (content[:half], content[half:]), strict=True):
                assert part.url is not None
                async with storage.put(part.url, data=piece) as answer:
                    assert answer.status < 300
        await client.uploads.trigger_action(upload.id, action="complete")
        for _ in range(100):
            done = (await client.uploads.retrieve(upload.id)).upload
            if done.status in (UploadStatus.IMPORTED, UploadStatus.VALIDATED, UploadStatus.FAILED):
                break
            await asyncio.sleep(0.05)
        assert done.status in (UploadStatus.IMPORTED, UploadStatus.VALIDATED)
        assert done.entity_id is not None
        asset = (await client.assets.retrieve(done.entity_id)).asset
        assert asset.id == done.entity_id
        added = await client.models.training_images.add("m", asset_id=done.entity_id)
    assert added.training_image.id
    assert all("Authorization" not in r.headers for r in fake.storage_requests)


def test_the_sync_client_lists_models_with_a_plain_for() -> None:
    seeded = [f"m{i}" for i in range(7)]
    with FakeScenario(models=seeded).serve_in_thread() as fake, fake.sync_client() as client:
        assert isinstance(client, Scenario)
        ids = [model.id for model in client.models.list(page_size=3)]
        pages = [r for r in fake.requests if r.path == "/v1/models"]
    assert sorted(ids) == seeded and len(pages) == 3  # three pages of 3, 3 and 1
