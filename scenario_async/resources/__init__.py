"""The API's resources, one module each, every call written once as a coroutine."""

from .assets import AsyncAssets
from .jobs import AsyncJobs
from .models import AsyncModels
from .train import AsyncTrain
from .training_images import AsyncTrainingImages

__all__ = ["AsyncAssets", "AsyncJobs", "AsyncModels", "AsyncTrain", "AsyncTrainingImages"]
