"""The server's clock, seen from the client: what tells a resource this call created from one
that was already there.

After a lost answer, the SDK reads the model (or job) and must decide whether what it finds
was made by the call. Its ``createdAt`` is in the server's clock; the call's start is in the
client's. An answer's ``Date`` header links the two: the server's time when it wrote that
answer, truncated to the second, so it is a lower bound of the server's clock at the moment
the client received it. Counting back from there by the client's own elapsed time gives a
lower bound of the server's clock when the call started. Anything created before that bound
existed before the call; anything the call created is at or after it.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

__all__ = ["ServerClock", "parse_created_at"]


def parse_created_at(value: object) -> datetime | None:
    """An ISO 8601 ``createdAt`` as an aware datetime, or None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


class ServerClock:
    """Collects the ``Date`` of an answer and turns a client moment into a server bound.

    Pass :meth:`observe` as a request's ``on_headers``; then :meth:`lower_bound` of a
    ``time.monotonic()`` taken before the call was sent.
    """

    __slots__ = ("date", "received")

    def __init__(self) -> None:
        self.date: datetime | None = None
        self.received = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        self.received = time.monotonic()
        value = headers.get("Date")
        try:
            date = email.utils.parsedate_to_datetime(value) if value else None
        except (TypeError, ValueError, IndexError, OverflowError):
            date = None
        if date is not None and date.tzinfo is None:
            date = date.replace(tzinfo=timezone.utc)
        self.date = date

    def lower_bound(self, client_moment: float) -> datetime | None:
        """The earliest the server's clock can have read at ``client_moment`` (monotonic),
        or None when no usable ``Date`` was seen."""
        if self.date is None:
            return None
        return self.date - timedelta(seconds=max(0.0, self.received - client_moment))
