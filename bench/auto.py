"""``add_many(concurrency="auto")`` against two stand-in servers it is not told about.

* **Token bucket**: a quota of 60 requests a second, refilled continuously, with a burst of
  30 (half a second of quota: the ratio of AWS API Gateway's defaults, 10,000 a second with
  a 5,000 burst). Beyond it the answer is 429 at once, with ``Retry-After`` in whole seconds
  (rounded up, as RFC 9110 allows no less) and ``retry-after-ms``, the exact wait until the
  next token, as Azure OpenAI sends it (and as this SDK, like the OpenAI client, reads it
  first). Each request let through is answered after 50 ms. Targets: at least 90 % of the
  quota (images answered a second over the run, over 60) with at most 3 % of requests
  answered 429 (counted by the server). The full run adds one with whole-second
  ``Retry-After`` only, not judged: each 429 then holds every request of the client for 1 s.
* **Queue**: at most 8 requests served at once, each for 20 ms plus 2 % for every other one
  in service (a server slows a little under load); beyond 8, requests wait their turn in a
  FIFO queue. Every fixed concurrency of 1 to 32 is run too. Targets: at least 85 % of the
  best fixed concurrency's throughput, with a median latency (on the server, from arrival to
  answer) at most 2.5x the unloaded one (the median at concurrency 1).

``python -m bench.auto [--quick]`` runs it alone; ``python -m bench.auto serve token-bucket``
(or ``queue``) starts one stand-in and prints its port; ``python -m bench.auto client URL N
CONCURRENCY`` runs one upload (``CONCURRENCY`` a number or ``auto``) and prints its figures.
Each server and each client runs in a process of its own; the server's figures are read at
``GET /_bench/stats``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import itertools
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Literal, TypeAlias

from aiohttp import web

from ._process import run_client as client_process
from ._process import serving
from .client import make_image
from .server import ANSWER_HEAD, ANSWER_TAIL

#: What add_many is run with: a fixed number of requests in flight, or an adaptive limit.
Concurrency: TypeAlias = "int | Literal['auto']"
KEY, SECRET = "bench-key", "bench-secret"
MODEL = "model_auto"
#: Retries enough that no image fails on 429s: the server counts them, the client waits.
MAX_RETRIES = 1000

QUOTA = 60.0
BURST = 30
BUCKET_LATENCY = 0.05
QUEUE_WORKERS = 8
QUEUE_LATENCY = 0.02
QUEUE_SLOPE = 0.02
FIXED = (1, 2, 4, 8, 16, 32)

# As bench.__main__: server and client on cores of their own when there are two or more.


# The stand-in servers ----------------------------------------------------------------------


class Stats:
    """What a stand-in saw: adds answered, 429s, and each answered add's latency."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.answered = 0
        self.throttled = 0
        self.reads = 0
        self.latencies: list[float] = []
        #: When each 429 was answered, after the first request's arrival.
        self.throttle_times: list[float] = []
        self.first = math.inf
        self.last = 0.0
        self.ids = itertools.count()

    def arrive(self) -> float:
        """A request arrived: now, which is also the run's start if it is the first."""
        now = time.monotonic()
        self.first = min(self.first, now)
        return now

    def answer(self, arrived: float) -> web.Response:
        now = time.monotonic()
        self.answered += 1
        self.latencies.append(now - arrived)
        self.last = now
        body = ANSWER_HEAD + str(next(self.ids)).encode() + ANSWER_TAIL
        return web.Response(body=body, content_type="application/json")

    def as_json(self) -> dict[str, Any]:
        return {
            "answered": self.answered,
            "throttled": self.throttled,
            "reads": self.reads,
            "latencies": self.latencies,
            "throttle_times": [t - self.first for t in self.throttle_times],
            "span": max(0.0, self.last - self.first),
        }


Handler = Callable[[web.Request], Awaitable[web.Response]]


def _app(
    stats: Stats, add: Handler, admit: Callable[[], web.Response | None] | None = None
) -> web.Application:
    async def read_model(request: web.Request) -> web.Response:
        stats.arrive()
        if admit is not None and (refused := admit()) is not None:
            return refused
        stats.reads += 1
        model = {"id": request.match_info["model_id"], "trainingImages": []}
        return web.json_response({"model": model})

    async def report(request: web.Request) -> web.Response:
        return web.json_response(stats.as_json())

    async def reset(request: web.Request) -> web.Response:
        stats.reset()
        return web.json_response({})

    app = web.Application(client_max_size=64 * 1024**2)
    app.router.add_get("/v1/models/{model_id}", read_model)
    app.router.add_post("/v1/models/{model_id}/training-images", add)
    app.router.add_get("/_bench/stats", report)
    app.router.add_post("/_bench/reset", reset)
    return app


def token_bucket_app(
    rate: float, burst: int, latency: float, retry_after: str = "ms"
) -> web.Application:
    """A quota of ``rate`` requests a second, ``burst`` at most at once (every request
    counts, reads too). ``retry_after``: ``ms`` sends ``Retry-After`` (whole seconds) and
    ``retry-after-ms``; ``seconds`` only the first."""
    stats = Stats()
    bucket = {"tokens": float(burst), "at": time.monotonic()}

    def admit() -> web.Response | None:
        now = time.monotonic()
        tokens = min(float(burst), bucket["tokens"] + (now - bucket["at"]) * rate)
        bucket["at"] = now
        if tokens >= 1:
            bucket["tokens"] = tokens - 1
            return None
        bucket["tokens"] = tokens
        stats.throttled += 1
        stats.throttle_times.append(now)
        wait = (1 - tokens) / rate
        headers = {"Retry-After": str(max(1, math.ceil(wait)))}
        if retry_after == "ms":
            headers["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
        body = {"message": "Too many requests: the quota is 60 requests per second"}
        return web.json_response(body, status=429, headers=headers)

    async def add(request: web.Request) -> web.Response:
        arrived = stats.arrive()
        async for _ in request.content.iter_any():
            pass
        refused = admit()
        if refused is not None:
            return refused
        await asyncio.sleep(latency)
        return stats.answer(arrived)

    return _app(stats, add, admit)


def queue_app(workers: int, latency: float, slope: float) -> web.Application:
    """At most ``workers`` requests served at once, each for ``latency`` x (1 + ``slope``
    for every other one in service); the others wait in a FIFO queue."""
    stats = Stats()
    busy = [0]
    waiting: collections.deque[asyncio.Future[None]] = collections.deque()

    async def add(request: web.Request) -> web.Response:
        arrived = stats.arrive()
        async for _ in request.content.iter_any():
            pass
        if busy[0] < workers:
            busy[0] += 1
        else:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            waiting.append(turn)
            await turn  # the slot is handed over by the one that leaves it
        try:
            await asyncio.sleep(latency * (1 + slope * (busy[0] - 1)))
        finally:
            if waiting:
                waiting.popleft().set_result(None)
            else:
                busy[0] -= 1
        return stats.answer(arrived)

    return _app(stats, add)


async def serve(app: web.Application, port: int) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()


def server(kind: str, *options: str) -> AbstractContextManager[str]:
    """A fresh stand-in of ``kind`` in its own process; yields its base URL."""
    return serving("bench.auto", "serve", kind, *options)


def server_stats(url: str, *, reset: bool = False) -> dict[str, Any]:
    """The stand-in's figures (``GET /_bench/stats``), or zero them (``reset``)."""
    import urllib.request

    root = url.removesuffix("/v1")
    request = urllib.request.Request(
        f"{root}/_bench/reset" if reset else f"{root}/_bench/stats",
        method="POST" if reset else "GET",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        stats: dict[str, Any] = json.loads(answer.read())
    return stats


# The client ---------------------------------------------------------------------------------


async def upload(url: str, n: int, concurrency: Concurrency, size: int) -> dict[str, Any]:
    """One ``add_many`` of ``n`` small in-memory images; its wall time, failures, and the
    limit ``concurrency="auto"`` had reached at each item (its progress events)."""
    from scenario_async import AsyncScenario, Image

    data_url = "data:image/png;base64," + base64.b64encode(make_image(size)).decode()
    images = (Image.from_data_url(data_url, name=f"{i}.png") for i in range(n))
    limits: list[int] = []

    def progress(event: Any) -> None:
        if event.kind == "item_done" and getattr(event, "concurrency", None) is not None:
            limits.append(event.concurrency)

    async with AsyncScenario(
        api_key=KEY, api_secret=SECRET, base_url=url, max_retries=MAX_RETRIES
    ) as client:
        started = time.perf_counter()
        result = await client.models.training_images.add_many(
            MODEL,
            images,
            concurrency=concurrency,
            on_progress=progress,
        )
        wall = time.perf_counter() - started
    return {
        "n": n,
        "concurrency": concurrency,
        "wall": wall,
        "failed": len(result.failed),
        "limits": limits,
    }


def run_client(url: str, n: int, concurrency: Concurrency, size: int = 1024) -> dict[str, Any]:
    return client_process(
        "bench.auto",
        "client",
        url,
        str(n),
        str(concurrency),
        str(size),
        what=f"the client ({concurrency})",
    )


# The scenario --------------------------------------------------------------------------------


def one_run(kind: str, options: list[str], n: int, concurrency: Concurrency) -> dict[str, Any]:
    """A fresh server, one upload against it, and what both saw."""
    with server(kind, *options) as url:
        return measured(url, n, concurrency)


def measured(url: str, n: int, concurrency: Concurrency) -> dict[str, Any]:
    """One upload against a running stand-in (its figures zeroed first): what both saw."""
    server_stats(url, reset=True)
    figures = run_client(url, n, concurrency)
    stats = server_stats(url)
    latencies = stats.pop("latencies")
    limits = figures.pop("limits")
    requests = stats["answered"] + stats["throttled"]
    figures |= stats
    figures["throughput"] = figures["answered"] / figures["wall"]
    figures["median_latency_ms"] = statistics.median(latencies) * 1000 if latencies else math.nan
    figures["p90_latency_ms"] = (
        statistics.quantiles(latencies, n=10)[-1] * 1000 if len(latencies) > 1 else math.nan
    )
    figures["throttled_share"] = stats["throttled"] / requests if requests else 0.0
    if limits:
        figures["limit_median"] = statistics.median(limits)
        figures["limit_max"] = max(limits)
        figures["limit_last"] = limits[-1]
    return figures


def token_bucket(seconds: float, retry_after: str = "ms") -> dict[str, Any]:
    options = ["--retry-after", retry_after]
    figures = one_run("token-bucket", options, int(QUOTA * seconds), "auto")
    figures["retry_after"] = retry_after
    figures["quota_share"] = figures["throughput"] / QUOTA
    # The burst is quota lent at the start: without it, what the run earned of the quota.
    figures["quota_share_without_burst"] = (figures["answered"] - BURST) / figures["wall"] / QUOTA
    return figures


def expected_rate(concurrency: int) -> float:
    """Roughly what the queue server allows at a concurrency: sizes each run to a duration."""
    serving = min(concurrency, QUEUE_WORKERS)
    return serving / (QUEUE_LATENCY * (1 + QUEUE_SLOPE * (serving - 1)))


def queue(quick: bool, repeats: int) -> dict[str, Any]:
    seconds = 0.7 if quick else 2.0
    variants: list[Concurrency] = [*FIXED, "auto"]
    runs: dict[str, list[dict[str, Any]]] = {str(v): [] for v in variants}
    for _ in range(max(1, repeats)):  # interleaved: a slow spell falls on all alike
        # One server a round: it keeps no state between runs but its figures (zeroed).
        with server("queue") as url:
            for variant in variants:
                rate = expected_rate(QUEUE_WORKERS if variant == "auto" else int(variant))
                n = max(20, int(rate * seconds))
                runs[str(variant)].append(measured(url, n, variant))
    summary: dict[str, Any] = {}
    for name, results in runs.items():
        summary[name] = {
            "throughput": statistics.median(r["throughput"] for r in results),
            "median_latency_ms": statistics.median(r["median_latency_ms"] for r in results),
            "p90_latency_ms": statistics.median(r["p90_latency_ms"] for r in results),
            "failed": sum(r["failed"] for r in results),
            "runs": results,
        }
        if "limit_median" in results[0]:
            summary[name]["limit_median"] = statistics.median(r["limit_median"] for r in results)
    return summary


def run(
    quick: bool, scratch: Path, repeats: int
) -> tuple[dict[str, Any], list[tuple[str, float, str, bool]]]:
    """Both scenarios: figures for the report, and the checks against the targets.

    The token bucket is one long run (25 s, 6 in quick mode: its quota sets the pace, and
    repeating it would multiply that), plus, in full mode, 12 s of quota with whole-second
    ``Retry-After`` only, reported but not judged. The queue's runs are short (2 s; 0.7 s
    in quick mode) and repeated ``min(repeats, 3)`` times (once in quick mode), interleaved,
    keeping the medians. ``scratch`` is unused: everything is in memory."""
    del scratch
    checks: list[tuple[str, float, str, bool]] = []
    bucket = token_bucket(6 if quick else 25)
    # Not a target: the same quota telling its wait in whole seconds only (no
    # ``retry-after-ms``), as many services do. Every 429 then holds the client for 1 s.
    whole_seconds = None if quick else token_bucket(12, "seconds")
    print("\n## auto: token bucket, 60 requests/s (burst 30), 50 ms latency")
    print(
        f"{'Retry-After':>12} {'images':>7} {'wall s':>7} {'img/s':>7} {'of quota':>9} "
        f"{'(no burst)':>10} {'429s':>5} {'429 share':>9} {'limit med/max':>14} {'failed':>6}"
    )
    for each in (bucket, whole_seconds):
        if each is None:
            continue
        name = "+ ms" if each["retry_after"] == "ms" else "seconds only"
        limits = f"{each.get('limit_median', math.nan):g}/{each.get('limit_max', math.nan):g}"
        print(
            f"{name:>12} {each['answered']:7d} {each['wall']:7.2f} {each['throughput']:7.1f} "
            f"{each['quota_share']:9.3f} {each['quota_share_without_burst']:10.3f} "
            f"{each['throttled']:5d} {each['throttled_share']:9.3f} {limits:>14} "
            f"{each['failed']:6d}",
            flush=True,
        )
    share = bucket["quota_share"]
    checks.append(("auto: token bucket, share of quota", share, ">= 0.90", share >= 0.90))
    throttled = bucket["throttled_share"]
    checks.append(
        ("auto: token bucket, share answered 429", throttled, "<= 0.03", throttled <= 0.03)
    )

    queued = queue(quick, 1 if quick else min(repeats, 3))
    print("\n## auto: queueing server, 8 served at once, 20 ms each (+2 % per other one)")
    print(
        f"{'concurrency':>11} {'img/s':>8} {'median ms':>10} {'p90 ms':>8} {'limit':>6} "
        f"{'failed':>6}"
    )
    for variant, figures in queued.items():
        print(
            f"{variant:>11} {figures['throughput']:8.1f} {figures['median_latency_ms']:10.1f} "
            f"{figures['p90_latency_ms']:8.1f} {figures.get('limit_median', math.nan):>6g} "
            f"{figures['failed']:6d}",
            flush=True,
        )
    best = max((str(c) for c in FIXED), key=lambda c: queued[c]["throughput"])
    ratio = queued["auto"]["throughput"] / queued[best]["throughput"]
    checks.append(
        (f"auto: queue, throughput vs best fixed ({best})", ratio, ">= 0.85", ratio >= 0.85)
    )
    ratio = queued["auto"]["median_latency_ms"] / queued["1"]["median_latency_ms"]
    checks.append(("auto: queue, median latency vs unloaded", ratio, "<= 2.5", ratio <= 2.5))
    failed = bucket["failed"] + sum(figures["failed"] for figures in queued.values())
    failed += whole_seconds["failed"] if whole_seconds is not None else 0
    checks.append(("auto: images failed", failed, "== 0", failed == 0))
    report = {"token_bucket": bucket, "queue": queued, "best_fixed": int(best)}
    if whole_seconds is not None:
        report["token_bucket_whole_seconds"] = whole_seconds
    return report, checks


# Entry points -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.auto", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    scenario = commands.add_parser("run", help="run the scenario (the default)")
    for each in (parser, scenario):
        each.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
        each.add_argument("--repeats", type=int, default=3)
        each.add_argument("--json", type=Path, help="write every figure to this file")
    serving = commands.add_parser("serve", help="start a stand-in server; prints its port")
    serving.add_argument("kind", choices=["token-bucket", "queue"])
    serving.add_argument("--port", type=int, default=0)
    serving.add_argument("--rate", type=float, default=QUOTA)
    serving.add_argument("--burst", type=int, default=BURST)
    serving.add_argument("--latency", type=float)
    serving.add_argument("--retry-after", choices=["ms", "seconds"], default="ms")
    serving.add_argument("--workers", type=int, default=QUEUE_WORKERS)
    serving.add_argument("--slope", type=float, default=QUEUE_SLOPE)
    client = commands.add_parser("client", help="one add_many run; prints its figures")
    client.add_argument("url")
    client.add_argument("n", type=int)
    client.add_argument("concurrency")
    client.add_argument("size", type=int, nargs="?", default=1024)
    args = parser.parse_args(argv)

    if args.command == "serve":
        if args.kind == "token-bucket":
            latency = BUCKET_LATENCY if args.latency is None else args.latency
            app = token_bucket_app(args.rate, args.burst, latency, args.retry_after)
        else:
            latency = QUEUE_LATENCY if args.latency is None else args.latency
            app = queue_app(args.workers, latency, args.slope)
        asyncio.run(serve(app, args.port))
    elif args.command == "client":
        concurrency: Concurrency = "auto" if args.concurrency == "auto" else int(args.concurrency)
        print(json.dumps(asyncio.run(upload(args.url, args.n, concurrency, args.size))))
    else:
        with tempfile.TemporaryDirectory(prefix="scenario-bench-auto-") as scratch:
            report, checks = run(args.quick, Path(scratch), args.repeats)
        print("\n## targets")
        for name, value, target, ok in checks:
            print(f"{'PASS' if ok else 'FAIL'}  {name}: {value:.3f} (target {target})")
        report["checks"] = [
            {"name": n, "value": v, "target": t, "ok": ok} for n, v, t, ok in checks
        ]
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
        if not all(ok for *_, ok in checks):
            sys.exit(1)


if __name__ == "__main__":
    main()
