"""The sync twin: the same coroutines on one loop thread per client; safe from threads, loops,
Ctrl-C and fork."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import pydoc
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scenario_async import AsyncScenario, ProgressEvent, Scenario
from scenario_async.bulk import ProgressCallbackError
from scenario_async.testing import FakeScenario, make_png

from .conftest import MODELS, PNG_DATA_URL


def loop_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "scenario-async-loop"}


def test_calls_run_on_one_loop_thread_started_by_the_first_call_and_ended_by_close(
    fake_scenario: FakeScenario, tmp_path: Path
) -> None:
    before = loop_threads()
    seen: set[int] = set()
    path = tmp_path / "a.png"
    path.write_bytes(make_png(4, 4, (1, 2, 3)))
    client = fake_scenario.sync_client()
    assert loop_threads() == before  # nothing started by the constructor
    client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    (thread,) = loop_threads() - before
    client.models.training_images.add_many(
        "m", [path], on_progress=lambda event: seen.add(threading.get_ident())
    )
    assert seen == {thread.ident}  # callbacks run on the client's loop thread
    assert loop_threads() - before == {thread}  # one thread per client, whatever the calls
    client.close()
    client.close()
    assert not thread.is_alive() and loop_threads() == before
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


def test_calls_from_32_threads_at_once_are_all_correct(fake_scenario: FakeScenario) -> None:
    fake_scenario.record_requests = False

    def work(thread: int) -> list[str]:
        names = []
        for i in range(50):
            answer = client.models.training_images.add(
                "m", data=PNG_DATA_URL, name=f"t{thread}-{i}.png"
            )
            names.append(answer.training_image.name or "")
        return names

    with fake_scenario.sync_client() as client, ThreadPoolExecutor(32) as pool:
        results = list(pool.map(work, range(32)))
    for thread, names in enumerate(results):
        assert names == [f"t{thread}-{i}.png" for i in range(50)]
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
        assert quick.async_client._shared is client.async_client._shared
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
    with (
        FakeScenario(models=MODELS, latency=0.2).serve_in_thread() as fake,
        fake.sync_client() as client,
    ):
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
        FakeScenario(models=MODELS, keepalive_timeout=0.05).serve_in_thread() as fake,
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


def test_sync_methods_show_the_async_signature_and_docstring() -> None:
    client = Scenario(api_key="k", api_secret="s")
    twin = client.async_client
    sync_add, async_add = client.models.training_images.add, twin.models.training_images.add
    assert inspect.signature(sync_add) == inspect.signature(async_add)
    assert sync_add.__doc__ == async_add.__doc__ and sync_add.__name__ == "add"
    text = pydoc.plain(pydoc.render_doc(sync_add))
    # Python 3.13's pydoc puts a long signature's parameters on lines of their own.
    one_line = re.sub(r"\(\s+", "(", " ".join(text.split()))
    assert "add(model_id: 'str', *, asset_id: 'str | None' = None" in one_line
    assert "P.args" not in text
    assert inspect.signature(Scenario) == inspect.signature(AsyncScenario)
    client.close()


def public_methods(resource: object) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(getattr(resource, name))
        for name in dir(resource)
        if not name.startswith("_") and callable(getattr(resource, name))
    }


def test_the_sync_client_keeps_in_step_with_the_async_one() -> None:
    # Every resource, coroutine method and paginated list of the async client has a sync twin
    # of the same signature, and the sync client has nothing the async one lacks.
    client = Scenario(api_key="k", api_secret="s")
    pairs = [(client, client.async_client)]
    while pairs:
        sync, async_ = pairs.pop()
        for name, value in vars(async_).items():
            if not name.startswith("_") and hasattr(value, "_client"):
                pairs.append((getattr(sync, name), value))
        methods = {
            name: signature
            for name, signature in public_methods(async_).items()
            if inspect.iscoroutinefunction(getattr(async_, name))
            or "AsyncIterator" in str(signature.return_annotation)
        }
        if sync is not client:
            assert public_methods(sync) == methods, type(async_).__name__
    client.close()


def test_an_async_iterator_gets_a_sync_iterator_item_by_item() -> None:
    from scenario_async.sync import SyncResource, _LoopThread, blocking_iter

    pulled: list[int] = []
    closed: list[bool] = []

    class Pages:
        async def items(self, count: int) -> AsyncIterator[int]:
            try:
                for i in range(count):
                    pulled.append(i)
                    yield i
            finally:
                closed.append(True)

    class SyncPages(SyncResource):
        items = blocking_iter(Pages.items)

    runner = _LoopThread()
    pages = SyncPages(Pages(), runner)
    iterator = pages.items(5)
    assert next(iterator) == 0 and pulled == [0]  # one item at a time, no read-ahead
    assert list(iterator) == [1, 2, 3, 4]
    assert closed == [True]
    first = pages.items(5)
    next(first)
    first.close()  # leaving a loop early closes the async iterator
    assert closed == [True, True]

    async def done() -> None:
        return None

    runner.close(done)


def test_a_client_dropped_unclosed_is_closed_without_warnings(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import gc, sys, threading, warnings
        warnings.simplefilter("error")
        from scenario_async import Scenario
        from scenario_async.testing import FakeScenario

        with FakeScenario(models=["m"]).serve_in_thread() as fake:
            kept = fake.sync_client()
            kept.models.training_images.add("m", data=sys.argv[1], name="a.png")
            dropped = fake.sync_client()
            dropped.models.retrieve("m")
            del dropped
            gc.collect()
            names = [t.name for t in threading.enumerate()]
            assert names.count("scenario-async-loop") == 1, names
        print("ok")  # `kept` is closed by its finalizer at exit
        """
    )
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", script, PNG_DATA_URL],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert "Unclosed" not in done.stderr and "Warning" not in done.stderr, done.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_gets_a_loop_and_pool_of_its_own(fake_scenario: FakeScenario) -> None:
    with fake_scenario.sync_client() as client:
        client.models.training_images.add("m", data=PNG_DATA_URL, name="parent-1.png")
        parent_thread = client._runner.thread
        assert parent_thread is not None
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report, and leave without running the parent's cleanup
            code = 1
            try:
                answer = client.models.training_images.add("m", data=PNG_DATA_URL, name="c.png")
                fresh = client._runner.thread is not None and client._runner.thread.is_alive()
                ok = answer.training_image.name == "c.png" and fresh
                os.write(write, b"ok" if ok else b"bad")
                client.close()
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        _, status = os.waitpid(pid, 0)
        report = os.read(read, 16)
        os.close(read)
        assert os.waitstatus_to_exitcode(status) == 0 and report == b"ok"
        # The parent's loop and pool are untouched by what the child did.
        assert client._runner.thread is parent_thread and parent_thread.is_alive()
        client.models.training_images.add("m", data=PNG_DATA_URL, name="parent-2.png")
    names = sorted(image.name or "" for image in fake_scenario.training_images("m"))
    assert names == ["c.png", "parent-1.png", "parent-2.png"]


def test_closing_while_threads_add_gives_each_the_documented_error_and_no_warning() -> None:
    # In-flight adds (not only reads) end with the documented RuntimeError, not a connection
    # error from a pool closed under them, and nothing warns of a coroutine never awaited.
    script = textwrap.dedent(
        """
        import sys, threading, time, warnings
        warnings.simplefilter("error")
        from scenario_async.testing import FakeScenario

        errors = []
        with FakeScenario(models=["m"], latency=0.3).serve_in_thread() as fake:
            client = fake.sync_client()
            def add(i):
                try:
                    client.models.training_images.add("m", data=sys.argv[1], name=f"{i}.png")
                except BaseException as error:
                    errors.append(error)
            threads = [threading.Thread(target=add, args=(i,)) for i in range(12)]
            for thread in threads:
                thread.start()
            time.sleep(0.1)
            client.close()
            for thread in threads:
                thread.join(5)
        kinds = {(type(e).__name__, str(e)) for e in errors}
        assert len(errors) == 12 and kinds == {
            ("RuntimeError", "the client was closed while this call was running")
        }, kinds
        assert [t.name for t in threading.enumerate()] == ["MainThread"]
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", script, PNG_DATA_URL],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert "never awaited" not in done.stderr and "Warning" not in done.stderr, done.stderr


def test_a_call_sees_the_calling_threads_context_variables(fake_scenario: FakeScenario) -> None:
    # As asyncio.run does: a request id or a tracing span set by the caller is visible to
    # the coroutine (and to aiohttp's trace hooks) that runs the call.
    import contextvars

    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")

    async def read() -> str:
        return request_id.get("unset")

    with fake_scenario.sync_client() as client:
        request_id.set("req-1")
        assert client.run(read) == "req-1"
        request_id.set("req-2")
        assert client.run(read) == "req-2"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_fork_while_another_thread_is_mid_call_leaves_the_child_working(
    fake_scenario: FakeScenario,
) -> None:
    with fake_scenario.sync_client() as client:
        client.models.training_images.add("m", data=PNG_DATA_URL, name="parent.png")
        fake_scenario.latency = 0.5
        busy = threading.Thread(target=client.models.retrieve, args=("m",))
        busy.start()
        time.sleep(0.2)  # the other thread waits on the loop, its lock maybe held
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                fake_scenario.latency = 0.0
                answer = client.models.training_images.add("m", data=PNG_DATA_URL, name="c.png")
                code = 0 if answer.training_image.name == "c.png" else 3
            finally:
                os._exit(code)
        deadline = time.monotonic() + 30
        while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        if done[0] == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        assert done[0] == pid, "the child hung"
        assert os.waitstatus_to_exitcode(done[1]) == 0
        busy.join()
        client.models.retrieve("m")  # the parent is unaffected
