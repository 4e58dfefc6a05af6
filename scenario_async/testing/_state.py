"""The fake API's memory: models, their training images and pairs, assets, jobs, and the
clock-driven training run. Plain data, no HTTP, so the rules are easy to read."""

from __future__ import annotations

import hashlib
import secrets
import time
import unicodedata
from datetime import datetime, timezone
from typing import Any

import attrs

__all__ = [
    "FakeAsset",
    "FakeModel",
    "FakeState",
    "FakeTrainingImage",
    "TrainingRun",
    "new_id",
    "tidy_name",
]


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(16)}"


def iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def tidy_name(name: str) -> str:
    """A name as the service may store it: Unicode NFC, surrounding spaces trimmed. A client
    that compares names must compare them this way, or it misses its own earlier uploads."""
    return unicodedata.normalize("NFC", name).strip()


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


@attrs.define
class TrainingRun:
    """A training run whose state follows the clock: queued, then running with rising
    progress, then done (``outcome``: ``"trained"`` or ``"failed"``), unless canceled."""

    job_id: str
    started: float
    queue_duration: float
    train_duration: float
    outcome: str
    created_at: str = attrs.field(factory=iso_now)
    canceled_at: float | None = None
    history: list[dict[str, str]] = attrs.field(factory=list)

    def phase(self, now: float) -> tuple[str, float]:
        """(job status, progress 0..1) at ``now``."""
        if self.canceled_at is not None:
            return "canceled", self._progress(self.canceled_at)
        elapsed = now - self.started
        if elapsed < self.queue_duration:
            return "queued", 0.0
        if elapsed < self.queue_duration + self.train_duration:
            return "in-progress", self._progress(now)
        return ("success" if self.outcome == "trained" else "failure"), 1.0

    def _progress(self, now: float) -> float:
        running = now - self.started - self.queue_duration
        if running <= 0 or self.train_duration <= 0:
            return 0.0
        return min(1.0, running / self.train_duration)

    def job_json(self, model_id: str, now: float) -> dict[str, Any]:
        status, progress = self.phase(now)
        if not self.history or self.history[-1]["status"] != status:
            self.history.append({"date": iso_now(), "status": status})
        job: dict[str, Any] = {
            "createdAt": self.created_at,
            "jobId": self.job_id,
            "jobType": "model-training",
            "metadata": {"input": {"modelId": model_id}, "output": {}},
            "progress": progress,
            "status": status,
            "statusHistory": list(self.history),
            "updatedAt": iso_now(),
            "billing": {"cuCost": 100, "cuDiscount": 0},
        }
        if status == "failure":
            job["metadata"]["error"] = "training failed (simulated by the fake API)"
        return job


@attrs.define
class FakeModel:
    id: str
    name: str
    created_at: str = attrs.field(factory=iso_now)
    status: str = "new"
    training_images: list[FakeTrainingImage] = attrs.field(factory=list)
    pairs: list[dict[str, str]] = attrs.field(factory=list)
    parameters: dict[str, Any] = attrs.field(factory=dict)
    run: TrainingRun | None = None
    training_outcome: str = "trained"

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
        job_status, progress = self.run.phase(now)
        stage = "queued-for-train" if job_status == "queued" else "running-train"
        run = self.run
        remaining = max(0.0, (1 - progress) * run.train_duration) * 1000
        return {
            "stage": stage,
            "progress": progress,
            "position": 1 if job_status == "queued" else 0,
            "remainingTimeMs": round(remaining),
            "startedAt": round(time.time() * 1000 - (now - run.started) * 1000),
            "updatedAt": round(time.time() * 1000),
        }

    def to_json(self, base_url: str, now: float) -> dict[str, Any]:
        model: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "capabilities": ["txt2img"],
            "collectionIds": [],
            "createdAt": self.created_at,
            "custom": True,
            "exampleAssetIds": [],
            "privacy": "private",
            "source": "scenario",
            "status": self.current_status(now),
            "tags": [],
            "trainingImagesNumber": len(self.training_images),
            "type": "flux.1-lora",
            "updatedAt": iso_now(),
            "parameters": self.parameters,
            "trainingImages": [image.to_json(base_url) for image in self.training_images],
            "trainingImagePairs": list(self.pairs),
        }
        progress = self.training_progress(now)
        if progress is not None:
            model["trainingProgress"] = progress
        if self.run is not None:
            model["jobId"] = self.run.job_id
        return model

    def find_image(self, image_id: str) -> FakeTrainingImage | None:
        return next((image for image in self.training_images if image.id == image_id), None)


@attrs.define
class FakeState:
    models: dict[str, FakeModel] = attrs.field(factory=dict)
    assets: dict[str, FakeAsset] = attrs.field(factory=dict)
    jobs: dict[str, tuple[str, TrainingRun]] = attrs.field(factory=dict)

    def add_asset_from_bytes(self, content: bytes, *, name: str, mime_type: str) -> FakeAsset:
        asset = FakeAsset(
            id=new_id("asset"),
            name=name,
            mime_type=mime_type,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
        )
        self.assets[asset.id] = asset
        return asset
