"""``client.models.training_images``: add, replace, replace pairs, delete."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .. import _wire, bulk
from .._client import RequestOptions, Timeout
from .._convert import unstructure, wire_names
from .._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    NotFoundError,
)
from .._logging import logger
from .._validate import check_id, image_body
from .._wire import path_segment
from ..types.training_images import (
    Pair,
    Preset,
    TrainingImage,
    TrainingImageAddResponse,
    TrainingImageReplacePairsResponse,
    TrainingImageReplaceResponse,
)
from . import _reconcile
from ._base import NO_OPTIONS, AsyncResource, options, query

__all__ = ["AsyncTrainingImages"]

_PAIR_WIRE = wire_names(Pair)


class AsyncTrainingImages(AsyncResource):
    async def add(
        self,
        model_id: str,
        *,
        asset_id: str | None = None,
        asset_ids: Sequence[str] | None = None,
        data: str | None = None,
        name: str | None = None,
        preset: Preset | str | None = None,
        original_assets: bool | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> TrainingImageAddResponse:
        """Add one training image: from an asset (``asset_id``), up to ten assets
        (``asset_ids``), or a base64 image data URL (``data``, with its file ``name``).

        Not retried after the request may have reached the server, so a lost answer never
        adds the image twice; see docs/reliability.md.
        """
        check_id("model_id", model_id)
        fields, raw_data = image_body(
            asset_id=asset_id, asset_ids=asset_ids, data=data, name=name, preset=preset
        )
        return await self._post(
            model_id,
            fields,
            None if raw_data is None else (raw_data,),
            original_assets=original_assets,
            project_id=project_id,
            request_options=options(extra_headers, extra_query, extra_body, timeout),
        )

    async def _post(
        self,
        model_id: str,
        fields: dict[str, Any],
        data_parts: Sequence[bytes] | None,
        *,
        original_assets: bool | None = None,
        project_id: str | None = None,
        request_options: RequestOptions = NO_OPTIONS,
    ) -> TrainingImageAddResponse:
        """The add request itself, for checked input: ``data_parts`` joined are the data URL
        (already checked base64), sent without being re-encoded. add_many calls this too.

        When the answer is lost after the request went out (timeout, dropped connection, 5xx,
        unreadable 2xx), the image may or may not be stored. With the client's
        ``on_unknown_outcome="verify"`` (the default) and a ``name``, the model's training
        images are read: an image of that name means it landed; none means it is sent again,
        within ``max_retries``. See docs/reliability.md.
        """
        path = f"/models/{path_segment(model_id)}/training-images"
        raw_field = None if data_parts is None else ("data", data_parts)
        name = fields.get("name")
        client = self._client
        attempt = 0
        while True:
            try:
                result: TrainingImageAddResponse = await client.request(
                    "POST",
                    path,
                    cast_to=TrainingImageAddResponse,
                    options=request_options,
                    query=query(project_id, original_assets),
                    body=fields,
                    raw_field=raw_field,
                    idempotent=False,
                )
                return result
            except (APIConnectionError, APIStatusError, APIResponseValidationError) as error:
                if client.on_unknown_outcome != "verify" or name is None or not _unknown(error):
                    raise
                landed = await self._find_by_name(model_id, name, project_id, error)
                if landed is not None:
                    logger.info("%s landed despite: %s", name, error)
                    return TrainingImageAddResponse(training_image=landed)
                if attempt >= client.max_retries:
                    raise
                delay = _wire.retry_delay(attempt)
                logger.info("%s did not land; sending it again in %.2f s", name, delay)
                await asyncio.sleep(delay)
                attempt += 1

    async def _find_by_name(
        self, model_id: str, name: str, project_id: str | None, error: Exception
    ) -> TrainingImage | None:
        """The model's newest training image called ``name``, or None when it has none.

        The read is retried like any read; if it still fails, the add's own error is
        raised: without an answer, sending the image again could store it twice.
        """
        try:
            model = (await self._client.models.retrieve(model_id, project_id=project_id)).model
        except NotFoundError:
            return None  # no such model (yet), so nothing landed on it
        except Exception as check_error:
            raise error from check_error
        for image in reversed(model.training_images or []):
            if image.name == name:
                return image
        return None

    async def replace(
        self,
        training_image_id: str,
        *,
        model_id: str,
        asset_id: str | None = None,
        asset_ids: Sequence[str] | None = None,
        data: str | None = None,
        name: str | None = None,
        preset: Preset | str | None = None,
        original_assets: bool | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> TrainingImageReplaceResponse:
        """Replace one training image with new content, given as for ``add``.

        When a retry after a lost answer meets 404 (the service may give the replacement a
        new id), the model is read: if the old image is gone and exactly one image (of the
        sent ``name``, if any) was created since this call started, that image is the answer.
        """
        model = path_segment(check_id("model_id", model_id))
        image = path_segment(check_id("training_image_id", training_image_id))
        fields, raw_data = image_body(
            asset_id=asset_id, asset_ids=asset_ids, data=data, name=name, preset=preset
        )
        result: TrainingImageReplaceResponse = await self._client.request(
            "PUT",
            f"/models/{model}/training-images/{image}",
            cast_to=TrainingImageReplaceResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id, original_assets),
            body=fields,
            raw_field=None if raw_data is None else ("data", (raw_data,)),
            reconcile=_reconcile.replace(
                self._client, model_id, training_image_id, fields.get("name"), project_id
            ),
        )
        return result

    async def replace_pairs(
        self,
        model_id: str,
        *,
        body: Iterable[Pair | Mapping[str, Any]],
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> TrainingImageReplacePairsResponse:
        """Replace all source-to-target pairs of a model. ``body`` lists ``Pair`` objects or
        dicts with ``instruction``, ``source_id``, ``target_id`` (camelCase keys work too)."""
        model = path_segment(check_id("model_id", model_id))
        pairs = _pairs_to_wire(body)
        result: TrainingImageReplacePairsResponse = await self._client.request(
            "PUT",
            f"/models/{model}/training-images/pairs",
            cast_to=TrainingImageReplacePairsResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
            body=pairs,
        )
        return result

    async def delete(
        self,
        training_image_id: str,
        *,
        model_id: str,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> Any:
        """Delete one training image. Returns whatever JSON the service answers, or ``None``
        for an empty answer (the answer is not specified).

        A 404 after an attempt whose answer was lost returns ``None``: the image is gone, as
        asked. A 404 on the first attempt (no such image) still raises NotFoundError.
        """
        model = path_segment(check_id("model_id", model_id))
        image = path_segment(check_id("training_image_id", training_image_id))
        return await self._client.request(
            "DELETE",
            f"/models/{model}/training-images/{image}",
            cast_to=None,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
            reconcile=_reconcile.delete,
        )

    #: Many images at once; written in scenario_async/bulk.py on top of the calls above.
    add_many = bulk.add_many


def _unknown(error: Exception) -> bool:
    """Whether a failed add may have stored the image anyway."""
    if isinstance(error, APIConnectionError):
        return error.sent
    if isinstance(error, APIStatusError):
        return error.status_code >= 500
    return isinstance(error, APIResponseValidationError)


def _pairs_to_wire(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, (str, bytes, Mapping)) or not isinstance(body, Iterable):
        raise TypeError("body must be a list of Pair objects or dicts")
    wire_values = set(_PAIR_WIRE.values())
    pairs: list[dict[str, Any]] = []
    for index, item in enumerate(body):
        if isinstance(item, Pair):
            pair = unstructure(item)
        elif isinstance(item, Mapping):
            pair = {}
            for key, value in item.items():
                if key not in _PAIR_WIRE and key not in wire_values:
                    raise ValueError(
                        f"body[{index}] has an unknown key {key!r}; "
                        "expected instruction, source_id, target_id"
                    )
                pair[_PAIR_WIRE.get(key, key)] = value
        else:
            raise TypeError(f"body[{index}] must be a Pair or a dict, got {type(item).__name__}")
        for key, value in pair.items():
            if value is not None and not isinstance(value, str):
                raise TypeError(f"body[{index}].{key} must be a string")
        pairs.append(pair)
    return pairs
