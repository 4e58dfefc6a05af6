"""Writes other than adds, after a lost answer: did the earlier attempt take effect?

``AsyncScenario.request`` calls a write's reconciler when a retry fails with 400, 404 or 409
after an earlier attempt may have reached the server (a timeout, a dropped connection, a 5xx,
an unreadable 2xx). The retry then often meets what that attempt did: a training run already
going, an image already deleted. Each reconciler checks the service for the effect of its
call and returns the call's answer when it finds it, or raises the error it was given. The
rules are in docs/reliability.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .._clock import CLOCK_MARGIN, ServerClock, parse_created_at
from .._errors import APIError, APIStatusError
from .._logging import logger
from .._wire import path_segment
from ..types.jobs import JobRetrieveResponse
from ..types.models import Model, ModelRetrieveResponse, ModelStatus
from ..types.train import TrainResponse
from ..types.training_images import TrainingImageReplaceResponse
from ._base import read_for_check

if TYPE_CHECKING:
    from .._client import AsyncScenario

__all__ = ["Reconcile", "cancel", "delete", "replace", "trigger"]

T = TypeVar("T")

#: What ``AsyncScenario.request`` takes as ``reconcile``: the retry's error and the
#: ``time.monotonic()`` of the first attempt, to the call's answer (or an error raised).
Reconcile = Callable[[APIStatusError, float], Awaitable[Any]]

#: Model statuses once a run has started: still going, or over after a very short run.
_STARTED = (
    ModelStatus.TRAINING,
    ModelStatus.TRAINED,
    ModelStatus.FAILED,
    ModelStatus.TRAINING_CANCELED,
)


def trigger(client: AsyncScenario, model_id: str, project_id: str | None) -> Reconcile:
    """For ``train.trigger`` (not a dry run, which stores nothing): a 409 "already training"
    is the call's own run when the model's job was created after the call started."""

    async def reconcile(error: APIStatusError, started: float) -> TrainResponse:
        if error.status_code != 409:
            raise error
        clock = ServerClock()
        model = await _read_model(client, model_id, project_id, error, clock)
        if model.status not in _STARTED or not model.job_id:
            raise error
        path = f"/jobs/{path_segment(model.job_id)}"
        job = (await _read(client, path, JobRetrieveResponse, project_id, error, clock)).job
        if not _made_since(job.created_at, clock, started):
            raise error  # a run started before this call: the 409 is true
        logger.info("training of %s started despite: %s", model_id, error)
        return TrainResponse(job=job, model=model)

    return reconcile


async def delete(error: APIStatusError, started: float) -> None:
    """For ``training_images.delete``: a 404 after a lost answer means the image is gone,
    which is what the call asked for."""
    if error.status_code != 404:
        raise error
    logger.info("the training image is gone: %s", error)


def cancel(client: AsyncScenario, model_id: str, project_id: str | None) -> Reconcile:
    """For ``train.action("cancel")``: a 400 or 409 ("not training") is the call's own
    cancel when the model now reads ``training-canceled``."""

    async def reconcile(error: APIStatusError, started: float) -> ModelRetrieveResponse:
        if error.status_code not in (400, 409):
            raise error
        path = f"/models/{path_segment(model_id)}"
        answer = await _read(client, path, ModelRetrieveResponse, project_id, error)
        if answer.model.status != ModelStatus.TRAINING_CANCELED:
            raise error
        logger.info("training of %s was canceled despite: %s", model_id, error)
        return answer

    return reconcile


def replace(
    client: AsyncScenario,
    model_id: str,
    training_image_id: str,
    name: str | None,
    project_id: str | None,
) -> Reconcile:
    """For ``training_images.replace``: a 404 is the call's own replacement when the old
    image is gone and exactly one image (of the sent ``name``, if any) was created since the
    call started: the service gave the replacement a new id."""

    async def reconcile(error: APIStatusError, started: float) -> TrainingImageReplaceResponse:
        if error.status_code != 404:
            raise error
        clock = ServerClock()
        images = (await _read_model(client, model_id, project_id, error, clock)).training_images
        images = images or []
        if any(image.id == training_image_id for image in images):
            raise error  # the old image is still there: nothing was replaced
        made = [
            image
            for image in images
            if _made_since(image.created_at, clock, started)
            and (name is None or image.name == name)
        ]
        if len(made) != 1:
            raise error
        logger.info("training image %s was replaced despite: %s", training_image_id, error)
        return TrainingImageReplaceResponse(training_image=made[0])

    return reconcile


async def _read_model(
    client: AsyncScenario,
    model_id: str,
    project_id: str | None,
    error: APIStatusError,
    clock: ServerClock,
) -> Model:
    path = f"/models/{path_segment(model_id)}"
    return (await _read(client, path, ModelRetrieveResponse, project_id, error, clock)).model


async def _read(
    client: AsyncScenario,
    path: str,
    cast_to: type[T],
    project_id: str | None,
    error: APIStatusError,
    clock: ServerClock | None = None,
) -> T:
    """A GET for a check. If it fails, the write's own error is raised: without the check,
    nothing says the write took effect."""
    try:
        return await read_for_check(client, path, cast_to, project_id, clock)
    except APIError as check_error:
        raise error from check_error


def _made_since(created_at: str | None, clock: ServerClock, started: float) -> bool:
    """Whether ``created_at`` is at or after the call's start, on the server's clock less
    ``CLOCK_MARGIN``. False when either is unknown: the check cannot tell, so the call's
    error stands."""
    bound = clock.lower_bound(started)
    moment = parse_created_at(created_at)
    return bound is not None and moment is not None and moment >= bound - CLOCK_MARGIN
