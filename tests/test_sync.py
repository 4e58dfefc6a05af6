"""The sync twin: the same coroutines, driven by the calling threads; safe from threads, loops."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scenario_async import ProgressEvent, Scenario
from scenario_async.bulk import ProgressCallbackError
from scenario_async.testing import FakeScenario, make_png

from .conftest import PNG_DATA_URL


def test_calls_run_in_the_calling_thread_and_start_no_thread(
    fake_scenario: FakeScenario, tmp_path: Path
) -> None:
    threads_before = set(threading.enumerate())
    seen: set[int] = set()
    path = tmp_path / "a.png"
    path.write_bytes(make_png(4, 4, (1, 2, 3)))
    client = fake_scenario.sync_client()
    client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    client.models.training_images.add_many(
        "m", [path], on_progress=lambda event: seen.add(threading.get_ident())
    )
    assert seen == {threading.get_ident()}  # callbacks ran here, not on some other thread
    assert set(threading.enumerate()) == threads_before
    client.close()
    client.close()
    with pytest.raises(RuntimeError, match="closed"):
        client.models.retrieve("m")


def test_a_sync_call_from_a_callback_on_its_own_loop_is_refused(
    fake_scenario: FakeScenario, tmp_path: Path
) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(make_png(4, 4, (1, 2, 3)))
    client = fake_scenario.sync_client()

    def on_progress(event: ProgressEvent) -> None:
        # It would wait for the loop that is waiting for it: refused instead of hanging.
        client.models.retrieve("m")

    with client, pytest.raises(ProgressCallbackError) as caught:
        client.models.training_images.add_many("m", [path], on_progress=on_progress)
    # The callback's failure is raised after the run, which it did not change.
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert "own loop" in str(caught.value.__cause__)
    assert [o.status for o in caught.value.result] == ["sent"]


def test_a_call_waiting_on_another_thread_takes_over_when_that_thread_is_done(
    tmp_path: Path,
) -> None:
    # A drives the loop with a quick call while B's slow call is handed to it; A returns
    # first and B must go on driving by itself.
    with FakeScenario(latency=0.0).serve_in_thread() as fake, fake.sync_client() as client:
        b_started: list[asyncio.Event] = []
        finished: list[str] = []

        async def slow_call() -> str:
            b_started[0].set()
            await asyncio.sleep(0.3)
            return "b"

        def run_b() -> None:
            finished.append(client.run(slow_call))

        async def a_drives() -> str:
            b_started.append(asyncio.Event())
            b.start()
            await b_started[0].wait()  # B's call is running on the loop A drives
            await asyncio.sleep(0.05)
            return "a"

        b = threading.Thread(target=run_b)
        assert client.run(a_drives) == "a"
        b.join(5)
        assert finished == ["b"]


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


def test_with_options_shares_the_loop_and_pool(fake_scenario: FakeScenario) -> None:
    with fake_scenario.sync_client() as client:
        quick = client.with_options(max_retries=0, timeout=5)
        assert quick.async_client.max_retries == 0
        quick.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
        client.models.retrieve("m")
        assert quick.async_client._transport is client.async_client._transport
    with pytest.raises(RuntimeError, match="closed"):
        quick.models.retrieve("m")


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
        lines = [json.loads(line) for line in journal.read_text().splitlines()]
        landed = sum(1 for line in lines if line["op"] == "landed")
        assert 0 < landed < 40
        rest = client.models.training_images.add_many("m", paths, journal=journal)
        assert len(rest.skipped) >= landed and not rest.failed
        # Images in flight at the interrupt are found on the model, not sent twice.
        assert sorted(i.name or "" for i in fake.training_images("m")) == sorted(
            p.name for p in paths
        )


def test_a_call_after_the_server_closed_the_idle_connection_is_sent_once() -> None:
    # Between sync calls nothing runs the loop, so the server's closing of the idle
    # keep-alive connection is only seen when the next call starts: it must be seen before
    # that call picks a connection, or the add would fail on a dead one and be verified.
    with (
        FakeScenario(keepalive_timeout=0.05).serve_in_thread() as fake,
        fake.sync_client() as client,
    ):
        client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
        time.sleep(0.3)
        answer = client.models.training_images.add("m", data=PNG_DATA_URL, name="b.png")
    assert answer.training_image.name == "b.png"
    assert [(r.method, r.path) for r in fake.requests] == [
        ("POST", "/v1/models/m/training-images"),
        ("POST", "/v1/models/m/training-images"),
    ]
