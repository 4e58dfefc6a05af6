"""The API's resources, one module each, every call written once as a coroutine; each
resource's ``with_raw_response`` has the same calls answering their HTTP answer."""

from typing import TYPE_CHECKING

from .. import _lazy

if TYPE_CHECKING:
    from .assets import AsyncAssets, AsyncAssetsWithRawResponse
    from .jobs import AsyncJobs, AsyncJobsWithRawResponse
    from .models import (
        AsyncModels,
        AsyncModelsWithRawResponse,
        AsyncScores,
        AsyncScoresWithRawResponse,
    )
    from .train import AsyncTrain, AsyncTrainWithRawResponse
    from .training_images import AsyncTrainingImages, AsyncTrainingImagesWithRawResponse
    from .uploads import AsyncUploads, AsyncUploadsWithRawResponse

# What each module defines, imported on first use (see _lazy.py).
if not TYPE_CHECKING:  # type checkers read the imports above, and no other name
    __getattr__, __dir__ = _lazy.lazy_names(
        globals(),
        {
            ".assets": (
                "AsyncAssets",
                "AsyncAssetsWithRawResponse",
            ),
            ".jobs": (
                "AsyncJobs",
                "AsyncJobsWithRawResponse",
            ),
            ".models": (
                "AsyncModels",
                "AsyncModelsWithRawResponse",
                "AsyncScores",
                "AsyncScoresWithRawResponse",
            ),
            ".train": (
                "AsyncTrain",
                "AsyncTrainWithRawResponse",
            ),
            ".training_images": (
                "AsyncTrainingImages",
                "AsyncTrainingImagesWithRawResponse",
            ),
            ".uploads": (
                "AsyncUploads",
                "AsyncUploadsWithRawResponse",
            ),
        },
    )

__all__ = [
    "AsyncAssets",
    "AsyncAssetsWithRawResponse",
    "AsyncJobs",
    "AsyncJobsWithRawResponse",
    "AsyncModels",
    "AsyncModelsWithRawResponse",
    "AsyncScores",
    "AsyncScoresWithRawResponse",
    "AsyncTrain",
    "AsyncTrainWithRawResponse",
    "AsyncTrainingImages",
    "AsyncTrainingImagesWithRawResponse",
    "AsyncUploads",
    "AsyncUploadsWithRawResponse",
]
