"""Typed answers and parameters of the Scenario training API.

Every class is a frozen, slotted attrs class with snake_case attributes. A field the
service did not send is ``None``; a field this version does not know lands in ``extra``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# The classes are made on first use, not on ``import scenario_async``: building some forty
# attrs classes is a third of the package's import time. Lighter modules come first, so a
# name is found without importing the heavier ones it does not need.
_SUBMODULES = ("training_images", "parameters", "common", "jobs", "assets", "models", "train")


if not TYPE_CHECKING:  # type checkers see the imports above, and so catch misspelt names

    def __getattr__(name: str) -> Any:
        if name in __all__:
            for submodule in _SUBMODULES:
                module = importlib.import_module(f"{__name__}.{submodule}")
                if hasattr(module, name):
                    value = getattr(module, name)
                    globals()[name] = value
                    return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
