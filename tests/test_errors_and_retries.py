"""Typed errors for every failure, and retries only where repeating cannot duplicate work."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from scenario_async import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncScenario,
    AuthenticationError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    _wire,
)
from scenario_async.testing import FakeScenario

from .conftest import API_KEY, API_SECRET, BASE, PNG_DATA_URL

ADD_URL = f"{BASE}/models/m/training-images"
GET_URL = f"{BASE}/models/m"
IMAGE = {"trainingImage": {"id": "ti_1", "name": "a.png"}}


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records each retry delay the client chose, and skips the actual wait."""
    chosen: list[float] = []
    real = _wire.retry_delay

    def record(attempt: int, headers: Any = None, *, now: float | None = None) -> float:
        chosen.append(real(attempt, headers, now=now))
        return 0.0

    monkeypatch.setattr(_wire, "retry_delay", record)
    return chosen


@pytest.fixture
def mock() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


def count(mock: aioresponses) -> int:
    return sum(len(calls) for calls in (mock.requests or {}).values())


async def test_a_get_is_retried_on_503_until_it_succeeds(
    mock: aioresponses, credentials: None, delays: list[float]
) -> None:
    mock.get(GET_URL, status=503, body="")
    mock.get(GET_URL, status=503, body="")
    mock.get(GET_URL, payload={"model": {"id": "m"}})
    async with AsyncScenario(max_retries=2) as client:
        answer = await client.models.retrieve("m")
    assert answer.model.id == "m"
    assert count(mock) == 3
    assert len(delays) == 2


async def test_retries_stop_at_max_retries_and_raise_the_last_error(
    mock: aioresponses, credentials: None, delays: list[float]
) -> None:
    for _ in range(3):
        mock.get(GET_URL, status=500, payload={"message": "boom"})
    async with AsyncScenario(max_retries=2) as client:
        with pytest.raises(InternalServerError, match="boom") as info:
            await client.models.retrieve("m")
    assert info.value.status_code == 500
    assert count(mock) == 3


async def test_with_raise_an_add_answered_500_is_not_sent_again(
    mock: aioresponses, credentials: None, delays: list[float]
) -> None:
    mock.post(ADD_URL, status=500, payload={"message": "stored? maybe"})
    mock.post(ADD_URL, payload=IMAGE)
    async with AsyncScenario(max_retries=3, on_unknown_outcome="raise") as client:
        with pytest.raises(InternalServerError):
            await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    assert count(mock) == 1
    assert delays == []


async def test_an_add_dropped_after_sending_is_not_resent_blindly(
    mock: aioresponses, credentials: None, delays: list[float]
) -> None:
    # By asset id there is no name to check on the model, so the error is raised as it is.
    mock.post(ADD_URL, exception=aiohttp.ServerDisconnectedError())
    async with AsyncScenario(max_retries=3) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.models.training_images.add("m", asset_id="a")
    assert info.value.sent is True
    assert count(mock) == 1


async def test_an_add_answered_429_is_retried_after_the_asked_delay(
    mock: aioresponses, credentials: None, delays: list[float]
) -> None:
    mock.post(ADD_URL, status=429, headers={"Retry-After": "2"}, payload={"message": "slow"})
    mock.post(ADD_URL, payload=IMAGE)
    async with AsyncScenario(max_retries=2) as client:
        answer = await client.models.training_images.add("m", asset_id="a")
    assert answer.training_image.id == "ti_1"
    assert delays == [2.0]
    assert count(mock) == 2


async def test_429_after_the_last_retry_is_a_rate_limit_error_with_its_headers(
    mock: aioresponses, credentials: None, delays: list[float]
) -> None:
    mock.post(ADD_URL, status=429, headers={"Retry-After": "1"}, body="")
    async with AsyncScenario(max_retries=0) as client:
        with pytest.raises(RateLimitError) as info:
            await client.models.training_images.add("m", asset_id="a")
    assert info.value.headers["Retry-After"] == "1"


async def test_a_refused_connection_is_retried_even_for_an_add(delays: list[float]) -> None:
    # Nothing listens on port 9 of loopback: the connection is refused, nothing was sent.
    async with AsyncScenario(
        api_key="k", api_secret="s", base_url="http://127.0.0.1:9/v1", max_retries=2
    ) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.models.training_images.add("m", asset_id="a")
    assert info.value.sent is False
    assert not isinstance(info.value, APITimeoutError)
    assert len(delays) == 2


async def test_a_slow_answer_raises_api_timeout_error_and_an_add_is_not_resent(
    delays: list[float],
) -> None:
    async with (
        FakeScenario(latency=0.5) as fake,
        fake.client(max_retries=3, timeout=0.1, on_unknown_outcome="raise") as client,
    ):
        with pytest.raises(APITimeoutError):
            await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    assert len(fake.requests) == 1
    assert delays == []


async def test_a_per_call_timeout_overrides_the_client_default() -> None:
    async with FakeScenario(latency=0.3) as fake, fake.client(max_retries=0, timeout=30) as client:
        with pytest.raises(APITimeoutError):
            await client.models.retrieve("m", timeout=0.05)


async def test_with_options_makes_a_configured_copy_that_shares_the_pool(
    mock: aioresponses, credentials: None, delays: list[float]
) -> None:
    mock.get(GET_URL, status=503, body="")
    mock.get(GET_URL, payload={"model": {"id": "m"}})
    async with AsyncScenario(max_retries=0) as client:
        patient = client.with_options(max_retries=1, timeout=5)
        assert patient.max_retries == 1 and client.max_retries == 0
        assert patient.timeout.total == 5 and client.timeout.total == 60
        assert (await patient.models.retrieve("m")).model.id == "m"
        assert patient._shared is client._shared
    assert patient.is_closed


async def test_wrong_credentials_raise_authentication_error_with_the_server_message(
    fake: FakeScenario,
) -> None:
    async with fake.client(api_secret="wrong") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.models.retrieve("m")
    assert info.value.status_code == 401
    assert info.value.server_message == "Invalid API key or secret"


async def test_not_found_carries_method_url_and_body(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.jobs.retrieve("job_nope")
    assert info.value.method == "GET"
    assert info.value.url == f"{fake.base_url}/jobs/job_nope"
    assert info.value.body == {"message": "job job_nope not found"}


async def test_an_html_502_from_a_proxy_is_an_internal_server_error(
    mock: aioresponses, credentials: None
) -> None:
    html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    mock.post(ADD_URL, status=502, body=html, content_type="text/html")
    async with AsyncScenario(max_retries=0) as client:
        with pytest.raises(InternalServerError, match="502 Bad Gateway") as info:
            await client.models.training_images.add("m", asset_id="a")
    assert info.value.body == html


async def test_a_truncated_success_answer_is_a_response_validation_error(
    mock: aioresponses, credentials: None
) -> None:
    mock.post(ADD_URL, status=200, body='{"trainingImage": {"id": "x"')
    async with AsyncScenario() as client:
        with pytest.raises(APIResponseValidationError, match="not JSON"):
            await client.models.training_images.add("m", asset_id="a")


async def test_a_success_without_training_image_is_a_response_validation_error(
    mock: aioresponses, credentials: None
) -> None:
    mock.post(ADD_URL, status=200, payload={"somethingElse": {}})
    async with AsyncScenario() as client:
        with pytest.raises(APIResponseValidationError, match="TrainingImageAddResponse"):
            await client.models.training_images.add("m", asset_id="a")


async def test_errors_never_carry_the_credentials(mock: aioresponses, credentials: None) -> None:
    mock.post(ADD_URL, status=403, payload={"message": "forbidden"})
    token = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
    async with AsyncScenario(max_retries=0) as client:
        with pytest.raises(Exception) as info:  # noqa: PT011 - checked below
            await client.models.training_images.add("m", asset_id="a")
        text = " ".join([str(info.value), repr(info.value), repr(vars(info.value)), repr(client)])
    assert API_SECRET not in text and token not in text


async def test_a_closed_client_refuses_new_calls(fake: FakeScenario) -> None:
    client = fake.client()
    await client.aclose()
    await client.aclose()  # closing twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        await client.models.retrieve("m")
