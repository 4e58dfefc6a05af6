"""The command line without rich (installed without the ``cli`` extra): the same commands
work, with plain lines for progress and tables. Run in a subprocess where importing rich
fails, as it does when it is not installed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from scenario_async.testing import FakeScenario, make_png

WITHOUT_RICH = (
    "import sys; sys.modules['rich'] = None; "  # import rich now raises ImportError
    "from scenario_async.cli import main; raise SystemExit(main(sys.argv[1:]))"
)


def run_plain(fake: FakeScenario, *args: str) -> subprocess.CompletedProcess[str]:
    credentials = ["--api-key", fake.api_key, "--api-secret", fake.api_secret]
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_RICH, *args, "--base-url", fake.base_url, *credentials],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_upload_without_rich_prints_plain_progress_and_a_plain_summary(
    tmp_path: Path,
) -> None:
    for i in range(5):
        (tmp_path / f"{i}.png").write_bytes(make_png(4, 4, (i, 9, 9)))
    (tmp_path / "bad.png").write_text("not an image")
    with FakeScenario(models=["m1"]).serve_in_thread() as fake:
        done = run_plain(fake, "upload", "m1", str(tmp_path), "--no-journal")
        stored = len(fake.training_images("m1"))
    assert done.returncode == 1, done.stderr  # one image failed
    assert stored == 5
    assert "uploading: 6 of 6 images" in done.stderr
    assert f"failed: {tmp_path / 'bad.png'}: NotAnImageError" in done.stderr
    assert "│" not in done.stdout and "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "upload to m1"
    assert any(line.split() == ["sent", "5"] for line in lines)
    assert any(line.split() == ["not_attempted", "0"] for line in lines)


def test_json_output_is_the_same_without_rich(tmp_path: Path) -> None:
    with FakeScenario(models=["m1"]).serve_in_thread() as fake:
        fake.add_training_image("m1")
        done = run_plain(fake, "train", "m1", "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["estimate"] is True


def test_training_without_rich_says_each_stage_in_plain_lines() -> None:
    with FakeScenario(
        models=["m1"], queue_duration=0.05, training_duration=0.3
    ).serve_in_thread() as fake:
        fake.add_training_image("m1")
        done = run_plain(fake, "train", "m1", "--wait", "--poll-interval", "0.05")
    assert done.returncode == 0, done.stderr
    assert "training: trained 100 %" in done.stderr
    assert "training m1" in done.stdout and "status" in done.stdout
