"""pytest fixtures for code that talks to Scenario, loaded through the ``pytest11`` entry point.

``fake_scenario`` serves a fresh fake API from its own thread for one test, so it works in
sync and async tests alike without any asyncio plugin.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._server import FakeScenario


@pytest.fixture
def fake_scenario() -> Iterator[FakeScenario]:
    """A running FakeScenario; point a client at it with ``fake_scenario.client()``."""
    with FakeScenario().serve_in_thread() as fake:
        yield fake
