from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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
    async with FakeScenario(queue_duration=0.05, training_duration=0.2) as server:
        yield server


@pytest_asyncio.fixture
async def client(fake: FakeScenario) -> AsyncIterator[AsyncScenario]:
    async with fake.client() as c:
        yield c


@pytest_asyncio.fixture
async def mocked_client(credentials: None) -> AsyncIterator[AsyncScenario]:
    """A client for the production URL, for use under aioresponses; no retry delays."""
    async with AsyncScenario(max_retries=0) as c:
        yield c
