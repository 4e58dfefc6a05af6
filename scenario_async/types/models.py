"""The model tree, as the model calls and the train call answer it, and the model answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import OpenEnum, extra_field, wire_name
from .common import AssetRef, Input, ModelType, Privacy
from .parameters import TrainingParameters
from .training_images import Pair, TrainingImage

__all__ = [
    "ArenaScore",
    "InputProperty",
    "LorasComponent",
    "Model",
    "ModelCapability",
    "ModelClass",
    "ModelClassStatus",
    "ModelConcept",
    "ModelCopyResponse",
    "ModelCreateResponse",
    "ModelDownloadResponse",
    "ModelEpoch",
    "ModelListPage",
    "ModelRestoreResponse",
    "ModelRetrieveResponse",
    "ModelSource",
    "ModelStatus",
    "ModelUpdateResponse",
    "OutputProperty",
    "PerformanceStats",
    "PerformanceVariant",
    "ResolutionComponent",
    "ResolutionPreset",
    "TrainActionResponse",
    "TrainingProgress",
    "TrainingStage",
    "TrainingStats",
    "TriggerGenerate",
    "TriggerPosition",
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


class ModelCapability(OpenEnum):
    """What a model can generate, from what."""

    THREE_D23D = "3d23d"
    AUDIO2AUDIO = "audio2audio"
    AUDIO2TXT = "audio2txt"
    AUDIO2VIDEO = "audio2video"
    CONTROLNET = "controlnet"
    CONTROLNET_IMG2IMG = "controlnet_img2img"
    CONTROLNET_INPAINT = "controlnet_inpaint"
    CONTROLNET_INPAINT_IP_ADAPTER = "controlnet_inpaint_ip_adapter"
    CONTROLNET_IP_ADAPTER = "controlnet_ip_adapter"
    CONTROLNET_REFERENCE = "controlnet_reference"
    CONTROLNET_TEXTURE = "controlnet_texture"
    IMG23D = "img23d"
    IMG2IMG = "img2img"
    IMG2IMG_IP_ADAPTER = "img2img_ip_adapter"
    IMG2IMG_TEXTURE = "img2img_texture"
    IMG2TXT = "img2txt"
    IMG2VIDEO = "img2video"
    INPAINT = "inpaint"
    INPAINT_IP_ADAPTER = "inpaint_ip_adapter"
    OUTPAINT = "outpaint"
    REFERENCE = "reference"
    REFERENCE_TEXTURE = "reference_texture"
    TXT23D = "txt23d"
    TXT2AUDIO = "txt2audio"
    TXT2IMG = "txt2img"
    TXT2IMG_IP_ADAPTER = "txt2img_ip_adapter"
    TXT2IMG_TEXTURE = "txt2img_texture"
    TXT2TXT = "txt2txt"
    TXT2VIDEO = "txt2video"
    VIDEO23D = "video23d"
    VIDEO2AUDIO = "video2audio"
    VIDEO2IMG = "video2img"
    VIDEO2TXT = "video2txt"
    VIDEO2VIDEO = "video2video"


class ModelSource(OpenEnum):
    """Where a model comes from."""

    CIVITAI = "civitai"
    HUGGINGFACE = "huggingface"
    OTHER = "other"
    SCENARIO = "scenario"


class ModelClassStatus(OpenEnum):
    """Whether a model class is published."""

    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class TriggerPosition(OpenEnum):
    """Where the generate button sits."""

    BOTTOM = "bottom"
    TOP = "top"


@frozen(kw_only=True)
class ModelClass:
    category: str | None = None
    concept_prompt: str | None = None
    model_id: str
    name: str | None = None
    prompt: str | None = None
    slug: str | None = None
    status: ModelClassStatus | str | None = None
    thumbnails: list[str] | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ModelConcept:
    model_id: str
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
    rank: float | None = None
    rating: float | None = None
    rating_lower: float | None = None
    rating_upper: float | None = None
    votes: float | None = None
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
    """Where a training run stands. Times are epoch milliseconds; ``progress`` is 0 to 1.

    ``captcha_image_url`` is set while the run waits for a captcha (``pending-captcha``);
    ``retryable_error`` and ``retry_count`` tell about a failed attempt the service retries.
    """

    stage: TrainingStage | str | None = None
    updated_at: float | None = None
    captcha_image_url: str | None = None
    position: float | None = None
    progress: float | None = None
    remaining_time_ms: float | None = None
    retry_count: float | None = None
    retryable_error: str | None = None
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
class OutputProperty:
    label: str | None = None
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
    """``presets`` is any JSON value: its shape is not published."""

    fields: list[str] | None = None
    presets: Any = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ResolutionPreset:
    height: float | None = None
    label: str | None = None
    width: float | None = None
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
    position: TriggerPosition | str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class UIConfig:
    input_properties: dict[str, InputProperty] | None = None
    loras_component: LorasComponent | None = None
    output_properties: dict[str, OutputProperty] | None = None
    presets: list[UIPreset] | None = None
    resolution_component: ResolutionComponent | None = None
    selects: dict[str, Any] | None = None
    trigger_generate: TriggerGenerate | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class Model:
    """A model. ``class_`` is the wire field ``class`` (a reserved word in Python).

    ``access_restrictions`` is one of 0, 25, 50, 75 or 100.
    """

    id: str
    capabilities: list[ModelCapability | str] | None = None
    collection_ids: list[str] | None = None
    created_at: str | None = None
    custom: bool | None = None
    example_asset_ids: list[str] | None = None
    privacy: Privacy | str | None = None
    source: ModelSource | str | None = None
    status: ModelStatus | str | None = None
    tags: list[str] | None = None
    training_images_number: float | None = None
    type: ModelType | str | None = None
    updated_at: str | None = None
    access_restrictions: int | None = None
    author_id: str | None = None
    class_: ModelClass | None = wire_name("class")
    compliant_model_ids: list[str] | None = None
    concepts: list[ModelConcept] | None = None
    deleted_at: str | None = None
    disable_refund: bool | None = None
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
    """The answer of ``GET /models/{modelId}``, and of ``POST /models/{modelId}/train/action``."""

    model: Model
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ModelCreateResponse:
    """The answer of ``POST /models``."""

    model: Model
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ModelUpdateResponse:
    """The answer of ``PUT /models/{modelId}``."""

    model: Model
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ModelCopyResponse:
    """The answer of ``POST /models/{modelId}/copy``: the new model."""

    model: Model
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ModelRestoreResponse:
    """The answer of ``POST /models/{modelId}/restore``."""

    model: Model
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ModelDownloadResponse:
    """The answer of ``POST /models/{modelId}/download``: the job that prepares the file."""

    job_id: str
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ModelListPage:
    """One page of ``GET /models``. No ``next_pagination_token`` means the last page; else
    send it back as ``paginationToken`` for the next one."""

    models: list[Model]
    next_pagination_token: str | None = None
    extra: Mapping[str, Any] = extra_field()


#: The published client's name of the answer of ``POST /models/{modelId}/train/action``.
TrainActionResponse = ModelRetrieveResponse
