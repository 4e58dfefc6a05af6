"""``client.models.training_images``: add, replace, replace pairs, delete."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .. import bulk
from .._clock import CLOCK_MARGIN, ServerClock, parse_created_at
from .._convert import unstructure, wire_names
from .._errors import (
    APIError,
    NotFoundError,
    UnknownOutcomeError,
)
from .._options import LandingCheck, RequestOptions, Timeout
from .._raw import RawResource, raw
from .._validate import check_id, image_body
from .._wire import path_segment
from ..journal import stored_name
from ..types.models import Model, ModelRetrieveResponse
from ..types.training_images import (
    Pair,
    Preset,
    TrainingImageAddResponse,
    TrainingImageReplacePairsResponse,
    TrainingImageReplaceResponse,
)
from . import _reconcile
from ._base import NO_OPTIONS, AsyncResource, options, query, read_for_check

if TYPE_CHECKING:
    from .._client import AsyncScenario

__all__ = ["AsyncTrainingImages", "AsyncTrainingImagesWithRawResponse", "post_image", "read_model"]

_PAIR_WIRE = wire_names(Pair)


class AsyncTrainingImages(AsyncResource):
    @cached_property
    def with_raw_response(self) -> AsyncTrainingImagesWithRawResponse:
        """These calls, each answering its ``AsyncAPIResponse`` (status, headers, result)."""
        return AsyncTrainingImagesWithRawResponse(self)

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

        Not sent again after the request may have reached the server unless the model shows
        it did not land, so a lost answer never adds the image twice; see
        docs/reliability.md.
        """
        check_id("model_id", model_id)
        fields, raw_data = image_body(
            asset_id=asset_id, asset_ids=asset_ids, data=data, name=name, preset=preset
        )
        client = self._client
        check = None
        if name is not None and raw_data is not None and client.on_unknown_outcome == "verify":
            check = _SingleAddCheck(client, model_id, name, project_id)
        answer = await post_image(
            client,
            model_id,
            fields,
            None if raw_data is None else (raw_data,),
            original_assets=original_assets,
            project_id=project_id,
            request_options=options(extra_headers, extra_query, extra_body, timeout),
            check=check,
        )
        if check is not None:
            client._shared.claim(answer.training_image.id)
        return answer

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


class AsyncTrainingImagesWithRawResponse(RawResource):
    """``training_images.with_raw_response``; no ``add_many``, which sends many requests."""

    add = raw(AsyncTrainingImages.add)
    replace = raw(AsyncTrainingImages.replace)
    replace_pairs = raw(AsyncTrainingImages.replace_pairs)
    delete = raw(AsyncTrainingImages.delete)


class _SingleAddCheck:
    """The check of one ``add`` by name: a training image of the same stored name counts as
    landed only if it was created after the add started, by the server's clock, and no other
    add of this client has claimed it. With two such images, the add cannot tell which is
    its own and raises UnknownOutcomeError."""

    __slots__ = ("client", "model_id", "name", "project_id", "started")

    def __init__(
        self, client: AsyncScenario, model_id: str, name: str, project_id: str | None
    ) -> None:
        self.client = client
        self.model_id = model_id
        self.name = name
        self.project_id = project_id
        self.started = time.monotonic()

    def credible(self, answer: TrainingImageAddResponse) -> bool:
        return not self.client._shared.claimed(answer.training_image.id)

    async def find(self, error: APIError) -> TrainingImageAddResponse | None:
        name = stored_name(self.name)  # compared as the service stores it
        clock = ServerClock()
        try:
            model = await read_model(self.client, self.model_id, self.project_id, clock)
        except NotFoundError:
            return None  # no such model (yet), so nothing landed on it
        except Exception as check_error:
            raise error from check_error
        bound = clock.lower_bound(self.started)
        if bound is None:
            raise UnknownOutcomeError(
                f"{name}: the answer was lost and the server's clock is unknown (its "
                "answers carry no Date), so an older image of that name cannot be told from "
                "a new one"
            ) from error
        bound -= CLOCK_MARGIN
        candidates = []
        for image in model.training_images or []:
            if stored_name(image.name or "") != name or self.client._shared.claimed(image.id):
                continue
            created = parse_created_at(image.created_at)
            if created is None or created >= bound:
                candidates.append(image)
        if len(candidates) > 1:
            raise UnknownOutcomeError(
                f"{name}: the answer was lost and {len(candidates)} training images of "
                "that name were created meanwhile; which one is this add's cannot be told",
                candidates=tuple(image.id or "" for image in candidates),
            ) from error
        if candidates:
            self.client._shared.claim(candidates[0].id)
            return TrainingImageAddResponse(training_image=candidates[0])
        return None


async def post_image(
    client: AsyncScenario,
    model_id: str,
    fields: dict[str, Any],
    data_parts: Sequence[bytes] | None,
    *,
    original_assets: bool | None = None,
    project_id: str | None = None,
    request_options: RequestOptions = NO_OPTIONS,
    check: LandingCheck | None = None,
) -> TrainingImageAddResponse:
    """The add request itself, for checked input: ``data_parts`` joined are the data URL
    (already checked base64), sent without being re-encoded. ``add`` and add_many send
    every image with it.

    When the answer is lost after the request went out (timeout, dropped connection, 5xx,
    unreadable 2xx), or names a training image that cannot be this add's, the image may
    or may not be stored: ``check`` looks for it on the model, inside the client's one
    retry loop (``AsyncScenario.request``). See docs/reliability.md.
    """
    result: TrainingImageAddResponse = await client.request(
        "POST",
        f"/models/{path_segment(model_id)}/training-images",
        cast_to=TrainingImageAddResponse,
        options=request_options,
        query=query(project_id, original_assets),
        body=fields,
        raw_field=None if data_parts is None else ("data", data_parts),
        idempotent=False,
        check=check,
    )
    return result


async def read_model(
    client: AsyncScenario, model_id: str, project_id: str | None, clock: ServerClock | None
) -> Model:
    """The model, read to look for an add's image (retried like any read)."""
    path = f"/models/{path_segment(model_id)}"
    return (await read_for_check(client, path, ModelRetrieveResponse, project_id, clock)).model


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
