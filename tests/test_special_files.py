"""Image paths that are no regular file (a FIFO, a device, a socket, a folder) or are too large:
refused at once with an error that says why, never waited on nor read to the end.

A regression here would block the event loop or read forever, so each such read runs in a
thread that must end within seconds: a blocked read fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scenario_async.images import (
    MAX_IMAGE_BYTES,
    Image,
    ImageFileError,
    ImageTooLargeError,
)
from scenario_async.testing import FakeScenario, make_png

from .conftest import MODELS

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX only")
needs_dev_zero = pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
needs_unix_socket = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no UNIX sockets")

PNG = make_png(5, 5)


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """What ``call`` returned or raised, run in a thread that must end within ``seconds``."""
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(call())
        except BaseException as exc:
            box.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still blocked after {seconds} s")
    return box[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO named like an image, with no writer."""
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    yield path
    # A reader that a regression left blocked in open() is let go: a writer comes and goes.
    # With no reader waiting, the open fails (ENXIO): there is nothing to let go.
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


@pytest.fixture
def unix_socket() -> Iterator[Path]:
    """A UNIX socket file named like an image (in a short folder: socket paths are short)."""
    with tempfile.TemporaryDirectory(prefix="sa-") as folder:
        path = Path(folder) / "s.png"
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(str(path))
            yield path
        finally:
            server.close()


@pytest.fixture
def png_file(tmp_path: Path) -> Path:
    path = tmp_path / "good.png"
    path.write_bytes(PNG)
    return path


# Not a regular file -------------------------------------------------------------------


@needs_fifo
def test_a_fifo_without_a_writer_is_refused_at_once_not_waited_on(fifo: Path) -> None:
    error = within(5, Image.from_path(fifo).read)
    assert isinstance(error, ImageFileError) and isinstance(error, OSError)
    assert str(error) == f"{fifo} is a FIFO, not a regular file"


@needs_dev_zero
def test_dev_zero_is_refused_at_once_not_read_until_memory_runs_out() -> None:
    error = within(5, Image.from_path("/dev/zero").read)
    assert isinstance(error, ImageFileError)
    assert str(error) == "/dev/zero is a character device, not a regular file"


def test_a_directory_is_refused_as_such(tmp_path: Path) -> None:
    folder = tmp_path / "album.png"
    folder.mkdir()
    with pytest.raises(ImageFileError) as caught:
        Image.from_path(folder).read()
    assert str(caught.value) == f"{folder} is a directory, not a regular file"


@needs_unix_socket
def test_a_unix_socket_is_refused_as_such(unix_socket: Path) -> None:
    error = within(5, Image.from_path(unix_socket).read)
    assert isinstance(error, ImageFileError)
    assert str(error) == f"{unix_socket} is a socket, not a regular file"


@needs_fifo
def test_a_symbolic_link_to_a_fifo_is_refused_as_a_fifo(fifo: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.png"
    link.symlink_to(fifo)
    error = within(5, Image.from_path(link).read)
    assert isinstance(error, ImageFileError)
    assert str(error) == f"{link} is a FIFO, not a regular file"


@needs_fifo
def test_a_file_swapped_for_a_fifo_after_the_first_look_is_still_refused(
    png_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The path is checked, then opened: what is opened is checked again.
    real_open = os.open

    def swap_then_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path) == png_file:
            png_file.unlink()
            os.mkfifo(png_file)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", swap_then_open)
    error = within(5, Image.from_path(png_file).read)
    monkeypatch.undo()
    assert isinstance(error, ImageFileError)
    assert str(error) == f"{png_file} is a FIFO, not a regular file"


@needs_unix_socket
def test_a_file_swapped_for_a_socket_after_the_first_look_is_refused_as_one(
    png_file: Path, unix_socket: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Opening a socket fails (ENXIO on Linux): that is told as what it is, too.
    real_open = os.open

    def open_the_socket(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path) == png_file:
            png_file.unlink()
            png_file.symlink_to(unix_socket)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_the_socket)
    error = within(5, Image.from_path(png_file).read)
    monkeypatch.undo()
    assert isinstance(error, ImageFileError)
    assert str(error) == f"{png_file} is a socket, not a regular file"


def test_a_regular_file_is_read_where_os_has_no_nonblocking_open(
    png_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows has neither O_NONBLOCK nor O_NOCTTY: files are read all the same.
    monkeypatch.delattr(os, "O_NONBLOCK", raising=False)
    monkeypatch.delattr(os, "O_NOCTTY", raising=False)
    assert Image.from_path(png_file).read() == PNG


def test_a_missing_or_unreadable_file_keeps_its_usual_error(tmp_path: Path) -> None:
    missing = tmp_path / "gone.png"
    with pytest.raises(FileNotFoundError) as caught:
        Image.from_path(missing).read()
    assert caught.value.filename == str(missing)


# The size limit -----------------------------------------------------------------------


def test_a_file_over_max_bytes_is_refused_before_it_is_read(
    png_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    real_read = os.read

    def counted_read(fd: int, size: int) -> bytes:
        reads.append(size)
        return real_read(fd, size)

    monkeypatch.setattr(os, "read", counted_read)
    image = Image.from_path(png_file, max_bytes=len(PNG) - 1)
    with pytest.raises(ImageTooLargeError) as caught:
        image.read()
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == (
        f"{png_file} is too large: {len(PNG)} bytes, over the limit of {len(PNG) - 1} bytes "
        "(max_bytes)"
    )
    assert reads == []  # refused on its size alone
    assert Image.from_path(png_file, max_bytes=len(PNG)).read() == PNG  # the limit is allowed


def test_the_default_limit_is_max_image_bytes(tmp_path: Path) -> None:
    assert MAX_IMAGE_BYTES == 50 * 2**20
    big = tmp_path / "huge.png"
    with big.open("wb") as file:  # sparse: no disk space is used
        file.write(PNG)
        file.truncate(MAX_IMAGE_BYTES + 1)
    with pytest.raises(ImageTooLargeError, match=r"over the limit of 52428800 bytes"):
        Image.from_path(big).read()
    at_limit = tmp_path / "at-limit.png"
    with at_limit.open("wb") as file:
        file.write(PNG)
        file.truncate(MAX_IMAGE_BYTES)  # zeros after the PNG's end: decoders ignore them
    assert len(Image.from_path(at_limit).read()) == MAX_IMAGE_BYTES


def grow_after_each_fstat(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Make ``path`` grow by 100 bytes each time a regular file's size is looked at: as if
    another program appended to it after its size was seen."""
    real_fstat = os.fstat

    def fstat_then_grow(fd: int) -> os.stat_result:
        info = real_fstat(fd)
        if stat.S_ISREG(info.st_mode):
            with path.open("ab") as file:
                file.write(b"\x00" * 100)
        return info

    monkeypatch.setattr(os, "fstat", fstat_then_grow)


def test_a_file_that_grows_past_the_limit_while_read_is_refused(
    png_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grow_after_each_fstat(monkeypatch, png_file)
    image = Image.from_path(png_file, max_bytes=len(PNG) + 10)
    with pytest.raises(ImageTooLargeError) as caught:
        image.read()
    assert str(caught.value) == (
        f"{png_file} is too large: it grew past the limit of {len(PNG) + 10} bytes "
        "(max_bytes) while it was read"
    )


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "100", None])
def test_max_bytes_must_be_a_positive_integer(png_file: Path, bad: Any) -> None:
    with pytest.raises(ValueError, match=r"^max_bytes must be a positive integer, got "):
        Image.from_path(png_file, max_bytes=bad)


def test_max_bytes_is_kept_by_the_image_and_tells_two_images_apart(png_file: Path) -> None:
    assert Image.from_path(png_file, max_bytes=100) != Image.from_path(png_file, max_bytes=101)
    assert Image.from_path(png_file) == Image.from_path(png_file, max_bytes=MAX_IMAGE_BYTES)


# Through add_many ---------------------------------------------------------------------


@needs_fifo
@needs_dev_zero
def test_add_many_fails_special_files_one_by_one_and_stores_the_good_image(
    fifo: Path, png_file: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "folder.png"
    folder.mkdir()
    large = tmp_path / "large.png"
    large.write_bytes(make_png(40, 40))

    async def upload() -> Any:
        async with FakeScenario(models=MODELS) as fake, fake.client() as client:
            result = await client.models.training_images.add_many(
                "m",
                [fifo, "/dev/zero", folder, Image.from_path(large, max_bytes=100), png_file],
            )
            return result, [image.name for image in fake.training_images("m")]

    # asyncio.run in a thread: a read that blocks the event loop would block any timeout in it.
    outcome = within(30, lambda: asyncio.run(upload()))
    if isinstance(outcome, BaseException):
        raise outcome
    result, stored = outcome
    assert [o.status for o in result] == ["failed", "failed", "failed", "failed", "sent"]
    assert [type(o.error) for o in result[:4]] == [ImageFileError] * 3 + [ImageTooLargeError]
    assert [str(o.error) for o in result[:3]] == [
        f"{fifo} is a FIFO, not a regular file",
        "/dev/zero is a character device, not a regular file",
        f"{folder} is a directory, not a regular file",
    ]
    assert "over the limit of 100 bytes" in str(result[3].error)
    assert result[4].ok and stored == ["good.png"]


# A journal that is no regular file ----------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "/dev/null", "directory"])
def test_a_journal_that_is_no_regular_file_is_refused_before_any_request(
    kind: str, fifo: Path, tmp_path: Path, png_file: Path
) -> None:
    """A FIFO would block the journal's read, ``/dev/null`` would swallow every record (a
    run that says it can be resumed and cannot), a folder cannot be appended to: each is
    refused with NotAJournalError naming the path, before the model is read."""
    from scenario_async.journal import NotAJournalError

    if kind == "fifo":
        journal = fifo
    elif kind == "directory":
        journal = tmp_path / "journals"
        journal.mkdir()
    else:
        if not os.path.exists("/dev/null"):
            pytest.skip("no /dev/null")
        journal = Path("/dev/null")

    async def upload() -> Any:
        async with FakeScenario(models=MODELS) as fake, fake.client() as client:
            try:
                await client.models.training_images.add_many("m", [png_file], journal=journal)
            except NotAJournalError as exc:
                return exc, list(fake.requests)
            pytest.fail("no NotAJournalError")

    outcome = within(30, lambda: asyncio.run(upload()))
    if not isinstance(outcome, tuple):
        raise outcome
    error, requests = outcome
    assert str(error) == f"journal {journal} is not a regular file; give the path of a file"
    assert requests == []
