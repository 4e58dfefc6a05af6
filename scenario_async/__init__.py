"""scenario-async: an asyncio-first SDK for Scenario's model-training API.

``AsyncScenario`` is the client; ``Scenario`` is its blocking twin. ``scenario_async.types``
holds the typed answers; ``scenario_async.testing`` an embedded fake Scenario API.
"""

from ._client import DEFAULT_BASE_URL, AsyncScenario, RequestOptions, Timeout
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    MissingCredentialsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ScenarioError,
    UnprocessableEntityError,
)
from ._version import __version__
from .sync import Scenario
from .types import Pair, TrainingParameters

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
    "ConflictError",
    "InternalServerError",
    "MissingCredentialsError",
    "NotFoundError",
    "Pair",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestOptions",
    "Scenario",
    "ScenarioError",
    "Timeout",
    "TrainingParameters",
    "UnprocessableEntityError",
    "__version__",
]
