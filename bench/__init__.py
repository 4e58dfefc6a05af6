"""The benchmark: this SDK against plain aiohttp and Scenario's published client, side by side.

Run ``python -m bench`` (or ``nox -s bench``); see docs/performance.md.
"""
