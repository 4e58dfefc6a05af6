"""Multipart uploads of large files: the answers of ``/uploads``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import OpenEnum, extra_field

__all__ = [
    "Upload",
    "UploadAssetOptions",
    "UploadCreateResponse",
    "UploadKind",
    "UploadPart",
    "UploadProvider",
    "UploadRetrieveResponse",
    "UploadSource",
    "UploadStatus",
    "UploadTriggerActionResponse",
]


class UploadKind(OpenEnum):
    """What an upload will become."""

    THREE_D = "3d"
    ASSET = "asset"
    AUDIO = "audio"
    AVATAR = "avatar"
    IMAGE = "image"
    MODEL = "model"
    TEXT = "text"
    VIDEO = "video"


class UploadSource(OpenEnum):
    """Where an upload's file comes from."""

    CIVITAI = "civitai"
    HUGGINGFACE = "huggingface"
    MULTIPART = "multipart"
    OTHER = "other"
    URL = "url"


class UploadProvider(OpenEnum):
    """The model hub an imported file comes from."""

    CIVITAI = "civitai"
    HUGGINGFACE = "huggingface"
    OTHER = "other"


class UploadStatus(OpenEnum):
    """Where an upload stands."""

    COMPLETE = "complete"
    FAILED = "failed"
    IMPORTED = "imported"
    PENDING = "pending"
    VALIDATED = "validated"
    VALIDATING = "validating"


@frozen(kw_only=True)
class UploadPart:
    """Where to send one part of the file: ``url`` is temporary (until ``expires``)."""

    expires: str | None = None
    number: float | None = None
    url: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class UploadAssetOptions:
    """What the asset made from the upload will be: its collections, hidden or not, its
    parent."""

    collection_ids: list[str] | None = None
    hide: bool | None = None
    parent_id: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class Upload:
    """A multipart upload. Once ``status`` is ``validated`` or ``imported``, ``entity_id``
    is the new asset's id; on ``failed``, ``error_message`` says why. ``config`` is any
    JSON value."""

    id: str
    status: UploadStatus | str | None = None
    kind: UploadKind | str | None = None
    file_name: str | None = None
    source: UploadSource | str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    author_id: str | None = None
    owner_id: str | None = None
    asset_options: UploadAssetOptions | None = None
    config: Any = None
    content_type: str | None = None
    entity_id: str | None = None
    error_message: str | None = None
    file_size: float | None = None
    job_id: str | None = None
    original_file_name: str | None = None
    parts: list[UploadPart] | None = None
    parts_count: float | None = None
    provider: UploadProvider | str | None = None
    url: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class UploadCreateResponse:
    """The answer of ``POST /uploads``: the upload, with the URL of each part."""

    upload: Upload
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class UploadRetrieveResponse:
    """The answer of ``GET /uploads/{uploadId}``."""

    upload: Upload
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class UploadTriggerActionResponse:
    """The answer of ``POST /uploads/{uploadId}/action`` (``complete``)."""

    upload: Upload
    extra: Mapping[str, Any] = extra_field()
