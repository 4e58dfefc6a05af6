"""The write-ahead journal of ``add_many``: what a run is about to send, what became of it,
and what the model held when each run started. One JSON object a line; docs/bulk-upload.md
gives the format.

A line is appended and flushed before the request it announces leaves, so a run killed at
any moment leaves a journal from which the next run can tell what was confirmed, what was
never sent, and what was sent but not confirmed (and must be looked for on the model before
anything is sent again). Flushed means handed to the operating system: it survives the
process being killed, not the machine losing power.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, TypeAlias

from attrs import define, field

from ._errors import ScenarioError

__all__ = ["FORMAT_VERSION", "Journal", "JournalBusyError", "NotAJournalError", "stored_name"]

#: The version written in every line (``"v"``). Lines without one are the first format,
#: which recorded only what landed, keyed by content; they are still read.
FORMAT_VERSION = 2

#: How much of a journal ``Journal.starts_like_a_journal`` looks at (characters).
_HEAD_CHARS = 64 * 1024

#: An item of a direct add: its content's SHA-256 (hex) and its stored name. Passed as one
#: tuple so that the maps keep the tuple the run already holds rather than a copy each.
Item: TypeAlias = tuple[str, str]


class JournalBusyError(ScenarioError):
    """Another run (in this process or another) is using the journal: one journal serves
    one run at a time."""


class NotAJournalError(ScenarioError):
    """The journal's path names a file that is no journal (binary, or text that holds no
    journal line): it is neither read nor written to, so that a path given by mistake
    (an image, a document) is never appended to."""


def stored_name(name: str) -> str:
    """A name as the service stores it: Unicode NFC, surrounding white space trimmed. Names
    are compared in this form, never as given."""
    return unicodedata.normalize("NFC", name).strip()


@define
class Send:
    """A request the journal announced: for a direct add, ``content`` and ``name``; for an
    attach by asset id, ``asset``."""

    run: int
    content: str | None = None
    name: str | None = None
    asset: str | None = None
    #: When it was announced (``time.time()``), if the journal says.
    at: float | None = None


@define
class Journal:
    """The journal of one model, read from ``path`` (if any) and appended to.

    Without a path it is kept in memory only: a run still records its snapshot, claims and
    sends the same way, it just cannot be resumed.
    """

    model_id: str
    path: Path | None = None
    #: Training image id of every item that landed, by (content, stored name).
    landed: dict[Item, str] = field(factory=dict)
    #: Stored names whose content landed, by content (for ``dedupe="content"``).
    landed_content: dict[str, str] = field(factory=dict)
    #: Every training image id some outcome claimed: never the answer to another item.
    claimed: set[str] = field(factory=set)
    #: How many images of each stored name landed with no id known (attached in a batch,
    #: whose answer names one image): a new image of that name cannot be told from them.
    unidentified: Counter[str] = field(factory=Counter)
    #: Asset ids attached to the model.
    attached: set[str] = field(factory=set)
    #: Assets uploaded for an item (content, stored name) and not attached yet.
    uploaded: dict[Item, str] = field(factory=dict)
    #: Uploads in parts completed for an item, whose asset was not known yet (the service
    #: was still validating them): a resumed run waits for that asset, not sending again.
    completed: dict[Item, str] = field(factory=dict)
    #: Items of the first format that landed: (stored name, training image id) by the hex
    #: SHA-256 of their data URL, which is how that format identified content.
    first_format: dict[str, tuple[str, str]] = field(factory=dict)
    #: What the model held when each run started, by run number.
    held: dict[int, frozenset[str]] = field(factory=dict)
    #: Sends that are neither confirmed nor known to have failed, by the key of their item
    #: (``(content, name)``, or ``("asset", id)``).
    unconfirmed: dict[tuple[str, str], Send] = field(factory=dict)
    run: int = 0
    _file: IO[str] | None = None

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None, model_id: str) -> Journal:
        """Read the journal at ``path`` (if it exists), lock it for this run and open it for
        appending (``lock`` then ``load``). Raises JournalBusyError when another run holds
        it, NotAJournalError when ``path`` is no journal."""
        journal = cls.lock(path, model_id)
        try:
            journal.load()
        except BaseException:
            journal.close()
            raise
        return journal

    @classmethod
    def lock(cls, path: str | os.PathLike[str] | None, model_id: str) -> Journal:
        """The journal at ``path``, opened (made if missing) and locked for this run, its
        lines not read yet (``load``). Only a regular file is a journal: a FIFO would
        block the read, and ``/dev/null`` would swallow every record (a run that could
        never be resumed)."""
        journal = cls(model_id, Path(path) if path is not None else None)
        if journal.path is None:
            return journal
        if journal.path.exists() and not journal.path.is_file():
            raise NotAJournalError(journal._not_a_file())
        file = journal.path.open("a+", encoding="utf-8")
        try:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):  # replaced meanwhile
                raise NotAJournalError(journal._not_a_file())
            _lock(file, journal.path)
        except BaseException:
            file.close()
            raise
        journal._file = file
        return journal

    def starts_like_a_journal(self) -> bool:
        """Whether the locked file's first block reads as the start of a journal: text with
        no NUL, whose first line but blank ones begins as a record does (or an empty file).
        A cheap look, made before ``load`` reads the whole: ``add_many`` reads the model
        while a journal that starts like one loads, and loads anything else first, so that
        a path given by mistake (an image, a document) is refused before any request."""
        file = self._file
        if file is None:
            return True
        file.seek(0)
        try:
            head = file.read(_HEAD_CHARS)
        except UnicodeDecodeError:
            return False
        return "\0" not in head and (head == "" or head.lstrip().startswith(_RECORD_STARTS))

    def load(self) -> None:
        """Read the locked journal's lines (a large journal takes a while: ``add_many``
        calls this in its file worker, off the event loop), and end a torn last line."""
        file = self._file
        if file is None:
            return
        file.seek(0)
        try:
            self._read(file)
        except UnicodeDecodeError:
            raise NotAJournalError(self._not_text()) from None
        file.seek(0, os.SEEK_END)
        if file.tell() > 0:
            file.seek(file.tell() - 1)
            last = file.read(1)
            file.seek(0, os.SEEK_END)
            if last != "\n":
                # A torn last line: end it, so that the next record starts a line of its
                # own instead of being glued to the fragment and lost with it.
                file.write("\n")
                file.flush()

    def _read(self, lines: Iterable[str]) -> None:
        """Apply the lines of this journal's model. A file with text but no journal record
        (a document, a ``.json`` file, another tool's JSON Lines) is refused: it is no
        journal, and must not be appended to."""
        anything, records = False, False
        for line in lines:
            if "\0" in line:  # decodes as UTF-8, yet no text file holds it
                raise NotAJournalError(self._not_text())
            try:
                entry = json.loads(line)
            except (ValueError, RecursionError):
                entry = None  # a torn line: its request is covered by the snapshot rules
            if not records:
                records = _is_record(entry, line)
                anything = anything or bool(line.strip())
            if isinstance(entry, dict) and entry.get("model") == self.model_id:
                try:
                    self._apply(entry)
                except (KeyError, TypeError, ValueError):
                    continue  # a line of a shape this version does not know
        if anything and not records:
            raise NotAJournalError(
                f"{self.path} is not a journal (none of its lines is a journal record); "
                "give another path"
            )

    def _not_a_file(self) -> str:
        return f"journal {self.path} is not a regular file; give the path of a file"

    def _not_text(self) -> str:
        return f"{self.path} is not a journal (it is not text); give another path"

    def _apply(self, entry: dict[str, Any]) -> None:
        if "v" not in entry:
            self._apply_first_format(entry)
            return
        op = entry["op"]
        if op == "run":
            self.run = int(entry["run"])
            self.held[self.run] = frozenset(entry["held"])
        elif op == "send":
            send = Send(int(entry["run"]), entry.get("content"), entry.get("name"))
            send.asset, send.at = entry.get("asset"), entry.get("at")
            self.unconfirmed[_key(send)] = send
        elif op == "landed":
            self._landed((entry["content"], entry["name"]), entry["id"])
        elif op == "absent":
            self.unconfirmed.pop(_entry_key(entry), None)
        elif op == "asset":
            item = (entry["content"], entry["name"])
            self.uploaded[item] = entry["asset"]
            self.completed.pop(item, None)
        elif op == "completed":
            self.completed[(entry["content"], entry["name"])] = entry["upload"]
        elif op == "forget":
            self.uploaded.pop((entry["content"], entry["name"]), None)
            self.completed.pop((entry["content"], entry["name"]), None)
        elif op == "attached":
            self.attached.add(entry["asset"])
            self.unconfirmed.pop(("asset", entry["asset"]), None)
            if entry.get("content") is not None:
                self._landed((entry["content"], entry["name"]), entry.get("id") or "")

    def _apply_first_format(self, entry: dict[str, Any]) -> None:
        """Lines of the first format: ``{model, key, stage, name, trainingImageId|assetId}``,
        keyed by ``sha256:<hex of the data URL>`` or ``asset:<id>``. Landed images are kept
        by that key (``first_format``), so a re-run of the same upload still skips them;
        an asset uploaded but not attached is simply uploaded again (an unused copy)."""
        key: str = entry["key"]
        if key.startswith("asset:"):
            self.attached.add(key[len("asset:") :])
        elif entry.get("stage") != "asset" and key.startswith("sha256:"):
            image_id = entry["trainingImageId"]
            self.first_format[key[len("sha256:") :]] = (stored_name(entry["name"]), image_id)
            self.claimed.add(image_id)

    def _landed(self, item: Item, image_id: str) -> None:
        content, name = item
        self.landed[item] = image_id
        self.landed_content.setdefault(content, name)
        self.unconfirmed.pop(item, None)
        self.uploaded.pop(item, None)
        self.completed.pop(item, None)
        if image_id:
            self.claimed.add(image_id)
        else:
            self.unidentified[name] += 1

    # Writing ----------------------------------------------------------------------------

    def begin_run(self, held: Iterable[str]) -> int:
        """Record what the model holds as this run starts; returns the run's number."""
        self.run += 1
        self.held[self.run] = frozenset(held)
        self._write({"op": "run", "run": self.run, "held": sorted(self.held[self.run])})
        return self.run

    def send(self, item: Item) -> None:
        """Announce a direct add, before it leaves."""
        content, name = item
        send = Send(self.run, content, name, at=time.time())
        self.unconfirmed[item] = send
        self._write(
            {"op": "send", "run": self.run, "content": content, "name": name, "at": send.at}
        )

    def send_assets(self, asset_ids: Iterable[str]) -> None:
        """Announce an attach of these asset ids, before it leaves."""
        at = time.time()
        for asset_id in asset_ids:
            self.unconfirmed[("asset", asset_id)] = Send(self.run, asset=asset_id, at=at)
            self._write({"op": "send", "run": self.run, "asset": asset_id, "at": at})

    def record_landed(self, item: Item, image_id: str) -> None:
        self._landed(item, image_id)
        content, name = item
        self._write({"op": "landed", "content": content, "name": name, "id": image_id})

    def record_absent(self, item: Item) -> None:
        """A send that surely stored nothing: its item is simply sent again next time."""
        self.unconfirmed.pop(item, None)
        content, name = item
        self._write({"op": "absent", "content": content, "name": name})

    def record_completed(self, item: Item, upload_id: str) -> None:
        """An upload in parts of this item was completed: its asset is that upload's, once
        the service has validated it."""
        self.completed[item] = upload_id
        content, name = item
        self._write({"op": "completed", "content": content, "name": name, "upload": upload_id})

    def record_uploaded(self, item: Item, asset_id: str) -> None:
        self.uploaded[item] = asset_id
        self.completed.pop(item, None)
        content, name = item
        self._write({"op": "asset", "content": content, "name": name, "asset": asset_id})

    def forget_upload(self, item: Item) -> None:
        """The asset (or completed upload) of this item cannot be attached (gone, failed):
        the next run uploads the image again."""
        self.uploaded.pop(item, None)
        self.completed.pop(item, None)
        content, name = item
        self._write({"op": "forget", "content": content, "name": name})

    def record_attached(self, asset_id: str, item: Item | None = None) -> None:
        self.attached.add(asset_id)
        self.unconfirmed.pop(("asset", asset_id), None)
        entry: dict[str, Any] = {"op": "attached", "asset": asset_id}
        if item is not None:
            self._landed(item, "")
            entry.update(content=item[0], name=item[1])
        self._write(entry)

    def record_asset_absent(self, asset_id: str) -> None:
        self.unconfirmed.pop(("asset", asset_id), None)
        self._write({"op": "absent", "asset": asset_id})

    def _write(self, entry: dict[str, Any]) -> None:
        if self._file is None:
            return
        line = json.dumps({"v": FORMAT_VERSION, "model": self.model_id, **entry})
        self._file.write(line + "\n")
        self._file.flush()

    def close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.close()  # closing the file releases its lock


#: How every journal line begins, as written (the current format, then the first).
_RECORD_STARTS = ('{"v": ', '{"model": ')


def _is_record(entry: Any, line: str) -> bool:
    """Whether a line is a journal record: an object naming its model and what it records
    (``op``; ``key`` in the first format), or one whose write was cut short."""
    if entry is None:
        return line.startswith(_RECORD_STARTS)
    return isinstance(entry, dict) and "model" in entry and ("op" in entry or "key" in entry)


def _key(send: Send) -> tuple[str, str]:
    if send.asset is not None:
        return ("asset", send.asset)
    return (send.content or "", send.name or "")


def _entry_key(entry: dict[str, Any]) -> tuple[str, str]:
    if entry.get("asset") is not None:
        return ("asset", entry["asset"])
    return (entry["content"], entry["name"])


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(file: IO[str], path: Path) -> None:
        try:
            msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            raise JournalBusyError(f"journal {path} is in use by another run") from None

else:
    import fcntl

    def _lock(file: IO[str], path: Path) -> None:
        """An advisory lock the operating system drops when the process dies, so a killed
        run never leaves the journal locked."""
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JournalBusyError(f"journal {path} is in use by another run") from None
