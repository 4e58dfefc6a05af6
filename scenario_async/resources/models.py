"""``client.models``: read a model; its training images and training live below it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._options import Timeout
from .._validate import check_id
from .._wire import path_segment
from ..types.models import ModelRetrieveResponse
from ._base import AsyncResource, options, query
from .train import AsyncTrain
from .training_images import AsyncTrainingImages

if TYPE_CHECKING:
    from .._client import AsyncScenario

__all__ = ["AsyncModels"]


class AsyncModels(AsyncResource):
    def __init__(self, client: AsyncScenario) -> None:
        super().__init__(client)
        self.training_images = AsyncTrainingImages(client)
        self.train = AsyncTrain(client)

    async def retrieve(
        self,
        model_id: str,
        *,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> ModelRetrieveResponse:
        """The model with its training images, status and training progress."""
        model = path_segment(check_id("model_id", model_id))
        result: ModelRetrieveResponse = await self._client.request(
            "GET",
            f"/models/{model}",
            cast_to=ModelRetrieveResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
        )
        return result
