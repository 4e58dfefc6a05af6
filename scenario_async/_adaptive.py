"""An adaptive limit on requests in flight, for ``add_many(concurrency="auto")``.

The method: delay-based growth as in TCP Vegas, multiplicative decrease on 429s as in AIMD.

* Latency: after each window (the limit's worth of samples, at least ``window``, of
  requests started after the window opened: about one round trip) the window's median
  latency is compared with the no-load latency, the lowest window median seen (Vegas's base
  RTT). The limit grows by one when it was reached in the window (Linux's TCP grows its
  window only when the window was the limit) and latency stayed flat (at most
  ``grow_below`` x no-load); it is cut in proportion when latency rose above
  ``shrink_above`` x no-load (a queue builds up at the server, as in Gradient2), at most
  by half.
* Throttling: a 429 halves the limit (``throttle_backoff``), once per round trip: only a
  request started after the last cut can cut again, so one burst of 429s is one cut
  (Reno's fast recovery). The limit that met the 429 is remembered: the limit grows back
  freely to three quarters of it, then by probes, one step per ``probe_after`` good
  samples, twice as many after a probe that meets a 429, half as many (down to
  ``probe_after``) after one that holds. A quota seldom moves, and each probe of it costs
  429s and the pause the client then imposes on every request.
* Pacing: slots are handed out at most ``pacing`` (2) x limit per no-load latency, as TCP
  paces its packets. A constant-latency server answers in the bunches it was sent, and a
  bunch that meets an emptied quota is refused all together, its requests then retrying
  in step after the same Retry-After: spread, they meet it one at a time (a third of the
  429s in the token-bucket benchmark).

Why both: a server that queues never answers 429, it only gets slower, so latency must
hold the queue short; a token bucket answers at constant latency until it refuses, so
only 429s tell its quota. Why the lowest median rather than Gradient2's moving averages: an
average follows a standing queue up. At limit 1 no queue can be ours, so a window there
that is slower than ``shrink_above`` x no-load becomes the new no-load latency: a server
slower for good is learnt anew rather than starving the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

__all__ = ["AdaptiveLimit", "Slot"]

#: Seconds within which two moments are taken for the same one (latencies are differences
#: of clock readings, rounded): a request started as a window opened belongs to it.
_SLACK = 1e-6
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
        throttle_backoff: float = 0.5,
        window: int = 4,
        probe_after: int = 32,
        pacing: float = 2.0,
    ) -> None:
        """``grow_below``/``shrink_above``: latency over no-load latency under which the
        limit may grow, and over which it shrinks. ``throttle_backoff``: what a 429 leaves
        of the limit. ``window``: fewest samples per decision (the limit's worth when more:
        a round trip's). ``probe_after``: good samples before the limit goes back to a
        level that met a 429 (doubled each time a probe meets one again). ``pacing``: slots
        are handed out at most ``pacing`` x limit / no-load latency a second (0: at once)."""
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
        self._pacing = 0.0 if pacing == 0 else _check_float("pacing", pacing, 1.0)

        self._in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        # The current window: good latencies of requests started since it opened, and the
        # most requests in flight meanwhile (did the limit bind?).
        self._window_start = clock()
        self._samples: list[float] = []
        self._peak = 0
        #: The lowest window median seen: the latency without our queue.
        self._base = math.inf
        #: When the limit was last lowered: a sample of a request started before it was
        #: already accounted for.
        self._last_cut = -math.inf
        #: The lowest limit not shown to be safe since a 429 (0: no 429 yet), and how many
        #: good samples since the last cut or step a probe of it waits for.
        self._throttled_level = 0
        self._probe_wait = self._probe_first
        self._good_since_cut = 0
        #: Pacing: when the next slot may be handed out, and the timer that will.
        self._next_grant = -math.inf
        self._timer: asyncio.TimerHandle | None = None

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
        if not self._waiters and self._in_flight < self._limit and self._paced_ok():
            self._take()
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._wake()  # a slot may be free, only not yet due
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
                self._on_sample(float(latency))
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
        """Hand free slots to the oldest waiters, as pacing allows (or set a timer)."""
        while self._waiters and self._in_flight < self._limit:
            if self._waiters[0].done():  # cancelled
                self._waiters.popleft()
                continue
            if not self._paced_ok():
                if self._timer is None:
                    delay = self._next_grant - self._clock()
                    self._timer = self._waiters[0].get_loop().call_later(delay, self._on_timer)
                return
            self._take()
            self._waiters.popleft().set_result(None)

    def _on_timer(self) -> None:
        self._timer = None
        self._wake()

    def _paced_ok(self) -> bool:
        """Whether a slot may be handed out now. Answers come back in bunches (a server
        answers a batch at once, the client's 429 pause releases every request at once):
        handed out as they come, slots would go out in the same bunches, and a bunch meets
        an emptied quota all together, each of its requests then retrying in step. Spread
        over a round trip, they meet it one by one."""
        return not self._pacing or self._clock() >= self._next_grant - _SLACK

    def _take(self) -> None:
        self._in_flight += 1
        self._peak = max(self._peak, self._in_flight)
        if self._pacing and self._base != math.inf:
            # At most an eighth of the limit (and one) goes out at once.
            interval = self._base / (self._pacing * self._limit)
            tolerance = interval * (self._limit // 8)
            now = self._clock()
            self._next_grant = max(self._next_grant, now - tolerance) + interval

    # Learning ---------------------------------------------------------------------------

    def _on_throttle(self, started: float) -> None:
        # Whatever was measured in this window may hold the pause the client keeps after
        # a 429: it is no evidence of latency.
        self._open_window()
        if started < self._last_cut - _SLACK:
            return  # of the burst already cut for
        if self._throttled_level and self._limit >= self._throttled_level:
            # A probe of the level throttled before was throttled again: probe less often.
            self._probe_wait = min(max(1, self._probe_wait) * 2, _MAX_PROBE_WAIT)
        self._throttled_level = self._limit
        self._cut(math.floor(self._limit * self._backoff))

    def _on_sample(self, latency: float) -> None:
        now = self._clock()
        self._good_since_cut += 1
        if now - latency < self._window_start - _SLACK:
            return  # started before the window: it saw another limit
        self._samples.append(latency)
        if len(self._samples) >= max(self._window_min, self._limit):
            self._decide()

    def _decide(self) -> None:
        median = _median(self._samples)
        # As Linux's TCP grows its window only when it was the limit (the most packets out
        # in a round trip): a limit that nothing reached has not been shown too low.
        saturated = self._peak >= self._limit
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
            if not self._throttled_level or self._limit + 1 <= self._free_up_to():
                self._limit += 1
            elif self._good_since_cut >= self._probe_wait:
                if self._limit >= self._throttled_level:
                    # The level probed held for a whole probe: probe the next one, sooner.
                    # One at a time: a bucket refilled during a pause holds a probe a while.
                    self._probe_wait = max(self._probe_first, self._probe_wait // 2)
                    self._throttled_level = self._limit + 1
                self._limit += 1
                self._good_since_cut = 0
            self._wake()

    def _free_up_to(self) -> int:
        """How far the limit grows back freely after a 429: three quarters of the level that
        met it. Beyond, each step is a probe. (A level met after a pause, when a token
        bucket had refilled to its burst, overstates what it allows for long.)"""
        return min(self._throttled_level - 1, math.floor(0.75 * self._throttled_level))

    def _cut(self, limit: int) -> None:
        self._limit = max(1, min(limit, self._limit - 1))
        self._last_cut = self._clock()
        self._good_since_cut = 0
        self._open_window()

    def _open_window(self) -> None:
        self._window_start = self._clock()
        self._samples.clear()
        self._peak = self._in_flight


def _median(values: list[float]) -> float:
    """The median of ``values`` (not empty). Written here: importing ``statistics`` (with
    ``fractions`` and ``decimal``) added some 15 ms to every client's import."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
