"""The answer of ``PUT /models/{modelId}/train``: the run started, or its cost."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import OpenEnum, extra_field, wire_name
from .jobs import Job
from .models import Model

__all__ = [
    "CostDetails",
    "CostEstimate",
    "IPDetection",
    "IPDetectionAction",
    "IPDetectionCategory",
    "IPDetectionFinding",
    "TrainResponse",
    "TrainTriggerResponse",
]


class IPDetectionAction(OpenEnum):
    """What the intellectual-property check did with the training images."""

    ALLOWED = "allowed"
    BLOCKED = "blocked"
    FLAGGED = "flagged"


class IPDetectionCategory(OpenEnum):
    """The kind of intellectual property a finding is about."""

    ARTIST_STYLE = "artist-style"
    BRAND_TRADEMARK = "brand-trademark"
    CELEBRITY_LIKENESS = "celebrity-likeness"
    CUSTOM = "custom"
    FICTIONAL_CHARACTER = "fictional-character"


@frozen(kw_only=True)
class CostDetails:
    """Creative units per billing action, after discount; they add up to
    ``creative_units_cost``. Only the actions with a charge appear (wire keys are
    hyphenated: ``train-model`` is ``train_model``)."""

    assistant_message: float | None = wire_name("assistant-message")
    caption: float | None = None
    custom_generation: float | None = wire_name("custom-generation")
    describe_style: float | None = wire_name("describe-style")
    detection: float | None = None
    embed: float | None = None
    image_prompt_editing: float | None = wire_name("image-prompt-editing")
    inference_images: float | None = wire_name("inference-images")
    ip_detection: float | None = wire_name("ip-detection")
    pixelate: float | None = None
    prompt: float | None = None
    quality_gate: float | None = wire_name("quality-gate")
    remove_background: float | None = wire_name("remove-background")
    repaint: float | None = None
    restyle: float | None = None
    segmentation: float | None = None
    skybox_base_360: float | None = wire_name("skybox-base-360")
    skybox_upscale_360: float | None = wire_name("skybox-upscale-360")
    texture: float | None = None
    train_model: float | None = wire_name("train-model")
    translate: float | None = None
    upscale: float | None = None
    vectorization: float | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class IPDetectionFinding:
    """One filter's verdict."""

    category: IPDetectionCategory | str | None = None
    confidence: float | None = None
    entities: list[str] | None = None
    filter_id: str
    filter_name: str | None = None
    flagged: bool | None = None
    reason: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class IPDetection:
    """The intellectual-property check of the training images, when it ran."""

    action: IPDetectionAction | str | None = None
    analyzed_images_count: float | None = None
    creative_units_charged: float | None = None
    evaluated_filters: float | None = None
    findings: list[IPDetectionFinding] | None = None
    flagged: bool | None = None
    has_detector_error: bool | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class TrainResponse:
    """``job`` and ``model`` are ``None`` for a dry run, which answers only the cost
    (``creative_units_cost`` and ``cost_details``)."""

    job: Job | None = None
    model: Model | None = None
    creative_units_cost: float | None = None
    creative_units_discount: float | None = None
    cost_details: CostDetails | None = None
    ip_detection: IPDetection | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class CostEstimate:
    """A dry run's answer (status 269): what the call would cost, and nothing done."""

    creative_units_cost: float | None = None
    creative_units_discount: float | None = None
    cost_details: CostDetails | None = None
    extra: Mapping[str, Any] = extra_field()


#: The published client's name of the train answer.
TrainTriggerResponse = TrainResponse
