"""``client.models``: create, list, read, change, copy, download and delete models; their
training images, training and dataset score live below them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, overload

from .._convert import camel_case
from .._errors import APIStatusError
from .._options import RequestOptions, Timeout
from .._raw import RawResource, first_page, raw, raw_of
from .._validate import (
    check_bool,
    check_choice,
    check_choices,
    check_dry_run,
    check_id,
    check_ids,
    check_optional_str,
    check_page_size,
)
from .._wire import path_segment
from ..types.common import ModelType, Privacy
from ..types.models import (
    Model,
    ModelCopyResponse,
    ModelCreateResponse,
    ModelDownloadResponse,
    ModelListPage,
    ModelRestoreResponse,
    ModelRetrieveResponse,
    ModelStatus,
    ModelUpdateResponse,
)
from ..types.parameters import TrainingParameters
from ..types.scores import ScoreRetrieveTrainingDatasetResponse
from ..types.train import CostEstimate
from ._base import AsyncResource, options, query
from ._pages import items, pages
from .train import AsyncTrain, AsyncTrainWithRawResponse, parameters_to_wire
from .training_images import AsyncTrainingImages, AsyncTrainingImagesWithRawResponse

if TYPE_CHECKING:
    from .._client import AsyncScenario

__all__ = [
    "AsyncModels",
    "AsyncModelsWithRawResponse",
    "AsyncScores",
    "AsyncScoresWithRawResponse",
]

_MODEL_TYPES = tuple(t.value for t in ModelType)
_STATUSES = ("new", "training", "trained", "failed", "deleted")  # what the list can filter by
_PRIVACY = tuple(p.value for p in Privacy)
_SORT_BY = ("createdAt", "updatedAt", "score")
_SORT_DIRECTIONS = ("asc", "desc")
#: ``GET /models`` answers 100 models a page unless asked, and at most 500.
MAX_MODELS_PAGE = 500

Concept = Mapping[str, Any]


class AsyncScores(AsyncResource):
    @cached_property
    def with_raw_response(self) -> AsyncScoresWithRawResponse:
        """These calls, each answering its ``AsyncAPIResponse`` (status, headers, result)."""
        return AsyncScoresWithRawResponse(self)

    async def retrieve_training_dataset(
        self,
        model_id: str,
        *,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> ScoreRetrieveTrainingDatasetResponse:
        """How good the model's training images are as a dataset: a score with its details
        and warnings (near duplicates, captions that say the same thing)."""
        model = path_segment(check_id("model_id", model_id))
        result: ScoreRetrieveTrainingDatasetResponse = await self._client.request(
            "GET",
            f"/models/{model}/scores/training-dataset",
            cast_to=ScoreRetrieveTrainingDatasetResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
        )
        return result


class AsyncModels(AsyncResource):
    def __init__(self, client: AsyncScenario) -> None:
        super().__init__(client)
        self.training_images = AsyncTrainingImages(client)
        self.train = AsyncTrain(client)
        self.scores = AsyncScores(client)

    @cached_property
    def with_raw_response(self) -> AsyncModelsWithRawResponse:
        """These calls, each answering its ``AsyncAPIResponse`` (status, headers, result)."""
        return AsyncModelsWithRawResponse(self)

    async def create(
        self,
        *,
        name: str | None = None,
        type: ModelType | str | None = None,
        base_model_id: str | None = None,
        class_slug: str | None = None,
        collection_ids: Sequence[str] | None = None,
        concepts: Sequence[Concept] | None = None,
        short_description: str | None = None,
        original_assets: bool | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> ModelCreateResponse:
        """A new model, empty (status ``new``): add training images, then train it.
        ``concepts`` are ``{"model_id", "scale", "model_epoch"?}`` mappings (composition
        models). Not sent again once it may have reached the service: a lost answer raises,
        and ``models.list`` shows whether the model was made."""
        body = _model_fields(
            name=name,
            type=type,
            class_slug=class_slug,
            concepts=concepts,
            short_description=short_description,
        )
        if base_model_id is not None:
            body["baseModelId"] = check_id("base_model_id", base_model_id)
        if collection_ids is not None:
            body["collectionIds"] = check_ids("collection_ids", collection_ids)
        result: ModelCreateResponse = await self._client.request(
            "POST",
            "/models",
            cast_to=ModelCreateResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id, original_assets),
            body=body,
            idempotent=False,
        )
        return result

    def list(
        self,
        *,
        status: ModelStatus | str | None = None,
        privacy: Privacy | str | None = None,
        type: ModelType | str | None = None,
        types: Sequence[ModelType | str] | None = None,
        sort_by: Literal["createdAt", "updatedAt", "score"] | None = None,
        sort_direction: Literal["asc", "desc"] | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        updated_after: str | None = None,
        updated_before: str | None = None,
        collection_id: str | None = None,
        collection_ids: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        blacklisted: bool | None = None,
        loaded_only: bool | None = None,
        page_size: int | None = None,
        pagination_token: str | None = None,
        original_assets: bool | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> AsyncIterator[Model]:
        """Every model that matches, page after page (one page in memory at a time):
        ``async for model in client.models.list(status="trained")``. ``list_pages`` gives
        the pages and their ``next_pagination_token``; ``pagination_token`` starts from one.
        Checked before the first request: a bad argument raises at once."""
        read = pages(
            self._client, "/models", ModelListPage, *self._list_query(locals()), pagination_token
        )
        return items(read, "models")

    def list_pages(
        self,
        *,
        status: ModelStatus | str | None = None,
        privacy: Privacy | str | None = None,
        type: ModelType | str | None = None,
        types: Sequence[ModelType | str] | None = None,
        sort_by: Literal["createdAt", "updatedAt", "score"] | None = None,
        sort_direction: Literal["asc", "desc"] | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        updated_after: str | None = None,
        updated_before: str | None = None,
        collection_id: str | None = None,
        collection_ids: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        blacklisted: bool | None = None,
        loaded_only: bool | None = None,
        page_size: int | None = None,
        pagination_token: str | None = None,
        original_assets: bool | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> AsyncIterator[ModelListPage]:
        """The pages of ``list``, each with its ``next_pagination_token`` (None on the
        last): to show a page at a time, or to keep the token and resume later."""
        return pages(
            self._client, "/models", ModelListPage, *self._list_query(locals()), pagination_token
        )

    def _list_query(self, args: dict[str, Any]) -> tuple[dict[str, Any], RequestOptions]:
        """The query and options of ``GET /models``, every argument of ``list`` checked now,
        before anything is sent."""
        params = query(args["project_id"], args["original_assets"])
        if args["status"] is not None:
            params["status"] = check_choice("status", args["status"], _STATUSES)
        if args["privacy"] is not None:
            params["privacy"] = check_choice("privacy", args["privacy"], _PRIVACY)
        if args["type"] is not None:
            params["type"] = check_choice("type", args["type"], _MODEL_TYPES)
        if args["types"] is not None:
            params["types"] = check_choices("types", args["types"], _MODEL_TYPES)
        if args["sort_by"] is not None:
            params["sortBy"] = check_choice("sort_by", args["sort_by"], _SORT_BY)
        if args["sort_direction"] is not None:
            direction = args["sort_direction"]
            params["sortDirection"] = check_choice("sort_direction", direction, _SORT_DIRECTIONS)
        for name in ("created_after", "created_before", "updated_after", "updated_before"):
            if args[name] is not None:
                params[camel_case(name)] = check_id(name, args[name])
        if args["collection_id"] is not None:
            params["collectionId"] = check_id("collection_id", args["collection_id"])
        for name in ("collection_ids", "tags"):  # lists go comma-separated (build_request)
            if args[name] is not None:
                params[camel_case(name)] = check_ids(name, args[name])
        for name in ("blacklisted", "loaded_only"):
            if check_bool(name, args[name]) is not None:
                params[camel_case(name)] = args[name]
        if (size := check_page_size(args["page_size"], MAX_MODELS_PAGE)) is not None:
            params["pageSize"] = size
        check_optional_str("pagination_token", args["pagination_token"])
        request_options = options(args["extra_headers"], args["extra_query"], None, args["timeout"])
        return params, request_options

    async def retrieve(
        self,
        model_id: str,
        *,
        original_assets: bool | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> ModelRetrieveResponse:
        """The model with its training images, status and training progress."""
        model = path_segment(check_id("model_id", model_id))
        result: ModelRetrieveResponse = await self._client.request(
            "GET",
            f"/models/{model}",
            cast_to=ModelRetrieveResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id, original_assets),
        )
        return result

    async def update(
        self,
        model_id: str,
        *,
        name: str | None = None,
        type: ModelType | str | None = None,
        class_slug: str | None = None,
        concepts: Sequence[Concept] | None = None,
        epoch: str | None = None,
        negative_prompt_embedding: str | None = None,
        parameters: TrainingParameters | Mapping[str, Any] | None = None,
        prompt_embedding: str | None = None,
        short_description: str | None = None,
        thumbnail: str | None = None,
        original_assets: bool | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> ModelUpdateResponse:
        """Change what is given (and only that): the name, the description, the training
        ``parameters`` (as for ``train.trigger``), the thumbnail (an asset id), ..."""
        model = path_segment(check_id("model_id", model_id))
        body = _model_fields(
            name=name,
            type=type,
            class_slug=class_slug,
            concepts=concepts,
            short_description=short_description,
        )
        for field, value in (
            ("epoch", epoch),
            ("negative_prompt_embedding", negative_prompt_embedding),
            ("prompt_embedding", prompt_embedding),
            ("thumbnail", thumbnail),
        ):
            if value is not None:
                body[camel_case(field)] = check_id(field, value)
        if parameters is not None:
            body["parameters"] = parameters_to_wire(parameters)
        result: ModelUpdateResponse = await self._client.request(
            "PUT",
            f"/models/{model}",
            cast_to=ModelUpdateResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id, original_assets),
            body=body,
        )
        return result

    async def delete(
        self,
        model_id: str,
        *,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> None:
        """Delete the model (``restore`` brings it back). A retry that meets 404 after an
        attempt whose answer was lost means that attempt deleted it: the call succeeds."""
        model = path_segment(check_id("model_id", model_id))
        await self._client.request(
            "DELETE",
            f"/models/{model}",
            cast_to=None,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
            reconcile=_gone,
        )

    async def delete_images(
        self,
        model_id: str,
        *,
        ids: Sequence[str],
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> None:
        """Delete images of the model by their asset ``ids``."""
        model = path_segment(check_id("model_id", model_id))
        body = {"ids": check_ids("ids", ids)}
        await self._client.request(
            "DELETE",
            f"/models/{model}/images",
            cast_to=None,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
            body=body,
        )

    async def restore(
        self,
        model_id: str,
        *,
        original_assets: bool | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> ModelRestoreResponse:
        """Bring back a deleted model."""
        model = path_segment(check_id("model_id", model_id))
        result: ModelRestoreResponse = await self._client.request(
            "POST",
            f"/models/{model}/restore",
            cast_to=ModelRestoreResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id, original_assets),
            idempotent=False,
        )
        return result

    async def copy(
        self,
        model_id: str,
        *,
        copy_as_trained: bool | None = None,
        copy_examples: bool | None = None,
        original_assets: bool | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> ModelCopyResponse:
        """A new model copied from this one (its training data with ``copy_as_trained``).
        Not sent again once it may have reached the service: a copy is a new model."""
        model = path_segment(check_id("model_id", model_id))
        body: dict[str, Any] = {}
        if check_bool("copy_as_trained", copy_as_trained) is not None:
            body["copyAsTrained"] = copy_as_trained
        if check_bool("copy_examples", copy_examples) is not None:
            body["copyExamples"] = copy_examples
        result: ModelCopyResponse = await self._client.request(
            "POST",
            f"/models/{model}/copy",
            cast_to=ModelCopyResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id, original_assets),
            body=body,
            idempotent=False,
        )
        return result

    @overload
    async def download(
        self,
        model_id: str,
        *,
        dry_run: None = None,
        model_epoch: str | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> ModelDownloadResponse: ...

    @overload
    async def download(
        self,
        model_id: str,
        *,
        dry_run: Literal[True, "true", "api"],
        model_epoch: str | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> CostEstimate: ...

    async def download(
        self,
        model_id: str,
        *,
        dry_run: Literal[True, "true", "api"] | None = None,
        model_epoch: str | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> ModelDownloadResponse | CostEstimate:
        """Start preparing the model's weights for download: the answer's ``job_id`` is the
        job to follow with ``jobs.retrieve`` (its result links the file). ``dry_run`` asks
        for the cost instead (a ``CostEstimate``). ``model_epoch`` picks an epoch's weights."""
        model = path_segment(check_id("model_id", model_id))
        params = query(project_id)
        if dry_run is not None:
            params["dryRun"] = check_dry_run(dry_run)
        body: dict[str, Any] = {}
        if model_epoch is not None:
            body["modelEpoch"] = check_id("model_epoch", model_epoch)
        result: ModelDownloadResponse | CostEstimate = await self._client.request(
            "POST",
            f"/models/{model}/download",
            cast_to=CostEstimate if dry_run is not None else ModelDownloadResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=params,
            body=body,
            idempotent=dry_run is not None,  # a dry run starts nothing
        )
        return result


class AsyncScoresWithRawResponse(RawResource):
    retrieve_training_dataset = raw(AsyncScores.retrieve_training_dataset)


class AsyncModelsWithRawResponse(RawResource):
    """``models.with_raw_response``. Its ``list`` is one request: the first page (or the one
    at ``pagination_token``), whose ``parse()`` is a ``ModelListPage``, as ``list_pages``
    gives it; ``next_pagination_token`` reads on."""

    create = raw(AsyncModels.create)
    list = first_page(AsyncModels.list, AsyncModels.list_pages)
    retrieve = raw(AsyncModels.retrieve)
    update = raw(AsyncModels.update)
    delete = raw(AsyncModels.delete)
    delete_images = raw(AsyncModels.delete_images)
    restore = raw(AsyncModels.restore)
    copy = raw(AsyncModels.copy)
    download = raw(AsyncModels.download)
    training_images: raw_of[AsyncTrainingImagesWithRawResponse] = raw_of()
    train: raw_of[AsyncTrainWithRawResponse] = raw_of()
    scores: raw_of[AsyncScoresWithRawResponse] = raw_of()


async def _gone(error: APIStatusError, started: float) -> None:
    """For ``delete``: a 404 after an attempt whose answer was lost is that attempt's work."""
    if error.status_code != 404:
        raise error


def _model_fields(
    *,
    name: str | None,
    type: ModelType | str | None,
    class_slug: str | None,
    concepts: Sequence[Concept] | None,
    short_description: str | None,
) -> dict[str, Any]:
    """The fields ``create`` and ``update`` share, checked, with their wire names."""
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = check_id("name", name)
    if type is not None:
        body["type"] = check_choice("type", type, _MODEL_TYPES)
    if class_slug is not None:
        body["classSlug"] = check_id("class_slug", class_slug)
    if short_description is not None:
        if not isinstance(short_description, str):
            raise TypeError("short_description must be a string")
        body["shortDescription"] = short_description
    if concepts is not None:
        body["concepts"] = [_concept(i, c) for i, c in enumerate(_sequence("concepts", concepts))]
    return body


def _sequence(name: str, value: Any) -> Sequence[Any]:
    if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list, got {type(value).__name__}")
    return value


def _concept(index: int, concept: Any) -> dict[str, Any]:
    where = f"concepts[{index}]"
    if not isinstance(concept, Mapping):
        raise TypeError(f"{where} must be a mapping, got {type(concept).__name__}")
    unknown = set(concept) - {"model_id", "scale", "model_epoch"}
    if unknown:
        raise ValueError(f"{where} has unknown keys {sorted(unknown)}")
    scale = concept.get("scale")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        raise TypeError(f"{where}['scale'] must be a number, got {scale!r}")
    wire: dict[str, Any] = {
        "modelId": check_id(f"{where}['model_id']", concept.get("model_id")),
        "scale": scale,
    }
    if concept.get("model_epoch") is not None:
        wire["modelEpoch"] = check_id(f"{where}['model_epoch']", concept["model_epoch"])
    return wire
