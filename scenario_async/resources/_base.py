"""What every resource shares: the client it sends through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._options import RequestOptions, Timeout
from .._validate import check_query

if TYPE_CHECKING:
    from .._client import AsyncScenario

__all__ = ["AsyncResource", "options", "query"]


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
