"""The job tree: a job, its metadata and the flow nodes of a workflow job, and the job
answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import OpenEnum, extra_field, wire_name
from .common import AssetRef, Input

__all__ = [
    "FlowLogic",
    "FlowLogicCase",
    "FlowNode",
    "FlowNodeStatus",
    "FlowNodeType",
    "Job",
    "JobBilling",
    "JobCuCostDetails",
    "JobListPage",
    "JobMetadata",
    "JobRetrieveResponse",
    "JobStatus",
    "JobTriggerActionResponse",
    "JobType",
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


class JobType(OpenEnum):
    """What a job does."""

    ASSETS_DOWNLOAD = "assets-download"
    CANVAS_EXPORT = "canvas-export"
    CAPTION = "caption"
    CAPTION_LLAVA = "caption-llava"
    CUSTOM = "custom"
    DESCRIBE_STYLE = "describe-style"
    DETECTION = "detection"
    EMBED = "embed"
    FLUX = "flux"
    FLUX_MODEL_TRAINING = "flux-model-training"
    GENERATE_PROMPT = "generate-prompt"
    IMAGE_GENERATION = "image-generation"
    IMAGE_PROMPT_EDITING = "image-prompt-editing"
    INFERENCE = "inference"
    MESH_PREVIEW_RENDERING = "mesh-preview-rendering"
    MODEL_DOWNLOAD = "model-download"
    MODEL_IMPORT = "model-import"
    MODEL_TRAINING = "model-training"
    MUSUBI_MODEL_TRAINING = "musubi-model-training"
    OPENAI_IMAGE_GENERATION = "openai-image-generation"
    PATCH_IMAGE = "patch-image"
    PIXELATE = "pixelate"
    REFRAME = "reframe"
    REMOVE_BACKGROUND = "remove-background"
    REPAINT = "repaint"
    RESTYLE = "restyle"
    SEGMENT = "segment"
    SKYBOX_3D = "skybox-3d"
    SKYBOX_BASE_360 = "skybox-base-360"
    SKYBOX_HDRI = "skybox-hdri"
    SKYBOX_UPSCALE_360 = "skybox-upscale-360"
    SPLAT = "splat"
    TEXTURE = "texture"
    TRANSLATE = "translate"
    UPLOAD = "upload"
    UPSCALE = "upscale"
    UPSCALE_SKYBOX = "upscale-skybox"
    UPSCALE_TEXTURE = "upscale-texture"
    VECTORIZE = "vectorize"
    WORKFLOW = "workflow"


class FlowNodeStatus(OpenEnum):
    """Where one step of a workflow job stands (a set of its own, not the job's)."""

    FAILURE = "failure"
    PENDING = "pending"
    PROCESSING = "processing"
    REJECTED = "rejected"
    SKIPPED = "skipped"
    SUCCESS = "success"


class FlowNodeType(OpenEnum):
    """What one step of a workflow job does."""

    CUSTOM_MODEL = "custom-model"
    FOR_EACH = "for-each"
    GENERATE_PROMPT = "generate-prompt"
    LIST = "list"
    LOGIC = "logic"
    MODEL = "model"
    REMOVE_BACKGROUND = "remove-background"
    TRANSFORM = "transform"
    USER_APPROVAL = "user-approval"
    USER_SELECTION = "user-selection"
    WORKFLOW = "workflow"


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
    """One step of a workflow job. ``logic_type`` is ``"if-else"`` when set;
    ``include_outputs_in_workflow_job`` is ``True`` when set."""

    id: str
    status: FlowNodeStatus | str | None = None
    type: FlowNodeType | str | None = None
    assets: list[AssetRef] | None = None
    count: float | None = None
    depends_on: list[str] | None = None
    include_outputs_in_workflow_job: bool | None = None
    inputs: list[Input] | None = None
    items: list[str] | None = None
    iteration_index: float | None = None
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
class JobCuCostDetails:
    """Creative units charged for the checks run with a job (wire keys are hyphenated)."""

    ip_detection: float | None = wire_name("ip-detection")
    quality_gate: float | None = wire_name("quality-gate")
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class JobBilling:
    cu_cost: float | None = None
    cu_discount: float | None = None
    cu_cost_details: JobCuCostDetails | None = None
    disable_refund: bool | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class Job:
    job_id: str
    created_at: str | None = None
    job_type: JobType | str | None = None
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
    """The answer of ``GET /jobs/{jobId}``."""

    job: Job
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class JobTriggerActionResponse:
    """The answer of ``POST /jobs/{jobId}/action``."""

    job: Job
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class JobListPage:
    """One page of ``GET /jobs``. No ``next_pagination_token`` means the last page; else
    send it back as ``paginationToken`` for the next one."""

    jobs: list[Job]
    next_pagination_token: str | None = None
    extra: Mapping[str, Any] = extra_field()
