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
import os
import stat
from pathlib import Path
from typing import Any

import pybase64

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


class NotAnImageError(ValueError):
    """The content is not a whole image of a type the service accepts."""


class TruncatedImageError(NotAnImageError):
    """The content starts as a PNG, JPEG, WebP or GIF image but its end is missing (a copy
    or a download that stopped): sent, it would be stored broken or refused."""


class ImageFileError(OSError):
    """The path names no regular file but a FIFO, a device, a socket or a directory: reading
    it could block forever or never end, so it is not read."""


class ImageTooLargeError(ValueError):
    """The file is larger than its ``max_bytes``: refused before it is read."""


def sniff_mime_type(head: bytes) -> str | None:
    """The image MIME type of content starting with ``head`` (16 bytes suffice), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


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
        _require_image(content, name)
        return cls(name=name, content=content)

    @classmethod
    def from_data_url(cls, url: str, *, name: str) -> Image:
        """A ``data:image/...;base64,`` URL; its payload must really be a whole image."""
        # Checking the base64 decodes all of it anyway (at SIMD speed): the image is checked
        # on those bytes, which are then dropped; the URL is kept as given.
        _, content = data_url_content("url", url)
        _require_image(content, name)
        return cls(name=name, data_url=url)

    @property
    def in_memory(self) -> bool:
        """Whether the image's data is held here (bytes or a data URL), not read from a file."""
        return self._path is None

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
            return self._content, _require_type(self._content[:16], self.source)
        assert self._path is not None
        content = _read_regular_file(self._path, self._max_bytes)
        return content, _require_image(content, str(self._path))

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
        return (f"data:{mime};base64,".encode("ascii"), pybase64.b64encode(content))

    def identified_parts(self) -> tuple[str, tuple[bytes, ...]]:
        """The SHA-256 (hex) of the image's content, which identifies it, with
        ``data_url_parts()``: one read of the content serves both."""
        if self._data_url is not None:
            content = pybase64.b64decode(self._data_url[self._data_url.index(",") + 1 :])
            return hashlib.sha256(content).hexdigest(), (self._data_url.encode("ascii"),)
        content, mime = self._checked()
        parts = (f"data:{mime};base64,".encode("ascii"), pybase64.b64encode(content))
        return hashlib.sha256(content).hexdigest(), parts

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


def _require_type(head: bytes, what: str) -> str:
    mime = sniff_mime_type(head)
    if mime is None:
        raise NotAnImageError(f"{what} is not a PNG, JPEG, WebP or GIF image")
    return mime


def _require_image(content: bytes, what: str) -> str:
    """The MIME type of ``content``, which must be a whole PNG, JPEG, WebP or GIF image."""
    mime = _require_type(content[:16], what)
    _require_whole(content, mime, what)
    return mime


def refuse_truncated(content: bytes, what: str) -> None:
    """Refuse ``content`` that starts as a PNG, JPEG, WebP or GIF image and is cut short.
    Content of another type is let through: a data URL may hold any image type the service
    takes, and this module knows the ends of only these four."""
    mime = sniff_mime_type(content[:16])
    if mime is not None:
        _require_whole(content, mime, what)


def _require_whole(content: bytes, mime: str, what: str) -> None:
    problem = _END_CHECKS[mime](content)
    if problem is not None:
        raise TruncatedImageError(f"{what} is truncated: {problem}")


# The end of each type. Each check returns None for a whole image, else what is missing.
# None decodes pixels: they follow the structure (chunks, segments, blocks) to its end, so a
# cut is found wherever it falls. Bytes after the end are allowed, as decoders ignore them.

_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk: no data, then its CRC
_PNG_RULE = "a PNG ends with an IEND chunk"


def _png_problem(data: bytes) -> str | None:
    """Whole when its chunks lead to an IEND chunk. Nearly every PNG ends with that chunk's
    12 bytes; otherwise the chunks are walked by their lengths, and bytes after IEND are
    allowed: some cropping tools leave the old image's tail there, and decoders ignore it."""
    if data.endswith(_PNG_END):
        return None
    pos, size = 8, len(data)
    while pos + 12 <= size:
        end = pos + 12 + int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == b"IEND" and end <= size:
            return None
        pos = end
    return _PNG_RULE


_JPEG_EOI = b"\xff\xd9"
_JPEG_RULE = "a JPEG ends with an end-of-image marker (FF D9)"
#: Markers with no length after them: TEM, RST0 to RST7, SOI, and 00 (an escaped FF).
_JPEG_BARE = frozenset({0x00, 0x01, *range(0xD0, 0xD9)})


def _jpeg_problem(data: bytes) -> str | None:
    """Whole when an end-of-image marker (FF D9) follows the start of its first scan.

    The segments before the scan are skipped by their lengths: the EXIF one often holds a
    thumbnail, a whole JPEG whose own FF D9 would pass a file cut just after it. Past the
    scan's start FF D9 is only ever a marker (scan data escapes each FF byte), and more
    bytes may follow it, of any length: cameras pad files, and motion photos append a
    video to the picture.
    """
    pos, size = 2, len(data)
    while True:
        if pos + 2 > size:
            return _JPEG_RULE
        if data[pos] != 0xFF:  # bytes where a marker belongs: decoders skip them, so do we
            pos = data.find(b"\xff", pos)
            if pos < 0:
                return _JPEG_RULE
            continue
        marker = data[pos + 1]
        if marker == 0xFF:  # a fill byte before a marker
            pos += 1
        elif marker == 0xD9:  # the end, before any scan
            return None
        elif marker in _JPEG_BARE:
            pos += 2
        elif pos + 4 > size:
            return _JPEG_RULE
        else:
            pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
            if marker == 0xDA:  # the first scan's header: its data follows
                break
    if pos > size - 2:
        return _JPEG_RULE
    if data.endswith(_JPEG_EOI) or data.find(_JPEG_EOI, pos) >= 0:
        return None
    return _JPEG_RULE


_GIF_RULE = "a GIF ends with a trailer (3B)"


def _gif_table(flags: int) -> int:
    """The size of the colour table a GIF's screen or image descriptor announces."""
    return 3 << ((flags & 7) + 1) if flags & 0x80 else 0


def _gif_problem(data: bytes) -> str | None:
    """Whole when its blocks lead to the trailer byte (3B). The blocks are always walked,
    since a 3B byte at the end is as likely a cut in image data or in a comment."""
    size = len(data)
    if size < 13:
        return _GIF_RULE
    pos = 13 + _gif_table(data[10])
    while pos < size:
        block = data[pos]
        if block == 0x3B:
            return None
        if block == 0x21:  # an extension: its label, then data sub-blocks
            pos += 2
        elif block == 0x2C:  # an image: descriptor, colour table, LZW code size, sub-blocks
            if pos + 10 > size:
                return _GIF_RULE
            pos += 10 + _gif_table(data[pos + 9]) + 1
        else:  # no block starts so: the file was cut or spoilt before
            return _GIF_RULE
        while pos < size:  # sub-blocks, each with its length first, up to an empty one
            length = data[pos]
            pos += 1 + length
            if length == 0:
                break
    return _GIF_RULE


_WEBP_RULE = "a WebP is as long as its RIFF header says"


def _webp_problem(data: bytes) -> str | None:
    """Whole when it has the bytes its RIFF header announces (decoders ignore more): at
    least 20, that is ``RIFF``, the length, ``WEBP`` and one chunk's header."""
    announced = int.from_bytes(data[4:8], "little") + 8
    if announced < 20:
        return f"{_WEBP_RULE}, at least 20 bytes: this one says {announced}"
    if announced > len(data):
        return f"{_WEBP_RULE}, {announced} bytes: this one has {len(data)}"
    return None


_END_CHECKS = {
    "image/png": _png_problem,
    "image/jpeg": _jpeg_problem,
    "image/gif": _gif_problem,
    "image/webp": _webp_problem,
}


# Reading files --------------------------------------------------------------------------

#: What a file that grows while read is read by, once past the size it had.
_GROWTH_CHUNK = 2**20

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
    """The bytes of ``path``, which must be a regular file of at most ``max_bytes``.

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
        return _read_to_end(fd, info.st_size, max_bytes, path)
    finally:
        os.close(fd)


def _read_to_end(fd: int, expected: int, max_bytes: int, path: Path) -> bytes:
    """Read ``fd`` to its end, refusing more than ``max_bytes``. The first read asks for one
    byte more than the file's size, so that it mostly brings the whole file in one bytes
    object (joined without a copy) and the next read says the file ended."""
    parts: list[bytes] = []
    total = 0
    while total <= max_bytes:
        want = expected + 1 - total if total <= expected else _GROWTH_CHUNK
        chunk = os.read(fd, min(want, max_bytes + 1 - total))
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        total += len(chunk)
    raise ImageTooLargeError(
        f"{path} is too large: it grew past the limit of {max_bytes} bytes (max_bytes) "
        "while it was read"
    )
