"""The ``scenario-async`` command line: upload, train, pairs, delete, model, and demo.

Progress bars and tables come from rich (imported here only, so the library itself never
pays for it). Progress goes to stderr and results to stdout; ``--json`` prints results as
JSON and draws nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import stat
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from ._client import AsyncScenario
from ._convert import unstructure
from ._errors import APIError, MissingCredentialsError, ScenarioError, TrainingError
from .bulk import BulkAbortedError, BulkResult, ProgressEvent
from .images import IMAGE_SUFFIXES, _file_kind
from .types.models import Model

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, Task, TaskID
    from rich.text import Text

__all__ = ["default_journal_path", "main"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CLIError(Exception):
    """A user mistake worth one line on stderr and exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = asyncio.run(args.handler(args))
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (CLIError, MissingCredentialsError) as exc:
        print(f"scenario-async: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ScenarioError, OSError) as exc:
        print(f"scenario-async: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print machine-readable JSON")
    common.add_argument("--api-key", help="default: $SCENARIO_SDK_API_KEY")
    common.add_argument("--api-secret", help="default: $SCENARIO_SDK_API_SECRET")
    common.add_argument("--base-url", help="default: $SCENARIO_BASE_URL or Scenario's API")
    common.add_argument("--project-id", help="the project that owns the model")

    parser = argparse.ArgumentParser(
        prog="scenario-async", description="Scenario model training from the command line."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    upload = commands.add_parser(
        "upload", parents=[common], help="add image files (directories are walked)"
    )
    upload.add_argument("model_id")
    upload.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    upload.add_argument("--concurrency", type=int, default=8)
    upload.add_argument("--preset", choices=["default", "style", "subject"])
    where = upload.add_mutually_exclusive_group()
    where.add_argument(
        "--journal",
        type=Path,
        metavar="FILE",
        help="the journal file (default: one per API and model in the user's state directory)",
    )
    where.add_argument(
        "--no-journal",
        action="store_true",
        help="keep no journal: a re-run sends everything again",
    )
    upload.add_argument(
        "--via-assets", action="store_true", help="upload as assets first, then attach by id"
    )
    upload.set_defaults(handler=_upload)

    train = commands.add_parser("train", parents=[common], help="start training a model")
    train.add_argument("model_id")
    train.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a training parameter (JSON values are parsed: 500, true, [1,2])",
    )
    train.add_argument("--dry-run", action="store_true", help="only estimate the cost")
    train.add_argument("--wait", action="store_true", help="wait until training ends")
    train.add_argument("--poll-interval", type=float, default=5.0)
    train.set_defaults(handler=_train)

    pairs = commands.add_parser("pairs", parents=[common], help="replace a model's image pairs")
    pairs.add_argument("model_id")
    pairs.add_argument("file", type=Path, help="JSON list of {instruction, sourceId, targetId}")
    pairs.set_defaults(handler=_pairs)

    delete = commands.add_parser("delete", parents=[common], help="delete training images")
    delete.add_argument("model_id")
    delete.add_argument("training_image_ids", nargs="+", metavar="TRAINING_IMAGE_ID")
    delete.set_defaults(handler=_delete)

    model = commands.add_parser("model", parents=[common], help="show a model")
    model.add_argument("model_id")
    model.set_defaults(handler=_model)

    demo = commands.add_parser(
        "demo", parents=[common], help="the whole workflow against an embedded fake API"
    )
    demo.add_argument("--images", type=int, default=24, help="how many images to make")
    demo.add_argument("--training-seconds", type=float, default=2.0)
    demo.set_defaults(handler=_demo)
    return parser


# Helpers ------------------------------------------------------------------------------


def _client(args: argparse.Namespace, **overrides: Any) -> AsyncScenario:
    return AsyncScenario(
        api_key=overrides.get("api_key", args.api_key),
        api_secret=overrides.get("api_secret", args.api_secret),
        base_url=overrides.get("base_url", args.base_url),
    )


def _console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _out(args: argparse.Namespace, data: Any, human: Any) -> None:
    """Print ``data`` as JSON with ``--json``; otherwise print the rich renderable ``human``."""
    if args.json:
        print(json.dumps(data, indent=2, default=str))
    else:
        from rich.console import Console

        Console().print(human)


def _walk(
    paths: Sequence[Path],
    repeats: list[Path] | None = None,
    skipped: list[tuple[Path, str]] | None = None,
) -> Iterator[Path]:
    """Files as given, and image files found under directories, in a stable order. A file
    reached twice (given twice, given with its folder, or by two paths that resolve to it) is
    one item, kept where first seen, so it is not uploaded twice; the later paths are
    appended to ``repeats``.

    A path found in a folder with an image's suffix that is no regular file (a FIFO, a
    device, a socket, a broken link) is not an item: it goes to ``skipped`` with what it is.
    A path given as such stays an item, which fails with ImageFileError: the user named it.
    """
    seen: set[Path] = set()
    skipped = [] if skipped is None else skipped

    def first_time(path: Path) -> bool:
        key = path.resolve()
        if key in seen:
            if repeats is not None:
                repeats.append(path)
            return False
        seen.add(key)
        return True

    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.suffix.lower() not in IMAGE_SUFFIXES:
                    continue
                try:
                    mode = found.stat().st_mode  # a look only: the file is not opened
                except OSError as exc:
                    gone = "a broken link" if found.is_symlink() else exc.strerror
                    skipped.append((found, gone or "unreadable"))
                    continue
                if stat.S_ISREG(mode):
                    if first_time(found):
                        yield found
                elif not stat.S_ISDIR(mode):  # a folder is walked by rglob itself
                    skipped.append((found, _file_kind(mode)))
        elif first_time(path):
            yield path


#: Names Windows keeps for devices, whatever the extension: a journal must not be called so.
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"{port}{n}" for port in ("COM", "LPT") for n in range(1, 10))}
)


def default_journal_path(
    base_url: str,
    model_id: str,
    *,
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    home: Path | None = None,
) -> Path:
    """Where ``upload`` keeps its journal unless told otherwise, so that a plain re-run skips
    what landed: one file per API (the first 16 hex digits of the sha256 of ``base_url``) and
    model, under ``$XDG_STATE_HOME`` (when set to an absolute path, on any system) or the
    system's own place (``~/.local/state``, ``~/Library/Application Support`` on macOS,
    ``%LOCALAPPDATA%`` on Windows), in ``scenario-async/journals``."""
    home = Path.home() if home is None else home
    xdg = environ.get("XDG_STATE_HOME", "")
    if xdg and os.path.isabs(xdg):
        root = Path(xdg)
    elif platform == "win32":
        root = Path(environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif platform == "darwin":
        root = home / "Library" / "Application Support"
    else:
        root = home / ".local" / "state"
    api = hashlib.sha256(base_url.encode()).hexdigest()[:16]
    return root / "scenario-async" / "journals" / api / f"{_file_stem(model_id)}.jsonl"


def _file_stem(model_id: str) -> str:
    """``model_id`` as a file name on any system: letters, digits and ``_.-~`` kept, anything
    else as ``%XX`` (so two ids never share a file), a device name of Windows escaped, a very
    long id cut and completed by its hash."""
    stem = urllib.parse.quote(model_id, safe="")
    if stem.partition(".")[0].upper() in _WINDOWS_DEVICES:
        stem = f"%{ord(stem[0]):02X}{stem[1:]}"
    if len(stem) > 150:
        stem = f"{stem[:120]}-{hashlib.sha256(model_id.encode()).hexdigest()[:16]}"
    return stem


def _journal_for(args: argparse.Namespace, base_url: str) -> Path | None:
    """The journal ``upload`` uses (None with ``--no-journal``), its folder made, its place
    told on stderr: the user needs it to resume elsewhere or to start afresh."""
    if args.no_journal:
        return None
    path: Path = args.journal or default_journal_path(base_url, args.model_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"journal: {path}", file=sys.stderr)
    return path


def _human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


def _outcome_json(result: BulkResult) -> list[dict[str, Any]]:
    return [
        {
            "source": str(o.source),
            "ok": o.ok,
            "status": o.status,
            "skipped": o.skipped,
            "trainingImageId": o.training_image.id if o.training_image else None,
            "assetId": o.asset_id,
            "error": f"{type(o.error).__name__}: {o.error}" if o.error else None,
        }
        for o in result
    ]


# Upload ---------------------------------------------------------------------------------


class _Bar:
    """A rich progress bar on stderr, drawn only when ``enabled`` (not with ``--json``)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def _open(self, progress: Progress, description: str, **fields: Any) -> None:
        self.progress = progress
        progress.__enter__()
        self.task = progress.add_task(description, **fields)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)


class _UploadBar(_Bar):
    """Draws add_many's progress events: images done of total, bytes sent, rate, ETA."""

    def __init__(self, description: str, total: int | None, enabled: bool) -> None:
        super().__init__(enabled)
        self.description = description
        self.total = total
        self.sent = 0

    def __enter__(self) -> _UploadBar:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                ProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.text import Text

            class Rate(ProgressColumn):
                def render(self, task: Task) -> Text:
                    speed = task.finished_speed or task.speed
                    return Text(f"{speed:.1f} img/s" if speed else "-- img/s")

            progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[sent]}"),
                Rate(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=_console(),
            )
            self._open(progress, self.description, total=self.total, sent="0 B")
        return self

    def __call__(self, event: ProgressEvent) -> None:
        if self.progress is None or self.task is None:
            return
        if event.kind.startswith("item_"):
            self.sent += event.bytes
            self.progress.update(self.task, advance=1, sent=_human_bytes(self.sent))


async def _run_upload(
    client: AsyncScenario,
    args: argparse.Namespace,
    model_id: str,
    sources: Sequence[Any],
    *,
    asset_ids: Sequence[str] = (),
    description: str = "uploading",
    concurrency: int = 8,
    via_assets: bool = False,
    journal: Path | None = None,
) -> BulkResult:
    total = len(sources) + len(asset_ids)
    with _UploadBar(description, total, enabled=not args.json) as bar:
        return await client.models.training_images.add_many(
            model_id,
            sources,
            asset_ids=asset_ids or None,
            concurrency=concurrency,
            preset=getattr(args, "preset", None),
            via_assets=via_assets,
            on_progress=bar,
            journal=journal,
            project_id=args.project_id,
        )


def _summary_table(title: str, rows: Sequence[tuple[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(key, str(value))
    return table


def _failure_lines(result: BulkResult) -> list[str]:
    return [f"{o.source}: {type(o.error).__name__}: {o.error}" for o in result.failed]


async def _upload(args: argparse.Namespace) -> int:
    if not args.model_id.strip():
        raise CLIError("MODEL_ID must not be empty")
    repeats: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    sources = list(_walk(args.paths, repeats, skipped))
    if skipped:
        first, kind = skipped[0]
        print(
            f"{len(skipped)} path(s) found in folders are not regular files and were skipped "
            f"(first: {first}, {kind})",
            file=sys.stderr,
        )
    if not sources:
        raise CLIError("no image files found in the given paths")
    if repeats:
        print(
            f"{len(repeats)} path(s) name a file given before (first: {repeats[0]}): "
            "each file is uploaded once",
            file=sys.stderr,
        )
    started = time.monotonic()
    stopped: BulkAbortedError | None = None
    async with _client(args) as client:
        journal = _journal_for(args, client.base_url)
        try:
            result = await _run_upload(
                client,
                args,
                args.model_id,
                sources,
                concurrency=args.concurrency,
                via_assets=args.via_assets,
                journal=journal,
            )
        except BulkAbortedError as error:
            # Credentials refused or the API unreachable: one line, not one per image.
            stopped, result = error, error.result
    elapsed = time.monotonic() - started
    counts = result.counts()
    _out(
        args,
        {**counts, "seconds": round(elapsed, 3), "outcomes": _outcome_json(result)},
        _summary_table(
            f"upload to {args.model_id}",
            [*counts.items(), ("seconds", f"{elapsed:.2f}")],
        ),
    )
    if stopped is not None:
        print(f"scenario-async: {stopped}", file=sys.stderr)
        return EXIT_FAILED
    if result.failed:
        for line in _failure_lines(result):
            print(f"failed: {line}", file=sys.stderr)
        return EXIT_FAILED
    return 0


# Training -------------------------------------------------------------------------------


def _parse_params(items: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise CLIError(f"--param expects KEY=VALUE, got {item!r}")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


class _TrainingBar(_Bar):
    """Draws train.wait's polls: stage and progress of the run."""

    def __enter__(self) -> _TrainingBar:
        if self.enabled:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

            progress = Progress(
                TextColumn("training"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[stage]}"),
                TextColumn("{task.fields[remaining]}"),
                console=_console(),
            )
            self._open(progress, "training", total=1.0, stage="", remaining="")
        return self

    def __call__(self, model: Model) -> None:
        if self.progress is None or self.task is None:
            return
        tp = model.training_progress
        done = 1.0 if model.status == "trained" else (tp.progress or 0.0) if tp else 0.0
        remaining = ""
        if tp is not None and tp.remaining_time_ms and model.status != "trained":
            remaining = f"~{tp.remaining_time_ms / 1000:.0f} s left"
        stage = str(model.status) if tp is None or model.status != "training" else str(tp.stage)
        self.progress.update(self.task, completed=done, stage=stage, remaining=remaining)


async def _train_and_maybe_wait(
    client: AsyncScenario, args: argparse.Namespace, model_id: str, params: dict[str, Any]
) -> dict[str, Any]:
    answer = await client.models.train.trigger(
        model_id,
        parameters=params or None,
        dry_run=True if args.dry_run else None,
        project_id=args.project_id,
    )
    report: dict[str, Any] = {
        "modelId": model_id,
        "creativeUnitsCost": answer.creative_units_cost,
        "jobId": answer.job.job_id if answer.job else None,
        "status": str(answer.model.status) if answer.model else None,
    }
    if args.wait and not args.dry_run:
        with _TrainingBar(enabled=not args.json) as bar:
            model = await client.models.train.wait(
                model_id,
                poll_interval=args.poll_interval,
                on_progress=bar,
                project_id=args.project_id,
            )
        report["status"] = str(model.status)
    return report


async def _train(args: argparse.Namespace) -> int:
    params = _parse_params(args.param)
    async with _client(args) as client:
        try:
            report = await _train_and_maybe_wait(client, args, args.model_id, params)
        except TrainingError as exc:
            _out(args, {"modelId": args.model_id, "error": str(exc)}, f"[red]{exc}[/red]")
            return EXIT_FAILED
    _out(args, report, _summary_table(f"training {args.model_id}", list(report.items())))
    return 0


# Pairs, delete, model ---------------------------------------------------------------------


async def _pairs(args: argparse.Namespace) -> int:
    try:
        body = json.loads(args.file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CLIError(f"{args.file} is not valid JSON: {exc}") from None
    async with _client(args) as client:
        answer = await client.models.training_images.replace_pairs(
            args.model_id, body=body, project_id=args.project_id
        )
    data = {"count": answer.count, "pairs": unstructure(answer.pairs or [])}
    _out(args, data, _summary_table(f"pairs of {args.model_id}", [("count", answer.count)]))
    return 0


async def _delete(args: argparse.Namespace) -> int:
    results: list[dict[str, Any]] = []
    async with _client(args) as client:
        for image_id in args.training_image_ids:
            try:
                await client.models.training_images.delete(
                    image_id, model_id=args.model_id, project_id=args.project_id
                )
                results.append({"trainingImageId": image_id, "ok": True, "error": None})
            except APIError as exc:
                results.append({"trainingImageId": image_id, "ok": False, "error": str(exc)})
    rows = [(r["trainingImageId"], "deleted" if r["ok"] else r["error"]) for r in results]
    _out(args, results, _summary_table(f"delete from {args.model_id}", rows))
    return 0 if all(r["ok"] for r in results) else EXIT_FAILED


async def _model(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        model = (await client.models.retrieve(args.model_id, project_id=args.project_id)).model
    tp = model.training_progress
    rows = [
        ("id", model.id),
        ("name", model.name),
        ("status", model.status),
        ("training images", model.training_images_number),
        ("stage", tp.stage if tp else "-"),
        ("progress", f"{(tp.progress or 0) * 100:.0f} %" if tp else "-"),
    ]
    _out(args, unstructure(model), _summary_table(f"model {model.id}", rows))
    return 0


# Demo -------------------------------------------------------------------------------------


@asynccontextmanager
async def _demo_server(args: argparse.Namespace) -> Any:
    """The embedded fake API, unless the user pointed the demo somewhere else."""
    if args.base_url:
        yield None
        return
    from .testing import FakeScenario

    async with FakeScenario(
        queue_duration=min(0.5, args.training_seconds / 4),
        training_duration=args.training_seconds,
        latency=0.02,
        models=["demo_model"],  # the fake knows only the models it is given
    ) as fake:
        yield fake


async def _demo(args: argparse.Namespace) -> int:
    from .images import Image
    from .testing import make_png

    if args.images < 1:
        raise CLIError("--images must be at least 1")
    started = time.monotonic()
    server: AbstractAsyncContextManager[Any] = _demo_server(args)
    async with server as fake:
        overrides = (
            {"api_key": fake.api_key, "api_secret": fake.api_secret, "base_url": fake.base_url}
            if fake is not None
            else {}
        )
        model_id = "demo_model"
        with tempfile.TemporaryDirectory(prefix="scenario-async-demo-") as folder:
            paths = []
            for i in range(args.images):
                path = Path(folder) / f"demo-{i:03}.png"
                path.write_bytes(make_png(64, 64, ((i * 37) % 256, (i * 91) % 256, 160)))
                paths.append(path)
            async with _client(args, **overrides) as client:
                uploaded = await _run_upload(client, args, model_id, paths, description="images  ")
                assets = [
                    Image.from_bytes(make_png(48, 48, (20, (i * 53) % 256, 90)), name=f"a{i}.png")
                    for i in range(12)
                ]
                asset_ids = await asyncio.gather(
                    *(client.assets.upload(image=a.data_url(), name=a.name) for a in assets)
                )
                by_id = await _run_upload(
                    client,
                    args,
                    model_id,
                    [],
                    asset_ids=[a.asset.id or "" for a in asset_ids],
                    description="asset ids",
                )
                args.dry_run = False
                args.wait = True
                args.poll_interval = max(0.05, args.training_seconds / 20)
                training = await _train_and_maybe_wait(
                    client, args, model_id, {"max_train_steps": 500}
                )
    batches = (len(by_id) + 9) // 10
    summary = {
        "model": model_id,
        "imagesUploaded": uploaded.counts(),
        "assetIdsAdded": by_id.counts(),
        "assetIdBatches": batches,
        "training": training["status"],
        "seconds": round(time.monotonic() - started, 2),
        "server": "embedded fake Scenario API" if fake is not None else args.base_url,
    }
    rows = [
        ("images uploaded", f"{len(uploaded.succeeded)} of {len(uploaded)}"),
        ("asset ids added", f"{len(by_id.succeeded)} of {len(by_id)} in {batches} batches"),
        ("training", training["status"]),
        ("seconds", summary["seconds"]),
        ("server", summary["server"]),
    ]
    _out(args, summary, _summary_table("scenario-async demo", rows))
    failed = uploaded.failed or by_id.failed or training["status"] != "trained"
    return EXIT_FAILED if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
