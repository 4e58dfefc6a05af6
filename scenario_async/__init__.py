"""scenario-async: an asyncio-first SDK for Scenario's model-training API.

``AsyncScenario`` is the client; ``Scenario`` is its blocking twin. ``scenario_async.types``
holds the typed answers; ``scenario_async.testing`` an embedded fake Scenario API.
"""

from typing import TYPE_CHECKING

from . import _lazy
from ._client import DEFAULT_BASE_URL, AsyncScenario
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseTooLargeError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InsecureTransportWarning,
    InternalServerError,
    MissingCredentialsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    ScenarioError,
    TrainingCanceledError,
    TrainingError,
    TrainingFailedError,
    TrainingNotStartedError,
    TrainingTimeoutError,
    UnknownOutcomeError,
    UnprocessableEntityError,
)
from ._options import RequestOptions, Timeout, UnknownOutcome
from ._raw import APIResponse, AsyncAPIResponse
from ._version import __version__

if TYPE_CHECKING:
    from ._multipart import (
        FileChangedError,
        UploadError,
        UploadFailedError,
        UploadPartError,
        UploadTimeoutError,
    )
    from .bulk import BulkResult, BulkUploadError, Outcome, ProgressEvent
    from .images import (
        MAX_IMAGE_BYTES,
        Image,
        ImageFileError,
        ImageTooLargeError,
        NotAnImageError,
        TruncatedImageError,
    )
    from .sync import Scenario
    from .types.parameters import TrainingParameters
    from .types.training_images import Pair

# Imported on first use (see _lazy.py): the blocking client, the bulk engine, images and
# uploads are not what every program needs at start.
if not TYPE_CHECKING:  # type checkers read the imports above, and no other name
    __getattr__, __dir__ = _lazy.lazy_names(
        globals(),
        {
            "._multipart": (
                "FileChangedError",
                "UploadError",
                "UploadFailedError",
                "UploadPartError",
                "UploadTimeoutError",
            ),
            ".bulk": ("BulkResult", "BulkUploadError", "Outcome", "ProgressEvent"),
            ".images": (
                "MAX_IMAGE_BYTES",
                "Image",
                "ImageFileError",
                "ImageTooLargeError",
                "NotAnImageError",
                "TruncatedImageError",
            ),
            ".sync": ("Scenario",),
            ".types.parameters": ("TrainingParameters",),
            ".types.training_images": ("Pair",),
        },
    )

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_IMAGE_BYTES",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseTooLargeError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAPIResponse",
    "AsyncScenario",
    "AuthenticationError",
    "BadRequestError",
    "BulkResult",
    "BulkUploadError",
    "ConflictError",
    "FileChangedError",
    "Image",
    "ImageFileError",
    "ImageTooLargeError",
    "InsecureTransportWarning",
    "InternalServerError",
    "MissingCredentialsError",
    "NotAnImageError",
    "NotFoundError",
    "Outcome",
    "Pair",
    "PermissionDeniedError",
    "ProgressEvent",
    "RateLimitError",
    "RedirectError",
    "RequestOptions",
    "Scenario",
    "ScenarioError",
    "Timeout",
    "TrainingCanceledError",
    "TrainingError",
    "TrainingFailedError",
    "TrainingNotStartedError",
    "TrainingParameters",
    "TrainingTimeoutError",
    "TruncatedImageError",
    "UnknownOutcome",
    "UnknownOutcomeError",
    "UnprocessableEntityError",
    "UploadError",
    "UploadFailedError",
    "UploadPartError",
    "UploadTimeoutError",
    "__version__",
]
