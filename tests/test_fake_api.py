"""The fake API is as strict as the service: models exist once created or seeded, a call on
an unknown model is not found, a refused call changes nothing, only whole images are taken,
lists paginate, and multipart uploads go through a storage host of its own."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
import pytest
import pytest_asyncio

from scenario_async import BadRequestError, NotFoundError
from scenario_async.testing import FakeScenario, make_jpeg, make_png

from .conftest import MODELS, PNG_DATA_URL, RawApi


def data_url(content: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode()


def snapshot(fake: FakeScenario) -> str:
    """Everything the fake holds, as text: equal snapshots mean nothing changed."""
    return repr(attrs.asdict(fake.state))


@pytest_asyncio.fixture
async def bare() -> AsyncIterator[tuple[FakeScenario, RawApi]]:
    """A fake that knows no model at all, with a raw client."""
    async with FakeScenario(training_duration=60) as fake, aiohttp.ClientSession() as session:
        yield fake, RawApi(fake, session)


# Models exist once created or seeded -----------------------------------------------------


async def test_a_model_exists_once_created_and_not_before(
    bare: tuple[FakeScenario, RawApi],
) -> None:
    _, api = bare
    answer = await api("GET", "/models/{modelId}", modelId="model_sidefx", status=404)
    assert answer == {"message": "model model_sidefx not found"}
    created = (await api("POST", "/models", body={"name": "Mine"}))["model"]
    assert created["id"].startswith("model_") and created["name"] == "Mine"
    assert (await api("GET", "/models/{modelId}", modelId=created["id"]))["model"] == created


async def test_models_are_seeded_in_one_line_or_by_the_helper() -> None:
    async with FakeScenario(models=["a", "b"]) as fake, fake.client() as client:
        fake.add_model("c", name="Third")
        assert [m.id for m in fake.state.models.values()] == ["a", "b", "c"]
        assert (await client.models.retrieve("c")).model.name == "Third"
        with pytest.raises(NotFoundError):
            await client.models.retrieve("d")


def test_the_plugin_fixture_is_seeded_by_fake_scenario_options(
    fake_scenario: FakeScenario,
) -> None:
    assert list(fake_scenario.state.models) == list(MODELS)
    with fake_scenario.sync_client() as client, pytest.raises(NotFoundError):
        client.models.training_images.add("nope", data=PNG_DATA_URL, name="a.png")
    assert "nope" not in fake_scenario.state.models


async def test_auto_create_models_makes_a_model_on_an_accepted_add_only() -> None:
    async with FakeScenario(auto_create_models=True) as fake, fake.client() as client:
        avif = data_url(NOT_IMAGES["an AVIF (not a type the service takes)"], "image/avif")
        with pytest.raises(BadRequestError, match="not a PNG, JPEG, WebP or GIF image"):
            await client.models.training_images.add("x", data=avif, name="a.avif")
        assert fake.state.models == {}
        await client.models.training_images.add("x", data=PNG_DATA_URL, name="a.png")
        assert [i.name for i in fake.training_images("x")] == ["a.png"]
        with pytest.raises(NotFoundError):  # only adds create: reads still need a model
            await client.models.retrieve("y")


#: A call of every endpoint on a model, with a body that would be taken on a known model.
MODEL_CALLS: list[tuple[str, str, Any, dict[str, str] | None]] = [
    ("GET", "/models/{modelId}", None, None),
    ("PUT", "/models/{modelId}", {"name": "x"}, None),
    ("DELETE", "/models/{modelId}", None, None),
    ("POST", "/models/{modelId}/restore", None, None),
    ("POST", "/models/{modelId}/copy", {}, None),
    ("POST", "/models/{modelId}/download", {}, {"dryRun": "true"}),
    ("DELETE", "/models/{modelId}/images", {"ids": ["asset_1"]}, None),
    ("GET", "/models/{modelId}/scores/training-dataset", None, None),
    ("PUT", "/models/{modelId}/train", {}, {"dryRun": "true"}),
    ("POST", "/models/{modelId}/train/action", {"action": "cancel"}, None),
    ("POST", "/models/{modelId}/training-images", {"data": PNG_DATA_URL, "name": "a.png"}, None),
    ("PUT", "/models/{modelId}/training-images/pairs", [], None),
    (
        "PUT",
        "/models/{modelId}/training-images/{trainingImageId}",
        {"data": PNG_DATA_URL},
        None,
    ),
    ("DELETE", "/models/{modelId}/training-images/{trainingImageId}", None, None),
]


@pytest.mark.parametrize(("method", "path", "body", "params"), MODEL_CALLS)
@pytest.mark.parametrize("which", ["unknown", "deleted"])
async def test_every_call_on_an_unknown_or_deleted_model_is_not_found_and_changes_nothing(
    bare: tuple[FakeScenario, RawApi],
    method: str,
    path: str,
    body: Any,
    params: dict[str, str] | None,
    which: str,
) -> None:
    fake, api = bare
    if which == "deleted":
        fake.add_training_image("gone")
        await api("DELETE", "/models/{modelId}", modelId="gone")
    before = snapshot(fake)
    ids = {"modelId": "gone", "trainingImageId": "asset_1"}
    if path.endswith("/restore") and which == "deleted":
        return  # the one call a deleted model answers (tested with the workflow)
    answer = await api(method, path, status=404, body=body, params=params, **ids)
    assert answer == {"message": "model gone not found"}
    assert snapshot(fake) == before
    await api("GET", "/models/{modelId}", modelId="gone", status=404)


async def test_every_refused_call_changes_nothing(fake: FakeScenario, raw_api: RawApi) -> None:
    fake.training_duration = 60.0
    image = fake.add_training_image("m", content=make_png())
    busy_image = fake.add_training_image("busy")
    await raw_api("PUT", "/models/{modelId}/train", modelId="busy", body={})
    training_job = fake.state.models["busy"].run
    assert training_job is not None
    upload = (
        await raw_api(
            "POST",
            "/uploads",
            body={
                "kind": "image",
                "fileName": "u.png",
                "contentType": "image/png",
                "fileSize": 10,
                "parts": 2,
            },
        )
    )["upload"]
    images = "/models/{modelId}/training-images"
    refused: list[tuple[int, str, str, Any, dict[str, str] | None, dict[str, str]]] = [
        (400, "POST", "/models", {"type": "sdxl"}, None, {}),
        (400, "POST", "/models", {"type": "flux.1-composition"}, None, {}),
        (400, "POST", "/models", {"concepts": [{"modelId": "nope", "scale": 1}]}, None, {}),
        (400, "POST", images, {"data": PNG_DATA_URL, "preset": "portrait"}, None, {}),
        (400, "POST", images, {"assetIds": [f"a{i}" for i in range(11)]}, None, {}),
        (404, "POST", images, {"assetIds": ["asset_unknown"]}, None, {}),
        (400, "POST", images, {"data": data_url(make_png()[:-6])}, None, {}),
        (400, "POST", images, {"data": PNG_DATA_URL}, {"originalAssets": "yes"}, {}),
        (409, "POST", images, {"data": PNG_DATA_URL}, None, {"modelId": "busy"}),
        (404, "PUT", images + "/{trainingImageId}", {"data": PNG_DATA_URL}, None, {}),
        (400, "PUT", images + "/pairs", [{"sourceId": "asset_unknown"}], None, {}),
        (400, "PUT", images + "/pairs", {"sourceId": image.id}, None, {}),
        (404, "DELETE", images + "/{trainingImageId}", None, None, {}),
        (
            409,
            "DELETE",
            "/models/{modelId}/images",
            {"ids": [busy_image.id]},
            None,
            {"modelId": "busy"},
        ),
        (400, "DELETE", "/models/{modelId}/images", {"ids": []}, None, {}),
        (400, "PUT", "/models/{modelId}/train", {"parameters": {"lrScheduler": "x"}}, None, {}),
        (400, "PUT", "/models/{modelId}/train", {"parameters": {"nbEpochs": "3"}}, None, {}),
        (400, "PUT", "/models/{modelId}/train", {}, {"trainingImagesCount": "3"}, {}),
        (409, "PUT", "/models/{modelId}/train", {}, None, {"modelId": "busy"}),
        (400, "PUT", "/models/{modelId}/train", {}, None, {"modelId": "m1"}),  # no images
        (400, "POST", "/models/{modelId}/train/action", {"action": "stop"}, None, {}),
        (400, "POST", "/models/{modelId}/train/action", {"action": "cancel"}, None, {}),
        (400, "PUT", "/models/{modelId}", {"type": "flux.1-pro"}, None, {"modelId": "busy"}),
        (400, "PUT", "/models/{modelId}", {"epoch": "e1"}, None, {}),
        (404, "PUT", "/models/{modelId}", {"name": "n", "thumbnail": "asset_x"}, None, {}),
        (409, "PUT", "/models/{modelId}", {"parameters": {}}, None, {"modelId": "busy"}),
        (400, "POST", "/models/{modelId}/restore", None, None, {}),
        (400, "POST", "/models/{modelId}/copy", {"copyAsTrained": True}, None, {}),
        (400, "POST", "/models/{modelId}/download", {}, None, {}),
        (400, "POST", "/assets", {"name": "t.txt", "image": data_url(b"plain text")}, None, {}),
        (400, "POST", "/assets", {"image": PNG_DATA_URL}, None, {}),
        (400, "POST", "/uploads", {"kind": "model", "fileName": "w.bin"}, None, {}),
        (400, "POST", "/uploads", {"kind": "image", "fileName": "a.png"}, None, {}),
        (400, "POST", "/uploads/{uploadId}/action", {"action": "complete"}, None, {}),
        (400, "POST", "/uploads/{uploadId}/action", {"action": "abort"}, None, {}),
        (400, "POST", "/jobs/{jobId}/action", {"action": "cancel"}, None, {}),
        (400, "GET", "/models", None, {"pageSize": "501"}, {}),
        (400, "GET", "/models", None, {"createdAfter": "2024-01-01"}, {}),
        (400, "GET", "/jobs", None, {"pageSize": "0"}, {}),
        (400, "GET", "/jobs", None, {"paginationToken": "not-a-token"}, {}),
    ]
    before = snapshot(fake)
    for status, method, path, body, params, ids in refused:
        where = {
            "modelId": "m",
            "trainingImageId": "asset_unknown",
            "uploadId": upload["id"],
            "jobId": training_job.job_id,
            **ids,
        }
        answer = await raw_api(method, path, status=status, body=body, params=params, **where)
        assert isinstance(answer["message"], str) and answer["message"]
        assert snapshot(fake) == before, f"{method} {path} {body} changed the state"


# Only whole images ------------------------------------------------------------------------

NOT_IMAGES = {
    "text": b"just some text, not an image",
    "a PNG cut short": make_png(8, 8)[:-20],
    "a JPEG cut short": make_jpeg(16, 16)[:-2],
    "an AVIF (not a type the service takes)": b"\x00\x00\x00\x1cftypavif" + bytes(20),
    "nothing": b"",
}


@pytest.mark.parametrize("content", NOT_IMAGES.values(), ids=NOT_IMAGES.keys())
async def test_data_that_is_not_a_whole_image_is_refused_everywhere(
    fake: FakeScenario, raw_api: RawApi, content: bytes
) -> None:
    image = fake.add_training_image("m")
    before = snapshot(fake)
    url = data_url(content)
    images = "/models/{modelId}/training-images"
    for method, path, body in [
        ("POST", images, {"data": url, "name": "x.png"}),
        ("PUT", images + "/{trainingImageId}", {"data": url}),
        ("POST", "/assets", {"image": url, "name": "x.png"}),
        ("POST", "/assets", {"image": base64.b64encode(content).decode(), "name": "x.png"}),
    ]:
        answer = await raw_api(
            method, path, status=400, body=body, modelId="m", trainingImageId=image.id
        )
        assert "not a PNG, JPEG, WebP or GIF image" in answer["message"] or (
            "truncated" in answer["message"]
        )
    assert snapshot(fake) == before


# Dry runs ---------------------------------------------------------------------------------


async def test_a_dry_run_counts_the_models_own_images_or_else_training_images_count(
    fake: FakeScenario, raw_api: RawApi
) -> None:
    train = "/models/{modelId}/train"
    dry = {"dryRun": "true", "trainingImagesCount": "8"}
    empty = await raw_api("PUT", train, modelId="m", status=269, params=dry, body={})
    for _ in range(3):
        fake.add_training_image("m")
    own = await raw_api("PUT", train, modelId="m", status=269, params=dry, body={})
    assert (empty["creativeUnitsCost"], own["creativeUnitsCost"]) == (140, 115)
    assert fake.state.jobs == {} and fake.state.models["m"].run is None


# Pagination -------------------------------------------------------------------------------


async def read_all(api: RawApi, path: str, key: str, params: dict[str, str]) -> list[list[str]]:
    """The ids of each page of a list, following ``nextPaginationToken``."""
    pages, token = [], None
    while True:
        query = {**params, **({"paginationToken": token} if token else {})}
        page = await api("GET", path, params=query)
        pages.append([item["id" if key == "models" else "jobId"] for item in page[key]])
        token = page.get("nextPaginationToken")
        if token is None:
            return pages


async def test_models_come_100_a_page_by_default_newest_first_and_at_most_500(
    bare: tuple[FakeScenario, RawApi],
) -> None:
    fake, api = bare
    ids = [fake.add_model(f"m{i:03}").id for i in range(101)]
    pages = await read_all(api, "/models", "models", {})
    assert [len(page) for page in pages] == [100, 1]
    assert pages[0] + pages[1] == ids[::-1]
    oldest_first = await read_all(
        api, "/models", "models", {"sortBy": "createdAt", "sortDirection": "asc", "pageSize": "500"}
    )
    assert oldest_first == [ids]
    await api("GET", "/models", status=400, params={"pageSize": "501"})


async def test_a_page_follows_the_last_one_even_when_models_come_and_go_between(
    bare: tuple[FakeScenario, RawApi],
) -> None:
    fake, api = bare
    ids = [fake.add_model(f"m{i}").id for i in range(5)]
    first = await api("GET", "/models", params={"pageSize": "2", "sortDirection": "asc"})
    assert [m["id"] for m in first["models"]] == ids[:2]
    fake.add_model("newer")
    await api("DELETE", "/models/{modelId}", modelId=ids[2])
    token = first["nextPaginationToken"]
    second = await api(
        "GET", "/models", params={"pageSize": "2", "sortDirection": "asc", "paginationToken": token}
    )
    assert [m["id"] for m in second["models"]] == [ids[3], ids[4]]
    # A token belongs to its query.
    answer = await api(
        "GET", "/models", status=400, params={"pageSize": "2", "paginationToken": token}
    )
    assert "another query" in answer["message"]


async def test_models_are_filtered_by_status_type_and_collection(
    bare: tuple[FakeScenario, RawApi],
) -> None:
    fake, api = bare
    fake.add_model("new")
    fake.add_model("trained", trained=True)
    fake.add_model("pro", type="flux.1-pro").collection_ids.append("col_1")
    by_status = await read_all(api, "/models", "models", {"status": "trained"})
    assert by_status == [["trained"]]
    assert await read_all(api, "/models", "models", {"type": "flux.1-pro"}) == [["pro"]]
    assert await read_all(api, "/models", "models", {"collectionId": "col_1"}) == [["pro"]]
    assert await read_all(api, "/models", "models", {"privacy": "public"}) == [[]]


async def test_jobs_come_50_a_page_by_default_and_at_most_100(
    bare: tuple[FakeScenario, RawApi],
) -> None:
    fake, api = bare
    ids = [fake.add_job(duration=60).job_id for _ in range(101)]
    pages = await read_all(api, "/jobs", "jobs", {})
    assert [len(page) for page in pages] == [50, 50, 1]
    assert [job for page in pages for job in page] == ids[::-1]
    assert [len(page) for page in await read_all(api, "/jobs", "jobs", {"pageSize": "100"})] == [
        100,
        1,
    ]
    await api("GET", "/jobs", status=400, params={"pageSize": "101"})
    await api("GET", "/jobs", status=400, params={"status": "queued", "createdAfter": "2024-01-01"})
    assert await read_all(api, "/jobs", "jobs", {"status": "success"}) == [[]]


async def test_only_an_inference_job_is_canceled_through_the_jobs_endpoint(
    fake: FakeScenario, raw_api: RawApi
) -> None:
    inference = fake.add_job(duration=60)
    done = fake.add_job(duration=0)
    action = "/jobs/{jobId}/action"
    answer = await raw_api("POST", action, jobId=inference.job_id, body={"action": "cancel"})
    assert answer["job"]["status"] == "canceled"
    await raw_api("POST", action, jobId=done.job_id, body={"action": "cancel"}, status=400)
    await raw_api("POST", action, jobId="job_nope", body={"action": "cancel"}, status=404)


async def test_an_unknown_route_answers_a_json_404(fake: FakeScenario) -> None:
    headers = {"Authorization": fake.expected_authorization}
    async with (
        aiohttp.ClientSession() as session,
        session.get(fake.base_url + "/models/m/nothing", headers=headers) as answer,
    ):
        assert answer.status == 404
        assert (await answer.json())["message"] == "no route for GET /v1/models/m/nothing"


# Multipart uploads ------------------------------------------------------------------------


async def start_upload(api: RawApi, content: bytes, parts: int, name: str = "f.png") -> Any:
    body = {
        "kind": "image",
        "fileName": name,
        "contentType": "image/png",
        "fileSize": len(content),
        "parts": parts,
        "assetOptions": {"collectionIds": ["col_1"], "hide": True},
    }
    return (await api("POST", "/uploads", body=body))["upload"]


async def put_parts(
    upload: dict[str, Any], content: bytes, *, headers: dict[str, str] | None = None
) -> list[int]:
    """Each part's raw bytes PUT to its URL (the file cut in equal pieces, the last one
    shorter); the storage host's answers."""
    size = -(-len(content) // len(upload["parts"]))
    statuses = []
    async with aiohttp.ClientSession() as session:
        for part in upload["parts"]:
            start = (part["number"] - 1) * size
            piece = content[start : start + size]
            async with session.put(part["url"], data=piece, headers=headers) as answer:
                statuses.append(answer.status)
    return statuses


async def settled(api: RawApi, upload_id: str) -> dict[str, Any]:
    for _ in range(250):
        upload = (await api("GET", "/uploads/{uploadId}", uploadId=upload_id))["upload"]
        if upload["status"] not in ("pending", "validating"):
            return dict(upload)
        await asyncio.sleep(0.02)
    raise AssertionError("the upload never settled")


async def test_an_upload_in_parts_becomes_an_asset_a_training_image_can_use(
    fake: FakeScenario, raw_api: RawApi
) -> None:
    content = make_png(40, 40, (1, 2, 3))
    upload = await start_upload(raw_api, content, parts=4)
    assert upload["status"] == "pending" and [p["number"] for p in upload["parts"]] == [1, 2, 3, 4]
    assert all(p["url"].startswith(fake.storage_url + "/storage/") for p in upload["parts"])
    assert not fake.storage_url.startswith(fake.base_url.removesuffix("/v1"))  # another host
    assert await put_parts(upload, content) == [200] * 4
    # The storage host asks no credentials: none were sent, none were needed.
    assert [r.method for r in fake.storage_requests] == ["PUT"] * 4
    assert all("Authorization" not in r.headers for r in fake.storage_requests)
    done = await raw_api(
        "POST", "/uploads/{uploadId}/action", uploadId=upload["id"], body={"action": "complete"}
    )
    assert done["upload"]["status"] == "validating" and "entityId" not in done["upload"]
    final = await settled(raw_api, upload["id"])
    assert final["status"] == "imported"
    asset = fake.state.assets[final["entityId"]]
    assert (asset.name, asset.size, asset.collection_ids, asset.hidden) == (
        "f.png",
        len(content),
        ["col_1"],
        True,
    )
    added = await raw_api(
        "POST",
        "/models/{modelId}/training-images",
        modelId="m",
        body={"assetId": final["entityId"]},
    )
    assert added["trainingImage"]["name"] == "f.png"
    assert fake.stored_contents("m") == {asset.sha256: 1}


async def test_an_upload_that_is_not_a_whole_image_fails_with_its_reason(
    fake: FakeScenario, raw_api: RawApi
) -> None:
    content = make_png(40, 40)[:-30]
    upload = await start_upload(raw_api, content, parts=2, name="cut.png")
    assert await put_parts(upload, content) == [200, 200]
    await raw_api(
        "POST", "/uploads/{uploadId}/action", uploadId=upload["id"], body={"action": "complete"}
    )
    final = await settled(raw_api, upload["id"])
    assert final["status"] == "failed" and "entityId" not in final
    assert final["errorMessage"] == "cut.png is truncated: a PNG ends with an IEND chunk"
    assert list(fake.state.assets) == []


async def test_an_upload_completes_only_with_every_part_and_stays_open_until_then(
    fake: FakeScenario, raw_api: RawApi
) -> None:
    content = make_png(30, 30)
    upload = await start_upload(raw_api, content, parts=3)
    complete = {"action": "complete"}
    path = "/uploads/{uploadId}/action"
    first_only = {**upload, "parts": upload["parts"][:1]}
    assert await put_parts(first_only, content) == [200]
    answer = await raw_api("POST", path, uploadId=upload["id"], body=complete, status=400)
    assert answer["message"] == "parts not sent: 2, 3"
    await put_parts(upload, content[:-1] + b"!")
    assert await put_parts(upload, content) == [200] * 3  # sent again: the last one counts
    await raw_api("POST", path, uploadId=upload["id"], body=complete)
    await raw_api("POST", path, uploadId=upload["id"], body=complete, status=409)
    assert (await settled(raw_api, upload["id"]))["status"] == "imported"
    assert await put_parts(upload, content) == [404] * 3  # no part after completion


async def test_part_urls_are_signed_and_expire() -> None:
    async with (
        FakeScenario(part_url_ttl=0.5) as fake,
        aiohttp.ClientSession() as session,
    ):
        api = RawApi(fake, session)
        upload = await start_upload(api, make_png(), parts=1)
        url = upload["parts"][0]["url"]
        async with session.put(url.replace("signature=", "signature=0")) as answer:
            assert answer.status == 403 and "SignatureDoesNotMatch" in await answer.text()
        async with session.post(url, data=b"x") as answer:
            assert answer.status == 405  # a part is a PUT
        await asyncio.sleep(1.1)
        async with session.put(url, data=make_png()) as answer:
            assert answer.status == 403 and "Request has expired" in await answer.text()
    assert fake.state.uploads[upload["id"]].parts == {}
