"""add_many: many training images with bounded concurrency, 10-id batches, a journal to
resume from, progress events, and one honest outcome per input.

It is a small engine on top of the single calls (``add`` and ``assets.upload``), not a
second HTTP path: retries, timeouts and errors behave exactly as they do for one call.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import (
    AsyncIterable,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sequence,
)
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

import anyio
from attrs import define, field, frozen

from ._errors import NotFoundError, ScenarioError
from ._validate import MAX_ASSET_IDS, check_choice, check_id, check_query
from .images import Image
from .types.training_images import Preset, TrainingImage

if TYPE_CHECKING:
    from .resources.training_images import AsyncTrainingImages

__all__ = [
    "MAX_CONCURRENCY",
    "BulkResult",
    "BulkUploadError",
    "ImageSource",
    "Journal",
    "Outcome",
    "ProgressEvent",
    "add_many",
]

#: What ``add_many`` accepts per image: an Image, a file path, or a data-URL string.
ImageSource: TypeAlias = "Image | str | os.PathLike[str]"
ProgressKind = Literal["started", "item_done", "item_failed", "item_skipped", "finished"]

T = TypeVar("T")

#: More requests in flight than this would only queue up in the connection pool.
MAX_CONCURRENCY = 256


@frozen
class ProgressEvent:
    """What ``on_progress`` receives.

    ``started`` carries ``total`` (``None`` when the input has no length); ``item_done``
    carries the ``bytes`` sent for that item; ``item_failed`` its ``error``; ``item_skipped``
    is an item the journal says already landed; ``finished`` ends the run.
    """

    kind: ProgressKind
    index: int | None = None
    source: Any = None
    total: int | None = None
    bytes: int = 0
    error: BaseException | None = None


@frozen
class Outcome:
    """The fate of one input. ``training_image`` is set for a direct add; items attached in
    10-id batches (asset ids) carry their ``asset_id`` instead, since the API answers one
    training image per batch."""

    index: int
    source: Any
    training_image: TrainingImage | None = None
    error: BaseException | None = None
    asset_id: str | None = None
    #: True when the journal showed the item had already landed, so nothing was sent.
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


class BulkUploadError(ScenarioError):
    """Raised by ``BulkResult.raise_for_failures()``; ``result`` holds every outcome."""

    def __init__(self, result: BulkResult) -> None:
        failed = result.failed
        lines = [f"  {o.source}: {type(o.error).__name__}: {o.error}" for o in failed[:10]]
        more = f"\n  ... and {len(failed) - 10} more" if len(failed) > 10 else ""
        super().__init__(
            f"{len(failed)} of {len(result)} images failed:\n" + "\n".join(lines) + more
        )
        self.result = result


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
        return [o for o in self._outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self._outcomes if not o.ok]

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self._outcomes if o.skipped]

    def counts(self) -> dict[str, int]:
        """``{"total", "succeeded", "failed", "skipped"}``; skipped items count as succeeded."""
        return {
            "total": len(self._outcomes),
            "succeeded": len(self.succeeded),
            "failed": len(self.failed),
            "skipped": len(self.skipped),
        }

    def raise_for_failures(self) -> BulkResult:
        """Raise BulkUploadError if any item failed; return self otherwise."""
        if self.failed:
            raise BulkUploadError(self)
        return self

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"BulkResult({counts})"


class Journal:
    """A JSON-lines record of what landed, keyed by model and content hash (or asset id).

    Each line is written whole and flushed after its item landed, so a crash or Ctrl-C leaves
    at worst one unreadable last line, which is ignored on the next run.
    """

    def __init__(self, path: str | os.PathLike[str], model_id: str) -> None:
        self.path = Path(path)
        self.model_id = model_id
        self._landed: dict[str, dict[str, Any]] = {}
        self._assets: dict[str, str] = {}
        #: True when an earlier run on this model left entries: this run resumes it.
        self.resumed = False
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(entry, dict) or entry.get("model") != model_id:
                    continue
                self.resumed = True
                if entry.get("stage") == "asset":
                    self._assets[entry["key"]] = entry["assetId"]
                else:
                    self._landed[entry["key"]] = entry
        self._file = self.path.open("a", encoding="utf-8")

    def landed(self, key: str) -> dict[str, Any] | None:
        return self._landed.get(key)

    def uploaded_asset(self, key: str) -> str | None:
        """The asset an earlier run uploaded for this content but did not attach."""
        return self._assets.get(key)

    def record(self, key: str, *, stage: str = "landed", **fields: Any) -> None:
        entry = {"model": self.model_id, "key": key, "stage": stage, **fields}
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()
        if stage == "asset":
            self._assets[key] = fields["assetId"]
        else:
            self._landed[key] = entry

    def close(self) -> None:
        self._file.close()


def _as_image(source: Any, index: int) -> Image:
    if isinstance(source, Image):
        return source
    if isinstance(source, str) and source.startswith("data:"):
        mime = source[5 : source.find(";")] if ";" in source else ""
        extension = mime.rpartition("/")[2] or "img"
        return Image.from_data_url(source, name=f"image-{index}.{extension}")
    if isinstance(source, (str, os.PathLike)):
        return Image.from_path(source)
    raise TypeError(
        f"images[{index}] must be an Image, a path or a data-URL string, "
        f"got {type(source).__name__}"
    )


async def add_many(
    resource: AsyncTrainingImages,
    model_id: str,
    images: Iterable[ImageSource] | AsyncIterable[ImageSource] = (),
    *,
    asset_ids: Iterable[str] | None = None,
    concurrency: int = 8,
    preset: Preset | str | None = None,
    via_assets: bool = False,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    journal: str | os.PathLike[str] | None = None,
    original_assets: bool | None = None,
    project_id: str | None = None,
) -> BulkResult:
    """Add many training images, at most ``concurrency`` requests in flight.

    ``images`` (any iterable or async iterable of ``Image``, paths or data-URL strings)
    are pulled one by one and read just ahead of sending: at most ``2 * concurrency + 1``
    are held at once, so memory depends on ``concurrency``, not on how many images there
    are. ``asset_ids`` are added in
    batches of ten. ``via_assets=True`` uploads each image as an asset first, then
    attaches the assets in batches. With ``journal`` (a file path), what landed is
    recorded and a re-run skips it.

    Returns one Outcome per input, in input order; a failed item never stops the
    others. Call ``.raise_for_failures()`` on the result to turn failures into an error.
    """
    # This function is the method AsyncTrainingImages.add_many: ``resource`` is its self.
    check_id("model_id", model_id)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise TypeError("concurrency must be an integer")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency must be between 1 and {MAX_CONCURRENCY}, got {concurrency}")
    preset_value = (
        None if preset is None else check_choice("preset", preset, [p.value for p in Preset])
    )
    if isinstance(images, (str, bytes, os.PathLike, Image)):
        raise TypeError("images must be an iterable of images, not a single image")
    ids: list[str] = []
    if asset_ids is not None:
        if isinstance(asset_ids, (str, bytes)):
            raise TypeError("asset_ids must be a list of asset id strings, not a single string")
        ids = [check_id(f"asset_ids[{i}]", a) for i, a in enumerate(asset_ids)]
    check_query(project_id, original_assets)
    total = len(images) + len(ids) if isinstance(images, Sequence) else None

    def emit(event: ProgressEvent) -> None:
        if on_progress is not None:
            on_progress(event)

    run = _Run(
        resource,
        model_id,
        preset_value,
        original_assets,
        project_id,
        via_assets,
        Journal(journal, model_id) if journal is not None else None,
        emit,
        concurrency,
    )
    emit(ProgressEvent("started", total=total))
    try:
        if run.journal is not None and run.journal.resumed:
            await run.find_unrecorded()
        image_count = await run.pool(images, run.prepare_image, run.send_image)
        await run.attach(
            [(image_count + i, asset_id, asset_id) for i, asset_id in enumerate(ids)]
            + run.uploaded_assets
        )
    finally:
        if run.journal is not None:
            run.journal.close()
    emit(ProgressEvent("finished", total=len(run.outcomes)))
    return BulkResult([run.outcomes[i] for i in sorted(run.outcomes)])


@define
class _Run:
    """The state of one add_many call."""

    resource: AsyncTrainingImages
    model_id: str
    preset: str | None
    original_assets: bool | None
    project_id: str | None
    via_assets: bool
    journal: Journal | None
    emit: Callable[[ProgressEvent], None]
    concurrency: int
    outcomes: dict[int, Outcome] = field(factory=dict)
    #: (index, source, asset id) of images uploaded as assets, waiting to be attached.
    uploaded_assets: list[tuple[int, Any, str]] = field(factory=list)
    #: Training images already on the model by name, when resuming (see find_unrecorded).
    on_model: dict[str, TrainingImage] = field(factory=dict)

    async def find_unrecorded(self) -> None:
        """Read the model's training images once before resuming: an image that landed while
        the last run was being stopped, too late for its journal, is on the model by name."""
        try:
            model = await self.resource._client.models.retrieve(
                self.model_id, project_id=self.project_id
            )
        except NotFoundError:
            return  # the model is gone or not made yet: nothing of ours is on it
        self.on_model = {i.name: i for i in model.model.training_images or [] if i.name}

    def finish(self, outcome: Outcome, sent: int = 0) -> None:
        self.outcomes[outcome.index] = outcome
        if outcome.error is not None:
            self.emit(
                ProgressEvent("item_failed", outcome.index, outcome.source, error=outcome.error)
            )
        elif outcome.skipped:
            self.emit(ProgressEvent("item_skipped", outcome.index, outcome.source))
        else:
            self.emit(ProgressEvent("item_done", outcome.index, outcome.source, bytes=sent))

    async def pool(
        self,
        items: Iterable[Any] | AsyncIterable[Any],
        prepare: Callable[[int, Any], T | None],
        send: Callable[[T], Awaitable[None]],
    ) -> int:
        """Run every item through ``prepare`` (reading, encoding: no network) and then
        ``send`` on ``concurrency`` workers. Returns the number of items.

        One producer prepares items into a queue of ``concurrency`` while the workers send,
        so the next images are read while requests are in flight: when answers come back
        together, each worker sends its next image at once instead of waiting for the
        others' reading. At most ``2 * concurrency + 1`` items are held at a time (in flight,
        queued, being prepared). ``prepare`` returns None for an item it finished itself (a
        failure, a journal skip).
        """
        ready: asyncio.Queue[Any] = asyncio.Queue(self.concurrency)
        count = 0

        async def offer(item: Any) -> None:
            nonlocal count
            started = time.perf_counter()
            job = prepare(count, item)
            took = time.perf_counter() - started
            count += 1
            if job is not None:
                await ready.put(job)
                if took > _LONG_PREPARE:
                    # A large image took a while to read: let the answers that came in
                    # meanwhile be handled before reading the next. Small ones go in a row,
                    # which keeps answers batched (a yield per image cost 30 % more CPU).
                    await asyncio.sleep(0)

        async def produce() -> None:
            if isinstance(items, AsyncIterable):
                async for item in items:
                    await offer(item)
            else:
                for item in items:
                    await offer(item)
            for _ in range(self.concurrency):
                await ready.put(_END)

        async def work() -> None:
            while (job := await ready.get()) is not _END:
                await send(job)

        async with anyio.create_task_group() as group:
            group.start_soon(produce)
            for _ in range(self.concurrency):
                group.start_soon(work)
        return count

    def prepare_image(self, index: int, source: Any) -> _Job | None:
        """Read and encode one image and check it against the journal; None when it needs
        no request (it failed to read, or the journal or the model shows it landed)."""
        try:
            image = _as_image(source, index)
            parts = image.data_url_parts()
            key = None
            if self.journal is not None:
                # The data URL is canonical for its content (MIME sniffed, plain base64).
                digest = hashlib.sha256()
                for part in parts:
                    digest.update(part)
                key = "sha256:" + digest.hexdigest()
                landed = self.journal.landed(key)
                if landed is not None:
                    self.finish(_landed_outcome(index, source, landed))
                    return None
                asset_id = self.journal.uploaded_asset(key)
                if asset_id is not None:
                    self.uploaded_assets.append((index, source, asset_id))
                    return None
                found = self.on_model.get(image.name)
                if found is not None and not self.via_assets:
                    self.journal.record(key, name=image.name, trainingImageId=found.id)
                    self.finish(Outcome(index, source, found, skipped=True))
                    return None
        except Exception as exc:
            self.finish(Outcome(index, source, error=exc))
            return None
        return _Job(index, source, image.name, parts, key)

    async def send_image(self, job: _Job) -> None:
        index, source, name, parts, key = job.index, job.source, job.name, job.parts, job.key
        try:
            if self.via_assets:
                asset = await self.resource._client.assets.upload(
                    image=b"".join(parts).decode("ascii"),
                    name=name,
                    project_id=self.project_id,
                )
                asset_id = asset.asset.id or ""
                if self.journal is not None and key is not None:
                    self.journal.record(key, stage="asset", assetId=asset_id, name=name)
                self.uploaded_assets.append((index, source, asset_id))
                return
            fields: dict[str, Any] = {"name": name}
            if self.preset is not None:
                fields["preset"] = self.preset
            answer = await self.resource._post(
                self.model_id,
                fields,
                parts,
                original_assets=self.original_assets,
                project_id=self.project_id,
            )
            if self.journal is not None and key is not None:
                self.journal.record(key, name=name, trainingImageId=answer.training_image.id)
            self.finish(Outcome(index, source, answer.training_image), sent=sum(map(len, parts)))
        except Exception as exc:
            self.finish(Outcome(index, source, error=exc))

    async def attach(self, items: list[tuple[int, Any, str]]) -> None:
        """Add asset ids in batches of at most ten, batches sent concurrently."""
        pending: list[tuple[int, Any, str]] = []
        for index, source, asset_id in sorted(items, key=lambda item: item[0]):
            landed = self.journal.landed("asset:" + asset_id) if self.journal else None
            if landed is not None:
                self.finish(_landed_outcome(index, source, landed, asset_id))
            else:
                pending.append((index, source, asset_id))
        batches = [pending[i : i + MAX_ASSET_IDS] for i in range(0, len(pending), MAX_ASSET_IDS)]
        await self.pool(batches, lambda _, batch: batch, self.one_batch)

    async def one_batch(self, batch: list[tuple[int, Any, str]]) -> None:
        try:
            await self.resource.add(
                self.model_id,
                asset_ids=[asset_id for _, _, asset_id in batch],
                preset=self.preset,
                original_assets=self.original_assets,
                project_id=self.project_id,
            )
        except Exception as exc:
            for index, source, asset_id in batch:
                self.finish(Outcome(index, source, error=exc, asset_id=asset_id))
        else:
            for index, source, asset_id in batch:
                if self.journal is not None:
                    self.journal.record("asset:" + asset_id, assetId=asset_id)
                self.finish(Outcome(index, source, asset_id=asset_id))


_END = object()
#: Seconds of reading and encoding after which the producer yields to the event loop.
_LONG_PREPARE = 0.0001


@frozen
class _Job:
    """An image read, encoded and ready to send."""

    index: int
    source: Any
    name: str
    parts: tuple[bytes, ...]
    key: str | None


def _landed_outcome(
    index: int, source: Any, entry: dict[str, Any], asset_id: str | None = None
) -> Outcome:
    image_id = entry.get("trainingImageId")
    image = TrainingImage(id=image_id, name=entry.get("name")) if image_id else None
    return Outcome(index, source, image, asset_id=asset_id, skipped=True)
