"""``client.assets``: upload an image as a reusable asset."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .._options import Timeout
from .._validate import check_data_url, check_id
from ..types.assets import AssetUploadResponse
from ._base import AsyncResource, options, query

__all__ = ["AsyncAssets"]

_RAW_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


class AsyncAssets(AsyncResource):
    async def upload(
        self,
        *,
        image: str,
        name: str,
        collection_ids: Sequence[str] | None = None,
        hide: bool | None = None,
        parent_id: str | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> AssetUploadResponse:
        """Upload an image (a data URL or bare base64) as an asset; its id can then be added
        to a model with ``training_images.add(asset_id=...)``. Not retried once sent."""
        if isinstance(image, str) and image.startswith("data:"):
            check_data_url("image", image)
        elif not isinstance(image, str) or not _RAW_BASE64.fullmatch(image):
            raise ValueError("image must be a base64 image data URL or a base64 string")
        body: dict[str, Any] = {"image": image, "name": check_id("name", name)}
        if collection_ids is not None:
            if isinstance(collection_ids, str):
                raise TypeError("collection_ids must be a list of strings, not a single string")
            body["collectionIds"] = [
                check_id(f"collection_ids[{i}]", c) for i, c in enumerate(collection_ids)
            ]
        if hide is not None:
            if not isinstance(hide, bool):
                raise TypeError("hide must be a bool")
            body["hide"] = hide
        if parent_id is not None:
            body["parentId"] = check_id("parent_id", parent_id)
        result: AssetUploadResponse = await self._client.request(
            "POST",
            "/assets",
            cast_to=AssetUploadResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
            body=body,
            idempotent=False,
        )
        return result
