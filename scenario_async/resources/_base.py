"""What every resource shares: the client it sends through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._options import RequestOptions, Timeout
from .._validate import check_query

if TYPE_CHECKING:
    from .._client import AsyncScenario
    from .._clock import ServerClock

__all__ = ["AsyncResource", "options", "query", "read_for_check"]

T = TypeVar("T")


class AsyncResource:
    def __init__(self, client: AsyncScenario) -> None:
        self._client = client

    @property
    def client(self) -> AsyncScenario:
        """The client this resource sends through."""
        return self._client


def options(
    extra_headers: Mapping[str, str] | None,
    extra_query: Mapping[str, Any] | None,
    extra_body: Mapping[str, Any] | None,
    timeout: Timeout | None,
) -> RequestOptions:
    if extra_headers is None and extra_query is None and extra_body is None and timeout is None:
        return NO_OPTIONS
    return RequestOptions(extra_headers, extra_query, extra_body, timeout)


NO_OPTIONS = RequestOptions()


def query(project_id: str | None, original_assets: bool | None = None) -> dict[str, Any]:
    """The query every endpoint takes (``projectId``), plus ``originalAssets`` where it applies."""
    if project_id is None and original_assets is None:
        return {}  # the usual case: nothing to check, and nothing for the request builder to do
    check_query(project_id, original_assets)
    params: dict[str, Any] = {}
    if project_id is not None:
        params["projectId"] = project_id
    if original_assets is not None:
        params["originalAssets"] = original_assets
    return params


async def read_for_check(
    client: AsyncScenario,
    path: str,
    cast_to: type[T],
    project_id: str | None,
    clock: ServerClock | None = None,
) -> T:
    """A GET made to learn what a write did (after its answer was lost), retried like any
    read; ``clock`` is shown the answer's ``Date``."""
    answer: T = await client.request(
        "GET",
        path,
        cast_to=cast_to,
        options=NO_OPTIONS,
        query=query(project_id),
        on_headers=None if clock is None else clock.observe,
    )
    return answer
