"""An upload killed at any moment (SIGKILL: no cleanup at all) and resumed with its journal
stores every image exactly once, even when the kill comes before the first answer and when
images in different folders share names."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scenario_async.testing import FakeScenario, make_png

from .conftest import MODELS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

UPLOAD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from scenario_async import AsyncScenario

    async def main() -> None:
        base_url, folder, journal = sys.argv[1:4]
        paths = sorted(Path(folder).rglob("*.png"))
        async with AsyncScenario(api_key="test-key", api_secret="test-secret",
                                 base_url=base_url) as client:
            await client.models.training_images.add_many(
                "m", paths, concurrency=4, journal=journal
            )

    asyncio.run(main())
    """
)


def make_folders(root: Path) -> list[bytes]:
    """Three folders of the same eight file names, each file its own content."""
    contents = []
    for f, folder in enumerate("abc"):
        (root / folder).mkdir(parents=True)
        for i in range(8):
            content = make_png(4, 4, (f * 50 + i, 7, 7))
            (root / folder / f"{i:03}.png").write_bytes(content)
            contents.append(content)
    return contents


def ops(journal: Path) -> list[str]:
    if not journal.exists():
        return []
    found = []
    for line in journal.read_text().splitlines():
        try:
            found.append(json.loads(line)["op"])
        except ValueError:
            continue  # the line being written
    return found


def first_send(journal: Path, fake: FakeScenario) -> bool:
    # The journal says "send" before the request leaves: wait until it reached the fake too,
    # so that the kill falls between the store and its answer (latency 0.3 s).
    reached = any(r.method == "POST" for r in fake.requests)
    return reached and "send" in ops(journal) and "landed" not in ops(journal)


def some_landed(journal: Path, fake: FakeScenario) -> bool:
    return ops(journal).count("landed") >= 5


def started(journal: Path, fake: FakeScenario) -> bool:
    return journal.exists()


@pytest.mark.parametrize(
    "moment",
    [started, first_send, some_landed],
    ids=["at-start", "before-the-first-answer", "mid-run"],
)
def test_an_upload_killed_at_any_moment_resumes_to_exactly_once(
    tmp_path: Path, moment: Callable[[Path, FakeScenario], bool]
) -> None:
    contents = make_folders(tmp_path / "images")
    journal = tmp_path / "upload.jsonl"
    with FakeScenario(models=MODELS, latency=0.3).serve_in_thread() as fake:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        process = subprocess.Popen(
            [sys.executable, "-c", UPLOAD, fake.base_url, str(tmp_path / "images"), str(journal)],
            env=env,
        )
        deadline = time.monotonic() + 30
        while not moment(journal, fake) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL  # killed, not finished
        fake.latency = 0.0
        # A timeout of 3 s: what was sent but is not on the model yet is settled at the end of
        # the run, once older than that (see docs/bulk-upload.md).
        with fake.sync_client(timeout=3) as client:
            paths = sorted((tmp_path / "images").rglob("*.png"))
            result = client.models.training_images.add_many("m", paths, journal=journal)
        stored = fake.stored_contents("m")
        by_id = {image.id: image for image in fake.training_images("m")}
    assert not result.failed
    if moment is first_send:
        # Sent, never answered: found on the model and settled, not sent again.
        assert result.counts()["already_there"] >= 1
    for content in contents:
        assert stored[hashlib.sha256(content).hexdigest()] == 1
    assert sum(stored.values()) == len(contents)
    for path, outcome in zip(paths, result, strict=True):
        if outcome.training_image is not None:
            held = by_id[outcome.training_image.id or ""]
            assert held.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
