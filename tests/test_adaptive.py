"""AdaptiveLimit: what it learns from latencies and 429s, on a fake clock, and how its slots
are handed out. No assertion here depends on wall time."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections import deque
from typing import Any

import pytest

from scenario_async._adaptive import AdaptiveLimit

LATENCY = 0.05
#: What a 429 leaves of the limit, by default.
BACKOFF = 0.5


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def unpaced(**arguments: Any) -> AdaptiveLimit:
    """A limit that hands out free slots at once: its decisions, without pacing (tested on
    its own below), which would make back-to-back acquires wait for the clock to move."""
    return AdaptiveLimit(pacing=0, **arguments)


async def round_trip(
    limit: AdaptiveLimit,
    clock: FakeClock,
    latency: float = LATENCY,
    *,
    demand: int | None = None,
    throttled: bool = False,
) -> None:
    """One round trip: as many requests as the limit allows (or ``demand``, if fewer) start
    together, take ``latency``, and end together."""
    want = limit.limit if demand is None else min(demand, limit.limit)
    for _ in range(want - limit.in_flight):
        await limit.acquire()
    clock.advance(latency)
    for _ in range(limit.in_flight):
        limit.release(latency, throttled=throttled)


async def warm(limit: AdaptiveLimit, clock: FakeClock, rounds: int = 3) -> None:
    """A few round trips at flat latency, so that the no-load latency is known."""
    for _ in range(rounds):
        await round_trip(limit, clock)


# Growth -------------------------------------------------------------------------------------


async def test_grows_one_a_round_trip_while_saturated_and_latency_flat(clock: FakeClock) -> None:
    limit = unpaced(initial=4, clock=clock)
    seen = []
    for _ in range(10):
        await round_trip(limit, clock)
        seen.append(limit.limit)
    assert seen == list(range(5, 15))
    assert limit.no_load_latency == pytest.approx(LATENCY)


async def test_does_not_grow_when_the_limit_is_not_reached(clock: FakeClock) -> None:
    """Fewer requests than the limit: no evidence that a higher one would help."""
    limit = unpaced(initial=8, clock=clock)
    for _ in range(50):
        await round_trip(limit, clock, demand=5)
    assert limit.limit == 8


async def test_does_not_grow_while_latency_is_up_but_not_yet_too_high(clock: FakeClock) -> None:
    limit = unpaced(initial=8, clock=clock)
    await round_trip(limit, clock)
    before = limit.limit
    for _ in range(20):
        await round_trip(limit, clock, LATENCY * 1.6)  # between grow_below and shrink_above
    assert limit.limit == before


async def test_never_above_the_ceiling(clock: FakeClock) -> None:
    limit = unpaced(initial=3, ceiling=6, clock=clock)
    for _ in range(30):
        await round_trip(limit, clock)
        assert 1 <= limit.limit <= 6
    assert limit.limit == 6


# Latency ------------------------------------------------------------------------------------


async def test_backs_off_when_latency_rises_well_above_no_load(clock: FakeClock) -> None:
    limit = unpaced(initial=10, clock=clock)
    await warm(limit, clock)
    before = limit.limit
    await round_trip(limit, clock, LATENCY * 3)
    # At most halved, in proportion to the rise: back towards flat latency.
    assert limit.limit == before // 2


class Steady:
    """A pool kept at its limit: each request ends ``latency`` after it started, oldest
    first, and its slot goes to a new one at once, so that requests started before and
    after a decision are in flight together."""

    def __init__(self, limit: AdaptiveLimit, clock: FakeClock) -> None:
        self.limit = limit
        self.clock = clock
        self.started: deque[float] = deque()

    async def step(self, latency: float, *, throttled: bool = False) -> None:
        while self.limit.in_flight < self.limit.limit:
            await self.limit.acquire()
            self.started.append(self.clock())
        started = self.started.popleft()
        self.clock.now = max(self.clock.now, started + latency)
        self.limit.release(self.clock.now - started, throttled=throttled)


async def test_cuts_are_once_a_round_trip(clock: FakeClock) -> None:
    """The slow answers (or 429s) of requests started before a cut are not counted again:
    they saw the old limit. The next cut waits for a request started after it."""
    for throttled in (False, True):
        limit = unpaced(initial=16, clock=clock)
        pool = Steady(limit, clock)
        for _ in range(100):
            await pool.step(LATENCY)
        cuts = []
        for _ in range(300):
            before = limit.limit
            await pool.step(LATENCY * 3, throttled=throttled)
            if limit.limit < before:
                cuts.append(clock.now)
        assert len(cuts) >= 2
        gaps = [later - earlier for earlier, later in itertools.pairwise(cuts)]
        assert min(gaps) >= LATENCY * 3 - 1e-9, (throttled, gaps)


async def test_latency_backoff_stops_at_one(clock: FakeClock) -> None:
    limit = unpaced(initial=8, clock=clock)
    await warm(limit, clock)
    latency = LATENCY
    for _ in range(30):
        latency *= 1.5  # worse and worse
        await round_trip(limit, clock, latency)
        assert limit.limit >= 1
    assert limit.limit == 1


async def test_a_server_slower_for_good_is_learnt_again_at_one(clock: FakeClock) -> None:
    """At one request in flight no queue is ours: its latency is the new no-load one, and
    the limit grows again from there."""
    limit = unpaced(initial=4, clock=clock)
    await warm(limit, clock)
    seen = []
    for _ in range(20):
        await round_trip(limit, clock, LATENCY * 5)
        seen.append(limit.limit)
    lowest = seen.index(1)
    assert seen[lowest : lowest + 2] == [1, 1]  # down to one, where it learns again...
    assert seen[-1] > 5  # ...and grows from there
    assert limit.no_load_latency == pytest.approx(LATENCY * 5)


# Throttling ---------------------------------------------------------------------------------


async def test_a_throttled_burst_is_one_cut(clock: FakeClock) -> None:
    limit = unpaced(initial=8, clock=clock)
    await round_trip(limit, clock, throttled=True)  # 8 throttled samples of one round trip
    assert limit.limit == 4


async def test_each_round_trip_of_429s_cuts_again(clock: FakeClock) -> None:
    limit = unpaced(initial=16, clock=clock)
    seen = []
    for _ in range(4):
        await round_trip(limit, clock, throttled=True)
        seen.append(limit.limit)
    assert seen == [8, 4, 2, 1]


async def test_throttling_stops_at_one(clock: FakeClock) -> None:
    limit = unpaced(initial=3, clock=clock)
    for _ in range(10):
        await round_trip(limit, clock, throttled=True)
        assert limit.limit >= 1
    assert limit.limit == 1


async def test_the_throttled_level_is_probed_only_after_enough_good_samples(
    clock: FakeClock,
) -> None:
    limit = unpaced(initial=4, clock=clock, probe_after=30)
    for wait in (30, 60):  # the probe is throttled again: the next one waits twice as long
        await round_trip(limit, clock, throttled=True)
        assert limit.limit == 2
        samples = 0
        while limit.limit < 4:
            samples += limit.limit
            await round_trip(limit, clock)
            assert limit.limit <= 4
        # Back to 3 at once (below the level throttled), then to 4 once ``wait`` good
        # samples came in since the cut (at most a window more, as decisions are per window).
        assert wait <= samples <= wait + 4


async def test_below_the_throttled_level_it_grows_freely(clock: FakeClock) -> None:
    limit = unpaced(initial=20, clock=clock, probe_after=1000)
    await round_trip(limit, clock, throttled=True)
    assert limit.limit == 10
    await round_trip(limit, clock, throttled=True)
    assert limit.limit == 5
    for _ in range(2):  # back up to three quarters of the last level throttled (10)
        await round_trip(limit, clock)
    assert limit.limit == 7
    for _ in range(10):  # then only by probes, and this one waits for 1000 samples
        await round_trip(limit, clock)
    assert limit.limit == 7


async def test_levels_that_hold_are_probed_one_after_the_other(clock: FakeClock) -> None:
    """The quota grew: each level that held for a whole probe leads to a probe of the next
    one, never to a free climb (a bucket refilled during a pause holds a probe a while)."""
    limit = unpaced(initial=8, clock=clock, probe_after=32)
    await round_trip(limit, clock, throttled=True)
    assert limit.limit == 4
    seen: list[int] = []
    at: list[int] = []  # how many samples had come in when the limit changed
    samples = 0
    for _ in range(200):
        samples += limit.limit
        await round_trip(limit, clock)
        if limit.limit != (seen or [4])[-1]:
            seen.append(limit.limit)
            at.append(samples)
    assert seen[:3] == [5, 6, 7]  # free, up to three quarters of 8
    assert seen[3:8] == [8, 9, 10, 11, 12]  # then one probe at a time...
    assert all(later - earlier >= 32 for earlier, later in itertools.pairwise(at[2:8]))
    assert len(seen) > 8  # ...each after 32 good samples


async def test_latencies_measured_across_a_429_pause_teach_nothing(clock: FakeClock) -> None:
    """Samples gathered in the window a throttled sample ends may hold the client's pause:
    they are dropped, not taken for a queue."""
    limit = unpaced(initial=8, clock=clock)
    await warm(limit, clock)
    before = limit.limit
    for _ in range(before):
        await limit.acquire()
    clock.advance(1.0)  # everyone held by a Retry-After of a second
    for _ in range(3):
        limit.release(1.0)
    limit.release(1.0, throttled=True)
    cut = limit.limit
    assert cut == math.floor(before * BACKOFF)
    for _ in range(limit.in_flight):
        limit.release(1.0)
    assert limit.limit == cut


async def test_a_throttled_sample_without_a_usable_latency_still_counts_once(
    clock: FakeClock,
) -> None:
    limit = unpaced(initial=8, clock=clock)
    await warm(limit, clock)
    start = limit.limit
    for _ in range(start):
        await limit.acquire()
    clock.advance(LATENCY)
    for _ in range(start):
        limit.release(math.nan, throttled=True)
    assert limit.limit == math.floor(start * BACKOFF)


async def test_failures_and_unusable_latencies_teach_nothing(clock: FakeClock) -> None:
    limit = unpaced(initial=4, clock=clock)
    for _ in range(10):
        for _ in range(4):
            await limit.acquire()
        clock.advance(LATENCY)
        limit.release(LATENCY, failed=True)
        limit.release(math.inf)
        limit.release(-1.0)
        limit.release(math.nan)
    assert limit.limit == 4
    assert limit.in_flight == 0


# Slots --------------------------------------------------------------------------------------


async def test_acquire_waits_at_the_limit_and_wakes_first_come_first_served(
    clock: FakeClock,
) -> None:
    limit = unpaced(initial=2, clock=clock)
    await limit.acquire()
    await limit.acquire()
    order: list[int] = []

    async def waiter(i: int) -> None:
        await limit.acquire()
        order.append(i)

    tasks = [asyncio.create_task(waiter(i)) for i in range(4)]
    await asyncio.sleep(0)
    assert order == [] and limit.in_flight == 2
    limit.release(LATENCY, failed=True)
    await asyncio.sleep(0)
    assert order == [0]
    # A freed slot is handed to the oldest waiter, never left free for a newcomer to take.
    limit.release(LATENCY, failed=True)
    late = asyncio.create_task(waiter(99))
    await asyncio.sleep(0)
    assert order == [0, 1]
    for _ in range(3):
        limit.release(LATENCY, failed=True)
        await asyncio.sleep(0)
    assert order == [0, 1, 2, 3, 99]
    await asyncio.gather(*tasks, late)
    assert limit.in_flight == 2


async def test_a_cancelled_waiter_leaks_no_slot(clock: FakeClock) -> None:
    limit = unpaced(initial=1, clock=clock)
    await limit.acquire()
    waiting = asyncio.create_task(limit.acquire())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    limit.release(LATENCY, failed=True)
    assert limit.in_flight == 0
    await asyncio.wait_for(limit.acquire(), 1)
    assert limit.in_flight == 1


async def test_a_waiter_cancelled_once_handed_a_slot_gives_it_on(clock: FakeClock) -> None:
    limit = unpaced(initial=1, clock=clock)
    await limit.acquire()
    first = asyncio.create_task(limit.acquire())
    second = asyncio.create_task(limit.acquire())
    await asyncio.sleep(0)
    limit.release(LATENCY, failed=True)  # hands the slot to ``first``...
    first.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)  # the slot went on to the next waiter
    assert limit.in_flight == 1
    limit.release(LATENCY, failed=True)
    assert limit.in_flight == 0


async def test_lowering_the_limit_leaves_requests_in_flight_alone(clock: FakeClock) -> None:
    limit = unpaced(initial=8, clock=clock)
    for _ in range(8):
        await limit.acquire()
    clock.advance(LATENCY)
    limit.release(LATENCY, throttled=True)
    assert limit.limit == 4
    assert limit.in_flight == 7  # nothing else released or cancelled
    newcomer = asyncio.create_task(limit.acquire())
    for _ in range(3):
        limit.release(LATENCY)
        await asyncio.sleep(0)
        assert not newcomer.done()  # 6, 5, then 4 in flight: still at the limit
    limit.release(LATENCY)
    await asyncio.wait_for(newcomer, 1)
    assert limit.in_flight == 4


async def test_release_without_a_slot_is_an_error(clock: FakeClock) -> None:
    limit = unpaced(clock=clock)
    with pytest.raises(RuntimeError, match="release"):
        limit.release(LATENCY)


async def test_slot_releases_with_the_blocks_time(clock: FakeClock) -> None:
    limit = unpaced(initial=1, window=1, clock=clock)
    async with limit.slot():
        assert limit.in_flight == 1
        clock.advance(0.07)
    assert limit.in_flight == 0
    assert limit.no_load_latency == pytest.approx(0.07)
    assert limit.limit == 2  # saturated (one of one), latency flat: grown


async def test_slot_marked_throttled_cuts_the_limit(clock: FakeClock) -> None:
    limit = unpaced(initial=4, clock=clock)
    await warm(limit, clock)
    assert limit.limit == 7
    async with limit.slot() as held:
        clock.advance(LATENCY)
        held.throttled = True
    assert limit.in_flight == 0
    assert limit.limit == 3


async def test_slot_releases_as_failed_on_an_exception(clock: FakeClock) -> None:
    limit = unpaced(initial=2, clock=clock)

    async def failing() -> None:
        async with limit.slot():
            clock.advance(LATENCY * 10)
            raise ValueError("boom")

    for _ in range(20):
        with pytest.raises(ValueError, match="boom"):
            await failing()
    assert limit.in_flight == 0
    assert limit.limit == 2
    assert limit.no_load_latency is None


# Pacing -------------------------------------------------------------------------------------


async def learnt(clock: FakeClock, initial: int) -> AdaptiveLimit:
    """A paced limit that has seen one round trip (its no-load latency is LATENCY), with
    nothing in flight: before that, it has no pace to keep, and hands slots out at once."""
    limit = AdaptiveLimit(initial=initial, clock=clock)
    for _ in range(initial):
        await limit.acquire()
    clock.advance(LATENCY)
    for _ in range(initial):
        limit.release(LATENCY)
    assert limit.no_load_latency == pytest.approx(LATENCY)
    assert limit.limit == initial + 1
    return limit


async def test_pacing_spreads_slots_over_the_round_trip(clock: FakeClock) -> None:
    """At most pacing x limit slots per no-load latency: here 2 x 5 per 50 ms, one each
    5 ms; a waiter is let through when the clock has moved on, not before."""
    limit = await learnt(clock, 4)
    await limit.acquire()  # the first goes at once
    second = asyncio.create_task(limit.acquire())
    third = asyncio.create_task(limit.acquire())
    await asyncio.sleep(0.02)  # the pacing timer fires, but the (fake) clock has not moved
    assert not second.done() and not third.done() and limit.in_flight == 1
    clock.advance(LATENCY / 10)
    await asyncio.wait_for(second, 1)
    assert not third.done()  # first come, first served, and one at a time
    clock.advance(LATENCY / 10)
    await asyncio.wait_for(third, 1)
    assert limit.in_flight == 3


async def test_pacing_lets_an_eighth_of_the_limit_go_at_once(clock: FakeClock) -> None:
    limit = await learnt(clock, 32)
    clock.advance(1.0)  # long idle: no credit beyond the bunch
    for _ in range(33 // 8 + 1):
        await asyncio.wait_for(limit.acquire(), 1)
    waiting = asyncio.create_task(limit.acquire())
    await asyncio.sleep(0)
    assert not waiting.done()
    clock.advance(LATENCY / 66)
    await asyncio.wait_for(waiting, 1)


async def test_a_waiter_cancelled_while_paced_leaks_nothing(clock: FakeClock) -> None:
    limit = await learnt(clock, 4)
    await limit.acquire()
    waiting = asyncio.create_task(limit.acquire())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    clock.advance(LATENCY)
    await asyncio.wait_for(limit.acquire(), 1)
    assert limit.in_flight == 2


async def test_without_pacing_free_slots_go_at_once(clock: FakeClock) -> None:
    limit = unpaced(initial=4, clock=clock)
    await warm(limit, clock)
    for _ in range(limit.limit):
        await asyncio.wait_for(limit.acquire(), 1)  # the clock never moves
    assert limit.in_flight == limit.limit


# Arguments ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"initial": 0}, "initial"),
        ({"initial": 300}, "initial"),
        ({"initial": 2.5}, "initial"),
        ({"initial": True}, "initial"),
        ({"initial": "4"}, "initial"),
        ({"ceiling": 0}, "ceiling"),
        ({"ceiling": None}, "ceiling"),
        ({"initial": 8, "ceiling": 4}, "initial"),
        ({"clock": None}, "clock"),
        ({"clock": 3.0}, "clock"),
        ({"grow_below": 1.0}, "grow_below"),
        ({"shrink_above": 1.2}, "shrink_above"),
        ({"shrink_above": math.inf}, "shrink_above"),
        ({"throttle_backoff": 1.0}, "throttle_backoff"),
        ({"throttle_backoff": 0}, "throttle_backoff"),
        ({"window": 0}, "window"),
        ({"probe_after": -1}, "probe_after"),
        ({"pacing": 0.5}, "pacing"),
        ({"pacing": -1}, "pacing"),
        ({"pacing": math.nan}, "pacing"),
    ],
)
def test_bad_arguments_name_the_parameter(arguments: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        AdaptiveLimit(**arguments)


def test_defaults() -> None:
    limit = AdaptiveLimit()
    assert limit.limit == 4 and limit.in_flight == 0
    assert "limit=4" in repr(limit)
