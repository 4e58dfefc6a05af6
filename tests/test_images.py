"""Images: MIME sniffed from content, refused when not an image, read only on demand."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from scenario_async.images import Image, NotAnImageError, sniff_mime_type
from scenario_async.testing import make_png

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 8
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 8
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 8


@pytest.mark.parametrize(
    ("content", "mime"),
    [
        (make_png(2, 2), "image/png"),
        (JPEG, "image/jpeg"),
        (WEBP, "image/webp"),
        (GIF, "image/gif"),
        (b"%PDF-1.7 not an image", None),
        (b"", None),
    ],
)
def test_the_mime_type_is_sniffed_from_content(content: bytes, mime: str | None) -> None:
    assert sniff_mime_type(content[:16]) == mime


def test_a_png_named_jpg_is_sent_as_png(tmp_path: Path) -> None:
    file = tmp_path / "photo.jpg"
    file.write_bytes(make_png(3, 3))
    url = Image.from_path(file).data_url()
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == file.read_bytes()


def test_from_path_holds_the_path_until_asked_for_content(tmp_path: Path) -> None:
    file = tmp_path / "later.png"
    image = Image.from_path(file)  # the file does not exist yet: nothing was read
    assert image.name == "later.png" and image.source == str(file)
    file.write_bytes(make_png(2, 2))
    assert image.read() == file.read_bytes()


def test_a_missing_file_raises_when_read(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Image.from_path(tmp_path / "nope.png").read()


def test_a_file_that_is_no_image_is_refused_when_read(tmp_path: Path) -> None:
    file = tmp_path / "notes.png"
    file.write_text("just text")
    with pytest.raises(NotAnImageError, match=r"notes\.png is not a PNG"):
        Image.from_path(file).data_url()


def test_from_bytes_refuses_non_images_at_once() -> None:
    with pytest.raises(NotAnImageError, match=r"doc\.png"):
        Image.from_bytes(b"hello world, no image", name="doc.png")
    with pytest.raises(TypeError, match="data must be bytes"):
        Image.from_bytes("text", name="a.png")  # type: ignore[arg-type]


def test_from_data_url_checks_that_the_payload_is_an_image() -> None:
    good = "data:image/png;base64," + base64.b64encode(make_png(2, 2)).decode()
    assert Image.from_data_url(good, name="a.png").data_url() == good
    text = "data:image/png;base64," + base64.b64encode(b"plain text, not a png").decode()
    with pytest.raises(NotAnImageError):
        Image.from_data_url(text, name="a.png")
    with pytest.raises(ValueError, match="url must be a base64 image data URL"):
        Image.from_data_url("https://example.com/a.png", name="a.png")


def test_an_image_needs_a_name() -> None:
    with pytest.raises(ValueError, match="name"):
        Image.from_bytes(make_png(2, 2), name="")
