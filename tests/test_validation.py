"""Client-side mistakes are refused before any request leaves, naming the parameter."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from scenario_async import AsyncScenario, MissingCredentialsError
from scenario_async.images import ImageFileError
from scenario_async.testing import FakeScenario

from .conftest import PNG_DATA_URL

Call = Callable[[AsyncScenario], Awaitable[Any]]

ELEVEN = [f"asset_{i}" for i in range(11)]

CASES: list[tuple[str, Call, type[Exception], str]] = [
    (
        "empty model id",
        lambda c: c.models.training_images.add("", asset_id="a"),
        ValueError,
        "model_id",
    ),
    (
        "blank model id",
        lambda c: c.models.training_images.add("  ", asset_id="a"),
        ValueError,
        "model_id",
    ),
    (
        "model id not a string",
        lambda c: c.models.training_images.add(42, asset_id="a"),  # type: ignore[arg-type]
        TypeError,
        "model_id",
    ),
    (
        "more than 10 asset ids",
        lambda c: c.models.training_images.add("m", asset_ids=ELEVEN),
        ValueError,
        "add_many",
    ),
    (
        "asset_ids as a plain string",
        lambda c: c.models.training_images.add("m", asset_ids="asset_1"),
        TypeError,
        "asset_ids",
    ),
    (
        "empty asset_ids",
        lambda c: c.models.training_images.add("m", asset_ids=[]),
        ValueError,
        "asset_ids",
    ),
    (
        "empty id inside asset_ids",
        lambda c: c.models.training_images.add("m", asset_ids=["a", ""]),
        ValueError,
        r"asset_ids\[1\]",
    ),
    (
        "asset_ids with asset_id",
        lambda c: c.models.training_images.add("m", asset_ids=["a"], asset_id="b"),
        ValueError,
        "asset_ids",
    ),
    (
        "asset_ids with data",
        lambda c: c.models.training_images.add("m", asset_ids=["a"], data=PNG_DATA_URL),
        ValueError,
        "asset_ids",
    ),
    (
        "asset_ids with name",
        lambda c: c.models.training_images.add("m", asset_ids=["a"], name="x.png"),
        ValueError,
        "asset_ids",
    ),
    (
        "asset_id with data",
        lambda c: c.models.training_images.add("m", asset_id="a", data=PNG_DATA_URL),
        ValueError,
        "asset_id",
    ),
    ("nothing to add", lambda c: c.models.training_images.add("m"), ValueError, "nothing to add"),
    (
        "name without data",
        lambda c: c.models.training_images.add("m", name="x.png"),
        ValueError,
        "nothing to add",
    ),
    (
        "data not a data URL",
        lambda c: c.models.training_images.add("m", data="hello"),
        ValueError,
        "data must be a base64 image data URL",
    ),
    (
        "data of a non-image type",
        lambda c: c.models.training_images.add("m", data="data:text/plain;base64,aGVsbG8="),
        ValueError,
        "data must be a base64 image data URL",
    ),
    (
        "data not base64",
        lambda c: c.models.training_images.add("m", data="data:image/png,rawbytes"),
        ValueError,
        "data must be a base64 image data URL",
    ),
    (
        "data with a broken payload",
        lambda c: c.models.training_images.add("m", data="data:image/png;base64,ab$d"),
        ValueError,
        "data has a base64 payload",
    ),
    (
        "data with an empty payload",
        lambda c: c.models.training_images.add("m", data="data:image/png;base64,"),
        ValueError,
        "data has a base64 payload",
    ),
    (
        "data as bytes",
        lambda c: c.models.training_images.add("m", data=b"\x89PNG"),  # type: ignore[arg-type]
        TypeError,
        "data",
    ),
    (
        "empty name",
        lambda c: c.models.training_images.add("m", data=PNG_DATA_URL, name=""),
        ValueError,
        "name",
    ),
    (
        "preset outside its set",
        lambda c: c.models.training_images.add("m", asset_id="a", preset="portrait"),
        ValueError,
        "preset",
    ),
    (
        "original_assets not a bool",
        lambda c: c.models.training_images.add("m", asset_id="a", original_assets="yes"),  # type: ignore[arg-type]
        TypeError,
        "original_assets",
    ),
    (
        "empty project id",
        lambda c: c.models.training_images.add("m", asset_id="a", project_id=""),
        ValueError,
        "project_id",
    ),
    (
        "replace without model id",
        lambda c: c.models.training_images.replace("ti", model_id="", asset_id="a"),
        ValueError,
        "model_id",
    ),
    (
        "replace without image id",
        lambda c: c.models.training_images.replace("", model_id="m", asset_id="a"),
        ValueError,
        "training_image_id",
    ),
    (
        "replace with nothing",
        lambda c: c.models.training_images.replace("ti", model_id="m"),
        ValueError,
        "nothing to add",
    ),
    (
        "delete without image id",
        lambda c: c.models.training_images.delete("", model_id="m"),
        ValueError,
        "training_image_id",
    ),
    (
        "pairs body a dict",
        lambda c: c.models.training_images.replace_pairs("m", body={"sourceId": "a"}),  # type: ignore[dict-item]
        TypeError,
        "body",
    ),
    (
        "pairs with an unknown key",
        lambda c: c.models.training_images.replace_pairs("m", body=[{"src": "a"}]),
        ValueError,
        r"body\[0\]",
    ),
    (
        "pairs with a number",
        lambda c: c.models.training_images.replace_pairs("m", body=[{"source_id": 1}]),
        TypeError,
        r"body\[0\]",
    ),
    (
        "dry_run outside its set",
        lambda c: c.models.train.trigger("m", dry_run="maybe"),  # type: ignore[arg-type]
        ValueError,
        "dry_run",
    ),
    (
        "negative training_images_count",
        lambda c: c.models.train.trigger("m", dry_run=True, training_images_count=-1),
        ValueError,
        "training_images_count",
    ),
    (
        "training_images_count without dry run",
        lambda c: c.models.train.trigger("m", training_images_count=3),
        ValueError,
        "training_images_count",
    ),
    (
        "parameters not a mapping",
        lambda c: c.models.train.trigger("m", parameters=[1]),  # type: ignore[arg-type]
        TypeError,
        "parameters",
    ),
    (
        "action outside its set",
        lambda c: c.models.train.action("m", action="pause"),  # type: ignore[arg-type]
        ValueError,
        "action",
    ),
    ("empty job id", lambda c: c.jobs.retrieve(""), ValueError, "job_id"),
    (
        "name not a string",
        lambda c: c.models.training_images.add("m", data=PNG_DATA_URL, name=7),  # type: ignore[arg-type]
        TypeError,
        "name",
    ),
    (
        "asset_ids with a number",
        lambda c: c.models.training_images.add("m", asset_ids=["a", 3]),  # type: ignore[list-item]
        TypeError,
        r"asset_ids\[1\]",
    ),
    (
        "extra_body on the pairs array",
        lambda c: c.models.training_images.replace_pairs("m", body=[], extra_body={"x": 1}),
        TypeError,
        "extra_body",
    ),
    ("empty model id on retrieve", lambda c: c.models.retrieve(""), ValueError, "model_id"),
    (
        "asset image not base64",
        lambda c: c.assets.upload(image="not base64!", name="a.png"),
        ValueError,
        "image",
    ),
    (
        "asset without a name",
        lambda c: c.assets.upload(image=PNG_DATA_URL, name=""),
        ValueError,
        "name",
    ),
    (
        "per-call timeout not positive",
        lambda c: c.models.retrieve("m", timeout=0),
        ValueError,
        "timeout",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [pytest.param(call, error, message, id=case) for case, call, error, message in CASES],
)
async def test_bad_input_raises_a_named_error_and_sends_nothing(
    fake: FakeScenario,
    client: AsyncScenario,
    call: Call,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        await call(client)
    assert fake.requests == []


def test_missing_credentials_are_refused_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCENARIO_SDK_API_KEY", raising=False)
    monkeypatch.delenv("SCENARIO_SDK_API_SECRET", raising=False)
    with pytest.raises(MissingCredentialsError, match="SCENARIO_SDK_API_KEY"):
        AsyncScenario()
    with pytest.raises(MissingCredentialsError, match="api_secret"):
        AsyncScenario(api_key="k")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"base_url": "ftp://example.com"}, "base_url"),
        ({"max_retries": -1}, "max_retries"),
        ({"timeout": -5}, "timeout"),
        ({"connection_limit": 0}, "connection_limit"),
    ],
)
def test_bad_client_options_are_refused_at_construction(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        AsyncScenario(api_key="k", api_secret="s", **options)


async def test_unicode_and_very_long_names_are_sent_exactly(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    names = ["café ☕ 猫.png", "x" * 5000 + ".png", 'quote " and \\ backslash.png']
    for name in names:
        await client.models.training_images.add("m", data=PNG_DATA_URL, name=name)
    assert [image.name for image in fake.training_images("m")] == names


@pytest.mark.parametrize("model_id", ["a/b", "a?b", "a#b", "..", "../jobs", "50%", "ünï"])
async def test_ids_with_reserved_characters_stay_one_path_segment(
    fake: FakeScenario, client: AsyncScenario, model_id: str
) -> None:
    fake.add_model(model_id)
    await client.models.training_images.add(model_id, data=PNG_DATA_URL, name="a.png")
    assert [image.name for image in fake.training_images(model_id)] == ["a.png"]
    assert fake.requests[-1].path == f"/v1/models/{model_id}/training-images"


async def test_an_unreadable_file_is_a_failed_item_not_a_crash(
    tmp_path: Path, client: AsyncScenario
) -> None:
    locked = tmp_path / "locked.png"
    locked.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    locked.chmod(0)
    folder = tmp_path / "a-folder.png"
    folder.mkdir()
    try:
        result = await client.models.training_images.add_many("m", [locked, folder])
    finally:
        locked.chmod(0o600)
    errors = [type(o.error) for o in result]
    if os.geteuid() != 0:  # root reads anything: only the folder fails then
        assert errors[0] is PermissionError
    assert errors[1] is ImageFileError  # a directory is not a regular file
