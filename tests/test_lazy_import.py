"""What ``import scenario_async`` and a new client load, and what waits for first use.

Each check runs in a fresh interpreter: this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import scenario_async
from scenario_async import resources, types

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
