"""The answer of ``GET /models/{modelId}/scores/training-dataset``: how fit a model's
training images are for training."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import OpenEnum, extra_field

__all__ = [
    "AssetCoupleDistance",
    "AssetCoupleSimilarity",
    "AssetCouplesWarning",
    "AssetSimilarity",
    "AssetsWarning",
    "DatasetWarning",
    "ScoreDetails",
    "ScoreRetrieveTrainingDatasetResponse",
    "ScoreStatus",
    "ScoreSummary",
]


class ScoreStatus(OpenEnum):
    """Whether a training-dataset score could be computed in full."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    UNKNOWN = "unknown"


class DatasetWarning(OpenEnum):
    """A problem found in a training dataset."""

    CAPTIONS_ARE_IDENTICAL = "Captions are identical"
    CAPTIONS_ARE_TOO_CLOSE = "Captions are too close"
    EMPTY_CAPTION = "Empty caption"
    MISSING_CAPTION = "Missing caption"
    MISSING_METADATA = "Missing metadata"
    SAME_ASSET = "Same asset"
    SIMILARITY_IS_TOO_HIGH = "Similarity is too high"
    SIMILARITY_WITH_OTHER_ASSETS_IS_TOO_LOW = "Similarity with other assets is too low"
    WIDTH_AND_HEIGHT_MUST_BE_LARGER_THAN_1024 = "Width and height must be larger than 1024"


@frozen(kw_only=True)
class AssetsWarning:
    """The problems found with one training image's asset."""

    asset_id: str
    message: list[DatasetWarning | str] | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class AssetCouplesWarning:
    """The problems found with one pair of assets (``couple`` holds their two ids)."""

    couple: list[str] | None = None
    message: list[DatasetWarning | str] | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ScoreSummary:
    """The min, mean and median of a list of distances or similarities."""

    mean: float | None = None
    median: float | None = None
    min: float | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class AssetCoupleDistance:
    couple: list[str] | None = None
    distance: float | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class AssetCoupleSimilarity:
    couple: list[str] | None = None
    similarity: float | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class AssetSimilarity:
    asset_id: str
    similarity: float | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ScoreDetails:
    """The parts the final score is computed from."""

    asset_couples_captions_distance: list[AssetCoupleDistance] | None = None
    asset_couples_similarity: list[AssetCoupleSimilarity] | None = None
    assets_embedding_similarity: list[AssetSimilarity] | None = None
    assets_similarity: ScoreSummary | None = None
    couples_captions_distance: ScoreSummary | None = None
    couples_similarity: ScoreSummary | None = None
    metadata_score: float | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class ScoreRetrieveTrainingDatasetResponse:
    """The answer of ``GET /models/{modelId}/scores/training-dataset``."""

    model_id: str
    score: float | None = None
    status: ScoreStatus | str | None = None
    details: ScoreDetails | None = None
    asset_couples_warnings: list[AssetCouplesWarning] | None = None
    assets_warnings: list[AssetsWarning] | None = None
    extra: Mapping[str, Any] = extra_field()
