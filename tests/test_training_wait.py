"""train.wait and trigger_and_wait: to trained, or a typed error on failure, cancel, timeout."""

from __future__ import annotations

from typing import Any

import pytest

from scenario_async import AsyncScenario
from scenario_async._errors import (
    TrainingCanceledError,
    TrainingFailedError,
    TrainingTimeoutError,
)
from scenario_async.testing import FakeScenario
from scenario_async.types import Model, ModelStatus

from .conftest import MODELS, PNG_DATA_URL


async def test_wait_polls_through_queued_and_running_to_trained(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    await client.models.train.trigger("m")
    seen: list[Model] = []
    model = await client.models.train.wait("m", poll_interval=0.02, on_progress=seen.append)
    assert model.status is ModelStatus.TRAINED
    stages = [m.training_progress.stage for m in seen if m.training_progress]
    assert "queued-for-train" in stages and "running-train" in stages
    progress = [m.training_progress.progress or 0 for m in seen if m.training_progress]
    assert progress == sorted(progress) and progress[-1] == 1
    assert all(r.method == "GET" for r in fake.requests[2:])


async def test_wait_raises_training_failed_error_with_the_model(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    fake.add_model("doomed", training_outcome="failed")
    await client.models.training_images.add("doomed", data=PNG_DATA_URL, name="a.png")
    await client.models.train.trigger("doomed")
    with pytest.raises(TrainingFailedError, match="doomed failed") as info:
        await client.models.train.wait("doomed", poll_interval=0.02)
    assert info.value.model.status is ModelStatus.FAILED


async def test_wait_raises_training_canceled_error(client: AsyncScenario) -> None:
    await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    await client.models.train.trigger("m")
    await client.models.train.action("m")
    with pytest.raises(TrainingCanceledError):
        await client.models.train.wait("m", poll_interval=0.02)


async def test_wait_gives_up_after_its_timeout_and_leaves_the_run_alone() -> None:
    async with FakeScenario(models=MODELS, training_duration=30) as fake, fake.client() as client:
        await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
        await client.models.train.trigger("m")
        with pytest.raises(TrainingTimeoutError, match="still training") as info:
            await client.models.train.wait("m", poll_interval=0.02, timeout=0.1)
        assert isinstance(info.value, TimeoutError)
        assert (await client.models.retrieve("m")).model.status == "training"
        assert not any(r.path.endswith("/train/action") for r in fake.requests)


async def test_trigger_and_wait_returns_the_trained_model_with_its_parameters(
    client: AsyncScenario,
) -> None:
    await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    model = await client.models.train.trigger_and_wait(
        "m", parameters={"nb_epochs": 3}, poll_interval=0.02
    )
    assert model.status == "trained"
    assert model.parameters is not None and model.parameters.nb_epochs == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"poll_interval": 0}, "poll_interval"), ({"timeout": -1}, "timeout")],
)
async def test_bad_wait_arguments_are_refused_before_polling(
    fake: FakeScenario, client: AsyncScenario, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await client.models.train.wait("m", **kwargs)
    assert fake.requests == []


def test_the_sync_twin_waits_too(fake_scenario: FakeScenario) -> None:
    fake_scenario.training_duration = 0.1
    fake_scenario.queue_duration = 0.01
    with fake_scenario.sync_client() as client:
        client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
        model = client.models.train.trigger_and_wait("m", poll_interval=0.02)
    assert model.status == "trained"
