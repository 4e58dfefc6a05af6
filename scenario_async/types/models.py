"""The model tree, as ``GET /models/{modelId}`` and the train call answer it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import OpenEnum, extra_field, wire_name
from .common import AssetRef, Input
from .parameters import TrainingParameters
from .training_images import Pair, TrainingImage

__all__ = [
    "ArenaScore",
    "InputProperty",
    "LorasComponent",
    "Model",
    "ModelClass",
    "ModelConcept",
    "ModelEpoch",
    "ModelRetrieveResponse",
    "ModelStatus",
    "PerformanceStats",
    "PerformanceVariant",
    "ResolutionComponent",
    "ResolutionPreset",
    "TrainingProgress",
    "TrainingStage",
    "TrainingStats",
    "TriggerGenerate",
    "UIConfig",
    "UIPreset",
]


class ModelStatus(OpenEnum):
    COPYING = "copying"
    FAILED = "failed"
    NEW = "new"
    TRAINED = "trained"
    TRAINING = "training"
    TRAINING_CANCELED = "training-canceled"


class TrainingStage(OpenEnum):
    PENDING = "pending"
    PENDING_CAPTCHA = "pending-captcha"
    QUEUED_FOR_TRAIN = "queued-for-train"
    READY_FOR_CAPTCHA = "ready-for-captcha"
    RUNNING_TRAIN = "running-train"
    STARTING_TRAIN = "starting-train"


@frozen(kw_only=True)
class ModelClass:
    category: str | None = None
    concept_prompt: str | None = None
    model_id: str | None = None
    name: str | None = None
    prompt: str | None = None
    slug: str | None = None
    status: str | None = None
    thumbnails: list[str] | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ModelConcept:
    model_id: str | None = None
    scale: float | None = None
    model_epoch: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ModelEpoch:
    epoch: str | None = None
    assets: list[AssetRef] | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ArenaScore:
    arena_category: str | None = None
    arena_model_name: str | None = None
    fetched_at: str | None = None
    rank: int | None = None
    rating: float | None = None
    rating_lower: float | None = None
    rating_upper: float | None = None
    votes: int | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class PerformanceVariant:
    capability: str | None = None
    computed_at: str | None = None
    variant_key: str | None = None
    arena_score: ArenaScore | None = None
    cost_per_asset_max_cu: float | None = wire_name("costPerAssetMaxCU")
    cost_per_asset_min_cu: float | None = wire_name("costPerAssetMinCU")
    cost_per_asset_p50_cu: float | None = wire_name("costPerAssetP50CU")
    inference_latency_p50_sec: float | None = None
    inference_latency_p75_sec: float | None = None
    resolution: str | None = None
    total_latency_p50_sec: float | None = None
    total_latency_p75_sec: float | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class PerformanceStats:
    variants: list[PerformanceVariant] | None = None
    default: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class TrainingProgress:
    """Where a training run stands. Times are epoch milliseconds; ``progress`` is 0 to 1."""

    stage: TrainingStage | str | None = None
    updated_at: float | None = None
    position: int | None = None
    progress: float | None = None
    remaining_time_ms: float | None = None
    started_at: float | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class TrainingStats:
    ended_at: str | None = None
    queue_duration: float | None = None
    started_at: str | None = None
    train_duration: float | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class InputProperty:
    collapsed: bool | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class LorasComponent:
    label: str | None = None
    model_input: str | None = None
    scale_input: str | None = None
    model_id_input: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class UIPreset:
    fields: list[str] | None = None
    presets: dict[str, Any] | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ResolutionPreset:
    height: int | None = None
    label: str | None = None
    width: int | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ResolutionComponent:
    height_input: str | None = None
    label: str | None = None
    presets: list[ResolutionPreset] | None = None
    width_input: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class TriggerGenerate:
    label: str | None = None
    after: str | None = None
    position: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class UIConfig:
    input_properties: dict[str, InputProperty] | None = None
    loras_component: LorasComponent | None = None
    presets: list[UIPreset] | None = None
    resolution_component: ResolutionComponent | None = None
    selects: dict[str, Any] | None = None
    trigger_generate: TriggerGenerate | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class Model:
    """A model. ``class_`` is the wire field ``class`` (a reserved word in Python)."""

    id: str | None = None
    capabilities: list[str] | None = None
    collection_ids: list[str] | None = None
    created_at: str | None = None
    custom: bool | None = None
    example_asset_ids: list[str] | None = None
    privacy: str | None = None
    source: str | None = None
    status: ModelStatus | str | None = None
    tags: list[str] | None = None
    training_images_number: int | None = None
    type: str | None = None
    updated_at: str | None = None
    access_restrictions: int | None = None
    author_id: str | None = None
    class_: ModelClass | None = wire_name("class")
    compliant_model_ids: list[str] | None = None
    concepts: list[ModelConcept] | None = None
    epoch: str | None = None
    epochs: list[ModelEpoch] | None = None
    inputs: list[Input] | None = None
    #: The job of the model's latest training run.
    job_id: str | None = None
    model_keyword: str | None = None
    name: str | None = None
    negative_prompt_embedding: str | None = None
    owner_id: str | None = None
    parameters: TrainingParameters | None = None
    parent_model_id: str | None = None
    performance_stats: PerformanceStats | None = None
    prompt_embedding: str | None = None
    short_description: str | None = None
    soft_deletion_on: str | None = None
    thumbnail: AssetRef | None = None
    training_image_pairs: list[Pair] | None = None
    training_images: list[TrainingImage] | None = None
    training_progress: TrainingProgress | None = None
    training_stats: TrainingStats | None = None
    ui_config: UIConfig | None = None
    user_id: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ModelRetrieveResponse:
    model: Model
    extra: Mapping[str, Any] = extra_field()
