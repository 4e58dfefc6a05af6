"""The option types that the client, its resources and the sync twin share, in a module of
their own so that resources need not import the client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol

import aiohttp
import attrs

from ._errors import APIError

__all__ = ["LandingCheck", "RequestOptions", "Timeout", "UnknownOutcome"]

#: A number of seconds for the whole request, or an aiohttp ClientTimeout for finer control.
Timeout = float | aiohttp.ClientTimeout
#: What an add does when it cannot tell whether the image was stored (docs/reliability.md).
UnknownOutcome = Literal["verify", "raise"]


@attrs.frozen
class RequestOptions:
    """The per-call knobs every endpoint accepts."""

    extra_headers: Mapping[str, str] | None = None
    extra_query: Mapping[str, Any] | None = None
    extra_body: Mapping[str, Any] | None = None
    timeout: Timeout | None = None


class LandingCheck(Protocol):
    """How a create whose answer was lost is looked for (an add's, by claim: see
    resources/training_images.py)."""

    def credible(self, answer: Any) -> bool:
        """Whether a successful answer can be this call's."""

    async def find(self, error: APIError) -> Any:
        """The call's answer rebuilt from what the service shows, or None when the call
        surely did nothing. Raises ``error`` (or UnknownOutcomeError) when it cannot tell."""
