"""Small objects shared by the job and model trees."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import extra_field

__all__ = ["AssetRef", "Input", "InputRef", "InputRequired"]


@frozen(kw_only=True)
class AssetRef:
    """A pointer to an asset: ``{assetId, url}`` (flow node assets, epochs, thumbnails)."""

    asset_id: str | None = None
    url: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class InputRequired:
    """When an input must be given."""

    always: bool | None = None
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
    """

    name: str | None = None
    type: str | None = None
    allowed_values: list[Any] | None = None
    background_behavior: str | None = None
    color: bool | None = None
    cost_impact: bool | None = None
    default: Any = None
    description: str | None = None
    group: str | None = None
    hint: str | None = None
    inputs: list[dict[str, Any]] | None = None
    items: list[list[Input]] | None = None
    kind: str | None = None
    label: str | None = None
    mask_from: str | None = None
    max: float | None = None
    max_length: int | None = None
    max_size: int | None = None
    min: float | None = None
    min_length: int | None = None
    model_types: list[str] | None = None
    parent: bool | None = None
    placeholder: str | None = None
    prompt: bool | None = None
    prompt_spark: bool | None = None
    ref: InputRef | None = None
    required: InputRequired | None = None
    step: float | None = None
    value: Any = None
    extra: Mapping[str, Any] = extra_field()
