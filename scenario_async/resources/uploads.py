"""``client.uploads``: multipart uploads of large files, in raw parts rather than base64.

``create`` answers an upload whose ``parts`` each carry a temporary ``url``; each part of
the file goes there as an HTTP PUT of its raw bytes (a storage host: never with the API's
credentials), then ``trigger_action(action="complete")``, then ``retrieve`` until its status
is ``imported`` or ``validated``: its ``entity_id`` is the new asset, usable as a training
image's ``asset_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, Literal, overload

from .._options import Timeout
from .._raw import RawResource, raw
from .._validate import check_bool, check_choice, check_dry_run, check_id, check_ids
from .._wire import path_segment
from ..types.train import CostEstimate
from ..types.uploads import (
    UploadCreateResponse,
    UploadKind,
    UploadRetrieveResponse,
    UploadTriggerActionResponse,
)
from ._base import AsyncResource, options, query

__all__ = ["AsyncUploads", "AsyncUploadsWithRawResponse"]

_KINDS = tuple(k.value for k in UploadKind)
_ACTIONS = ("complete",)


class AsyncUploads(AsyncResource):
    @cached_property
    def with_raw_response(self) -> AsyncUploadsWithRawResponse:
        """These calls, each answering its ``AsyncAPIResponse`` (status, headers, result)."""
        return AsyncUploadsWithRawResponse(self)

    @overload
    async def create(
        self,
        *,
        kind: UploadKind | str,
        file_name: str | None = None,
        content_type: str | None = None,
        file_size: int | None = None,
        parts: int | None = None,
        url: str | None = None,
        civitai_model_url: str | None = None,
        hugging_face_model_name: str | None = None,
        asset_options: Mapping[str, Any] | None = None,
        dry_run: None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> UploadCreateResponse: ...

    @overload
    async def create(
        self,
        *,
        kind: UploadKind | str,
        file_name: str | None = None,
        content_type: str | None = None,
        file_size: int | None = None,
        parts: int | None = None,
        url: str | None = None,
        civitai_model_url: str | None = None,
        hugging_face_model_name: str | None = None,
        asset_options: Mapping[str, Any] | None = None,
        dry_run: Literal[True, "true", "api"],
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> CostEstimate: ...

    async def create(
        self,
        *,
        kind: UploadKind | str,
        file_name: str | None = None,
        content_type: str | None = None,
        file_size: int | None = None,
        parts: int | None = None,
        url: str | None = None,
        civitai_model_url: str | None = None,
        hugging_face_model_name: str | None = None,
        asset_options: Mapping[str, Any] | None = None,
        dry_run: Literal[True, "true", "api"] | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> UploadCreateResponse | CostEstimate:
        """Start an upload. For a multipart upload of a file give ``file_name``,
        ``content_type``, ``file_size`` (bytes) and ``parts`` (how many pieces); or a ``url``
        the service fetches itself. ``asset_options`` are ``{"collection_ids", "hide",
        "parent_id"}``. Not sent again once it may have reached the service."""
        body: dict[str, Any] = {"kind": check_choice("kind", kind, _KINDS)}
        multipart = (file_name, content_type, file_size, parts)
        if any(value is not None for value in multipart) and None in multipart:
            raise ValueError(
                "a multipart upload needs file_name, content_type, file_size and parts together"
            )
        if file_name is not None:
            body["fileName"] = check_id("file_name", file_name)
            body["contentType"] = check_id("content_type", content_type)
            body["fileSize"] = _count("file_size", file_size)
            body["parts"] = _count("parts", parts)
        for field, wire, value in (
            ("url", "url", url),
            ("civitai_model_url", "civitaiModelUrl", civitai_model_url),
            ("hugging_face_model_name", "huggingFaceModelName", hugging_face_model_name),
        ):
            if value is not None:
                body[wire] = check_id(field, value)
        if asset_options is not None:
            body["assetOptions"] = _asset_options(asset_options)
        params = query(project_id)
        if dry_run is not None:
            params["dryRun"] = check_dry_run(dry_run)
        result: UploadCreateResponse | CostEstimate = await self._client.request(
            "POST",
            "/uploads",
            cast_to=CostEstimate if dry_run is not None else UploadCreateResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=params,
            body=body,
            idempotent=dry_run is not None,
        )
        return result

    async def retrieve(
        self,
        upload_id: str,
        *,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> UploadRetrieveResponse:
        """The upload: its status (``pending``, ``validating``, ``validated``/``imported``
        or ``failed`` with ``error_message``) and, once done, ``entity_id``."""
        upload = path_segment(check_id("upload_id", upload_id))
        result: UploadRetrieveResponse = await self._client.request(
            "GET",
            f"/uploads/{upload}",
            cast_to=UploadRetrieveResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
        )
        return result

    async def trigger_action(
        self,
        upload_id: str,
        *,
        action: Literal["complete"],
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> UploadTriggerActionResponse:
        """``action="complete"`` once every part is sent: the service assembles the file and
        validates it."""
        upload = path_segment(check_id("upload_id", upload_id))
        result: UploadTriggerActionResponse = await self._client.request(
            "POST",
            f"/uploads/{upload}/action",
            cast_to=UploadTriggerActionResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
            body={"action": check_choice("action", action, _ACTIONS)},
        )
        return result


class AsyncUploadsWithRawResponse(RawResource):
    create = raw(AsyncUploads.create)
    retrieve = raw(AsyncUploads.retrieve)
    trigger_action = raw(AsyncUploads.trigger_action)


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _asset_options(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"asset_options must be a mapping, got {type(value).__name__}")
    unknown = set(value) - {"collection_ids", "hide", "parent_id"}
    if unknown:
        raise ValueError(f"asset_options has unknown keys {sorted(unknown)}")
    wire: dict[str, Any] = {}
    if value.get("collection_ids") is not None:
        wire["collectionIds"] = check_ids(
            "asset_options['collection_ids']", value["collection_ids"]
        )
    if check_bool("asset_options['hide']", value.get("hide")) is not None:
        wire["hide"] = value["hide"]
    if value.get("parent_id") is not None:
        wire["parentId"] = check_id("asset_options['parent_id']", value["parent_id"])
    return wire
