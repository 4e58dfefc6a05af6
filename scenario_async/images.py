"""Images to upload: made from a path, bytes or a data URL; read and encoded only on demand.

The MIME type comes from the content's magic bytes, never from the file name, and content
that is not a PNG, JPEG, WebP or GIF image is refused.
"""

from __future__ import annotations

import binascii
import hashlib
import os
from pathlib import Path
from typing import Any

import pybase64

from ._validate import check_data_url, check_id

__all__ = ["IMAGE_SUFFIXES", "Image", "NotAnImageError", "sniff_mime_type"]

#: File name endings the command line picks up when it walks a directory.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif"})


class NotAnImageError(ValueError):
    """The content is not an image type the service accepts."""


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

    __slots__ = ("_content", "_data_url", "_path", "name")

    def __init__(
        self,
        *,
        name: str,
        path: Path | None = None,
        content: bytes | None = None,
        data_url: str | None = None,
    ) -> None:
        self.name = check_id("name", name)
        self._path = path
        self._content = content
        self._data_url = data_url

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], *, name: str | None = None) -> Image:
        """An image file; it is read only when uploaded. ``name`` defaults to the file name."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or PathLike, got {type(path).__name__}")
        file = Path(path)
        return cls(name=name or file.name, path=file)

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str) -> Image:
        """Image content in memory; refused at once unless it is an image."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        content = bytes(data)
        _require_image(content[:16], name)
        return cls(name=name, content=content)

    @classmethod
    def from_data_url(cls, url: str, *, name: str) -> Image:
        """A ``data:image/...;base64,`` URL; its payload must really be an image."""
        check_data_url("url", url)
        payload = url[url.index(",") + 1 :]
        try:
            head = pybase64.b64decode(payload[:24])
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"url has a malformed base64 payload: {exc}") from None
        _require_image(head, name)
        return cls(name=name, data_url=url)

    @property
    def source(self) -> str:
        """Where the image comes from, for messages: its path, or its name."""
        return str(self._path) if self._path is not None else self.name

    def read(self) -> bytes:
        """The image's bytes. Raises OSError for an unreadable file and NotAnImageError
        for content that is not an image."""
        if self._content is not None:
            return self._content
        if self._data_url is not None:
            return pybase64.b64decode(self._data_url[self._data_url.index(",") + 1 :])
        assert self._path is not None
        content = self._path.read_bytes()
        _require_image(content[:16], str(self._path))
        return content

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
        content = self.read()
        mime = _require_image(content[:16], self.source)
        return (f"data:{mime};base64,".encode("ascii"), pybase64.b64encode(content))

    def identified_parts(self) -> tuple[str, tuple[bytes, ...]]:
        """The SHA-256 (hex) of the image's content, which identifies it, with
        ``data_url_parts()``: one read of the content serves both."""
        if self._data_url is not None:
            content = pybase64.b64decode(self._data_url[self._data_url.index(",") + 1 :])
            return hashlib.sha256(content).hexdigest(), (self._data_url.encode("ascii"),)
        content = self.read()
        mime = _require_image(content[:16], self.source)
        parts = (f"data:{mime};base64,".encode("ascii"), pybase64.b64encode(content))
        return hashlib.sha256(content).hexdigest(), parts

    def __repr__(self) -> str:
        return f"Image({self.source!r})"

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Image):
            return NotImplemented
        return (self.name, self._path, self._content, self._data_url) == (
            other.name,
            other._path,
            other._content,
            other._data_url,
        )

    def __hash__(self) -> int:
        return hash((self.name, self._path))


def _require_image(head: bytes, what: str) -> str:
    mime = sniff_mime_type(head)
    if mime is None:
        raise NotAnImageError(f"{what} is not a PNG, JPEG, WebP or GIF image")
    return mime
