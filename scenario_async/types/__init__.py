"""Typed answers and parameters of the Scenario training API.

Every class is a frozen, slotted attrs class with snake_case attributes, read from the
camelCase wire names of the published JSON Schema of each answer: every field that schema
names is an attribute, and a field it does not name lands in ``extra`` (keyed by its wire
name), so nothing sent is lost. A value set the schema lists is an ``OpenEnum``: a value
outside it is kept as the plain string. A schema ``number`` is typed ``float`` and holds the
JSON value as sent: a whole number stays an ``int``.

Which fields are always present (typed without ``None``): a field the schema marks required
is typed as always present when it is

- an object's identifier: its ``id``; in an object without ``id``, its one required field
  whose name ends in ``Id`` (a job's ``job_id``, an asset reference's ``asset_id``, a
  concept's ``model_id``, the download answer's ``job_id``, ...);
- what an answer wraps: the object that is an answer's one required field (``{model}``,
  ``{job}``, ``{trainingImage}``, ``{asset, job?}``, ``{upload}``), and a page's ``models``
  or ``jobs``. The train answer requires two, ``job`` and ``model``, and a dry run answers
  neither (only the cost): they are ``None``-able.

An answer missing one of these fails to parse (``APIResponseValidationError``, naming the
field's wire path): an identifier is what the next call needs, so it is never guessed.
Every other field, required by the schema or not, is ``None`` when the service leaves it
out, statuses included: they are compared rather than passed on, and ``None`` equals no
status, so an answer short of a secondary field still parses.
"""

from __future__ import annotations

from typing import Any, TypeVar

from .._convert import structure as _structure
from .assets import (
    Asset,
    AssetMetadata,
    AssetProperties,
    AssetRetrieveResponse,
    AssetSource,
    AssetStatus,
    AssetStyle,
    AssetType,
    AssetUploadResponse,
    AudioClassification,
    CameraMode,
    CameraTrajectoryPoint,
    ControlModality,
    EditCapability,
    ImageType,
    InputFidelity,
    InputLocation,
    OriginalMimeType,
    QualityGate,
    QualityGateDetails,
    QualityGateScore,
    QualityGateSensitivity,
    QualityGateStatus,
    QualityGateVerdict,
    Transcription,
)
from .common import (
    AssetKind,
    AssetRef,
    BackgroundBehavior,
    ConditionalOperator,
    Input,
    InputRef,
    InputRequired,
    InputRequiredConditional,
    InputType,
    ModelType,
    Privacy,
)
from .jobs import (
    FlowLogic,
    FlowLogicCase,
    FlowNode,
    FlowNodeStatus,
    FlowNodeType,
    Job,
    JobBilling,
    JobCuCostDetails,
    JobListPage,
    JobMetadata,
    JobRetrieveResponse,
    JobStatus,
    JobTriggerActionResponse,
    JobType,
    StatusHistoryEntry,
)
from .models import (
    ArenaScore,
    InputProperty,
    LorasComponent,
    Model,
    ModelCapability,
    ModelClass,
    ModelClassStatus,
    ModelConcept,
    ModelCopyResponse,
    ModelCreateResponse,
    ModelDownloadResponse,
    ModelEpoch,
    ModelListPage,
    ModelRestoreResponse,
    ModelRetrieveResponse,
    ModelSource,
    ModelStatus,
    ModelUpdateResponse,
    OutputProperty,
    PerformanceStats,
    PerformanceVariant,
    ResolutionComponent,
    ResolutionPreset,
    TrainActionResponse,
    TrainingProgress,
    TrainingStage,
    TrainingStats,
    TriggerGenerate,
    TriggerPosition,
    UIConfig,
    UIPreset,
)
from .parameters import (
    LrScheduler,
    TrainingParameters,
)
from .scores import (
    AssetCoupleDistance,
    AssetCoupleSimilarity,
    AssetCouplesWarning,
    AssetSimilarity,
    AssetsWarning,
    DatasetWarning,
    ScoreDetails,
    ScoreRetrieveTrainingDatasetResponse,
    ScoreStatus,
    ScoreSummary,
)
from .train import (
    CostDetails,
    CostEstimate,
    IPDetection,
    IPDetectionAction,
    IPDetectionCategory,
    IPDetectionFinding,
    TrainResponse,
    TrainTriggerResponse,
)
from .training_images import (
    Pair,
    Preset,
    TrainingImage,
    TrainingImageAddResponse,
    TrainingImageReplacePairsResponse,
    TrainingImageReplaceResponse,
)
from .uploads import (
    Upload,
    UploadAssetOptions,
    UploadCreateResponse,
    UploadKind,
    UploadPart,
    UploadProvider,
    UploadRetrieveResponse,
    UploadSource,
    UploadStatus,
    UploadTriggerActionResponse,
)

__all__ = [
    "ArenaScore",
    "Asset",
    "AssetCoupleDistance",
    "AssetCoupleSimilarity",
    "AssetCouplesWarning",
    "AssetKind",
    "AssetMetadata",
    "AssetProperties",
    "AssetRef",
    "AssetRetrieveResponse",
    "AssetSimilarity",
    "AssetSource",
    "AssetStatus",
    "AssetStyle",
    "AssetType",
    "AssetUploadResponse",
    "AssetsWarning",
    "AudioClassification",
    "BackgroundBehavior",
    "CameraMode",
    "CameraTrajectoryPoint",
    "ConditionalOperator",
    "ControlModality",
    "CostDetails",
    "CostEstimate",
    "DatasetWarning",
    "EditCapability",
    "FlowLogic",
    "FlowLogicCase",
    "FlowNode",
    "FlowNodeStatus",
    "FlowNodeType",
    "IPDetection",
    "IPDetectionAction",
    "IPDetectionCategory",
    "IPDetectionFinding",
    "ImageType",
    "Input",
    "InputFidelity",
    "InputLocation",
    "InputProperty",
    "InputRef",
    "InputRequired",
    "InputRequiredConditional",
    "InputType",
    "Job",
    "JobBilling",
    "JobCuCostDetails",
    "JobListPage",
    "JobMetadata",
    "JobRetrieveResponse",
    "JobStatus",
    "JobTriggerActionResponse",
    "JobType",
    "LorasComponent",
    "LrScheduler",
    "Model",
    "ModelCapability",
    "ModelClass",
    "ModelClassStatus",
    "ModelConcept",
    "ModelCopyResponse",
    "ModelCreateResponse",
    "ModelDownloadResponse",
    "ModelEpoch",
    "ModelListPage",
    "ModelRestoreResponse",
    "ModelRetrieveResponse",
    "ModelSource",
    "ModelStatus",
    "ModelType",
    "ModelUpdateResponse",
    "OriginalMimeType",
    "OutputProperty",
    "Pair",
    "PerformanceStats",
    "PerformanceVariant",
    "Preset",
    "Privacy",
    "QualityGate",
    "QualityGateDetails",
    "QualityGateScore",
    "QualityGateSensitivity",
    "QualityGateStatus",
    "QualityGateVerdict",
    "ResolutionComponent",
    "ResolutionPreset",
    "ScoreDetails",
    "ScoreRetrieveTrainingDatasetResponse",
    "ScoreStatus",
    "ScoreSummary",
    "StatusHistoryEntry",
    "TrainActionResponse",
    "TrainResponse",
    "TrainTriggerResponse",
    "TrainingImage",
    "TrainingImageAddResponse",
    "TrainingImageReplacePairsResponse",
    "TrainingImageReplaceResponse",
    "TrainingParameters",
    "TrainingProgress",
    "TrainingStage",
    "TrainingStats",
    "Transcription",
    "TriggerGenerate",
    "TriggerPosition",
    "UIConfig",
    "UIPreset",
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
    "parse",
]


_T = TypeVar("_T")


def parse(data: Any, cls: type[_T]) -> _T:
    """``data`` (JSON with the wire's camelCase names: a webhook's body, a saved answer) as
    ``cls``, read exactly as the client reads answers. Raises ``ValueError`` (or
    ``TypeError``) naming the first field that does not fit."""
    return _structure(data, cls)
