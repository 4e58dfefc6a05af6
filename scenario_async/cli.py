"""The ``scenario-async`` command line: upload, train, pairs, delete, the ``models`` and
``jobs`` groups (``model`` is ``models show``), and demo.

Progress bars and tables come from rich when it is installed (``scenario-async[cli]``;
imported here only, so the library itself never pays for it), plain lines of text when it is
not. Progress goes to stderr and results to stdout; ``--json`` prints results as JSON and
draws nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import typing
import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from attrs import define, field

from . import __version__
from ._client import AsyncScenario
from ._convert import unstructure
from ._errors import APIError, MissingCredentialsError, ScenarioError, TrainingError
from .bulk import (
    MAX_CONCURRENCY,
    UPLOADS_ABOVE,
    BulkAbortedError,
    BulkResult,
    ProgressEvent,
    Via,
)
from .images import IMAGE_SUFFIXES, _file_kind
from .journal import NotAJournalError
from .resources.jobs import MAX_JOBS_PAGE
from .resources.models import _STATUSES as MODEL_LIST_STATUSES
from .resources.models import MAX_MODELS_PAGE
from .types.common import ModelType
from .types.jobs import Job, JobStatus, JobType
from .types.models import Model
from .types.parameters import LrScheduler, TrainingParameters
from .types.train import CostEstimate

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, Task, TaskID
    from rich.text import Text

__all__ = ["default_journal_path", "main"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

MODEL_TYPES = tuple(t.value for t in ModelType)
JOB_STATUSES = tuple(s.value for s in JobStatus)
JOB_TYPES = tuple(t.value for t in JobType)
#: The statuses of a job that has ended: waiting stops there.
JOB_ENDS = ("success", "failure", "canceled")
#: How long ``--wait`` waits for a job unless told (as ``train.wait``).
DEFAULT_WAIT_TIMEOUT = 4 * 3600.0


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
    except (CLIError, MissingCredentialsError, NotAJournalError) as exc:
        print(f"scenario-async: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ScenarioError, OSError) as exc:
        print(f"scenario-async: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line on stderr and exit status 2: the line names the command
    and the mistake; ``--help`` has the usage, which would bury the line in scripts' logs."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _identifier(text: str) -> str:
    """An id or name argument: a blank one is a usage mistake, not a request."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def _count(most: int | None = None) -> Callable[[str], int]:
    """An argument type: a whole number from 1 (to ``most``)."""
    span = "at least 1" if most is None else f"from 1 to {most}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1 or (most is not None and value > most):
            raise argparse.ArgumentTypeError(f"must be a whole number {span}, got {text!r}")
        return value

    return parse


def _concurrency(text: str) -> int | str:
    """``--concurrency``: ``auto`` or a whole number from 1 to MAX_CONCURRENCY."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return _count(MAX_CONCURRENCY)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f'must be "auto" or a whole number from 1 to {MAX_CONCURRENCY}, got {text!r}'
        ) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="print machine-readable JSON")
    common.add_argument("--api-key", help="default: $SCENARIO_SDK_API_KEY")
    common.add_argument("--api-secret", help="default: $SCENARIO_SDK_API_SECRET")
    common.add_argument("--base-url", help="default: $SCENARIO_BASE_URL or Scenario's API")
    common.add_argument("--project-id", help="the project that owns the model")

    parser = _Parser(
        prog="scenario-async", description="Scenario model training from the command line."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    upload = commands.add_parser(
        "upload", parents=[common], help="add image files (directories are walked)"
    )
    upload.add_argument("model_id")
    upload.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="image files, and folders walked for .png, .jpg, .jpeg, .webp and .gif files",
    )
    upload.add_argument(
        "--include-hidden",
        action="store_true",
        help="also upload hidden files and folders found in folders (.name, macOS ._name)",
    )
    upload.add_argument(
        "--concurrency",
        type=_concurrency,
        default="auto",
        help=f"requests in flight: auto (finds the pace the API allows) or 1 to "
        f"{MAX_CONCURRENCY} (default: auto)",
    )
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
    route = upload.add_mutually_exclusive_group()
    route.add_argument(
        "--via",
        choices=["auto", "data_url", "assets", "uploads"],
        default="auto",
        help="how images go: data_url (in the add request), assets (uploaded as assets "
        "first), uploads (raw bytes in parts, for large files); auto: files over "
        f"{UPLOADS_ABOVE // 2**20} MiB by uploads, the rest by data URL (default: auto)",
    )
    route.add_argument(
        "--via-assets",
        dest="via",
        action="store_const",
        const="assets",
        help="the same as --via assets",
    )
    upload.set_defaults(handler=_upload)

    train = commands.add_parser("train", parents=[common], help="start training a model")
    train.add_argument("model_id", type=_identifier)
    train.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a training parameter (JSON values are parsed: 500, true, [1,2])",
    )
    train.add_argument("--dry-run", action="store_true", help="only estimate the cost")
    train.add_argument("--wait", action="store_true", help="wait until training ends")
    train.add_argument("--poll-interval", type=_seconds, default=5.0, metavar="SECONDS")
    train.set_defaults(handler=_train)

    pairs = commands.add_parser("pairs", parents=[common], help="replace a model's image pairs")
    pairs.add_argument("model_id")
    pairs.add_argument("file", type=Path, help="JSON list of {instruction, sourceId, targetId}")
    pairs.set_defaults(handler=_pairs)

    delete = commands.add_parser("delete", parents=[common], help="delete training images")
    delete.add_argument("model_id")
    delete.add_argument("training_image_ids", nargs="+", metavar="TRAINING_IMAGE_ID")
    delete.set_defaults(handler=_delete)

    _models_parser(commands, common)
    _jobs_parser(commands, common)

    model = commands.add_parser("model", parents=[common], help="show a model (= models show)")
    model.add_argument("model_id", type=_identifier)
    model.set_defaults(handler=_models_show)

    demo = commands.add_parser(
        "demo", parents=[common], help="the whole workflow against an embedded fake API"
    )
    demo.add_argument(
        "--images", type=int, default=24, help="how many images to make (default: 24)"
    )
    demo.add_argument(
        "--training-seconds",
        type=_seconds,
        default=2.0,
        help="how long the embedded fake trains (default: 2.0)",
    )
    demo.add_argument(
        "--yes",
        action="store_true",
        help="with --base-url: yes, create a model there, upload images and start a paid "
        "training run",
    )
    demo.set_defaults(handler=_demo)
    _explain(parser)
    return parser


#: What an argument is, for those whose meaning is the same in every command.
_ARGUMENT_HELP = {
    "model_id": "the model's id",
    "model_ids": "the models' ids",
    "job_id": "the job's id",
    "training_image_ids": "the training images' ids",
    "name": "the model's name",
    "preset": "how the service prepares the images (default: the service's)",
    "poll_interval": "seconds between two looks at the run (default: %(default)s)",
    "status": "only those of this status: %(choices)s",
    "class_slug": "the model's class, such as a person or an object",
    "base_model_id": "the model to start from",
    "thumbnail": "the asset to show as the model's thumbnail",
}


def _explain(parser: argparse.ArgumentParser) -> None:
    """Give every argument of every command a help text: those written where they are made
    stay, the common ones come from ``_ARGUMENT_HELP``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _explain(sub)
        elif action.help is None and action.dest in _ARGUMENT_HELP:
            action.help = _ARGUMENT_HELP[action.dest]


def _model_fields_options(command: argparse.ArgumentParser) -> None:
    """The options ``models create`` and ``models update`` share."""
    command.add_argument(
        "--type",
        choices=MODEL_TYPES,
        metavar="TYPE",
        help="the model type, such as flux.1-lora (a wrong one lists them all)",
    )
    command.add_argument("--description", help="the model's short description")
    command.add_argument("--class-slug", type=_identifier, metavar="SLUG")


def _wait_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--poll-interval", type=_seconds, default=2.0, metavar="SECONDS", help="default: 2"
    )
    command.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="SECONDS",
        help="give up waiting after this long (default: 4 hours); the job goes on",
    )


def _models_parser(commands: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    group = commands.add_parser(
        "models", help="create, list, show, update, delete, restore, copy and download models"
    )
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", parents=[common], help="create an empty model")
    create.add_argument("name", type=_identifier)
    _model_fields_options(create)
    create.add_argument("--base-model-id", type=_identifier, metavar="MODEL_ID")
    create.set_defaults(handler=_models_create)

    listing = actions.add_parser(
        "list", parents=[common], help="list models, a row per model as pages arrive"
    )
    listing.add_argument("--status", choices=MODEL_LIST_STATUSES)
    listing.add_argument("--type", choices=MODEL_TYPES, metavar="TYPE", help="a model type")
    listing.add_argument(
        "--page-size",
        type=_count(MAX_MODELS_PAGE),
        metavar="N",
        help=f"models per page, 1 to {MAX_MODELS_PAGE} (default: the service's, 100)",
    )
    listing.add_argument("--limit", type=_count(), metavar="N", help="stop after N models")
    listing.set_defaults(handler=_models_list)

    show = actions.add_parser("show", parents=[common], help="show a model")
    show.add_argument("model_id", type=_identifier)
    show.set_defaults(handler=_models_show)

    update = actions.add_parser(
        "update", parents=[common], help="change what is given, and only that"
    )
    update.add_argument("model_id", type=_identifier)
    update.add_argument("--name", type=_identifier)
    _model_fields_options(update)
    update.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a training parameter to keep for the next run (as for train)",
    )
    update.add_argument("--thumbnail", type=_identifier, metavar="ASSET_ID")
    update.add_argument("--epoch", type=_identifier, help="the epoch a trained model uses")
    update.set_defaults(handler=_models_update)

    delete = actions.add_parser(
        "delete",
        parents=[common],
        help="delete models; no confirmation asked, as `models restore` brings one back",
        description="Delete models. No confirmation is asked: a deleted model is kept, "
        "`models list --status deleted` lists it and `models restore MODEL_ID` brings it back.",
    )
    delete.add_argument("model_ids", nargs="+", type=_identifier, metavar="MODEL_ID")
    delete.set_defaults(handler=_models_delete)

    restore = actions.add_parser("restore", parents=[common], help="bring back a deleted model")
    restore.add_argument("model_id", type=_identifier)
    restore.set_defaults(handler=_models_restore)

    copy = actions.add_parser("copy", parents=[common], help="copy a model as a new one")
    copy.add_argument("model_id", type=_identifier)
    copy.add_argument(
        "--as-trained", action="store_true", help="copy a trained model's training too"
    )
    copy.set_defaults(handler=_models_copy)

    download = actions.add_parser(
        "download", parents=[common], help="prepare a trained model's weights for download"
    )
    download.add_argument("model_id", type=_identifier)
    download.add_argument(
        "--epoch", type=_identifier, help="an epoch's weights (default: the model's)"
    )
    when = download.add_mutually_exclusive_group()
    when.add_argument("--dry-run", action="store_true", help="only estimate the cost")
    when.add_argument("--wait", action="store_true", help="wait for the job, print the link")
    _wait_options(download)
    download.set_defaults(handler=_models_download)


def _jobs_parser(commands: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    group = commands.add_parser("jobs", help="list and show jobs (training runs, downloads, ...)")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser(
        "list", parents=[common], help="list jobs, newest first, a row per job as pages arrive"
    )
    listing.add_argument("--status", choices=JOB_STATUSES)
    listing.add_argument("--type", choices=JOB_TYPES, metavar="TYPE", help="such as model-training")
    listing.add_argument(
        "--page-size",
        type=_count(MAX_JOBS_PAGE),
        metavar="N",
        help=f"jobs per page, 1 to {MAX_JOBS_PAGE} (default: the service's, 50)",
    )
    listing.add_argument("--limit", type=_count(), metavar="N", help="stop after N jobs")
    listing.set_defaults(handler=_jobs_list)

    show = actions.add_parser("show", parents=[common], help="show a job")
    show.add_argument("job_id", type=_identifier)
    show.add_argument("--wait", action="store_true", help="wait until the job ends")
    _wait_options(show)
    show.set_defaults(handler=_jobs_show)


# Helpers ------------------------------------------------------------------------------


def _client(args: argparse.Namespace, **overrides: Any) -> AsyncScenario:
    try:
        return AsyncScenario(
            api_key=overrides.get("api_key", args.api_key),
            api_secret=overrides.get("api_secret", args.api_secret),
            base_url=overrides.get("base_url", args.base_url),
        )
    except ValueError as exc:  # a --base-url that is no http(s) URL, say
        if isinstance(exc, MissingCredentialsError):
            raise
        raise CLIError(str(exc).replace("base_url", "--base-url")) from None


@functools.cache
def _rich_installed() -> bool:
    """Whether rich is there to draw (the ``cli`` extra): plain text otherwise."""
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def _console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _out(args: argparse.Namespace, data: Any, human: Any) -> None:
    """Print ``data`` as JSON with ``--json``; otherwise print ``human``: a rich renderable,
    a table, or a line with rich's colour markup (dropped in plain text)."""
    if args.json:
        print(json.dumps(data, indent=2, default=str))
    elif _rich_installed():
        from rich.console import Console

        Console().print(human)
    else:
        text = human if isinstance(human, (str, _PlainTable)) else repr(human)
        print(re.sub(r"\[/?(?:red|green|yellow|bold)\]", "", str(text)))


class _PlainTable:
    """A table of labels and values as lines of text, for when rich is not installed."""

    def __init__(self, title: str, rows: Sequence[tuple[str, Any]]) -> None:
        self.title = title
        self.rows = rows

    def __str__(self) -> str:
        width = max((len(_snake_case(key)) for key, _ in self.rows), default=0)
        lines = [_plain(self.title)]
        lines += [f"  {_snake_case(key):<{width}}  {_plain(value)}" for key, value in self.rows]
        return "\n".join(lines)


@define
class _Found:
    """What walking the given paths found: the image files to upload, in a stable order,
    and what was left out, for the messages."""

    files: list[Path] = field(factory=list)
    #: Paths naming a file already found (given twice, with its folder, by another path).
    repeats: list[Path] = field(factory=list)
    #: Paths found in folders that are no regular files, with what they are.
    special: list[tuple[Path, str]] = field(factory=list)
    #: Symbolic links found in folders: not followed.
    links: list[Path] = field(factory=list)
    #: Hidden files and folders found in folders (``.name``, macOS's ``._name``).
    hidden: list[Path] = field(factory=list)


def _walk(paths: Sequence[Path], include_hidden: bool = False) -> _Found:
    """Files as given, and the image files found under directories (by suffix), sorted. A
    file reached twice is one item, kept where first seen, so it is not uploaded twice.

    In folders, what is not a plain image file is left out and counted: anything that is no
    regular file (a FIFO, a device, a socket), symbolic links (followed, they could reach
    the same image twice, one outside the folder, or loop), and unless ``include_hidden``
    hidden files and folders, among them the ``._*`` companions macOS writes next to each
    file on other file systems (they have an image's suffix and hold no image). A path given
    by name is always an item: the user named it, and a special file then fails as one.
    """
    missing = [path for path in paths if not os.path.lexists(path)]
    if missing:  # a mistyped path: a usage mistake, found before anything is sent
        raise CLIError(f"no such file or folder: {missing[0]}")
    found = _Found()
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key in seen:
            found.repeats.append(path)
        else:
            seen.add(key)
            found.files.append(path)

    for path in paths:
        if not path.is_dir():
            add(path)
            continue
        in_folder: list[Path] = []
        for folder, folders, names in os.walk(path):  # links to folders are not followed
            base = Path(folder)
            for name in list(folders):
                if os.path.islink(base / name):
                    found.links.append(base / name)
                    folders.remove(name)
                elif name.startswith(".") and not include_hidden:
                    found.hidden.append(base / name)
                    folders.remove(name)
            for name in names:
                file = base / name
                if file.suffix.lower() not in IMAGE_SUFFIXES:
                    continue
                if os.path.islink(file):
                    found.links.append(file)
                elif name.startswith(".") and not include_hidden:
                    found.hidden.append(file)
                else:
                    in_folder.append(file)
        for file in sorted(in_folder):
            try:
                mode = file.lstat().st_mode  # a look only: the file is not opened
            except OSError as exc:
                found.special.append((file, exc.strerror or "unreadable"))
                continue
            if stat.S_ISREG(mode):
                add(file)
            else:
                found.special.append((file, _file_kind(mode)))
    return found


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
    """A rich progress bar on stderr, drawn only when ``enabled`` (not with ``--json``) and
    rich is installed; without rich, ``plain`` is set and the bar writes lines instead."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and _rich_installed()
        self.plain = enabled and not _rich_installed()
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self._said = ""
        self._said_at = 0.0
        self._state = ""

    def say(self, line: str, *, state: str = "", every: float = 0.0) -> None:
        """Without rich: ``line`` on stderr when it says something new, at once when its
        ``state`` changed (a stage, a status), else at most once per ``every`` seconds."""
        now = time.monotonic()
        news = state != self._state or now - self._said_at >= every
        if self.plain and line != self._said and news:
            print(line, file=sys.stderr, flush=True)
            self._said, self._said_at, self._state = line, now, state

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
        self.done = 0
        #: The inputs whose failure was told as it happened.
        self.failures_told: set[int] = set()

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
                TextColumn("{task.fields[limit]} in flight"),
                Rate(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=_console(),
            )
            self._open(progress, self.description, total=self.total, sent="0 B", limit="-")
        return self

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind == "item_failed" and event.index is not None:
            # Said as it happens, above the bar: a long run's first failure should not
            # wait for the end to be seen (and Ctrl-C'd if it is the same for all).
            self.failures_told.add(event.index)
            line = f"failed: {_failure_line(event.source, event.error)}"
            if self.progress is not None:
                from rich.text import Text

                self.progress.console.print(Text(line))
            else:
                print(line, file=sys.stderr, flush=True)
        if event.kind.startswith("item_"):
            self.done += 1
            self.say(
                f"{self.description.strip()}: {self.done} of {self.total} images, "
                f"{_human_bytes(self.sent + event.bytes)}, {event.concurrency} in flight",
                state="done" if self.done == self.total else "",
                every=2.0,
            )
        if self.progress is None or self.task is None:
            self.sent += event.bytes
            return
        if event.kind.startswith("item_"):
            self.sent += event.bytes
            limit = "-" if event.concurrency is None else event.concurrency
            self.progress.update(self.task, advance=1, sent=_human_bytes(self.sent), limit=limit)


async def _run_upload(
    client: AsyncScenario,
    args: argparse.Namespace,
    model_id: str,
    sources: Sequence[Any],
    *,
    asset_ids: Sequence[str] = (),
    description: str = "uploading",
    concurrency: int | Literal["auto"] = 8,
    via: Via = "auto",
    journal: Path | None = None,
    told: set[int] | None = None,
) -> BulkResult:
    """add_many under a progress bar; the indexes of the failures it told as they happened
    are added to ``told``."""
    total = len(sources) + len(asset_ids)
    with _UploadBar(description, total, enabled=not args.json) as bar:
        if told is not None:
            bar.failures_told = told
        return await client.models.training_images.add_many(
            model_id,
            sources,
            asset_ids=asset_ids or None,
            concurrency=concurrency,
            preset=getattr(args, "preset", None),
            via=via,
            on_progress=bar,
            journal=journal,
            project_id=args.project_id,
        )


def _summary_table(title: str, rows: Sequence[tuple[str, Any]]) -> Any:
    if not _rich_installed():
        return _PlainTable(title, rows)
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(_plain(title)), show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")  # a long link wraps whole, never cut short
    for key, value in rows:
        # Text: brackets in a name are not markup
        table.add_row(_snake_case(key), Text(_plain(value)))
    return table


def _snake_case(label: str) -> str:
    """A table's label in snake_case, as the SDK names things (``creativeUnitsCost``, a
    key of the ``--json`` output, which keeps the API's wire names, reads
    ``creative_units_cost``); labels written as words are left as they are."""
    if not _CAMEL_KEY.fullmatch(label):  # an id, a name, words: shown as they are
        return label
    return re.sub(r"[A-Z]", lambda m: "_" + m[0].lower(), label)


#: A key of a JSON report in camelCase (``creativeUnitsCost``), not an id or a name.
_CAMEL_KEY = re.compile(r"[a-z]+(?:[A-Z][a-z]+)+")


def _plain(value: object) -> str:
    """``value`` as text safe on a terminal: names come from the server, and a control
    character in one (an escape sequence) would otherwise act on the user's screen."""
    text = "-" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _failure_line(source: Any, error: BaseException | None) -> str:
    return f"{source}: {type(error).__name__}: {error}"


async def _upload(args: argparse.Namespace) -> int:
    if not args.model_id.strip():
        raise CLIError("MODEL_ID must not be empty")
    found = _walk(args.paths, args.include_hidden)
    sources, repeats = found.files, found.repeats
    if found.special:
        first, kind = found.special[0]
        print(
            f"{len(found.special)} path(s) found in folders are not regular files and were "
            f"skipped (first: {first}, {kind})",
            file=sys.stderr,
        )
    if found.links:
        print(
            f"{len(found.links)} symbolic link(s) found in folders were skipped (first: "
            f"{found.links[0]}): links are not followed, so that no image is reached twice "
            "or from outside the folder; give a link by name to upload what it points to",
            file=sys.stderr,
        )
    if found.hidden:
        print(
            f"{len(found.hidden)} hidden file(s) or folder(s) were skipped (first: "
            f"{found.hidden[0]}); --include-hidden uploads them",
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
    told: set[int] = set()
    async with _client(args) as client:
        journal = _journal_for(args, client.base_url)
        try:
            result = await _run_upload(
                client,
                args,
                args.model_id,
                sources,
                concurrency=args.concurrency,
                via=args.via,
                journal=journal,
                told=told,
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
        for outcome in result.failed:  # those not told yet: repeats of a failed input
            if outcome.index not in told:
                print(f"failed: {_failure_line(outcome.source, outcome.error)}", file=sys.stderr)
        return EXIT_FAILED
    return 0


# Training -------------------------------------------------------------------------------


def _parse_params(items: Sequence[str]) -> dict[str, Any]:
    """``--param KEY=VALUE`` values (JSON, or else a string), each known key checked against
    the type the published parameters give it, so that a typo fails here, before a paid
    training run is asked for. Keys this version does not know are sent as they are."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise CLIError(f"--param expects KEY=VALUE, got {item!r}")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
        problem = _param_problem(key, params[key])
        if problem:
            raise CLIError(f"--param {key}: {problem}, got {raw!r}")
    return params


def _param_problem(key: str, value: Any) -> str | None:
    """What is wrong with ``value`` for the training parameter ``key`` (snake_case or the
    API's camelCase), or None."""
    hints = typing.get_type_hints(TrainingParameters)
    field = key if key in hints else re.sub(r"[A-Z]", lambda m: "_" + m[0].lower(), key)
    if field in ("num_unet_train_steps", "numUnetTrainSteps"):
        field = "num_u_net_train_steps"
    hint = hints.get(field)
    if hint is None or field == "extra":
        return None
    allowed = set(typing.get_args(hint)) - {type(None)}
    if LrScheduler in allowed:
        choices = sorted(str(choice.value) for choice in LrScheduler)
        return None if value in choices else f"must be one of {', '.join(choices)}"
    if float in allowed:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else "must be a number"
    if bool in allowed:
        return None if isinstance(value, bool) else "must be true or false"
    if str in allowed:
        return None if isinstance(value, str) else "must be a string"
    is_strings = isinstance(value, list) and all(isinstance(item, str) for item in value)
    return None if is_strings else 'must be a JSON list of strings, such as ["a", "b"]'


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
        tp = model.training_progress
        done = 1.0 if model.status == "trained" else (tp.progress or 0.0) if tp else 0.0
        remaining = ""
        if tp is not None and tp.remaining_time_ms and model.status != "trained":
            remaining = f"~{tp.remaining_time_ms / 1000:.0f} s left"
        stage = str(model.status) if tp is None or model.status != "training" else str(tp.stage)
        self.say(f"training: {_plain(stage)} {_percent(done)}", state=stage, every=5.0)
        if self.progress is None or self.task is None:
            return
        self.progress.update(self.task, completed=done, stage=stage, remaining=remaining)


async def _train_run(
    client: AsyncScenario,
    args: argparse.Namespace,
    model_id: str,
    params: dict[str, Any],
    *,
    dry_run: bool,
    wait: bool,
    poll_interval: float,
) -> dict[str, Any]:
    """Start a run (or ask its cost) and, with ``wait``, follow it to its end: the report
    ``train`` prints, and the demo's training steps."""
    answer = await client.models.train.trigger(
        model_id,
        parameters=params or None,
        dry_run=True if dry_run else None,
        project_id=args.project_id,
    )
    report: dict[str, Any] = {
        "modelId": model_id,
        "estimate": dry_run,
        "creativeUnitsCost": answer.creative_units_cost,
        "jobId": answer.job.job_id if answer.job else None,
        "status": str(answer.model.status) if answer.model else None,
    }
    if wait and not dry_run:
        try:
            with _TrainingBar(enabled=not args.json) as bar:
                model = await client.models.train.wait(
                    model_id,
                    poll_interval=poll_interval,
                    on_progress=bar,
                    project_id=args.project_id,
                )
        except (asyncio.CancelledError, KeyboardInterrupt):
            # Ctrl-C stops the waiting, not the run the service is paying for.
            job = report["jobId"]
            again = (
                f"scenario-async jobs show {job} --wait"
                if job
                else f"scenario-async models show {model_id}"
            )
            print(
                f"stopped waiting: the training of {model_id} goes on at the service"
                + (f" (job {job})" if job else "")
                + f"; follow it again with: {again}",
                file=sys.stderr,
            )
            raise
        report["status"] = str(model.status)
    return report


async def _train(args: argparse.Namespace) -> int:
    params = _parse_params(args.param)
    async with _client(args) as client:
        try:
            report = await _train_run(
                client,
                args,
                args.model_id,
                params,
                dry_run=args.dry_run,
                wait=args.wait,
                poll_interval=args.poll_interval,
            )
        except TrainingError as exc:
            _out(args, {"modelId": args.model_id, "error": str(exc)}, f"[red]{exc}[/red]")
            return EXIT_FAILED
    title = f"training {args.model_id}" + (" (estimate)" if args.dry_run else "")
    _out(args, report, _summary_table(title, list(report.items())))
    return 0


# Pairs, delete ---------------------------------------------------------------------------


async def _pairs(args: argparse.Namespace) -> int:
    try:
        body = json.loads(args.file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CLIError(f"no such pairs file: {args.file}") from None
    except ValueError as exc:
        raise CLIError(f"{args.file} is not valid JSON: {exc}") from None
    if not isinstance(body, list) or not all(isinstance(pair, dict) for pair in body):
        raise CLIError(
            f"{args.file} must hold a JSON list of pairs, "
            '[{"sourceId": ..., "targetId": ..., "instruction": ...}, ...]'
        )
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


# Lists: rows printed as pages arrive -------------------------------------------------------

#: A column of a list: its heading, its width (0: the last, as wide as it needs), its cell.
_Column = tuple[str, int, Callable[[Any], object]]


def _number(value: float | None) -> str:
    """A count the API sends as a JSON number: ``12``, not ``12.0``."""
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else str(value)


def _percent(progress: float | None) -> str:
    return "-" if progress is None else f"{progress * 100:.0f} %"


_MODEL_COLUMNS: Sequence[_Column] = (
    ("ID", 28, lambda m: m.id),
    ("STATUS", 10, lambda m: m.status),
    ("IMAGES", 6, lambda m: _number(m.training_images_number)),
    ("TYPE", 20, lambda m: m.type),
    ("NAME", 0, lambda m: m.name),
)
_JOB_COLUMNS: Sequence[_Column] = (
    ("ID", 28, lambda j: j.job_id),
    ("TYPE", 16, lambda j: j.job_type),
    ("STATUS", 11, lambda j: j.status),
    ("PROGRESS", 8, lambda j: _percent(j.progress)),
    ("CREATED", 0, lambda j: j.created_at),
)


class _Rows:
    """Items printed as they arrive, so a long list shows at once: aligned columns, or with
    ``--json`` the items of one JSON array written one at a time. ``end`` closes the array,
    after an error too, so that what was printed stays valid JSON."""

    def __init__(self, as_json: bool, columns: Sequence[_Column]) -> None:
        self.as_json = as_json
        self.columns = columns
        self.count = 0

    def add(self, item: Any) -> None:
        if self.as_json:
            text = json.dumps(unstructure(item), default=str)
            sys.stdout.write(("[\n  " if self.count == 0 else ",\n  ") + text)
        else:
            if self.count == 0:
                print(self._line([heading for heading, _, _ in self.columns]))
            print(self._line([_plain(cell(item)) for _, _, cell in self.columns]))
        sys.stdout.flush()
        self.count += 1

    def end(self, complete: bool) -> None:
        """Close the JSON array; an empty list is ``[]`` when it is complete, and nothing
        when the first page failed (the error says so)."""
        if self.as_json and (self.count or complete):
            print("\n]" if self.count else "[]", flush=True)

    def _line(self, cells: Sequence[str]) -> str:
        widths = [width for _, width, _ in self.columns]
        line = " ".join(
            cell.ljust(width) for cell, width in zip(cells, widths, strict=True)
        ).rstrip()
        room = _screen_width()
        if room is not None and len(line) > room:  # cut, never wrapped into the next row
            line = line[: max(room - 1, 1)] + "…"
        return line


def _screen_width() -> int | None:
    """How wide a line a terminal shows (``COLUMNS``, else the terminal's); None when the
    output goes to a file or a pipe, which gets whole lines."""
    if "COLUMNS" in os.environ or sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def _list_page_size(args: argparse.Namespace, most: int) -> int | None:
    """``--page-size``, else with ``--limit`` pages no larger than the limit: ``--limit 5``
    reads 5 items, not a page of 100."""
    if args.page_size is not None:
        return int(args.page_size)
    return None if args.limit is None else min(int(args.limit), most)


async def _print_pages(
    args: argparse.Namespace,
    pages: AsyncIterator[Any],
    field: str,
    noun: str,
    columns: Sequence[_Column],
) -> int:
    """Print the items of each page (``field`` names the page's list) as the page arrives,
    until the last page or ``--limit``; then a count on stderr."""
    rows = _Rows(args.json, columns)
    shown, more, complete = 0, False, False
    try:
        async for page in pages:
            items = getattr(page, field)
            room = len(items) if args.limit is None else args.limit - shown
            for item in items[:room]:
                rows.add(item)
            shown += min(room, len(items))
            if args.limit is not None and shown >= args.limit:
                more = len(items) > room or bool(page.next_pagination_token)
                break
        complete = True
    finally:
        rows.end(complete)
        closing = getattr(pages, "aclose", None)  # stopped at --limit: no page read ahead
        if closing is not None:
            await closing()
    tail = f" (--limit {args.limit} reached; more may match)" if more else ""
    print(f"{shown} {noun}{'' if shown == 1 else 's'}{tail}", file=sys.stderr)
    return 0


# Models -------------------------------------------------------------------------------------


def _model_rows(model: Model) -> list[tuple[str, Any]]:
    tp = model.training_progress
    rows: list[tuple[str, Any]] = [
        ("id", model.id),
        ("name", model.name),
        ("type", model.type),
        ("status", model.status),
        ("training images", _number(model.training_images_number)),
    ]
    # Each image's id, the handle ``delete`` and ``pairs`` take, with its name.
    rows += [(f"  {image.id}", image.name) for image in model.training_images or []]
    if model.short_description:
        rows.append(("description", model.short_description))
    rows += [
        ("stage", tp.stage if tp else "-"),
        ("progress", _percent(tp.progress or 0) if tp else "-"),
    ]
    return rows


def _show_model(args: argparse.Namespace, title: str, model: Model) -> None:
    """A model as every models command prints it: the whole model with ``--json``."""
    _out(args, unstructure(model), _summary_table(title, _model_rows(model)))


async def _models_create(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        answer = await client.models.create(
            name=args.name,
            type=args.type,
            short_description=args.description,
            class_slug=args.class_slug,
            base_model_id=args.base_model_id,
            project_id=args.project_id,
        )
    _show_model(args, f"created model {answer.model.id}", answer.model)
    return 0


async def _models_list(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        pages = client.models.list_pages(
            status=args.status,
            type=args.type,
            page_size=_list_page_size(args, MAX_MODELS_PAGE),
            project_id=args.project_id,
        )
        return await _print_pages(args, pages, "models", "model", _MODEL_COLUMNS)


async def _models_show(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        model = (await client.models.retrieve(args.model_id, project_id=args.project_id)).model
    _show_model(args, f"model {model.id}", model)
    return 0


async def _models_update(args: argparse.Namespace) -> int:
    given = {
        "name": args.name,
        "type": args.type,
        "short_description": args.description,
        "class_slug": args.class_slug,
        "thumbnail": args.thumbnail,
        "epoch": args.epoch,
        "parameters": _parse_params(args.param) or None,
    }
    changes = {field: value for field, value in given.items() if value is not None}
    if not changes:
        raise CLIError(
            "nothing to change: give --name, --description, --type, --class-slug, --param, "
            "--thumbnail or --epoch"
        )
    async with _client(args) as client:
        answer = await client.models.update(args.model_id, project_id=args.project_id, **changes)
    _show_model(args, f"updated model {answer.model.id}", answer.model)
    return 0


async def _models_delete(args: argparse.Namespace) -> int:
    results: list[dict[str, Any]] = []
    async with _client(args) as client:
        for model_id in args.model_ids:
            try:
                await client.models.delete(model_id, project_id=args.project_id)
                results.append({"modelId": model_id, "ok": True, "error": None})
            except APIError as exc:
                error = f"{type(exc).__name__}: {exc}"
                results.append({"modelId": model_id, "ok": False, "error": error})
    rows = [(r["modelId"], "deleted" if r["ok"] else r["error"]) for r in results]
    _out(args, results, _summary_table("delete models", rows))
    if any(r["ok"] for r in results):
        print("a deleted model comes back with: scenario-async models restore ID", file=sys.stderr)
    return 0 if all(r["ok"] for r in results) else EXIT_FAILED


async def _models_restore(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        answer = await client.models.restore(args.model_id, project_id=args.project_id)
    _show_model(args, f"restored model {answer.model.id}", answer.model)
    return 0


async def _models_copy(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        answer = await client.models.copy(
            args.model_id,
            copy_as_trained=True if args.as_trained else None,
            project_id=args.project_id,
        )
    _show_model(args, f"copy of {args.model_id}: model {answer.model.id}", answer.model)
    return 0


def _cost_rows(cost: CostEstimate) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("creative units (estimate)", cost.creative_units_cost),
        ("started", "nothing: a dry run"),
    ]
    if cost.creative_units_discount:
        rows.append(("discount", cost.creative_units_discount))
    details = unstructure(cost.cost_details) if cost.cost_details is not None else {}
    rows += [(f"  {action}", units) for action, units in details.items()]
    return rows


async def _models_download(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        if args.dry_run:
            cost = await client.models.download(
                args.model_id, dry_run=True, model_epoch=args.epoch, project_id=args.project_id
            )
            title = f"download of {args.model_id} (estimate)"
            data = {"modelId": args.model_id, "estimate": True, **unstructure(cost)}
            _out(args, data, _summary_table(title, _cost_rows(cost)))
            return 0
        if not args.wait:
            started = await client.models.download(
                args.model_id, model_epoch=args.epoch, project_id=args.project_id
            )
            print(
                f"follow it with: scenario-async jobs show {started.job_id} --wait",
                file=sys.stderr,
            )
            data = {"modelId": args.model_id, "jobId": started.job_id}
            _out(args, data, _summary_table("download started", list(data.items())))
            return 0
        report = await _download_and_wait(
            client,
            args,
            args.model_id,
            epoch=args.epoch,
            poll_interval=args.poll_interval,
            timeout=args.timeout,
        )
    rows = [(key, value) for key, value in report.items() if value is not None]
    _out(args, report, _summary_table(f"download of {args.model_id}", rows))
    return 0 if report["status"] == "success" else EXIT_FAILED


async def _download_and_wait(
    client: AsyncScenario,
    args: argparse.Namespace,
    model_id: str,
    *,
    epoch: str | None,
    poll_interval: float,
    timeout: float,
) -> dict[str, Any]:
    """Start the job that prepares the weights and follow it to its end: the report with
    the link (a failed job is told on stderr too)."""
    started = await client.models.download(model_id, model_epoch=epoch, project_id=args.project_id)
    job = await _wait_for_job(
        client, args, started.job_id, "download", poll_interval=poll_interval, timeout=timeout
    )
    report = {"modelId": model_id, **_job_outcome(job)}
    if job.status != "success":
        why = f": {report['error']}" if report["error"] else ""
        print(f"scenario-async: download job {job.job_id} ended {job.status}{why}", file=sys.stderr)
    elif report["url"] and not args.json:
        print(f"weights at {_plain(report['url'])}", file=sys.stderr)  # one line, to copy
    return report


# Jobs -------------------------------------------------------------------------------------


class _JobBar(_Bar):
    """Draws a job's polls: its progress and status."""

    def __init__(self, description: str, enabled: bool) -> None:
        super().__init__(enabled)
        self.description = description

    def __enter__(self) -> _JobBar:
        if self.enabled:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

            progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[status]}"),
                console=_console(),
            )
            self._open(progress, self.description, total=1.0, status="")
        return self

    def __call__(self, job: Job) -> None:
        done = 1.0 if job.status == "success" else job.progress or 0.0
        line = f"{self.description.strip()}: {_plain(job.status)} {_percent(done)}"
        self.say(line, state=str(job.status), every=5.0)
        if self.progress is None or self.task is None:
            return
        self.progress.update(self.task, completed=done, status=_plain(job.status))


async def _wait_for_job(
    client: AsyncScenario,
    args: argparse.Namespace,
    job_id: str,
    description: str,
    *,
    poll_interval: float,
    timeout: float,
) -> Job:
    """Poll the job until it ends (success, failure or canceled), its progress drawn on
    stderr. After ``timeout`` seconds, TimeoutError (exit 1): the job itself goes on."""
    deadline = time.monotonic() + timeout
    with _JobBar(description, enabled=not args.json) as bar:
        while True:
            job = (await client.jobs.retrieve(job_id, project_id=args.project_id)).job
            bar(job)
            if job.status in JOB_ENDS:
                return job
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"job {job_id} was still {job.status} after {timeout:g} s; it goes on "
                    f"(scenario-async jobs show {job_id} --wait)"
                )
            await asyncio.sleep(min(poll_interval, left))


def _job_outcome(job: Job) -> dict[str, Any]:
    """What a finished job left: its status, the link of a download, the error of a failure."""
    meta = job.metadata
    output = meta.output if meta is not None and meta.output else {}
    return {
        "jobId": job.job_id,
        "status": None if job.status is None else str(job.status),
        "url": output.get("url"),
        "expires": output.get("expires"),
        "error": meta.error if meta is not None else None,
    }


def _job_rows(job: Job) -> list[tuple[str, Any]]:
    given = job.metadata.input if job.metadata is not None and job.metadata.input else {}
    rows: list[tuple[str, Any]] = [
        ("id", job.job_id),
        ("type", job.job_type),
        ("status", job.status),
        ("progress", _percent(job.progress)),
        ("created", job.created_at),
        ("updated", job.updated_at),
    ]
    if given.get("modelId"):
        rows.append(("model", given["modelId"]))
    outcome = _job_outcome(job)
    for key, label in (("url", "link"), ("expires", "link expires"), ("error", "error")):
        if outcome[key]:
            rows.append((label, outcome[key]))
    return rows


async def _jobs_list(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        pages = client.jobs.list_pages(
            status=args.status,
            type=args.type,
            page_size=_list_page_size(args, MAX_JOBS_PAGE),
            project_id=args.project_id,
        )
        return await _print_pages(args, pages, "jobs", "job", _JOB_COLUMNS)


async def _jobs_show(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        if args.wait:
            job = await _wait_for_job(
                client,
                args,
                args.job_id,
                "job",
                poll_interval=args.poll_interval,
                timeout=args.timeout,
            )
        else:
            job = (await client.jobs.retrieve(args.job_id, project_id=args.project_id)).job
    _out(args, unstructure(job), _summary_table(f"job {job.job_id}", _job_rows(job)))
    return EXIT_FAILED if args.wait and job.status != "success" else 0


# Demo -------------------------------------------------------------------------------------


@asynccontextmanager
async def _demo_server(args: argparse.Namespace) -> Any:
    """The embedded fake API, unless the user pointed the demo somewhere else. It starts
    with no model: the demo creates its own, as it would on the service."""
    if args.base_url:
        yield None
        return
    from .testing import FakeScenario

    async with FakeScenario(
        queue_duration=min(0.5, args.training_seconds / 4),
        training_duration=args.training_seconds,
        latency=0.02,
    ) as fake:
        yield fake


def _say(args: argparse.Namespace, text: str) -> None:
    """A step of the demo done, told on stderr (not with ``--json``, which draws nothing)."""
    if not args.json:
        print(_plain(text), file=sys.stderr)


def _demo_images(folder: Path, count: int) -> list[Path]:
    from .testing import make_png

    paths = []
    for i in range(count):
        path = folder / f"demo-{i:03}.png"
        path.write_bytes(make_png(64, 64, ((i * 37) % 256, (i * 91) % 256, 160)))
        paths.append(path)
    return paths


async def _demo_pipeline(
    client: AsyncScenario, args: argparse.Namespace, paths: Sequence[Path]
) -> dict[str, Any]:
    """Each step of the workflow through the SDK, as a user's script runs it: create the
    model, upload images, add assets by id, score the dataset, estimate the training, train
    and wait, download. Returns the summary the demo prints."""
    from .images import Image
    from .testing import make_png

    poll = max(0.05, args.training_seconds / 20)
    model = (
        await client.models.create(
            name="scenario-async demo",
            type="flux.1-lora",
            short_description="made by scenario-async demo",
            project_id=args.project_id,
        )
    ).model
    _say(args, f"created model {model.id}")
    uploaded = await _run_upload(client, args, model.id, paths, description="images  ")
    assets = [
        Image.from_bytes(make_png(48, 48, (20, (i * 53) % 256, 90)), name=f"a{i}.png")
        for i in range(12)
    ]
    stored = await asyncio.gather(
        *(client.assets.upload(image=a.data_url(), name=a.name) for a in assets)
    )
    by_id = await _run_upload(
        client,
        args,
        model.id,
        [],
        asset_ids=[a.asset.id or "" for a in stored],
        description="asset ids",
    )
    score = await client.models.scores.retrieve_training_dataset(
        model.id, project_id=args.project_id
    )
    warnings = len(score.asset_couples_warnings or []) + len(score.assets_warnings or [])
    _say(args, f"dataset score {score.score} ({score.status}, {warnings} warnings)")
    params = {"max_train_steps": 500}
    estimate = await _train_run(
        client, args, model.id, params, dry_run=True, wait=False, poll_interval=poll
    )
    _say(args, f"training will cost {estimate['creativeUnitsCost']} creative units")
    training = await _train_run(
        client, args, model.id, params, dry_run=False, wait=True, poll_interval=poll
    )
    download = await _download_and_wait(
        client, args, model.id, epoch=None, poll_interval=poll, timeout=DEFAULT_WAIT_TIMEOUT
    )
    return {
        "model": model.id,
        "modelName": model.name,
        "imagesUploaded": uploaded.counts(),
        "assetIdsAdded": by_id.counts(),
        "assetIdBatches": (len(by_id) + 9) // 10,
        "datasetScore": {
            "score": score.score,
            "status": None if score.status is None else str(score.status),
            "warnings": warnings,
        },
        "trainingEstimate": {"creativeUnitsCost": estimate["creativeUnitsCost"]},
        "training": training["status"],
        "download": {key: download[key] for key in ("jobId", "status", "url", "expires")},
    }


async def _demo(args: argparse.Namespace) -> int:
    if args.images < 1:
        raise CLIError("--images must be at least 1")
    if args.base_url and not args.yes:
        # The demo is harmless only against its own fake: elsewhere it spends money.
        raise CLIError(
            f"the demo runs against an embedded fake API; with --base-url it would create a "
            f"model on {args.base_url}, upload {args.images} images and start a paid training "
            "run there: add --yes to do that"
        )
    started = time.monotonic()
    server: AbstractAsyncContextManager[Any] = _demo_server(args)
    async with server as fake:
        overrides = (
            {"api_key": fake.api_key, "api_secret": fake.api_secret, "base_url": fake.base_url}
            if fake is not None
            else {}
        )
        with tempfile.TemporaryDirectory(prefix="scenario-async-demo-") as folder:
            paths = _demo_images(Path(folder), args.images)
            async with _client(args, **overrides) as client:
                summary = await _demo_pipeline(client, args, paths)
    summary["seconds"] = round(time.monotonic() - started, 2)
    summary["server"] = "embedded fake Scenario API" if fake is not None else args.base_url
    uploaded, by_id = summary["imagesUploaded"], summary["assetIdsAdded"]
    score, download = summary["datasetScore"], summary["download"]
    rows = [
        ("model", f"{summary['model']} ({summary['modelName']})"),
        ("images uploaded", f"{uploaded['total'] - uploaded['failed']} of {uploaded['total']}"),
        (
            "asset ids added",
            f"{by_id['total'] - by_id['failed']} of {by_id['total']} "
            f"in {summary['assetIdBatches']} batches",
        ),
        ("dataset score", f"{score['score']} ({score['status']}, {score['warnings']} warnings)"),
        ("training estimate", f"{summary['trainingEstimate']['creativeUnitsCost']} creative units"),
        ("training", summary["training"]),
        ("download", f"{download['status']}: {download['url']}"),
        ("seconds", summary["seconds"]),
        ("server", summary["server"]),
    ]
    _out(args, summary, _summary_table("scenario-async demo", rows))
    failed = (
        uploaded["failed"]
        or by_id["failed"]
        or summary["training"] != "trained"
        or download["status"] != "success"
    )
    return EXIT_FAILED if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
