"""Real, small PNG, JPEG, GIF and WebP images made on the spot, for tests and the demo."""

from __future__ import annotations

import struct
import zlib

__all__ = ["make_gif", "make_jpeg", "make_png", "make_webp"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _check_size(width: int, height: int, most: int = 65535) -> None:
    if not (1 <= width <= most and 1 <= height <= most):
        raise ValueError(f"width and height must be from 1 to {most}")


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


class _Bits:
    """Bits gathered into bytes, most significant first (JPEG) or least first (GIF, WebP)."""

    def __init__(self, msb_first: bool) -> None:
        self.msb_first = msb_first
        self.value = 0
        self.count = 0

    def add(self, value: int, width: int) -> None:
        if self.msb_first:
            self.value = (self.value << width) | value
        else:
            self.value |= value << self.count
        self.count += width

    def bytes(self) -> bytes:
        """The bits so far, the last byte padded with ones (JPEG) or zeros (GIF, WebP)."""
        pad = -self.count % 8
        if self.msb_first:
            return ((self.value << pad) | ((1 << pad) - 1)).to_bytes((self.count + pad) // 8, "big")
        return self.value.to_bytes((self.count + pad) // 8, "little")


def make_jpeg(width: int = 32, height: int = 32, gray: int = 128) -> bytes:
    """A valid baseline grayscale JPEG of one grey level (0 to 255).

    Every 8x8 block holds only its DC coefficient, so two Huffman tables of one or two
    codes are enough: no DCT is needed to write it, and any decoder reads it.
    """
    _check_size(width, height)
    if not 0 <= gray <= 255:
        raise ValueError("gray must be from 0 to 255")
    level = gray - 128  # the DC coefficient, with every quantizer 8
    category = abs(level).bit_length()
    bits = _Bits(msb_first=True)
    blocks = -(-width // 8) * -(-height // 8)
    for index in range(blocks):
        if index == 0 and category:
            bits.add(0b0, 1)  # the DC code of ``category``
            bits.add(level if level > 0 else level + (1 << category) - 1, category)
        else:
            bits.add(0b10 if category else 0b0, 2 if category else 1)  # a DC difference of 0
        bits.add(0b0, 1)  # end of block: every AC coefficient is 0
    scan = bits.bytes().replace(b"\xff", b"\xff\x00")  # byte stuffing

    def segment(marker: int, body: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body

    dc_table = (
        bytes([0x00, 1, 1, *[0] * 14, category, 0]) if category else bytes([0x00, 1, *[0] * 15, 0])
    )
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xDB, b"\x00" + b"\x08" * 64)
        + segment(0xC0, struct.pack(">BHHBBBB", 8, height, width, 1, 1, 0x11, 0))
        + segment(0xC4, dc_table + bytes([0x10, 1, *[0] * 15, 0x00]))
        + segment(0xDA, bytes([1, 1, 0x00, 0, 63, 0]))
        + scan
        + b"\xff\xd9"
    )


def make_gif(
    width: int = 32, height: int = 32, color: tuple[int, int, int] = (200, 80, 40)
) -> bytes:
    """A valid two-colour GIF89a of one colour with a diagonal stripe, and a comment.

    Its LZW codes stay 3 bits wide: a clear code comes before every two pixels, so the
    code table never grows.
    """
    _check_size(width, height)
    inverse = bytes(255 - c for c in color)
    pixels = [1 if x == y else 0 for y in range(height) for x in range(width)]
    codes = _Bits(msb_first=False)
    for start in range(0, len(pixels), 2):
        codes.add(4, 3)  # clear
        for pixel in pixels[start : start + 2]:
            codes.add(pixel, 3)
    codes.add(5, 3)  # end of information
    data = codes.bytes()
    blocks = b"".join(
        bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255)
    )
    comment = b"made by scenario_async;"
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", width, height, 0x80, 0, 0)  # a global table of 2 colours
        + bytes(color)
        + inverse
        + b"\x21\xfe"
        + bytes([len(comment)])
        + comment
        + b"\x00"
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, width, height, 0)
        + b"\x02"  # LZW minimum code size
        + blocks
        + b"\x00"
        + b"\x3b"
    )


def make_webp(
    width: int = 32, height: int = 32, color: tuple[int, int, int] = (200, 80, 40)
) -> bytes:
    """A valid lossless WebP (VP8L) of one colour.

    Each of the five prefix codes holds one symbol, so every pixel takes no bits at all.
    """
    _check_size(width, height, most=16384)
    bits = _Bits(msb_first=False)
    bits.add(0x2F, 8)  # the VP8L signature
    bits.add(width - 1, 14)
    bits.add(height - 1, 14)
    bits.add(0, 1)  # no alpha
    bits.add(0, 3)  # version 0
    bits.add(0, 1)  # no transform
    bits.add(0, 1)  # no colour cache
    bits.add(0, 1)  # no meta prefix codes
    red, green, blue = color
    for symbol in (green, red, blue, 255, 0):  # green, red, blue, alpha, distance
        bits.add(1, 1)  # a simple code
        bits.add(0, 1)  # of one symbol
        bits.add(1, 1)  # written in 8 bits
        bits.add(symbol, 8)
    data = bits.bytes()
    chunk = b"VP8L" + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) % 2)
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk
