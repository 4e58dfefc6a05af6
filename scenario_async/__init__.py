"""scenario-async: an asyncio-first SDK for Scenario's model-training API.

``AsyncScenario`` is the client; ``Scenario`` is its blocking twin. ``scenario_async.types``
holds the typed answers; ``scenario_async.testing`` an embedded fake Scenario API.
"""

from typing import TYPE_CHECKING, Any

from ._client import DEFAULT_BASE_URL, AsyncScenario, RequestOptions, Timeout, UnknownOutcome
from ._errors import (
    APIConnectionError,
    APIError,
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
    ScenarioError,
    TrainingCanceledError,
    TrainingError,
    TrainingFailedError,
    TrainingTimeoutError,
    UnprocessableEntityError,
)
from ._version import __version__
from .bulk import BulkResult, BulkUploadError, Outcome, ProgressEvent
from .images import Image, NotAnImageError
from .types.parameters import TrainingParameters
from .types.training_images import Pair

if TYPE_CHECKING:
    from .sync import Scenario

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncScenario",
    "AuthenticationError",
    "BadRequestError",
    "BulkResult",
    "BulkUploadError",
    "ConflictError",
    "Image",
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
    "RequestOptions",
    "Scenario",
    "ScenarioError",
    "Timeout",
    "TrainingCanceledError",
    "TrainingError",
    "TrainingFailedError",
    "TrainingParameters",
    "TrainingTimeoutError",
    "UnknownOutcome",
    "UnprocessableEntityError",
    "__version__",
]


if not TYPE_CHECKING:  # type checkers see the imports above, and so catch misspelt names

    def __getattr__(name: str) -> Any:
        # The sync client (and the resources and answer types it brings) loads on first use,
        # which keeps ``import scenario_async`` quick for code that only needs the async client.
        if name == "Scenario":
            from .sync import Scenario

            globals()["Scenario"] = Scenario
            return Scenario
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
