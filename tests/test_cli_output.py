"""How the command line's human output reads: a dry run says it is a cost estimate (and
``--json`` marks it), and table labels are snake_case, as the SDK names things."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenario_async.cli import main
from scenario_async.testing import FakeScenario, make_png

from .test_cli import cli, state_home  # noqa: F401 (an autouse fixture)


def test_a_training_dry_run_says_it_is_an_estimate_in_words_and_in_json(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.add_training_image("m1")
    assert main(cli(fake_scenario, "train", "m1", "--dry-run")) == 0
    human = capsys.readouterr().out
    assert "training m1 (estimate)" in human
    assert "creative_units_cost" in human and "creativeUnitsCost" not in human
    assert main(cli(fake_scenario, "train", "m1", "--dry-run", "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["estimate"] is True and report["creativeUnitsCost"] == 105
    assert not [r for r in fake_scenario.requests if r.method == "PUT" and "dryRun" not in r.query]


def test_a_real_training_start_is_not_marked_an_estimate(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.add_training_image("m1")
    assert main(cli(fake_scenario, "train", "m1", "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["estimate"] is False and report["jobId"]


def test_each_failure_is_told_once_as_it_happens(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.png"
    good.write_bytes(make_png(4, 4))
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    cut = tmp_path / "cut.png"
    cut.write_bytes(make_png(8, 8)[:-5])
    code = main(cli(fake_scenario, "upload", "m1", str(bad), str(good), str(cut), "--json"))
    err = capsys.readouterr().err
    assert code == 1
    assert err.count(f"failed: {bad}: NotAnImageError") == 1
    assert err.count(f"failed: {cut}: TruncatedImageError") == 1


def test_ctrl_c_while_waiting_for_training_says_it_goes_on_and_how_to_follow_it(
    fake_scenario: FakeScenario,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scenario_async.resources.train import AsyncTrain

    fake_scenario.add_training_image("m1")

    async def interrupted(self: AsyncTrain, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(AsyncTrain, "wait", interrupted)
    code = main(cli(fake_scenario, "train", "m1", "--wait"))
    err = capsys.readouterr().err
    assert code == 130
    job = next(r for r in fake_scenario.requests if r.method == "PUT")
    assert job.path == "/v1/models/m1/train"
    assert "stopped waiting: the training of m1 goes on at the service (job " in err
    assert "follow it again with: scenario-async jobs show " in err


def test_a_model_shows_each_training_image_id_with_its_name(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    images = [fake_scenario.add_training_image("m1", name=f"cat-{i}.png") for i in range(3)]
    assert main(cli(fake_scenario, "models", "show", "m1")) == 0
    out = capsys.readouterr().out
    for image in images:
        line = next(line for line in out.splitlines() if image.id in line)
        assert image.name is not None and image.name in line
    assert "training_images" not in out  # labels in words stay words


def test_snake_case_labels_leave_ids_and_words_alone() -> None:
    from scenario_async.cli import _snake_case

    assert _snake_case("creativeUnitsCost") == "creative_units_cost"
    assert _snake_case("modelId") == "model_id"
    assert _snake_case("  asset_GTrL3mq4SXWyMx") == "  asset_GTrL3mq4SXWyMx"
    assert _snake_case("training images") == "training images"
    assert _snake_case("status") == "status"


def test_every_argument_of_every_command_has_a_help_text() -> None:
    import argparse

    from scenario_async.cli import _parser

    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif not action.help:
                missing.append(f"{path}: {'/'.join(action.option_strings) or action.dest}")

    walk(_parser(), "scenario-async")
    assert missing == []


def test_at_60_columns_no_line_is_wider(
    tmp_path: Path,
    fake_scenario: FakeScenario,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    fake_scenario.add_training_image("m1", name="a-rather-long-training-image-name-for-a-table.png")
    (tmp_path / "a-long-file-name-from-a-photo-shoot-in-the-mountains.png").write_bytes(
        make_png(4, 4)
    )
    for args in (
        ("models", "list"),
        ("models", "show", "m1"),
        ("jobs", "list"),
        ("train", "m1", "--dry-run"),
        ("upload", "m1", str(tmp_path), "--no-journal"),
    ):
        assert main(cli(fake_scenario, *args)) == 0
        captured = capsys.readouterr()
        lines = (captured.out + captured.err).splitlines()
        assert max(map(len, lines)) <= 60, (args, [line for line in lines if len(line) > 60])
