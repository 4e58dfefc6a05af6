"""Images to upload: made from a path, bytes or a data URL; read and encoded only on demand.

The MIME type comes from the content's magic bytes, never from the file name, and content
that is not a whole PNG, JPEG, WebP or GIF image is refused: its start tells its type, its
structure that nothing was cut off its end. Only regular files are read, up to a size limit,
so that a FIFO or a device given as an image fails at once instead of blocking the event
loop or filling memory.
"""

from __future__ import annotations

import errno
import hashlib
import operator
import os
import stat
from pathlib import Path
from typing import Any, SupportsIndex, overload

import pybase64

from ._image_format import (
    NotAnImageError,
    TruncatedImageError,
    require_image,
    require_type,
    require_whole,
    sniff_mime_type,
)
from ._image_format import refuse_truncated as refuse_truncated  # for the fake API
from ._offload import let_the_loop_run
from ._validate import check_id, data_url_content

__all__ = [
    "IMAGE_SUFFIXES",
    "MAX_IMAGE_BYTES",
    "Image",
    "ImageFileError",
    "ImageTooLargeError",
    "NotAnImageError",
    "TruncatedImageError",
    "sniff_mime_type",
]

#: File name endings the command line picks up when it walks a directory.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif"})

#: The largest image file ``Image.from_path`` reads unless given another ``max_bytes``.
#: 50 MiB is more than any training image plausibly is (a 24-megapixel photo makes a JPEG
#: of 5 to 15 MiB, a PNG of 30 to 40), and little enough that a video or a disk image given
#: by mistake is refused at once, on its size, instead of being read and encoded in memory.
MAX_IMAGE_BYTES = 50 * 2**20


class ImageFileError(OSError):
    """The path names no regular file but a FIFO, a device, a socket or a directory: reading
    it could block forever or never end, so it is not read."""


class ImageTooLargeError(ValueError):
    """The file is larger than its ``max_bytes``: refused before it is read."""


class Image:
    """One image to upload. Cheap to hold: a path-based image keeps only the path until
    ``read()``, ``data_url()`` or ``data_url_parts()`` is called."""

    __slots__ = ("_content", "_data_url", "_max_bytes", "_path", "name")

    def __init__(
        self,
        *,
        name: str,
        path: Path | None = None,
        content: bytes | None = None,
        data_url: str | None = None,
        max_bytes: int = MAX_IMAGE_BYTES,
    ) -> None:
        self.name = check_id("name", name)
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}")
        self._path = path
        self._content = content
        self._data_url = data_url
        self._max_bytes = max_bytes

    @classmethod
    def from_path(
        cls,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        max_bytes: int = MAX_IMAGE_BYTES,
    ) -> Image:
        """An image file; it is read only when uploaded. ``name`` defaults to the file name.
        Only a regular file of at most ``max_bytes`` is read: anything else fails the read."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or PathLike, got {type(path).__name__}")
        file = Path(path)
        return cls(name=name or file.name, path=file, max_bytes=max_bytes)

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str) -> Image:
        """Image content in memory; refused at once unless it is a whole image."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        content = bytes(data)
        require_image(content, name)
        return cls(name=name, content=content)

    @classmethod
    def from_data_url(cls, url: str, *, name: str) -> Image:
        """A ``data:image/...;base64,`` URL; its payload must really be a whole image."""
        # Checking the base64 decodes all of it anyway (at SIMD speed): the image is checked
        # on those bytes, which are then dropped; the URL is kept as given.
        _, content = data_url_content("url", url)
        require_image(content, name)
        return cls(name=name, data_url=url)

    @property
    def in_memory(self) -> bool:
        """Whether the image's data is held here (bytes or a data URL), not read from a file."""
        return self._path is None

    @property
    def path(self) -> Path | None:
        """The file the image is read from; None for one held in memory."""
        return self._path

    @property
    def source(self) -> str:
        """Where the image comes from, for messages: its path, or its name."""
        return str(self._path) if self._path is not None else self.name

    def read(self) -> bytes:
        """The image's bytes. For a file: OSError when it cannot be read (ImageFileError
        when it is no regular file), ImageTooLargeError when it is over ``max_bytes``, and
        NotAnImageError (TruncatedImageError) when it is not a whole image."""
        if self._content is not None:
            return self._content
        if self._data_url is not None:
            return pybase64.b64decode(self._data_url[self._data_url.index(",") + 1 :])
        return self._checked()[0]

    def _checked(self) -> tuple[bytes, str]:
        """The bytes and MIME type of an image held as content or as a path. A file is read
        and checked whole now; content was checked whole when the Image was made."""
        if self._content is not None:
            return self._content, require_type(self._content[:16], self.source)
        assert self._path is not None
        content = _read_regular_file(self._path, self._max_bytes)
        return content, require_image(content, str(self._path))

    def data_url(self) -> str:
        """The image as a ``data:<mime>;base64,...`` URL, built now from fresh content."""
        if self._data_url is not None:
            return self._data_url
        return b"".join(self.data_url_parts()).decode("ascii")

    def data_url_parts(self) -> tuple[bytes, ...]:
        """The data URL as ASCII byte strings to be joined: what a request body splices in
        without ever building (and copying) the whole URL as a Python string."""
        if self._data_url is not None:
            return (self._data_url.encode("ascii"),)
        content, mime = self._checked()
        return (f"data:{mime};base64,".encode("ascii"), *_base64_pieces(content))

    def identified_parts(self) -> tuple[str, tuple[bytes, ...]]:
        """The SHA-256 (hex) of the image's content, which identifies it, with
        ``data_url_parts()``: one read of the content serves both.

        Safe to call in a worker thread, and meant for one when the image is large (see
        ``size_hint``): reading, hashing and encoding then hold the GIL only in short
        stretches, so the event loop's thread keeps running."""
        if self._data_url is not None:
            content = pybase64.b64decode(self._data_url[self._data_url.index(",") + 1 :])
            return hashlib.sha256(content).hexdigest(), (self._data_url.encode("ascii"),)
        if self._path is not None:
            return _identified_file(self._path, self._max_bytes)
        content, mime = self._checked()
        parts = (f"data:{mime};base64,".encode("ascii"), *_base64_pieces(content))
        return hashlib.sha256(content).hexdigest(), parts

    def size_hint(self) -> int:
        """About how many bytes reading this image means, known without reading it: the
        content's length, the data URL's, or the file's size (0 when the path cannot be
        looked at: reading it will say why)."""
        if self._content is not None:
            return len(self._content)
        if self._data_url is not None:
            return len(self._data_url)
        assert self._path is not None
        try:
            return os.stat(self._path).st_size
        except (OSError, ValueError):
            return 0

    def file_identity(self) -> tuple[str, str, os.stat_result]:
        """For an image file: the SHA-256 (hex) of its content, its MIME type, and the
        ``fstat`` it was read under, reading it in 1 MiB pieces, so that memory does not
        grow with the file (what an upload in parts needs, see ``add_many``). The file is
        checked as ``read()`` checks it, whole image included. For a worker thread."""
        if self._path is None:
            raise ValueError(f"{self.source} is held in memory, not a file")
        path = self._path
        fd, info = open_regular_file(path, self._max_bytes)
        try:
            view = FileView(fd, info.st_size)
            mime = require_type(view[:16], str(path))
            require_whole(view, mime, str(path))
            digest = hashlib.sha256()
            for offset in range(0, info.st_size, _HASH_PIECE):
                digest.update(os.pread(fd, _HASH_PIECE, offset))
                let_the_loop_run()
            return digest.hexdigest(), mime, info
        finally:
            os.close(fd)

    def __repr__(self) -> str:
        return f"Image({self.source!r})"

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Image):
            return NotImplemented
        return (self.name, self._path, self._content, self._data_url, self._max_bytes) == (
            other.name,
            other._path,
            other._content,
            other._data_url,
            other._max_bytes,
        )

    def __hash__(self) -> int:
        return hash((self.name, self._path))


#: Content is base64-encoded in slices of this many bytes (a multiple of 3, so that no slice
#: but the last is padded and the pieces joined are the whole encoding): each is one read of
#: a file and a fraction of a millisecond of hashing and encoding.
_ENCODE_SLICE = 3 * 2**18


def _base64_pieces(content: bytes) -> tuple[bytes, ...]:
    """The base64 of ``content``, in pieces of 1 MiB."""
    if len(content) <= _ENCODE_SLICE:
        return (pybase64.b64encode(content),)
    view = memoryview(content)
    return tuple(
        pybase64.b64encode(view[start : start + _ENCODE_SLICE])
        for start in range(0, len(content), _ENCODE_SLICE)
    )


# Reading files --------------------------------------------------------------------------

#: A file is hashed in pieces of this many bytes (the GIL is let go while each is hashed).
_HASH_PIECE = 2**20


class _ContentView:
    """Image content of ``size`` bytes that is not one ``bytes`` object, looked at as the
    end-of-image checks look (``ImageBytes``): a subclass says how bytes ``start`` to
    ``stop`` (within the size) are got."""

    _BLOCK = 2**16

    def __init__(self, size: int) -> None:
        self._size = size

    def __len__(self) -> int:
        return self._size

    def _get(self, start: int, stop: int) -> bytes:
        raise NotImplementedError

    def _read(self, start: int, stop: int) -> bytes:
        start, stop = max(start, 0), min(stop, self._size)
        return self._get(start, stop) if start < stop else b""

    @overload
    def __getitem__(self, key: SupportsIndex, /) -> int: ...
    @overload
    def __getitem__(self, key: slice, /) -> bytes: ...
    def __getitem__(self, key: SupportsIndex | slice, /) -> int | bytes:
        if isinstance(key, slice):
            start, stop, step = key.indices(self._size)
            if step != 1:
                raise ValueError(f"a {type(self).__name__} is sliced with a step of 1 only")
            return self._read(start, stop)
        index = operator.index(key)
        if index < 0:
            index += self._size
        if not 0 <= index < self._size:
            raise IndexError(f"{type(self).__name__} index out of range")
        return self._read(index, index + 1)[0]

    def endswith(self, suffix: bytes, /) -> bool:
        return (
            len(suffix) <= self._size and self._read(self._size - len(suffix), self._size) == suffix
        )

    def find(self, sub: bytes, start: SupportsIndex = 0, /) -> int:
        """Where ``sub`` first occurs from ``start``, or -1: read a block at a time, each
        block overlapping the last by ``len(sub) - 1`` bytes. A negative ``start`` counts
        from the end, as for ``bytes``."""
        position = operator.index(start)
        position = max(position + self._size if position < 0 else position, 0)
        overlap = len(sub) - 1
        while position + len(sub) <= self._size:
            piece = self._read(position, position + self._BLOCK)
            found = piece.find(sub)
            if found >= 0:
                return position + found
            position += max(len(piece) - overlap, 1)
        return -1


class FileView(_ContentView):
    """The first ``size`` bytes of an open file, read where they are looked at: what the
    end-of-image checks need without the file in memory. Reads go by blocks of 64 KiB, the
    last one kept, as the checks mostly step forward by small jumps. A file cut short while
    looked at reads as zeros past its new end: the check then fails, as it should, and the
    hash or the upload that follows sees the change."""

    def __init__(self, fd: int, size: int) -> None:
        super().__init__(size)
        self._fd = fd
        self._start = -1
        self._block = b""

    def _get(self, start: int, stop: int) -> bytes:
        if not self._start <= start < stop <= self._start + len(self._block):
            if stop - start > self._BLOCK:
                return os.pread(self._fd, stop - start, start).ljust(stop - start, b"\0")
            self._start = start
            wanted = min(self._BLOCK, self._size - start)
            self._block = os.pread(self._fd, wanted, start).ljust(wanted, b"\0")
        return self._block[start - self._start : stop - self._start]


class PiecesView(_ContentView):
    """Content held as pieces of ``piece`` bytes each (the last one maybe shorter), looked at
    as if joined, without joining them: a large file as it was read, checked on the very
    bytes that are then hashed and sent."""

    def __init__(self, pieces: list[bytes], piece: int) -> None:
        super().__init__(sum(map(len, pieces)))
        self._pieces = pieces
        self._piece = piece

    def _get(self, start: int, stop: int) -> bytes:
        parts = []
        for index in range(start // self._piece, (stop - 1) // self._piece + 1):
            at = index * self._piece
            parts.append(self._pieces[index][max(start - at, 0) : stop - at])
        return b"".join(parts)  # one part is returned as it is, not copied


_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _file_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, for messages: "a FIFO", "a directory"..."""
    for test, kind in _FILE_KINDS:
        if test(mode):
            return kind
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def _require_regular(mode: int, path: Path) -> None:
    if not stat.S_ISREG(mode):
        raise ImageFileError(f"{path} is {_file_kind(mode)}, not a regular file")


def _read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``max_bytes``."""
    fd, info = open_regular_file(path, max_bytes)
    try:
        # One piece is returned as it was read; a larger file is joined once.
        return b"".join(_read_pieces(fd, info.st_size, max_bytes, path))
    finally:
        os.close(fd)


def open_regular_file(path: Path, max_bytes: int) -> tuple[int, os.stat_result]:
    """A file descriptor open for reading on ``path``, which must be a regular file of at
    most ``max_bytes``, with its ``fstat``.

    The path is looked at before it is opened, so that no device is ever opened (opening
    one may act: a tape rewinds, a serial line hangs up), and what was opened is looked at
    again, in case another file took the path in between. Opening is non-blocking where the
    system has it, so that a FIFO put there in between cannot block the open either.
    """
    _require_regular(os.stat(path).st_mode, path)
    flags = (
        os.O_RDONLY
        | getattr(os, "O_BINARY", 0)  # Windows would otherwise read text
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_NOCTTY", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        # A socket (or a device with no driver) took the path: Linux says ENXIO, BSDs
        # EOPNOTSUPP.
        if exc.errno not in (errno.ENXIO, errno.EOPNOTSUPP):
            raise
        try:
            kind = _file_kind(os.stat(path).st_mode)
        except OSError:
            kind = "a special file"
        raise ImageFileError(f"{path} is {kind}, not a regular file") from None
    try:
        info = os.fstat(fd)
        _require_regular(info.st_mode, path)
        if info.st_size > max_bytes:
            raise ImageTooLargeError(
                f"{path} is too large: {info.st_size} bytes, over the limit of {max_bytes} "
                "bytes (max_bytes)"
            )
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def _read_pieces(fd: int, expected: int, max_bytes: int, path: Path) -> list[bytes]:
    """What ``fd`` holds, in pieces of ``_ENCODE_SLICE`` bytes (the last one maybe shorter),
    refusing more than ``max_bytes``. Each read is one piece at most: the kernel does not
    interrupt a read, and one of 20 MiB keeps an event loop that shares its core waiting
    10 ms. The last asks for one byte more than the ``expected`` size, so that its bytes
    object is made the right size (not a whole piece's) and the next read finds the end."""
    pieces: list[bytes] = []
    total = 0
    partial = b""
    while True:
        want = min(_ENCODE_SLICE - len(partial), max_bytes + 1 - total)
        if total <= expected:
            want = min(want, expected + 1 - total)
        chunk = os.read(fd, want)
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            raise ImageTooLargeError(
                f"{path} is too large: it grew past the limit of {max_bytes} bytes "
                "(max_bytes) while it was read"
            )
        partial += chunk  # a whole piece is mostly one read: adding to b"" copies nothing
        let_the_loop_run()
        if len(partial) == _ENCODE_SLICE:
            pieces.append(partial)
            partial = b""
    if partial:
        pieces.append(partial)
    return pieces


def _identified_file(path: Path, max_bytes: int) -> tuple[str, tuple[bytes, ...]]:
    """A file's SHA-256 (hex) and data URL parts (``Image.identified_parts``), never joined:
    read in pieces, checked whole on those very pieces, then hashed and encoded a piece at
    a time, each piece let go once encoded. For a worker thread."""
    fd, info = open_regular_file(path, max_bytes)
    try:
        pieces = _read_pieces(fd, info.st_size, max_bytes, path)
    finally:
        os.close(fd)
    view = PiecesView(pieces, _ENCODE_SLICE)
    mime = require_type(view[:16], str(path))
    require_whole(view, mime, str(path))
    del view
    digest = hashlib.sha256()
    parts = [f"data:{mime};base64,".encode("ascii")]
    pieces.reverse()
    while pieces:
        piece = pieces.pop()
        digest.update(piece)
        parts.append(pybase64.b64encode(piece))
        let_the_loop_run()
    return digest.hexdigest(), tuple(parts)
