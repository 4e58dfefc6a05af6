"""The sync twin: same coroutines on a private loop thread, safe from threads and loops."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scenario_async import Scenario
from scenario_async.testing import FakeScenario, make_png

from .conftest import PNG_DATA_URL


def _loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "scenario-async-loop"]


def test_no_thread_is_started_until_the_first_call_and_none_is_left_after_close(
    fake_scenario: FakeScenario,
) -> None:
    before = len(_loop_threads())
    client = fake_scenario.sync_client()
    assert len(_loop_threads()) == before
    client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    assert len(_loop_threads()) == before + 1
    client.close()
    client.close()
    assert len(_loop_threads()) == before
    with pytest.raises(RuntimeError, match="closed"):
        client.models.retrieve("m")


def test_calls_from_eight_threads_at_once_are_all_correct(fake_scenario: FakeScenario) -> None:
    fake_scenario.record_requests = False

    def work(thread: int) -> list[str]:
        names = []
        for i in range(200):
            answer = client.models.training_images.add(
                "m", data=PNG_DATA_URL, name=f"t{thread}-{i}.png"
            )
            names.append(answer.training_image.name or "")
        return names

    with fake_scenario.sync_client() as client, ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for thread, names in enumerate(results):
        assert names == [f"t{thread}-{i}.png" for i in range(200)]
    stored = sorted(image.name or "" for image in fake_scenario.training_images("m"))
    assert stored == sorted(name for names in results for name in names)


async def test_the_sync_client_works_inside_a_running_event_loop(
    fake_scenario: FakeScenario,
) -> None:
    asyncio.get_running_loop()  # we are inside one
    with fake_scenario.sync_client() as client:
        answer = client.models.training_images.add("m", data=PNG_DATA_URL, name="in-loop.png")
    assert answer.training_image.name == "in-loop.png"


def test_with_options_shares_the_loop_thread_and_pool(fake_scenario: FakeScenario) -> None:
    with fake_scenario.sync_client() as client:
        quick = client.with_options(max_retries=0, timeout=5)
        assert quick.async_client.max_retries == 0
        quick.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
        client.models.retrieve("m")
        assert len(_loop_threads()) == 1
    assert _loop_threads() == []


def test_the_sync_signature_is_checked_like_the_async_one(fake_scenario: FakeScenario) -> None:
    # mypy --strict (warn_unused_ignores) fails if this ignore were not needed, proving the
    # sync method carries the async method's parameter types.
    with fake_scenario.sync_client() as client, pytest.raises(TypeError, match="model_id"):
        client.models.retrieve(123)  # type: ignore[arg-type]


def test_repr_shows_no_credentials() -> None:
    client = Scenario(api_key="visible-key", api_secret="hidden-secret")
    assert "hidden-secret" not in repr(client) and "visible-key" not in repr(client)
    client.close()


async def _tasks_on_loop() -> int:
    return len(asyncio.all_tasks())


def test_ctrl_c_during_a_sync_bulk_upload_cancels_it_within_a_second(tmp_path: Path) -> None:
    paths = []
    for i in range(40):
        paths.append(tmp_path / f"{i}.png")
        paths[-1].write_bytes(make_png(4, 4, (i, 9, 9)))
    journal = tmp_path / "j.jsonl"
    with FakeScenario(latency=0.2).serve_in_thread() as fake, fake.sync_client() as client:
        idle_tasks = client.run(_tasks_on_loop)
        main_thread = threading.get_ident()
        timer = threading.Timer(0.5, signal.pthread_kill, (main_thread, signal.SIGINT))
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            client.models.training_images.add_many("m", paths, concurrency=4, journal=journal)
        interrupted = time.monotonic()
        assert client.run(_tasks_on_loop) == idle_tasks  # nothing of the upload is left
        assert time.monotonic() - interrupted < 1.0
        landed = len(journal.read_text().splitlines())
        assert 0 < landed < 40
        rest = client.models.training_images.add_many("m", paths, journal=journal)
        assert len(rest.skipped) >= landed and not rest.failed
        # Images in flight at the interrupt are found on the model, not sent twice.
        assert sorted(i.name or "" for i in fake.training_images("m")) == sorted(
            p.name for p in paths
        )
    assert _loop_threads() == []
