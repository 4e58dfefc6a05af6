"""``python -m bench.stall``: how long ``add_many`` keeps the event loop from everything else.

What a user of an async web backend feels while images are being sent: the other tasks on
the same loop (requests being served, heartbeats) wait whenever the SDK computes on the loop
(reading a file, hashing it, encoding it in base64). A ticker task sleeps 1 ms in a loop
beside ``add_many`` and records how late it wakes beyond its 1 ms: its worst pause is the
longest the loop was kept from a task that was ready to run.

``add_many`` sends image files from disk (real PNG files, each sent under several names so
that a run lasts a few seconds without gigabytes of files), 4 in flight, to the stand-in
server (``bench.server``) 20 ms away in a process of its own, on another core. The client
runs in a process of its own too: ``python -m bench.stall client URL DIR SENDS CONC`` prints
one JSON line. Each size runs ``max(repeats, 3)`` times, each against a fresh server, and
keeps the median of each figure. Targets: worst pause at most 2 ms with 1 MiB images and
5 ms with 20 MiB images.

The client first makes one small ``add_many`` (two images) with the ticker beside it: its
worst pause, the ``1st call`` column, is what the first call of a process costs (the code
``add_many`` loads on first use, the first connections), reported apart and not judged.
Then the ticker runs 0.3 s alone (``at rest``: the loop's own lateness on this machine),
then beside the measured ``add_many``, whose figures the targets judge.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import statistics
import sys
import time
from collections.abc import Awaitable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, NamedTuple

from ._process import serving

KEY, SECRET = "bench-key", "bench-secret"
MODEL = "model_bench"
#: How long the ticker sleeps each time, in seconds.
TICK = 0.001
#: Seconds the ticker runs alone before ``add_many`` starts: the loop's lateness at rest.
IDLE = 0.3
LATENCY = 0.02
CONCURRENCY = 4
MiB = 2**20


class Variant(NamedTuple):
    label: str
    size: int
    #: Files written; each is sent under several names.
    files: int
    sends: int
    quick_sends: int
    target_ms: float
    #: ``add_many``'s ``via``: "default" passes none (what a caller gets without asking).
    via: str
    #: "stand-in" (``bench.server``, the add endpoint only) or "fake" (the fake API of
    #: ``scenario_async.testing``, which also answers ``/uploads`` and its storage host).
    server: str


VARIANTS = [
    Variant("1 MiB", MiB, 40, 400, 40, 2.0, "default", "stand-in"),
    Variant("20 MiB, data URL", 20 * MiB, 12, 48, 6, 5.0, "data_url", "stand-in"),
    Variant("20 MiB, default", 20 * MiB, 12, 24, 6, 5.0, "default", "fake"),
]


# The client (its own process) -----------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def tick(pauses: list[tuple[float, float]], stop: asyncio.Event) -> None:
    """Sleep ``TICK`` again and again; record (when, how late) each wake-up was."""
    clock = time.perf_counter
    while not stop.is_set():
        started = clock()
        await asyncio.sleep(TICK)
        woke = clock()
        pauses.append((woke, woke - started - TICK))


async def with_ticker(work: Awaitable[Any]) -> tuple[list[tuple[float, float]], float, float]:
    """Run ``work`` with the ticker beside it: the ticker's (when, how late) wake-ups, the
    wall time and the CPU time of the work."""
    pauses: list[tuple[float, float]] = []
    stop = asyncio.Event()
    ticker = asyncio.create_task(tick(pauses, stop))
    await asyncio.sleep(0)  # the ticker is asleep: the work starts with it waiting
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    await work
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    stop.set()
    await ticker
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return [(at - started, late) for at, late in pauses], wall, cpu


async def send_with_ticker(
    url: str, paths: list[Path], sends: int, concurrency: int, via: str
) -> dict[str, Any]:
    """The first ``add_many`` of the process (two images: lazy imports, connections), then
    the loop at rest, then the measured ``add_many`` of ``sends`` images."""
    from scenario_async import AsyncScenario, Image

    def images(count: int, prefix: str) -> Iterator[Image]:
        # One file under several names is several items: each send reads, hashes and
        # encodes the file again, from the page cache, as a distinct file would be.
        for i in range(count):
            path = paths[i % len(paths)]
            yield Image.from_path(path, name=f"{prefix}{i:05}-{path.name}")

    async with AsyncScenario(api_key=KEY, api_secret=SECRET, base_url=url) as client:
        options: dict[str, Any] = {} if via == "default" else {"via": via}

        async def add_many(prefix: str, count: int, concurrency: int) -> None:
            result = await client.models.training_images.add_many(
                MODEL, images(count, prefix), concurrency=concurrency, **options
            )
            result.raise_for_failures()

        gc.collect()
        first, _, _ = await with_ticker(add_many("first-", 2, 2))
        gc.collect()
        idle, _, _ = await with_ticker(asyncio.sleep(IDLE))
        pauses, wall, cpu = await with_ticker(add_many("", sends, concurrency))
    late = [pause for _, pause in pauses]
    worst_at, worst = max(pauses, key=lambda pause: pause[1], default=(0.0, 0.0))
    return {
        "via": via,
        "sends": sends,
        "files": len(paths),
        "bytes_per_image": paths[0].stat().st_size,
        "wall": wall,
        "cpu": cpu,
        "ticks": len(late),
        "worst_ms": worst * 1000,
        "p99_ms": percentile(late, 0.99) * 1000,
        "median_ms": percentile(late, 0.5) * 1000,
        "worst_at_s": worst_at,
        "top_ms": [pause * 1000 for pause in sorted(late, reverse=True)[:5]],
        "over_2ms": sum(1 for pause in late if pause > 0.002),
        "over_5ms": sum(1 for pause in late if pause > 0.005),
        "idle_worst_ms": max((late for _, late in idle), default=0.0) * 1000,
        "idle_p99_ms": percentile([late for _, late in idle], 0.99) * 1000,
        "first_call_worst_ms": max((late for _, late in first), default=0.0) * 1000,
    }


def client_main(argv: list[str]) -> None:
    url, folder, sends_text, concurrency_text, via = argv
    import scenario_async  # imported before the clock starts, like bench.client
    import scenario_async.images  # noqa: F401

    paths = sorted(Path(folder).iterdir())
    figures = asyncio.run(send_with_ticker(url, paths, int(sends_text), int(concurrency_text), via))
    print(json.dumps(figures), flush=True)


# The runner -----------------------------------------------------------------------------


def run_client(
    url: str, folder: Path, sends: int, concurrency: int = CONCURRENCY, via: str = "default"
) -> dict[str, Any]:
    """One client process against the server at ``url``; its figures."""
    from ._process import run_client as client_process

    arguments = [url, str(folder), str(sends), str(concurrency), via]
    return client_process("bench.stall", "client", *arguments, what="the stall client")


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the runs (lists and counts of the first run kept as is)."""
    summary: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            summary[key] = statistics.median(run[key] for run in runs)
        else:
            summary[key] = value
    summary["runs_worst_ms"] = [run["worst_ms"] for run in runs]
    summary["runs"] = len(runs)
    return summary


def serve_fake(latency: float) -> None:
    """The fake API, with the bench's model and credentials, on a free port; prints its URL."""
    from scenario_async.testing import FakeScenario

    async def forever() -> None:
        fake = FakeScenario(
            api_key=KEY, api_secret=SECRET, models=[MODEL], latency=latency, record_requests=False
        )
        async with fake:
            print(fake.base_url, flush=True)
            await asyncio.Event().wait()

    asyncio.run(forever())


def fake_api(latency: float) -> AbstractContextManager[str]:
    """The fake API in a process of its own, on the server's core; yields its base URL."""
    return serving("bench.stall", "serve-fake", str(latency))


def server_for(variant: Variant) -> AbstractContextManager[str]:
    from .__main__ import server

    return fake_api(LATENCY) if variant.server == "fake" else server(LATENCY)


def has_via() -> bool:
    """Whether this version of ``add_many`` takes ``via`` (it sends large files through
    ``/uploads`` by default when it does)."""
    import inspect

    from scenario_async import bulk

    return "via" in inspect.signature(bulk.add_many).parameters


def measure_variant(variant: Variant, folder: Path, sends: int, runs: int) -> dict[str, Any]:
    """``runs`` runs of one variant, each against a fresh server; the medians."""
    with server_for(variant) as url:  # the first use of every code path, the page cache
        run_client(url, folder, min(sends, 2), via=variant.via)
    results = []
    for _ in range(runs):
        with server_for(variant) as url:
            results.append(run_client(url, folder, sends, via=variant.via))
    return median_of(results)


def run(
    quick: bool, scratch: Path, repeats: int
) -> tuple[dict[str, Any], list[tuple[str, float, str, bool]]]:
    """Each variant, ``max(repeats, 3)`` runs against a fresh server each; the medians. A
    variant that fails is reported (a failed check) and the others still run."""
    from .__main__ import write_files

    figures: dict[str, Any] = {
        "latency_s": LATENCY,
        "concurrency": CONCURRENCY,
        "tick_s": TICK,
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    checks: list[tuple[str, float, str, bool]] = []
    runs = max(repeats, 3)
    with_via = has_via()
    print(
        f"\n## stall: the loop's worst pause during add_many, {CONCURRENCY} in flight, "
        f"{LATENCY * 1000:.0f} ms latency, median of {runs} runs",
        flush=True,
    )
    print(
        f"{'images':18} {'sent':>5} {'wall s':>7} {'ticks':>6} {'worst ms':>9} "
        f"{'p99 ms':>7} {'median ms':>9} {'at rest':>8} {'1st call':>9}  worst of each run"
    )
    for variant in VARIANTS:
        if not with_via and variant.via != "default":
            continue  # before ``via``, the default was the data URL: measured as "default"
        if not with_via and variant.server == "fake":
            variant = variant._replace(server="stand-in")
        sends = variant.quick_sends if quick else variant.sends
        folder = write_files(
            scratch / f"stall-{variant.size}", min(variant.files, sends), variant.size
        )
        name = f"stall: worst loop pause, {variant.label} (ms)"
        try:
            summary = measure_variant(variant, folder, sends, runs)
        except Exception as exc:
            message = str(exc).strip().splitlines()[-1][:200]
            print(f"{variant.label:18} failed: {message}", flush=True)
            figures[variant.label] = {"error": str(exc)[-2000:]}
            checks.append((f"{name}: failed", float("nan"), f"<= {variant.target_ms:g}", False))
            continue
        summary["server"] = variant.server
        figures[variant.label] = summary
        each = " ".join(f"{worst:.1f}" for worst in summary["runs_worst_ms"])
        print(
            f"{variant.label:18} {sends:5} {summary['wall']:7.2f} {summary['ticks']:6.0f} "
            f"{summary['worst_ms']:9.2f} {summary['p99_ms']:7.2f} {summary['median_ms']:9.3f} "
            f"{summary['idle_worst_ms']:8.2f} {summary['first_call_worst_ms']:9.2f}  {each}",
            flush=True,
        )
        worst = summary["worst_ms"]
        target = variant.target_ms
        checks.append((name, worst, f"<= {target:g}", worst <= target))
    return figures, checks


def main() -> None:
    if sys.argv[1:2] == ["client"]:
        client_main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["serve-fake"]:
        serve_fake(float(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(prog="python -m bench.stall", description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="fewer, smaller runs")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory(prefix="scenario-bench-") as scratch:
        figures, checks = run(args.quick, Path(scratch), args.repeats)
    print_checks(checks)
    if args.json:
        args.json.write_text(json.dumps({"stall": figures}, indent=2))


def print_checks(checks: list[tuple[str, float, str, bool]]) -> None:
    print("\n## targets")
    for name, value, target, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {value:.2f} (target {target})")


if __name__ == "__main__":
    main()
