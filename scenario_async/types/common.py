"""Small objects shared by the job, model and asset trees, and the value sets they share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import OpenEnum, extra_field

__all__ = [
    "AssetKind",
    "AssetRef",
    "BackgroundBehavior",
    "ConditionalOperator",
    "Input",
    "InputRef",
    "InputRequired",
    "InputRequiredConditional",
    "InputType",
    "ModelType",
    "Privacy",
]


class ModelType(OpenEnum):
    """A model's base architecture or provider."""

    CUSTOM = "custom"
    ELEVENLABS_VOICE = "elevenlabs-voice"
    FLUX_1 = "flux.1"
    FLUX_1_COMPOSITION = "flux.1-composition"
    FLUX_1_KONTEXT_DEV = "flux.1-kontext-dev"
    FLUX_1_KONTEXT_LORA = "flux.1-kontext-lora"
    FLUX_1_KREA_DEV = "flux.1-krea-dev"
    FLUX_1_KREA_LORA = "flux.1-krea-lora"
    FLUX_1_LORA = "flux.1-lora"
    FLUX_1_PRO = "flux.1-pro"
    FLUX_1_1_PRO_ULTRA = "flux.1.1-pro-ultra"
    FLUX_2_DEV_EDIT_LORA = "flux.2-dev-edit-lora"
    FLUX_2_DEV_LORA = "flux.2-dev-lora"
    FLUX_2_KLEIN_4B_EDIT_LORA = "flux.2-klein-4b-edit-lora"
    FLUX_2_KLEIN_4B_LORA = "flux.2-klein-4b-lora"
    FLUX_2_KLEIN_9B_EDIT_LORA = "flux.2-klein-9b-edit-lora"
    FLUX_2_KLEIN_9B_LORA = "flux.2-klein-9b-lora"
    FLUX_2_KLEIN_BASE_4B_EDIT_LORA = "flux.2-klein-base-4b-edit-lora"
    FLUX_2_KLEIN_BASE_4B_LORA = "flux.2-klein-base-4b-lora"
    FLUX_2_KLEIN_BASE_9B_EDIT_LORA = "flux.2-klein-base-9b-edit-lora"
    FLUX_2_KLEIN_BASE_9B_LORA = "flux.2-klein-base-9b-lora"
    FLUX1_1_PRO = "flux1.1-pro"
    GPT_IMAGE_1 = "gpt-image-1"
    QWEN_IMAGE_2512_LORA = "qwen-image-2512-lora"
    QWEN_IMAGE_EDIT_2509_LORA = "qwen-image-edit-2509-lora"
    QWEN_IMAGE_EDIT_2511_LORA = "qwen-image-edit-2511-lora"
    QWEN_IMAGE_EDIT_LORA = "qwen-image-edit-lora"
    QWEN_IMAGE_LORA = "qwen-image-lora"
    ZIMAGE_DE_TURBO_LORA = "zimage-de-turbo-lora"
    ZIMAGE_LORA = "zimage-lora"
    ZIMAGE_TURBO_LORA = "zimage-turbo-lora"


class Privacy(OpenEnum):
    """Who may see a model or an asset."""

    PRIVATE = "private"
    PUBLIC = "public"
    UNLISTED = "unlisted"


class AssetKind(OpenEnum):
    """The kind of file an asset or an input holds."""

    THREE_D = "3d"
    AUDIO = "audio"
    DOCUMENT = "document"
    IMAGE = "image"
    IMAGE_HDR = "image-hdr"
    JSON = "json"
    TEXT = "text"
    VIDEO = "video"


class InputType(OpenEnum):
    """The value type of an input."""

    BOOLEAN = "boolean"
    FILE = "file"
    FILE_ARRAY = "file_array"
    INPUTS_ARRAY = "inputs_array"
    MODEL = "model"
    MODEL_ARRAY = "model_array"
    NUMBER = "number"
    NUMBER_ARRAY = "number_array"
    STRING = "string"
    STRING_ARRAY = "string_array"


class BackgroundBehavior(OpenEnum):
    """How an image input's background is treated."""

    OPAQUE = "opaque"
    TRANSPARENT = "transparent"


class ConditionalOperator(OpenEnum):
    """How the conditions of a conditional requirement combine."""

    AND = "and"
    OR = "or"


@frozen(kw_only=True)
class AssetRef:
    """A pointer to an asset: ``{assetId, url}`` (flow node assets, epochs, thumbnails,
    an asset's first and last frames and preview)."""

    asset_id: str
    url: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class InputRequiredConditional:
    """Makes an input required when other inputs have one of the listed values."""

    operator: ConditionalOperator | str | None = None
    values: Any = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class InputRequired:
    """When an input must be given. ``conditional_values`` is the older spelling of
    ``conditional`` that the API reference pages still show."""

    always: bool | None = None
    conditional: InputRequiredConditional | None = None
    conditional_values: Any = None
    if_defined: Any = None
    if_not_defined: Any = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class InputRef:
    """A reference from a flow input to another node's value."""

    conditional: list[str] | None = None
    equal: str | None = None
    name: str | None = None
    node: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class Input:
    """One input of a model or of a flow node (the two share this shape).

    ``items`` nests inputs for list-typed inputs; ``ref`` and ``value`` appear on flow nodes.
    Sizes, lengths and durations are JSON numbers: whole ones are ``int``.
    """

    name: str | None = None
    type: InputType | str | None = None
    allowed_values: list[Any] | None = None
    background_behavior: BackgroundBehavior | str | None = None
    color: bool | None = None
    cost_impact: bool | None = None
    default: Any = None
    description: str | None = None
    group: str | None = None
    hint: str | None = None
    inputs: list[dict[str, Any]] | None = None
    items: list[list[Input]] | None = None
    kind: AssetKind | str | None = None
    label: str | None = None
    mask_from: str | None = None
    max: float | None = None
    max_duration: float | None = None
    max_length: float | None = None
    max_size: float | None = None
    min: float | None = None
    min_duration: float | None = None
    min_length: float | None = None
    model_types: list[ModelType | str] | None = None
    parent: bool | None = None
    placeholder: str | None = None
    prompt: bool | None = None
    prompt_spark: bool | None = None
    ref: InputRef | None = None
    required: InputRequired | None = None
    step: float | None = None
    value: Any = None
    extra: Mapping[str, Any] = extra_field()
