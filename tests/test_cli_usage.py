"""Every usage mistake is one line on stderr and exit status 2, found before any request:
nothing is sent, least of all a paid training run. Through ``main()``."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenario_async.cli import main
from scenario_async.journal import Journal, NotAJournalError
from scenario_async.testing import FakeScenario, make_png

from .test_cli import state_home  # noqa: F401 (an autouse fixture)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "a.png").write_bytes(make_png(4, 4))
    (tmp_path / "binary.journal").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff binary")
    (tmp_path / "notes.txt").write_text("my notes\nnot a journal\n")
    (tmp_path / "object.json").write_text('{"sourceId": "a", "targetId": "b"}')
    (tmp_path / "strings.json").write_text('["a", "b"]')
    return tmp_path


MISTAKES = {
    "base url without a scheme": ["upload", "m1", "{d}/a.png", "--base-url", "127.0.0.1:8765/v1"],
    "ftp base url": ["upload", "m1", "{d}/a.png", "--base-url", "ftp://example.com/v1"],
    "binary journal": ["upload", "m1", "{d}/a.png", "--journal", "{d}/binary.journal"],
    "text that is no journal": ["upload", "m1", "{d}/a.png", "--journal", "{d}/notes.txt"],
    "json file as journal": ["upload", "m1", "{d}/a.png", "--journal", "{d}/object.json"],
    "pairs file holding an object": ["pairs", "m1", "{d}/object.json"],
    "pairs file holding strings": ["pairs", "m1", "{d}/strings.json"],
    "missing pairs file": ["pairs", "m1", "{d}/nowhere.json"],
    "param not a number": ["train", "m1", "--param", "max_train_steps=abc"],
    "param not a scheduler": ["train", "m1", "--param", "lr_scheduler=bogus"],
    "param not a boolean": ["train", "m1", "--param", "random_crop=maybe"],
    "param not a list": ["train", "m1", "--param", "sample_prompts=a cat"],
    "camelCase param checked too": ["train", "m1", "--param", "maxTrainSteps=lots"],
    "negative poll interval": ["train", "m1", "--wait", "--poll-interval", "-1"],
    "missing image path": ["upload", "m1", "{d}/a.png", "{d}/nope.png"],
}


@pytest.mark.parametrize("words", list(MISTAKES.values()), ids=list(MISTAKES))
def test_a_usage_mistake_is_one_line_exit_2_and_sends_nothing(
    files: Path,
    fake_scenario: FakeScenario,
    capsys: pytest.CaptureFixture[str],
    words: list[str],
) -> None:
    fake_scenario.add_training_image("m1")
    argv = [word.replace("{d}", str(files)) for word in words]
    if "--base-url" not in argv:
        argv += ["--base-url", fake_scenario.base_url]
    argv += ["--api-key", fake_scenario.api_key, "--api-secret", fake_scenario.api_secret]
    try:
        code = main(argv)
    except SystemExit as exited:  # argparse's own usage errors
        code = int(str(exited.code))
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("scenario-async")]) == 1
    assert fake_scenario.requests == []
    assert (files / "binary.journal").read_bytes() == b"\x89PNG\r\n\x1a\n\x00\xff binary"
    assert (files / "notes.txt").read_text() == "my notes\nnot a journal\n"
    assert (files / "object.json").read_text() == '{"sourceId": "a", "targetId": "b"}'


def test_a_known_param_of_the_right_type_and_an_unknown_one_pass(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.add_training_image("m1")
    argv = ["train", "m1", "--dry-run", "--base-url", fake_scenario.base_url]
    argv += ["--param", "max_train_steps=300", "--param", "lr_scheduler=cosine"]
    argv += ["--param", 'sample_prompts=["a cat"]', "--param", "futureKnob=7"]
    argv += ["--api-key", fake_scenario.api_key, "--api-secret", fake_scenario.api_secret]
    assert main(argv) == 0, capsys.readouterr().err


def test_a_file_that_is_no_journal_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    documents = (
        b"\x00\x01binary",
        b"# a document\nwith lines\n",
        b'{\n  "cells": [],\n  "nbformat": 4\n}\n',  # a notebook, or any .json file
        b"{\\rtf1\\ansi a letter}\n",
        b'{"file_name": "a.png", "text": "a cat"}\n{"file_name": "b.png"}\n',  # metadata.jsonl
        b'{"model": "sdxl", "prompt": "a cat"}\n',  # JSON Lines naming a model, no record
    )
    for content in documents:
        path = tmp_path / "given.journal"
        path.write_bytes(content)
        with pytest.raises(NotAJournalError, match="is not a journal"):
            Journal.open(path, "m")
        assert path.read_bytes() == content
    torn = tmp_path / "torn.journal"
    torn.write_text('{"v": 2, "model": "m", "ev')  # a journal whose first write was cut
    Journal.open(torn, "m").close()
