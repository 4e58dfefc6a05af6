"""The scenario-async command line, invoked as users invoke it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scenario_async.cli import main
from scenario_async.testing import FakeScenario, make_png


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
    assert report["succeeded"] == 7 and report["failed"] == 0
    assert all(o["trainingImageId"] for o in report["outcomes"])
    assert len(fake_scenario.training_images("m1")) == 7


def test_upload_exits_non_zero_and_lists_each_failure(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "ok.png"
    good.write_bytes(make_png(4, 4))
    bad = tmp_path / "bad.png"
    bad.write_text("text")
    code = main(cli(fake_scenario, "upload", "m1", str(good), str(bad), str(tmp_path / "no.png")))
    captured = capsys.readouterr()
    assert code == 1
    assert "failed: " + str(bad) in captured.err
    assert "failed: " + str(tmp_path / "no.png") in captured.err
    assert "succeeded" in captured.out
    assert len(fake_scenario.training_images("m1")) == 1


def test_upload_with_a_journal_skips_on_the_second_run(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_folder(tmp_path, 4)
    journal = str(tmp_path / "j.jsonl")
    args = cli(fake_scenario, "upload", "m1", str(folder), "--journal", journal, "--json")
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == 4
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
    assert summary["imagesUploaded"]["succeeded"] == 12
    assert summary["assetIdsAdded"] == {"total": 12, "succeeded": 12, "failed": 0, "skipped": 0}
    assert summary["assetIdBatches"] == 2
    assert summary["training"] == "trained"
