"""Images: MIME sniffed from content, refused when not a whole image, read only on demand."""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from scenario_async import BadRequestError
from scenario_async.images import Image, NotAnImageError, TruncatedImageError, sniff_mime_type
from scenario_async.testing import FakeScenario, make_png
from scenario_async.testing._images import make_gif, make_jpeg, make_webp

from .conftest import MODELS

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


# Truncated images ---------------------------------------------------------------------

#: A whole image of each type, and what the message says such an image ends with.
WHOLE = {
    "png": (make_png(9, 7), "a PNG ends with an IEND chunk"),
    "jpeg": (make_jpeg(20, 12, 200), r"a JPEG ends with an end-of-image marker \(FF D9\)"),
    "gif": (make_gif(9, 7), r"a GIF ends with a trailer \(3B\)"),
    "webp": (make_webp(9, 7), "a WebP is as long as its RIFF header says"),
}
KINDS = sorted(WHOLE)


def data_url(content: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode()


def every_cut(content: bytes) -> list[bytes]:
    """Each beginning of ``content`` long enough to be told as its type (12 bytes for WebP)."""
    return [content[:length] for length in range(12, len(content))]


@pytest.mark.parametrize("kind", KINDS)
def test_a_whole_image_of_each_type_is_accepted_from_bytes_path_and_data_url(
    kind: str, tmp_path: Path
) -> None:
    content = WHOLE[kind][0]
    mime = sniff_mime_type(content[:16])
    assert mime == f"image/{kind}"
    assert Image.from_bytes(content, name="a").read() == content
    file = tmp_path / "a.img"
    file.write_bytes(content)
    assert Image.from_path(file).data_url() == data_url(content, mime)
    assert Image.from_data_url(data_url(content, mime), name="a").read() == content


@pytest.mark.parametrize("kind", KINDS)
def test_every_cut_of_an_image_is_refused_as_truncated_from_bytes(kind: str) -> None:
    content, says = WHOLE[kind]
    for cut in every_cut(content):
        with pytest.raises(TruncatedImageError, match=rf"^cut\.img is truncated: {says}"):
            Image.from_bytes(cut, name="cut.img")


@pytest.mark.parametrize("kind", KINDS)
def test_a_cut_image_file_is_refused_when_read(kind: str, tmp_path: Path) -> None:
    content, says = WHOLE[kind]
    file = tmp_path / "cut.img"
    image = Image.from_path(file)
    for length in (12, 16, len(content) // 2, len(content) - 2, len(content) - 1):
        file.write_bytes(content[:length])
        with pytest.raises(TruncatedImageError, match=rf"^{file} is truncated: {says}"):
            image.read()
        with pytest.raises(NotAnImageError):  # a TruncatedImageError is a NotAnImageError
            image.data_url()


@pytest.mark.parametrize("kind", KINDS)
def test_a_cut_image_in_a_data_url_is_refused(kind: str) -> None:
    content, says = WHOLE[kind]
    for cut in every_cut(content):
        with pytest.raises(TruncatedImageError, match=rf"^cut\.img is truncated: {says}"):
            Image.from_data_url(data_url(cut), name="cut.img")


async def test_add_and_asset_upload_refuse_a_cut_image_before_sending() -> None:
    cut = data_url(make_png(4, 4)[:-5])
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        with pytest.raises(TruncatedImageError, match=r"^data is truncated: a PNG ends with"):
            await client.models.training_images.add("m", data=cut, name="a.png")
        with pytest.raises(TruncatedImageError, match=r"^data is truncated"):
            await client.models.training_images.replace("ti", model_id="m", data=cut)
        with pytest.raises(TruncatedImageError, match=r"^image is truncated"):
            await client.assets.upload(image=cut, name="a.png")
        assert fake.requests == []
        # A whole image goes, and so does a type this SDK cannot check: the API decides (the
        # fake, as the service, takes PNG, JPEG, WebP and GIF only).
        await client.models.training_images.add("m", data=data_url(make_png(4, 4)), name="a.png")
        avif = data_url(b"\x00\x00\x00\x1cftypavif" + bytes(20), "image/avif")
        with pytest.raises(BadRequestError, match="not a PNG, JPEG, WebP or GIF image"):
            await client.models.training_images.add("m", data=avif, name="b.avif")
        assert len(fake.requests) == 2


def with_thumbnail(jpeg: bytes) -> bytes:
    """``jpeg`` with an EXIF segment that holds a whole JPEG thumbnail, as cameras write."""
    exif = b"Exif\x00\x00" + make_jpeg(8, 8, 30)
    return jpeg[:2] + struct.pack(">BBH", 0xFF, 0xE1, len(exif) + 2) + exif + jpeg[2:]


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda: make_png(6, 6) + b"left over after IEND", "bytes a cropping tool left"),
        (lambda: make_jpeg(24, 24) + b"\x00" * 16, "padding a camera wrote"),
        (lambda: make_jpeg(24, 24) + b"....ftypmp42" + bytes(300), "a motion photo's video"),
        (lambda: with_thumbnail(make_jpeg(24, 24)), "a thumbnail in the EXIF segment"),
        (lambda: make_gif(6, 6) + b"\x00\x00junk", "junk after the trailer"),
        (lambda: make_webp(6, 6) + b"\x00" * 3, "bytes after the RIFF data"),
    ],
)
def test_a_whole_image_with_bytes_after_its_end_is_accepted(
    make: Callable[[], bytes], why: str
) -> None:
    content = make()
    assert Image.from_bytes(content, name="a").read() == content, why


def test_a_cut_inside_the_main_image_is_refused_whatever_the_exif_thumbnail_holds() -> None:
    # The thumbnail ends with FF D9 too: the end of the whole image is found by walking its
    # segments, not by looking for those two bytes at the end.
    content = with_thumbnail(make_jpeg(24, 24, 90))
    thumbnail_end = content.index(b"\xff\xd9") + 2
    with pytest.raises(TruncatedImageError, match="a JPEG ends with an end-of-image marker"):
        Image.from_bytes(content[:thumbnail_end], name="cut.jpg")
    for cut in every_cut(content):
        with pytest.raises(TruncatedImageError):
            Image.from_bytes(cut, name="cut.jpg")


def test_a_gif_comment_ending_in_3b_does_not_pass_for_the_trailer() -> None:
    content = make_gif(6, 6)
    comment_end = content.index(b";") + 1  # the comment ends with ";", the trailer's byte
    with pytest.raises(TruncatedImageError, match="a GIF ends with a trailer"):
        Image.from_bytes(content[:comment_end], name="cut.gif")


def test_a_webp_whose_header_announces_too_little_is_refused() -> None:
    content = make_webp(4, 4)
    tiny = content[:4] + struct.pack("<I", 4) + content[8:]  # RIFF holds "WEBP" and nothing
    with pytest.raises(TruncatedImageError, match="a WebP is as long as its RIFF header says"):
        Image.from_bytes(tiny, name="tiny.webp")


@pytest.mark.parametrize("kind", ["png", "jpeg", "gif"])
def test_a_cut_image_padded_with_zeros_after_the_cut_is_still_refused(kind: str) -> None:
    # Zeros where the end was (a copy that stopped, a disk that filled): not a whole image.
    content = WHOLE[kind][0]
    for missing in (2, 8, 20):
        with pytest.raises(TruncatedImageError):
            Image.from_bytes(content[:-missing] + bytes(missing // 2), name="padded")
