"""add_many: many training images with bounded concurrency, 10-id batches, a write-ahead
journal to resume from, progress events, and one honest outcome per input.

It is a small engine on top of the single calls (``add`` and ``assets.upload``), not a
second HTTP path: retries, timeouts and errors behave exactly as they do for one call. What
it adds is identity: an item is its content and its stored name, every training image the
run finds or is answered with is claimed by exactly one item, and no two requests whose
results could be confused are ever in flight together. docs/reliability.md states the rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import os
import sys
import time
import traceback
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sequence,
)
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeAlias, TypeVar

import anyio
import attrs
from attrs import define, field, frozen

from ._adaptive import AdaptiveLimit
from ._clock import CLOCK_MARGIN, ServerClock, parse_created_at
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ScenarioError,
    UnknownOutcomeError,
    may_have_acted,
)
from ._multipart import (
    FileStamp,
    PartSender,
    UploadFailedError,
    upload_file,
    wait_for_upload,
)
from ._offload import in_the_worker, off_the_loop, outcome_of
from ._validate import MAX_ASSET_IDS, check_bool, check_choice, check_id, check_query
from .images import Image
from .journal import Item, Journal, NotAJournalError, Send, stored_name
from .types.training_images import Preset, TrainingImage, TrainingImageAddResponse

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup  # anyio's dependency there

if TYPE_CHECKING:
    from .resources.training_images import AsyncTrainingImages

__all__ = [
    "MAX_CONCURRENCY",
    "UPLOADS_ABOVE",
    "BulkAbortedError",
    "BulkResult",
    "BulkUploadError",
    "ImageSource",
    "Outcome",
    "OutcomeStatus",
    "ProgressCallbackError",
    "ProgressEvent",
    "Via",
    "add_many",
]

#: What ``add_many`` accepts per image: an Image, a file path, or a data-URL string.
ImageSource: TypeAlias = "Image | str | os.PathLike[str]"
ProgressKind = Literal[
    "started",
    "item_done",
    "item_failed",
    "item_skipped",
    "item_duplicate",
    "item_not_attempted",
    "finished",
]
#: What became of one input: ``sent`` (stored by this run), ``already_there`` (an earlier
#: run stored it, says the journal or the model), ``duplicate`` (the same item as an earlier
#: input, stored once), ``failed``, ``not_attempted`` (the run was stopped before it).
OutcomeStatus = Literal["sent", "already_there", "duplicate", "failed", "not_attempted"]
Dedupe = Literal["item", "content"]
#: How add_many sends an image: ``data_url`` (in the add request, base64), ``assets``
#: (``POST /assets`` first), ``uploads`` (a file's raw bytes in parts through ``/uploads``),
#: or ``auto``: files over UPLOADS_ABOVE bytes by uploads, everything else by data URL.
Via = Literal["auto", "data_url", "assets", "uploads"]

T = TypeVar("T")

#: More requests in flight than this would only queue up in the connection pool.
MAX_CONCURRENCY = 256

#: With ``via="auto"``, image files larger than this (bytes) go through ``/uploads``. In
#: base64 a 5 MiB file makes a request of 6.7 MiB, still under the 10 MB that API gateways
#: commonly refuse beyond; above it the raw bytes in parts save a third of the traffic and
#: the encoding, and a file's size no longer sets the memory a request needs.
UPLOADS_ABOVE = 5 * 2**20


@frozen
class ProgressEvent:
    """What ``on_progress`` receives.

    ``started`` carries ``total`` (``None`` when the input has no length); ``item_done``
    carries the ``bytes`` sent for that item; ``item_failed`` its ``error``; ``item_skipped``
    is an item an earlier run already stored; ``item_duplicate`` an input that repeats an
    earlier one; ``item_not_attempted`` an item left out because the run was stopped;
    ``finished`` ends the run. ``source`` is the item's ``Outcome.source``.
    ``concurrency`` is how many requests were allowed in flight as the item was settled:
    the fixed number, or where ``concurrency="auto"`` had brought its limit.
    """

    kind: ProgressKind
    index: int | None = None
    source: Any = None
    total: int | None = None
    bytes: int = 0
    error: BaseException | None = None
    concurrency: int | None = None


@frozen
class Outcome:
    """The fate of one input. ``training_image`` is set for a direct add; items attached in
    10-id batches (asset ids) carry their ``asset_id`` instead, since the API answers one
    training image per batch. ``name`` is the stored name and ``sha256`` the content's hash
    (both None for an input that could not be read, or for a bare asset id).

    ``source`` is the input as given when it holds no image data (a path, an ``Image`` of a
    file, an asset id); for an input held in memory (``Image.from_bytes``,
    ``Image.from_data_url``, a data-URL string) it is a short label such as
    ``"<in memory #3: cat.png>"`` or ``"<data URL #4>"``: a result of many images must not
    keep them all in memory. ``index``, ``name`` and ``sha256`` identify such an input."""

    index: int
    source: Any
    status: OutcomeStatus = "sent"
    training_image: TrainingImage | None = None
    error: BaseException | None = None
    asset_id: str | None = None
    name: str | None = None
    sha256: str | None = None
    #: For a ``duplicate``: the index of the input it repeats (None when that was stored by
    #: an earlier run).
    duplicate_of: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the input is on the model: sent, already there, or a duplicate of one
        that is."""
        return self.error is None and self.status != "not_attempted"

    @property
    def skipped(self) -> bool:
        """True when an earlier run had stored the item, so nothing was sent."""
        return self.status == "already_there"


class BulkUploadError(ScenarioError):
    """Raised by ``BulkResult.raise_for_failures()``; ``result`` holds every outcome."""

    def __init__(self, result: BulkResult, message: str | None = None) -> None:
        failed = result.failed
        lines = [f"  {o.source}: {type(o.error).__name__}: {o.error}" for o in failed[:10]]
        more = f"\n  ... and {len(failed) - 10} more" if len(failed) > 10 else ""
        super().__init__(
            message or f"{len(failed)} of {len(result)} images failed:\n" + "\n".join(lines) + more
        )
        self.result = result


class BulkAbortedError(BulkUploadError):
    """The run was stopped early by a failure that is not an item's own (credentials
    refused, permission denied, the API unreachable): sending the rest would only fail the
    same way. ``reason`` is that failure; ``result`` has an outcome for every input, the
    ones never sent ``not_attempted``. Run again (with the journal) once it is mended."""

    def __init__(self, result: BulkResult, reason: BaseException) -> None:
        left = sum(1 for o in result if o.status == "not_attempted")
        super().__init__(
            result,
            f"the upload was stopped: {type(reason).__name__}: {reason}; "
            f"{left} of {len(result)} items were not attempted",
        )
        self.reason = reason


class ProgressCallbackError(BulkUploadError):
    """``on_progress`` raised. The run went on to the end without calling it again, since a
    callback's failure says nothing about the images; ``result`` has every outcome and the
    callback's exception is the ``__cause__``."""

    def __init__(self, result: BulkResult) -> None:
        super().__init__(result, "on_progress raised; the upload itself went on to the end")


class BulkResult(Sequence[Outcome]):
    """One Outcome per input, in input order (images first, then asset ids)."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        self._outcomes = outcomes

    def __len__(self) -> int:
        return len(self._outcomes)

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self._outcomes)

    def __getitem__(self, index: Any) -> Any:
        return self._outcomes[index]

    @property
    def succeeded(self) -> list[Outcome]:
        """Inputs that are on the model: sent, already there, or duplicates of those."""
        return [o for o in self._outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome]:
        """Inputs that failed or were not attempted."""
        return [o for o in self._outcomes if not o.ok]

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self._outcomes if o.skipped]

    def counts(self) -> dict[str, int]:
        """``total`` and one count per status: ``sent``, ``already_there``, ``duplicate``,
        ``failed``, ``not_attempted``."""
        counts = dict.fromkeys(("sent", "already_there", "duplicate", "failed"), 0)
        counts["not_attempted"] = 0
        for outcome in self._outcomes:
            counts["failed" if outcome.error is not None else outcome.status] += 1
        return {"total": len(self._outcomes), **counts}

    def raise_for_failures(self) -> BulkResult:
        """Raise BulkUploadError if any item failed; return self otherwise."""
        if self.failed:
            raise BulkUploadError(self)
        return self

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"BulkResult({counts})"


def _as_image(source: Any, index: int) -> Image:
    if isinstance(source, Image):
        return source
    if isinstance(source, str) and source.startswith("data:"):
        # Named once its content is hashed (see _Run.prepare_image), never by position.
        return Image.from_data_url(source, name="-")
    if isinstance(source, (str, os.PathLike)):
        return Image.from_path(source)
    raise TypeError(
        f"images[{index}] must be an Image, a path or a data-URL string, "
        f"got {type(source).__name__}"
    )


def _stand_in(source: Any, index: int) -> Any:
    """What the run keeps of an input once it is taken: the input itself when it holds no
    image data, else a short label, so that outcomes, events and failure reports never keep
    an in-memory image alive (see ``Outcome``)."""
    if isinstance(source, Image):
        return f"<in memory #{index}: {source.name}>" if source.in_memory else source
    if isinstance(source, str) and source.startswith("data:"):
        return f"<data URL #{index}>"
    if isinstance(source, (str, os.PathLike)):
        return source
    return f"<{type(source).__name__} #{index}>"  # refused by _as_image, and maybe large


async def _read(source: Any, index: int, via: Via) -> _Read:
    """An input read and hashed: its content's SHA-256, its name as given and as stored,
    and its data URL's parts, or for a file to send in parts what the upload needs (its
    content is then only hashed, a piece at a time, never held).

    A large image is read, hashed and encoded in a worker thread, one at a time
    (``off_the_loop``), so that the event loop goes on meanwhile (a 20 MiB image takes some
    30 ms); a small one here, where it costs less than the trip to a thread would."""
    image = _as_image(source, index)
    size = image.size_hint()
    if image.path is not None and (via == "uploads" or (via == "auto" and size > UPLOADS_ABOVE)):
        digest, mime, info = await off_the_loop(image.file_identity)
        upload = _FileUpload(image.path, mime, FileStamp.from_stat(info))
        return _Read(digest, image.name, stored_name(image.name), (), upload)
    if size > _READ_INLINE_AT_MOST:
        digest, parts = await off_the_loop(image.identified_parts)
    else:
        digest, parts = image.identified_parts()
    nameless = isinstance(source, str) and source.startswith("data:")
    given = content_name(digest, parts[0]) if nameless else image.name
    return _Read(digest, given, stored_name(given), parts)


def content_name(digest: str, data_url_head: bytes) -> str:
    """The name of a nameless data URL: ``image-<12 hex of its SHA-256>.<type>``, the same
    for the same content in every run."""
    mime = data_url_head[5 : data_url_head.find(b";")].decode("ascii")
    return f"image-{digest[:12]}.{mime.rpartition('/')[2] or 'img'}"


async def add_many(
    resource: AsyncTrainingImages,
    model_id: str,
    images: Iterable[ImageSource] | AsyncIterable[ImageSource] = (),
    *,
    asset_ids: Iterable[str] | None = None,
    concurrency: int | Literal["auto"] = 8,
    preset: Preset | str | None = None,
    via: Via = "auto",
    via_assets: bool = False,
    dedupe: Dedupe = "item",
    on_progress: Callable[[ProgressEvent], None] | None = None,
    journal: str | os.PathLike[str] | None = None,
    original_assets: bool | None = None,
    project_id: str | None = None,
) -> BulkResult:
    """Add many training images, at most ``concurrency`` requests in flight.

    ``concurrency="auto"`` finds the limit itself: it grows while throughput does and
    backs off on 429s and on rising latency (docs/bulk-upload.md), up to MAX_CONCURRENCY.

    ``images`` (any iterable or async iterable of ``Image``, paths or data-URL strings)
    are pulled one by one and read just ahead of sending: at most ``2 * concurrency + 1``
    are held at once (``limit + 1`` with ``"auto"``), so memory depends on
    ``concurrency``, not on how many images there are. ``asset_ids`` are added in
    batches of ten.

    ``via`` is how images go: ``"data_url"`` in the add request; ``"assets"`` uploaded as
    assets first (``via_assets=True`` says the same); ``"uploads"``, for files, their raw
    bytes in parts through ``/uploads`` (streamed from disk); the default ``"auto"`` sends
    files over UPLOADS_ABOVE bytes by uploads and the rest by data URL. Assets and uploads
    are attached to the model in batches of ten at the end.

    An item is its content and its stored name: the same content under two names is stored
    twice, and an input equal to an earlier one is reported ``duplicate`` (with
    ``dedupe="content"``, any input whose content was already given is). With ``journal``
    (a file path), what is about to be sent and what became of it is recorded, and a re-run
    sends nothing that landed. docs/bulk-upload.md has the details.

    Returns one Outcome per input, in input order; a failed item never stops the others.
    Raises BulkAbortedError when credentials are refused or the API is unreachable, and
    ProgressCallbackError when ``on_progress`` raised; both carry the result.
    """
    # This function is the method AsyncTrainingImages.add_many: ``resource`` is its self.
    check_id("model_id", model_id)
    pace = _pace(concurrency)
    preset_value = (
        None if preset is None else check_choice("preset", preset, [p.value for p in Preset])
    )
    check_choice("dedupe", dedupe, ("item", "content"))
    check_choice("via", via, ("auto", "data_url", "assets", "uploads"))
    if check_bool("via_assets", via_assets):
        if via not in ("auto", "assets"):
            raise ValueError(f'via_assets=True contradicts via="{via}"; give only via')
        via = "assets"
    if isinstance(images, (str, bytes, os.PathLike, Image)):
        raise TypeError("images must be an iterable of images, not a single image")
    ids: list[str] = []
    if asset_ids is not None:
        if isinstance(asset_ids, (str, bytes)):
            raise TypeError("asset_ids must be a list of asset id strings, not a single string")
        ids = [check_id(f"asset_ids[{i}]", a) for i, a in enumerate(asset_ids)]
    check_query(project_id, original_assets)
    total = len(images) + len(ids) if isinstance(images, Sequence) else None

    run = _Run(
        resource,
        model_id,
        preset_value,
        original_assets,
        project_id,
        via,
        dedupe,
        Journal.lock(journal, model_id),  # its lines are read by ``run.start``
        on_progress,
        pace,
    )
    try:
        run.emit(ProgressEvent("started", total=total))
        await run.start()
        image_count = await run.pool(images, run.prepare_image, run.send_image)
        await run.settle_held_back()
        await run.attach(
            [_Attach(image_count + i, asset_id, asset_id) for i, asset_id in enumerate(ids)]
            + run.uploaded_assets
        )
    finally:
        run.journal.close()
        if run.part_sender is not None:
            await run.part_sender.aclose()
    result = run.result()
    run.emit(ProgressEvent("finished", total=len(result)))
    if run.aborted is not None:
        raise BulkAbortedError(result, run.aborted) from run.aborted
    if run.callback_error is not None:
        raise ProgressCallbackError(result) from run.callback_error
    return result


@define
class _Run:
    """The state of one add_many call."""

    resource: AsyncTrainingImages
    model_id: str
    preset: str | None
    original_assets: bool | None
    project_id: str | None
    via: Via
    dedupe: Dedupe
    journal: Journal
    on_progress: Callable[[ProgressEvent], None] | None
    #: Requests in flight: a fixed number, or a limit that adapts (``concurrency="auto"``).
    pace: int | AdaptiveLimit
    #: Each input's outcome at its index (None until it has one): a list, not a dict, as
    #: indices run from 0 without gaps (8 bytes an input, not 30).
    outcomes: list[Outcome | None] = field(factory=list)
    #: Images uploaded as assets, waiting to be attached.
    uploaded_assets: list[_Attach] = field(factory=list)
    #: What the model held when this run started: never the result of this run's sends.
    held: frozenset[str] = frozenset()
    #: The first input of each identity (see ``identity``), by identity.
    first_of: dict[str | tuple[str, str], int] = field(factory=dict)
    #: Items whose earlier send could not be settled: not sent again, reported unknown.
    unsettled: dict[tuple[str, str], UnknownOutcomeError] = field(factory=dict)
    #: Stored names with an item of this run whose outcome stayed unknown: its image may be
    #: on the model unclaimed, so a lost answer for that name can no longer be settled.
    tainted: set[str] = field(factory=set)
    locks: _NameLocks = field(factory=lambda: _NameLocks())
    #: Items whose earlier send may still be under way, by key: when it can be settled.
    deferred: dict[tuple[str, str], float] = field(factory=dict)
    #: (index, input) of the first input of each of those items, sent or settled at the end
    #: of the run: at most one per deferred send, so few, whatever the number of inputs.
    held_back: list[tuple[int, Any]] = field(factory=list)
    #: The failure that stopped the run (credentials, permission, unreachable), if any.
    aborted: BaseException | None = None
    callback_error: Exception | None = None
    #: For uploads in parts: what sends the parts, and the slots that bound parts in flight
    #: (so memory) over the whole run. Made with the first such upload.
    part_sender: PartSender | None = None
    part_slots: asyncio.Semaphore | None = None

    # Progress and outcomes --------------------------------------------------------------

    def emit(self, event: ProgressEvent) -> None:
        """Call ``on_progress``; its exception never changes an outcome (it is kept and
        raised after the run, and the callback is not called again)."""
        if self.on_progress is None:
            return
        try:
            self.on_progress(event)
        except Exception as exc:
            self.callback_error = exc
            self.on_progress = None

    def finish(self, outcome: Outcome, sent: int = 0) -> None:
        if outcome.error is not None:
            _drop_locals(outcome.error)
        outcomes, index = self.outcomes, outcome.index
        if index >= len(outcomes):
            outcomes.extend(itertools.repeat(None, index + 1 - len(outcomes)))
        outcomes[index] = outcome
        if outcome.error is not None:
            self.stop_if_systemic(outcome.error)
        if self.on_progress is None:
            return
        index, source = outcome.index, outcome.source
        pace = self.pace if isinstance(self.pace, int) else self.pace.limit
        if outcome.error is not None:
            kind: ProgressKind = "item_failed"
        elif outcome.status == "sent":
            kind = "item_done"
        elif outcome.status == "already_there":
            kind = "item_skipped"
        elif outcome.status == "duplicate":
            kind = "item_duplicate"
        else:
            kind = "item_not_attempted"
        self.emit(
            ProgressEvent(kind, index, source, bytes=sent, error=outcome.error, concurrency=pace)
        )

    def stop_if_systemic(self, error: BaseException) -> None:
        """Stop the run at a failure no other item can escape: refused credentials, denied
        permission, or an API that cannot be reached (after the call's own retries)."""
        cause = error.__cause__ if isinstance(error, UnknownOutcomeError) else error
        unreachable = (
            isinstance(cause, APIConnectionError)
            and not cause.sent
            and not isinstance(cause, APITimeoutError)
        )
        if self.aborted is None and (
            unreachable or isinstance(cause, (AuthenticationError, PermissionDeniedError))
        ):
            self.aborted = error

    def result(self) -> BulkResult:
        """The outcomes in input order; a duplicate of an input that failed fails with it."""
        outcomes = self.outcomes
        ordered = []
        for outcome in outcomes:
            if outcome is None:
                continue
            if outcome.duplicate_of is not None:
                original = outcomes[outcome.duplicate_of]
                if original is not None and not original.ok:
                    outcome = _evolve(outcome, status=original.status, error=original.error)
            ordered.append(outcome)
        return BulkResult(ordered)

    # The start: what the model holds, and what earlier runs left unsettled --------------

    async def start(self) -> None:
        """Read the model once: its training images are this run's snapshot (none of them
        can be this run's result), and the place to settle the sends an earlier run made
        without learning their outcome. A failure here (credentials, network) is raised."""
        clock = ServerClock()
        images = await self.read_model_and_journal(clock)
        if self.journal.first_format and self.via == "auto":
            # A first-format journal knows images by their data URL's hash, which a file sent
            # in parts never has: they go as data URLs, so that what it records is recognised.
            self.via = "data_url"
        run = self.journal.begin_run(image.id for image in images if image.id)
        self.held = self.journal.held[run]
        self.settle_earlier_sends(images, run, clock)

    async def read_model_and_journal(self, clock: ServerClock) -> list[TrainingImage]:
        """The model's training images, read while the journal's lines load.

        The journal is read in the file worker: a resumed run's journal takes a second or
        more to read, which held the loop, and the model's answer for a large run takes as
        long to come, so the two overlap. Only for a file that starts like a journal: any
        other is read whole first, so that a path given by mistake is refused before any
        request. One that goes bad after its start is refused once read, after the model's
        GET at most: a read, which changes nothing."""
        if not self.journal.starts_like_a_journal():
            await off_the_loop(self.journal.load)
            return await self.read_images(clock)
        loading = in_the_worker(self.journal.load)
        try:
            images = await self.read_images(clock)
        except BaseException as failure:
            if not isinstance(failure, Exception) and loading.cancel():
                raise  # a cancellation, and the worker had not begun the load: dropped
            # The journal's file is closed only once the worker is done with it.
            try:
                await outcome_of(loading)
            except Exception as trouble:
                # A path given by mistake says more than the read's failure; any other
                # trouble of the load's, or a cancellation, yields to it.
                if isinstance(trouble, NotAJournalError) and isinstance(failure, Exception):
                    raise
            raise
        await outcome_of(loading)
        return images

    def settle_earlier_sends(
        self, images: list[TrainingImage], run: int, clock: ServerClock, *, final: bool = False
    ) -> None:
        """A send of an earlier run with no recorded outcome landed if the model has exactly
        one image of its stored name that was not there when that run started, that no other
        item claims, and that was created while the send could have been in flight; it did
        not land if there is none. A send younger than the client's timeout may still be
        under way at the service: it is settled at the end of this run (``final``), after
        the timeout has passed. Anything else stays unsettled: the item is reported unknown
        rather than risk storing it twice. An attach of an asset id whose image this SDK did
        not upload has no name to look for, so it is unsettled too."""
        journal = self.journal
        named_assets = {asset: key for key, asset in journal.uploaded.items()}
        by_name: dict[str, list[tuple[tuple[str, str], Send]]] = {}
        for key, send in list(journal.unconfirmed.items()):
            if send.run == run:
                continue
            if send.asset is not None:
                if send.asset not in named_assets:
                    self.unsettled[key] = UnknownOutcomeError(
                        f"an earlier run attached asset {send.asset} without learning whether "
                        "it was added; check the model, then delete the journal's lines for it"
                    )
                    continue
                key = named_assets[send.asset]
            by_name.setdefault(key[1], []).append((key, send))
        patience = self.patience()
        for name, sends in by_name.items():
            before = journal.held.get(min(send.run for _, send in sends), frozenset())
            found = [
                image
                for image in images
                if image.id
                and stored_name(image.name or "") == name
                and image.id not in before
                and not self.claimed(image.id)
                and any(_in_flight_then(image, send, clock, patience) for _, send in sends)
            ]
            young = [send for _, send in sends if time.time() - (send.at or 0) < patience]
            if not found and young and not final:
                wait_until = max(send.at or 0 for send in young) + patience
                for key, _ in sends:
                    self.deferred[key] = wait_until
                continue
            if len(sends) == 1 and len(found) <= 1 and not journal.unidentified[name]:
                (content, _), send = sends[0]
                landed = found[0].id or "" if found else None
                if landed is not None:
                    self.claim(landed)
                if send.asset is None and landed is None:
                    journal.record_absent((content, name))
                elif send.asset is None and landed is not None:
                    journal.record_landed((content, name), landed)
                elif send.asset is not None and landed is None:
                    journal.record_asset_absent(send.asset)
                elif send.asset is not None:
                    journal.record_attached(send.asset, (content, name))
                continue
            if not found:
                for (content, _), send in sends:
                    if send.asset is None:
                        journal.record_absent((content, name))
                    else:
                        journal.record_asset_absent(send.asset)
                continue
            ids = tuple(image.id or "" for image in found)
            for key, send in sends:
                self.unsettled[("asset", send.asset) if send.asset is not None else key] = (
                    UnknownOutcomeError(
                        f"an earlier run sent {name} without learning whether it landed, and "
                        f"the model holds {len(found)} images of that name that could be it; "
                        "check the model, then delete the journal's lines for it",
                        candidates=ids,
                    )
                )

    def patience(self) -> float:
        """How long a request may take, by the client's timeout: after that, it is surely
        done (stored or not)."""
        return self.resource.client.timeout.total or _DEFAULT_PATIENCE

    def claimed(self, image_id: str | None) -> bool:
        """Whether an outcome of this run, an earlier one, or a single add of this client
        already points at this image."""
        return image_id in self.journal.claimed or self.resource.client._shared.claimed(image_id)

    def claim(self, image_id: str | None) -> None:
        if image_id:
            self.journal.claimed.add(image_id)
            self.resource.client._shared.claim(image_id)

    async def settle_held_back(self) -> None:
        """The items whose earlier send was too young to settle at the start: wait until it
        is older than the client's timeout, read the model again, settle, and send what
        surely did not land."""
        if not self.held_back:
            return
        delay = max(self.deferred.values()) - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        clock = ServerClock()
        images = await self.read_images(clock)
        # What the model holds now and no outcome claims cannot be the result of the sends
        # that follow either.
        self.held = self.held | {
            image.id for image in images if image.id and not self.claimed(image.id)
        }
        self.deferred.clear()
        self.settle_earlier_sends(images, self.journal.run, clock, final=True)
        items, self.held_back = self.held_back, []
        await self.pool(
            _let_go(items), lambda _, item: self.prepare_image(*item), self.send_image, False
        )

    # The image pipeline -----------------------------------------------------------------

    async def pool(
        self,
        items: Iterable[Any] | AsyncIterable[Any],
        prepare: Callable[[int, Any], Awaitable[T | None]],
        send: Callable[[T], Awaitable[bool | None]],
        stoppable: bool = True,
    ) -> int:
        """``run_pool`` with this run's concurrency; once the run is stopped, the images not
        yet prepared are ``not_attempted`` (unless not ``stoppable``: ``send`` then reports
        them itself)."""

        def left_out(index: int, item: Any) -> bool:
            if stoppable and self.aborted is not None:
                self.finish(Outcome(index, _stand_in(item, index), "not_attempted"))
                return True
            return False

        shared = self.resource.client._shared
        return await run_pool(items, prepare, send, self.pace, left_out, lambda: shared.throttles)

    def identity(self, item: Item) -> str | Item:
        """What makes two items the same: their content (``dedupe="content"``: the digest
        itself, no tuple an item), else the item, content and stored name."""
        return item[0] if self.dedupe == "content" else item

    async def prepare_image(self, index: int, source: Any) -> _Job | None:
        """Read and hash one image and settle what needs no request: a read failure, an
        item an earlier run stored, a repeat of an earlier input. None when it is settled.
        What is kept of the input from here on is its ``_stand_in``, never its data."""
        label = _stand_in(source, index)
        try:
            digest, given, name, parts, upload = await _read(source, index, self.via)
        except Exception as exc:
            del source  # the error's traceback keeps this frame: not the input with it
            self.finish(Outcome(index, label, "failed", error=exc))
            return None
        item = (digest, name)  # one tuple, kept by the run's maps and the journal's alike
        first = self.first_of.setdefault(self.identity(item), index)
        journal = self.journal
        done = Outcome(index, label, name=name, sha256=digest)
        if first != index:
            self.finish(_evolve(done, status="duplicate", duplicate_of=first))
            return None
        if item in self.deferred:
            self.held_back.append((index, source))  # settled at the end (settle_held_back)
            return None
        landed_id = journal.landed.get(item)
        if landed_id is None and journal.first_format:
            landed_id = self.first_format_landed(item, parts)
        if landed_id and landed_id not in self.held:
            landed_id = None  # it landed once, but the model no longer holds it: send again
        if landed_id is not None:
            image_seen = TrainingImage(id=landed_id, name=name) if landed_id else None
            self.finish(_evolve(done, status="already_there", training_image=image_seen))
            return None
        if self.dedupe == "content" and digest in journal.landed_content:
            self.finish(_evolve(done, status="duplicate"))
            return None
        unsettled = self.unsettled.get(item)
        if unsettled is not None:
            self.finish(_evolve(done, status="failed", error=unsettled))
            return None
        asset_id = journal.uploaded.get(item)
        if asset_id is not None:  # uploaded by an earlier run: attached, not uploaded again
            self.uploaded_assets.append(_Attach(index, label, asset_id, name, digest))
            return None
        return _Job(index, label, given, item, parts, upload)

    def first_format_landed(self, item: Item, parts: tuple[bytes, ...]) -> str | None:
        """The training image a first-format journal line records for this image (keyed by
        the hash of its data URL, and of the same stored name), recorded again in this
        format."""
        url_hash = hashlib.sha256()
        for part in parts:
            url_hash.update(part)
        landed = self.journal.first_format.get(url_hash.hexdigest())
        if landed is None or landed[0] != item[1]:
            return None
        self.journal.record_landed(item, landed[1])
        return landed[1]

    async def send_image(self, job: _Job) -> bool:
        """Send one image; True when the time it took is the API's answer time (what an
        adaptive limit learns from), False for an upload in parts (storage, validation)."""
        if self.aborted is not None:
            self.finish(Outcome(job.index, job.source, "not_attempted"))
            return False
        try:
            if job.upload is not None:
                await self.upload_in_parts(job, job.upload)
                return False
            if self.via == "assets":
                await self.upload_asset(job)
                return True
            async with self.locks.hold([job.name]):
                await self.add_image(job)
            return True
        except Exception as exc:
            failed = Outcome(job.index, job.source, "failed", error=exc, name=job.name)
            failed = _evolve(failed, sha256=job.sha256)
            del job  # the error's traceback keeps this frame: not the image's data with it
            self.finish(failed)
            # An answer (a 400, say) took the API's time; a timeout or a lost connection
            # says nothing of it, and an unknown outcome hides which it was.
            cause = exc.__cause__ if isinstance(exc, UnknownOutcomeError) else exc
            return not isinstance(exc, UnknownOutcomeError) and not isinstance(
                cause, APIConnectionError
            )

    async def add_image(self, job: _Job) -> None:
        """One direct add, announced in the journal before it leaves. At most one add per
        stored name is in flight (the caller holds its lock), so a lost answer is settled
        by the one unclaimed image of that name that the model did not hold at the start."""
        fields: dict[str, Any] = {"name": job.given_name}
        if self.preset is not None:
            fields["preset"] = self.preset
        from .resources.training_images import post_image  # it imports this module

        client = self.resource.client
        check = _RunCheck(self, job.name) if client.on_unknown_outcome == "verify" else None
        self.journal.send(job.item)
        try:
            answer = await post_image(
                client,
                self.model_id,
                fields,
                job.parts,
                original_assets=self.original_assets,
                project_id=self.project_id,
                check=check,
            )
        except Exception as error:
            if not _maybe_stored(error) or (check is not None and check.surely_absent):
                self.journal.record_absent(job.item)
                raise
            self.tainted.add(job.name)  # left unconfirmed: the next run settles it
            if isinstance(error, UnknownOutcomeError):
                raise
            raise UnknownOutcomeError(
                f"{job.name}: the answer was lost and could not be settled on the model; the "
                "journal keeps the send, and the next run with it settles it"
            ) from error
        image = answer.training_image
        self.claim(image.id)
        self.journal.record_landed(job.item, image.id or "")
        # What identifies the image, not the whole answer: its signed download URL expires
        # anyway, and 100,000 of them would be most of a run's memory. Its name is the one
        # the run holds already when the service answered that one (60 bytes an image).
        name = job.name if image.name == job.name else image.name
        kept = TrainingImage(id=image.id, name=name, created_at=image.created_at)
        outcome = Outcome(job.index, job.source, "sent", kept, name=job.name, sha256=job.sha256)
        self.finish(outcome, sent=_image_size(job.parts))

    async def upload_asset(self, job: _Job) -> None:
        """``via_assets``: upload the image as an asset, to be attached in a batch later. A
        lost answer leaves at worst an unused asset, never a second training image."""
        asset = await self.resource.client.assets.upload(
            image=b"".join(job.parts).decode("ascii"),
            name=job.given_name,
            project_id=self.project_id,
        )
        asset_id = asset.asset.id or ""
        self.journal.record_uploaded(job.item, asset_id)
        self.uploaded_assets.append(_Attach(job.index, job.source, asset_id, job.name, job.sha256))

    async def upload_in_parts(self, job: _Job, upload: _FileUpload) -> None:
        """An image file's raw bytes through ``/uploads``, streamed from disk, to be
        attached in a batch later, like an asset. Only the file that was hashed is sent
        (``FileChangedError`` otherwise). A lost answer leaves at worst an unused upload,
        never a second training image. The journal records the upload once it is
        completed: a run that stops while the service validates it waits for that upload's
        asset next time instead of sending the file again; one that stops before (its parts'
        URLs will have expired) uploads the file again."""
        asset_id = await self.completed_asset(job)
        sent = 0
        if asset_id is None:
            if self.part_sender is None:
                self.part_sender = PartSender(self.resource.client)
                slots = self.pace if isinstance(self.pace, int) else _AUTO_PART_SLOTS
                self.part_slots = asyncio.Semaphore(slots)
            asset_id = await upload_file(
                self.resource.client,
                upload.path,
                file_name=job.given_name,
                content_type=upload.mime,
                expected=upload.stamp,
                part_slots=self.part_slots,
                project_id=self.project_id,
                sender=self.part_sender,
                on_completed=lambda upload_id: self.journal.record_completed(job.item, upload_id),
            )
            sent = upload.stamp.size
        self.journal.record_uploaded(job.item, asset_id)
        self.uploaded_assets.append(
            _Attach(job.index, job.source, asset_id, job.name, job.sha256, sent)
        )

    async def completed_asset(self, job: _Job) -> str | None:
        """The asset of the upload an earlier run completed for this item, once validated;
        None when there is none, or when the service failed it or no longer has it (the
        file is then uploaded again). Still validating after the wait: UploadTimeoutError,
        and the journal keeps the upload for the next run."""
        upload_id = self.journal.completed.get(job.item)
        if upload_id is None:
            return None
        try:
            return await wait_for_upload(
                self.resource.client, upload_id, project_id=self.project_id
            )
        except (UploadFailedError, NotFoundError):
            self.journal.forget_upload(job.item)
            return None

    # Attaching assets -------------------------------------------------------------------

    async def attach(self, items: list[_Attach]) -> None:
        """Add asset ids in batches of at most ten, batches sent concurrently; no two
        batches holding the same stored name are in flight together."""
        pending: list[_Attach] = []
        for item in sorted(items, key=lambda item: item.index):
            first = self.first_of.setdefault(("asset", item.asset_id), item.index)
            if self.aborted is not None:
                self.finish(item.outcome("not_attempted"))
            elif first != item.index and item.name is None:
                self.finish(
                    Outcome(
                        item.index,
                        item.source,
                        "duplicate",
                        asset_id=item.asset_id,
                        duplicate_of=first,
                    )
                )
            elif item.asset_id in self.journal.attached:
                self.finish(item.outcome("already_there"))
            elif ("asset", item.asset_id) in self.unsettled:
                self.finish(item.outcome("failed", self.unsettled[("asset", item.asset_id)]))
            else:
                pending.append(item)
        batches = [pending[i : i + MAX_ASSET_IDS] for i in range(0, len(pending), MAX_ASSET_IDS)]
        # Not stoppable: once the run is stopped, one_batch reports each of a batch's items.
        await self.pool(batches, _as_is, self.one_batch, stoppable=False)

    async def one_batch(self, batch: list[_Attach]) -> None:
        if self.aborted is not None:
            for item in batch:
                self.finish(item.outcome("not_attempted"))
            return
        async with self.locks.hold([item.name for item in batch if item.name is not None]):
            self.journal.send_assets(item.asset_id for item in batch)
            try:
                await self.resource.add(
                    self.model_id,
                    asset_ids=[item.asset_id for item in batch],
                    preset=self.preset,
                    original_assets=self.original_assets,
                    project_id=self.project_id,
                )
            except Exception as exc:
                await self.settle_batch(batch, exc)
                return
        for item in batch:
            self.journal.record_attached(item.asset_id, item.journal_item)
            self.finish(item.outcome("sent"), sent=item.size)

    async def settle_batch(self, batch: list[_Attach], error: Exception) -> None:
        """A batch that failed: surely not stored, or (for images this run uploaded, whose
        names it knows) found on the model by name; otherwise each item is reported unknown
        and the journal leaves it unconfirmed, not to be sent again blindly."""
        if not _maybe_stored(error):
            for item in batch:
                self.journal.record_asset_absent(item.asset_id)
                if item.journal_item is not None:
                    self.journal.forget_upload(item.journal_item)  # uploaded again next time
                self.finish(item.outcome("failed", error=error))
            return
        images: list[TrainingImage] | None = None
        if all(item.name is not None for item in batch):
            with contextlib.suppress(Exception):
                images = await self.read_images(None)
        for item in batch:
            found = None
            if images is not None and item.name is not None:
                with contextlib.suppress(UnknownOutcomeError):
                    found = _RunCheck(self, item.name).pick(images, error)
            if found is not None:
                self.journal.record_attached(item.asset_id, item.journal_item)
                self.finish(item.outcome("sent"))
                continue
            if item.name is not None:
                self.tainted.add(item.name)
            unknown = UnknownOutcomeError(
                f"asset {item.asset_id}: the batch's answer was lost and the model does not "
                "show whether it was added; the journal keeps it unconfirmed",
            )
            unknown.__cause__ = error
            self.finish(item.outcome("failed", error=unknown))

    async def read_images(self, clock: ServerClock | None) -> list[TrainingImage]:
        """The model's training images (none when there is no such model)."""
        from .resources.training_images import read_model  # it imports this module

        try:
            model = await read_model(self.resource.client, self.model_id, self.project_id, clock)
        except NotFoundError:
            return []
        return list(model.training_images or [])


async def _as_is(index: int, item: T) -> T:
    return item


async def run_pool(
    items: Iterable[Any] | AsyncIterable[Any],
    prepare: Callable[[int, Any], Awaitable[T | None]],
    send: Callable[[T], Awaitable[bool | None]],
    pace: int | AdaptiveLimit,
    left_out: Callable[[int, Any], bool],
    throttles: Callable[[], int] = lambda: 0,
) -> int:
    """Run every item through ``prepare`` (reading, encoding: no network) and then ``send``
    on ``pace`` workers, or under an adaptive limit. Returns the number of items.

    One producer prepares items into a queue of ``pace`` while the workers send, so
    the next images are read while requests are in flight. At most ``2 * pace + 1``
    items are held at a time (in flight, queued, being prepared). ``prepare`` returns None
    for an item it settled itself (a failure, a skip, a duplicate); ``left_out`` is asked
    first and settles the item itself when it says True.

    Under an AdaptiveLimit each prepared item waits for a free slot, then is sent in a task
    of its own, and the limit learns from how long it took and whether a 429 was met
    meanwhile (``throttles`` counts the client's 429s): at most ``limit + 1`` are held.
    """
    count = 0
    concurrency = pace if isinstance(pace, int) else 1
    ready: asyncio.Queue[Any] = asyncio.Queue(concurrency)
    group: anyio.abc.TaskGroup | None = None

    async def limited(job: T) -> None:
        assert isinstance(pace, AdaptiveLimit)
        throttled_before = throttles()
        started = time.monotonic()
        timed = False
        try:
            timed = await send(job) is not False
        finally:
            # The elapsed time even when throttled: the limit tells by it whether the
            # request started before its last cut.
            took = time.monotonic() - started
            pace.release(took, throttled=throttles() != throttled_before, failed=not timed)

    settled_in_a_row = 0

    async def offer(item: Any) -> None:
        nonlocal count, settled_in_a_row
        index, count = count, count + 1
        if left_out(index, item):
            return
        started = time.perf_counter()
        job = await prepare(index, item)
        # An error that ``prepare`` keeps (in an outcome) keeps this frame too, through its
        # traceback's frames: it must not keep the input with it.
        del item
        took = time.perf_counter() - started
        if job is None:
            settled_in_a_row += 1
            if settled_in_a_row % _SETTLED_BEFORE_A_TURN == 0:
                # A resumed run settles thousands of items without a request: let the
                # queued ones leave meanwhile (and the rest of the program run).
                await asyncio.sleep(0)
            return
        settled_in_a_row = 0
        if isinstance(pace, AdaptiveLimit):
            await pace.acquire()
            assert group is not None
            group.start_soon(limited, job)
        else:
            await ready.put(job)
            if took > _LONG_PREPARE:
                # A large image took a while to read: let the answers that came in meanwhile
                # be handled before reading the next. Small ones go in a row, which keeps
                # answers batched (a yield per image cost 30 % more CPU).
                await asyncio.sleep(0)

    async def produce() -> None:
        if isinstance(items, AsyncIterable):
            async for item in items:
                await offer(item)
        else:
            for item in items:
                await offer(item)
        for _ in range(concurrency if isinstance(pace, int) else 0):
            await ready.put(_END)

    async def work() -> None:
        while (job := await ready.get()) is not _END:
            await send(job)
            # Handling an answer and starting the next request take 0.1 to 0.4 ms of the loop
            # each; in one step, with the other workers' in the same turn, they held it past
            # 1 ms. Other tasks go between (no measurable CPU, small images included).
            await asyncio.sleep(0)

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(produce)
            for _ in range(concurrency if isinstance(pace, int) else 0):
                group.start_soon(work)
    except BaseExceptionGroup as group_error:  # the input's own error, as the caller raised it
        if len(group_error.exceptions) == 1:
            raise group_error.exceptions[0] from None
        raise
    return count


class _RunCheck:
    """How ``add_many`` settles an add whose answer was lost (see ``LandingCheck``): the
    model's one image of the stored name that it did not hold at the start and that no
    item claims. Zero: not stored. More than one, or a name whose earlier add stayed
    unknown: UnknownOutcomeError."""

    __slots__ = ("name", "run", "surely_absent")

    def __init__(self, run: _Run, name: str) -> None:
        self.run = run
        self.name = name
        #: The last look found the image surely not stored (so the add's error is final).
        self.surely_absent = False

    def credible(self, answer: TrainingImageAddResponse) -> bool:
        """New, unclaimed, and not named after another item in flight (whose image it would
        be). A name that merely differs is believed: the service may store names in a form
        this SDK does not know, and doubting it would send the image again."""
        image = answer.training_image
        name = stored_name(image.name or "")
        in_flight_elsewhere = name != self.name and self.run.locks.holds(name)
        return self.new_and_unclaimed(image) and not in_flight_elsewhere

    def new_and_unclaimed(self, image: TrainingImage) -> bool:
        return bool(image.id) and image.id not in self.run.held and not self.run.claimed(image.id)

    async def find(self, error: APIError) -> TrainingImageAddResponse | None:
        self.surely_absent = False
        try:
            images = await self.run.read_images(None)
        except Exception as check_error:
            raise error from check_error
        found = self.pick(images, error)
        self.surely_absent = found is None
        return None if found is None else TrainingImageAddResponse(training_image=found)

    def pick(self, images: Iterable[TrainingImage], error: BaseException) -> TrainingImage | None:
        """The image among ``images`` that is this name's, claimed; None when there is none."""
        found = [
            image
            for image in images
            if stored_name(image.name or "") == self.name and self.new_and_unclaimed(image)
        ]
        if not found:
            return None
        if (
            len(found) > 1
            or self.name in self.run.tainted
            or self.run.journal.unidentified[self.name]
        ):
            raise UnknownOutcomeError(
                f"{self.name}: the answer was lost and the model holds {len(found)} new "
                "images of that name that no other item claims; which one is this item's "
                "cannot be told",
                candidates=tuple(image.id or "" for image in found),
            ) from error
        self.run.claim(found[0].id)
        return found[0]


class _NameLocks:
    """One lock per stored name, made on demand and dropped when no one holds or waits."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    def holds(self, name: str) -> bool:
        """Whether a request of that stored name is in flight (or waiting for one)."""
        return name in self._locks

    @contextlib.asynccontextmanager
    async def hold(self, names: Iterable[str]) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for name in sorted(set(names)):  # one order for all: no deadlock
                await stack.enter_async_context(self._one(name))
            yield

    @contextlib.asynccontextmanager
    async def _one(self, name: str) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(name, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._locks[name]


def _in_flight_then(image: TrainingImage, send: Send, clock: ServerClock, patience: float) -> bool:
    """Whether ``image`` was created while ``send`` could have been in flight: from its
    announcement to the client's timeout after it, on the server's clock (from the Date of
    the model's read), widened by ``CLOCK_MARGIN`` and the Date's second. True when either
    time is unknown: the window cannot narrow the choice then."""
    created = parse_created_at(image.created_at)
    server_now = clock.lower_bound(time.monotonic())
    if send.at is None or created is None or server_now is None:
        return True
    sent = server_now - timedelta(seconds=time.time() - send.at)
    slack = CLOCK_MARGIN + timedelta(seconds=1)
    return sent - slack <= created <= sent + timedelta(seconds=patience) + slack


def _image_size(data_url_parts: tuple[bytes, ...]) -> int:
    """The size of the image a data URL's parts hold (what progress reports: the file's
    bytes, not the third more that base64 makes of them)."""
    encoded = sum(map(len, data_url_parts)) - data_url_parts[0].index(b",") - 1
    end = data_url_parts[-1][-2:]  # the padding, if any (not a copy of the whole piece)
    return encoded * 3 // 4 - (len(end) - len(end.rstrip(b"=")))


def _pace(concurrency: Any) -> int | AdaptiveLimit:
    """``concurrency`` checked: a number of workers, or an adaptive limit for ``"auto"``."""
    if concurrency == "auto":
        return AdaptiveLimit(initial=_AUTO_START, ceiling=MAX_CONCURRENCY)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise TypeError(f'concurrency must be an integer or "auto", got {concurrency!r}')
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency must be between 1 and {MAX_CONCURRENCY}, got {concurrency}")
    return concurrency


def _maybe_stored(error: BaseException) -> bool:
    """Whether a failed write may have been stored all the same (see ``may_have_acted``)."""
    return isinstance(error, UnknownOutcomeError) or (
        isinstance(error, APIError) and may_have_acted(error)
    )


def _evolve(outcome: Outcome, **changes: Any) -> Outcome:
    return attrs.evolve(outcome, **changes)


def _drop_locals(error: BaseException) -> None:
    """Clear the local variables of the finished frames that an item's error (and the errors
    it chains) keeps through its traceback, as unittest does for the failures it keeps: they
    held the image and its request body, and an outcome lives as long as the result. Where
    each frame was (file, line) stays, so the traceback prints the same. Frames still running
    are left as they are (``traceback.clear_frames`` skips them)."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        exc = pending.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        traceback.clear_frames(exc.__traceback__)
        pending.extend(e for e in (exc.__cause__, exc.__context__) if e is not None)
        if isinstance(exc, BaseExceptionGroup):
            pending.extend(exc.exceptions)


def _let_go(items: list[T]) -> Iterator[T]:
    """The items of ``items`` in order, each removed from the list as it is taken, so that
    the list does not keep an item alive once it is sent."""
    items.reverse()
    while items:
        yield items.pop()


_END = object()
#: Parts in flight over a whole run with ``concurrency="auto"``: with 8 MiB parts, 64 MiB.
_AUTO_PART_SLOTS = 8
#: Where ``concurrency="auto"`` starts: the fixed default's half, so that a tight quota
#: meets few 429s before the limit has learned it.
_AUTO_START = 4
#: Seconds a request may take when the client sets no total timeout.
_DEFAULT_PATIENCE = 60.0
#: Items settled without a request (already there, duplicates) after which the producer
#: lets the other tasks run: about 2 ms of settling.
_SETTLED_BEFORE_A_TURN = 64
#: Seconds of reading and encoding after which the producer yields to the event loop.
_LONG_PREPARE = 0.0001
#: Images larger than this (bytes) are read, hashed and encoded in a worker thread: about
#: 0.2 ms of work inline, less than what the event loop can be held without being felt, and
#: more than the trip to a thread costs (some 50 us).
_READ_INLINE_AT_MOST = 256 * 1024


@frozen
class _Job:
    """An image read, hashed, encoded and ready to send: ``parts`` is the only image data a
    run holds, for at most ``2 * concurrency + 1`` images at a time."""

    index: int
    #: The input's ``_stand_in``.
    source: Any
    #: The name as given (sent as is); ``name`` is how the service stores it.
    given_name: str
    #: Content and stored name: the journal keeps this very tuple.
    item: Item
    parts: tuple[bytes, ...]
    #: For a file sent in parts (``parts`` is then empty).
    upload: _FileUpload | None = None

    @property
    def sha256(self) -> str:
        return self.item[0]

    @property
    def name(self) -> str:
        return self.item[1]


class _Read(NamedTuple):
    """An input read: see ``_read``."""

    sha256: str
    given_name: str
    name: str
    parts: tuple[bytes, ...]
    upload: _FileUpload | None = None


@frozen
class _FileUpload:
    """A file to send in parts: where it is, its type, and the file as it was hashed."""

    path: Path
    mime: str
    stamp: FileStamp


@frozen
class _Attach:
    """An asset id to attach, with the stored name and content of the image it was made
    from when this run (or an earlier one) uploaded it."""

    index: int
    source: Any
    asset_id: str
    name: str | None = None
    sha256: str | None = None
    #: The file bytes an upload in parts sent (reported when the asset is attached).
    size: int = 0

    @property
    def journal_item(self) -> Item | None:
        """Content and stored name, for an image this run or an earlier one uploaded."""
        return None if self.sha256 is None or self.name is None else (self.sha256, self.name)

    def outcome(self, status: OutcomeStatus, error: BaseException | None = None) -> Outcome:
        return Outcome(
            self.index,
            self.source,
            status,
            error=error,
            asset_id=self.asset_id,
            name=self.name,
            sha256=self.sha256,
        )
