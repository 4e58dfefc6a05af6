"""The fake API's HTTP side: aiohttp.web handlers that apply the reference's rules."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn

import attrs
from aiohttp import web

from ._faults import AFTER_STORE, Fault, FaultPlan
from ._state import FakeModel, FakeTrainingImage, TrainingRun, iso_now, new_id, tidy_name

if TYPE_CHECKING:
    from ._server import FakeScenario

__all__ = ["RecordedRequest", "build_app"]

_DATA_URL = re.compile(r"data:(image/[A-Za-z0-9.+-]+);base64,(.*)", re.DOTALL)
_PRESETS = ("default", "style", "subject")
FAKE_KEY: web.AppKey[FakeScenario] = web.AppKey("fake", object)  # type: ignore[arg-type]


@attrs.frozen
class RecordedRequest:
    """One request the fake API received. ``json`` is the parsed body (``None`` if none)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    #: When it arrived (``time.monotonic()``).
    at: float = 0.0


def _error(status: int, message: str) -> NoReturn:
    raise _Abort(web.json_response({"message": message}, status=status))


class _Abort(Exception):
    """Ends a handler with a ready error answer."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _query_bool(request: web.Request, name: str) -> bool | None:
    value = request.query.get(name)
    if value is None:
        return None
    if value not in ("true", "false"):
        _error(400, f"{name} must be true or false")
    return value == "true"


def _decode_image(value: Any, field: str) -> tuple[bytes, str]:
    if not isinstance(value, str):
        _error(400, f"{field} must be a string")
    match = _DATA_URL.fullmatch(value)
    mime, payload = (match.group(1), match.group(2)) if match else ("image/png", value)
    if not match and field == "data":
        _error(400, "data must be a base64 image data URL")
    try:
        return base64.b64decode(payload, validate=True), mime
    except (binascii.Error, ValueError):
        _error(400, f"{field} is not valid base64")


def build_app(fake: FakeScenario) -> web.Application:
    app = web.Application(middlewares=[_middleware], client_max_size=64 * 1024**2)
    app[FAKE_KEY] = fake
    v1 = "/v1"
    images = v1 + "/models/{model_id}/training-images"
    app.router.add_post(images, _add_image)
    app.router.add_put(images + "/pairs", _replace_pairs)
    app.router.add_put(images + "/{image_id}", _replace_image)
    app.router.add_delete(images + "/{image_id}", _delete_image)
    app.router.add_put(v1 + "/models/{model_id}/train", _train)
    app.router.add_post(v1 + "/models/{model_id}/train/action", _train_action)
    app.router.add_get(v1 + "/models/{model_id}", _get_model)
    app.router.add_get(v1 + "/jobs/{job_id}", _get_job)
    app.router.add_post(v1 + "/assets", _upload_asset)
    return app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    fake = request.app[FAKE_KEY]
    fake.in_flight += 1
    fake.peak_in_flight = max(fake.peak_in_flight, fake.in_flight)
    try:
        if fake.record_requests:
            headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
            fake.requests.append(
                RecordedRequest(
                    request.method,
                    request.path,
                    dict(request.query),
                    _parse(await request.read()),
                    headers,
                    time.monotonic(),
                )
            )
        if fake.latency:
            await asyncio.sleep(fake.latency)
        if request.headers.get("Authorization") != fake.expected_authorization:
            return web.json_response({"message": "Invalid API key or secret"}, status=401)
        plan = fake.faults
        fault = plan.draw(request.method) if plan is not None else None
        if plan is not None and fault is not None:
            fake.faults_injected[fault] += 1
            if fault == "store_late":
                # Read the body now: the client may be gone by the time the work is done.
                await request.read()
                await asyncio.sleep(plan.slow_seconds)
            elif fault not in AFTER_STORE:
                return _fault_answer(fault, plan)
        try:
            response = await handler(request)
        except _Abort as abort:
            return abort.response
        if plan is not None and fault is not None and fault in AFTER_STORE:
            return await _after_store(request, fault, plan, response)
        return response
    finally:
        fake.in_flight -= 1


_BAD_GATEWAY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


def _fault_answer(fault: Fault, plan: FaultPlan) -> web.Response:
    """The answer of a fault that strikes before the request does anything."""
    retry_after = {"Retry-After": f"{plan.retry_after:g}"}
    if fault == "error_500":
        return web.json_response({"message": "internal error (injected)"}, status=500)
    if fault == "unavailable_503":
        return web.json_response(
            {"message": "service unavailable (injected)"}, status=503, headers=retry_after
        )
    if fault == "rate_limited_429":
        return web.json_response(
            {"message": "too many requests (injected)"}, status=429, headers=retry_after
        )
    return web.Response(text=_BAD_GATEWAY_PAGE, status=502, content_type="text/html")


async def _after_store(
    request: web.Request, fault: Fault, plan: FaultPlan, response: web.StreamResponse
) -> web.StreamResponse:
    """Spoil the answer of a request that has done its work."""
    if fault == "slow_after_store":
        await asyncio.sleep(plan.slow_seconds)
        return response
    if fault == "error_502_after_store":
        return web.Response(text=_BAD_GATEWAY_PAGE, status=502, content_type="text/html")
    if fault == "malformed_json":
        body = response.body if isinstance(response, web.Response) else None
        cut = bytes(body)[: max(1, len(bytes(body)) // 2)] if isinstance(body, bytes) else b"{"
        return web.Response(body=cut, status=200, content_type="application/json")
    # drop_after_store: close the connection without a word; the answer goes nowhere.
    if request.transport is not None:
        request.transport.abort()
    return response


def _parse(raw: bytes) -> Any:
    """The JSON of a body; ``None`` when it is empty or not JSON."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


async def _json_body(request: web.Request, *, kind: type = dict) -> Any:
    body = _parse(await request.read())  # aiohttp caches the bytes: read() is cheap twice
    if body is None:
        _error(400, "the body must be JSON")
    if not isinstance(body, kind):
        _error(400, f"the body must be a JSON {'array' if kind is list else 'object'}")
    return body


def _model(request: web.Request, *, create: bool = False) -> FakeModel:
    fake = request.app[FAKE_KEY]
    model_id = request.match_info["model_id"]
    model = fake.state.models.get(model_id)
    if model is None:
        if not (create and fake.auto_create_models):
            _error(404, f"model {model_id} not found")
        model = fake.add_model(model_id)
    return model


def _image_from_body(request: web.Request, body: dict[str, Any]) -> list[FakeTrainingImage]:
    """The training images an add or replace body describes, checked as the reference says."""
    fake = request.app[FAKE_KEY]
    preset = body.get("preset")
    if preset is not None and preset not in _PRESETS:
        _error(400, f"preset must be one of {', '.join(_PRESETS)}")
    if "assetIds" in body:
        ids = body["assetIds"]
        if any(key in body for key in ("assetId", "data", "name")):
            _error(400, "assetIds cannot be used with assetId, data or name")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 10:
            _error(400, "assetIds must hold 1 to 10 asset ids")
        return [_image_from_asset(fake, asset_id, preset) for asset_id in ids]
    if "assetId" in body:
        return [_image_from_asset(fake, body["assetId"], preset)]
    if "data" not in body:
        _error(400, "one of assetId, assetIds or data is required")
    content, _ = _decode_image(body["data"], "data")
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        _error(400, "name must be a string")
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
        _error(404, f"asset {asset_id} not found")
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


def _refuse_while_training(model: FakeModel) -> None:
    if model.current_status(time.monotonic()) == "training":
        _error(409, f"model {model.id} is training; its training images cannot change")


async def _add_image(request: web.Request) -> web.Response:
    fake = request.app[FAKE_KEY]
    _query_bool(request, "originalAssets")
    body = await _json_body(request)
    model = _model(request, create=True)
    _refuse_while_training(model)
    added = _image_from_body(request, body)
    model.training_images.extend(added)
    return web.json_response({"trainingImage": added[0].to_json(fake.base_url)})


async def _replace_image(request: web.Request) -> web.Response:
    fake = request.app[FAKE_KEY]
    _query_bool(request, "originalAssets")
    body = await _json_body(request)
    model = _model(request)
    _refuse_while_training(model)
    image_id = request.match_info["image_id"]
    old = model.find_image(image_id)
    if old is None:
        _error(404, f"training image {image_id} not found")
    new = _image_from_body(request, body)[0]
    new.id = old.id
    model.training_images[model.training_images.index(old)] = new
    return web.json_response({"trainingImage": new.to_json(fake.base_url)})


async def _replace_pairs(request: web.Request) -> web.Response:
    body = await _json_body(request, kind=list)
    model = _model(request)
    known = {image.id for image in model.training_images}
    pairs: list[dict[str, str]] = []
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            _error(400, f"pair {index} must be an object")
        pair = {}
        for key in ("instruction", "sourceId", "targetId"):
            value = item.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                _error(400, f"pair {index}: {key} must be a string")
            if key != "instruction" and value not in known:
                _error(400, f"pair {index}: {key} {value} must be a training asset of the model")
            pair[key] = value
        pairs.append(pair)
    model.pairs = pairs
    return web.json_response({"count": len(pairs), "pairs": pairs})


async def _delete_image(request: web.Request) -> web.Response:
    model = _model(request)
    _refuse_while_training(model)
    image = model.find_image(request.match_info["image_id"])
    if image is None:
        _error(404, f"training image {request.match_info['image_id']} not found")
    model.training_images.remove(image)
    return web.json_response({})


async def _train(request: web.Request) -> web.Response:
    fake = request.app[FAKE_KEY]
    body = await _json_body(request)
    model = _model(request)
    parameters = body.get("parameters", {})
    if not isinstance(parameters, dict):
        _error(400, "parameters must be an object")
    dry_run = request.query.get("dryRun")
    if dry_run is not None and dry_run not in ("true", "api"):
        _error(400, "dryRun must be true or api")
    count_text = request.query.get("trainingImagesCount")
    if count_text is not None and (dry_run is None or not count_text.isdigit()):
        _error(400, "trainingImagesCount must be a non-negative integer, with dryRun")
    count = int(count_text) if count_text is not None else len(model.training_images)
    cost = 100 + 5 * count
    if dry_run is not None:
        return web.json_response(
            {"creativeUnitsCost": cost, "creativeUnitsDiscount": 0}, status=269
        )
    now = time.monotonic()
    if model.current_status(now) == "training":
        _error(409, f"model {model.id} is already training")
    if not model.training_images:
        _error(400, f"model {model.id} has no training images")
    run = TrainingRun(
        job_id=new_id("job"),
        started=now,
        queue_duration=fake.queue_duration,
        train_duration=fake.training_duration,
        outcome=model.training_outcome,
    )
    model.run = run
    model.parameters = parameters
    fake.state.jobs[run.job_id] = (model.id, run)
    return web.json_response(
        {
            "job": run.job_json(model.id, now),
            "model": model.to_json(fake.base_url, now),
            "creativeUnitsCost": cost,
            "creativeUnitsDiscount": 0,
        }
    )


async def _train_action(request: web.Request) -> web.Response:
    fake = request.app[FAKE_KEY]
    body = await _json_body(request)
    model = _model(request)
    if body.get("action") != "cancel":
        _error(400, "action must be cancel")
    now = time.monotonic()
    if model.run is None or model.current_status(now) != "training":
        _error(400, f"model {model.id} is not training")
    model.run.canceled_at = now
    return web.json_response({"model": model.to_json(fake.base_url, now)})


async def _get_model(request: web.Request) -> web.Response:
    fake = request.app[FAKE_KEY]
    model = _model(request)
    return web.json_response({"model": model.to_json(fake.base_url, time.monotonic())})


async def _get_job(request: web.Request) -> web.Response:
    fake = request.app[FAKE_KEY]
    job_id = request.match_info["job_id"]
    if job_id not in fake.state.jobs:
        _error(404, f"job {job_id} not found")
    model_id, run = fake.state.jobs[job_id]
    return web.json_response({"job": run.job_json(model_id, time.monotonic())})


async def _upload_asset(request: web.Request) -> web.Response:
    fake = request.app[FAKE_KEY]
    body = await _json_body(request)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        _error(400, "name is required")
    content, mime = _decode_image(body.get("image"), "image")
    if fake.tidy_names:
        name = tidy_name(name)
    asset = fake.state.add_asset_from_bytes(content, name=name, mime_type=mime)
    return web.json_response(
        {
            "asset": {
                "id": asset.id,
                "url": f"{fake.base_url}/files/{asset.id}",
                "mimeType": asset.mime_type,
                "kind": "image",
                "status": "success",
                "name": asset.name,
                "createdAt": asset.created_at,
            }
        }
    )
