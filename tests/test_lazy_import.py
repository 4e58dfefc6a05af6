"""What ``import scenario_async`` and a new client load, and what waits for first use.

Each check runs in a fresh interpreter: this test process has imported everything already.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import warnings

import pytest

import scenario_async
from scenario_async import AsyncScenario, resources, types

#: What a program that only imports the package and makes a client must not pay for.
LOADED_ON_FIRST_USE = [
    "scenario_async.bulk",
    "scenario_async.images",
    "scenario_async.journal",
    "scenario_async.sync",
    "scenario_async._multipart",
    "scenario_async._offload",
    "scenario_async._adaptive",
    "scenario_async.resources.models",
    "scenario_async.resources.jobs",
    "scenario_async.resources.assets",
    "scenario_async.resources.uploads",
    "scenario_async.resources.training_images",
    "scenario_async.types.assets",
    "scenario_async.types.models",
    "scenario_async.types.jobs",
    "scenario_async.types.training_images",
    "anyio",
]


def loaded_after(statements: str) -> list[str]:
    """The modules of ``LOADED_ON_FIRST_USE`` loaded after running ``statements``."""
    code = (
        f"import sys, json\n{statements}\n"
        f"print(json.dumps([m for m in {LOADED_ON_FIRST_USE!r} if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_importing_and_making_a_client_loads_no_resource_type_or_bulk_module() -> None:
    made = "import scenario_async\nscenario_async.AsyncScenario(api_key='k', api_secret='s')"
    assert loaded_after(made) == []


def test_a_resource_loads_its_own_modules_on_first_use_and_not_the_others() -> None:
    used = (
        "import scenario_async\n"
        "client = scenario_async.AsyncScenario(api_key='k', api_secret='s')\n"
        "assert client.jobs is client.jobs"  # made once, then kept
    )
    loaded = loaded_after(used)
    assert "scenario_async.resources.jobs" in loaded
    assert "scenario_async.types.jobs" in loaded
    assert "scenario_async.resources.models" not in loaded
    assert "scenario_async.bulk" not in loaded


def test_a_lazy_name_of_the_package_loads_its_module_when_looked_up() -> None:
    loaded = loaded_after("from scenario_async import BulkResult, Scenario")
    assert "scenario_async.bulk" in loaded
    assert "scenario_async.sync" in loaded


@pytest.mark.parametrize("package", [scenario_async, types, resources])
def test_every_exported_name_resolves_and_is_listed_by_dir(package: object) -> None:
    exported = package.__all__  # type: ignore[attr-defined]
    for name in exported:
        assert getattr(package, name) is not None, name
    assert set(exported) <= set(dir(package))


@pytest.mark.parametrize("package", [scenario_async, types, resources])
def test_an_unknown_name_raises_attribute_error_naming_the_package(package: object) -> None:
    with pytest.raises(AttributeError, match=rf"{package.__name__}.*Nothing"):  # type: ignore[attr-defined]
        package.Nothing  # type: ignore[attr-defined]  # noqa: B018


def test_a_copy_of_a_client_makes_resources_of_its_own() -> None:
    client = scenario_async.AsyncScenario(api_key="k", api_secret="s")
    models = client.models
    copy = client.with_options(max_retries=0)
    assert copy.models is not models
    assert copy.models._client is copy
    assert client.models is models
    assert models._client is client


def test_a_submodule_is_an_attribute_of_its_package_when_looked_up() -> None:
    """``scenario_async.bulk`` and ``scenario_async.types.models`` were attributes while the
    packages imported their modules eagerly; they still are, imported when looked up."""
    code = (
        "import scenario_async\n"
        "print(scenario_async.bulk.BulkResult.__name__, scenario_async.types.models.Model.__name__,"
        " scenario_async.resources.jobs.AsyncJobs.__name__)\n"
        "try:\n    scenario_async.no_such_module\nexcept AttributeError as e:\n    print(e)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "BulkResult Model AsyncJobs",
        "module 'scenario_async' has no attribute 'no_such_module'",
    ]


def slow_models(monkeypatch: pytest.MonkeyPatch, started: threading.Event) -> None:
    """Make ``AsyncModels(client)`` take a while, signalling ``started`` as it begins."""
    from scenario_async.resources.models import AsyncModels

    made = AsyncModels.__init__

    def slowly(self: AsyncModels, client: AsyncScenario) -> None:
        started.set()
        time.sleep(0.2)
        made(self, client)

    monkeypatch.setattr(AsyncModels, "__init__", slowly)


def test_threads_racing_to_a_first_use_all_get_the_one_resource_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow_models(monkeypatch, threading.Event())
    client = AsyncScenario(api_key="k", api_secret="s")
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(client.models)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 4
    assert all(models is client.models for models in got)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_child_forked_while_a_thread_makes_a_resource_can_make_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No lock is held while a resource is made (``functools.cached_property`` held one per
    attribute on Python 3.10 and 3.11): a child forked meanwhile does not wait forever."""
    started = threading.Event()
    slow_models(monkeypatch, started)
    parent_client = AsyncScenario(api_key="k", api_secret="s")
    making = threading.Thread(target=lambda: parent_client.models)
    making.start()
    assert started.wait(5)
    reader, writer = os.pipe()
    with warnings.catch_warnings():  # forking a process with threads: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            models = AsyncScenario(api_key="k", api_secret="s").models
            os.write(writer, type(models).__name__.encode())
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    making.join()
    deadline = time.monotonic() + 10
    while (done := os.waitpid(child, os.WNOHANG)) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    if done == (0, 0):
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        pytest.fail("the child waited forever to make its resource")
    answer = os.read(reader, 100)
    os.close(reader)
    assert os.waitstatus_to_exitcode(done[1]) == 0
    assert answer == b"AsyncModels"


def test_a_copy_of_a_subclass_makes_what_its_class_makes_on_first_use_anew() -> None:
    class Mine(AsyncScenario):
        @functools.cached_property
        def label(self) -> tuple[AsyncScenario, str]:
            return (self, "mine")

    client = Mine(api_key="k", api_secret="s")
    assert client.label[0] is client and client.models._client is client
    copy = client.with_options(max_retries=0)
    assert type(copy) is Mine
    assert copy.label[0] is copy
    assert copy.models._client is copy
