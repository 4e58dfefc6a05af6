"""``scenario-async upload``: ``--concurrency`` (``auto`` by default) and ``--via``, through
``main()`` with captured output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenario_async.cli import main
from scenario_async.testing import FakeScenario

from .test_cli import cli, make_folder, state_home  # noqa: F401 (an autouse fixture)


def test_upload_runs_with_auto_concurrency_by_default(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_folder(tmp_path, 9)
    code = main(cli(fake_scenario, "upload", "m1", str(folder), "--json"))
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["sent"] == 9
    assert len(fake_scenario.training_images("m1")) == 9


@pytest.mark.parametrize("value", ["0", "1000", "fast", "-3", ""])
def test_a_bad_concurrency_is_one_usage_line_and_sends_nothing(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    folder = make_folder(tmp_path, 1)
    with pytest.raises(SystemExit) as exited:
        main(cli(fake_scenario, "upload", "m1", str(folder), "--concurrency", value))
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert "--concurrency" in err and 'must be "auto" or a whole number from 1 to 256' in err
    assert "Traceback" not in err
    assert fake_scenario.requests == []


def test_via_uploads_sends_files_in_parts_and_reports_their_assets(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_folder(tmp_path, 3)
    code = main(cli(fake_scenario, "upload", "m1", str(folder), "--via", "uploads", "--json"))
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert all(o["assetId"] and o["status"] == "sent" for o in report["outcomes"])
    assert sum(1 for r in fake_scenario.requests if r.path == "/v1/uploads") == 3
    assert len(fake_scenario.training_images("m1")) == 3


def test_via_assets_is_kept_and_cannot_be_mixed_with_via(
    tmp_path: Path, fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_folder(tmp_path, 2)
    assert main(cli(fake_scenario, "upload", "m1", str(folder), "--via-assets", "--json")) == 0
    capsys.readouterr()
    assert sum(1 for r in fake_scenario.requests if r.path == "/v1/assets") == 2
    with pytest.raises(SystemExit) as exited:
        main(cli(fake_scenario, "upload", "m1", str(folder), "--via-assets", "--via", "uploads"))
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
