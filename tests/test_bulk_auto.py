"""``add_many(concurrency="auto")``: the adaptive limit is wired to the requests it governs.

The limit's own decisions are proved in test_adaptive.py with a fake clock; here, that
add_many takes a slot before each add and never exceeds the limit, tells the limit when a
429 was met while an add was in flight, reports the limit in progress events, and still
stores every image exactly once. No figure of time is asserted.
"""

from __future__ import annotations

from typing import Any

import pytest

from scenario_async import AsyncScenario, bulk
from scenario_async._adaptive import AdaptiveLimit
from scenario_async.bulk import MAX_CONCURRENCY, ProgressEvent
from scenario_async.images import Image
from scenario_async.testing import FakeScenario, FaultPlan, make_png

from .conftest import MODELS


def images(count: int) -> list[Image]:
    return [
        Image.from_bytes(make_png(2, 2, (i % 256, i // 256, 9)), name=f"a{i}.png")
        for i in range(count)
    ]


class RecordingLimit(AdaptiveLimit):
    """An AdaptiveLimit that keeps what it was told and checks the slots it gives."""

    made: list[RecordingLimit] = []

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.releases: list[tuple[float, bool, bool]] = []
        self.most_in_flight = 0
        self.limits_seen: list[int] = []
        RecordingLimit.made.append(self)

    async def acquire(self) -> None:
        await super().acquire()
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.limits_seen.append(self.limit)

    def release(self, latency: float, *, throttled: bool = False, failed: bool = False) -> None:
        self.releases.append((latency, throttled, failed))
        super().release(latency, throttled=throttled, failed=failed)


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> list[RecordingLimit]:
    RecordingLimit.made = []
    monkeypatch.setattr(bulk, "AdaptiveLimit", RecordingLimit)
    return RecordingLimit.made


async def test_auto_stores_every_image_once_and_reports_its_limit(
    fake: FakeScenario, client: AsyncScenario, recording: list[RecordingLimit]
) -> None:
    events: list[ProgressEvent] = []

    result = await client.models.training_images.add_many(
        "m", images(120), concurrency="auto", on_progress=events.append
    )

    assert [o.status for o in result] == ["sent"] * 120
    assert len(fake.training_images("m")) == 120
    [limit] = recording
    assert len(limit.releases) == 120  # one slot per add, each given back
    assert limit.in_flight == 0
    assert limit.most_in_flight <= max(c for c in [bulk._AUTO_START, *limit.limits_seen])
    assert all(not throttled and not failed for _, throttled, failed in limit.releases)
    reported = [e.concurrency for e in events if e.kind == "item_done"]
    assert all(c is not None and 1 <= c <= MAX_CONCURRENCY for c in reported)
    # A server that answers at once and never refuses: the limit grew from where it starts.
    assert max(c for c in reported if c is not None) > bulk._AUTO_START


async def test_auto_is_told_of_429s_and_backs_off(recording: list[RecordingLimit]) -> None:
    plan = FaultPlan(rate_limited_429=0.3, retry_after=0.01, methods=frozenset({"POST"}), seed=3)
    async with FakeScenario(models=MODELS, faults=plan) as fake:
        async with fake.client(max_retries=20) as client:
            events: list[ProgressEvent] = []
            result = await client.models.training_images.add_many(
                "m", images(60), concurrency="auto", on_progress=events.append
            )
        stored = fake.training_images("m")

    assert [o.status for o in result] == ["sent"] * 60
    assert len(stored) == 60  # 429s are refusals: nothing stored twice
    [limit] = recording
    assert any(throttled for _, throttled, _ in limit.releases)
    reported = [e.concurrency for e in events if e.kind == "item_done"]
    assert min(c for c in reported if c is not None) < bulk._AUTO_START


async def test_a_fixed_concurrency_is_reported_as_it_is(client: AsyncScenario) -> None:
    events: list[ProgressEvent] = []
    await client.models.training_images.add_many(
        "m", images(5), concurrency=3, on_progress=events.append
    )
    assert {e.concurrency for e in events if e.kind == "item_done"} == {3}


@pytest.mark.parametrize(
    ("value", "error"),
    [("fast", TypeError), (0, ValueError), (MAX_CONCURRENCY + 1, ValueError), (True, TypeError)],
)
async def test_bad_concurrency_is_refused_before_any_request(
    fake: FakeScenario, client: AsyncScenario, value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="concurrency"):
        await client.models.training_images.add_many("m", images(1), concurrency=value)
    assert fake.requests == [] or all(r.method != "POST" for r in fake.requests)
