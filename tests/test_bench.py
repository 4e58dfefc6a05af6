"""The benchmark keeps working: each variant of this SDK runs against the stand-in server and
reports its figures (no figure is judged here; the benchmark is run by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import run_client, server, take_turns, turn_ratio, write_files

VARIANTS = [
    "aiohttp",
    "sdk-add",
    "sdk-add-many",
    "sdk-add-many-journal",
    "sdk-async-seq",
    "sdk-sync-seq",
    "sdk-sync-threads",
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant_reports_its_figures(variant: str) -> None:
    with server(0.0) as url:
        figures = run_client(variant, url, 20, 4, "small:200")
    assert figures["variant"] == variant and figures["n"] == 20
    assert figures["cpu_per_request_us"] > 0 and figures["wall"] > 0
    assert figures["rss_peak_mib"] >= figures["rss_idle_mib"] > 0


def test_file_inputs_are_read_from_disk(tmp_path: Path) -> None:
    folder = write_files(tmp_path / "files", 6, 4096)
    with server(0.0) as url:
        figures = run_client("sdk-add-many", url, 6, 2, f"files:{folder}")
    assert figures["n"] == 6


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_long_run_is_figured_by_its_median_block_without_the_first(variant: str) -> None:
    # 1,000 requests: marks after 250, 500, 750 and 1,000, so three blocks are counted.
    with server(0.0) as url:
        figures = run_client(variant, url, 1000, 4, "small:200")
    blocks = figures["cpu_blocks_us"]
    assert len(blocks) == 3
    assert figures["cpu_per_request_us"] == sorted(blocks)[1]
    assert figures["cpu_whole_run_us"] > 0


def test_a_short_run_is_figured_as_a_whole() -> None:
    with server(0.0) as url:
        figures = run_client("sdk-add", url, 20, 4, "small:200")
    assert figures["cpu_blocks_us"] == []
    assert figures["cpu_per_request_us"] == figures["cpu_whole_run_us"]


def test_variants_taking_turns_report_every_block_after_the_first() -> None:
    """Two clients run block by block, in turns: each reports one figure per round, and the
    ratio is the median of the rounds' ratios."""
    costs = take_turns(["aiohttp", "sdk-add"], 3, 4, "small:200")
    assert [len(blocks) for blocks in costs.values()] == [3, 3]
    assert all(cost > 0 for blocks in costs.values() for cost in blocks)
    expected = sorted(a / b for a, b in zip(costs["sdk-add"], costs["aiohttp"], strict=True))[1]
    assert turn_ratio(costs, "sdk-add", "aiohttp") == expected
