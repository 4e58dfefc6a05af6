"""What an image's bytes are: their type from the first bytes, whole or cut from the last.

Kept apart from ``images`` (which reads files) so that ``_validate`` checks a data URL's
payload with a plain import: an import inside the check cost 3 % of a small add.
"""

from __future__ import annotations

from typing import Protocol, SupportsIndex, overload

__all__ = [
    "ImageBytes",
    "NotAnImageError",
    "TruncatedImageError",
    "refuse_truncated",
    "require_image",
    "require_type",
    "require_whole",
    "sniff_mime_type",
]


class ImageBytes(Protocol):
    """What the end checks read of an image: ``bytes``, or a view of a file that reads only
    the places looked at (``images.FileView``), so a large file is checked without being
    held in memory."""

    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, key: SupportsIndex, /) -> int: ...
    @overload
    def __getitem__(self, key: slice, /) -> bytes: ...
    def find(self, sub: bytes, start: SupportsIndex = ..., /) -> int: ...
    def endswith(self, suffix: bytes, /) -> bool: ...


class NotAnImageError(ValueError):
    """The content is not a whole image of a type the service accepts."""

    __module__ = "scenario_async.images"


class TruncatedImageError(NotAnImageError):
    """The content starts as a PNG, JPEG, WebP or GIF image but its end is missing (a copy
    or a download that stopped): sent, it would be stored broken or refused."""

    __module__ = "scenario_async.images"


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


def require_type(head: bytes, what: str) -> str:
    mime = sniff_mime_type(head)
    if mime is None:
        raise NotAnImageError(f"{what} is not a PNG, JPEG, WebP or GIF image")
    return mime


def require_image(content: bytes, what: str) -> str:
    """The MIME type of ``content``, which must be a whole PNG, JPEG, WebP or GIF image."""
    mime = require_type(content[:16], what)
    require_whole(content, mime, what)
    return mime


def refuse_truncated(content: bytes, what: str) -> None:
    """Refuse ``content`` that starts as a PNG, JPEG, WebP or GIF image and is cut short.
    Content of another type is let through: a data URL may hold any image type the service
    takes, and this module knows the ends of only these four."""
    mime = sniff_mime_type(content[:16])
    if mime is not None:
        require_whole(content, mime, what)


def require_whole(content: ImageBytes, mime: str, what: str) -> None:
    """Refuse ``content`` of type ``mime`` whose end is missing (TruncatedImageError)."""
    problem = _END_CHECKS[mime](content)
    if problem is not None:
        raise TruncatedImageError(f"{what} is truncated: {problem}")


# The end of each type. Each check returns None for a whole image, else what is missing.
# None decodes pixels: they follow the structure (chunks, segments, blocks) to its end, so a
# cut is found wherever it falls. Bytes after the end are allowed, as decoders ignore them.

_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk: no data, then its CRC
_PNG_RULE = "a PNG ends with an IEND chunk"


def _png_problem(data: ImageBytes) -> str | None:
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


def _jpeg_problem(data: ImageBytes) -> str | None:
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


def _gif_problem(data: ImageBytes) -> str | None:
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


def _webp_problem(data: ImageBytes) -> str | None:
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
