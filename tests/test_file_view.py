"""``Image.file_identity``: a file hashed and checked whole in pieces, never held in memory,
and ``FileView``, the view of a file the end-of-image checks read through. The view must
answer every question the checks ask exactly as the bytes would."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from scenario_async.images import (
    FileView,
    Image,
    ImageFileError,
    ImageTooLargeError,
    NotAnImageError,
    PiecesView,
    TruncatedImageError,
)

from .test_bulk_memory import big_png
from .test_images import KINDS, WHOLE, every_cut


@contextmanager
def view_of(content: bytes, tmp: Path) -> Iterator[FileView]:
    path = tmp / "view.bin"
    path.write_bytes(content)
    fd = os.open(path, os.O_RDONLY)
    try:
        yield FileView(fd, len(content))
    finally:
        os.close(fd)


def answers_as(
    view: FileView | PiecesView, content: bytes, sub: bytes, start: int, stop: int
) -> None:
    """``view`` answers every question the end checks ask as ``content`` does."""
    assert len(view) == len(content)
    assert view[start:stop] == content[start:stop]
    assert view.find(sub, start) == content.find(sub, start)
    assert view.endswith(sub) == content.endswith(sub)
    if -len(content) <= start < len(content):
        assert view[start] == content[start]
    else:
        with pytest.raises(IndexError):
            view[start]


@given(
    content=st.binary(max_size=300_000),
    sub=st.binary(min_size=1, max_size=3),
    start=st.integers(-10, 300_010),
    stop=st.integers(-10, 300_010),
)
def test_a_file_view_answers_as_its_bytes_do(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, sub: bytes, start: int, stop: int
) -> None:
    with view_of(content, tmp_path_factory.mktemp("v")) as view:
        answers_as(view, content, sub, start, stop)


@example(content=b"\x00\x00", piece=1, sub=b"\x00", start=-1, stop=0)  # from the end
@given(
    content=st.binary(max_size=2_000),
    piece=st.integers(1, 300),
    sub=st.binary(min_size=1, max_size=3),
    start=st.integers(-10, 2_010),
    stop=st.integers(-10, 2_010),
)
def test_a_pieces_view_answers_as_its_joined_bytes_do(
    content: bytes, piece: int, sub: bytes, start: int, stop: int
) -> None:
    """A file read in pieces is checked on those pieces, which must answer as one
    ``bytes`` would, wherever a look falls across their edges."""
    pieces = [content[at : at + piece] for at in range(0, len(content), piece)]
    answers_as(PiecesView(pieces, piece), content, sub, start, stop)


def test_a_find_across_block_edges_is_found(tmp_path: Path) -> None:
    content = b"\0" * (FileView._BLOCK - 1) + b"\xff\xd9" + b"\0" * 10
    with view_of(content, tmp_path) as view:
        assert view.find(b"\xff\xd9", 0) == FileView._BLOCK - 1


@pytest.mark.parametrize("kind", KINDS)
def test_file_identity_accepts_what_read_accepts_and_refuses_every_cut(
    kind: str, tmp_path: Path
) -> None:
    content, says = WHOLE[kind]
    path = tmp_path / "a.img"
    path.write_bytes(content)
    digest, mime, info = Image.from_path(path).file_identity()
    assert digest == hashlib.sha256(content).hexdigest()
    assert mime == f"image/{kind}"
    assert info.st_size == len(content)
    for cut in every_cut(content):
        path.write_bytes(cut)
        with pytest.raises(TruncatedImageError, match=says):
            Image.from_path(path).file_identity()


def test_file_identity_refuses_what_read_refuses(tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_bytes(b"hello, not an image at all")
    with pytest.raises(NotAnImageError):
        Image.from_path(text).file_identity()
    with pytest.raises(ImageFileError, match="directory"):
        Image.from_path(tmp_path).file_identity()
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(ImageFileError, match="FIFO"):
        Image.from_path(fifo).file_identity()
    big = tmp_path / "big.png"
    big.write_bytes(big_png(1, payload=4096))
    with pytest.raises(ImageTooLargeError, match="max_bytes"):
        Image.from_path(big, max_bytes=1000).file_identity()
    with pytest.raises(ValueError, match="in memory"):
        Image.from_bytes(big.read_bytes(), name="m.png").file_identity()


def test_file_identity_holds_a_piece_of_the_file_never_the_whole(tmp_path: Path) -> None:
    path = tmp_path / "large.png"
    content = big_png(2, payload=24 * 2**20)
    path.write_bytes(content)
    del content
    tracemalloc.start()
    try:
        digest, _, _ = Image.from_path(path).file_identity()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert peak < 3 * 2**20  # a 1 MiB piece and a 64 KiB block, not 24 MiB
