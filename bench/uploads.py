"""``python -m bench.uploads``: large training images through multipart uploads (raw parts PUT
to the storage host) against the data-URL path (base64 inside JSON, ``add_many``'s default).

Three processes: the fake API (``scenario_async.testing``, with its storage host, not
recording requests: a recorded 27 MiB JSON body would be parsed twice and kept, slowing the
data-URL path for nothing the service does), a client per run measuring its own CPU time
and memory, and this one, which writes the images and compares the medians of ``repeats``
interleaved runs, each against a fresh fake API.

The uploads variant is ``add_many(..., via="uploads")`` when add_many has it; until then
``upload_file`` for each file (hashed and stamped first, as add_many does) and the assets
attached by ``training_images.add(asset_ids=...)`` in batches of 10. The report says which.

Targets: CPU per MiB of the uploads path at most 0.5x the data-URL path's; wall time no
slower (ratio <= 1.0); peak RSS above idle within ``concurrency x part size + 16 MiB`` for
20 MiB and 5 MiB files alike. A third variant, ``upload-file``, is the engine alone (no
add_many), for reference.

Where the CPU goes, per MiB, on the machine this was written on (2 cores, Python 3.11):
SHA-256 of the first pass 0.6 ms (both paths: it is the content's identity), base64 0.4 to
1.0 ms (data URLs only), and the kernel's copies (reading the file, sending it over loopback)
0.3 to 0.6 ms; the SDK's own Python a tenth of a millisecond. The hash alone is about a
third of the data-URL path's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import inspect
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from ._process import run_client as client_process
from ._process import serving
from .client import make_image, rss_bytes

KEY, SECRET = "bench-key", "bench-secret"
MODEL = "model_bench"
MiB = 2**20
#: The images compared, and the smaller ones whose memory must be the same.
FILE_SIZE = 20 * MiB
SMALL_FILE_SIZE = 5 * MiB
#: Images (and parts) in flight, in both variants.
CONCURRENCY = 4
#: What a client holds besides its parts in flight: the interpreter's and aiohttp's working
#: buffers, the hashing buffer of each file in flight, the allocator's slack.
RSS_CONSTANT = 16 * MiB
#: The variants compared (``upload-file``, the engine alone, is measured for reference).
VARIANTS = ("data-url", "uploads")


# The fake API's process ---------------------------------------------------------------------


def serve() -> None:
    """The fake API with the bench's model and credentials, on a free port; prints its URL."""
    from scenario_async.testing import FakeScenario

    async def forever() -> None:
        fake = FakeScenario(
            api_key=KEY, api_secret=SECRET, port=0, models=[MODEL], record_requests=False
        )
        async with fake:
            print(fake.base_url, flush=True)
            await asyncio.Event().wait()

    asyncio.run(forever())


def fake_api() -> AbstractContextManager[str]:
    """The fake API in its own process, its request log off; yields its base URL."""
    return serving("bench.uploads", "--serve")


# The client's process -----------------------------------------------------------------------


def add_many_has_via() -> bool:
    from scenario_async import bulk

    return "via" in inspect.signature(bulk.add_many).parameters


def hash_and_stamp(path: Path) -> tuple[str, Any, str]:
    """What add_many learns of a file before uploading it: its SHA-256 (read in 1 MiB
    pieces into one buffer), its stamp (unchanged while it was hashed) and its type."""
    from scenario_async._multipart import FileStamp
    from scenario_async.images import sniff_mime_type

    digest = hashlib.sha256()
    buffer = bytearray(MiB)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as file:
        before = FileStamp.from_stat(os.fstat(file.fileno()))
        head = file.read(16)
        digest.update(head)
        while count := file.readinto(buffer):
            digest.update(view[:count])
        if FileStamp.from_stat(os.fstat(file.fileno())) != before:
            raise RuntimeError(f"{path} changed while it was hashed")
    return digest.hexdigest(), before, sniff_mime_type(head) or "application/octet-stream"


async def run_upload_file(client: Any, paths: list[Path], concurrency: int) -> str:
    """The engine alone, as add_many would drive it: each file hashed and stamped, then
    ``upload_file`` (one sender and ``concurrency`` part slots for the run), then the
    assets attached by ``training_images.add(asset_ids=...)`` in batches of 10."""
    import anyio.to_thread

    from scenario_async._multipart import PartSender, upload_file

    files, slots = asyncio.Semaphore(concurrency), asyncio.Semaphore(concurrency)
    async with PartSender(client) as sender:

        async def one(path: Path) -> str:
            async with files:
                _, stamp, mime = await anyio.to_thread.run_sync(hash_and_stamp, path)
                return await upload_file(
                    client,
                    path,
                    file_name=path.name,
                    content_type=mime,
                    expected=stamp,
                    part_slots=slots,
                    sender=sender,
                )

        asset_ids = await asyncio.gather(*(one(path) for path in paths))

    async def attach(batch: list[str]) -> None:
        async with files:
            await client.models.training_images.add(MODEL, asset_ids=batch)

    await asyncio.gather(*(attach(asset_ids[i : i + 10]) for i in range(0, len(asset_ids), 10)))
    return "upload_file + training_images.add(asset_ids) in batches of 10"


async def run_uploads(client: Any, paths: list[Path], concurrency: int) -> str:
    """``add_many(via="uploads")``, or the engine alone while add_many has no ``via``."""
    if not add_many_has_via():
        return await run_upload_file(client, paths, concurrency)
    result = await client.models.training_images.add_many(
        MODEL, paths, concurrency=concurrency, via="uploads"
    )
    result.raise_for_failures()
    return 'add_many(via="uploads")'


async def run_data_urls(client: Any, paths: list[Path], concurrency: int) -> str:
    """``add_many`` with each image as a data URL in its add request (its only way before
    ``via``; ``via="data_url"`` since, the default sending large files by uploads)."""
    if not add_many_has_via():
        result = await client.models.training_images.add_many(MODEL, paths, concurrency=concurrency)
        result.raise_for_failures()
        return "add_many (data URLs)"
    result = await client.models.training_images.add_many(
        MODEL, paths, concurrency=concurrency, via="data_url"
    )
    result.raise_for_failures()
    return 'add_many(via="data_url")'


RUNS = {"data-url": run_data_urls, "uploads": run_uploads, "upload-file": run_upload_file}


def client_main(variant: str, url: str, folder: str, concurrency: int) -> None:
    """One run in this process: prints one JSON line of figures."""
    import scenario_async
    import scenario_async._multipart
    import scenario_async.sync  # imports are not part of the run

    paths = sorted(Path(folder).iterdir())
    size = sum(path.stat().st_size for path in paths)
    gc.collect()
    idle = rss_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()

    async def go() -> str:
        async with scenario_async.AsyncScenario(
            api_key=KEY, api_secret=SECRET, base_url=url, trust_env=False
        ) as client:
            return await RUNS[variant](client, paths, concurrency)

    how = asyncio.run(go())
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    mib = size / MiB
    print(
        json.dumps(
            {
                "variant": variant,
                "how": how,
                "files": len(paths),
                "mib": mib,
                "concurrency": concurrency,
                "wall": wall,
                "cpu": cpu,
                "cpu_ms_per_mib": cpu / mib * 1000,
                "user_ms_per_mib": (after.ru_utime - before.ru_utime) / mib * 1000,
                "sys_ms_per_mib": (after.ru_stime - before.ru_stime) / mib * 1000,
                "rss_idle_mib": idle / MiB,
                "rss_peak_above_idle_mib": after.ru_maxrss / 1024 - idle / MiB,
            }
        )
    )


def run_client(variant: str, url: str, folder: Path, concurrency: int) -> dict[str, Any]:
    arguments = [variant, url, str(folder), str(concurrency)]
    return client_process("bench.uploads", "--client", *arguments, what=variant)


# The comparison -----------------------------------------------------------------------------


def write_images(folder: Path, count: int, size: int) -> Path:
    """``count`` PNG files of ``size`` bytes (magic, noise, IEND: whole PNGs to the fake)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"{i:04}.png").write_bytes(make_image(size))
    return folder


def measure(
    variants: list[str],
    folder: Path,
    repeats: int,
    concurrency: int = CONCURRENCY,
    *,
    warm: bool = True,
) -> dict[str, dict[str, Any]]:
    """Median figures of ``repeats`` interleaved runs of each variant, a fresh fake API each,
    after a run of each that is not counted (``warm``: the page cache, the imports)."""
    runs: dict[str, list[dict[str, Any]]] = {variant: [] for variant in variants}
    for variant in variants if warm else ():
        with fake_api() as url:
            run_client(variant, url, folder, concurrency)
    for _ in range(repeats):
        for variant in variants:
            with fake_api() as url:
                runs[variant].append(run_client(variant, url, folder, concurrency))
    summary: dict[str, dict[str, Any]] = {}
    for variant, results in runs.items():
        summary[variant] = {
            key: statistics.median(r[key] for r in results)
            if isinstance(results[0][key], float)
            else results[0][key]
            for key in results[0]
        }
        summary[variant]["walls"] = [r["wall"] for r in results]
        summary[variant]["cpu_ms_per_mib_runs"] = [r["cpu_ms_per_mib"] for r in results]
    return summary


def table(title: str, results: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"\n## {title}",
        f"{'variant':10} {'files':>5} {'MiB':>6} {'wall s':>7} {'CPU ms/MiB':>11} "
        f"{'peak RSS-idle MiB':>18}  how",
    ]
    for variant, r in results.items():
        lines.append(
            f"{variant:10} {r['files']:5d} {r['mib']:6.0f} {r['wall']:7.2f} "
            f"{r['cpu_ms_per_mib']:11.2f} {r['rss_peak_above_idle_mib']:18.1f}  {r['how']}"
        )
    return "\n".join(lines)


def run(
    quick: bool, scratch: Path, repeats: int
) -> tuple[dict[str, Any], list[tuple[str, float, str, bool]]]:
    """Figures for the JSON report and the checks ``(name, value, target, ok)``."""
    from scenario_async._multipart import DEFAULT_PART_SIZE

    count = 4 if quick else 16
    large = write_images(scratch / "uploads-20mib", count, FILE_SIZE)
    small = write_images(scratch / "uploads-5mib", count, SMALL_FILE_SIZE)
    warm = not quick  # a quick run is a smoke test
    compared = measure(list(VARIANTS), large, repeats, warm=warm)
    # The engine alone, for comparison with add_many's use of it: no target.
    compared |= measure(["upload-file"], large, max(1, min(repeats, 3)), warm=warm)
    print(table(f"uploads: {count} images of 20 MiB, {CONCURRENCY} in flight", compared))
    smaller = measure(["uploads"], small, max(1, min(repeats, 3)), warm=warm)
    print(table(f"uploads: {count} images of 5 MiB, {CONCURRENCY} in flight", smaller))

    part_size = DEFAULT_PART_SIZE
    bound = (CONCURRENCY * part_size + RSS_CONSTANT) / MiB
    uploads, data_urls = compared["uploads"], compared["data-url"]
    cpu_ratio = uploads["cpu_ms_per_mib"] / data_urls["cpu_ms_per_mib"]
    wall_ratio = uploads["wall"] / data_urls["wall"]
    peak_large = uploads["rss_peak_above_idle_mib"]
    peak_small = smaller["uploads"]["rss_peak_above_idle_mib"]
    report: dict[str, Any] = {
        "files": count,
        "concurrency": CONCURRENCY,
        "part_size": part_size,
        "uploads_path": uploads["how"],
        "20mib": compared,
        "5mib": smaller,
        "rss_peak_above_idle_mib": {"20mib": peak_large, "5mib": peak_small},
        "rss_bound_mib": bound,
        "cpu_ratio": cpu_ratio,
        "wall_ratio": wall_ratio,
    }
    checks = [
        ("uploads: CPU/MiB vs data URLs", cpu_ratio, "<= 0.5", cpu_ratio <= 0.5),
        ("uploads: wall vs data URLs", wall_ratio, "<= 1.0", wall_ratio <= 1.0),
        (
            "uploads: peak RSS above idle, 20 MiB files (MiB)",
            peak_large,
            f"<= {bound:.0f} (concurrency x part size + {RSS_CONSTANT // MiB})",
            peak_large <= bound,
        ),
        (
            "uploads: peak RSS above idle, 5 MiB files (MiB)",
            peak_small,
            f"<= {bound:.0f}",
            peak_small <= bound,
        ),
    ]
    return report, checks


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve()
        return
    if sys.argv[1:2] == ["--client"]:
        variant, url, folder, concurrency = sys.argv[2:6]
        client_main(variant, url, folder, int(concurrency))
        return
    parser = argparse.ArgumentParser(prog="python -m bench.uploads", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="fewer images, for a smoke test")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scenario-bench-uploads-") as scratch:
        report, checks = run(args.quick, Path(scratch), args.repeats)
    print("\n## targets")
    for name, value, target, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {value:.2f} (target {target})")
    report["checks"] = [{"name": n, "value": v, "target": t, "ok": ok} for n, v, t, ok in checks]
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
