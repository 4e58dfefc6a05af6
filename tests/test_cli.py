"""The scenario-async command line, invoked as users invoke it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scenario_async.cli import default_journal_path, main
from scenario_async.testing import FakeScenario, RecordedRequest, make_png


@pytest.fixture(autouse=True)
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's state directory, where upload keeps its journals by default: a fresh one
    per test, so that no test reads or writes the real one."""
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home


def cli(fake: FakeScenario, *args: str) -> list[str]:
    return [
        *args,
        "--base-url",
        fake.base_url,
        "--api-key",
        fake.api_key,
        "--api-secret",
        fake.api_secret,
    ]


def adds(fake: FakeScenario) -> list[RecordedRequest]:
    """The add requests the fake API received."""
    return [r for r in fake.requests if r.method == "POST" and r.path.endswith("/training-images")]


def make_folder(root: Path, count: int) -> Path:
    folder = root / "images"
    (folder / "nested").mkdir(parents=True)
    for i in range(count):
        target = folder / "nested" if i % 2 else folder
        (target / f"{i}.png").write_bytes(make_png(6, 6, (i, 3, 4)))
    (folder / "readme.txt").write_text("not picked up: not an image suffix")
    return folder


def test_upload_walks_directories_and_prints_a_json_account(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_folder(tmp_path, 7)
    code = main(cli(fake_scenario, "upload", "m1", str(folder), "--json", "--concurrency", "3"))
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["total"] == 7 and report["failed"] == 0
    assert all(o["trainingImageId"] for o in report["outcomes"])
    assert len(fake_scenario.training_images("m1")) == 7


def test_upload_exits_non_zero_and_lists_each_failure(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "ok.png"
    good.write_bytes(make_png(4, 4))
    bad = tmp_path / "bad.png"
    bad.write_text("text")
    code = main(cli(fake_scenario, "upload", "m1", str(good), str(bad)))
    captured = capsys.readouterr()
    assert code == 1
    assert "failed: " + str(bad) in captured.err
    assert re.search(r"failed\W+1\b", captured.out)  # the summary table
    assert len(fake_scenario.training_images("m1")) == 1


def test_a_path_that_does_not_exist_is_a_usage_error_and_nothing_is_sent(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "ok.png"
    good.write_bytes(make_png(4, 4))
    code = main(cli(fake_scenario, "upload", "m1", str(good), str(tmp_path / "no.png")))
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().endswith(f"no such file or folder: {tmp_path / 'no.png'}")
    assert len(err.strip().splitlines()) == 1
    assert fake_scenario.requests == []


def test_upload_with_a_journal_skips_on_the_second_run(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_folder(tmp_path, 4)
    journal = str(tmp_path / "j.jsonl")
    args = cli(fake_scenario, "upload", "m1", str(folder), "--journal", journal, "--json")
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["failed"] == 0
    assert len(adds(fake_scenario)) == 4  # none the second time
    assert len(fake_scenario.training_images("m1")) == 4


def test_train_with_params_dry_run_and_wait(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.training_duration = 0.1
    fake_scenario.add_training_image("m1")
    assert main(cli(fake_scenario, "train", "m1", "--dry-run", "--json")) == 0
    assert json.loads(capsys.readouterr().out)["creativeUnitsCost"] == 105
    code = main(
        cli(
            fake_scenario,
            "train",
            "m1",
            "--param",
            "max_train_steps=300",
            "--param",
            'sample_prompts=["a cat"]',
            "--wait",
            "--poll-interval",
            "0.02",
            "--json",
        )
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["status"] == "trained"
    train_request = [r for r in fake_scenario.requests if r.path.endswith("/train")][-1]
    assert train_request.json == {"parameters": {"maxTrainSteps": 300, "samplePrompts": ["a cat"]}}


def test_train_wait_reports_a_failed_run_with_exit_1(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.training_duration = 0.05
    fake_scenario.add_model("m1", training_outcome="failed")
    fake_scenario.add_training_image("m1")
    code = main(cli(fake_scenario, "train", "m1", "--wait", "--poll-interval", "0.02", "--json"))
    assert code == 1
    assert "failed" in json.loads(capsys.readouterr().out)["error"]


def test_pairs_delete_and_model(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    a = fake_scenario.add_training_image("m1", name="a.png")
    b = fake_scenario.add_training_image("m1", name="b.png")
    pairs = tmp_path / "pairs.json"
    pairs.write_text(json.dumps([{"instruction": "swap", "sourceId": a.id, "targetId": b.id}]))
    assert main(cli(fake_scenario, "pairs", "m1", str(pairs), "--json")) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 1
    assert main(cli(fake_scenario, "delete", "m1", a.id, "nope", "--json")) == 1
    deleted = json.loads(capsys.readouterr().out)
    assert [d["ok"] for d in deleted] == [True, False]
    assert main(cli(fake_scenario, "model", "m1", "--json")) == 0
    model = json.loads(capsys.readouterr().out)
    assert model["trainingImagesNumber"] == 1 and model["trainingImagePairs"][0]["instruction"]


def test_a_bad_param_is_a_usage_error(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(fake_scenario, "train", "m1", "--param", "oops")) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_missing_credentials_are_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SCENARIO_SDK_API_KEY", raising=False)
    monkeypatch.delenv("SCENARIO_SDK_API_SECRET", raising=False)
    assert main(["model", "m1"]) == 2
    assert "SCENARIO_SDK_API_KEY" in capsys.readouterr().err


def test_demo_runs_the_whole_workflow_as_an_installed_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scenario_async",
            "demo",
            "--json",
            "--images",
            "12",
            "--training-seconds",
            "0.3",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["imagesUploaded"]["total"] == 12
    assert summary["imagesUploaded"]["failed"] == 0
    assert summary["assetIdsAdded"]["total"] == 12
    assert summary["assetIdsAdded"]["failed"] == 0
    assert summary["assetIdBatches"] == 2
    assert summary["training"] == "trained"
    assert summary["download"]["status"] == "success" and summary["download"]["url"]


# The journal kept by default, and files given twice ----------------------------------------


def test_a_rerun_of_the_same_upload_sends_no_add_request(
    tmp_path: Path,
    state_home: Path,
    fake_scenario: FakeScenario,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = make_folder(tmp_path, 4)
    args = cli(fake_scenario, "upload", "m1", str(folder), "--json")
    assert main(args) == 0
    first = capsys.readouterr()
    journal = default_journal_path(fake_scenario.base_url, "m1")
    assert journal.is_relative_to(state_home / "scenario-async" / "journals")
    assert journal.is_file()
    assert f"journal: {journal}" in first.err.splitlines()
    assert json.loads(first.out)["failed"] == 0  # stdout holds the JSON only
    assert len(adds(fake_scenario)) == 4
    assert main(args) == 0
    second = capsys.readouterr()
    assert f"journal: {journal}" in second.err.splitlines()
    assert json.loads(second.out)["failed"] == 0
    assert len(adds(fake_scenario)) == 4  # nothing was added the second time
    assert len(fake_scenario.training_images("m1")) == 4


def test_the_default_journal_is_kept_per_api_and_model(
    tmp_path: Path,
    state_home: Path,
    fake_scenario: FakeScenario,
    capsys: pytest.CaptureFixture[str],
) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(make_png(4, 4))
    fake_scenario.add_model("m:2")
    assert main(cli(fake_scenario, "upload", "m1", str(image), "--json")) == 0
    assert main(cli(fake_scenario, "upload", "m:2", str(image), "--json")) == 0
    err = capsys.readouterr().err
    api = hashlib.sha256(fake_scenario.base_url.encode()).hexdigest()[:16]
    folder = state_home / "scenario-async" / "journals" / api
    assert sorted(p.name for p in folder.iterdir()) == ["m%3A2.jsonl", "m1.jsonl"]
    assert f"journal: {folder / 'm%3A2.jsonl'}" in err
    # Another model is another journal: the same file is added to each model once.
    assert [r.path for r in adds(fake_scenario)] == [
        "/v1/models/m1/training-images",
        "/v1/models/m:2/training-images",
    ]


def test_with_no_journal_a_rerun_sends_everything_again(
    tmp_path: Path,
    state_home: Path,
    fake_scenario: FakeScenario,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = make_folder(tmp_path, 3)
    args = cli(fake_scenario, "upload", "m1", str(folder), "--no-journal", "--json")
    assert main(args) == 0
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "journal:" not in captured.err
    assert len(adds(fake_scenario)) == 6
    assert len(fake_scenario.training_images("m1")) == 6
    assert not state_home.exists()


def test_a_journal_path_overrides_the_default_and_its_folder_is_made(
    tmp_path: Path,
    state_home: Path,
    fake_scenario: FakeScenario,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = make_folder(tmp_path, 2)
    journal = tmp_path / "runs" / "today" / "m1.jsonl"
    args = cli(fake_scenario, "upload", "m1", str(folder), "--journal", str(journal))
    assert main(args) == 0
    assert f"journal: {journal}" in capsys.readouterr().err.splitlines()
    assert journal.is_file()
    assert all(json.loads(line) for line in journal.read_text().splitlines())
    assert not state_home.exists()
    assert main(args) == 0
    assert len(adds(fake_scenario)) == 2


def test_journal_and_no_journal_together_are_a_usage_error(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(make_png(4, 4))
    args = ["upload", "m1", str(image), "--journal", str(tmp_path / "j"), "--no-journal"]
    with pytest.raises(SystemExit) as exited:
        main(cli(fake_scenario, *args))
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert fake_scenario.requests == []


def test_a_file_given_twice_is_uploaded_once(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    a, b = folder / "a.png", folder / "b.png"
    a.write_bytes(make_png(4, 4, (1, 2, 3)))
    b.write_bytes(make_png(4, 4, (4, 5, 6)))
    given = [
        str(b),  # first seen: b, then a (from the folder), whose b is a repeat
        str(folder),
        str(b),  # the same path again
        str(folder / ".." / "images" / "a.png"),  # another path to a file already given
    ]
    repeats = 3
    if hasattr(os, "symlink"):
        (tmp_path / "link.png").symlink_to(a)
        given.append(str(tmp_path / "link.png"))
        repeats += 1
    code = main(cli(fake_scenario, "upload", "m1", *given, "--no-journal", "--json"))
    captured = capsys.readouterr()
    assert code == 0
    report = json.loads(captured.out)
    assert report["total"] == 2
    assert [o["source"] for o in report["outcomes"]] == [str(b), str(a)]
    # Each file sent once (the two adds run concurrently: their order at the server varies).
    assert sorted(r.json["name"] for r in adds(fake_scenario)) == ["a.png", "b.png"]
    assert f"{repeats} path(s) name a file given before (first: {b})" in captured.err


API = "https://api.cloud.scenario.com/v1"
API_DIR = hashlib.sha256(API.encode()).hexdigest()[:16]


@pytest.mark.parametrize(
    ("platform", "environ", "root"),
    [
        ("linux", {"XDG_STATE_HOME": "/xdg/state"}, Path("/xdg/state")),
        ("linux", {}, Path("/home/u/.local/state")),
        ("linux", {"XDG_STATE_HOME": "relative/state"}, Path("/home/u/.local/state")),
        ("darwin", {}, Path("/home/u/Library/Application Support")),
        ("darwin", {"XDG_STATE_HOME": "/xdg/state"}, Path("/xdg/state")),
        ("win32", {"LOCALAPPDATA": "/appdata/local"}, Path("/appdata/local")),
        ("win32", {}, Path("/home/u/AppData/Local")),
    ],
)
def test_the_default_journal_path_follows_the_system(
    platform: str, environ: dict[str, str], root: Path
) -> None:
    path = default_journal_path(
        API, "model_abc", platform=platform, environ=environ, home=Path("/home/u")
    )
    assert path == root / "scenario-async" / "journals" / API_DIR / "model_abc.jsonl"


@pytest.mark.parametrize(
    ("model_id", "file_name"),
    [
        ("model_Ab-9.x~", "model_Ab-9.x~.jsonl"),
        ("a/b", "a%2Fb.jsonl"),
        ("a%2Fb", "a%252Fb.jsonl"),  # the escape character is escaped: ids never share a file
        ("..", "...jsonl"),
        ("mödel 1", "m%C3%B6del%201.jsonl"),
        ("con", "%63on.jsonl"),
        ("LPT1.x", "%4CPT1.x.jsonl"),
        ("x" * 200, "x" * 120 + "-" + hashlib.sha256(b"x" * 200).hexdigest()[:16] + ".jsonl"),
    ],
)
def test_the_default_journal_has_a_file_name_safe_on_any_system(
    model_id: str, file_name: str
) -> None:
    path = default_journal_path(API, model_id, platform="linux", environ={}, home=Path("/h"))
    assert path.parent == Path("/h/.local/state/scenario-async/journals") / API_DIR
    assert path.name == file_name


def test_the_default_journal_depends_on_the_api_as_the_client_spells_it() -> None:
    other = default_journal_path("http://127.0.0.1:8765/v1", "m", environ={}, home=Path("/h"))
    assert other.parent.name == hashlib.sha256(b"http://127.0.0.1:8765/v1").hexdigest()[:16]
    assert other.parent != default_journal_path(API, "m", environ={}, home=Path("/h")).parent


def test_an_empty_model_id_is_a_usage_error_before_any_journal(
    tmp_path: Path,
    state_home: Path,
    fake_scenario: FakeScenario,
    capsys: pytest.CaptureFixture[str],
) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(make_png(4, 4))
    assert main(cli(fake_scenario, "upload", " ", str(image))) == 2
    assert "MODEL_ID must not be empty" in capsys.readouterr().err
    assert not state_home.exists()
    assert fake_scenario.requests == []


def test_refused_credentials_end_an_upload_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(30):
        (tmp_path / f"{i}.png").write_bytes(make_png(3, 3, (i, 1, 1)))
    with FakeScenario().serve_in_thread() as fake:
        fake.expected_authorization = "Basic revoked"
        code = main(
            [
                *("upload", "m", str(tmp_path), "--base-url", fake.base_url, "--no-journal"),
                *("--api-key", "k", "--api-secret", "s", "--json"),
            ]
        )
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("AuthenticationError") == 1 and "Traceback" not in err
    assert [r.method for r in fake.requests] == ["GET"]


# Paths that are no regular file -----------------------------------------------------------

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX only")


def run_upload(fake: FakeScenario, *args: str) -> subprocess.CompletedProcess[str]:
    """``scenario-async upload`` in a child process that must end within a minute: a read
    that blocks would hang the test run, so it fails the test instead."""
    return subprocess.run(
        [sys.executable, "-m", "scenario_async", *cli(fake, "upload", "m1", *args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@needs_fifo
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_fifo_and_a_device_given_fail_as_items_and_the_upload_ends(
    tmp_path: Path, fake_scenario: FakeScenario
) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # no writer: opening it for reading the usual way waits for ever
    good = tmp_path / "good.png"
    good.write_bytes(make_png(4, 4))
    done = run_upload(fake_scenario, str(fifo), "/dev/zero", str(good), "--no-journal", "--json")
    assert done.returncode == 1, done.stderr  # as for any failed item
    report = json.loads(done.stdout)
    assert (report["total"], report["sent"], report["failed"]) == (3, 1, 2)
    assert [o["error"] for o in report["outcomes"]] == [
        f"ImageFileError: {fifo} is a FIFO, not a regular file",
        "ImageFileError: /dev/zero is a character device, not a regular file",
        None,
    ]
    assert f"failed: {fifo}: ImageFileError: {fifo} is a FIFO, not a regular file" in done.stderr
    assert "failed: /dev/zero: ImageFileError: /dev/zero is a character device" in done.stderr
    assert [image.name for image in fake_scenario.training_images("m1")] == ["good.png"]


@needs_fifo
def test_special_files_found_in_a_folder_are_skipped_with_a_message(
    tmp_path: Path, fake_scenario: FakeScenario
) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "good.png").write_bytes(make_png(4, 4))
    os.mkfifo(folder / "pipe.png")
    (folder / "gone.png").symlink_to(tmp_path / "nowhere.png")
    (folder / "album.png").mkdir()  # a folder named like an image is walked, not skipped
    (folder / "album.png" / "inner.png").write_bytes(make_png(5, 5))
    done = run_upload(fake_scenario, str(folder), "--no-journal", "--json")
    assert done.returncode == 0, done.stderr  # nothing failed: the skipped were no items
    report = json.loads(done.stdout)
    assert [o["source"] for o in report["outcomes"]] == [
        str(folder / "album.png" / "inner.png"),
        str(folder / "good.png"),
    ]
    assert (
        "1 path(s) found in folders are not regular files and were skipped "
        f"(first: {folder / 'pipe.png'}, a FIFO)"
    ) in done.stderr
    assert f"1 symbolic link(s) found in folders were skipped (first: {folder / 'gone.png'})" in (
        done.stderr
    )
    stored = fake_scenario.training_images("m1")
    assert sorted(str(image.name) for image in stored) == ["good.png", "inner.png"]


@needs_fifo
def test_a_folder_holding_only_special_files_is_a_usage_error(
    tmp_path: Path, fake_scenario: FakeScenario
) -> None:
    os.mkfifo(tmp_path / "pipe.png")
    done = run_upload(fake_scenario, str(tmp_path), "--no-journal")
    assert done.returncode == 2
    assert f"(first: {tmp_path / 'pipe.png'}, a FIFO)" in done.stderr
    assert "no image files found in the given paths" in done.stderr
    assert fake_scenario.requests == []
