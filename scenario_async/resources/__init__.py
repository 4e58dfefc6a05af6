"""The API's resources, one module each, every call written once as a coroutine."""

from .assets import AsyncAssets
from .jobs import AsyncJobs
from .models import AsyncModels, AsyncScores
from .train import AsyncTrain
from .training_images import AsyncTrainingImages
from .uploads import AsyncUploads

__all__ = [
    "AsyncAssets",
    "AsyncJobs",
    "AsyncModels",
    "AsyncScores",
    "AsyncTrain",
    "AsyncTrainingImages",
    "AsyncUploads",
]
