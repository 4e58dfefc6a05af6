"""``client.models.train``: start training and act on a running one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any, Literal

import anyio

from .._convert import unstructure, wire_names
from .._errors import (
    TrainingCanceledError,
    TrainingFailedError,
    TrainingNotStartedError,
    TrainingTimeoutError,
)
from .._options import Timeout
from .._raw import RawResource, raw
from .._validate import check_choice, check_dry_run, check_id
from .._wire import path_segment
from ..types.models import Model, ModelRetrieveResponse, ModelStatus
from ..types.parameters import TrainingParameters, current_parameter_name
from ..types.train import TrainResponse
from . import _reconcile
from ._base import AsyncResource, options, query

__all__ = ["AsyncTrain", "AsyncTrainWithRawResponse", "parameters_to_wire"]

_PARAMETER_WIRE = wire_names(TrainingParameters)
_ACTIONS = ("cancel",)


class AsyncTrain(AsyncResource):
    @cached_property
    def with_raw_response(self) -> AsyncTrainWithRawResponse:
        """These calls, each answering its ``AsyncAPIResponse`` (status, headers, result)."""
        return AsyncTrainWithRawResponse(self)

    async def trigger(
        self,
        model_id: str,
        *,
        parameters: TrainingParameters | Mapping[str, Any] | None = None,
        dry_run: bool | Literal["true", "api"] | None = None,
        training_images_count: int | None = None,
        original_assets: bool | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> TrainResponse:
        """Start training ``model_id``.

        ``dry_run=True`` (or ``"api"``) asks for the cost instead; the answer then has
        ``creative_units_cost`` and no job. ``training_images_count`` is for dry runs only.

        When a retry after a lost answer meets 409 "already training", the run is checked:
        if its job was created after this call started, this call started it, and that job
        and model are the answer (the cost fields are then None). See docs/reliability.md.
        """
        model = path_segment(check_id("model_id", model_id))
        params = query(project_id, original_assets)
        if dry_run is not None and dry_run is not False:
            params["dryRun"] = check_dry_run(dry_run)
        if training_images_count is not None:
            if not isinstance(training_images_count, int) or isinstance(
                training_images_count, bool
            ):
                raise TypeError("training_images_count must be an integer")
            if training_images_count < 0:
                raise ValueError(f"training_images_count must be >= 0, got {training_images_count}")
            if "dryRun" not in params:
                raise ValueError("training_images_count is only accepted with dry_run")
            params["trainingImagesCount"] = training_images_count
        # A dry run stores nothing: it has no lost answer to reconcile, and is just retried.
        reconcile = (
            None if "dryRun" in params else _reconcile.trigger(self._client, model_id, project_id)
        )
        body: dict[str, Any] = {}
        if parameters is not None:
            body["parameters"] = parameters_to_wire(parameters)
        result: TrainResponse = await self._client.request(
            "PUT",
            f"/models/{model}/train",
            cast_to=TrainResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=params,
            body=body,
            reconcile=reconcile,
        )
        return result

    async def action(
        self,
        model_id: str,
        *,
        action: Literal["cancel"] = "cancel",
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> ModelRetrieveResponse:
        """Act on a training run; ``"cancel"`` is the only action. Safe to repeat, so
        retried like a read.

        When a retry after a lost answer meets "not training" (400 or 409), the model is
        read: ``training-canceled`` means the cancel took effect, and that is the answer.
        """
        model = path_segment(check_id("model_id", model_id))
        result: ModelRetrieveResponse = await self._client.request(
            "POST",
            f"/models/{model}/train/action",
            cast_to=ModelRetrieveResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
            body={"action": check_choice("action", action, _ACTIONS)},
            reconcile=_reconcile.cancel(self._client, model_id, project_id),
        )
        return result

    async def wait(
        self,
        model_id: str,
        *,
        poll_interval: float = 5.0,
        timeout: float | None = 4 * 3600.0,
        on_progress: Callable[[Model], None] | None = None,
        project_id: str | None = None,
    ) -> Model:
        """Poll the model until its training ends and return it once ``trained``.

        ``on_progress`` gets the model after each poll (``model.training_progress`` has the
        stage, progress and remaining time). Raises TrainingFailedError,
        TrainingCanceledError, or TrainingTimeoutError after ``timeout`` seconds (``None``
        waits for ever); the run itself is not touched. A model that was never triggered
        (status ``new``) raises TrainingNotStartedError at once.
        """
        check_id("model_id", model_id)
        _check_wait(poll_interval, timeout)
        return await self._wait(model_id, poll_interval, timeout, on_progress, project_id, 0.0)

    async def _wait(
        self,
        model_id: str,
        poll_interval: float,
        timeout: float | None,
        on_progress: Callable[[Model], None] | None,
        project_id: str | None,
        new_for: float,
    ) -> Model:
        """``wait``, taking a model still ``new`` for one whose run has not shown yet for
        ``new_for`` seconds (just after a trigger, a read may not see it yet)."""
        started = anyio.current_time()
        deadline = None if timeout is None else started + timeout
        while True:
            model = (await self._client.models.retrieve(model_id, project_id=project_id)).model
            if on_progress is not None:
                on_progress(model)
            if model.status == ModelStatus.TRAINED:
                return model
            if model.status == ModelStatus.NEW and anyio.current_time() - started >= new_for:
                raise TrainingNotStartedError(
                    f"model {model_id} has no training run to wait for (its status is new): "
                    "start one with train.trigger",
                    model=model,
                )
            if model.status == ModelStatus.FAILED:
                raise TrainingFailedError(f"training of model {model_id} failed", model=model)
            if model.status == ModelStatus.TRAINING_CANCELED:
                raise TrainingCanceledError(
                    f"training of model {model_id} was canceled", model=model
                )
            delay = poll_interval
            if deadline is not None:
                remaining = deadline - anyio.current_time()
                if remaining <= 0:
                    raise TrainingTimeoutError(
                        f"model {model_id} was still {model.status} after {timeout} s",
                        model=model,
                    )
                delay = min(delay, remaining)
            await anyio.sleep(delay)

    async def trigger_and_wait(
        self,
        model_id: str,
        *,
        parameters: TrainingParameters | Mapping[str, Any] | None = None,
        poll_interval: float = 5.0,
        timeout: float | None = 4 * 3600.0,
        on_progress: Callable[[Model], None] | None = None,
        project_id: str | None = None,
    ) -> Model:
        """``trigger`` then ``wait``: start training and return the trained model. Every
        argument is checked before the trigger, so that no run is paid for in vain."""
        check_id("model_id", model_id)
        _check_wait(poll_interval, timeout)
        await self.trigger(model_id, parameters=parameters, project_id=project_id)
        return await self._wait(
            model_id, poll_interval, timeout, on_progress, project_id, _NEW_AFTER_TRIGGER
        )


class AsyncTrainWithRawResponse(RawResource):
    """``train.with_raw_response``; no ``wait`` or ``trigger_and_wait``, which poll."""

    trigger = raw(AsyncTrain.trigger)
    action = raw(AsyncTrain.action)


#: Seconds a model may still read ``new`` just after its trigger was answered.
_NEW_AFTER_TRIGGER = 30.0


def _check_wait(poll_interval: Any, timeout: Any) -> None:
    if isinstance(poll_interval, bool) or not isinstance(poll_interval, (int, float)):
        raise TypeError("poll_interval must be a number of seconds")
    if not poll_interval > 0:  # NaN included
        raise ValueError(f"poll_interval must be > 0, got {poll_interval}")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0
    ):
        raise ValueError(f"timeout must be > 0 seconds or None, got {timeout}")


def parameters_to_wire(parameters: Any) -> dict[str, Any]:
    """A ``TrainingParameters`` or a dict with snake_case keys, as camelCase JSON.

    Keys this version does not know are passed through untouched.
    """
    if isinstance(parameters, TrainingParameters):
        wire: dict[str, Any] = unstructure(parameters)
        return wire
    if not isinstance(parameters, Mapping):
        raise TypeError(
            f"parameters must be a TrainingParameters or a dict, got {type(parameters).__name__}"
        )
    wire = {}
    for key, value in parameters.items():
        if not isinstance(key, str):
            raise TypeError(f"parameters keys must be strings, got {key!r}")
        key = current_parameter_name(key, stacklevel=4)  # an old name: warns, gives the new
        wire[_PARAMETER_WIRE.get(key, key)] = getattr(value, "value", value)
    return wire
