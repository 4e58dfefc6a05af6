"""One client variant in its own process: ``python -m bench.client VARIANT URL N CONC INPUT``.

INPUT is ``small:BYTES`` (one in-memory image of that size, sent N times) or ``files:DIR``
(the image files of DIR, each sent once). Prints one JSON line: wall time, client CPU
(user+sys of this process, imports excluded) per request for the whole run and for each block
of 250 requests, voluntary context switches (blocking waits) per request, idle and peak RSS.

With a sixth argument ``turns``, the client stops at the end of each block: it prints
``block <CPU µs per request>`` and waits for a line on stdin before it goes on, so that
``bench.__main__`` can run several clients block by block, taking turns.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

KEY, SECRET = "bench-key", "bench-secret"
MODEL = "model_bench"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk, without which a PNG is cut


def make_image(size: int) -> bytes:
    """``size`` bytes that pass for a whole PNG: the magic, noise (base64 of noise is
    typical), then the IEND chunk."""
    noise = os.urandom(max(0, size - len(PNG_MAGIC) - len(PNG_END)))
    return PNG_MAGIC + noise + PNG_END


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def inputs(spec: str, n: int) -> tuple[list[str], list[Path]]:
    """(data URLs, paths): small inputs are data URLs in memory, file inputs are paths."""
    kind, _, value = spec.partition(":")
    if kind == "small":
        url = "data:image/png;base64," + base64.b64encode(make_image(int(value))).decode()
        return [url] * n, []
    paths = sorted(Path(value).iterdir())[:n]
    return [], paths


def data_url_of(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """The CPU time of each block of ``BLOCK`` completed requests.

    On this virtual machine the same work costs more CPU time now and then: in bursts of tens
    of milliseconds, and in slow spells that last seconds. A burst spoils one block rather
    than the whole run (a run's median block leaves it out), and every block is one more
    chance to be measured outside a slow spell (the best block, in ``bench.__main__``). The
    first block (connections opened, the first use of every code path) is start-up, not a
    per-request cost, and is not counted.
    """

    BLOCK = 250

    def __init__(self) -> None:
        self.done = 0
        self.marks: list[float] = []
        #: Stop after each block until told to go on (the ``turns`` argument).
        self.take_turns = False

    def tick(self) -> None:
        """One more request completed."""
        self.done += 1
        if self.done % self.BLOCK == 0:
            self.marks.append(cpu_seconds())
            if self.take_turns:
                self.pause()

    def pause(self) -> None:
        """Report the block just done, then wait for our turn. The loop is blocked meanwhile:
        answers that arrive wait in the socket, and no CPU time is spent. The next block is
        timed from when the turn comes."""
        start = self.marks[-2] if len(self.marks) > 1 else self.marks[-1]
        used = (self.marks[-1] - start) / self.BLOCK * 1e6
        sys.stdout.write(f"block {used:.3f}\n")
        sys.stdout.flush()
        sys.stdin.readline()
        self.marks[-1] = cpu_seconds()

    def blocks_us(self) -> list[float]:
        """CPU µs per request of each block after the first."""
        return [(end - start) / self.BLOCK * 1e6 for start, end in pairwise(self.marks)]


METER = Meter()


async def bounded(n: int, concurrency: int, one: Callable[[int], Awaitable[Any]]) -> None:
    semaphore = asyncio.Semaphore(concurrency)

    async def guarded(i: int) -> None:
        async with semaphore:
            await one(i)
        METER.tick()

    await asyncio.gather(*(guarded(i) for i in range(n)))


# The variants ---------------------------------------------------------------------------


async def plain_aiohttp(url: str, n: int, conc: int, urls: list[str], paths: list[Path]) -> None:
    import aiohttp

    # Credentials as a session header, as aiohttp asks since it deprecated ``auth=`` (3.14);
    # ``auth=`` on every request also costs a warning check per call.
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    target = f"{url}/models/{MODEL}/training-images"
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=100), headers={"Authorization": f"Basic {token}"}
    ) as session:

        async def one(i: int) -> None:
            data = urls[i] if urls else data_url_of(paths[i])
            async with session.post(target, json={"data": data, "name": f"{i}.png"}) as response:
                response.raise_for_status()
                await response.json()

        await bounded(n, conc, one)


async def sdk_add(url: str, n: int, conc: int, urls: list[str], paths: list[Path]) -> None:
    from scenario_async import AsyncScenario
    from scenario_async.images import Image

    async with AsyncScenario(api_key=KEY, api_secret=SECRET, base_url=url) as client:
        add = client.models.training_images.add

        async def one(i: int) -> None:
            data = urls[i] if urls else Image.from_path(paths[i]).data_url()
            await add(MODEL, data=data, name=f"{i}.png")

        await bounded(n, conc, one)


def count_done(event: Any) -> None:
    if event.kind == "item_done":
        METER.tick()


async def sdk_add_many(
    url: str, n: int, conc: int, urls: list[str], paths: list[Path], journal: str | None = None
) -> None:
    from scenario_async import AsyncScenario, Image

    # One image sent N times is N items only under N names: the same content and name twice
    # is one item, stored once.
    named = (Image.from_data_url(u, name=f"{i}.png") for i, u in enumerate(urls))
    async with AsyncScenario(api_key=KEY, api_secret=SECRET, base_url=url) as client:
        result = await client.models.training_images.add_many(
            MODEL,
            named if urls else paths,
            concurrency=conc,
            on_progress=count_done,
            journal=journal,
        )
        result.raise_for_failures()


async def sdk_add_many_journal(
    url: str, n: int, conc: int, urls: list[str], paths: list[Path]
) -> None:
    """add_many with its write-ahead journal: two lines written and flushed per image."""
    with tempfile.TemporaryDirectory() as scratch:
        await sdk_add_many(url, n, conc, urls, paths, journal=f"{scratch}/upload.jsonl")


async def sdk_async_seq(url: str, n: int, conc: int, urls: list[str], paths: list[Path]) -> None:
    from scenario_async import AsyncScenario

    async with AsyncScenario(api_key=KEY, api_secret=SECRET, base_url=url) as client:
        for i in range(n):
            await client.models.training_images.add(MODEL, data=urls[i], name=f"{i}.png")
            METER.tick()


def sdk_sync_seq(url: str, n: int, conc: int, urls: list[str], paths: list[Path]) -> None:
    from scenario_async import Scenario

    with Scenario(api_key=KEY, api_secret=SECRET, base_url=url) as client:
        for i in range(n):
            client.models.training_images.add(MODEL, data=urls[i], name=f"{i}.png")
            METER.tick()


def sdk_sync_threads(url: str, n: int, conc: int, urls: list[str], paths: list[Path]) -> None:
    """``conc`` threads sharing one sync client, each making its share of the calls in turn."""
    from concurrent.futures import ThreadPoolExecutor

    from scenario_async import Scenario

    with Scenario(api_key=KEY, api_secret=SECRET, base_url=url) as client:

        def share(first: int) -> None:
            for i in range(first, n, conc):
                client.models.training_images.add(MODEL, data=urls[i], name=f"{i}.png")
                METER.tick()

        with ThreadPoolExecutor(conc) as pool:
            list(pool.map(share, range(conc)))


async def _official(
    url: str, n: int, conc: int, urls: list[str], paths: list[Path], backend: str
) -> None:
    from scenario_sdk import AsyncScenario, DefaultAioHttpClient

    options: dict[str, Any] = {}
    if backend == "aiohttp":
        options["http_client"] = DefaultAioHttpClient()
    async with AsyncScenario(api_key=KEY, api_secret=SECRET, base_url=url, **options) as client:

        async def one(i: int) -> None:
            data = urls[i] if urls else data_url_of(paths[i])
            await client.models.training_images.add(MODEL, data=data, name=f"{i}.png")

        await bounded(n, conc, one)


async def official_httpx(url: str, n: int, conc: int, urls: list[str], paths: list[Path]) -> None:
    await _official(url, n, conc, urls, paths, "httpx")


async def official_aiohttp(url: str, n: int, conc: int, urls: list[str], paths: list[Path]) -> None:
    await _official(url, n, conc, urls, paths, "aiohttp")


VARIANTS: dict[str, Callable[..., Any]] = {
    "aiohttp": plain_aiohttp,
    "sdk-add": sdk_add,
    "sdk-add-many": sdk_add_many,
    "sdk-add-many-journal": sdk_add_many_journal,
    "sdk-async-seq": sdk_async_seq,
    "sdk-sync-seq": sdk_sync_seq,
    "sdk-sync-threads": sdk_sync_threads,
    "official-httpx": official_httpx,
    "official-aiohttp": official_aiohttp,
}

#: What each variant imports before the clock starts (import time is measured apart). The
#: SDK loads its answer types, resources and sync client on first use: they are imports too.
SDK_IMPORTS = ["scenario_async", "scenario_async.images", "scenario_async.sync"]
IMPORTS = {
    "aiohttp": ["aiohttp"],
    "official-httpx": ["scenario_sdk"],
    "official-aiohttp": ["scenario_sdk", "httpx_aiohttp"],
}


def main() -> None:
    variant, url, n_text, conc_text, spec = sys.argv[1:6]
    n, conc = int(n_text), int(conc_text)
    METER.take_turns = sys.argv[6:] == ["turns"]
    for module in IMPORTS.get(variant, SDK_IMPORTS):
        __import__(module)
    urls, paths = inputs(spec, n)
    n = len(urls) or len(paths)
    run = VARIANTS[variant]
    # Start every variant from a collected heap. Otherwise the garbage of start-up (imports,
    # parsing the inputs) is collected by a full collection that may or may not fall inside
    # the timed part, depending on where the collector's counters happen to stand: a cost
    # of start-up, not of requests, and one that moved a variant's figure by 3 to 5 %.
    gc.collect()
    idle = rss_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if asyncio.iscoroutinefunction(run):
        asyncio.run(run(url, n, conc, urls, paths))
    else:
        run(url, n, conc, urls, paths)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    blocks = METER.blocks_us()
    # A run's figure is its median block when it had enough of them, else the whole run.
    per_request = statistics.median(blocks) if len(blocks) >= 3 else cpu / n * 1e6
    print(
        json.dumps(
            {
                "variant": variant,
                "n": n,
                "concurrency": conc,
                "wall": wall,
                "cpu": cpu,
                "cpu_per_request_us": per_request,
                "cpu_whole_run_us": cpu / n * 1e6,
                "cpu_blocks_us": blocks,
                "wakes_per_request": (after.ru_nvcsw - before.ru_nvcsw) / n,
                "rss_idle_mib": idle / 2**20,
                "rss_peak_mib": after.ru_maxrss / 1024,
                "rss_peak_above_idle_mib": after.ru_maxrss / 1024 - idle / 2**20,
            }
        )
    )


if __name__ == "__main__":
    main()
