"""Paginated lists: pages read one at a time, following ``nextPaginationToken``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .._options import RequestOptions

if TYPE_CHECKING:
    from .._client import AsyncScenario

__all__ = ["items", "pages"]


class Page(Protocol):
    @property
    def next_pagination_token(self) -> str | None: ...


P = TypeVar("P", bound=Page)


async def pages(
    client: AsyncScenario,
    path: str,
    cast_to: type[P],
    params: Mapping[str, Any],
    options: RequestOptions,
    token: str | None,
) -> AsyncIterator[P]:
    """Each page ``GET path`` answers, from ``token`` (None: the first) until a page names
    no next one; ``params`` are the list's checked query. Only the page being read is held:
    a long list never sits in memory whole. A token seen twice ends the walk with an error
    instead of looping for ever."""
    seen: set[str] = set()
    while True:
        query = params if token is None else {**params, "paginationToken": token}
        page: P = await client.request("GET", path, cast_to=cast_to, options=options, query=query)
        yield page
        token = page.next_pagination_token
        if not token:
            return
        if token in seen:
            raise _looping(token)
        seen.add(token)


def _looping(token: str) -> Any:
    from .._errors import APIResponseValidationError

    return APIResponseValidationError(
        f"the list's pages loop: the next-page token {token[:40]!r} came back twice",
        method="GET",
        url="(paginated list)",
        status_code=200,
    )


async def items(source: AsyncIterator[Any], field: str) -> AsyncIterator[Any]:
    """The items of each page in turn (``field`` names the page's list)."""
    async for page in source:
        for item in getattr(page, field):
            yield item
