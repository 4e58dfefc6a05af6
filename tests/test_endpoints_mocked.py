"""Every endpoint at unit level (aioresponses): the exact request sent and the parsed answer."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from aioresponses import aioresponses

from scenario_async import AsyncScenario, Pair, TrainingParameters
from scenario_async.types import JobStatus, ModelStatus, TrainingImage

from .conftest import API_KEY, API_SECRET, BASE, PNG_DATA_URL, reference_train_answer

IMAGE = {
    "id": "asset_GTrL3mq4SXWyMxkOHRxlpw",
    "automaticCaptioning": "a cat",
    "createdAt": "2023-02-03T11:19:41.579Z",
    "description": "",
    "downloadUrl": "https://cdn/x.png",
    "name": "cat.png",
}


@pytest.fixture
def mock() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


def sent(mock: aioresponses) -> list[tuple[str, str, Any, dict[str, str]]]:
    """(method, url, JSON body or None, headers) of every request made."""
    calls = []
    for (method, url), requests in (mock.requests or {}).items():
        for call in requests:
            data = call.kwargs.get("data")
            body = json.loads(data) if data else None
            calls.append((method, str(url), body, call.kwargs["headers"]))
    return calls


def only_request(mock: aioresponses) -> tuple[str, str, Any]:
    (request,) = sent(mock)
    method, url, body, headers = request
    expected = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
    assert headers["Authorization"] == f"Basic {expected}"
    return method, url, body


async def test_add_by_data_url_posts_camel_case_json(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    url = f"{BASE}/models/model_x/training-images?originalAssets=true&projectId=proj_1"
    mock.post(url, payload={"trainingImage": IMAGE})
    answer = await mocked_client.models.training_images.add(
        "model_x",
        data=PNG_DATA_URL,
        name="cat.png",
        preset="subject",
        original_assets=True,
        project_id="proj_1",
    )
    assert answer.training_image == TrainingImage(
        id=IMAGE["id"],
        automatic_captioning="a cat",
        created_at="2023-02-03T11:19:41.579Z",
        description="",
        download_url="https://cdn/x.png",
        name="cat.png",
    )
    method, sent_url, body = only_request(mock)
    assert method == "POST"
    assert "originalAssets=true" in sent_url and "projectId=proj_1" in sent_url
    assert body == {"data": PNG_DATA_URL, "name": "cat.png", "preset": "subject"}


async def test_add_in_batch_mode_sends_asset_ids(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.post(f"{BASE}/models/m/training-images", payload={"trainingImage": IMAGE})
    await mocked_client.models.training_images.add("m", asset_ids=("a1", "a2", "a3"))
    assert only_request(mock) == (
        "POST",
        f"{BASE}/models/m/training-images",
        {"assetIds": ["a1", "a2", "a3"]},
    )


async def test_add_by_asset_id(mock: aioresponses, mocked_client: AsyncScenario) -> None:
    mock.post(f"{BASE}/models/m/training-images", payload={"trainingImage": IMAGE})
    await mocked_client.models.training_images.add("m", asset_id="asset_1", preset="style")
    assert only_request(mock)[2] == {"assetId": "asset_1", "preset": "style"}


async def test_replace_puts_to_the_image_path(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.put(f"{BASE}/models/m/training-images/ti_1", payload={"trainingImage": IMAGE})
    answer = await mocked_client.models.training_images.replace(
        "ti_1", model_id="m", data=PNG_DATA_URL, name="new.png"
    )
    assert answer.training_image.id == IMAGE["id"]
    assert only_request(mock) == (
        "PUT",
        f"{BASE}/models/m/training-images/ti_1",
        {"data": PNG_DATA_URL, "name": "new.png"},
    )


async def test_replace_pairs_sends_a_json_array_of_pairs_and_dicts(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    pairs = [{"instruction": "make it blue", "sourceId": "a", "targetId": "b"}]
    mock.put(f"{BASE}/models/m/training-images/pairs", payload={"count": 2, "pairs": pairs * 2})
    answer = await mocked_client.models.training_images.replace_pairs(
        "m",
        body=[
            Pair(instruction="make it blue", source_id="a", target_id="b"),
            {"instruction": "make it blue", "source_id": "a", "targetId": "b"},
        ],
    )
    assert answer.count == 2
    assert answer.pairs == [Pair(instruction="make it blue", source_id="a", target_id="b")] * 2
    assert only_request(mock) == ("PUT", f"{BASE}/models/m/training-images/pairs", pairs * 2)


@pytest.mark.parametrize(
    ("body", "expected"), [("", None), ("{}", {}), ('{"deleted": true}', {"deleted": True})]
)
async def test_delete_tolerates_any_json_or_an_empty_body(
    mock: aioresponses, mocked_client: AsyncScenario, body: str, expected: Any
) -> None:
    mock.delete(f"{BASE}/models/m/training-images/ti_1", body=body, status=200)
    answer = await mocked_client.models.training_images.delete("ti_1", model_id="m")
    assert answer == expected
    assert only_request(mock) == ("DELETE", f"{BASE}/models/m/training-images/ti_1", None)


async def test_trigger_sends_an_empty_object_and_parses_the_reference_answer(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.put(f"{BASE}/models/m/train", payload=reference_train_answer())
    answer = await mocked_client.models.train.trigger("m")
    assert only_request(mock) == ("PUT", f"{BASE}/models/m/train", {})
    assert answer.job is not None and answer.job.status is JobStatus.CANCELED
    assert answer.model is not None and answer.model.status is ModelStatus.COPYING


async def test_trigger_sends_typed_parameters_in_camel_case(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.put(f"{BASE}/models/m/train", payload=reference_train_answer())
    params = TrainingParameters(max_train_steps=800, lr_scheduler="cosine", random_crop=False)
    await mocked_client.models.train.trigger("m", parameters=params)
    assert only_request(mock)[2] == {
        "parameters": {"maxTrainSteps": 800, "lrScheduler": "cosine", "randomCrop": False}
    }


async def test_trigger_maps_snake_case_dict_keys_and_passes_unknown_keys_through(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.put(f"{BASE}/models/m/train", payload=reference_train_answer())
    await mocked_client.models.train.trigger(
        "m",
        parameters={"learning_rate_unet": 1e-4, "num_u_net_train_steps": 5, "newKnob": [1, 2]},
    )
    assert only_request(mock)[2] == {
        "parameters": {"learningRateUnet": 1e-4, "numUNetTrainSteps": 5, "newKnob": [1, 2]}
    }


async def test_the_old_spelling_num_unet_train_steps_still_works_and_warns(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.put(f"{BASE}/models/m/train", payload=reference_train_answer())
    with pytest.warns(DeprecationWarning, match="num_u_net_train_steps"):
        await mocked_client.models.train.trigger("m", parameters={"num_unet_train_steps": 5})
    assert only_request(mock)[2] == {"parameters": {"numUNetTrainSteps": 5}}


async def test_dry_run_sends_query_flags_and_reads_the_269_cost_answer(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.put(
        f"{BASE}/models/m/train?dryRun=true&trainingImagesCount=12",
        payload={"creativeUnitsCost": 160, "creativeUnitsDiscount": 10},
        status=269,
    )
    answer = await mocked_client.models.train.trigger("m", dry_run=True, training_images_count=12)
    assert answer.creative_units_cost == 160
    assert answer.creative_units_discount == 10
    assert answer.job is None and answer.model is None
    method, url, body = only_request(mock)
    assert (method, body) == ("PUT", {})
    assert "dryRun=true" in url and "trainingImagesCount=12" in url


async def test_dry_run_api_value_is_sent_as_is(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.put(f"{BASE}/models/m/train?dryRun=api", payload={"creativeUnitsCost": 1}, status=269)
    await mocked_client.models.train.trigger("m", dry_run="api")
    assert "dryRun=api" in only_request(mock)[1]


async def test_cancel_posts_the_action(mock: aioresponses, mocked_client: AsyncScenario) -> None:
    mock.post(
        f"{BASE}/models/m/train/action",
        payload={"model": {"id": "m", "status": "training-canceled"}},
    )
    answer = await mocked_client.models.train.action("m")
    assert answer.model.status is ModelStatus.TRAINING_CANCELED
    assert only_request(mock) == ("POST", f"{BASE}/models/m/train/action", {"action": "cancel"})


async def test_retrieve_model_and_job(mock: aioresponses, mocked_client: AsyncScenario) -> None:
    reference = reference_train_answer()
    mock.get(f"{BASE}/models/m?projectId=p", payload={"model": reference["model"]})
    mock.get(f"{BASE}/jobs/job_1", payload={"job": reference["job"]})
    model = await mocked_client.models.retrieve("m", project_id="p")
    job = await mocked_client.jobs.retrieve("job_1")
    assert model.model.training_images is not None
    assert model.model.training_images[0].download_url == "downloadUrl"
    assert job.job.job_type == "assets-download"
    assert [(m, u, b) for m, u, b, _ in sent(mock)] == [
        ("GET", f"{BASE}/models/m?projectId=p", None),
        ("GET", f"{BASE}/jobs/job_1", None),
    ]


async def test_asset_upload(mock: aioresponses, mocked_client: AsyncScenario) -> None:
    mock.post(
        f"{BASE}/assets",
        payload={"asset": {"id": "asset_1", "url": "u", "mimeType": "image/png", "kind": "image"}},
    )
    answer = await mocked_client.assets.upload(
        image=PNG_DATA_URL, name="a.png", collection_ids=["c1"], hide=True, parent_id="asset_0"
    )
    assert answer.asset.id == "asset_1" and answer.asset.mime_type == "image/png"
    assert only_request(mock) == (
        "POST",
        f"{BASE}/assets",
        {
            "image": PNG_DATA_URL,
            "name": "a.png",
            "collectionIds": ["c1"],
            "hide": True,
            "parentId": "asset_0",
        },
    )


async def test_ids_are_percent_encoded_in_the_path(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.delete(f"{BASE}/models/..%2Fassets/training-images/a%3Fb%23c", body="")
    await mocked_client.models.training_images.delete("a?b#c", model_id="../assets")
    assert only_request(mock)[1] == f"{BASE}/models/..%2Fassets/training-images/a%3Fb%23c"


async def test_extra_headers_query_and_body_reach_the_wire(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.post(f"{BASE}/models/m/training-images?beta=true", payload={"trainingImage": IMAGE})
    await mocked_client.models.training_images.add(
        "m",
        asset_id="a",
        extra_headers={"X-Request-Id": "r1"},
        extra_query={"beta": True},
        extra_body={"caption": "hello"},
    )
    ((_, url, body, headers),) = sent(mock)
    assert url.endswith("?beta=true")
    assert body == {"assetId": "a", "caption": "hello"}
    assert headers["X-Request-Id"] == "r1"
