"""Training images and training: the handlers of the reference pages, and the rules on
training parameters. Each handler checks everything first and changes state last, so that a
refused call changes nothing."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._http import (
    decode_image,
    error,
    fake_of,
    json_body,
    keep_model,
    live_model,
    query_bool,
    query_choice,
    request_now,
)
from ._state import FakeJob, FakeModel, FakeTrainingImage, iso_now, new_id, tidy_name

if TYPE_CHECKING:
    from ._server import FakeScenario

__all__ = [
    "add_image",
    "check_parameters",
    "cost_answer",
    "delete_image",
    "replace_image",
    "replace_pairs",
    "train",
    "train_action",
]

_PRESETS = ("default", "style", "subject")
DRY_RUN = ("true", "api")
_LR_SCHEDULERS = (
    "constant",
    "constant-with-warmup",
    "cosine",
    "cosine-with-restarts",
    "linear",
    "polynomial",
)
#: The kind of each training parameter the published schema types (``None`` is allowed for
#: every one). Keys not named here pass through untouched: the service adds new ones.
_PARAMETER_KINDS: dict[str, str | tuple[str, ...]] = {
    **dict.fromkeys(
        (
            "batchSize",
            "learningRate",
            "learningRateTextEncoder",
            "learningRateUnet",
            "maxTrainSteps",
            "nbEpochs",
            "nbRepeats",
            "numTextTrainSteps",
            "numUNetTrainSteps",
            "priorLossWeight",
            "randomCropRatio",
            "randomCropScale",
            "rank",
            "seed",
            "textEncoderTrainingRatio",
            "validationFrequency",
        ),
        "number",
    ),
    **dict.fromkeys(
        (
            "age",
            "classPrompt",
            "cloneType",
            "conceptPrompt",
            "gender",
            "language",
            "validationPrompt",
            "voiceDescription",
            "wandbKey",
        ),
        "string",
    ),
    **dict.fromkeys(("randomCrop", "removeBackgroundNoise", "scaleLr"), "boolean"),
    **dict.fromkeys(("samplePrompts", "sampleSourceImages"), "list of strings"),
    "lrScheduler": _LR_SCHEDULERS,
    "optimizeFor": ("likeness",),
}


def _fits(value: Any, kind: str | tuple[str, ...]) -> bool:
    if value is None:
        return True
    if isinstance(kind, tuple):
        return value in kind
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def check_parameters(parameters: Any) -> dict[str, Any]:
    """Training parameters as the service takes them: an object whose known keys hold
    values of their type (400 otherwise); unknown keys are kept as they are."""
    if not isinstance(parameters, dict):
        error(400, "parameters must be an object")
    for key, value in parameters.items():
        kind = _PARAMETER_KINDS.get(key)
        if kind is not None and not _fits(value, kind):
            wanted = f"one of {', '.join(kind)}" if isinstance(kind, tuple) else f"a {kind}"
            error(400, f"parameters.{key} must be {wanted}")
    return dict(parameters)


def cost_answer(cost: float, detail: str | None = None) -> web.Response:
    """A dry run's answer: HTTP 269 with the cost (``detail``: its line in ``costDetails``),
    and nothing done."""
    body: dict[str, Any] = {"creativeUnitsCost": cost, "creativeUnitsDiscount": 0}
    if detail is not None:
        body["costDetails"] = {detail: cost}
    return web.json_response(body, status=269)


def _images_from_body(fake: FakeScenario, body: dict[str, Any]) -> list[FakeTrainingImage]:
    """The training images an add or replace body describes, checked as the reference says."""
    preset = body.get("preset")
    if preset is not None and preset not in _PRESETS:
        error(400, f"preset must be one of {', '.join(_PRESETS)}")
    if "assetIds" in body:
        ids = body["assetIds"]
        if any(key in body for key in ("assetId", "data", "name")):
            error(400, "assetIds cannot be used with assetId, data or name")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 10:
            error(400, "assetIds must hold 1 to 10 asset ids")
        return [_image_from_asset(fake, asset_id, preset) for asset_id in ids]
    if "assetId" in body:
        return [_image_from_asset(fake, body["assetId"], preset)]
    if "data" not in body:
        error(400, "one of assetId, assetIds or data is required")
    content, _ = decode_image(body["data"], "data", data_url_only=True)
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        error(400, "name must be a string")
    if name is not None and fake.tidy_names:
        name = tidy_name(name)
    return [
        FakeTrainingImage(
            id=new_id("asset"),
            name=name,
            created_at=iso_now(),
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            preset=preset,
        )
    ]


def _image_from_asset(fake: FakeScenario, asset_id: Any, preset: Any) -> FakeTrainingImage:
    if not isinstance(asset_id, str) or asset_id not in fake.state.assets:
        error(404, f"asset {asset_id} not found")
    asset = fake.state.assets[asset_id]
    return FakeTrainingImage(
        id=new_id("asset"),
        name=asset.name,
        created_at=iso_now(),
        sha256=asset.sha256,
        size=asset.size,
        asset_id=asset_id,
        preset=preset,
    )


def refuse_while_training(model: FakeModel, now: float) -> None:
    if model.current_status(now) == "training":
        error(409, f"model {model.id} is training; its training images cannot change")


async def add_image(request: web.Request) -> web.Response:
    fake = fake_of(request)
    query_bool(request, "originalAssets")
    body = await json_body(request)
    model = live_model(request, create=True)
    refuse_while_training(model, request_now())
    added = _images_from_body(fake, body)
    keep_model(request, model)
    model.training_images.extend(added)
    model.touch()
    return web.json_response({"trainingImage": added[0].to_json(fake.base_url)})


async def replace_image(request: web.Request) -> web.Response:
    fake = fake_of(request)
    query_bool(request, "originalAssets")
    body = await json_body(request)
    model = live_model(request)
    refuse_while_training(model, request_now())
    image_id = request.match_info["image_id"]
    old = model.find_image(image_id)
    if old is None:
        error(404, f"training image {image_id} not found")
    new = _images_from_body(fake, body)[0]
    new.id = old.id
    model.training_images[model.training_images.index(old)] = new
    model.touch()
    return web.json_response({"trainingImage": new.to_json(fake.base_url)})


async def replace_pairs(request: web.Request) -> web.Response:
    body = await json_body(request, kind=list)
    model = live_model(request)
    known = {image.id for image in model.training_images}
    pairs: list[dict[str, str]] = []
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            error(400, f"pair {index} must be an object")
        pair = {}
        for key in ("instruction", "sourceId", "targetId"):
            value = item.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                error(400, f"pair {index}: {key} must be a string")
            if key != "instruction" and value not in known:
                error(400, f"pair {index}: {key} {value} must be a training asset of the model")
            pair[key] = value
        pairs.append(pair)
    model.pairs = pairs
    model.touch()
    return web.json_response({"count": len(pairs), "pairs": pairs})


async def delete_image(request: web.Request) -> web.Response:
    model = live_model(request)
    refuse_while_training(model, request_now())
    image = model.find_image(request.match_info["image_id"])
    if image is None:
        error(404, f"training image {request.match_info['image_id']} not found")
    model.training_images.remove(image)
    model.touch()
    return web.json_response({})


def _training_cost(images: int) -> int:
    return 100 + 5 * images


async def train(request: web.Request) -> web.Response:
    fake = fake_of(request)
    now = request_now()
    query_bool(request, "originalAssets")
    dry_run = query_choice(request, "dryRun", DRY_RUN)
    count_text = request.query.get("trainingImagesCount")
    if count_text is not None and (dry_run is None or not count_text.isdigit()):
        error(400, "trainingImagesCount must be a non-negative integer, with dryRun")
    body = await json_body(request, optional=True)
    model = live_model(request)
    parameters = check_parameters(body.get("parameters", {}))
    if dry_run is not None:
        # The model's own images count when it has some; trainingImagesCount is for one
        # that has none yet ("ignored if the model already has training images").
        images = len(model.training_images) or int(count_text or 0)
        return cost_answer(_training_cost(images), "train-model")
    if model.current_status(now) == "training":
        error(409, f"model {model.id} is already training")
    if not model.training_images:
        error(400, f"model {model.id} has no training images")
    cost = _training_cost(len(model.training_images))
    run = FakeJob(
        job_id=new_id("job"),
        job_type="model-training",
        seq=fake.state.next_seq(),
        started=now,
        queue_duration=fake.queue_duration,
        run_duration=fake.training_duration,
        succeeds=model.training_outcome == "trained",
        input={"modelId": model.id},
        output={"modelId": model.id},
        error="training failed (simulated by the fake API)",
        cost=cost,
    )
    model.parameters = parameters
    model.name = model.name or f"Model of {len(model.training_images)} images"
    fake.state.start_training(model, run)
    model.touch()
    return web.json_response(
        {
            "job": run.to_json(now),
            "model": model.to_json(fake.base_url, now),
            "creativeUnitsCost": cost,
            "creativeUnitsDiscount": 0,
        }
    )


async def train_action(request: web.Request) -> web.Response:
    fake = fake_of(request)
    now = request_now()
    body = await json_body(request)
    model = live_model(request)
    if body.get("action") != "cancel":
        error(400, "action must be cancel")
    if model.run is None or model.current_status(now) != "training":
        error(400, f"model {model.id} is not training")
    model.run.canceled_at = now
    return web.json_response({"model": model.to_json(fake.base_url, now)})
