"""The server's clock, seen from the client: what tells a resource this call created from one
that was already there.

After a lost answer, the SDK reads the model (or job) and must decide whether what it finds
was made by the call. Its ``createdAt`` is in the server's clock; the call's start is in the
client's. An answer's ``Date`` header links the two: the server's time when it wrote that
answer, truncated to the second, so it is a lower bound of the server's clock at the moment
the client received it. Counting back from there by the client's own elapsed time gives a
lower bound of the server's clock when the call started. Anything created before that bound
existed before the call; anything the call created is at or after it.

That holds for one clock. The service runs on many servers: the one that answered the read
(and wrote its ``Date``) may not be the one that stored the resource (and wrote its
``createdAt``), and their clocks differ a little. ``CLOCK_MARGIN`` widens the bound by that
difference: a resource counts as made by the call when its ``createdAt`` is at or after
``lower_bound(started) - CLOCK_MARGIN``.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

__all__ = ["CLOCK_MARGIN", "ServerClock", "parse_created_at"]

#: The most two of the service's servers' clocks are assumed to differ. Servers kept in step by
#: NTP agree within milliseconds; 2 s leaves room for one that drifted well beyond that. Were a
#: clock off by more, a resource the call made could be taken for an older one and the call's
#: error raised. The cost runs the other way: something made up to 2 s before the call (up to
#: 1 s more, as ``Date`` is truncated to the second) is taken for the call's own.
CLOCK_MARGIN = timedelta(seconds=2)


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
