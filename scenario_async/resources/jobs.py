"""``client.jobs``: list jobs, read one (such as a training run's), cancel one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from functools import cached_property
from typing import Any, Literal

from .._options import RequestOptions, Timeout
from .._raw import RawResource, first_page, raw
from .._validate import (
    check_bool,
    check_choice,
    check_choices,
    check_id,
    check_optional_str,
    check_page_size,
)
from .._wire import path_segment
from ..types.jobs import (
    Job,
    JobListPage,
    JobRetrieveResponse,
    JobStatus,
    JobTriggerActionResponse,
    JobType,
)
from ._base import AsyncResource, options, query
from ._pages import items, pages

__all__ = ["AsyncJobs", "AsyncJobsWithRawResponse"]

_STATUSES = tuple(s.value for s in JobStatus)
_TYPES = tuple(t.value for t in JobType)
_ACTIONS = ("cancel",)
#: ``GET /jobs`` answers 50 jobs a page unless asked, and at most 100.
MAX_JOBS_PAGE = 100


class AsyncJobs(AsyncResource):
    @cached_property
    def with_raw_response(self) -> AsyncJobsWithRawResponse:
        """These calls, each answering its ``AsyncAPIResponse`` (status, headers, result)."""
        return AsyncJobsWithRawResponse(self)

    def list(
        self,
        *,
        status: JobStatus | str | None = None,
        type: JobType | str | None = None,
        types: Sequence[JobType | str] | None = None,
        author_id: str | None = None,
        workflow_id: str | None = None,
        created_after: str | None = None,
        updated_after: str | None = None,
        hide_results: bool | None = None,
        page_size: int | None = None,
        pagination_token: str | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> AsyncIterator[Job]:
        """Every job that matches, page after page (one page in memory at a time):
        ``async for job in client.jobs.list(type="model-training")``. Checked before the
        first request."""
        read = pages(
            self._client, "/jobs", JobListPage, *self._list_query(locals()), pagination_token
        )
        return items(read, "jobs")

    def list_pages(
        self,
        *,
        status: JobStatus | str | None = None,
        type: JobType | str | None = None,
        types: Sequence[JobType | str] | None = None,
        author_id: str | None = None,
        workflow_id: str | None = None,
        created_after: str | None = None,
        updated_after: str | None = None,
        hide_results: bool | None = None,
        page_size: int | None = None,
        pagination_token: str | None = None,
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> AsyncIterator[JobListPage]:
        """The pages of ``list``, each with its ``next_pagination_token`` (None on the last)."""
        return pages(
            self._client, "/jobs", JobListPage, *self._list_query(locals()), pagination_token
        )

    def _list_query(self, args: dict[str, Any]) -> tuple[dict[str, Any], RequestOptions]:
        params = query(args["project_id"])
        if args["status"] is not None:
            params["status"] = check_choice("status", args["status"], _STATUSES)
        if args["type"] is not None:
            params["type"] = check_choice("type", args["type"], _TYPES)
        if args["types"] is not None:
            params["types"] = check_choices("types", args["types"], _TYPES)
        for name, wire in (
            ("author_id", "authorId"),
            ("workflow_id", "workflowId"),
            ("created_after", "createdAfter"),
            ("updated_after", "updatedAfter"),
        ):
            if args[name] is not None:
                params[wire] = check_id(name, args[name])
        if check_bool("hide_results", args["hide_results"]) is not None:
            params["hideResults"] = args["hide_results"]
        if (size := check_page_size(args["page_size"], MAX_JOBS_PAGE)) is not None:
            params["pageSize"] = size
        check_optional_str("pagination_token", args["pagination_token"])
        request_options = options(args["extra_headers"], args["extra_query"], None, args["timeout"])
        return params, request_options

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
        """The job: its status, progress, and once done its result (a download's link)."""
        job = path_segment(check_id("job_id", job_id))
        result: JobRetrieveResponse = await self._client.request(
            "GET",
            f"/jobs/{job}",
            cast_to=JobRetrieveResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
        )
        return result

    async def trigger_action(
        self,
        job_id: str,
        *,
        action: Literal["cancel"],
        project_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: Timeout | None = None,
    ) -> JobTriggerActionResponse:
        """Act on a job; today only ``action="cancel"`` (the service cancels inference jobs;
        a training run is cancelled with ``models.train.action``)."""
        job = path_segment(check_id("job_id", job_id))
        result: JobTriggerActionResponse = await self._client.request(
            "POST",
            f"/jobs/{job}/action",
            cast_to=JobTriggerActionResponse,
            options=options(extra_headers, extra_query, extra_body, timeout),
            query=query(project_id),
            body={"action": check_choice("action", action, _ACTIONS)},
        )
        return result


class AsyncJobsWithRawResponse(RawResource):
    """``jobs.with_raw_response``. Its ``list`` is one request: the first page (or the one at
    ``pagination_token``), whose ``parse()`` is a ``JobListPage``, as ``list_pages`` gives it."""

    list = first_page(AsyncJobs.list, AsyncJobs.list_pages)
    retrieve = raw(AsyncJobs.retrieve)
    trigger_action = raw(AsyncJobs.trigger_action)
