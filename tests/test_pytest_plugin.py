"""The installed pytest plugin: it loads nothing of the SDK until a test asks for its fixture,
and its fixture serves async tests under pytest-asyncio and under anyio's plugin alike."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_pytest(tmp_path: Path, test_source: str, *options: str) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh process on one test file, with the installed plugins (ours too)."""
    (tmp_path / "test_user.py").write_text(textwrap.dedent(test_source))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, "test_user.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_pytest_run_that_uses_no_fixture_of_ours_does_not_load_the_sdk(tmp_path: Path) -> None:
    done = run_pytest(
        tmp_path,
        """
        import sys

        def test_nothing_of_the_sdk_is_loaded():
            loaded = [m for m in sys.modules if m.split(".")[0] == "scenario_async"]
            assert loaded == [], loaded
            assert "scenario_async_pytest" in sys.modules  # the plugin itself is there
        """,
    )
    assert done.returncode == 0, done.stdout + done.stderr


SEEDED_ASYNC_TEST = """
import pytest

@pytest.fixture
def fake_scenario_options():
    return {"models": ["model_x"], "latency": 0.01}

MARK

async def test_an_async_test_adds_through_the_fake(fake_scenario):
    from scenario_async import Image
    from scenario_async.testing import make_png

    png = Image.from_bytes(make_png(), name="a.png").data_url()
    async with fake_scenario.client() as client:
        answer = await client.models.training_images.add("model_x", data=png, name="a.png")
    assert answer.training_image.name == "a.png"
    assert [i.name for i in fake_scenario.training_images("model_x")] == ["a.png"]
"""


def test_the_fixture_serves_async_tests_under_pytest_asyncio(tmp_path: Path) -> None:
    source = SEEDED_ASYNC_TEST.replace("MARK", "pytestmark = pytest.mark.asyncio")
    done = run_pytest(tmp_path, source, "-p", "asyncio", "-p", "no:anyio")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_the_fixture_serves_async_tests_under_anyios_plugin(tmp_path: Path) -> None:
    source = SEEDED_ASYNC_TEST.replace(
        "MARK",
        "pytestmark = pytest.mark.anyio\n\n"
        "@pytest.fixture\n"
        "def anyio_backend():\n"
        '    return "asyncio"',
    )
    done = run_pytest(tmp_path, source, "-p", "no:asyncio")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
