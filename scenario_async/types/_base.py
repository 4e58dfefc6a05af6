"""Shared pieces of the response classes: the unknown-field bag and open value sets."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from .._open_enum import OpenEnum  # defined apart: the converter needs it without the types

__all__ = ["OpenEnum", "extra_field", "wire_name"]


#: The ``extra`` of an object that had no unknown fields: one shared, read-only, empty mapping
#: rather than a new dict per object parsed.
NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


def extra_field() -> Any:
    """The ``extra`` attribute of every response class: fields the API sent that the class
    does not declare, keyed by their wire (camelCase) name, so nothing sent is lost."""
    return attrs.field(default=NO_EXTRA, eq=False, repr=False)


def wire_name(name: str) -> Any:
    """An optional field whose camelCase wire name does not follow from its snake_case name
    (``costPerAssetMaxCU``, ``numUNetTrainSteps``, the reserved word ``class``)."""
    return attrs.field(default=None, metadata={"wire": name})
