"""Writes other than adds, after a lost answer: a retry that meets what the lost attempt did
(409 already training, 404 already deleted or replaced, 400 not training) is reconciled by
reading the service, not raised; without a lost answer, the same status still raises."""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aioresponses import aioresponses
from yarl import URL

from scenario_async import (
    APIConnectionError,
    AsyncScenario,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    _wire,
)
from scenario_async._clock import CLOCK_MARGIN, ServerClock, parse_created_at
from scenario_async.testing import FakeScenario, FaultPlan
from scenario_async.types import JobStatus, ModelStatus

from .conftest import BASE, PNG_DATA_URL

LOST_ANSWERS = ["drop_after_store", "error_502_after_store", "slow_after_store", "malformed_json"]


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry at once: these tests are about what a retry meets, not how long it waits."""
    monkeypatch.setattr(_wire, "retry_delay", lambda attempt, headers=None, now=None: 0.0)


def lose_first(fault: str, method: str) -> FaultPlan:
    """A plan that loses the answer of the first ``method`` request, after it did its work."""
    return FaultPlan(
        **{fault: 1.0},  # type: ignore[arg-type]
        slow_seconds=0.6,
        methods=frozenset({method}),
        max_faults=1,
    )


def sent(fake: FakeScenario) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests]


# The embedded fake API: the first attempt does its work and its answer is lost ------------


@pytest.mark.parametrize("fault", LOST_ANSWERS)
async def test_a_trigger_whose_answer_was_lost_returns_the_run_it_started(
    fault: str, no_backoff: None
) -> None:
    plan = lose_first(fault, "PUT")
    async with (
        FakeScenario(faults=plan, queue_duration=5.0, training_duration=5.0) as fake,
        fake.client(timeout=0.3) as client,
    ):
        fake.add_training_image("m")
        answer = await client.models.train.trigger("m")
        run = fake.state.models["m"].run
        assert run is not None
        assert answer.job is not None and answer.job.job_id == run.job_id
        assert answer.job.status is JobStatus.QUEUED
        assert answer.model is not None and answer.model.status is ModelStatus.TRAINING
        assert answer.model.job_id == run.job_id
        assert answer.creative_units_cost is None and answer.cost_details is None
        assert len(fake.state.jobs) == 1  # one run, not two
        assert sent(fake) == [
            ("PUT", "/v1/models/m/train"),
            ("PUT", "/v1/models/m/train"),
            ("GET", "/v1/models/m"),
            ("GET", f"/v1/jobs/{run.job_id}"),
        ]


async def test_a_dry_run_whose_answer_was_lost_is_just_retried(no_backoff: None) -> None:
    async with (
        FakeScenario(faults=lose_first("error_502_after_store", "PUT")) as fake,
        fake.client() as client,
    ):
        fake.add_training_image("m")
        answer = await client.models.train.trigger("m", dry_run=True)
        assert answer.creative_units_cost == 105 and answer.job is None
        assert sent(fake) == [("PUT", "/v1/models/m/train"), ("PUT", "/v1/models/m/train")]


# A 2xx of any body is a delete's success (its answer is not specified): no malformed_json.
@pytest.mark.parametrize("fault", LOST_ANSWERS[:3])
async def test_a_delete_whose_answer_was_lost_succeeds_on_the_retrys_404(
    fault: str, no_backoff: None
) -> None:
    async with (
        FakeScenario(faults=lose_first(fault, "DELETE")) as fake,
        fake.client(timeout=0.3) as client,
    ):
        image = fake.add_training_image("m")
        kept = fake.add_training_image("m", name="kept.png")
        assert await client.models.training_images.delete(image.id, model_id="m") is None
        assert [i.id for i in fake.training_images("m")] == [kept.id]
        path = f"/v1/models/m/training-images/{image.id}"
        assert sent(fake) == [("DELETE", path), ("DELETE", path)]


@pytest.mark.parametrize("fault", LOST_ANSWERS)
async def test_a_cancel_whose_answer_was_lost_returns_the_canceled_model(
    fault: str, no_backoff: None
) -> None:
    async with (
        FakeScenario(faults=lose_first(fault, "POST"), queue_duration=5.0) as fake,
        fake.client(timeout=0.3) as client,
    ):
        fake.add_training_image("m")
        started = await client.models.train.trigger("m")
        answer = await client.models.train.action("m")
        assert answer.model.status is ModelStatus.TRAINING_CANCELED
        assert started.job is not None and answer.model.job_id == started.job.job_id
        assert sent(fake) == [
            ("PUT", "/v1/models/m/train"),
            ("POST", "/v1/models/m/train/action"),
            ("POST", "/v1/models/m/train/action"),
            ("GET", "/v1/models/m"),
        ]


async def test_the_model_names_the_job_of_its_current_run(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    fake.add_training_image("m")
    assert (await client.models.retrieve("m")).model.job_id is None
    started = await client.models.train.trigger("m")
    assert started.job is not None and started.model is not None
    assert started.model.job_id == started.job.job_id
    assert (await client.models.retrieve("m")).model.job_id == started.job.job_id


# aioresponses: answers the fake API does not give -------------------------------------


def http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


class Calls:
    """aioresponses answers, each recording (method, path) as it is used, in order."""

    def __init__(self, mock: aioresponses) -> None:
        self.mock = mock
        self.sent: list[tuple[str, str]] = []

    def add(self, method: str, path: str, **answer: Any) -> None:
        def record(url: URL, **_: Any) -> None:
            self.sent.append((method, url.path.removeprefix("/v1")))

        self.mock.add(f"{BASE}{path}", method, callback=record, **answer)

    def read(self, path: str, payload: Any, *, date: datetime | None = None) -> None:
        """A GET answered with ``payload`` and, by default, a ``Date`` of now."""
        moment = datetime.now(timezone.utc) if date is None else date
        self.add("GET", path, payload=payload, headers={"Date": http_date(moment)})


@pytest.fixture
def calls() -> Iterator[Calls]:
    with aioresponses() as mock:
        yield Calls(mock)


@pytest_asyncio.fixture
async def retrying_client(credentials: None) -> AsyncIterator[AsyncScenario]:
    """A client for the production URL that retries (``mocked_client`` does not)."""
    async with AsyncScenario(max_retries=2) as client:
        yield client


BAD_GATEWAY: dict[str, Any] = {"status": 502, "body": "<html>502 Bad Gateway</html>"}
IMAGE_PATH = "/models/m/training-images/ti_old"
DATA_URL = PNG_DATA_URL


def image(image_id: str, name: str, created: datetime) -> dict[str, Any]:
    return {"id": image_id, "name": name, "createdAt": iso(created), "downloadUrl": "u"}


def error(status: int, message: str) -> dict[str, Any]:
    return {"status": status, "payload": {"message": message}}


async def test_a_replace_that_got_a_new_id_is_found_after_the_retrys_404(
    calls: Calls, retrying_client: AsyncScenario, no_backoff: None
) -> None:
    now = datetime.now(timezone.utc)
    old = image("ti_other", "other.png", now - timedelta(hours=1))
    new = image("ti_new", "new.png", now)
    calls.add("PUT", IMAGE_PATH, exception=aiohttp.ServerDisconnectedError())
    calls.add("PUT", IMAGE_PATH, **error(404, "training image ti_old not found"))
    calls.read("/models/m", {"model": {"id": "m", "trainingImages": [old, new]}})
    answer = await retrying_client.models.training_images.replace(
        "ti_old", model_id="m", data=DATA_URL, name="new.png"
    )
    assert answer.training_image.id == "ti_new" and answer.training_image.name == "new.png"
    assert calls.sent == [("PUT", IMAGE_PATH), ("PUT", IMAGE_PATH), ("GET", "/models/m")]


@pytest.mark.parametrize(
    ("images", "why"),
    [
        ([("ti_a", "new.png", 0), ("ti_b", "new.png", 0)], "two new images: which is unknown"),
        ([("ti_a", "other.png", 0)], "the new image has another name"),
        ([("ti_a", "new.png", -600)], "the image is older than the call"),
        ([("ti_old", "new.png", -600), ("ti_a", "new.png", 0)], "the old image is still there"),
        ([], "no new image"),
    ],
)
async def test_a_replace_raises_the_retrys_404_when_the_model_shows_no_single_new_image(
    images: list[tuple[str, str, int]],
    why: str,
    calls: Calls,
    retrying_client: AsyncScenario,
    no_backoff: None,
) -> None:
    now = datetime.now(timezone.utc)
    listed = [image(i, name, now + timedelta(seconds=age)) for i, name, age in images]
    calls.add("PUT", IMAGE_PATH, **BAD_GATEWAY)
    calls.add("PUT", IMAGE_PATH, **error(404, "training image ti_old not found"))
    calls.read("/models/m", {"model": {"id": "m", "trainingImages": listed}})
    with pytest.raises(NotFoundError, match="ti_old not found"):
        await retrying_client.models.training_images.replace(
            "ti_old", model_id="m", data=DATA_URL, name="new.png"
        )
    assert calls.sent == [("PUT", IMAGE_PATH), ("PUT", IMAGE_PATH), ("GET", "/models/m")], why


async def test_an_image_made_within_the_clock_margin_before_the_call_counts_as_its_own(
    calls: Calls, retrying_client: AsyncScenario, no_backoff: None
) -> None:
    """The margin: the server that stored the image may run up to 2 s behind the one that
    answered the read, so a ``createdAt`` that far before the call's start still counts."""
    now = datetime.now(timezone.utc)
    calls.add("PUT", IMAGE_PATH, **BAD_GATEWAY)
    calls.add("PUT", IMAGE_PATH, **error(404, "training image ti_old not found"))
    early = image("ti_new", "new.png", now - CLOCK_MARGIN + timedelta(milliseconds=100))
    calls.read("/models/m", {"model": {"id": "m", "trainingImages": [early]}}, date=now)
    answer = await retrying_client.models.training_images.replace(
        "ti_old", model_id="m", data=DATA_URL, name="new.png"
    )
    assert answer.training_image.id == "ti_new"


async def test_a_replace_404_on_the_first_attempt_still_raises(
    calls: Calls, retrying_client: AsyncScenario
) -> None:
    calls.add("PUT", IMAGE_PATH, **error(404, "training image ti_old not found"))
    with pytest.raises(NotFoundError, match="ti_old not found"):
        await retrying_client.models.training_images.replace("ti_old", model_id="m", asset_id="a")
    assert calls.sent == [("PUT", IMAGE_PATH)]


async def test_a_delete_404_on_the_first_attempt_still_raises(
    calls: Calls, retrying_client: AsyncScenario
) -> None:
    calls.add("DELETE", IMAGE_PATH, **error(404, "training image ti_old not found"))
    with pytest.raises(NotFoundError, match="ti_old not found"):
        await retrying_client.models.training_images.delete("ti_old", model_id="m")
    assert calls.sent == [("DELETE", IMAGE_PATH)]


async def test_a_delete_404_after_a_429_still_raises_as_the_429_was_not_acted_on(
    calls: Calls, retrying_client: AsyncScenario, no_backoff: None
) -> None:
    calls.add("DELETE", IMAGE_PATH, status=429, payload={"message": "slow down"})
    calls.add("DELETE", IMAGE_PATH, **error(404, "training image ti_old not found"))
    with pytest.raises(NotFoundError):
        await retrying_client.models.training_images.delete("ti_old", model_id="m")
    assert calls.sent == [("DELETE", IMAGE_PATH), ("DELETE", IMAGE_PATH)]


TRAIN_PATH = "/models/m/train"


def training_model(job_id: str | None, status: str = "training") -> dict[str, Any]:
    return {"model": {"id": "m", "status": status, "jobId": job_id}}


def job(job_id: str, created: datetime) -> dict[str, Any]:
    return {"job": {"jobId": job_id, "createdAt": iso(created), "status": "queued"}}


@pytest.mark.parametrize("status", ["training", "trained", "failed", "training-canceled"])
async def test_a_trigger_409_after_a_lost_answer_returns_the_run_begun_since_the_call(
    status: str, calls: Calls, retrying_client: AsyncScenario, no_backoff: None
) -> None:
    calls.add("PUT", TRAIN_PATH, exception=asyncio.TimeoutError())
    calls.add("PUT", TRAIN_PATH, **error(409, "model m is already training"))
    calls.read("/models/m", training_model("job_1", status))
    calls.read("/jobs/job_1", job("job_1", datetime.now(timezone.utc)))
    answer = await retrying_client.models.train.trigger("m")
    assert answer.job is not None and answer.job.job_id == "job_1"
    assert answer.model is not None and answer.model.status == status
    assert answer.creative_units_cost is None
    assert calls.sent == [
        ("PUT", TRAIN_PATH),
        ("PUT", TRAIN_PATH),
        ("GET", "/models/m"),
        ("GET", "/jobs/job_1"),
    ]


async def test_a_trigger_409_raises_when_the_running_training_is_older_than_the_call(
    calls: Calls, retrying_client: AsyncScenario, no_backoff: None
) -> None:
    calls.add("PUT", TRAIN_PATH, **BAD_GATEWAY)
    calls.add("PUT", TRAIN_PATH, **error(409, "model m is already training"))
    calls.read("/models/m", training_model("job_1"))
    calls.read("/jobs/job_1", job("job_1", datetime.now(timezone.utc) - timedelta(minutes=5)))
    with pytest.raises(ConflictError, match="already training"):
        await retrying_client.models.train.trigger("m")
    assert calls.sent == [
        ("PUT", TRAIN_PATH),
        ("PUT", TRAIN_PATH),
        ("GET", "/models/m"),
        ("GET", "/jobs/job_1"),
    ]


@pytest.mark.parametrize(
    ("model", "why"),
    [
        (training_model(None), "the model names no job"),
        (training_model("job_1", "new"), "the model is not training"),
    ],
)
async def test_a_trigger_409_raises_when_the_model_shows_no_run_of_this_call(
    model: dict[str, Any],
    why: str,
    calls: Calls,
    retrying_client: AsyncScenario,
    no_backoff: None,
) -> None:
    calls.add("PUT", TRAIN_PATH, **BAD_GATEWAY)
    calls.add("PUT", TRAIN_PATH, **error(409, "model m is already training"))
    calls.read("/models/m", model)
    with pytest.raises(ConflictError):
        await retrying_client.models.train.trigger("m")
    assert calls.sent == [("PUT", TRAIN_PATH), ("PUT", TRAIN_PATH), ("GET", "/models/m")], why


async def test_a_trigger_409_raises_when_no_answer_gives_the_servers_clock(
    calls: Calls, retrying_client: AsyncScenario, no_backoff: None
) -> None:
    """Without a ``Date`` header, a new run cannot be told from an old one: the 409 stands."""
    calls.add("PUT", TRAIN_PATH, **BAD_GATEWAY)
    calls.add("PUT", TRAIN_PATH, **error(409, "model m is already training"))
    calls.add("GET", "/models/m", payload=training_model("job_1"))
    calls.add("GET", "/jobs/job_1", payload=job("job_1", datetime.now(timezone.utc)))
    with pytest.raises(ConflictError):
        await retrying_client.models.train.trigger("m")
    assert calls.sent[-1] == ("GET", "/jobs/job_1")


async def test_a_trigger_409_raises_with_the_check_as_cause_when_the_check_fails(
    calls: Calls, retrying_client: AsyncScenario, no_backoff: None
) -> None:
    calls.add("PUT", TRAIN_PATH, **BAD_GATEWAY)
    calls.add("PUT", TRAIN_PATH, **error(409, "model m is already training"))
    calls.add("GET", "/models/m", **error(400, "bad project"))
    with pytest.raises(ConflictError) as raised:
        await retrying_client.models.train.trigger("m")
    assert isinstance(raised.value.__cause__, BadRequestError)
    assert calls.sent == [("PUT", TRAIN_PATH), ("PUT", TRAIN_PATH), ("GET", "/models/m")]


async def test_a_trigger_409_on_every_attempt_still_raises_without_a_check(
    calls: Calls, retrying_client: AsyncScenario, no_backoff: None
) -> None:
    for _ in range(3):
        calls.add("PUT", TRAIN_PATH, **error(409, "model m is already training"))
    with pytest.raises(ConflictError):
        await retrying_client.models.train.trigger("m")
    assert calls.sent == [("PUT", TRAIN_PATH)] * 3


async def test_a_trigger_whose_retries_all_fail_raises_the_last_5xx(
    calls: Calls, retrying_client: AsyncScenario, no_backoff: None
) -> None:
    for _ in range(3):
        calls.add("PUT", TRAIN_PATH, **BAD_GATEWAY)
    with pytest.raises(InternalServerError):
        await retrying_client.models.train.trigger("m")
    assert calls.sent == [("PUT", TRAIN_PATH)] * 3


ACTION_PATH = "/models/m/train/action"


async def test_a_cancel_400_on_the_first_attempt_still_raises(
    calls: Calls, retrying_client: AsyncScenario
) -> None:
    calls.add("POST", ACTION_PATH, **error(400, "model m is not training"))
    with pytest.raises(BadRequestError, match="not training"):
        await retrying_client.models.train.action("m")
    assert calls.sent == [("POST", ACTION_PATH)]


async def test_a_cancel_400_after_a_lost_answer_raises_when_the_model_is_not_canceled(
    calls: Calls, retrying_client: AsyncScenario, no_backoff: None
) -> None:
    calls.add("POST", ACTION_PATH, **BAD_GATEWAY)
    calls.add("POST", ACTION_PATH, **error(400, "model m is not training"))
    calls.read("/models/m", training_model("job_1", "trained"))
    with pytest.raises(BadRequestError, match="not training"):
        await retrying_client.models.train.action("m")
    assert calls.sent == [("POST", ACTION_PATH), ("POST", ACTION_PATH), ("GET", "/models/m")]


# _clock.py ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-06T07:08:09.123Z", datetime(2024, 5, 6, 7, 8, 9, 123000, timezone.utc)),
        ("2024-05-06T09:08:09+02:00", datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)),
        ("2024-05-06T07:08:09", datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)),
    ],
)
def test_parse_created_at_reads_z_offsets_and_takes_naive_times_as_utc(
    text: str, expected: datetime
) -> None:
    parsed = parse_created_at(text)
    assert parsed == expected and parsed is not None and parsed.tzinfo is not None


@pytest.mark.parametrize("value", ["", "yesterday", "2024-13-40T00:00:00Z", None, 1715000000])
def test_parse_created_at_gives_none_for_what_is_not_a_time(value: object) -> None:
    assert parse_created_at(value) is None


def observed(headers: dict[str, str]) -> ServerClock:
    clock = ServerClock()
    clock.observe(headers)
    return clock


def test_a_server_clock_counts_back_from_the_date_by_the_time_elapsed_since() -> None:
    clock = observed({"Date": "Mon, 06 May 2024 07:08:09 GMT"})
    seen = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert clock.lower_bound(clock.received) == seen
    assert clock.lower_bound(clock.received - 5.0) == seen - timedelta(seconds=5)
    assert clock.lower_bound(clock.received + 1.0) == seen  # never after the Date


@pytest.mark.parametrize(
    "headers", [{}, {"Date": ""}, {"Date": "not a date"}, {"Date": "Mon, 99 Foo 2024"}]
)
def test_a_server_clock_without_a_usable_date_gives_no_bound(headers: dict[str, str]) -> None:
    assert observed(headers).lower_bound(0.0) is None


def test_a_server_clock_takes_a_date_without_a_zone_as_utc() -> None:
    clock = observed({"Date": "Mon, 06 May 2024 07:08:09 -0000"})
    assert clock.lower_bound(clock.received) == datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


async def test_a_dropped_put_is_not_resent_behind_max_retries() -> None:
    """aiohttp's own unseen resend is off: the client's retry loop is the only one."""
    async with (
        FakeScenario(faults=lose_first("drop_after_store", "PUT"), queue_duration=5.0) as fake,
        fake.client(max_retries=0) as client,
    ):
        fake.add_training_image("m")
        with pytest.raises(APIConnectionError) as raised:
            await client.models.train.trigger("m")
        assert raised.value.sent
        assert sent(fake) == [("PUT", "/v1/models/m/train")]
