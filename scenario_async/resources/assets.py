"""``client.assets``: upload an image (or a canvas) as a reusable asset, read one."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from .._options import Timeout
from .._raw import RawResource, raw
from .._validate import check_bool, check_data_url, check_id, check_ids
from .._wire import path_segment
from ..types.assets import AssetRetrieveResponse, AssetUploadResponse
from ._base import AsyncResource, options, query

__all__ = ["AsyncAssets", "AsyncAssetsWithRawResponse"]

_RAW_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


class AsyncAssets(AsyncResource):
    @cached_property
    def with_raw_response(self) -> AsyncAssetsWithRawResponse:
        """These calls, each answering its ``AsyncAPIResponse`` (status, headers, result)."""
        return AsyncAssetsWithRawResponse(self)

    async def upload(
        self,
        *,
        name: str,
        image: str | None = None,
        canvas: str | None = None,
        thumbnail: str | None = None,
        collection_ids: Sequence[str] | None = None,
        hide: bool | None = None,
        parent_id: str | None = None,
        original_assets: bool | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> AssetUploadResponse:
        """Upload an image (a data URL or bare base64) as an asset; its id can then be added
        to a model with ``training_images.add(asset_id=...)``. Or, without ``image``, a
        ``canvas`` (stringified JSON) with its ``thumbnail`` (base64). Not retried once
        sent."""
        body: dict[str, Any] = {"name": check_id("name", name)}
        if image is not None:
            body["image"] = _image("image", image)
        elif canvas is None:
            raise ValueError("image or canvas is required")
        if canvas is not None:
            if not isinstance(canvas, str):
                raise TypeError(f"canvas must be a string of JSON, got {type(canvas).__name__}")
            body["canvas"] = canvas
        if thumbnail is not None:
            body["thumbnail"] = _image("thumbnail", thumbnail)
        if collection_ids is not None:
            body["collectionIds"] = check_ids("collection_ids", collection_ids)
        if check_bool("hide", hide) is not None:
            body["hide"] = hide
        if parent_id is not None:
            body["parentId"] = check_id("parent_id", parent_id)
        result: AssetUploadResponse = await self._client.request(
            "POST",
            "/assets",
            cast_to=AssetUploadResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id, original_assets),
            body=body,
            idempotent=False,
        )
        return result

    async def retrieve(
        self,
        asset_id: str,
        *,
        with_embedding: bool | None = None,
        with_quality_gate_details: bool | None = None,
        original_assets: bool | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> AssetRetrieveResponse:
        """The asset: its URL, size, type, status, metadata (and, when asked, its embedding
        and the quality gate's reasons)."""
        asset = path_segment(check_id("asset_id", asset_id))
        params = query(project_id, original_assets)
        if check_bool("with_embedding", with_embedding) is not None:
            params["withEmbedding"] = with_embedding
        if check_bool("with_quality_gate_details", with_quality_gate_details) is not None:
            params["withQualityGateDetails"] = with_quality_gate_details
        result: AssetRetrieveResponse = await self._client.request(
            "GET",
            f"/assets/{asset}",
            cast_to=AssetRetrieveResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=params,
        )
        return result


class AsyncAssetsWithRawResponse(RawResource):
    upload = raw(AsyncAssets.upload)
    retrieve = raw(AsyncAssets.retrieve)


def _image(name: str, value: Any) -> str:
    """A data URL (checked whole) or bare base64."""
    if isinstance(value, str) and value.startswith("data:"):
        return check_data_url(name, value)
    if not isinstance(value, str) or not _RAW_BASE64.fullmatch(value):
        raise ValueError(f"{name} must be a base64 image data URL or a base64 string")
    return value
