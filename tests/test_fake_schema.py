"""The fake API answers as the service publishes: a whole training workflow driven through
every endpoint with plain HTTP, each answer validated against the published JSON Schema of
its endpoint (copied in tests/data/schemas) by ``RawApi``."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from scenario_async.testing import FakeScenario, make_gif, make_jpeg, make_png, make_webp

from .conftest import ENDPOINTS, SCHEMAS, RawApi, schema_file


def data_url(content: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode()


async def until(check: Callable[[], Awaitable[Any]], seconds: float = 5.0) -> Any:
    """``check()``'s first true result, asked every 20 ms for up to ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await check()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.02)


def test_every_published_schema_belongs_to_an_endpoint_of_the_fake() -> None:
    files = {path.name for path in SCHEMAS.glob("*.schema.json")}
    named = {schema_file(method, path).name for method, path in ENDPOINTS}
    assert files <= named
    assert len(ENDPOINTS) == 24 and len(named - files) == 3  # the three DELETEs have none


async def test_a_whole_workflow_through_every_endpoint_fits_the_published_schemas(
    fake: FakeScenario, raw_api: RawApi
) -> None:
    api = raw_api
    fake.validation_duration = 0.05

    # A model, made and read.
    created = await api(
        "POST",
        "/models",
        body={
            "name": "Cats",
            "type": "flux.1-lora",
            "shortDescription": "cats",
            "collectionIds": [],
        },
        params={"originalAssets": "false"},
    )
    model_id = created["model"]["id"]
    assert created["model"]["status"] == "new" and created["model"]["trainingImagesNumber"] == 0
    await api("GET", "/models/{modelId}", modelId=model_id, params={"originalAssets": "true"})

    # Images: as data, from assets one by one and in a batch, in every type the service takes.
    asset = (await api("POST", "/assets", body={"image": data_url(make_png()), "name": "a.png"}))[
        "asset"
    ]
    assert (await api("GET", "/assets/{assetId}", assetId=asset["id"]))["asset"] == asset
    others = [
        (await api("POST", "/assets", body={"image": base64.b64encode(c).decode(), "name": n}))[
            "asset"
        ]
        for c, n in ((make_jpeg(), "b.jpg"), (make_gif(), "c.gif"), (make_webp(), "d.webp"))
    ]
    assert [a["mimeType"] for a in others] == ["image/jpeg", "image/gif", "image/webp"]
    images = "/models/{modelId}/training-images"
    first = await api(
        "POST", images, modelId=model_id, body={"data": data_url(make_png(color=(1, 2, 3)))}
    )
    await api("POST", images, modelId=model_id, body={"assetId": asset["id"], "preset": "style"})
    await api("POST", images, modelId=model_id, body={"assetIds": [a["id"] for a in others]})
    image_id = first["trainingImage"]["id"]
    await api(
        "PUT",
        images + "/{trainingImageId}",
        modelId=model_id,
        trainingImageId=image_id,
        body={"data": data_url(make_png(color=(3, 2, 1))), "name": "again.png"},
    )
    model = (await api("GET", "/models/{modelId}", modelId=model_id))["model"]
    ids = [image["id"] for image in model["trainingImages"]]
    assert len(ids) == 5 and ids[0] == image_id
    pairs = [{"sourceId": ids[0], "targetId": ids[1], "instruction": "at night"}]
    assert (await api("PUT", images + "/pairs", modelId=model_id, body=pairs))["count"] == 1
    await api(
        "PUT",
        "/models/{modelId}",
        modelId=model_id,
        body={"name": "Night cats", "parameters": {"nbEpochs": 3, "futureKnob": [1]}},
    )
    score = await api("GET", "/models/{modelId}/scores/training-dataset", modelId=model_id)
    assert score["modelId"] == model_id and score["status"] == "complete"

    # Training: a dry run, then the run, followed to its end.
    train = "/models/{modelId}/train"
    estimate = await api(
        "PUT", train, modelId=model_id, status=269, params={"dryRun": "true"}, body={}
    )
    started = await api(
        "PUT", train, modelId=model_id, body={"parameters": {"nbEpochs": 3, "seed": 7}}
    )
    assert started["creativeUnitsCost"] == estimate["creativeUnitsCost"]
    job_id = started["job"]["jobId"]

    async def trained() -> dict[str, Any] | None:
        answer = await api("GET", "/models/{modelId}", modelId=model_id)
        return answer["model"] if answer["model"]["status"] == "trained" else None

    model = await until(trained)
    assert len(model["epochs"]) == 3 and model["trainingProgress"]["progress"] == 1
    job = (await api("GET", "/jobs/{jobId}", jobId=job_id))["job"]
    assert job["status"] == "success"
    assert [e["status"] for e in job["statusHistory"]] == ["queued", "in-progress", "success"]

    # The weights: a dry run, then a download job whose output links the file.
    download = "/models/{modelId}/download"
    epoch = model["epochs"][0]["epoch"]
    await api("POST", download, modelId=model_id, status=269, params={"dryRun": "api"})
    download_job = (await api("POST", download, modelId=model_id, body={"modelEpoch": epoch}))[
        "jobId"
    ]

    async def downloaded() -> dict[str, Any] | None:
        job = (await api("GET", "/jobs/{jobId}", jobId=download_job))["job"]
        return job if job["status"] == "success" else None

    output = (await until(downloaded))["metadata"]["output"]
    async with aiohttp.ClientSession() as storage, storage.get(output["url"]) as answer:
        assert answer.status == 200 and epoch in (await answer.text())

    # The trained model's epoch and thumbnail chosen; a composition made of it.
    chosen = await api(
        "PUT",
        "/models/{modelId}",
        modelId=model_id,
        body={"epoch": epoch, "thumbnail": asset["id"]},
    )
    assert chosen["model"]["epoch"] == epoch
    assert chosen["model"]["thumbnail"]["assetId"] == asset["id"]
    concepts = [{"modelId": model_id, "scale": 0.8, "modelEpoch": epoch}]
    composition = await api(
        "POST", "/models", body={"type": "flux.1-composition", "concepts": concepts}
    )
    assert composition["model"]["concepts"] == concepts

    # A copy of the trained model, then its example image deleted.
    copy = (
        await api("POST", "/models/{modelId}/copy", modelId=model_id, body={"copyAsTrained": True})
    )["model"]
    assert copy["id"] != model_id and copy["status"] == "trained"
    assert copy["trainingImagesNumber"] == 5 and copy["exampleAssetIds"] == model["exampleAssetIds"]
    await api(
        "DELETE",
        "/models/{modelId}/images",
        modelId=copy["id"],
        body={"ids": copy["exampleAssetIds"]},
    )
    copied = (await api("GET", "/models/{modelId}", modelId=copy["id"]))["model"]
    assert copied["exampleAssetIds"] == [] and len(copied["trainingImages"]) == 5

    # Another run, canceled; an inference job, canceled through the jobs endpoint.
    other = (await api("POST", "/models", body={}))["model"]["id"]
    await api("POST", images, modelId=other, body={"assetId": asset["id"]})
    fake.training_duration = 30.0
    await api("PUT", train, modelId=other, body={})
    canceled = await api(
        "POST", "/models/{modelId}/train/action", modelId=other, body={"action": "cancel"}
    )
    assert canceled["model"]["status"] == "training-canceled"
    inference = fake.add_job()
    stopped = await api(
        "POST", "/jobs/{jobId}/action", jobId=inference.job_id, body={"action": "cancel"}
    )
    assert stopped["job"]["status"] == "canceled"

    # Lists, page by page.
    listed, token = [], None
    while True:
        params = {"pageSize": "2", **({"paginationToken": token} if token else {})}
        page = await api("GET", "/models", params=params)
        listed += [m["id"] for m in page["models"]]
        token = page.get("nextPaginationToken")
        if token is None:
            break
    assert sorted(listed) == sorted(m.id for m in fake.state.models.values())
    jobs = await api("GET", "/jobs", params={"pageSize": "100"})
    assert {j["jobId"] for j in jobs["jobs"]} == set(fake.state.jobs) and len(fake.state.jobs) == 4

    # A large file in parts: sent to the storage host, completed, imported as an asset.
    content = make_png(64, 64, (9, 99, 199))
    upload = (
        await api(
            "POST",
            "/uploads",
            body={
                "kind": "image",
                "fileName": "big.png",
                "contentType": "image/png",
                "fileSize": len(content),
                "parts": 3,
            },
        )
    )["upload"]
    size = -(-len(content) // 3)
    async with aiohttp.ClientSession() as storage:
        for part in upload["parts"]:
            start = (part["number"] - 1) * size
            async with storage.put(part["url"], data=content[start : start + size]) as answer:
                assert answer.status == 200
    await api("GET", "/uploads/{uploadId}", uploadId=upload["id"])
    completed = await api(
        "POST", "/uploads/{uploadId}/action", uploadId=upload["id"], body={"action": "complete"}
    )
    assert completed["upload"]["status"] == "validating"

    async def imported() -> dict[str, Any] | None:
        answer = await api("GET", "/uploads/{uploadId}", uploadId=upload["id"])
        return answer["upload"] if answer["upload"]["status"] == "imported" else None

    asset_id = (await until(imported))["entityId"]
    assert (await api("GET", "/assets/{assetId}", assetId=asset_id))["asset"]["properties"] == {
        "size": len(content)
    }
    await api("POST", images, modelId=other, body={"assetId": asset_id})

    # Deleted: not found, listed among the deleted, then restored.
    await api("DELETE", images + "/{trainingImageId}", modelId=model_id, trainingImageId=ids[4])
    await api("DELETE", "/models/{modelId}", modelId=other)
    await api("GET", "/models/{modelId}", modelId=other, status=404)
    deleted = await api("GET", "/models", params={"status": "deleted"})
    assert [m["id"] for m in deleted["models"]] == [other] and deleted["models"][0]["deletedAt"]
    await api("POST", "/models/{modelId}/restore", modelId=other)
    await api("GET", "/models/{modelId}", modelId=other)

    assert api.called == set(ENDPOINTS), f"never answered: {set(ENDPOINTS) - api.called}"


async def test_the_fakes_model_answers_fit_the_schema_at_every_step_of_a_run(
    fake: FakeScenario, raw_api: RawApi
) -> None:
    """New, queued, running, trained, failed, canceled, copied, deleted: each state of a model
    is an answer the schema takes (RawApi checks each)."""
    fake.add_model("doomed", training_outcome="failed")
    # Queued long enough to be seen queued on a loaded machine (the fixture's 50 ms is not).
    fake.queue_duration = 0.5
    for model_id in ("m", "doomed"):
        fake.add_training_image(model_id)
        await raw_api("PUT", "/models/{modelId}/train", modelId=model_id, body={})
    seen: set[str] = set()
    for _ in range(200):
        for model_id in ("m", "doomed"):
            model = (await raw_api("GET", "/models/{modelId}", modelId=model_id))["model"]
            stage = model.get("trainingProgress", {}).get("stage")
            seen.add(f"{model['status']}/{stage}")
        if {"trained/running-train", "failed/running-train"} <= seen:
            break
        await asyncio.sleep(0.01)
    assert {
        "training/queued-for-train",
        "training/running-train",
        "trained/running-train",
        "failed/running-train",
    } <= seen
    failed = await raw_api("GET", "/jobs", params={"status": "failure"})
    assert [job["metadata"]["error"] for job in failed["jobs"]] == [
        "training failed (simulated by the fake API)"
    ]
    trained = fake.add_model("ready", trained=True)
    answer = await raw_api("GET", "/models/{modelId}", modelId=trained.id)
    assert answer["model"]["status"] == "trained" and answer["model"]["epochs"]
    assert json.dumps(answer).count("trainingStats") == 1
