"""The pytest plugin of scenario-async, registered through the ``pytest11`` entry point.

It lives outside the ``scenario_async`` package on purpose: pytest imports every installed
plugin at start-up, and importing anything inside ``scenario_async`` loads the SDK and the
fake API (aiohttp, aiohttp.web, the sync client: 0.3 to 0.5 s). Here the fixtures import them
only when a test asks for one, so a pytest run that never uses them pays nothing.

``fake_scenario`` serves a fresh fake API from its own thread for one test: it works in sync
tests and in async ones under pytest-asyncio or anyio's plugin alike, since nothing of it
runs on the test's event loop. The fake is strict: models exist once created or seeded, so
override ``fake_scenario_options`` (in a conftest.py or a test module) to seed the ones your
tests use (``return {"models": ["model_x"]}``) or to tune it (``latency``,
``training_duration``, ``faults``, ...).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from scenario_async.testing import FakeScenario

__all__ = ["fake_scenario", "fake_scenario_options"]


@pytest.fixture
def fake_scenario_options() -> dict[str, Any]:
    """The keyword arguments of the FakeScenario ``fake_scenario`` serves (none by default):
    ``models`` to seed, ``latency``, ``training_duration``, ``faults``..."""
    return {}


@pytest.fixture
def fake_scenario(fake_scenario_options: dict[str, Any]) -> Iterator[FakeScenario]:
    """A running FakeScenario; point a client at it with ``fake_scenario.client()`` or
    ``fake_scenario.sync_client()``."""
    from scenario_async.testing import FakeScenario  # only now: see the module docstring

    with FakeScenario(**fake_scenario_options).serve_in_thread() as fake:
        yield fake
