"""The answer of ``PUT /models/{modelId}/train``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import extra_field
from .jobs import Job
from .models import Model

__all__ = ["TrainResponse"]


@frozen(kw_only=True)
class TrainResponse:
    """``job`` and ``model`` are ``None`` for a dry run, which answers only the cost."""

    job: Job | None = None
    model: Model | None = None
    creative_units_cost: float | None = None
    creative_units_discount: float | None = None
    cost_details: Any = None
    extra: Mapping[str, Any] = extra_field()
