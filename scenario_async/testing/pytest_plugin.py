"""The pytest fixtures, for ``-p scenario_async.testing.pytest_plugin``: the installed plugin
is ``scenario_async_pytest`` (kept outside this package so that pytest's start-up does not
load the SDK)."""

from scenario_async_pytest import fake_scenario, fake_scenario_options

__all__ = ["fake_scenario", "fake_scenario_options"]
