"""pytest fixtures for code that talks to Scenario, loaded through the ``pytest11`` entry point.

``fake_scenario`` serves a fresh fake API from its own thread for one test, so it works in
sync and async tests alike without any asyncio plugin. The fake is strict: models exist once
created or seeded, so override ``fake_scenario_options`` (in a conftest.py or a test module)
to seed the ones your tests use: ``return {"models": ["model_x"]}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ._server import FakeScenario


@pytest.fixture
def fake_scenario_options() -> dict[str, Any]:
    """The keyword arguments of the FakeScenario ``fake_scenario`` serves (none by default):
    ``models`` to seed, durations, ``faults``..."""
    return {}


@pytest.fixture
def fake_scenario(fake_scenario_options: dict[str, Any]) -> Iterator[FakeScenario]:
    """A running FakeScenario; point a client at it with ``fake_scenario.client()``."""
    with FakeScenario(**fake_scenario_options).serve_in_thread() as fake:
        yield fake
