"""An adaptive limit on requests in flight, for ``add_many(concurrency="auto")``.

The method: delay-based growth as in TCP Vegas, with AIMD on throttling, as in TCP Reno.

* Latency: every ``window`` (about one round trip: enough samples of requests started
  after it opened) the median latency is compared with the no-load latency, the lowest
  window median seen (Vegas's base RTT). The limit grows by one when the window was
  saturated and latency stayed flat (at most ``grow_below`` x no-load); it shrinks in
  proportion when latency rose above ``shrink_above`` x no-load (a queue builds up at the
  server, as in Gradient2), at most by half.
* Throttling: a 429 cuts the limit to ``throttle_backoff`` x (multiplicative decrease),
  once per round trip: only a sample of a request started after the last cut counts, so
  one burst of 429s is one cut (Reno's fast recovery). The limit that was throttled is
  remembered, and going back to it waits for ``probe_after`` good samples, doubled on each
  throttle: a quota does not move, and each probe of it costs 429s and the pause that
  follows each of them.

Why not plain AIMD: a server that queues never answers 429, it only gets slower, and the
latency target then holds the queue short. Why not latency alone: a token bucket answers
at constant latency until it refuses. Why not Gradient2's moving averages: its baseline
follows a standing queue up; the lowest median does not (it is taken again at limit 1, where
no queue of ours can be, so a server that became slower for good is learnt anew).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import statistics
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

__all__ = ["AdaptiveLimit", "Slot"]

#: The most good samples a probe of a throttled level waits for (some 17 s at 60 a second).
_MAX_PROBE_WAIT = 1024


class Slot:
    """One slot held through ``AdaptiveLimit.slot()``: set ``throttled`` when a 429 was met
    while it was held, ``failed`` for another error (an exception leaving the block sets it)."""

    __slots__ = ("failed", "started", "throttled")

    def __init__(self, started: float) -> None:
        self.started = started
        self.throttled = False
        self.failed = False


def _check_int(name: str, value: Any, low: int, high: float = math.inf) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        bound = f"between {low} and {high}" if high != math.inf else f"at least {low}"
        raise ValueError(f"{name} must be an integer {bound}, got {value!r}")
    return value


def _check_float(name: str, value: Any, low: float, high: float = math.inf) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not low < value < high
    ):
        raise ValueError(f"{name} must be a number above {low} and below {high}, got {value!r}")
    return float(value)


class AdaptiveLimit:
    """A limit on requests in flight (1 to ``ceiling``) that learns from each request's
    latency and throttling; ``acquire`` waits in FIFO order for a slot under it.

    Lowering the limit never touches a request in flight: new ones wait until fewer than
    the limit are. ``clock`` gives seconds (the latencies passed to ``release`` are on the
    same scale); a fake one makes the limit's decisions testable without waiting.
    """

    def __init__(
        self,
        *,
        initial: int = 4,
        ceiling: int = 256,
        clock: Callable[[], float] = time.monotonic,
        grow_below: float = 1.3,
        shrink_above: float = 2.0,
        throttle_backoff: float = 0.75,
        window: int = 4,
        probe_after: int = 32,
    ) -> None:
        """``grow_below``/``shrink_above``: latency over no-load latency under which the
        limit may grow, and over which it shrinks. ``throttle_backoff``: what a 429 leaves
        of the limit. ``window``: fewest samples per decision (more when the limit is high:
        half of it). ``probe_after``: good samples before the first probe of a throttled
        level (doubled on each later throttle)."""
        self._ceiling = _check_int("ceiling", ceiling, 1)
        self._limit = _check_int("initial", initial, 1, ceiling)
        if not callable(clock):
            raise ValueError(f"clock must be a callable returning seconds, got {clock!r}")
        self._clock = clock
        self._grow_below = _check_float("grow_below", grow_below, 1.0)
        self._shrink_above = _check_float("shrink_above", shrink_above, self._grow_below)
        self._backoff = _check_float("throttle_backoff", throttle_backoff, 0.0, 1.0)
        self._window_min = _check_int("window", window, 1)
        self._probe_first = _check_int("probe_after", probe_after, 0)

        self._in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        # The current window: good latencies of requests started since it opened, and how
        # many of them were released while every slot was taken (saturation).
        now = clock()
        self._window_start = now
        self._samples: list[float] = []
        self._full = 0
        #: The lowest window median seen: the latency without our queue.
        self._base = math.inf
        #: When the limit was last lowered: a sample of a request started before it was
        #: already accounted for.
        self._last_cut = -math.inf
        #: The limit a 429 was last met at (0: none), and the probe of it: how many good
        #: samples since that cut before the limit may go back to it.
        self._throttled_level = 0
        self._probe_wait = self._probe_first
        self._good_since_cut = 0

    def __repr__(self) -> str:
        return (
            f"AdaptiveLimit(limit={self._limit}, in_flight={self._in_flight}, "
            f"waiting={len(self._waiters)}, no_load_latency={self._base:.4f})"
        )

    @property
    def limit(self) -> int:
        """The current limit, from 1 to ``ceiling``."""
        return self._limit

    @property
    def in_flight(self) -> int:
        """Slots taken and not yet released."""
        return self._in_flight

    @property
    def no_load_latency(self) -> float | None:
        """The latency the limit compares with (None before the first window)."""
        return None if self._base == math.inf else self._base

    # Slots ------------------------------------------------------------------------------

    async def acquire(self) -> None:
        """Wait until fewer than ``limit`` requests are in flight, then take a slot.

        Waiters are served first come, first served: a slot freed is handed to the oldest
        waiter directly, so no newcomer can take it in between. A waiter cancelled after
        it was handed a slot gives it back."""
        if not self._waiters and self._in_flight < self._limit:
            self._in_flight += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._in_flight -= 1  # handed a slot, but cancelled before taking it
                self._wake()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def release(self, latency: float, *, throttled: bool = False, failed: bool = False) -> None:
        """Free a slot and learn from its request.

        ``latency``: the seconds the request took, from taking the slot to its answer, for
        a throttled one too (it tells when the request started, hence whether a cut since
        then already accounted for it). ``throttled``: a 429 was met while it was in flight
        (it wins over ``failed``). ``failed``: another error, which says nothing about load.
        A latency that is not a finite number of seconds frees the slot and teaches nothing.
        """
        if self._in_flight <= 0:
            raise RuntimeError("release() called more times than acquire()")
        full = self._in_flight >= self._limit
        self._in_flight -= 1
        try:
            known = (
                not isinstance(latency, bool)
                and isinstance(latency, (int, float))
                and math.isfinite(latency)
                and latency >= 0
            )
            if throttled:
                # Without its latency, take it to have lasted one no-load round trip.
                took = latency if known else (0.0 if self._base == math.inf else self._base)
                self._on_throttle(self._clock() - took)
            elif not failed and known:
                self._on_sample(float(latency), full)
        finally:
            self._wake()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        """``async with limit.slot() as s:`` acquire, then release with the block's time;
        set ``s.throttled`` when a 429 was met meanwhile. An exception (cancellation too)
        releases the slot as failed."""
        await self.acquire()
        held = Slot(self._clock())
        try:
            yield held
        except BaseException:
            held.failed = True
            raise
        finally:
            latency = self._clock() - held.started
            self.release(latency, throttled=held.throttled, failed=held.failed)

    def _wake(self) -> None:
        """Hand free slots to the oldest waiters."""
        while self._waiters and self._in_flight < self._limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._in_flight += 1
                waiter.set_result(None)

    # Learning ---------------------------------------------------------------------------

    def _on_throttle(self, started: float) -> None:
        # Whatever was measured in this window may hold the pause the client keeps after
        # a 429: it is no evidence of latency.
        self._open_window()
        if started < self._last_cut:
            return  # of the burst already cut for
        if self._throttled_level and self._limit >= self._throttled_level:
            # A probe of the level throttled before was throttled again: probe less often.
            self._probe_wait = min(max(1, self._probe_wait) * 2, _MAX_PROBE_WAIT)
        self._throttled_level = self._limit
        self._cut(math.floor(self._limit * self._backoff))

    def _on_sample(self, latency: float, full: bool) -> None:
        now = self._clock()
        self._good_since_cut += 1
        if now - latency < self._window_start:
            return  # started before the window: it saw another limit
        self._samples.append(latency)
        self._full += full
        if len(self._samples) >= max(self._window_min, self._limit // 2):
            self._decide()

    def _decide(self) -> None:
        median = statistics.median(self._samples)
        saturated = 2 * self._full >= len(self._samples)
        if self._limit == 1 and median > self._shrink_above * self._base:
            self._base = median  # at one in flight there is no queue of ours: it is no-load
        self._base = min(self._base, median)
        ratio = median / self._base if self._base > 0 else 1.0
        if ratio > self._shrink_above:
            # Aim back at flat latency: a queue's latency grows with what is in flight.
            self._cut(math.floor(self._limit * max(0.5, self._grow_below / ratio)))
            return
        self._open_window()
        if saturated and ratio <= self._grow_below and self._limit < self._ceiling:
            if self._limit + 1 < self._throttled_level:
                self._limit += 1
            elif self._good_since_cut >= self._probe_wait:
                self._limit += 1
                if self._limit > self._throttled_level:
                    # The throttled level held for a whole probe: the quota has grown.
                    self._throttled_level = 0
                    self._probe_wait = self._probe_first
                self._good_since_cut = 0
            self._wake()

    def _cut(self, limit: int) -> None:
        self._limit = max(1, min(limit, self._limit - 1))
        self._last_cut = self._clock()
        self._good_since_cut = 0
        self._open_window()

    def _open_window(self) -> None:
        self._window_start = self._clock()
        self._samples.clear()
        self._full = 0
