"""The workflow endpoints at unit level (aioresponses): the request each call sends, field by
field, the answer it parses, pages followed, and bad arguments refused before sending."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aioresponses import aioresponses

from scenario_async import AsyncScenario, TrainingParameters
from scenario_async.types import CostEstimate, ModelStatus, UploadStatus

from .conftest import BASE, PNG_DATA_URL
from .test_endpoints_mocked import only_request, sent

MODEL = {"id": "model_1", "status": "new", "name": "Cats"}
JOB = {"jobId": "job_1", "status": "queued", "jobType": "assets-download"}
UPLOAD = {"id": "up_1", "status": "pending", "kind": "image", "fileName": "big.png"}


@pytest.fixture
def mock() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


async def test_create_sends_its_fields_in_camel_case_and_reads_the_model(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.post(f"{BASE}/models?projectId=p1", payload={"model": MODEL})
    answer = await mocked_client.models.create(
        name="Cats",
        type="flux.1-lora",
        short_description="cats in hats",
        class_slug="characters",
        collection_ids=["c1"],
        concepts=[{"model_id": "model_base", "scale": 0.8, "model_epoch": "000001"}],
        base_model_id="flux.1-dev",
        project_id="p1",
    )
    assert answer.model.id == "model_1" and answer.model.status is ModelStatus.NEW
    method, url, body = only_request(mock)
    assert (method, url) == ("POST", f"{BASE}/models?projectId=p1")
    assert body == {
        "name": "Cats",
        "type": "flux.1-lora",
        "shortDescription": "cats in hats",
        "classSlug": "characters",
        "collectionIds": ["c1"],
        "concepts": [{"modelId": "model_base", "scale": 0.8, "modelEpoch": "000001"}],
        "baseModelId": "flux.1-dev",
    }


async def test_list_follows_the_pagination_token_one_page_at_a_time(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    first = f"{BASE}/models?pageSize=2&status=trained&types=flux.1-lora,custom"
    mock.get(
        first, payload={"models": [MODEL, {**MODEL, "id": "model_2"}], "nextPaginationToken": "t2"}
    )
    mock.get(f"{first}&paginationToken=t2", payload={"models": [{**MODEL, "id": "model_3"}]})
    listed = mocked_client.models.list(
        status="trained", types=["flux.1-lora", "custom"], page_size=2
    )
    seen = []
    async for model in listed:
        seen.append(model.id)
        if len(seen) == 1:
            assert len(sent(mock)) == 1  # nothing read ahead
    assert seen == ["model_1", "model_2", "model_3"]
    urls = [url for _, url, _, _ in sent(mock)]
    assert urls == [  # as aioresponses records them: the comma was sent as %2C
        f"{BASE}/models?pageSize=2&status=trained&types=flux.1-lora,custom",
        f"{BASE}/models?pageSize=2&paginationToken=t2&status=trained&types=flux.1-lora,custom",
    ]


async def test_list_pages_give_the_token_and_resume_from_one(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.get(
        f"{BASE}/jobs?paginationToken=t5", payload={"jobs": [JOB], "nextPaginationToken": "t6"}
    )
    mock.get(f"{BASE}/jobs?paginationToken=t6", payload={"jobs": []})
    tokens = [
        page.next_pagination_token
        async for page in mocked_client.jobs.list_pages(pagination_token="t5")
    ]
    assert tokens == ["t6", None]


async def test_a_page_token_that_comes_back_ends_the_list_with_an_error(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.get(f"{BASE}/jobs", payload={"jobs": [JOB], "nextPaginationToken": "same"})
    mock.get(
        f"{BASE}/jobs?paginationToken=same",
        payload={"jobs": [JOB], "nextPaginationToken": "same"},
        repeat=True,
    )
    from scenario_async import APIResponseValidationError

    with pytest.raises(APIResponseValidationError, match="came back twice"):
        async for _ in mocked_client.jobs.list():
            pass
    assert len(sent(mock)) == 2  # the first page, then the one that names itself again


async def test_retrieve_update_restore_copy_and_delete_send_what_they_say(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    models = mocked_client.models
    mock.get(f"{BASE}/models/model_1?originalAssets=true", payload={"model": MODEL})
    mock.put(f"{BASE}/models/model_1", payload={"model": {**MODEL, "name": "Dogs"}})
    mock.post(f"{BASE}/models/model_1/restore", payload={"model": MODEL})
    mock.post(f"{BASE}/models/model_1/copy", payload={"model": {**MODEL, "id": "model_9"}})
    mock.delete(f"{BASE}/models/model_1", status=200, body="")
    mock.delete(f"{BASE}/models/model_1/images", status=200, body="")
    assert (await models.retrieve("model_1", original_assets=True)).model.id == "model_1"
    updated = await models.update(
        "model_1",
        name="Dogs",
        parameters=TrainingParameters(max_train_steps=300),
        thumbnail="asset_t",
    )
    assert updated.model.name == "Dogs"
    assert (await models.restore("model_1")).model.id == "model_1"
    assert (
        await models.copy("model_1", copy_as_trained=True, copy_examples=False)
    ).model.id == "model_9"
    await models.delete("model_1")
    await models.delete_images("model_1", ids=["asset_a", "asset_b"])
    bodies = [(method, body) for method, _, body, _ in sent(mock)]
    assert bodies == [
        ("GET", None),
        ("PUT", {"name": "Dogs", "thumbnail": "asset_t", "parameters": {"maxTrainSteps": 300}}),
        ("POST", None),
        ("POST", {"copyAsTrained": True, "copyExamples": False}),
        ("DELETE", None),
        ("DELETE", {"ids": ["asset_a", "asset_b"]}),
    ]


async def test_a_delete_whose_answer_was_lost_and_whose_retry_meets_404_succeeded(
    mock: aioresponses, credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("scenario_async._wire.retry_delay", lambda *a, **k: 0.0)
    mock.delete(f"{BASE}/models/model_1", status=503)  # it may have deleted the model
    mock.delete(f"{BASE}/models/model_1", status=404, payload={"message": "not found"})
    async with AsyncScenario(max_retries=1) as client:
        await client.models.delete("model_1")  # raises unless the 404 is taken as done
    assert len(sent(mock)) == 2


async def test_download_starts_a_job_or_a_dry_run_gives_its_cost(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.post(f"{BASE}/models/model_1/download", payload={"jobId": "job_7"})
    mock.post(
        f"{BASE}/models/model_1/download?dryRun=true",
        payload={"creativeUnitsCost": 12},
        status=269,
    )
    started = await mocked_client.models.download("model_1", model_epoch="000003")
    assert started.job_id == "job_7"
    estimate = await mocked_client.models.download("model_1", dry_run=True)
    assert isinstance(estimate, CostEstimate) and estimate.creative_units_cost == 12
    assert [body for _, _, body, _ in sent(mock)] == [{"modelEpoch": "000003"}, {}]


async def test_the_training_dataset_score_is_read(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.get(
        f"{BASE}/models/model_1/scores/training-dataset",
        payload={"modelId": "model_1", "score": 0.82, "status": "complete"},
    )
    score = await mocked_client.models.scores.retrieve_training_dataset("model_1")
    assert (score.model_id, score.score, score.status) == ("model_1", 0.82, "complete")


async def test_jobs_are_listed_read_and_cancelled(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.get(
        f"{BASE}/jobs?hideResults=false&status=queued&type=assets-download", payload={"jobs": [JOB]}
    )
    mock.get(f"{BASE}/jobs/job_1", payload={"job": JOB})
    mock.post(f"{BASE}/jobs/job_1/action", payload={"job": {**JOB, "status": "canceled"}})
    listed = [
        job.job_id
        async for job in mocked_client.jobs.list(
            status="queued", type="assets-download", hide_results=False
        )
    ]
    assert listed == ["job_1"]
    assert (await mocked_client.jobs.retrieve("job_1")).job.job_id == "job_1"
    cancelled = await mocked_client.jobs.trigger_action("job_1", action="cancel")
    assert cancelled.job.status == "canceled"
    assert sent(mock)[-1][2] == {"action": "cancel"}


async def test_assets_are_read_and_a_canvas_uploaded(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    asset = {"id": "asset_1", "mimeType": "image/png"}
    mock.get(
        f"{BASE}/assets/asset_1?withEmbedding=true&withQualityGateDetails=true",
        payload={"asset": asset},
    )
    mock.post(f"{BASE}/assets?originalAssets=true", payload={"asset": asset})
    read = await mocked_client.assets.retrieve(
        "asset_1", with_embedding=True, with_quality_gate_details=True
    )
    assert read.asset.id == "asset_1"
    thumbnail = PNG_DATA_URL
    await mocked_client.assets.upload(
        name="board", canvas='{"layers": []}', thumbnail=thumbnail, original_assets=True
    )
    assert sent(mock)[-1][2] == {
        "name": "board",
        "canvas": '{"layers": []}',
        "thumbnail": thumbnail,
    }


async def test_uploads_are_created_completed_and_read(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    parts = [{"number": 1, "url": "https://storage/p1"}, {"number": 2, "url": "https://storage/p2"}]
    mock.post(f"{BASE}/uploads", payload={"upload": {**UPLOAD, "parts": parts}})
    mock.post(f"{BASE}/uploads/up_1/action", payload={"upload": {**UPLOAD, "status": "validating"}})
    mock.get(
        f"{BASE}/uploads/up_1",
        payload={"upload": {**UPLOAD, "status": "imported", "entityId": "asset_5"}},
    )
    created = await mocked_client.uploads.create(
        kind="image",
        file_name="big.png",
        content_type="image/png",
        file_size=12_000_000,
        parts=2,
        asset_options={"hide": True, "collection_ids": ["c1"]},
    )
    assert [p.url for p in created.upload.parts or []] == [
        "https://storage/p1",
        "https://storage/p2",
    ]
    await mocked_client.uploads.trigger_action("up_1", action="complete")
    done = await mocked_client.uploads.retrieve("up_1")
    assert done.upload.status is UploadStatus.IMPORTED and done.upload.entity_id == "asset_5"
    bodies = [body for _, _, body, _ in sent(mock)]
    assert bodies[0] == {
        "kind": "image",
        "fileName": "big.png",
        "contentType": "image/png",
        "fileSize": 12_000_000,
        "parts": 2,
        "assetOptions": {"collectionIds": ["c1"], "hide": True},
    }
    assert bodies[1] == {"action": "complete"}


BAD_CALLS: list[tuple[str, Any, type[Exception], str]] = [
    ("create type", lambda c: c.models.create(type="flux.9"), ValueError, "type must be one of"),
    (
        "create concepts",
        lambda c: c.models.create(concepts=[{"model_id": "m"}]),
        TypeError,
        r"concepts\[0\]\['scale'\]",
    ),
    ("list status", lambda c: c.models.list(status="bogus"), ValueError, "status must be one of"),
    (
        "list page size",
        lambda c: c.models.list(page_size=501),
        ValueError,
        "page_size must be an integer from 1 to 500",
    ),
    (
        "jobs page size",
        lambda c: c.jobs.list(page_size=0),
        ValueError,
        "page_size must be an integer from 1 to 100",
    ),
    ("jobs types", lambda c: c.jobs.list(types="inference"), TypeError, "types must be a list"),
    ("update id", lambda c: c.models.update(""), ValueError, "model_id must be a non-empty string"),
    (
        "copy flag",
        lambda c: c.models.copy("m", copy_as_trained="yes"),
        TypeError,
        "copy_as_trained must be a bool",
    ),
    (
        "download dry run",
        lambda c: c.models.download("m", dry_run="maybe"),
        ValueError,
        "dry_run must be one of",
    ),
    (
        "delete images",
        lambda c: c.models.delete_images("m", ids="asset_a"),
        TypeError,
        "ids must be a list",
    ),
    (
        "job action",
        lambda c: c.jobs.trigger_action("j", action="pause"),
        ValueError,
        "action must be one of 'cancel'",
    ),
    ("upload kind", lambda c: c.uploads.create(kind="zip"), ValueError, "kind must be one of"),
    (
        "upload parts",
        lambda c: c.uploads.create(kind="image", file_name="a.png"),
        ValueError,
        "file_name, content_type, file_size and parts",
    ),
    (
        "upload action",
        lambda c: c.uploads.trigger_action("u", action="abort"),
        ValueError,
        "action must be one of 'complete'",
    ),
    (
        "asset nothing",
        lambda c: c.assets.upload(name="x"),
        ValueError,
        "image or canvas is required",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"), [b[1:] for b in BAD_CALLS], ids=[b[0] for b in BAD_CALLS]
)
async def test_bad_arguments_are_refused_before_anything_is_sent(
    mock: aioresponses,
    mocked_client: AsyncScenario,
    call: Any,
    error: type[Exception],
    message: str,
) -> None:

    async def attempt() -> None:
        result = call(mocked_client)  # a list checks its arguments when called
        await (result.__anext__() if hasattr(result, "__anext__") else result)

    with pytest.raises(error, match=message):
        await attempt()
    assert sent(mock) == []


def test_the_sync_client_iterates_a_paginated_list_with_a_plain_for(mock: aioresponses) -> None:
    from scenario_async import Scenario

    mock.get(f"{BASE}/models", payload={"models": [MODEL], "nextPaginationToken": "t2"})
    mock.get(f"{BASE}/models?paginationToken=t2", payload={"models": [{**MODEL, "id": "model_2"}]})
    with Scenario(api_key="k", api_secret="s", max_retries=0) as client:
        assert [model.id for model in client.models.list()] == ["model_1", "model_2"]
