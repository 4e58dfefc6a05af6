"""The fake API's memory: models, their training images and pairs, assets, jobs and uploads,
and the clock that moves jobs and uploads on. Plain data, no HTTP, so the rules are easy to
read. Times are ``time.monotonic()`` seconds; each answer shows them as wall-clock dates."""

from __future__ import annotations

import hashlib
import itertools
import secrets
import time
import unicodedata
from datetime import datetime, timezone
from typing import Any

import attrs

from ..images import NotAnImageError, refuse_truncated, sniff_mime_type
from ._images import make_png

__all__ = [
    "AUTHOR_ID",
    "OWNER_ID",
    "FakeAsset",
    "FakeJob",
    "FakeModel",
    "FakeState",
    "FakeTrainingImage",
    "FakeUpload",
    "image_problem",
    "iso_now",
    "new_id",
    "tidy_name",
]

#: Who every resource of the fake belongs to: one user in one team.
AUTHOR_ID = "user_fake"
OWNER_ID = "team_fake"
#: The most epochs a fake run makes, whatever ``nbEpochs`` asks: each makes a sample asset.
_MOST_EPOCHS = 20


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(16)}"


def iso_at(wall: float) -> str:
    moment = datetime.fromtimestamp(wall, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_now() -> str:
    return iso_at(time.time())


def tidy_name(name: str) -> str:
    """A name as the service may store it: Unicode NFC, surrounding spaces trimmed. A client
    that compares names must compare them this way, or it misses its own earlier uploads."""
    return unicodedata.normalize("NFC", name).strip()


def image_problem(content: bytes, what: str) -> tuple[str | None, str]:
    """(what is wrong with ``content`` as an image or None, its MIME type): the service
    takes whole PNG, JPEG, WebP and GIF images only, so the fake judges with the SDK's own
    rules (``scenario_async.images``)."""
    mime = sniff_mime_type(content[:16])
    if mime is None:
        return f"{what} is not a PNG, JPEG, WebP or GIF image", ""
    try:
        refuse_truncated(content, what)
    except NotAnImageError as error:
        return str(error), mime
    return None, mime


class _Clock:
    """Monotonic seconds shown as wall-clock dates: one pair read at start-up, so that a date
    computed twice for the same moment is the same string."""

    def __init__(self) -> None:
        self.wall, self.mono = time.time(), time.monotonic()

    def iso(self, mono: float) -> str:
        return iso_at(self.wall + (mono - self.mono))

    def ms(self, mono: float) -> int:
        return round((self.wall + (mono - self.mono)) * 1000)


CLOCK = _Clock()


@attrs.define
class FakeTrainingImage:
    id: str
    name: str | None
    created_at: str
    sha256: str | None = None
    size: int = 0
    asset_id: str | None = None
    preset: str | None = None

    def to_json(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "automaticCaptioning": "",
            "createdAt": self.created_at,
            "description": "",
            "downloadUrl": f"{base_url}/files/{self.id}",
            "name": self.name or "",
        }


@attrs.define
class FakeAsset:
    id: str
    name: str
    mime_type: str
    sha256: str
    size: int
    created_at: str = attrs.field(factory=iso_now)
    collection_ids: list[str] = attrs.field(factory=list)
    hidden: bool = False
    parent_id: str | None = None
    #: ``uploaded`` for what a user sent; ``txt2img`` for a training run's sample images.
    source: str = "uploaded"

    def to_json(self, base_url: str) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "kind": "image",
            "type": "uploaded" if self.source == "uploaded" else "inference-txt2img",
            "name": self.name,
        }
        if self.parent_id is not None:
            metadata["parentId"] = self.parent_id
        return {
            "id": self.id,
            "name": self.name,
            "authorId": AUTHOR_ID,
            "ownerId": OWNER_ID,
            "collectionIds": list(self.collection_ids),
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
            "editCapabilities": [],
            "isHidden": self.hidden,
            "kind": "image",
            "metadata": metadata,
            "mimeType": self.mime_type,
            "privacy": "private",
            "properties": {"size": self.size},
            "source": self.source,
            "status": "success",
            "tags": [],
            "url": f"{base_url}/files/{self.id}",
        }


@attrs.define
class FakeJob:
    """A job whose state follows the clock: ``queued`` for ``queue_duration`` seconds, then
    ``in-progress`` with rising progress for ``run_duration``, then ``success`` or
    ``failure`` (``succeeds``), unless canceled first."""

    job_id: str
    job_type: str
    seq: int
    started: float
    queue_duration: float
    run_duration: float
    succeeds: bool = True
    input: dict[str, Any] = attrs.field(factory=dict)
    #: ``metadata.output`` once the job succeeded.
    output: dict[str, Any] = attrs.field(factory=dict)
    error: str = "the job failed (simulated by the fake API)"
    cost: float = 0
    canceled_at: float | None = None

    @property
    def created_at(self) -> str:
        return CLOCK.iso(self.started)

    def _transitions(self) -> list[tuple[float, str]]:
        """Each status with the moment it began, cancel included, in order."""
        moments = [(self.started, "queued")]
        running = self.started + self.queue_duration
        ended = running + self.run_duration
        final = "success" if self.succeeds else "failure"
        for moment, status in ((running, "in-progress"), (ended, final)):
            if self.canceled_at is not None and self.canceled_at < moment:
                break
            moments.append((moment, status))
        if self.canceled_at is not None and moments[-1][1] not in ("success", "failure"):
            moments.append((self.canceled_at, "canceled"))
        return moments

    def phase(self, now: float) -> tuple[str, float]:
        """(job status, progress 0..1) at ``now``."""
        status = [s for moment, s in self._transitions() if moment <= now][-1]
        if status in ("success", "failure"):
            return status, 1.0
        if status == "canceled":
            return status, self._progress(self.canceled_at or now)
        return status, self._progress(now)

    def ended_at(self, now: float) -> float | None:
        """When the job ended (success, failure or cancel), if it has by ``now``."""
        moment, status = [t for t in self._transitions() if t[0] <= now][-1]
        return moment if status in ("success", "failure", "canceled") else None

    def is_running(self, now: float) -> bool:
        return self.ended_at(now) is None

    def _progress(self, now: float) -> float:
        running = now - self.started - self.queue_duration
        if running <= 0 or self.run_duration <= 0:
            return 0.0
        return min(1.0, running / self.run_duration)

    def to_json(self, now: float) -> dict[str, Any]:
        status, progress = self.phase(now)
        history = [
            {"date": CLOCK.iso(moment), "status": s}
            for moment, s in self._transitions()
            if moment <= now
        ]
        metadata: dict[str, Any] = {"input": dict(self.input), "output": {}}
        if status == "success":
            metadata["output"] = dict(self.output)
        if status == "failure":
            metadata["error"] = self.error
        return {
            "jobId": self.job_id,
            "jobType": self.job_type,
            "authorId": AUTHOR_ID,
            "ownerId": OWNER_ID,
            "createdAt": self.created_at,
            "updatedAt": history[-1]["date"],
            "metadata": metadata,
            "progress": progress,
            "status": status,
            "statusHistory": history,
            "billing": {"cuCost": self.cost, "cuDiscount": 0},
        }


@attrs.define
class FakeModel:
    id: str
    #: None until set or made up when training starts, as the service does.
    name: str | None
    seq: int = 0
    created_at: str = attrs.field(factory=iso_now)
    updated_at: str = ""
    #: The status when no training run says otherwise: ``new``, or ``trained`` for a copy.
    status: str = "new"
    type: str = "flux.1-lora"
    short_description: str | None = None
    class_slug: str | None = None
    base_model_id: str | None = None
    concepts: list[dict[str, Any]] = attrs.field(factory=list)
    collection_ids: list[str] = attrs.field(factory=list)
    training_images: list[FakeTrainingImage] = attrs.field(factory=list)
    pairs: list[dict[str, str]] = attrs.field(factory=list)
    parameters: dict[str, Any] = attrs.field(factory=dict)
    run: FakeJob | None = None
    training_outcome: str = "trained"
    #: Filled when a run succeeds: (epoch id, its sample asset id) each, and the run's figures.
    epochs: list[tuple[str, str]] = attrs.field(factory=list)
    epoch: str | None = None
    example_asset_ids: list[str] = attrs.field(factory=list)
    training_stats: dict[str, Any] | None = None
    thumbnail: dict[str, str] | None = None
    prompt_embedding: str | None = None
    negative_prompt_embedding: str | None = None
    parent_model_id: str | None = None
    deleted_at: str | None = None

    def __attrs_post_init__(self) -> None:
        self.updated_at = self.updated_at or self.created_at

    def touch(self) -> None:
        self.updated_at = iso_now()

    def current_status(self, now: float) -> str:
        if self.run is None:
            return self.status
        job_status, _ = self.run.phase(now)
        return {
            "canceled": "training-canceled",
            "success": "trained",
            "failure": "failed",
        }.get(job_status, "training")

    def training_progress(self, now: float) -> dict[str, Any] | None:
        if self.run is None:
            return None
        run = self.run
        job_status, progress = run.phase(now)
        remaining = 0.0 if job_status in ("success", "failure") else (1 - progress)
        ended = run.ended_at(now)
        return {
            "stage": "queued-for-train" if job_status == "queued" else "running-train",
            "progress": progress,
            "position": 1 if job_status == "queued" else 0,
            "remainingTimeMs": round(remaining * run.run_duration * 1000),
            "startedAt": CLOCK.ms(run.started),
            "updatedAt": CLOCK.ms(now if ended is None else ended),
        }

    def last_change(self, now: float) -> str:
        """``updatedAt``: the later of the last write and the training run's last step."""
        if self.run is None:
            return self.updated_at
        moments = [m for m, _ in self.run._transitions() if m <= now]
        return max(self.updated_at, CLOCK.iso(moments[-1]))

    def to_json(self, base_url: str, now: float) -> dict[str, Any]:
        model: dict[str, Any] = {
            "id": self.id,
            "authorId": AUTHOR_ID,
            "ownerId": OWNER_ID,
            "capabilities": ["txt2img"],
            "collectionIds": list(self.collection_ids),
            "createdAt": self.created_at,
            "custom": True,
            "exampleAssetIds": list(self.example_asset_ids),
            "privacy": "private",
            "source": "scenario",
            "status": self.current_status(now),
            "tags": [],
            "trainingImagesNumber": len(self.training_images),
            "type": self.type,
            "updatedAt": self.last_change(now),
            "parameters": dict(self.parameters),
            "trainingImages": [image.to_json(base_url) for image in self.training_images],
            "trainingImagePairs": list(self.pairs),
        }
        optional: dict[str, Any] = {
            "name": self.name,
            "shortDescription": self.short_description,
            "concepts": list(self.concepts) or None,
            "epochs": [
                {"epoch": epoch, "assets": [{"assetId": asset, "url": f"{base_url}/files/{asset}"}]}
                for epoch, asset in self.epochs
            ]
            or None,
            "epoch": self.epoch,
            "trainingStats": self.training_stats,
            "thumbnail": self.thumbnail,
            "promptEmbedding": self.prompt_embedding,
            "negativePromptEmbedding": self.negative_prompt_embedding,
            "parentModelId": self.parent_model_id,
            "deletedAt": self.deleted_at,
            "trainingProgress": self.training_progress(now),
            "jobId": self.run.job_id if self.run is not None else None,
        }
        model.update((key, value) for key, value in optional.items() if value is not None)
        return model

    def find_image(self, image_id: str) -> FakeTrainingImage | None:
        return next((image for image in self.training_images if image.id == image_id), None)


@attrs.define
class FakeUpload:
    """A multipart upload: ``pending`` while its parts arrive, then (once completed)
    ``validating`` for ``validation_duration`` seconds, then ``imported`` with the new asset
    as ``entity_id``, or ``failed`` with ``error_message``."""

    id: str
    file_name: str
    content_type: str
    file_size: int
    parts_count: int
    kind: str
    created_at: str = attrs.field(factory=iso_now)
    asset_options: dict[str, Any] | None = None
    #: The bytes of each part received, by part number; dropped once validated.
    parts: dict[int, bytes] = attrs.field(factory=dict)
    #: The part URLs, with their expiry date, as ``POST /uploads`` gave them.
    part_urls: list[dict[str, Any]] = attrs.field(factory=list)
    completed_at: float | None = None
    validation_duration: float = 0.0
    settled: bool = False
    entity_id: str | None = None
    error_message: str | None = None

    def status(self, now: float) -> str:
        if self.completed_at is None:
            return "pending"
        if not self.settled:
            return "validating"
        return "failed" if self.error_message is not None else "imported"

    def to_json(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        upload: dict[str, Any] = {
            "id": self.id,
            "authorId": AUTHOR_ID,
            "ownerId": OWNER_ID,
            "createdAt": self.created_at,
            "updatedAt": (
                self.created_at if self.completed_at is None else CLOCK.iso(self.completed_at)
            ),
            "fileName": self.file_name,
            "originalFileName": self.file_name,
            "contentType": self.content_type,
            "fileSize": self.file_size,
            "partsCount": self.parts_count,
            "kind": self.kind,
            "source": "multipart",
            "status": status,
        }
        if status == "pending":
            upload["parts"] = [dict(part) for part in self.part_urls]
        if self.asset_options is not None:
            upload["assetOptions"] = dict(self.asset_options)
        if self.entity_id is not None:
            upload["entityId"] = self.entity_id
        if self.error_message is not None:
            upload["errorMessage"] = self.error_message
        return upload


@attrs.define
class FakeState:
    models: dict[str, FakeModel] = attrs.field(factory=dict)
    assets: dict[str, FakeAsset] = attrs.field(factory=dict)
    jobs: dict[str, FakeJob] = attrs.field(factory=dict)
    uploads: dict[str, FakeUpload] = attrs.field(factory=dict)
    _counter: itertools.count[int] = attrs.field(factory=lambda: itertools.count(1))
    #: Training runs whose end has not been settled yet, and uploads being validated.
    _running: list[FakeModel] = attrs.field(factory=list)
    _validating: list[FakeUpload] = attrs.field(factory=list)

    def next_seq(self) -> int:
        """A number that grows with each model or job made: their creation order."""
        return next(self._counter)

    def add_model(self, model: FakeModel) -> FakeModel:
        model.seq = self.next_seq()
        self.models[model.id] = model
        return model

    def add_asset_from_bytes(
        self, content: bytes, *, name: str, mime_type: str, **fields: Any
    ) -> FakeAsset:
        asset = FakeAsset(
            id=new_id("asset"),
            name=name,
            mime_type=mime_type,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            **fields,
        )
        self.assets[asset.id] = asset
        return asset

    def start_training(self, model: FakeModel, run: FakeJob) -> None:
        model.run = run
        model.epochs, model.epoch, model.training_stats = [], None, None
        self.jobs[run.job_id] = run
        if model not in self._running:
            self._running.append(model)

    def start_validating(self, upload: FakeUpload, now: float) -> None:
        upload.completed_at = now
        self._validating.append(upload)

    def advance(self, now: float) -> None:
        """Do what the service does in the background by ``now``: settle the training runs
        and the validations that have ended. Called before each request is handled."""
        for model in [m for m in self._running if m.run and m.run.ended_at(now) is not None]:
            self._running.remove(model)
            self._settle_training(model, now)
        for upload in [u for u in self._validating if now >= self._validated_at(u)]:
            self._validating.remove(upload)
            self._settle_upload(upload)

    @staticmethod
    def _validated_at(upload: FakeUpload) -> float:
        return (upload.completed_at or 0.0) + upload.validation_duration

    def _settle_training(self, model: FakeModel, now: float) -> None:
        run = model.run
        ended = run.ended_at(now) if run is not None else None
        if run is None or ended is None or run.phase(now)[0] != "success":
            return
        for number in range(1, epochs_of(model.parameters) + 1):
            shade = (number * 47) % 256
            sample = self.add_asset_from_bytes(
                make_png(8, 8, (shade, 120, 255 - shade)),
                name=f"{model.id}-epoch-{number}.png",
                mime_type="image/png",
                source="txt2img",
            )
            digest = hashlib.sha256(f"{run.job_id}:{number}".encode()).hexdigest()[:24]
            model.epochs.append((digest, sample.id))
        model.example_asset_ids = [model.epochs[-1][1]]
        running = run.started + run.queue_duration
        model.training_stats = {
            "queueDuration": round(run.queue_duration, 3),
            "trainDuration": round(ended - running, 3),
            "startedAt": CLOCK.iso(running),
            "endedAt": CLOCK.iso(ended),
        }

    def _settle_upload(self, upload: FakeUpload) -> None:
        content = b"".join(upload.parts[n] for n in sorted(upload.parts))
        upload.parts = {}
        upload.settled = True
        problem, mime = image_problem(content, upload.file_name)
        if problem is not None:
            upload.error_message = problem
            return
        options = upload.asset_options or {}
        asset = self.add_asset_from_bytes(
            content,
            name=upload.file_name,
            mime_type=mime,
            collection_ids=list(options.get("collectionIds") or []),
            hidden=bool(options.get("hide")),
            parent_id=options.get("parentId"),
        )
        upload.entity_id = asset.id


def epochs_of(parameters: dict[str, Any]) -> int:
    """How many epochs a run with ``parameters`` makes: ``nbEpochs``, within 1 to 20."""
    wanted = parameters.get("nbEpochs")
    if isinstance(wanted, (int, float)) and not isinstance(wanted, bool):
        return max(1, min(_MOST_EPOCHS, int(wanted)))
    return 4
