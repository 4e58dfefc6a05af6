"""Training images, their pairs, and the answers of the training-image calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import OpenEnum, extra_field

__all__ = [
    "Pair",
    "Preset",
    "TrainingImage",
    "TrainingImageAddResponse",
    "TrainingImageReplacePairsResponse",
    "TrainingImageReplaceResponse",
]


class Preset(OpenEnum):
    """How the service prepares a training image."""

    DEFAULT = "default"
    STYLE = "style"
    SUBJECT = "subject"


@frozen(kw_only=True)
class TrainingImage:
    id: str
    automatic_captioning: str | None = None
    created_at: str | None = None
    description: str | None = None
    download_url: str | None = None
    name: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class TrainingImageAddResponse:
    """The answer of ``POST /models/{modelId}/training-images``."""

    training_image: TrainingImage
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class TrainingImageReplaceResponse:
    """The answer of ``PUT /models/{modelId}/training-images/{trainingImageId}``."""

    training_image: TrainingImage
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class Pair:
    """A source-to-target pair of training images, for edit-style models.

    Used both in requests (``replace_pairs(body=[Pair(...)])``) and in answers.
    """

    instruction: str | None = None
    source_id: str | None = None
    target_id: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class TrainingImageReplacePairsResponse:
    """The answer of ``PUT /models/{modelId}/training-images/pairs``."""

    count: float | None = None
    pairs: list[Pair] | None = None
    extra: Mapping[str, Any] = extra_field()
