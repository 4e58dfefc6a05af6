"""The benchmark's module scenarios keep working: the stall client and the scale client and
stand-in run on tiny inputs and report their figures (no figure is judged here; the
benchmark is run by hand), and ``python -m bench`` accepts them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pytest

from bench import scale, stall
from bench.__main__ import (
    DEFAULT,
    MODULE_SCENARIOS,
    build_parser,
    run_module_scenario,
    server,
    write_files,
)
from scenario_async import Image


@pytest.mark.parametrize("via", ["default", "data_url"])
def test_the_stall_client_reports_its_pauses(tmp_path: Path, via: str) -> None:
    if via != "default" and not stall.has_via():
        pytest.skip("this add_many has no via")
    folder = write_files(tmp_path / "files", 3, 64 * 1024)
    with server(0.0) as url:
        figures = stall.run_client(url, folder, 6, concurrency=2, via=via)
    assert figures["sends"] == 6 and figures["files"] == 3 and figures["via"] == via
    assert figures["bytes_per_image"] == 64 * 1024
    assert figures["ticks"] >= 0 and figures["wall"] > 0
    for key in ("worst_ms", "p99_ms", "median_ms", "idle_worst_ms", "first_call_worst_ms"):
        assert figures[key] >= 0
    assert figures["worst_ms"] >= figures["p99_ms"] >= figures["median_ms"]


def test_the_stall_client_runs_against_the_fake_api(tmp_path: Path) -> None:
    """The fake API answers what the default sends large files by (``/uploads``); here the
    files are small, so this only shows that it starts and serves the client."""
    folder = write_files(tmp_path / "files", 2, 4096)
    with stall.fake_api(0.0) as url:
        figures = stall.run_client(url, folder, 3, concurrency=2)
    assert figures["sends"] == 3 and figures["wall"] > 0


def test_every_stall_variant_has_a_target_and_a_server() -> None:
    labels = [variant.label for variant in stall.VARIANTS]
    assert len(set(labels)) == len(labels)
    for variant in stall.VARIANTS:
        assert variant.server in ("stand-in", "fake") and variant.target_ms > 0
        assert 0 < variant.quick_sends <= variant.sends and variant.files > 0


def test_stall_runs_are_summed_up_by_their_medians() -> None:
    runs = [
        {"worst_ms": w, "ticks": t, "top_ms": [w]} for w, t in [(3.0, 10), (1.0, 30), (2.0, 20)]
    ]
    summary = stall.median_of(runs)
    assert summary["worst_ms"] == 2.0 and summary["ticks"] == 20
    assert summary["runs_worst_ms"] == [3.0, 1.0, 2.0] and summary["runs"] == 3
    assert stall.percentile([], 0.99) == 0.0
    assert stall.percentile([float(i) for i in range(100)], 0.99) == 99.0


def test_the_resume_inputs_put_new_images_among_the_old() -> None:
    names = [image.name for image in scale.inputs("bytes", 30, 3)]
    old = [f"img-{i}.png" for i in range(30)]
    assert [name for name in names if name.startswith("img-")] == old
    first_new = scale.NEW_BASE
    new = [f"new-{first_new + j}.png" for j in range(3)]
    assert [name for name in names if name.startswith("new-")] == new
    # The first new image comes after the first few old ones, the others spread out.
    assert names.index(new[0]) == scale.FIRST_OLD
    assert names.index(new[1]) == scale.FIRST_OLD + 10 + 1
    urls = list(scale.inputs("data-url", 3, 0))
    assert len(urls) == 3 and len(set(urls)) == 3
    assert all(isinstance(url, str) and url.startswith("data:image/png") for url in urls)
    assert all(len(scale.tiny_png(i)) == scale.IMAGE_BYTES for i in (0, 1, 10**12))
    Image.from_bytes(scale.tiny_png(5), name="whole.png")  # a whole PNG


def test_the_scale_client_runs_then_resumes_against_its_stand_in(tmp_path: Path) -> None:
    journal = tmp_path / "upload.jsonl"
    with scale.scale_server() as url:
        first = scale.run_client(url, journal, "first", 60)
        assert first["counts"]["sent"] == 60 and first["server_posts"] == 60
        assert first["rss_peak_mib"] >= first["rss_idle_mib"] > 0
        assert first["first_request_s"] is not None and first["wall"] > 0
        # A first run reads the model once (empty then), as every run does.
        assert [read["images"] for read in first["server_model_reads"]] == [0]

        resumed = scale.run_client(url, journal, "resume", 60, new=3)
    # The old images are settled from the journal and the model the stand-in serves: only
    # the new ones are sent.
    assert resumed["counts"]["already_there"] == 60 and resumed["counts"]["sent"] == 3
    assert resumed["server_posts"] == 3
    assert resumed["journal_lines_before"] > 60
    assert [read["images"] for read in resumed["server_model_reads"]] == [60]
    assert resumed["first_request_s"] is not None
    assert set(resumed["first_event_s"]) >= {"started", "item_skipped", "item_done"}


@pytest.mark.parametrize("diagnose", ["memory", "profile"])
def test_the_scale_diagnosis_reports_where_memory_and_time_go(
    tmp_path: Path, diagnose: str
) -> None:
    journal = tmp_path / "upload.jsonl"
    with scale.scale_server() as url:
        scale.run_client(url, journal, "first", 20)
        figures = scale.run_client(url, journal, "resume", 20, new=2, diagnose=diagnose)
    assert figures["counts"]["sent"] == 2
    if diagnose == "memory":
        traced = figures["tracemalloc"]
        assert traced["peak_mib"] > 0
        sites = traced["after_run"]
        assert 0 < len(sites["by_line"]) <= 10 and 0 < len(sites["by_sdk_caller"]) <= 10
        assert all(site["mib"] >= 0 and ":" in site["site"] for site in sites["by_line"])
    else:
        assert figures["first_send_announced_s"] > 0
        assert "cumulative" in figures["profile_until_first_send"]


@pytest.mark.parametrize("name", MODULE_SCENARIOS)
def test_bench_accepts_each_module_scenario(name: str) -> None:
    args = build_parser().parse_args(["--only", name, "--quick", "--repeats", "1"])
    assert args.only == [name] and args.quick and args.repeats == 1


def test_bench_refuses_an_unknown_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--only", "nope"])
    assert "invalid choice" in capsys.readouterr().err


def test_the_default_set_takes_the_scenarios_under_two_minutes() -> None:
    assert set(MODULE_SCENARIOS) <= set(DEFAULT) and "curve" not in DEFAULT
    text = " ".join(build_parser().format_help().split())
    assert "--diagnose" in text and "each took under 2 minutes in full mode" in text


def test_a_missing_scenario_module_fails_that_scenario_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "bench.auto", None)  # import raises ModuleNotFoundError
    report: dict[str, Any] = {}
    checks: list[tuple[str, float, str, bool]] = []
    args = argparse.Namespace(quick=True, repeats=1, diagnose=False)
    run_module_scenario("auto", args, tmp_path, report, checks)
    assert "auto" not in report
    [(name, _, _, ok)] = checks
    assert not ok and name.startswith("auto: scenario ran")
    assert "auto: not run" in capsys.readouterr().out


def test_a_scenario_module_reports_under_its_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[Any, ...]] = []

    def fake_run(
        quick: bool, scratch: Path, repeats: int
    ) -> tuple[dict[str, Any], list[tuple[str, float, str, bool]]]:
        calls.append((quick, scratch, repeats))
        return {"figure": 1.0}, [("uploads: something", 1.0, "<= 2", True)]

    module = argparse.Namespace(run=fake_run)
    monkeypatch.setitem(sys.modules, "bench.uploads", module)
    report: dict[str, Any] = {}
    checks: list[tuple[str, float, str, bool]] = []
    args = argparse.Namespace(quick=True, repeats=3, diagnose=True)
    run_module_scenario("uploads", args, tmp_path, report, checks)
    assert calls == [(True, tmp_path, 3)]  # diagnose is for scale only
    assert report == {"uploads": {"figure": 1.0}}
    assert checks == [("uploads: something", 1.0, "<= 2", True)]
