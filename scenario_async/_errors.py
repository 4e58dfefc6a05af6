"""The exception hierarchy: one base, API answers by status, connection failures apart."""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseTooLargeError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InsecureTransportWarning",
    "InternalServerError",
    "MissingCredentialsError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectError",
    "ScenarioError",
    "TrainingCanceledError",
    "TrainingError",
    "TrainingFailedError",
    "TrainingTimeoutError",
    "UnknownOutcomeError",
    "UnprocessableEntityError",
    "may_have_acted",
]


class ScenarioError(Exception):
    """Base of every exception this SDK raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Our constructors take keyword-only arguments, which pickle's default (calling the
        # class with ``args``) cannot pass: rebuild from the arguments and the attributes.
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[ScenarioError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class InsecureTransportWarning(UserWarning):
    """Credentials are about to be sent over plain http to another machine."""


class MissingCredentialsError(ScenarioError, ValueError):
    """No API key or secret was given and none is in the environment."""


class APIError(ScenarioError):
    """A request was made and did not give the documented answer.

    ``method`` and ``url`` say which request; credentials are never part of either.
    """

    def __init__(self, message: str, *, method: str, url: str, body: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.body = body


class APIConnectionError(APIError):
    """The server could not be reached or the connection broke mid-request."""

    def __init__(
        self, message: str = "Connection error.", *, method: str, url: str, sent: bool = False
    ) -> None:
        super().__init__(message, method=method, url=url)
        #: True when the request may have reached the server before the failure.
        self.sent = sent


class APITimeoutError(APIConnectionError):
    """The request did not complete within its timeout."""

    def __init__(self, *, method: str, url: str, sent: bool = True) -> None:
        super().__init__("Request timed out.", method=method, url=url, sent=sent)


class APIResponseValidationError(APIError):
    """A 2xx answer that is not the documented JSON (truncated, wrong shape, missing field)."""

    def __init__(
        self, message: str, *, method: str, url: str, status_code: int, body: Any = None
    ) -> None:
        super().__init__(message, method=method, url=url, body=body)
        self.status_code = status_code


class APIResponseTooLargeError(APIResponseValidationError):
    """A 2xx answer longer than the client's ``max_response_bytes`` (counted after
    decompression). It was not read past the limit and its connection was closed."""

    def __init__(
        self, message: str, *, method: str, url: str, status_code: int, limit: int
    ) -> None:
        super().__init__(message, method=method, url=url, status_code=status_code)
        self.limit = limit


class APIStatusError(APIError):
    """The server answered with a 4xx or 5xx status (or a 3xx not followed: RedirectError).

    ``body`` is the parsed JSON when the answer was JSON, else the raw text.
    ``server_message`` is the server's own explanation when it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status_code: int,
        body: Any = None,
        server_message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url, body=body)
        self.status_code = status_code
        self.server_message = server_message
        self.headers = headers or {}


class RedirectError(APIStatusError):
    """A 3xx answer the SDK did not follow: a redirect of a write (a write is never sent
    again elsewhere), one to another origin, or a read redirected more than 5 times."""


class BadRequestError(APIStatusError):
    """400."""


class AuthenticationError(APIStatusError):
    """401: the key or secret is wrong."""


class PermissionDeniedError(APIStatusError):
    """403."""


class NotFoundError(APIStatusError):
    """404."""


class ConflictError(APIStatusError):
    """409."""


class UnprocessableEntityError(APIStatusError):
    """422."""


class RateLimitError(APIStatusError):
    """429: slow down; ``headers`` carries any ``Retry-After``."""


class InternalServerError(APIStatusError):
    """500 and above, including proxies' HTML error pages."""


class UnknownOutcomeError(ScenarioError):
    """A write whose answer was lost, and whose effect the SDK could not establish from the
    model: it may or may not have happened, and sending it again could do it twice.

    ``candidates`` are the ids of the training images that could be its result; the lost
    answer's error is the ``__cause__``.
    """

    def __init__(self, message: str, *, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


class TrainingError(ScenarioError):
    """A training run did not end ``trained``; ``model`` is the model as last seen."""

    def __init__(self, message: str, *, model: Any) -> None:
        super().__init__(message)
        self.model = model


class TrainingFailedError(TrainingError):
    """The model's status became ``failed``."""


class TrainingCanceledError(TrainingError):
    """The model's status became ``training-canceled``."""


class TrainingNotStartedError(TrainingError):
    """``train.wait`` found a model with no training run to wait for (status ``new``):
    it was never triggered, or its trigger did not take. Raised at the first look, instead
    of polling until the timeout."""


class TrainingTimeoutError(TrainingError, TimeoutError):
    """``train.wait`` gave up before the run ended; the run itself goes on."""


def may_have_acted(error: APIError) -> bool:
    """Whether a failed write may have taken effect all the same: it may have reached the
    server and its answer was lost (a timeout or a connection broken after sending, a 5xx,
    an unreadable 2xx). A 4xx, or a connection never made, surely did nothing."""
    if isinstance(error, APIConnectionError):
        return error.sent
    if isinstance(error, APIStatusError):
        return error.status_code >= 500
    return isinstance(error, APIResponseValidationError)


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class_for(status: int) -> type[APIStatusError]:
    if 300 <= status < 400:
        return RedirectError
    if status >= 500:
        return InternalServerError
    return STATUS_ERRORS.get(status, APIStatusError)
