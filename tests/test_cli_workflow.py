"""The command line's ``models`` and ``jobs`` groups and the whole-pipeline demo, run as users
run them, against the fake API: what they print, their exit status, and what they sent."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest

from scenario_async.cli import main
from scenario_async.testing import FakeScenario, RecordedRequest

#: The models conftest.py seeds the fake with, in the order the fake lists them (newest first).
SEEDED = ["model_x", "n", "m4", "m3", "m2", "m1", "m"]


def cli(fake: FakeScenario, *args: str) -> list[str]:
    return [
        *args,
        "--base-url",
        fake.base_url,
        "--api-key",
        fake.api_key,
        "--api-secret",
        fake.api_secret,
    ]


def sent(fake: FakeScenario, method: str, path_end: str = "") -> list[RecordedRequest]:
    """The requests of ``method`` whose path ends with ``path_end``, in arrival order."""
    return [r for r in fake.requests if r.method == method and r.path.endswith(path_end)]


def run_json(fake: FakeScenario, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    """Run a command with ``--json``, which must succeed, and parse what it printed."""
    code = main(cli(fake, *args, "--json"))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


# models create / show / update --------------------------------------------------------------


def test_models_create_sends_the_fields_given_and_prints_the_new_model(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    made = run_json(
        fake_scenario,
        capsys,
        *("models", "create", "Cats in hats", "--type", "flux.1-lora"),
        *("--description", "cats, hats"),
    )
    assert made["name"] == "Cats in hats" and made["status"] == "new"
    assert made["id"] in fake_scenario.state.models
    [request] = sent(fake_scenario, "POST", "/models")
    assert request.json == {
        "name": "Cats in hats",
        "type": "flux.1-lora",
        "shortDescription": "cats, hats",
    }

    assert main(cli(fake_scenario, "models", "create", "Dogs")) == 0
    out = capsys.readouterr().out
    assert "created model model_" in out and "Dogs" in out
    assert sent(fake_scenario, "POST", "/models")[-1].json == {"name": "Dogs"}


def test_models_show_and_its_alias_model_print_the_same_model(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.add_training_image("m1")
    shown = run_json(fake_scenario, capsys, "models", "show", "m1")
    assert shown == run_json(fake_scenario, capsys, "model", "m1")
    assert shown["id"] == "m1" and shown["trainingImagesNumber"] == 1
    assert main(cli(fake_scenario, "models", "show", "m1")) == 0
    out = capsys.readouterr().out
    assert "model m1" in out
    assert re.search(r"training images +│ 1 ", out)  # a count, not 1.0
    assert [r.path for r in sent(fake_scenario, "GET")] == ["/v1/models/m1"] * 3


def test_models_update_sends_only_what_is_given(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    updated = run_json(
        fake_scenario,
        capsys,
        *("models", "update", "m1", "--name", "Renamed", "--param", "max_train_steps=300"),
    )
    assert updated["name"] == "Renamed"
    assert updated["parameters"]["maxTrainSteps"] == 300
    [request] = sent(fake_scenario, "PUT")
    assert request.path == "/v1/models/m1"
    assert request.json == {"name": "Renamed", "parameters": {"maxTrainSteps": 300}}


def test_models_update_with_nothing_to_change_is_a_usage_error_sending_nothing(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(fake_scenario, "models", "update", "m1")) == 2
    err = capsys.readouterr().err
    assert err.startswith("scenario-async: nothing to change: give --name")
    assert err.count("\n") == 1
    assert fake_scenario.requests == []


# models list ----------------------------------------------------------------------------------


def test_models_list_prints_a_row_per_model_reading_page_after_page(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(fake_scenario, "models", "list", "--page-size", "3")) == 0
    captured = capsys.readouterr()
    header, *rows = captured.out.splitlines()
    assert header.split() == ["ID", "STATUS", "IMAGES", "TYPE", "NAME"]
    assert [row.split()[0] for row in rows] == SEEDED
    assert rows[0].split()[1:] == ["new", "0", "flux.1-lora", "model_x"]
    assert captured.err == "7 models\n"
    reads = sent(fake_scenario, "GET", "/models")
    assert [r.query["pageSize"] for r in reads] == ["3", "3", "3"]
    assert ["paginationToken" in r.query for r in reads] == [False, True, True]


def test_models_list_limit_stops_reading_and_asks_no_bigger_page_than_needed(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(cli(fake_scenario, "models", "list", "--limit", "4", "--json"))
    captured = capsys.readouterr()
    assert code == 0
    assert [m["id"] for m in json.loads(captured.out)] == SEEDED[:4]
    assert captured.err == "4 models (--limit 4 reached; more may match)\n"
    [read] = sent(fake_scenario, "GET", "/models")
    assert read.query == {"pageSize": "4"}

    assert main(cli(fake_scenario, "models", "list", "--limit", "4", "--page-size", "3")) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1 + 4
    assert len(sent(fake_scenario, "GET", "/models")) == 1 + 2  # the third page is never read


def test_models_list_sends_its_filters(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.add_model("t1", trained=True)
    fake_scenario.add_model("q1", trained=True, type="qwen-image-lora")
    listed = run_json(
        fake_scenario, capsys, "models", "list", "--status", "trained", "--type", "flux.1-lora"
    )
    assert [m["id"] for m in listed] == ["t1"]
    [read] = sent(fake_scenario, "GET", "/models")
    assert read.query == {"status": "trained", "type": "flux.1-lora"}
    assert run_json(fake_scenario, capsys, "models", "list", "--status", "failed") == []


def test_a_list_that_fails_midway_keeps_its_json_valid_and_exits_1(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    class RevokedOnTheSecondPage(list[RecordedRequest]):
        """The fake's request log, which takes the credentials back as the second page is
        asked for (a request is logged before it is judged)."""

        def append(self, request: RecordedRequest) -> None:
            super().append(request)
            if "paginationToken" in request.query:
                fake_scenario.expected_authorization = "Basic revoked"

    fake_scenario.requests = RevokedOnTheSecondPage()
    code = main(cli(fake_scenario, "models", "list", "--page-size", "3", "--json"))
    captured = capsys.readouterr()
    assert code == 1
    assert [m["id"] for m in json.loads(captured.out)] == SEEDED[:3]  # the first page
    assert captured.err.count("\n") == 1 and "AuthenticationError" in captured.err


def test_names_from_the_server_cannot_drive_the_terminal(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.add_model("evil", name="\x1b]0;owned\x07[red]x[/]")
    assert main(cli(fake_scenario, "models", "list", "--limit", "1")) == 0
    listed = capsys.readouterr().out
    assert main(cli(fake_scenario, "models", "show", "evil")) == 0
    shown = capsys.readouterr().out
    for out in (listed, shown):
        assert "\x1b" not in out and "\x07" not in out
        assert "\\x1b]0;owned\\x07[red]x[/]" in out  # shown as written, brackets and all


# models delete / restore / copy -------------------------------------------------------------


def test_models_delete_reports_each_model_and_restore_brings_one_back(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(fake_scenario, "models", "delete", "m1", "nope", "--json")) == 1
    captured = capsys.readouterr()
    results = json.loads(captured.out)
    assert [(r["modelId"], r["ok"]) for r in results] == [("m1", True), ("nope", False)]
    assert results[1]["error"].startswith("NotFoundError: ")
    assert "scenario-async models restore" in captured.err
    assert fake_scenario.state.models["m1"].deleted_at is not None

    deleted = run_json(fake_scenario, capsys, "models", "list", "--status", "deleted")
    assert [m["id"] for m in deleted] == ["m1"]
    restored = run_json(fake_scenario, capsys, "models", "restore", "m1")
    assert restored["id"] == "m1"
    assert fake_scenario.state.models["m1"].deleted_at is None
    assert [r.path for r in sent(fake_scenario, "DELETE")] == ["/v1/models/m1", "/v1/models/nope"]
    assert [r.path for r in sent(fake_scenario, "POST")] == ["/v1/models/m1/restore"]


def test_models_copy_makes_a_new_model_as_trained_when_asked(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.add_model("t1", trained=True)
    copy = run_json(fake_scenario, capsys, "models", "copy", "t1", "--as-trained")
    assert copy["id"] != "t1" and copy["status"] == "trained"
    assert copy["parentModelId"] == "t1"
    plain = run_json(fake_scenario, capsys, "models", "copy", "t1")
    assert plain["status"] == "new"
    assert [r.json for r in sent(fake_scenario, "POST", "/copy")] == [{"copyAsTrained": True}, {}]


# models download, jobs ------------------------------------------------------------------------


def test_models_download_dry_run_prints_an_estimate_and_starts_nothing(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.add_model("t1", trained=True)
    jobs_before = set(fake_scenario.state.jobs)
    estimate = run_json(fake_scenario, capsys, "models", "download", "t1", "--dry-run")
    assert estimate["estimate"] is True
    assert estimate["modelId"] == "t1" and estimate["creativeUnitsCost"] == 10
    assert main(cli(fake_scenario, "models", "download", "t1", "--dry-run")) == 0
    out = capsys.readouterr().out
    assert "(estimate)" in out and "nothing: a dry run" in out
    assert [r.query for r in sent(fake_scenario, "POST", "/download")] == [{"dryRun": "true"}] * 2
    assert set(fake_scenario.state.jobs) == jobs_before


def test_models_download_wait_follows_the_job_and_prints_a_working_link(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.queue_duration = 0.1  # how long the fake's download job runs
    fake_scenario.add_model("t1", trained=True)
    report = run_json(
        fake_scenario,
        capsys,
        *("models", "download", "t1", "--wait", "--poll-interval", "0.02"),
    )
    assert report["status"] == "success" and report["error"] is None
    assert report["url"].startswith(f"{fake_scenario.storage_url}/storage/models/t1/")
    assert report["expires"]
    with urllib.request.urlopen(report["url"], timeout=10) as answer:
        assert answer.status == 200
    [started] = sent(fake_scenario, "POST", "/v1/models/t1/download")
    assert started.query == {}
    polls = sent(fake_scenario, "GET", f"/jobs/{report['jobId']}")
    assert len(polls) >= 2  # running at first, then done


def test_a_download_started_without_wait_is_followed_with_jobs_show(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.queue_duration = 0.05
    fake_scenario.add_model("t1", trained=True)
    assert main(cli(fake_scenario, "models", "download", "t1", "--json")) == 0
    captured = capsys.readouterr()
    job_id = json.loads(captured.out)["jobId"]
    assert f"scenario-async jobs show {job_id} --wait" in captured.err
    assert sent(fake_scenario, "GET", f"/jobs/{job_id}") == []

    code = main(cli(fake_scenario, "jobs", "show", job_id, "--wait", "--poll-interval", "0.02"))
    out = capsys.readouterr().out
    assert code == 0
    assert "success" in out and "link" in out and "/storage/models/t1/" in out
    shown = run_json(fake_scenario, capsys, "jobs", "show", job_id)
    assert shown["jobType"] == "model-download" and shown["status"] == "success"
    assert shown["metadata"]["output"]["url"].startswith(fake_scenario.storage_url)


def test_downloading_an_untrained_model_is_one_line_and_exit_1(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(fake_scenario, "models", "download", "m1", "--wait")) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("scenario-async: BadRequestError: ")
    assert "not trained" in captured.err


def test_jobs_list_filters_and_prints_a_row_per_job(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.add_model("t1", trained=True)  # its training run is a job
    inference = fake_scenario.add_job("inference", duration=60)
    listed = run_json(fake_scenario, capsys, "jobs", "list", "--type", "model-training")
    assert [j["jobType"] for j in listed] == ["model-training"]
    assert sent(fake_scenario, "GET", "/jobs")[-1].query == {"type": "model-training"}

    assert main(cli(fake_scenario, "jobs", "list", "--status", "in-progress", "--limit", "5")) == 0
    captured = capsys.readouterr()
    header, *rows = captured.out.splitlines()
    assert header.split() == ["ID", "TYPE", "STATUS", "PROGRESS", "CREATED"]
    assert [row.split()[:3] for row in rows] == [[inference.job_id, "inference", "in-progress"]]
    assert captured.err == "1 job\n"
    assert sent(fake_scenario, "GET", "/jobs")[-1].query == {
        "status": "in-progress",
        "pageSize": "5",
    }


def test_jobs_show_wait_exits_1_when_the_job_fails(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    job = fake_scenario.add_job("inference", duration=0.05, succeeds=False)
    args = ("jobs", "show", job.job_id, "--wait", "--poll-interval", "0.02", "--json")
    assert main(cli(fake_scenario, *args)) == 1
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "failure" and shown["metadata"]["error"]


def test_jobs_show_wait_gives_up_after_its_timeout_in_one_line(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    job = fake_scenario.add_job("inference", duration=60)
    args = ("jobs", "show", job.job_id, "--wait", "--timeout", "0.2", "--poll-interval", "0.05")
    assert main(cli(fake_scenario, *args, "--json")) == 1  # --json: no progress bar either
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"scenario-async: TimeoutError: job {job.job_id} was still")
    assert "it goes on" in captured.err
    assert 2 <= len(sent(fake_scenario, "GET", f"/jobs/{job.job_id}")) <= 6


# Usage mistakes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["models", "create"], "required: name"),
        (["models", "create", " "], "argument name: must not be empty"),
        (["models", "create", "x", "--type", "sdxl"], "argument --type: invalid choice"),
        (["models", "list", "--limit", "0"], "--limit: must be a whole number at least 1"),
        (["models", "list", "--page-size", "501"], "from 1 to 500, got '501'"),
        (["models", "list", "--status", "gone"], "argument --status: invalid choice: 'gone'"),
        (["models", "show"], "required: model_id"),
        (["models", "update", "m1", "--name", ""], "argument --name: must not be empty"),
        (["models", "delete"], "required: MODEL_ID"),
        (["models", "restore", ""], "argument model_id: must not be empty"),
        (["models", "copy", "m1", "--as-trained=yes"], "ignored explicit argument 'yes'"),
        (["models", "download", "m1", "--dry-run", "--wait"], "not allowed with argument"),
        (["models", "download", "m1", "--poll-interval", "0"], "above 0, got '0'"),
        (["jobs", "list", "--type", "painting"], "argument --type: invalid choice"),
        (["jobs", "list", "--page-size", "101"], "from 1 to 100, got '101'"),
        (["jobs", "show"], "required: job_id"),
        (["jobs", "show", "j", "--wait", "--timeout", "-1"], "--timeout: must be a number"),
    ],
)
def test_a_usage_mistake_is_one_line_exit_2_and_sends_nothing(
    fake_scenario: FakeScenario,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    says: str,
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(cli(fake_scenario, *args))
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith(f"scenario-async {args[0]} {args[1]}: error: ")
    assert says in captured.err
    assert captured.err.endswith(" (see --help)\n")
    assert fake_scenario.requests == []


@pytest.mark.parametrize(
    ("args", "prog", "says"),
    [
        (["models"], "scenario-async models", "the following arguments are required: ACTION"),
        (["jobs", "stop"], "scenario-async jobs", "invalid choice: 'stop'"),
        (["model", " "], "scenario-async model", "argument model_id: must not be empty"),
    ],
)
def test_a_command_group_without_its_action_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], args: list[str], prog: str, says: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{prog}: error: ") and says in err


# The demo -------------------------------------------------------------------------------------


def test_the_demo_runs_every_step_of_the_pipeline_and_prints_it_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["demo", "--json", "--images", "5", "--training-seconds", "0.3"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == ""  # --json draws nothing
    summary = json.loads(captured.out)
    model = summary["model"]
    assert model.startswith("model_") and summary["modelName"] == "scenario-async demo"
    assert (summary["imagesUploaded"]["total"], summary["imagesUploaded"]["sent"]) == (5, 5)
    assert (summary["assetIdsAdded"]["sent"], summary["assetIdBatches"]) == (12, 2)
    assert summary["datasetScore"]["status"] == "complete"
    assert 0 < summary["datasetScore"]["score"] <= 1
    assert summary["trainingEstimate"]["creativeUnitsCost"] > 0
    assert summary["training"] == "trained"
    assert summary["download"]["status"] == "success"
    assert f"/storage/models/{model}/" in summary["download"]["url"]
    assert summary["server"] == "embedded fake Scenario API"


def test_the_demo_pointed_at_an_api_creates_its_model_and_calls_each_step_in_order(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_scenario.queue_duration = 0.05
    fake_scenario.training_duration = 0.2
    summary = run_json(
        fake_scenario, capsys, "demo", "--images", "3", "--training-seconds", "0.2", "--yes"
    )
    model = summary["model"]
    assert model not in SEEDED and summary["server"] == fake_scenario.base_url
    assert summary["training"] == "trained" and summary["download"]["status"] == "success"
    assert len(fake_scenario.training_images(model)) == 3 + 12

    def first(method: str, path: str, **query: str) -> int:
        """Where the first such request is in the fake's log."""
        for index, request in enumerate(fake_scenario.requests):
            if (request.method, request.path) == (method, path) and query.items() <= (
                request.query.items()
            ):
                return index
        raise AssertionError(f"no {method} {path} {query}")

    base = f"/v1/models/{model}"
    order = [
        first("POST", "/v1/models"),
        first("POST", f"{base}/training-images"),
        first("GET", f"{base}/scores/training-dataset"),
        first("PUT", f"{base}/train", dryRun="true"),
        max(i for i, r in enumerate(fake_scenario.requests) if r.method == "PUT"),
        first("POST", f"{base}/download"),
        first("GET", f"/v1/jobs/{summary['download']['jobId']}"),
    ]
    assert order == sorted(order)
    trains = sent(fake_scenario, "PUT", f"{base}/train")
    assert [r.query for r in trains] == [{"dryRun": "true"}, {}]
    assert trains[1].json == {"parameters": {"maxTrainSteps": 500}}


def test_the_demo_pointed_at_an_api_asks_for_yes_before_spending_anything(
    fake_scenario: FakeScenario, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(cli(fake_scenario, "demo", "--images", "3"))
    err = capsys.readouterr().err
    assert code == 2
    assert f"it would create a model on {fake_scenario.base_url}" in err
    assert "start a paid training run there: add --yes to do that" in err
    assert fake_scenario.requests == []
