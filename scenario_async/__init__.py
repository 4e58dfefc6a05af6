"""scenario-async: an asyncio-first SDK for Scenario's model-training API.

``AsyncScenario`` is the client; ``Scenario`` is its blocking twin. ``scenario_async.types``
holds the typed answers; ``scenario_async.testing`` an embedded fake Scenario API.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._client import DEFAULT_BASE_URL, AsyncScenario
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
    UnknownOutcomeError,
    UnprocessableEntityError,
)
from ._options import RequestOptions, Timeout, UnknownOutcome
from ._version import __version__
from .images import Image, NotAnImageError
from .types.training_images import Pair  # its module is loaded by the image checks anyway

if TYPE_CHECKING:
    from .bulk import BulkResult, BulkUploadError, Outcome, ProgressEvent
    from .sync import Scenario
    from .types.parameters import TrainingParameters

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
    "UnknownOutcomeError",
    "UnprocessableEntityError",
    "__version__",
]


#: What loads when first named, and from where: the sync client, the bulk pipeline and the
#: training parameters cost import time that a program which never uses them would pay.
_LAZY = {
    "Scenario": ".sync",
    "BulkResult": ".bulk",
    "BulkUploadError": ".bulk",
    "Outcome": ".bulk",
    "ProgressEvent": ".bulk",
    "TrainingParameters": ".types.parameters",
}

if not TYPE_CHECKING:  # type checkers see the imports above, and so catch misspelt names

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value
