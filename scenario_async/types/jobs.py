"""The job tree: a job, its metadata and the flow nodes of a workflow job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import OpenEnum, extra_field
from .common import AssetRef, Input

__all__ = [
    "FlowLogic",
    "FlowLogicCase",
    "FlowNode",
    "Job",
    "JobBilling",
    "JobMetadata",
    "JobRetrieveResponse",
    "JobStatus",
    "StatusHistoryEntry",
]


class JobStatus(OpenEnum):
    CANCELED = "canceled"
    FAILURE = "failure"
    FINALIZING = "finalizing"
    IN_PROGRESS = "in-progress"
    PENDING = "pending"
    QUEUED = "queued"
    SUCCESS = "success"
    WARMING_UP = "warming-up"


@frozen(kw_only=True)
class FlowLogicCase:
    condition: str | None = None
    value: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class FlowLogic:
    cases: list[FlowLogicCase] | None = None
    default: str | None = None
    transform: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class FlowNode:
    """One step of a workflow job."""

    id: str | None = None
    status: JobStatus | str | None = None
    type: str | None = None
    assets: list[AssetRef] | None = None
    count: int | None = None
    depends_on: list[str] | None = None
    include_outputs_in_workflow_job: bool | None = None
    inputs: list[Input] | None = None
    items: list[str] | None = None
    iteration_index: int | None = None
    job_id: str | None = None
    logic: FlowLogic | None = None
    logic_type: str | None = None
    loop_body_node_ids: list[str] | None = None
    loop_node_id: str | None = None
    model_id: str | None = None
    output: Any = None
    workflow_id: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class JobMetadata:
    asset_ids: list[str] | None = None
    error: str | None = None
    flow: list[FlowNode] | None = None
    hint: str | None = None
    input: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    output_model_id: str | None = None
    workflow_id: str | None = None
    workflow_job_id: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class StatusHistoryEntry:
    date: str | None = None
    status: JobStatus | str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class JobBilling:
    cu_cost: float | None = None
    cu_discount: float | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class Job:
    created_at: str | None = None
    job_id: str | None = None
    job_type: str | None = None
    metadata: JobMetadata | None = None
    progress: float | None = None
    status: JobStatus | str | None = None
    status_history: list[StatusHistoryEntry] | None = None
    updated_at: str | None = None
    author_id: str | None = None
    billing: JobBilling | None = None
    owner_id: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class JobRetrieveResponse:
    job: Job
    extra: Mapping[str, Any] = extra_field()
