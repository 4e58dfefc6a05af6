"""Fault plans: the failures a real deployment sees, injected by the fake API on purpose.

A plan gives each kind of fault a rate (0 to 1). For every request the fake API draws one
number from a seeded generator and picks at most one fault, so a run with the same seed and
the same request order fails the same way. New kinds go at the end of ``FAULT_KINDS`` and
stay out of ``FaultPlan.mixed`` by default, so that seeded runs keep drawing what they drew.
"""

from __future__ import annotations

import random
import threading
import typing
from collections.abc import Iterable
from typing import Any, Literal

import attrs

__all__ = ["FAULT_KINDS", "MIXED_KINDS", "Fault", "FaultPlan"]

Fault = Literal[
    "error_500",
    "unavailable_503",
    "rate_limited_429",
    "html_error",
    "drop_after_store",
    "error_502_after_store",
    "slow_after_store",
    "malformed_json",
    "store_late",
]

#: Every kind of fault, in the order rates are drawn.
FAULT_KINDS: tuple[Fault, ...] = typing.get_args(Fault)

#: The kinds ``FaultPlan.mixed`` spreads its rate over unless asked for more: the kinds that
#: existed when seeded runs were first written, so their draws stay the same.
MIXED_KINDS: tuple[Fault, ...] = tuple(kind for kind in FAULT_KINDS if kind != "store_late")

#: Faults that happen after the request did its work (an image may be stored).
AFTER_STORE: frozenset[Fault] = frozenset(
    {"drop_after_store", "error_502_after_store", "slow_after_store", "malformed_json"}
)


@attrs.frozen(kw_only=True)
class FaultPlan:
    """What the fake API does wrong, and how often.

    Before the request does anything:
      ``error_500`` (JSON 500), ``unavailable_503`` and ``rate_limited_429`` (both with
      ``Retry-After: retry_after``), ``html_error`` (a proxy's HTML 502 page).
    After the request did its work (an image is stored):
      ``drop_after_store`` (the connection is closed without an answer),
      ``error_502_after_store`` (an HTML 502 page), ``slow_after_store`` (the answer comes
      ``slow_seconds`` late, past a client's timeout), ``malformed_json`` (a 200 whose JSON
      is cut short).
    Around the work:
      ``store_late`` (the request waits ``slow_seconds`` before doing its work, then does it
      and answers: a client that gave up before sees the image appear later).

    Every kind applies to every method in ``methods``: an after-store fault on a PUT (replace,
    train) or a DELETE does the work, then spoils the answer, as on a POST.
    ``methods`` limits the plan to some HTTP methods (all by default); ``max_faults`` stops
    it after that many faults ("fail the first request" is ``max_faults=1`` with a rate of 1).
    """

    seed: int = 0
    error_500: float = 0.0
    unavailable_503: float = 0.0
    rate_limited_429: float = 0.0
    html_error: float = 0.0
    drop_after_store: float = 0.0
    error_502_after_store: float = 0.0
    slow_after_store: float = 0.0
    malformed_json: float = 0.0
    store_late: float = 0.0
    retry_after: float = 0.05
    slow_seconds: float = 2.0
    methods: frozenset[str] = frozenset({"GET", "POST", "PUT", "DELETE"})
    #: Stop injecting after this many faults (None: never stop).
    max_faults: int | None = None
    _random: random.Random = attrs.field(init=False, eq=False, repr=False)
    _lock: threading.Lock = attrs.field(init=False, eq=False, repr=False, factory=threading.Lock)
    _injected: list[int] = attrs.field(init=False, eq=False, repr=False, factory=lambda: [0])

    def __attrs_post_init__(self) -> None:
        for kind in FAULT_KINDS:
            rate = getattr(self, kind)
            if not 0 <= rate <= 1:
                raise ValueError(f"{kind} must be a rate between 0 and 1, got {rate}")
        if sum(getattr(self, kind) for kind in FAULT_KINDS) > 1:
            raise ValueError("the rates of a fault plan add up to more than 1")
        object.__setattr__(self, "_random", random.Random(self.seed))

    @classmethod
    def mixed(
        cls,
        rate: float = 0.25,
        *,
        seed: int = 0,
        include: Iterable[Fault] = (),
        **options: Any,
    ) -> FaultPlan:
        """``rate`` of all requests in total, spread evenly over ``MIXED_KINDS`` plus the kinds
        in ``include`` (``store_late`` is only drawn when asked for, so seeded runs written
        before it existed draw what they drew). A kind's rate given in ``options`` is used
        as it is and that kind is left out of the spread; the other ``options`` set the other
        fields (``retry_after``, ``slow_seconds``, ``methods``...)."""
        included = set(include)
        unknown = included.difference(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {', '.join(sorted(unknown))}")
        explicit = {kind: options.pop(kind) for kind in FAULT_KINDS if kind in options}
        spread = [
            kind
            for kind in FAULT_KINDS
            if (kind in MIXED_KINDS or kind in included) and kind not in explicit
        ]
        rates: dict[str, Any] = {kind: rate / len(spread) for kind in spread}
        return cls(seed=seed, **rates, **explicit, **options)

    def draw(self, method: str) -> Fault | None:
        """The fault for the next request, if any."""
        if method not in self.methods:
            return None
        with self._lock:
            if self.max_faults is not None and self._injected[0] >= self.max_faults:
                return None
            roll = self._random.random()
            for kind in FAULT_KINDS:
                rate: float = getattr(self, kind)
                if roll < rate:
                    self._injected[0] += 1
                    return kind
                roll -= rate
        return None
