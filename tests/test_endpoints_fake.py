"""Every endpoint end to end against the embedded fake API, async and sync."""

from __future__ import annotations

import asyncio
import warnings

import pytest

from scenario_async import (
    AsyncScenario,
    BadRequestError,
    ConflictError,
    NotFoundError,
    Pair,
    Scenario,
)
from scenario_async.images import Image
from scenario_async.testing import FakeScenario
from scenario_async.types import JobStatus, ModelStatus, TrainingStage

from .conftest import PNG_DATA_URL


async def test_add_stores_the_image_and_answers_it(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    answer = await client.models.training_images.add(
        "model_x", data=PNG_DATA_URL, name="cat.png", preset="subject"
    )
    (stored,) = fake.training_images("model_x")
    assert answer.training_image.id == stored.id
    assert answer.training_image.name == "cat.png" and stored.preset == "subject"
    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", "/v1/models/model_x/training-images")
    assert request.json == {"data": PNG_DATA_URL, "name": "cat.png", "preset": "subject"}
    assert request.headers["Content-Type"] == "application/json"


async def test_an_image_over_a_mebibyte_arrives_whole_without_a_resource_warning(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    # aiohttp warns about bytes bodies over 1 MiB; such bodies go as a stream instead.
    content = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4096 + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    data_url = Image.from_bytes(content, name="big.png").data_url()
    assert len(data_url) > 2**20
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await client.models.training_images.add("m", data=data_url, name="big.png")
    (request,) = fake.requests
    assert request.json == {"data": data_url, "name": "big.png"}
    assert request.headers["Content-Type"] == "application/json"


async def test_assets_uploaded_then_added_in_batch_mode(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    assets = [
        (await client.assets.upload(image=PNG_DATA_URL, name=f"{i}.png")).asset for i in range(3)
    ]
    assert all(asset.mime_type == "image/png" for asset in assets)
    await client.models.training_images.add("m", asset_ids=[a.id or "" for a in assets])
    assert [image.asset_id for image in fake.training_images("m")] == [a.id for a in assets]


async def test_replace_changes_the_content_but_keeps_the_id(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    first = await client.models.training_images.add("m", data=PNG_DATA_URL, name="old.png")
    image_id = first.training_image.id or ""
    answer = await client.models.training_images.replace(
        image_id, model_id="m", data=PNG_DATA_URL, name="new.png"
    )
    assert answer.training_image.id == image_id
    assert [image.name for image in fake.training_images("m")] == ["new.png"]


async def test_replace_pairs_and_read_them_back_on_the_model(client: AsyncScenario) -> None:
    a = await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    b = await client.models.training_images.add("m", data=PNG_DATA_URL, name="b.png")
    pair = Pair(
        instruction="make it night", source_id=a.training_image.id, target_id=b.training_image.id
    )
    answer = await client.models.training_images.replace_pairs("m", body=[pair])
    assert answer.count == 1 and answer.pairs == [pair]
    model = (await client.models.retrieve("m")).model
    assert model.training_image_pairs == [pair]


async def test_pairs_must_name_training_images_of_the_model(client: AsyncScenario) -> None:
    await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    with pytest.raises(BadRequestError, match="must be a training asset"):
        await client.models.training_images.replace_pairs(
            "m", body=[{"source_id": "asset_unknown"}]
        )


async def test_delete_removes_the_image(fake: FakeScenario, client: AsyncScenario) -> None:
    added = await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    assert (
        await client.models.training_images.delete(added.training_image.id or "", model_id="m")
        == {}
    )
    assert fake.training_images("m") == []
    with pytest.raises(NotFoundError):
        await client.models.training_images.delete(added.training_image.id or "", model_id="m")


async def test_training_runs_from_queued_through_running_to_trained(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    started = await client.models.train.trigger("m", parameters={"max_train_steps": 100})
    assert started.job is not None and started.job.status is JobStatus.QUEUED
    assert started.model is not None and started.model.status is ModelStatus.TRAINING
    assert started.model.training_progress is not None
    assert started.model.training_progress.stage is TrainingStage.QUEUED_FOR_TRAIN
    assert fake.requests[-1].json == {"parameters": {"maxTrainSteps": 100}}
    with pytest.raises(ConflictError, match="training"):
        await client.models.training_images.add("m", data=PNG_DATA_URL, name="late.png")
    await asyncio.sleep(fake.queue_duration + fake.training_duration / 2)
    running = (await client.models.retrieve("m")).model
    assert running.training_progress is not None
    assert running.training_progress.stage is TrainingStage.RUNNING_TRAIN
    assert 0 < (running.training_progress.progress or 0) < 1
    await asyncio.sleep(fake.training_duration)
    done = (await client.models.retrieve("m")).model
    assert done.status is ModelStatus.TRAINED
    assert done.parameters is not None and done.parameters.max_train_steps == 100
    job = (await client.jobs.retrieve(started.job.job_id or "")).job
    assert job.status is JobStatus.SUCCESS and job.progress == 1
    assert [entry.status for entry in job.status_history or []][-1] == "success"


async def test_cancel_stops_a_running_training(client: AsyncScenario) -> None:
    await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    started = await client.models.train.trigger("m")
    canceled = await client.models.train.action("m", action="cancel")
    assert canceled.model.status is ModelStatus.TRAINING_CANCELED
    assert started.job is not None
    job = (await client.jobs.retrieve(started.job.job_id or "")).job
    assert job.status is JobStatus.CANCELED
    with pytest.raises(BadRequestError, match="not training"):
        await client.models.train.action("m")


async def test_dry_run_answers_269_with_the_cost_and_starts_nothing(
    client: AsyncScenario,
) -> None:
    # trainingImagesCount stands in for images a model does not have yet...
    estimate = await client.models.train.trigger("m", dry_run=True, training_images_count=4)
    assert estimate.creative_units_cost == 120 and estimate.job is None
    # ...and is ignored once it has some: the model's own count is used.
    await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    estimate = await client.models.train.trigger("m", dry_run=True, training_images_count=4)
    assert estimate.creative_units_cost == 105 and estimate.job is None
    assert (await client.models.retrieve("m")).model.status is ModelStatus.NEW


async def test_training_a_model_without_images_is_a_bad_request(client: AsyncScenario) -> None:
    await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    image = (await client.models.retrieve("m")).model.training_images or []
    await client.models.training_images.delete(image[0].id or "", model_id="m")
    with pytest.raises(BadRequestError, match="no training images"):
        await client.models.train.trigger("m")


async def test_unknown_models_are_not_found_for_reads(client: AsyncScenario) -> None:
    with pytest.raises(NotFoundError, match="model nope not found"):
        await client.models.retrieve("nope")


async def test_a_path_traversal_id_stays_inside_its_route(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    with pytest.raises(NotFoundError):
        await client.models.retrieve("../jobs/x")
    assert fake.requests[-1].path == "/v1/models/../jobs/x"  # one segment, decoded by the server


def test_every_endpoint_through_the_sync_client(fake_scenario: FakeScenario) -> None:
    with fake_scenario.sync_client() as client:
        added = client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
        image_id = added.training_image.id or ""
        asset = client.assets.upload(image=PNG_DATA_URL, name="b.png").asset
        client.models.training_images.add("m", asset_id=asset.id)
        replaced = client.models.training_images.replace(
            image_id, model_id="m", data=PNG_DATA_URL, name="c.png"
        )
        assert replaced.training_image.name == "c.png"
        pairs = client.models.training_images.replace_pairs(
            "m", body=[{"source_id": image_id, "instruction": "x"}]
        )
        assert pairs.count == 1
        ids = [image.id for image in client.models.retrieve("m").model.training_images or []]
        assert image_id in ids and len(ids) == 2
        started = client.models.train.trigger("m", parameters={"seed": 1})
        assert started.job is not None
        assert client.jobs.retrieve(started.job.job_id or "").job.job_id == started.job.job_id
        assert client.models.train.action("m").model.status == "training-canceled"
        client.models.training_images.delete(ids[1] or "", model_id="m")
    assert [r.method for r in fake_scenario.requests] == [
        "POST",
        "POST",
        "POST",
        "PUT",
        "PUT",
        "GET",
        "PUT",
        "GET",
        "POST",
        "DELETE",
    ]


def test_sync_client_is_typed_like_the_async_one(fake_scenario: FakeScenario) -> None:
    with fake_scenario.sync_client() as client:
        assert isinstance(client, Scenario)
        answer = client.models.retrieve
        assert answer.__name__ == "retrieve"
        assert "model with its training images" in (answer.__doc__ or "")
