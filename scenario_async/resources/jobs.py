"""``client.jobs``: read a job, such as the one a training run started."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._options import Timeout
from .._validate import check_id
from .._wire import path_segment
from ..types.jobs import JobRetrieveResponse
from ._base import AsyncResource, options, query

__all__ = ["AsyncJobs"]


class AsyncJobs(AsyncResource):
    async def retrieve(
        self,
        job_id: str,
        *,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> JobRetrieveResponse:
        job = path_segment(check_id("job_id", job_id))
        result: JobRetrieveResponse = await self._client.request(
            "GET",
            f"/jobs/{job}",
            cast_to=JobRetrieveResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
        )
        return result
