"""What ``scenario-async upload`` picks up when it walks folders: hidden files and folders and
macOS's ``._*`` companions are skipped unless ``--include-hidden``; symbolic links found in
folders are never followed, and both are counted on stderr. Files named on the command line
are always items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenario_async.cli import _walk, main
from scenario_async.testing import FakeScenario, make_png

from .test_cli import cli, state_home  # noqa: F401 (an autouse fixture)


def tree(root: Path) -> Path:
    """A folder with two images, and next to them what a walk must not take by default."""
    folder = root / "shoot"
    (folder / ".thumbnails").mkdir(parents=True)
    (folder / "a.png").write_bytes(make_png(4, 4, (1, 1, 1)))
    (folder / "b.png").write_bytes(make_png(4, 4, (2, 2, 2)))
    (folder / "._a.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble resource fork")
    (folder / ".hidden.png").write_bytes(make_png(4, 4, (3, 3, 3)))
    (folder / ".thumbnails" / "t.png").write_bytes(make_png(4, 4, (4, 4, 4)))
    outside = root / "elsewhere"
    outside.mkdir()
    (outside / "x.png").write_bytes(make_png(4, 4, (5, 5, 5)))
    (folder / "link.png").symlink_to(outside / "x.png")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    return folder


def test_a_walk_skips_hidden_entries_and_links_and_counts_them(tmp_path: Path) -> None:
    folder = tree(tmp_path)
    found = _walk([folder])
    assert found.files == [folder / "a.png", folder / "b.png"]
    assert sorted(p.name for p in found.hidden) == ["._a.png", ".hidden.png", ".thumbnails"]
    assert sorted(p.name for p in found.links) == ["link.png", "linked-folder", "loop"]


def test_include_hidden_takes_hidden_files_but_never_follows_links(tmp_path: Path) -> None:
    folder = tree(tmp_path)
    found = _walk([folder], include_hidden=True)
    names = [p.relative_to(folder).as_posix() for p in found.files]
    assert names == ["._a.png", ".hidden.png", ".thumbnails/t.png", "a.png", "b.png"]
    assert found.hidden == [] and len(found.links) == 3


def test_the_command_says_what_it_skipped_and_uploads_the_rest(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tree(tmp_path)
    code = main(cli(fake_scenario, "upload", "m1", str(folder), "--json"))
    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out)["sent"] == 2
    assert "3 symbolic link(s) found in folders were skipped" in captured.err
    assert "links are not followed" in captured.err
    assert "3 hidden file(s) or folder(s) were skipped" in captured.err
    assert "--include-hidden uploads them" in captured.err
    assert sorted(str(i.name) for i in fake_scenario.training_images("m1")) == ["a.png", "b.png"]


def test_a_link_or_a_hidden_file_given_by_name_is_uploaded(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tree(tmp_path)
    code = main(
        cli(fake_scenario, "upload", "m1", str(folder / "link.png"), str(folder / ".hidden.png"))
    )
    assert code == 0, capsys.readouterr().err
    names = sorted(str(i.name) for i in fake_scenario.training_images("m1"))
    assert names == [".hidden.png", "link.png"]
