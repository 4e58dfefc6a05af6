"""The uploads benchmark keeps working: each variant runs against the fake API in a process
of its own, stores every image on the model, and reports its figures (no figure is judged
here; the benchmark is run by hand, ``python -m bench.uploads`` or ``python -m bench --only
uploads``)."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import uploads
from scenario_async import AsyncScenario

KiB = 2**10


async def images_on_the_model(url: str) -> int:
    async with AsyncScenario(
        api_key=uploads.KEY, api_secret=uploads.SECRET, base_url=url, trust_env=False
    ) as client:
        model = (await client.models.retrieve(uploads.MODEL)).model
    return len(model.training_images or [])


@pytest.mark.parametrize("variant", ["data-url", "uploads", "upload-file"])
def test_each_variant_stores_every_image_and_reports_its_figures(
    tmp_path: Path, variant: str
) -> None:
    folder = uploads.write_images(tmp_path / "images", 3, 300 * KiB)
    with uploads.fake_api() as url:
        figures = uploads.run_client(variant, url, folder, 2)
        stored = asyncio.run(images_on_the_model(url))
    assert stored == 3
    assert figures["variant"] == variant and figures["files"] == 3
    assert math.isclose(figures["mib"], 3 * 300 / 1024)
    assert figures["wall"] > 0 and figures["cpu"] > 0 and figures["cpu_ms_per_mib"] > 0
    assert figures["rss_idle_mib"] > 0
    expected = {
        "data-url": 'add_many(via="data_url")',
        "uploads": 'add_many(via="uploads")',
        "upload-file": "upload_file + training_images.add(asset_ids) in batches of 10",
    }[variant]
    assert figures["how"] == expected


def test_the_scenario_reports_its_figures_and_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole scenario, with small files and one fake API for every run (its figures mean
    nothing then)."""
    monkeypatch.setattr(uploads, "FILE_SIZE", 400 * KiB)
    monkeypatch.setattr(uploads, "SMALL_FILE_SIZE", 100 * KiB)
    with uploads.fake_api() as url:

        @contextlib.contextmanager
        def the_same_fake_api() -> Iterator[str]:
            yield url

        monkeypatch.setattr(uploads, "fake_api", the_same_fake_api)
        report, checks = uploads.run(True, tmp_path, 1)
    assert set(report["20mib"]) == {"data-url", "uploads", "upload-file"}
    assert set(report["5mib"]) == {"uploads"}
    assert report["uploads_path"] == 'add_many(via="uploads")'
    assert report["rss_bound_mib"] == (4 * 8 * 2**20 + 16 * 2**20) / 2**20
    assert [name for name, *_ in checks] == [
        "uploads: CPU/MiB vs data URLs",
        "uploads: wall vs data URLs",
        "uploads: peak RSS above idle, 20 MiB files (MiB)",
        "uploads: peak RSS above idle, 5 MiB files (MiB)",
    ]
    for _, value, target, ok in checks:
        assert isinstance(value, float) and target and isinstance(ok, bool)
