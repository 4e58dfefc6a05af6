"""``python -m bench.scale``: one ``add_many`` of 100,000 tiny images, then its resume.

The first run sends 100,000 distinct 200-byte PNG images (``Image.from_bytes``, pulled
from a generator so that the input itself is never held), 32 in flight, with a journal, to
a stand-in server with no latency. Its figure is the peak RSS above idle: the high-water
mark of the client process above its RSS after the imports and the client's creation.

The resume is a second run, in a new process, over the same journal (about 200,000 lines:
a ``send`` and a ``landed`` line per image) and the same 100,000 images, with new images
interleaved: one after the first ten old ones, then one every thousand. Its figure is the
time from the call to ``add_many`` until the first new image's request reaches the server
(the server notes when it arrives; both processes read the same monotonic clock): how long
the journal and the model's 100,000 training images keep a resumed upload from sending.
It runs ``min(repeats, 3)`` times, each from a copy of the journal and the server's images
as the first run left them, and keeps the median.

The stand-in server (``python -m bench.scale serve``, a process of its own, on another core)
keeps every training image it answered (id, name, createdAt) and serves them from
``GET /v1/models/{id}``, since a run reads the model first and a resume settles its journal
against what the model holds. ``--diagnose`` adds separate runs under tracemalloc (the ten
allocation sites holding the most memory at the peak) and under cProfile (where a resume
spends its time before its first send).

Also reported, not judged: the loop's worst pause in each run (a task beside ``add_many``
that sleeps 1 ms again and again, as in ``bench.stall``), and a first run over data-URL
strings instead of ``Image.from_bytes`` (nameless: each named after its content).

Targets: peak RSS at most 100 MiB above idle; the resume's first new send within 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import itertools
import json
import os
import random
import resource
import shutil
import statistics
import sys
import threading
import time
import tracemalloc
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from ._process import serving
from .stall import TICK

KEY, SECRET = "bench-key", "bench-secret"
MODEL = "model_bench"
CONCURRENCY = 32
#: Old images the resume skips before its first new one.
FIRST_OLD = 10
IMAGE_BYTES = 200
PEAK_TARGET_MIB = 100.0
FIRST_SEND_TARGET_S = 2.0

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_NOISE = random.Random(0).randbytes(IMAGE_BYTES - len(PNG_MAGIC) - 8 - len(PNG_END))
#: Where the new images' numbers start: never an old image's.
NEW_BASE = 10**12
#: Frames kept per allocation under ``--diagnose``: enough to see which line of the SDK
#: asked (a json or attrs line is one or two frames below it). Each frame costs: 16 made a
#: 10,000-image run 15 times slower, 1 made it 2.5 times slower.
FRAMES = 4


def tiny_png(i: int) -> bytes:
    """A 200-byte whole PNG (its magic, then bytes, then the IEND chunk) unique to ``i``."""
    return PNG_MAGIC + i.to_bytes(8, "big") + _NOISE + PNG_END


# The stand-in server --------------------------------------------------------------------


def iso(moment: float) -> str:
    """``moment`` (epoch seconds) as the service writes times: ``2026-01-02T03:04:05.678Z``."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment))
    return f"{whole}.{int(moment * 1000) % 1000:03}Z"


def training_image(image_id: str, name: str, created_at: str) -> dict[str, str]:
    """A training image with every field the schema requires."""
    return {
        "id": image_id,
        "automaticCaptioning": "",
        "createdAt": created_at,
        "description": "",
        "downloadUrl": f"https://cdn.example/{image_id}.png",
        "name": name,
    }


def build_app() -> Any:
    from aiohttp import web

    #: (id, name, createdAt) of every training image answered, in order, by model.
    models: dict[str, list[tuple[str, str, str]]] = {}
    ids = itertools.count()
    state: dict[str, Any] = {"first_post_at": None, "posts": 0, "model_reads": []}
    created = iso(time.time())

    async def add(request: web.Request) -> web.Response:
        arrived = time.monotonic()
        if state["first_post_at"] is None:
            state["first_post_at"] = arrived
        state["posts"] += 1
        body = json.loads(await request.read())
        name = body.get("name") or "image.png"
        entry = (f"asset_bench{next(ids)}", name, iso(time.time()))
        models.setdefault(request.match_info["model_id"], []).append(entry)
        answer = json.dumps({"trainingImage": training_image(*entry)})
        return web.Response(text=answer, content_type="application/json")

    async def model(request: web.Request) -> web.Response:
        arrived = time.monotonic()
        started = time.perf_counter()
        images = models.get(request.match_info["model_id"], [])
        answer = json.dumps(
            {
                "model": {
                    "id": request.match_info["model_id"],
                    "capabilities": ["txt2img"],
                    "collectionIds": [],
                    "createdAt": created,
                    "custom": True,
                    "exampleAssetIds": [],
                    "privacy": "private",
                    "source": "training",
                    "status": "new",
                    "tags": [],
                    "trainingImagesNumber": len(images),
                    "type": "flux.1-lora",
                    "updatedAt": images[-1][2] if images else created,
                    "trainingImages": [training_image(*entry) for entry in images],
                }
            }
        )
        state["model_reads"].append(
            {
                "at": arrived,
                "build_ms": (time.perf_counter() - started) * 1000,
                "bytes": len(answer),
                "images": len(images),
            }
        )
        return web.Response(text=answer, content_type="application/json")

    async def reset(request: web.Request) -> web.Response:
        """Forget the first post and the reads; with ``keep``, keep only the first ``keep``
        images of the benchmark's model (and none of any other)."""
        if "keep" in request.query:
            kept = models.get(MODEL, [])[: int(request.query["keep"])]
            models.clear()
            models[MODEL] = kept
        state.update(first_post_at=None, posts=0, model_reads=[])
        return web.json_response({"images": len(models.get(MODEL, []))})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({**state, "images": len(models.get(MODEL, []))})

    app = web.Application(client_max_size=64 * 1024**2)
    app.router.add_post("/v1/models/{model_id}/training-images", add)
    app.router.add_get("/v1/models/{model_id}", model)
    app.router.add_post("/bench/reset", reset)
    app.router.add_get("/bench/stats", stats)
    return app


async def serve() -> None:
    from aiohttp import web

    runner = web.AppRunner(build_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()


def scale_server() -> AbstractContextManager[str]:
    """The stand-in server in its own process; yields its base URL (``.../v1``)."""
    return serving("bench.scale", "serve")


def control(url: str, path: str, **query: Any) -> dict[str, Any]:
    """A control call to the stand-in: ``reset`` (POST) or ``stats`` (GET)."""
    base = url.removesuffix("/v1")
    target = f"{base}/bench/{path}" + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )
    request = urllib.request.Request(target, method="GET" if path == "stats" else "POST")
    with urllib.request.urlopen(request, timeout=60) as answer:
        result: dict[str, Any] = json.loads(answer.read())
    return result


# The client (its own process) -----------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def reset_high_water() -> bool:
    """Reset the process's RSS high-water mark (Linux: ``/proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def high_water_bytes(reset_worked: bool) -> int:
    """The RSS high-water mark since the reset (``VmHWM``), else since the process began."""
    if reset_worked:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def inputs(kind: str, count: int, new: int) -> Iterator[Any]:
    """``count`` old images, with ``new`` new ones interleaved: the first after
    ``FIRST_OLD`` old ones, then one every ``count // new``. Made one at a time."""
    from scenario_async import Image

    def make(i: int, prefix: str) -> Any:
        content = tiny_png(i)
        if kind == "data-url":
            return "data:image/png;base64," + base64.b64encode(content).decode("ascii")
        return Image.from_bytes(content, name=f"{prefix}-{i}.png")

    step = max(1, count // new) if new else 0
    placed = 0
    for i in range(count):
        yield make(i, "img")
        if placed < new and i == FIRST_OLD - 1 + placed * step:
            yield make(NEW_BASE + placed, "new")
            placed += 1
    for j in range(placed, new):
        yield make(NEW_BASE + j, "new")


class PeakSnapshots:
    """A thread that watches tracemalloc's traced memory and snapshots it each time it
    grows past the last snapshot by 25 % (past 4 MiB first): the last snapshot is taken
    near the peak, within 25 % of it. A snapshot of a million allocations takes a second or
    two: a finer watch would slow the run down more than tracemalloc already does."""

    def __init__(self, every: float = 0.05, floor: int = 4 * 2**20) -> None:
        self.every = every
        self.snapshot: tracemalloc.Snapshot | None = None
        self.size = floor
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)

    def watch(self) -> None:
        while not self.done.wait(self.every):
            current = tracemalloc.get_traced_memory()[0]
            if current > self.size * 1.25:
                self.snapshot = tracemalloc.take_snapshot()
                self.size = current

    def __enter__(self) -> PeakSnapshots:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.thread.join()


def top_sites(snapshot: tracemalloc.Snapshot, limit: int = 10) -> dict[str, Any]:
    """The allocation sites holding the most memory (by line), and the same memory by the
    innermost frame of this SDK that asked for it."""
    cwd = str(Path.cwd()) + os.sep
    total = sum(stat.size for stat in snapshot.statistics("filename"))

    def where(frame: tracemalloc.Frame) -> str:
        return f"{frame.filename.replace(cwd, '')}:{frame.lineno}"

    by_line = [
        {"site": where(stat.traceback[-1]), "mib": stat.size / 2**20, "blocks": stat.count}
        for stat in snapshot.statistics("lineno")[:limit]
    ]
    by_sdk: dict[str, list[int]] = {}
    for stat in snapshot.statistics("traceback"):
        frames = list(stat.traceback)
        own = next(
            (frame for frame in reversed(frames) if "scenario_async" in frame.filename),
            frames[-1],
        )
        sizes = by_sdk.setdefault(where(own), [0, 0])
        sizes[0] += stat.size
        sizes[1] += stat.count
    by_caller = [
        {"site": site, "mib": size / 2**20, "blocks": blocks}
        for site, (size, blocks) in sorted(by_sdk.items(), key=lambda kv: -kv[1][0])[:limit]
    ]
    return {"total_mib": total / 2**20, "by_line": by_line, "by_sdk_caller": by_caller}


async def watch_loop(worst: list[float], stop: asyncio.Event) -> None:
    """``bench.stall``'s ticker, keeping only its worst wake-up (how late, when): a list
    of every tick would count in this run's memory."""
    clock = time.perf_counter
    while not stop.is_set():
        started = clock()
        await asyncio.sleep(TICK)
        woke = clock()
        if woke - started - TICK > worst[0]:
            worst[0], worst[1] = woke - started - TICK, woke


async def upload(
    url: str, journal: str, phase: str, count: int, new: int, kind: str, diagnose: str
) -> dict[str, Any]:
    """One ``add_many``; its figures. ``diagnose``: "" (measure), "memory" (under
    tracemalloc) or "profile" (under cProfile until the first new send is announced)."""
    from scenario_async import AsyncScenario, Image
    from scenario_async.journal import Item, Journal

    firsts: dict[str, float] = {}
    counts: dict[str, int] = {}

    def on_progress(event: Any) -> None:
        counts[event.kind] = counts.get(event.kind, 0) + 1
        if event.kind not in firsts:
            firsts[event.kind] = time.monotonic()

    figures: dict[str, Any] = {
        "phase": phase,
        "kind": kind,
        "images": count,
        "new": new,
    }
    async with AsyncScenario(api_key=KEY, api_secret=SECRET, base_url=url) as client:
        add_many = client.models.training_images.add_many
        gc.collect()
        idle = rss_bytes()
        profiler: Any = None
        if diagnose:
            # The code add_many loads and builds on first use, loaded before it is watched.
            warm = Image.from_bytes(tiny_png(NEW_BASE * 2), name="warm.png")
            await add_many(MODEL + "_warm", [warm])
            gc.collect()
            idle = rss_bytes()
        if diagnose == "memory":
            tracemalloc.start(FRAMES)
        elif diagnose == "profile":
            import cProfile

            profiler = cProfile.Profile()
            first_send: list[float] = []
            announce = Journal.send

            def send(self: Journal, item: Item) -> None:
                if not first_send:
                    profiler.disable()
                    first_send.append(time.monotonic())
                announce(self, item)

            Journal.send = send  # type: ignore[method-assign]
            profiler.enable()
        reset_worked = reset_high_water()
        before = resource.getrusage(resource.RUSAGE_SELF)
        watcher = PeakSnapshots() if diagnose == "memory" else None
        # A task beside add_many that sleeps 1 ms again and again: how late it wakes is how
        # long the loop was kept from every other task (see bench.stall).
        worst_pause = [0.0, 0.0]  # how late, when
        stop = asyncio.Event()
        ticker = asyncio.create_task(watch_loop(worst_pause, stop))
        await asyncio.sleep(0)
        called, called_perf = time.monotonic(), time.perf_counter()
        with watcher or contextlib.nullcontext():
            result = await add_many(
                MODEL,
                inputs(kind, count, new),
                concurrency=CONCURRENCY,
                journal=journal,
                on_progress=on_progress,
            )
        wall = time.monotonic() - called
        after = resource.getrusage(resource.RUSAGE_SELF)
        peak = high_water_bytes(reset_worked)
        stop.set()
        await ticker
        worst, worst_at = worst_pause
        figures.update(
            called_at=called,
            wall=wall,
            cpu=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            rss_idle_mib=idle / 2**20,
            rss_peak_mib=peak / 2**20,
            rss_peak_above_idle_mib=(peak - idle) / 2**20,
            rss_after_mib=rss_bytes() / 2**20,
            high_water_reset=reset_worked,
            counts=result.counts(),
            events=counts,
            first_event_s={kind: at - called for kind, at in firsts.items()},
            loop_worst_pause_ms=worst * 1000,
            loop_worst_pause_at_s=worst_at - called_perf,
        )
        if watcher is not None:
            current, traced_peak = tracemalloc.get_traced_memory()
            kept = tracemalloc.take_snapshot()
            figures["tracemalloc"] = {
                "peak_mib": traced_peak / 2**20,
                "held_after_run_mib": current / 2**20,
                "at_peak": top_sites(watcher.snapshot) if watcher.snapshot else None,
                "after_run": top_sites(kept),
            }
            del kept
            tracemalloc.stop()
        if profiler is not None:
            import io
            import pstats

            Journal.send = announce  # type: ignore[method-assign]
            figures["first_send_announced_s"] = first_send[0] - called if first_send else None
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
            figures["profile_until_first_send"] = text.getvalue()
        del result
    return figures


def client_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale client")
    parser.add_argument("url")
    parser.add_argument("journal")
    parser.add_argument("phase", choices=["first", "resume"])
    parser.add_argument("count", type=int)
    parser.add_argument("--new", type=int, default=0)
    parser.add_argument("--kind", choices=["bytes", "data-url"], default="bytes")
    parser.add_argument("--diagnose", choices=["", "memory", "profile"], default="")
    args = parser.parse_args(argv)
    import scenario_async  # imported before the clock starts, like bench.client
    import scenario_async.bulk  # noqa: F401

    journal = Path(args.journal)
    lines = 0
    if journal.exists():
        with journal.open("rb") as journal_file:
            lines = sum(1 for _ in journal_file)
    size = journal.stat().st_size if journal.exists() else 0
    figures = asyncio.run(
        upload(args.url, args.journal, args.phase, args.count, args.new, args.kind, args.diagnose)
    )
    figures.update(journal_lines_before=lines, journal_bytes_before=size)
    print(json.dumps(figures), flush=True)


# The runner -----------------------------------------------------------------------------


def run_client(
    url: str,
    journal: Path,
    phase: str,
    count: int,
    new: int = 0,
    kind: str = "bytes",
    diagnose: str = "",
) -> dict[str, Any]:
    """One client process; its figures, with the server's view of the run (when its first
    request arrived, how long the model took to build) added."""
    from ._process import run_client as client_process

    control(url, "reset")
    arguments = [url, str(journal), phase, str(count), "--new", str(new), "--kind", kind]
    figures = client_process(
        "bench.scale", "client", *arguments, "--diagnose", diagnose, what="the scale client"
    )
    server = control(url, "stats")
    first_post = server["first_post_at"]
    figures["first_request_s"] = None if first_post is None else first_post - figures["called_at"]
    figures["server_posts"] = server["posts"]
    figures["server_model_reads"] = [
        {**read, "at_s": read["at"] - figures["called_at"]} for read in server["model_reads"]
    ]
    return figures


def median_of(runs: list[dict[str, Any]], keys: list[str]) -> dict[str, Any]:
    return {
        key: statistics.median(run[key] for run in runs)
        for key in keys
        if all(run.get(key) is not None for run in runs)
    }


def run(
    quick: bool, scratch: Path, repeats: int, *, diagnose: bool = False
) -> tuple[dict[str, Any], list[tuple[str, float, str, bool]]]:
    """The first run, its resumes, and (``diagnose``) the diagnostic runs."""
    count = 10_000 if quick else 100_000
    new = count // 1000
    resumes = min(max(repeats, 1), 3)
    journal = scratch / "scale" / "upload.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.unlink(missing_ok=True)
    saved = journal.with_suffix(".saved")
    figures: dict[str, Any] = {
        "images": count,
        "new_in_resume": new,
        "concurrency": CONCURRENCY,
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    print(
        f"\n## scale: add_many of {count:,} tiny images, {CONCURRENCY} in flight, no latency, "
        "with a journal; then its resume",
        flush=True,
    )
    with scale_server() as url:
        first = run_client(url, journal, "first", count)
        stored = control(url, "stats")["images"]
        shutil.copyfile(journal, saved)
        figures["first"] = first
        print(
            f"first run:  wall {first['wall']:.1f} s, CPU {first['cpu']:.1f} s "
            f"({first['cpu'] / count * 1e6:.0f} us/image), peak RSS {first['rss_peak_mib']:.1f} "
            f"MiB, {first['rss_peak_above_idle_mib']:.1f} MiB above idle "
            f"({first['rss_idle_mib']:.1f}); loop's worst pause "
            f"{first['loop_worst_pause_ms']:.0f} ms; {first['counts']}",
            flush=True,
        )
        runs = []
        for _ in range(resumes):
            shutil.copyfile(saved, journal)
            control(url, "reset", keep=stored)
            runs.append(run_client(url, journal, "resume", count, new))
        resume = median_of(
            runs,
            [
                "first_request_s",
                "wall",
                "cpu",
                "rss_peak_above_idle_mib",
                "rss_after_mib",
                "loop_worst_pause_ms",
            ],
        )
        resume["runs"] = runs
        resume["runs_first_request_s"] = [r["first_request_s"] for r in runs]
        figures["resume"] = resume
        last = runs[-1]
        read = last["server_model_reads"][0] if last["server_model_reads"] else {}
        marks = last["first_event_s"]
        print(
            f"resume:     journal of {last['journal_lines_before']:,} lines "
            f"({last['journal_bytes_before'] / 2**20:.1f} MiB); first new request after "
            f"{resume.get('first_request_s', float('nan')):.2f} s (runs: "
            + ", ".join(f"{r['first_request_s']:.2f}" for r in runs if r["first_request_s"])
            + f"); wall {resume['wall']:.1f} s; peak RSS "
            f"{resume['rss_peak_above_idle_mib']:.1f} MiB above idle; loop's worst pause "
            f"{resume['loop_worst_pause_ms']:.0f} ms; {last['counts']}",
            flush=True,
        )
        print(
            "            (last run) 'started' at "
            f"{marks.get('started', float('nan')):.2f} s (the journal is read after it, "
            "while the model is); model asked for at "
            f"{read.get('at_s', float('nan')):.2f} s ({read.get('images', 0):,} images, "
            f"{read.get('bytes', 0) / 2**20:.1f} MiB, built by the stand-in in "
            f"{read.get('build_ms', float('nan')):.0f} ms); first skip at "
            f"{marks.get('item_skipped', float('nan')):.2f} s; first new image done at "
            f"{marks.get('item_done', float('nan')):.2f} s",
            flush=True,
        )
        if diagnose:
            figures["diagnosis"] = diagnosis(url, journal, saved, stored, count, new)
    with scale_server() as url:
        journal.unlink(missing_ok=True)
        data_urls = run_client(url, journal, "first", count, kind="data-url")
        figures["first_data_urls"] = data_urls
        print(
            f"first run, data-URL strings: wall {data_urls['wall']:.1f} s, peak RSS "
            f"{data_urls['rss_peak_above_idle_mib']:.1f} MiB above idle",
            flush=True,
        )
    above = first["rss_peak_above_idle_mib"]
    seconds = resume.get("first_request_s", float("inf"))
    checks = [
        (
            f"scale: add_many of {count:,} images, peak RSS above idle (MiB)",
            above,
            f"<= {PEAK_TARGET_MIB:g}",
            above <= PEAK_TARGET_MIB,
        ),
        (
            f"scale: resume from {count:,} images, first new send (s)",
            seconds,
            f"<= {FIRST_SEND_TARGET_S:g}",
            seconds <= FIRST_SEND_TARGET_S,
        ),
    ]
    if above > PEAK_TARGET_MIB and not diagnose:
        print("(over the memory target: `python -m bench.scale --diagnose` shows where it goes)")
    return figures, checks


def diagnosis(
    url: str, journal: Path, saved: Path, stored: int, count: int, new: int
) -> dict[str, Any]:
    """Separate runs, not timed: the first run and a resume under tracemalloc, and a
    resume under cProfile until its first send."""
    found: dict[str, Any] = {}
    scratch = journal.parent / "diagnose.jsonl"
    scratch.unlink(missing_ok=True)
    control(url, "reset", keep=stored)  # what the model holds does not matter to a first run
    first = run_client(url, scratch, "first", count, diagnose="memory")
    found["first"] = first["tracemalloc"]
    print_sites("first run", first)
    for what in ("memory", "profile"):
        shutil.copyfile(saved, journal)
        control(url, "reset", keep=stored)
        resumed = run_client(url, journal, "resume", count, new, diagnose=what)
        if what == "memory":
            found["resume"] = resumed["tracemalloc"]
            print_sites("resume", resumed)
        else:
            found["resume_profile"] = resumed["profile_until_first_send"]
            print(
                "\n### resume under cProfile, until its first send is announced "
                f"({resumed['first_send_announced_s']:.2f} s, profiled)\n"
                + resumed["profile_until_first_send"],
                flush=True,
            )
    return found


def print_sites(title: str, figures: dict[str, Any]) -> None:
    traced = figures["tracemalloc"]
    print(
        f"\n### {title} under tracemalloc: peak {traced['peak_mib']:.1f} MiB traced, "
        f"{traced['held_after_run_mib']:.1f} MiB still held after the run (with its result)"
    )
    for moment in ("at_peak", "after_run"):
        sites = traced[moment]
        if sites is None:
            continue
        print(f"{moment.replace('_', ' ')}: {sites['total_mib']:.1f} MiB in the snapshot")
        for label, key in (("by line", "by_line"), ("by the SDK's line asking", "by_sdk_caller")):
            print(f"  {label}:")
            for site in sites[key]:
                print(f"    {site['mib']:8.1f} MiB {site['blocks']:9,} blocks  {site['site']}")
    sys.stdout.flush()


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        asyncio.run(serve())
        return
    if sys.argv[1:2] == ["client"]:
        client_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="resumes, at most 3")
    parser.add_argument("--quick", action="store_true", help="10,000 images instead")
    parser.add_argument("--diagnose", action="store_true", help="where memory and time go")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    import tempfile

    from .stall import print_checks

    with tempfile.TemporaryDirectory(prefix="scenario-bench-") as scratch:
        figures, checks = run(args.quick, Path(scratch), args.repeats, diagnose=args.diagnose)
    print_checks(checks)
    if args.json:
        args.json.write_text(json.dumps({"scale": figures}, indent=2))


if __name__ == "__main__":
    main()
