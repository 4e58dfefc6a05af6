"""Nothing paid starts on a bad argument, and waiting for a run that was never started
fails at once instead of polling for hours."""

from __future__ import annotations

from typing import Any

import pytest

from scenario_async import AsyncScenario, TrainingNotStartedError
from scenario_async.testing import FakeScenario


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"poll_interval": 0}, ValueError),
        ({"poll_interval": -1}, ValueError),
        ({"poll_interval": float("nan")}, ValueError),
        ({"poll_interval": "5"}, TypeError),
        ({"timeout": 0}, ValueError),
        ({"timeout": "long"}, ValueError),
    ],
)
async def test_trigger_and_wait_checks_its_waiting_before_it_triggers(
    fake: FakeScenario, client: AsyncScenario, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    fake.add_training_image("m")
    with pytest.raises(error, match=r"poll_interval|timeout"):
        await client.models.train.trigger_and_wait("m", **kwargs)
    assert [r for r in fake.requests if r.method == "PUT"] == []  # no run started


async def test_waiting_for_a_model_never_triggered_fails_at_the_first_look(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    fake.add_training_image("m")
    with pytest.raises(TrainingNotStartedError, match="no training run to wait for") as raised:
        await client.models.train.wait("m", poll_interval=0.01)
    assert raised.value.model.status == "new"
    assert [r.method for r in fake.requests] == ["GET"]


async def test_trigger_and_wait_still_waits_for_the_run_it_started(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    fake.add_training_image("m")
    model = await client.models.train.trigger_and_wait("m", poll_interval=0.02)
    assert model.status == "trained"
