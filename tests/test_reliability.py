"""Faults injected by the fake API: nothing lost, nothing added twice, rate limits shared."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import pytest

from scenario_async import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    InternalServerError,
    _wire,
)
from scenario_async.images import Image
from scenario_async.testing import MIXED_KINDS, FakeScenario, FaultPlan, make_png

from .conftest import MODELS


def unique_images(count: int, prefix: str = "img") -> list[Image]:
    return [
        Image.from_bytes(make_png(6, 6, (i % 256, (i // 256) % 256, 77)), name=f"{prefix}-{i}.png")
        for i in range(count)
    ]


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry at once: these tests are about what is retried, not how long it waits."""
    monkeypatch.setattr(_wire, "retry_delay", lambda attempt, headers=None, now=None: 0.0)


def test_a_fault_plan_is_repeatable_for_a_seed() -> None:
    first = FaultPlan.mixed(0.5, seed=7)
    second = FaultPlan.mixed(0.5, seed=7)
    draws = [first.draw("POST") for _ in range(200)]
    assert draws == [second.draw("POST") for _ in range(200)]
    counts = Counter(draws)
    assert set(counts) == {None, *MIXED_KINDS}
    assert 60 <= counts[None] <= 140  # about half the requests are faulted


def test_a_fault_plan_refuses_rates_that_do_not_add_up() -> None:
    with pytest.raises(ValueError, match="error_500"):
        FaultPlan(error_500=1.5)
    with pytest.raises(ValueError, match="more than 1"):
        FaultPlan(error_500=0.6, html_error=0.6)


def test_a_fault_plan_can_limit_its_methods_and_count() -> None:
    plan = FaultPlan(error_500=1.0, methods=frozenset({"POST"}), max_faults=2)
    assert plan.draw("GET") is None
    assert [plan.draw("POST") for _ in range(4)] == ["error_500", "error_500", None, None]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("drop_after_store", APIConnectionError),
        ("error_502_after_store", InternalServerError),
        ("slow_after_store", APITimeoutError),
        ("malformed_json", APIResponseValidationError),
    ],
)
async def test_with_verify_off_an_unknown_outcome_raises_and_the_image_is_stored(
    fault: str, error: type[Exception]
) -> None:
    plan = FaultPlan(**{fault: 1.0}, slow_seconds=0.5, max_faults=1)  # type: ignore[arg-type]
    async with (
        FakeScenario(models=MODELS, faults=plan) as fake,
        fake.client(on_unknown_outcome="raise", timeout=0.2) as client,
    ):
        image = unique_images(1)[0]
        with pytest.raises(error):
            await client.models.training_images.add("m", data=image.data_url(), name=image.name)
        await asyncio.sleep(0.4)  # a slow answer is still on its way
        assert [i.name for i in fake.training_images("m")] == [image.name]
        assert len(fake.requests) == 1  # nothing was sent again


@pytest.mark.parametrize(
    "fault", ["drop_after_store", "error_502_after_store", "slow_after_store", "malformed_json"]
)
async def test_an_add_whose_answer_was_lost_is_found_on_the_model_not_sent_twice(
    fault: str,
) -> None:
    plan = FaultPlan(**{fault: 1.0}, slow_seconds=0.5, max_faults=1)  # type: ignore[arg-type]
    async with FakeScenario(models=MODELS, faults=plan) as fake, fake.client(timeout=0.2) as client:
        image = unique_images(1)[0]
        answer = await client.models.training_images.add(
            "m", data=image.data_url(), name=image.name
        )
        (stored,) = fake.training_images("m")
        assert answer.training_image.id == stored.id
        assert [(r.method, r.path) for r in fake.requests] == [
            ("POST", "/v1/models/m/training-images"),
            ("GET", "/v1/models/m"),
        ]


@pytest.mark.parametrize("fault", ["error_500", "html_error", "unavailable_503"])
async def test_an_add_that_failed_before_storing_is_checked_then_sent_again(
    fault: str, no_backoff: None
) -> None:
    plan = FaultPlan(**{fault: 1.0}, max_faults=1)  # type: ignore[arg-type]
    async with FakeScenario(models=MODELS, faults=plan) as fake, fake.client() as client:
        image = unique_images(1)[0]
        answer = await client.models.training_images.add(
            "m", data=image.data_url(), name=image.name
        )
        (stored,) = fake.training_images("m")
        assert answer.training_image.id == stored.id
        assert [r.method for r in fake.requests] == ["POST", "GET", "POST"]


async def test_an_add_by_asset_id_has_no_name_to_check_and_raises(no_backoff: None) -> None:
    async with FakeScenario(
        models=MODELS, faults=FaultPlan(error_502_after_store=1.0, max_faults=1)
    ) as fake:
        asset = fake.add_asset(make_png(2, 2))
        async with fake.client() as client:
            with pytest.raises(InternalServerError):
                await client.models.training_images.add("m", asset_id=asset.id)
        assert [r.method for r in fake.requests] == ["POST"]


async def test_a_429_pauses_every_request_of_the_client_for_retry_after() -> None:
    plan = FaultPlan(rate_limited_429=1.0, retry_after=0.3, max_faults=1)
    async with (
        FakeScenario(models=MODELS, faults=plan, latency=0.02) as fake,
        fake.client() as client,
    ):
        result = await client.models.training_images.add_many("m", unique_images(12), concurrency=4)
    assert not result.failed
    limited_at = fake.requests[0].at  # the first request drew the 429
    later = [r.at for r in fake.requests[4:]]  # the three others were already in flight
    assert later and min(later) >= limited_at + 0.28


async def test_a_client_side_rate_limit_spaces_request_starts() -> None:
    async with FakeScenario(models=MODELS) as fake, fake.client(rate_limit=50) as client:
        await client.models.training_images.add_many("m", unique_images(10), concurrency=10)
    starts = sorted(r.at for r in fake.requests)
    assert starts[-1] - starts[0] >= 9 / 50 * 0.9


@pytest.mark.parametrize("seed", [1, 2])
async def test_a_seeded_mixed_fault_run_loses_nothing_and_duplicates_nothing(seed: int) -> None:
    await _chaos_run(count=60, seed=seed)


@pytest.mark.slow
async def test_chaos_300_images_a_quarter_of_requests_faulted() -> None:
    await _chaos_run(count=300, seed=2026)


async def _chaos_run(count: int, seed: int) -> None:
    plan = FaultPlan.mixed(0.25, seed=seed, retry_after=0.02, slow_seconds=0.6)
    images = unique_images(count, prefix=f"chaos{seed}")
    async with (
        FakeScenario(models=MODELS, faults=plan) as fake,
        fake.client(max_retries=6, timeout=0.3) as client,
    ):
        result = await client.models.training_images.add_many("m", images, concurrency=16)
        await asyncio.sleep(0.7)  # answers delayed past the timeout finish arriving
    assert len(result) == count  # an outcome for every input
    stored = fake.training_images("m")
    names = Counter(image.name for image in stored)
    assert [name for name, n in names.items() if n > 1] == []  # nothing stored twice
    ids = {image.id for image in stored}
    for outcome in result.succeeded:  # every reported success is really stored
        assert outcome.training_image is not None and outcome.training_image.id in ids
    assert len(result.succeeded) >= 0.97 * count
    assert sum(fake.faults_injected.values()) > count * 0.15  # the plan really bit
    unreported = set(names) - {o.training_image.name for o in result.succeeded if o.training_image}
    assert unreported <= {o.source.name for o in result.failed}


async def test_closing_the_client_mid_upload_ends_the_upload_quickly() -> None:
    with FakeScenario(models=MODELS, latency=0.2).serve_in_thread() as fake:
        client = fake.client()
        task = asyncio.create_task(
            client.models.training_images.add_many("m", unique_images(30), concurrency=4)
        )
        await asyncio.sleep(0.3)
        await client.aclose()
        result = await asyncio.wait_for(task, timeout=1.0)
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    assert len(result) == 30
    assert result.failed  # what could not be sent is accounted for, not lost
    stored = {image.id for image in fake.training_images("m")}
    assert {o.training_image.id for o in result.succeeded if o.training_image} <= stored


def test_closing_the_sync_client_while_other_threads_call_it(fake_scenario: FakeScenario) -> None:
    fake_scenario.latency = 0.3
    threads_before = set(threading.enumerate())
    client = fake_scenario.sync_client()
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.models.retrieve("m")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    client.close()
    for thread in threads:
        thread.join(timeout=2)
    assert not any(thread.is_alive() for thread in threads)
    assert len(errors) == 4
    assert all(isinstance(e, RuntimeError) and "closed" in str(e) for e in errors)
    assert set(threading.enumerate()) <= threads_before  # the client's loop thread is gone
