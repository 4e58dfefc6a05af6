"""The API's resources, one module each, every call written once as a coroutine; each
resource's ``with_raw_response`` has the same calls answering their HTTP answer."""

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
