from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema  # type: ignore[import-untyped]
import pytest
import pytest_asyncio

from scenario_async import AsyncScenario
from scenario_async.testing import FakeScenario

#: A real 1x1 PNG as a data URL.
PNG_DATA_URL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVQYV2NgYAAAAAMAAWgm"
    "WQ0AAAAASUVORK5CYII="
)
BASE = "https://api.cloud.scenario.com/v1"
API_KEY = "key-abc"
API_SECRET = "very-secret-value"
REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "train-model-response.json"
SCHEMAS = Path(__file__).resolve().parent / "data" / "schemas"
#: The models the fixtures' fake API starts with: the ids the tests write to. Like the
#: service, it answers 404 for any other ("nope", ...) until one is created.
MODELS = ("m", "m1", "m2", "m3", "m4", "n", "model_x")


def reference_train_answer() -> dict[str, Any]:
    """The example answer of the train call, as published in the API reference."""
    data: dict[str, Any] = json.loads(REFERENCE.read_text())
    return data


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCENARIO_SDK_API_KEY", API_KEY)
    monkeypatch.setenv("SCENARIO_SDK_API_SECRET", API_SECRET)
    monkeypatch.delenv("SCENARIO_BASE_URL", raising=False)


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeScenario]:
    async with FakeScenario(queue_duration=0.05, training_duration=0.2, models=MODELS) as server:
        yield server


@pytest.fixture
def fake_scenario_options() -> dict[str, Any]:
    """Seeds the plugin's ``fake_scenario`` with the same models."""
    return {"models": MODELS}


@pytest_asyncio.fixture
async def client(fake: FakeScenario) -> AsyncIterator[AsyncScenario]:
    async with fake.client() as c:
        yield c


@pytest_asyncio.fixture
async def mocked_client(credentials: None) -> AsyncIterator[AsyncScenario]:
    """A client for the production URL, for use under aioresponses; no retry delays."""
    async with AsyncScenario(max_retries=0) as c:
        yield c


# Raw requests to the fake API, every answer held to its published schema ------------------

#: Every endpoint of the training workflow (``endpoints.json`` of the published surface):
#: method and path, and for a list the key of its items (the schema describes one item).
ENDPOINTS: dict[tuple[str, str], str | None] = {
    ("POST", "/assets"): None,
    ("GET", "/assets/{assetId}"): None,
    ("GET", "/jobs"): "jobs",
    ("GET", "/jobs/{jobId}"): None,
    ("POST", "/jobs/{jobId}/action"): None,
    ("GET", "/models"): "models",
    ("POST", "/models"): None,
    ("DELETE", "/models/{modelId}"): None,
    ("GET", "/models/{modelId}"): None,
    ("PUT", "/models/{modelId}"): None,
    ("POST", "/models/{modelId}/copy"): None,
    ("POST", "/models/{modelId}/download"): None,
    ("DELETE", "/models/{modelId}/images"): None,
    ("POST", "/models/{modelId}/restore"): None,
    ("GET", "/models/{modelId}/scores/training-dataset"): None,
    ("PUT", "/models/{modelId}/train"): None,
    ("POST", "/models/{modelId}/train/action"): None,
    ("POST", "/models/{modelId}/training-images"): None,
    ("PUT", "/models/{modelId}/training-images/pairs"): None,
    ("DELETE", "/models/{modelId}/training-images/{trainingImageId}"): None,
    ("PUT", "/models/{modelId}/training-images/{trainingImageId}"): None,
    ("POST", "/uploads"): None,
    ("GET", "/uploads/{uploadId}"): None,
    ("POST", "/uploads/{uploadId}/action"): None,
}
#: What a dry run answers (HTTP 269) instead of the endpoint's answer: the cost.
ESTIMATE_SCHEMA = {
    "type": "object",
    "required": ["creativeUnitsCost"],
    "properties": {
        "creativeUnitsCost": {"type": "number"},
        "creativeUnitsDiscount": {"type": "number"},
        "costDetails": {"type": "object", "additionalProperties": {"type": "number"}},
    },
}


def schema_file(method: str, path: str) -> Path:
    """Where the published schema of an endpoint's answer is: ``post_models_modelId_copy``."""
    name = method.lower() + path.replace("/", "_").replace("{", "").replace("}", "")
    return SCHEMAS / f"{name}.schema.json"


def schema_problems(schema: dict[str, Any], instance: Any) -> list[str]:
    """What does not fit ``schema`` in ``instance``, each with its path; [] when it fits."""
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'.'.join(map(str, error.absolute_path)) or '(the answer)'}: {error.message[:300]}"
        for error in validator.iter_errors(instance)
    ]


def answer_problems(method: str, path: str, status: int, body: Any) -> list[str]:
    """What does not fit in a successful answer of the endpoint ``method path``: a dry run's
    269 holds a cost; a list holds items of the schema and maybe ``nextPaginationToken``;
    an endpoint the surface gives no schema (the DELETEs) answers a JSON object."""
    if status == 269:
        return schema_problems(ESTIMATE_SCHEMA, body)
    file = schema_file(method, path)
    if not file.exists():
        return [] if isinstance(body, dict) else [f"not a JSON object: {body!r}"]
    schema = json.loads(file.read_text())
    items_key = ENDPOINTS[(method, path)]
    if items_key is None:
        return schema_problems(schema, body)
    item = {key: value for key, value in schema.items() if key != "$defs"}
    page_schema = {
        "$defs": schema.get("$defs", {}),  # where the item's references point
        "type": "object",
        "required": [items_key],
        "properties": {
            items_key: {"type": "array", "items": item},
            "nextPaginationToken": {"type": "string", "minLength": 1},
        },
    }
    return schema_problems(page_schema, body)


class RawApi:
    """Plain HTTP requests to a fake API, by endpoint (``"GET", "/models/{modelId}",
    modelId="m"``): the answer's status is checked, every successful answer is held to the
    published schema of its endpoint, and ``called`` keeps the endpoints that answered."""

    def __init__(self, fake: FakeScenario, session: aiohttp.ClientSession) -> None:
        self.fake = fake
        self.session = session
        self.called: set[tuple[str, str]] = set()

    async def __call__(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        body: Any = None,
        params: dict[str, str] | None = None,
        **ids: str,
    ) -> Any:
        assert (method, path) in ENDPOINTS, f"{method} {path} is not a published endpoint"
        headers = {"Authorization": self.fake.expected_authorization}
        url = self.fake.base_url + path.format(**ids)
        async with self.session.request(
            method, url, json=body, params=params, headers=headers
        ) as response:
            raw = await response.read()
            answered = response.status
        answer = json.loads(raw) if raw else None
        assert answered == status, f"{method} {url} answered {answered}: {answer}"
        if 200 <= answered < 300:
            problems = answer_problems(method, path, answered, answer)
            assert problems == [], f"{method} {path}: " + "; ".join(problems)
            self.called.add((method, path))
        return answer


@pytest_asyncio.fixture
async def raw_api(fake: FakeScenario) -> AsyncIterator[RawApi]:
    async with aiohttp.ClientSession() as session:
        yield RawApi(fake, session)
