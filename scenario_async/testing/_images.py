"""Real, small PNG images made on the spot, for tests and the demo."""

from __future__ import annotations

import struct
import zlib

__all__ = ["make_png"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def make_png(
    width: int = 32, height: int = 32, color: tuple[int, int, int] = (200, 80, 40)
) -> bytes:
    """A valid RGB PNG of one colour with a diagonal stripe, so each colour gives other bytes."""
    if width < 1 or height < 1:
        raise ValueError("width and height must be at least 1")
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type: none
        for x in range(width):
            pixel = (255 - color[0], 255 - color[1], 255 - color[2]) if x == y else color
            row += bytes(pixel)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")
    )
