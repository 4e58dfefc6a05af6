"""Logging that helps without leaking, and the fake API as a separate process."""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from scenario_async import AsyncScenario, NotFoundError, Scenario
from scenario_async._logging import logger
from scenario_async.testing import FakeScenario

from .conftest import PNG_DATA_URL


@pytest.fixture
def debug_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SCENARIO_LOG", "debug")
    yield
    logger.setLevel(logging.NOTSET)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)


async def test_scenario_log_debug_logs_each_request_without_credentials(
    fake: FakeScenario, debug_logging: None, caplog: pytest.LogCaptureFixture
) -> None:
    async with fake.client() as client:
        await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
        with pytest.raises(NotFoundError):
            await client.jobs.retrieve("job_x")
    messages = [r.getMessage() for r in caplog.records if r.name == "scenario_async"]
    assert any(m.startswith("POST /models/m/training-images -> 200 (attempt 1,") for m in messages)
    assert any(m.startswith("GET /jobs/job_x -> 404 (attempt 1,") for m in messages)
    token = base64.b64encode(f"{fake.api_key}:{fake.api_secret}".encode()).decode()
    everything = caplog.text
    assert fake.api_secret not in everything and token not in everything


async def test_nothing_is_logged_at_debug_without_scenario_log(
    fake: FakeScenario, client: AsyncScenario, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="scenario_async")
    await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    assert [r for r in caplog.records if r.name == "scenario_async"] == []


def test_python_m_scenario_async_testing_serves_the_fake_api() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "scenario_async.testing", "--port", "0", "--model", "m"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("fake Scenario API on http://127.0.0.1:")
        base_url = line.split()[4]
        with Scenario(api_key="test-key", api_secret="test-secret", base_url=base_url) as client:
            answer = client.models.training_images.add("m", data=PNG_DATA_URL, name="x.png")
        assert answer.training_image.name == "x.png"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
