"""``OpenEnum``, the class of every documented set of string values. It lives outside
``scenario_async.types`` so that the converter can know it without importing every answer
type: a new client loads none of them (``scenario_async.types`` re-exports it)."""

from __future__ import annotations

from enum import Enum

__all__ = ["OpenEnum"]


class OpenEnum(str, Enum):
    """A documented set of string values.

    Fields typed ``SomeEnum | str`` hold the member when the value is documented and the
    plain string when the service sends a value this version does not know yet. Members
    compare equal to their string value, so ``model.status == "trained"`` always works.
    """

    def __str__(self) -> str:
        return str(self.value)
