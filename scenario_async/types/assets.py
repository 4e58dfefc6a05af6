"""The answer of ``POST /assets``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import extra_field
from .jobs import Job

__all__ = ["Asset", "AssetUploadResponse"]


@frozen(kw_only=True)
class Asset:
    id: str | None = None
    url: str | None = None
    mime_type: str | None = None
    kind: str | None = None
    status: str | None = None
    name: str | None = None
    created_at: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class AssetUploadResponse:
    asset: Asset
    job: Job | None = None
    extra: Mapping[str, Any] = extra_field()
