"""Jobs (list, read, cancel), assets (upload, read) and multipart uploads (create, read,
complete). Each handler checks everything first and changes state last."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._http import (
    decode_image,
    error,
    fake_of,
    json_body,
    paginate,
    query_bool,
    query_choice,
    query_date,
    query_list,
    request_now,
)
from ._state import FakeJob, FakeUpload, new_id, tidy_name
from ._training import DRY_RUN, cost_answer

__all__ = [
    "complete_upload",
    "create_upload",
    "get_asset",
    "get_job",
    "get_upload",
    "job_action",
    "list_jobs",
    "upload_asset",
]

_JOB_STATUSES = (
    "pending",
    "queued",
    "warming-up",
    "in-progress",
    "success",
    "failure",
    "canceled",
    "finalizing",
)
_UPLOAD_KINDS = ("3d", "asset", "audio", "avatar", "image", "model", "text", "video")
#: The largest file the fake takes as a multipart upload, and the most parts (as on S3).
MAX_UPLOAD_BYTES = 1024**3
MAX_PARTS = 10_000


# Jobs -------------------------------------------------------------------------------------


def _job(request: web.Request) -> FakeJob:
    job_id = request.match_info["job_id"]
    job = fake_of(request).state.jobs.get(job_id)
    if job is None:
        error(404, f"job {job_id} not found")
    return job


async def list_jobs(request: web.Request) -> web.Response:
    """Newest first: by creation, or by last update when filtered by status, type or
    workflow (the service's order, and why ``createdAfter``/``updatedAfter`` go with one
    each)."""
    fake = fake_of(request)
    now = request_now()
    query_bool(request, "hideResults")
    status = query_choice(request, "status", _JOB_STATUSES)
    kind, kinds = request.query.get("type"), query_list(request, "types")
    workflow, author = request.query.get("workflowId"), request.query.get("authorId")
    created_after = query_date(request, "createdAfter")
    updated_after = query_date(request, "updatedAfter")
    by_update = any(value is not None for value in (status, kind, kinds, workflow))
    if created_after is not None and by_update:
        error(400, "createdAfter is not allowed with status, type, types or workflowId")
    if updated_after is not None and not by_update:
        error(400, "updatedAfter needs status, type, types or workflowId")

    def wanted(job: dict[str, Any]) -> bool:
        return (
            workflow is None  # no job of the fake comes from a workflow
            and (status is None or job["status"] == status)
            and (kind is None or job["jobType"] == kind)
            and (not kinds or job["jobType"] in kinds)
            and (author is None or job["authorId"] == author)
            and (created_after is None or job["createdAt"] > created_after)
            and (updated_after is None or job["updatedAt"] > updated_after)
        )

    views = [(job, job.to_json(now)) for job in fake.state.jobs.values()]
    found = [(job, view) for job, view in views if wanted(view)]

    def key(item: tuple[FakeJob, dict[str, Any]]) -> list[Any]:
        job, view = item
        return [-1, view["updatedAt"] if by_update else "", job.seq]

    found.sort(key=lambda item: key(item)[1:], reverse=True)
    page, token = paginate(request, found, key, default=50, most=100)
    answer: dict[str, Any] = {"jobs": [view for _, view in page]}
    if token is not None:
        answer["nextPaginationToken"] = token
    return web.json_response(answer)


async def get_job(request: web.Request) -> web.Response:
    return web.json_response({"job": _job(request).to_json(request_now())})


async def job_action(request: web.Request) -> web.Response:
    """``cancel``, which the service allows on inference jobs only ("Today only cancel on
    inference jobs is supported"): training is canceled by ``train/action``."""
    now = request_now()
    body = await json_body(request)
    job = _job(request)
    if body.get("action") != "cancel":
        error(400, "action must be cancel")
    if job.job_type != "inference":
        error(400, f"only inference jobs can be canceled; job {job.job_id} is {job.job_type}")
    if not job.is_running(now):
        error(400, f"job {job.job_id} has ended")
    job.canceled_at = now
    return web.json_response({"job": job.to_json(now)})


# Assets -----------------------------------------------------------------------------------


async def upload_asset(request: web.Request) -> web.Response:
    fake = fake_of(request)
    query_bool(request, "originalAssets")
    body = await json_body(request)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        error(400, "name is required")
    if "image" not in body:
        error(400, "image is required (the fake API takes images, not canvases)")
    content, mime = decode_image(body["image"], "image", data_url_only=False)
    options = _asset_options(fake.state.assets, body)
    asset = fake.state.add_asset_from_bytes(
        content, name=tidy_name(name) if fake.tidy_names else name, mime_type=mime, **options
    )
    return web.json_response({"asset": asset.to_json(fake.base_url)})


def _asset_options(assets: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """``collectionIds``, ``hide`` and ``parentId`` (an existing asset), checked, as the
    fields of a new asset."""
    collections = body.get("collectionIds")
    if collections is not None and (
        not isinstance(collections, list) or not all(isinstance(c, str) for c in collections)
    ):
        error(400, "collectionIds must be a list of strings")
    hide = body.get("hide")
    if hide is not None and not isinstance(hide, bool):
        error(400, "hide must be true or false")
    parent = body.get("parentId")
    if parent is not None and (not isinstance(parent, str) or parent not in assets):
        error(400, f"parentId {parent} is not an asset")
    return {"collection_ids": list(collections or []), "hidden": bool(hide), "parent_id": parent}


async def get_asset(request: web.Request) -> web.Response:
    fake = fake_of(request)
    for flag in ("originalAssets", "withEmbedding", "withQualityGateDetails"):
        query_bool(request, flag)
    asset_id = request.match_info["asset_id"]
    asset = fake.state.assets.get(asset_id)
    if asset is None:
        error(404, f"asset {asset_id} not found")
    return web.json_response({"asset": asset.to_json(fake.base_url)})


# Uploads ----------------------------------------------------------------------------------


def _whole(body: dict[str, Any], key: str, least: int, most: int) -> int:
    value = body.get(key)
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or value != int(value)
        or not least <= value <= most
    ):
        error(400, f"{key} must be a whole number from {least} to {most}")
    return int(value)


async def create_upload(request: web.Request) -> web.Response:
    """A multipart upload of an image, whose part URLs are on the fake's storage host (see
    ``_storage``). The service also imports from a URL or a model hub: the fake does not."""
    fake = fake_of(request)
    now = request_now()
    dry_run = query_choice(request, "dryRun", DRY_RUN)
    body = await json_body(request)
    if any(body.get(key) is not None for key in ("url", "civitaiModelUrl", "huggingFaceModelName")):
        error(400, "the fake API takes multipart uploads only: fileName, contentType, ...")
    kind = body.get("kind")
    if kind not in _UPLOAD_KINDS:
        error(400, f"kind must be one of {', '.join(_UPLOAD_KINDS)}")
    if kind not in ("image", "asset"):
        error(400, f"the fake API imports images only: kind {kind} is not taken")
    file_name, content_type = body.get("fileName"), body.get("contentType")
    if not isinstance(file_name, str) or not file_name:
        error(400, "fileName is required for a multipart upload")
    if not isinstance(content_type, str) or not content_type.startswith("image/"):
        error(400, "contentType must be the image's MIME type, image/...")
    file_size = _whole(body, "fileSize", 1, MAX_UPLOAD_BYTES)
    parts = _whole(body, "parts", 1, min(MAX_PARTS, file_size))
    options = body.get("assetOptions")
    if options is not None:
        if not isinstance(options, dict):
            error(400, "assetOptions must be an object")
        _asset_options(fake.state.assets, options)
    if dry_run is not None:
        return cost_answer(0)
    upload = FakeUpload(
        id=new_id("upload"),
        file_name=file_name,
        content_type=content_type,
        file_size=file_size,
        parts_count=parts,
        kind=kind,
        asset_options=options,
        validation_duration=fake.validation_duration,
    )
    upload.part_urls = fake.storage.part_urls(upload)
    fake.state.uploads[upload.id] = upload
    return web.json_response({"upload": upload.to_json(now)})


def _upload(request: web.Request) -> FakeUpload:
    upload_id = request.match_info["upload_id"]
    upload = fake_of(request).state.uploads.get(upload_id)
    if upload is None:
        error(404, f"upload {upload_id} not found")
    return upload


async def get_upload(request: web.Request) -> web.Response:
    return web.json_response({"upload": _upload(request).to_json(request_now())})


async def complete_upload(request: web.Request) -> web.Response:
    """``complete``: every part must be there and add up to ``fileSize``, and every part but
    the last must hold ``fake.storage.min_part_bytes`` (400 otherwise, and the upload stays
    open). Then the file is validated: an image becomes an asset."""
    fake = fake_of(request)
    now = request_now()
    body = await json_body(request)
    upload = _upload(request)
    if body.get("action") != "complete":
        error(400, "action must be complete")
    if upload.status(now) != "pending":
        error(409, f"upload {upload.id} is already complete ({upload.status(now)})")
    missing = [n for n in range(1, upload.parts_count + 1) if n not in upload.parts]
    if missing:
        error(400, f"parts not sent: {', '.join(map(str, missing))}")
    size = sum(len(part) for part in upload.parts.values())
    if size != upload.file_size:
        error(400, f"the parts hold {size} bytes; fileSize is {upload.file_size}")
    least = fake.storage.min_part_bytes
    small = [n for n in range(1, upload.parts_count) if len(upload.parts[n]) < least]
    if small:
        # S3's EntityTooSmall: every part but the last holds at least the floor.
        error(400, f"EntityTooSmall: part {small[0]} is under the smallest part, {least} bytes")
    fake.state.start_validating(upload, now)
    fake.state.advance(now)  # at once when validation_duration is 0
    return web.json_response({"upload": upload.to_json(now)})
