"""Typed answers and parameters of the Scenario training API.

Every class is a frozen, slotted attrs class with snake_case attributes. A field the
service did not send is ``None``; a field this version does not know lands in ``extra``.
"""

from __future__ import annotations

from .assets import Asset, AssetUploadResponse
from .common import AssetRef, Input, InputRef, InputRequired
from .jobs import (
    FlowLogic,
    FlowLogicCase,
    FlowNode,
    Job,
    JobBilling,
    JobMetadata,
    JobRetrieveResponse,
    JobStatus,
    StatusHistoryEntry,
)
from .models import (
    ArenaScore,
    InputProperty,
    LorasComponent,
    Model,
    ModelClass,
    ModelConcept,
    ModelEpoch,
    ModelRetrieveResponse,
    ModelStatus,
    PerformanceStats,
    PerformanceVariant,
    ResolutionComponent,
    ResolutionPreset,
    TrainingProgress,
    TrainingStage,
    TrainingStats,
    TriggerGenerate,
    UIConfig,
    UIPreset,
)
from .parameters import LrScheduler, TrainingParameters
from .train import TrainResponse
from .training_images import (
    Pair,
    Preset,
    TrainingImage,
    TrainingImageAddResponse,
    TrainingImageReplacePairsResponse,
    TrainingImageReplaceResponse,
)

__all__ = [
    "ArenaScore",
    "Asset",
    "AssetRef",
    "AssetUploadResponse",
    "FlowLogic",
    "FlowLogicCase",
    "FlowNode",
    "Input",
    "InputProperty",
    "InputRef",
    "InputRequired",
    "Job",
    "JobBilling",
    "JobMetadata",
    "JobRetrieveResponse",
    "JobStatus",
    "LorasComponent",
    "LrScheduler",
    "Model",
    "ModelClass",
    "ModelConcept",
    "ModelEpoch",
    "ModelRetrieveResponse",
    "ModelStatus",
    "Pair",
    "PerformanceStats",
    "PerformanceVariant",
    "Preset",
    "ResolutionComponent",
    "ResolutionPreset",
    "StatusHistoryEntry",
    "TrainResponse",
    "TrainingImage",
    "TrainingImageAddResponse",
    "TrainingImageReplacePairsResponse",
    "TrainingImageReplaceResponse",
    "TrainingParameters",
    "TrainingProgress",
    "TrainingStage",
    "TrainingStats",
    "TriggerGenerate",
    "UIConfig",
    "UIPreset",
]
