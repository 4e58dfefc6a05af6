"""Models: create, list, read, change, delete and restore, copy, download, delete images,
and the training dataset's score. Each handler checks everything first and changes state
last, so that a refused call changes nothing."""

from __future__ import annotations

import hashlib
import itertools
import statistics
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._http import (
    error,
    fake_of,
    json_body,
    live_model,
    paginate,
    query_bool,
    query_choice,
    query_date,
    query_list,
    request_now,
)
from ._state import FakeJob, FakeModel, FakeTrainingImage, iso_now, new_id
from ._training import DRY_RUN, check_parameters, cost_answer, refuse_while_training

if TYPE_CHECKING:
    from ._server import FakeScenario

__all__ = [
    "MODEL_TYPES",
    "copy_model",
    "create_model",
    "delete_model",
    "delete_model_images",
    "download_model",
    "get_model",
    "list_models",
    "restore_model",
    "training_dataset_score",
    "update_model",
]

#: The model types the published schema lists.
MODEL_TYPES = (
    "custom",
    "elevenlabs-voice",
    "flux.1",
    "flux.1-composition",
    "flux.1-kontext-dev",
    "flux.1-kontext-lora",
    "flux.1-krea-dev",
    "flux.1-krea-lora",
    "flux.1-lora",
    "flux.1-pro",
    "flux.1.1-pro-ultra",
    "flux.2-dev-edit-lora",
    "flux.2-dev-lora",
    "flux.2-klein-4b-edit-lora",
    "flux.2-klein-4b-lora",
    "flux.2-klein-9b-edit-lora",
    "flux.2-klein-9b-lora",
    "flux.2-klein-base-4b-edit-lora",
    "flux.2-klein-base-4b-lora",
    "flux.2-klein-base-9b-edit-lora",
    "flux.2-klein-base-9b-lora",
    "flux1.1-pro",
    "gpt-image-1",
    "qwen-image-2512-lora",
    "qwen-image-edit-2509-lora",
    "qwen-image-edit-2511-lora",
    "qwen-image-edit-lora",
    "qwen-image-lora",
    "zimage-de-turbo-lora",
    "zimage-lora",
    "zimage-turbo-lora",
)
#: What ``GET /models`` filters by: ``deleted`` lists the models deleted (and restorable).
_LIST_STATUSES = ("new", "training", "trained", "failed", "deleted")
_DOWNLOAD_COST = 10


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        error(400, f"{key} must be a string")
    return value


def _str_list(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        error(400, f"{key} must be a list of strings")
    return list(value)


def _check_concepts(fake: FakeScenario, value: Any) -> list[dict[str, Any]]:
    """``concepts``: the models (LoRAs) a composition is made of, each an existing model."""
    if not isinstance(value, list):
        error(400, "concepts must be a list")
    concepts = []
    for index, item in enumerate(value):
        where = f"concepts[{index}]"
        if not isinstance(item, dict):
            error(400, f"{where} must be an object")
        model_id, scale, epoch = item.get("modelId"), item.get("scale"), item.get("modelEpoch")
        if not isinstance(model_id, str):
            error(400, f"{where}.modelId must be a string")
        known = fake.state.models.get(model_id)
        if known is None or known.deleted_at is not None:
            error(400, f"{where}.modelId: model {model_id} not found")
        if not isinstance(scale, (int, float)) or isinstance(scale, bool):
            error(400, f"{where}.scale must be a number")
        if epoch is not None and not isinstance(epoch, str):
            error(400, f"{where}.modelEpoch must be a string")
        concept = {"modelId": model_id, "scale": scale}
        if epoch is not None:
            concept["modelEpoch"] = epoch
        concepts.append(concept)
    return concepts


def _model_fields(fake: FakeScenario, body: dict[str, Any]) -> dict[str, Any]:
    """The fields create and update share, checked; only those the body holds."""
    fields: dict[str, Any] = {}
    if "name" in body:
        fields["name"] = _optional_str(body, "name")
    if "shortDescription" in body:
        fields["short_description"] = _optional_str(body, "shortDescription")
    if "classSlug" in body:
        fields["class_slug"] = _optional_str(body, "classSlug")
    if body.get("type") is not None:
        if body["type"] not in MODEL_TYPES:
            error(400, f"type must be one of {', '.join(MODEL_TYPES)}")
        fields["type"] = body["type"]
    if body.get("concepts") is not None:
        fields["concepts"] = _check_concepts(fake, body["concepts"])
    return fields


def _require_concepts(kind: str, concepts: list[dict[str, Any]]) -> None:
    if kind == "flux.1-composition" and not concepts:
        error(400, "concepts are required for a composition model")


async def create_model(request: web.Request) -> web.Response:
    fake = fake_of(request)
    query_bool(request, "originalAssets")
    body = await json_body(request, optional=True)
    fields = _model_fields(fake, body)
    base_model_id = _optional_str(body, "baseModelId")
    collection_ids = _str_list(body, "collectionIds") or []
    _require_concepts(fields.get("type", "flux.1-lora"), fields.get("concepts", []))
    model = FakeModel(id=new_id("model"), name=fields.pop("name", None), **fields)
    model.base_model_id = base_model_id
    model.collection_ids = collection_ids
    fake.state.add_model(model)
    return web.json_response({"model": model.to_json(fake.base_url, request_now())})


def _sort_key(model: FakeModel, sort_by: str, direction: int, now: float) -> list[Any]:
    value: Any
    if sort_by == "score":
        value = _score_of(model.training_images)
    elif sort_by == "updatedAt":
        value = model.last_change(now)
    else:
        value = model.created_at
    return [direction, value, model.seq]


async def list_models(request: web.Request) -> web.Response:
    fake = fake_of(request)
    now = request_now()
    for flag in ("originalAssets", "blacklisted", "loadedOnly"):
        query_bool(request, flag)
    privacy = query_choice(request, "privacy", ("private", "public")) or "private"
    status = query_choice(request, "status", _LIST_STATUSES)
    kind = query_choice(request, "type", MODEL_TYPES)
    kinds = query_list(request, "types")
    if kinds is not None and not set(kinds) <= set(MODEL_TYPES):
        error(400, f"types must be among {', '.join(MODEL_TYPES)}")
    sort_by = query_choice(request, "sortBy", ("createdAt", "updatedAt", "score"))
    direction = query_choice(request, "sortDirection", ("asc", "desc")) or "desc"
    after, before = query_date(request, "createdAfter"), query_date(request, "createdBefore")
    if (after or before) and sort_by != "createdAt":
        error(400, "createdAfter and createdBefore require sortBy=createdAt")
    updated = [query_date(request, "updatedAfter"), query_date(request, "updatedBefore")]
    if any(updated) and (sort_by != "updatedAt" or privacy != "public"):
        error(400, "updatedAfter and updatedBefore require sortBy=updatedAt and privacy=public")
    unscoped = "privacy" not in request.query or status is None
    if sort_by == "score" and privacy != "public" and unscoped:
        error(400, "sortBy=score on private models requires privacy and status")
    collection_id = request.query.get("collectionId")
    # Every model of the fake is private, and none is loaded on a GPU.
    nothing = privacy != "private" or bool(query_bool(request, "loadedOnly"))

    def wanted(model: FakeModel) -> bool:
        if nothing:
            return False
        if (model.deleted_at is not None) != (status == "deleted"):
            return False
        if status not in (None, "deleted") and model.current_status(now) != status:
            return False
        if (kind is not None and model.type != kind) or (kinds and model.type not in kinds):
            return False
        if collection_id is not None and collection_id not in model.collection_ids:
            return False
        return (after is None or model.created_at > after) and (
            before is None or model.created_at < before
        )

    sign = 1 if direction == "asc" else -1
    found = sorted(
        (model for model in fake.state.models.values() if wanted(model)),
        key=lambda m: _sort_key(m, sort_by or "createdAt", sign, now)[1:],
        reverse=sign < 0,
    )
    page, token = paginate(
        request,
        found,
        lambda m: _sort_key(m, sort_by or "createdAt", sign, now),
        default=100,
        most=500,
    )
    models = []
    for model in page:
        item = model.to_json(fake.base_url, now)
        del item["trainingImages"], item["trainingImagePairs"]  # read one model for those
        models.append(item)
    answer: dict[str, Any] = {"models": models}
    if token is not None:
        answer["nextPaginationToken"] = token
    return web.json_response(answer)


async def get_model(request: web.Request) -> web.Response:
    fake = fake_of(request)
    query_bool(request, "originalAssets")
    model = live_model(request)
    return web.json_response({"model": model.to_json(fake.base_url, request_now())})


async def update_model(request: web.Request) -> web.Response:
    fake = fake_of(request)
    now = request_now()
    query_bool(request, "originalAssets")
    body = await json_body(request)
    model = live_model(request)
    fields = _model_fields(fake, body)
    status = model.current_status(now)
    if "type" in fields and fields["type"] != model.type and status != "new":
        error(400, f"model {model.id} is {status}: only a new model can change its type")
    _require_concepts(fields.get("type", model.type), fields.get("concepts", model.concepts))
    if "parameters" in body:
        if status == "training":
            error(409, f"model {model.id} is training; its parameters cannot change")
        fields["parameters"] = check_parameters(body["parameters"] or {})
    if "epoch" in body:
        epoch = _optional_str(body, "epoch")
        if epoch is not None and (status != "trained" or epoch not in dict(model.epochs)):
            error(400, f"epoch {epoch} is not an epoch of the trained model {model.id}")
        fields["epoch"] = epoch
    for key, attribute in (
        ("promptEmbedding", "prompt_embedding"),
        ("negativePromptEmbedding", "negative_prompt_embedding"),
    ):
        if key in body:
            fields[attribute] = _optional_str(body, key)
    if "thumbnail" in body:
        asset_id = _optional_str(body, "thumbnail")
        if asset_id is not None and asset_id not in fake.state.assets:
            error(404, f"asset {asset_id} not found")
        fields["thumbnail"] = (
            None
            if asset_id is None
            else {"assetId": asset_id, "url": f"{fake.base_url}/files/{asset_id}"}
        )
    for attribute, value in fields.items():
        setattr(model, attribute, value)
    model.touch()
    return web.json_response({"model": model.to_json(fake.base_url, now)})


async def delete_model(request: web.Request) -> web.Response:
    """Deleted, not gone: 404 for every call until ``restore``; a run in progress is
    canceled."""
    now = request_now()
    model = live_model(request)
    if model.run is not None and model.run.is_running(now):
        model.run.canceled_at = now
    model.deleted_at = iso_now()
    model.touch()
    return web.json_response({})


async def restore_model(request: web.Request) -> web.Response:
    fake = fake_of(request)
    query_bool(request, "originalAssets")
    model_id = request.match_info["model_id"]
    model = fake.state.models.get(model_id)
    if model is None:
        error(404, f"model {model_id} not found")
    if model.deleted_at is None:
        error(400, f"model {model_id} is not deleted")
    model.deleted_at = None
    model.touch()
    return web.json_response({"model": model.to_json(fake.base_url, request_now())})


def _check_bool(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        error(400, f"{key} must be true or false")
    return value


async def copy_model(request: web.Request) -> web.Response:
    """A new model with the same training images and pairs; ``copyAsTrained`` copies a
    trained model's training too (epochs and figures), ``copyExamples`` (true unless
    false) its example images."""
    fake = fake_of(request)
    now = request_now()
    query_bool(request, "originalAssets")
    body = await json_body(request, optional=True)
    as_trained = _check_bool(body, "copyAsTrained")
    examples = _check_bool(body, "copyExamples") is not False
    source = live_model(request)
    if as_trained and source.current_status(now) != "trained":
        error(400, f"model {source.id} is not trained: it cannot be copied as trained")
    copy = FakeModel(
        id=new_id("model"),
        name=f"{source.name or source.id} (copy)",
        type=source.type,
        short_description=source.short_description,
        class_slug=source.class_slug,
        base_model_id=source.base_model_id,
        concepts=[dict(concept) for concept in source.concepts],
        collection_ids=list(source.collection_ids),
        training_images=[_copy_image(image) for image in source.training_images],
        pairs=[dict(pair) for pair in source.pairs],
        parameters=dict(source.parameters),
        parent_model_id=source.id,
    )
    if as_trained:
        copy.status = "trained"
        copy.epochs, copy.epoch = list(source.epochs), source.epoch
        copy.training_stats = dict(source.training_stats or {})
    if examples:
        copy.example_asset_ids = list(source.example_asset_ids)
    fake.state.add_model(copy)
    return web.json_response({"model": copy.to_json(fake.base_url, now)})


def _copy_image(image: FakeTrainingImage) -> FakeTrainingImage:
    return FakeTrainingImage(
        id=image.id,
        name=image.name,
        created_at=image.created_at,
        sha256=image.sha256,
        size=image.size,
        asset_id=image.asset_id,
        preset=image.preset,
    )


async def download_model(request: web.Request) -> web.Response:
    """A job that prepares the weights of a trained model (of ``modelEpoch``, else of the
    model's epoch, else the last): its output links the file on the storage host."""
    fake = fake_of(request)
    now = request_now()
    dry_run = query_choice(request, "dryRun", DRY_RUN)
    body = await json_body(request, optional=True)
    epoch = _optional_str(body, "modelEpoch")
    model = live_model(request)
    if model.current_status(now) != "trained":
        error(400, f"model {model.id} is not trained: there is nothing to download")
    if epoch is not None and epoch not in dict(model.epochs):
        error(400, f"modelEpoch {epoch} is not an epoch of model {model.id}")
    if dry_run is not None:
        return cost_answer(_DOWNLOAD_COST)
    epoch = epoch or model.epoch or (model.epochs[-1][0] if model.epochs else "final")
    url, expires = fake.storage.signed_url(f"/storage/models/{model.id}/{epoch}")
    job = FakeJob(
        job_id=new_id("job"),
        job_type="model-download",
        seq=fake.state.next_seq(),
        started=now,
        queue_duration=0.0,
        run_duration=fake.queue_duration,
        input={"modelId": model.id, "modelEpoch": epoch},
        output={"modelId": model.id, "modelEpoch": epoch, "url": url, "expires": expires},
        cost=_DOWNLOAD_COST,
    )
    fake.state.jobs[job.job_id] = job
    return web.json_response({"jobId": job.job_id})


async def delete_model_images(request: web.Request) -> web.Response:
    """Remove images of the model by asset id: its example images, and training images
    (by their id or the asset they were made from). Ids that name none are let be, so that
    the call can be sent again."""
    body = await json_body(request, optional=True)
    ids = body.get("ids") if "ids" in body else query_list(request, "ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        error(400, "ids must be a non-empty list of asset ids")
    model = live_model(request)
    doomed = set(ids)
    training = [
        image
        for image in model.training_images
        if image.id in doomed or (image.asset_id is not None and image.asset_id in doomed)
    ]
    if training:
        refuse_while_training(model, request_now())
    model.training_images = [image for image in model.training_images if image not in training]
    model.example_asset_ids = [i for i in model.example_asset_ids if i not in doomed]
    if model.thumbnail is not None and model.thumbnail["assetId"] in doomed:
        model.thumbnail = None
    model.touch()
    return web.json_response({})


def _similarity(image: FakeTrainingImage) -> float:
    """A stable made-up embedding similarity of an image to the rest of its dataset."""
    seed = image.sha256 or hashlib.sha256(image.id.encode()).hexdigest()
    return round(0.25 + 0.5 * int(seed[:8], 16) / 0xFFFFFFFF, 4)


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"min": 0, "mean": 0, "median": 0}
    return {
        "min": min(values),
        "mean": round(statistics.fmean(values), 4),
        "median": statistics.median(values),
    }


def _duplicates(images: list[FakeTrainingImage]) -> list[tuple[str, str]]:
    """Couples of images with the same content (each after the first of its content)."""
    first: dict[str, str] = {}
    couples = []
    for image in images:
        if image.sha256 is None:
            continue
        if image.sha256 in first:
            couples.append((first[image.sha256], image.id))
        else:
            first[image.sha256] = image.id
    return couples


def _score_of(images: list[FakeTrainingImage]) -> float:
    """0 to 1: grows with the number of images up to 10, less the share of duplicates."""
    if not images:
        return 0.0
    return round(min(1.0, len(images) / 10) * (1 - len(_duplicates(images)) / len(images)), 4)


async def training_dataset_score(request: web.Request) -> web.Response:
    """The dataset's score: made up, but stable, and it sees duplicates (same content)."""
    model = live_model(request)
    images = model.training_images
    duplicates = _duplicates(images)
    same = set(duplicates)
    neighbours = list(itertools.pairwise(images))
    couple_similarity = [
        1.0 if (a.id, b.id) in same else round(abs(_similarity(a) - 0.1), 4) for a, b in neighbours
    ]
    image_similarity = [_similarity(image) for image in images]
    couples = [
        {"couple": [a.id, b.id], "similarity": similarity}
        for (a, b), similarity in zip(neighbours, couple_similarity, strict=True)
    ]
    distances = [{"couple": [a.id, b.id], "distance": 0} for a, b in neighbours]
    embedding = [
        {"assetId": image.id, "similarity": similarity}
        for image, similarity in zip(images, image_similarity, strict=True)
    ]
    count = len(images)
    answer = {
        "modelId": model.id,
        "score": _score_of(images),
        "status": "unknown" if count == 0 else ("incomplete" if count < 5 else "complete"),
        "details": {
            "assetsEmbeddingSimilarity": embedding,
            "assetCouplesSimilarity": couples,
            "assetCouplesCaptionsDistance": distances,
            "assetsSimilarity": _stats(image_similarity),
            "couplesSimilarity": _stats(couple_similarity),
            "couplesCaptionsDistance": _stats([0.0 for _ in distances]),
            "metadataScore": 1.0 if count else 0.0,
        },
        "assetCouplesWarnings": [
            {"couple": [a, b], "message": ["Same asset"]} for a, b in duplicates
        ],
        "assetsWarnings": [],
    }
    return web.json_response(answer)
