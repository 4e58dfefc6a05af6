"""The fake API's support for exactly-once checks: tidied names, seeded namesakes with content,
stored content counts, after-store faults on PUT and DELETE, and the late store."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from scenario_async import (
    APIResponseValidationError,
    APITimeoutError,
    AsyncScenario,
    InternalServerError,
)
from scenario_async.images import Image
from scenario_async.testing import (
    FAULT_KINDS,
    MIXED_KINDS,
    FakeScenario,
    FaultPlan,
    make_png,
    tidy_name,
)

from .conftest import MODELS

#: "Café.png" with the accent as a combining mark (NFD), between spaces.
UNTIDY = " Cafe\u0301.png  "
#: The same name as the service stores it: one precomposed "é", no spaces around.
TIDY = "Caf\u00e9.png"


def png(shade: int) -> bytes:
    return make_png(6, 6, (shade, 40, 90))


def data_url(content: bytes, name: str = "x.png") -> str:
    return Image.from_bytes(content, name=name).data_url()


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# Tidied names -----------------------------------------------------------------------------


def test_tidy_name_is_nfc_and_trimmed() -> None:
    assert tidy_name(UNTIDY) == TIDY
    assert tidy_name(TIDY) == TIDY
    assert tidy_name("\tinner  spaces stay.png\n") == "inner  spaces stay.png"


async def test_with_tidy_names_adds_replaces_and_assets_store_and_answer_the_tidied_name() -> None:
    async with FakeScenario(models=MODELS, tidy_names=True) as fake, fake.client() as client:
        added = await client.models.training_images.add("m", data=data_url(png(1)), name=UNTIDY)
        assert added.training_image.name == TIDY
        replaced = await client.models.training_images.replace(
            added.training_image.id or "", model_id="m", data=data_url(png(2)), name=" b.png "
        )
        assert replaced.training_image.name == "b.png"
        asset = await client.assets.upload(image=data_url(png(3)), name=UNTIDY)
        assert asset.asset.name == TIDY
        by_id = await client.models.training_images.add("m", asset_id=asset.asset.id)
        assert by_id.training_image.name == TIDY
        model = (await client.models.retrieve("m")).model
    assert [image.name for image in model.training_images or []] == ["b.png", TIDY]
    assert [image.name for image in fake.training_images("m")] == ["b.png", TIDY]
    assert fake.state.assets[asset.asset.id or ""].name == TIDY
    # What was sent is recorded as sent: only the stored name is tidied.
    assert [r.json.get("name") for r in fake.requests if r.method in ("POST", "PUT")] == [
        UNTIDY,
        " b.png ",
        UNTIDY,
        None,
    ]


async def test_by_default_names_are_stored_exactly_as_sent() -> None:
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        added = await client.models.training_images.add("m", data=data_url(png(1)), name=UNTIDY)
        asset = await client.assets.upload(image=data_url(png(2)), name=UNTIDY)
    assert added.training_image.name == UNTIDY
    assert asset.asset.name == UNTIDY
    assert [image.name for image in fake.training_images("m")] == [UNTIDY]


def test_seeding_follows_tidy_names_too() -> None:
    fake = FakeScenario(models=MODELS, tidy_names=True)
    assert fake.add_training_image("m", name=UNTIDY).name == TIDY
    assert fake.add_asset(png(1), name=UNTIDY).name == TIDY
    fake.tidy_names = False
    assert fake.add_training_image("m", name=UNTIDY).name == UNTIDY


# Seeded namesakes and stored contents -----------------------------------------------------


def test_a_seeded_image_keeps_the_hash_and_size_of_its_content() -> None:
    fake = FakeScenario(models=MODELS)
    old = png(1)
    seeded = fake.add_training_image("m", name="a.png", content=old)
    assert (seeded.name, seeded.sha256, seeded.size) == ("a.png", sha(old), len(old))
    bare = fake.add_training_image("m")  # as before: a name and no content
    assert (bare.name, bare.sha256, bare.size) == ("seed.png", None, 0)
    assert fake.stored_contents("m") == Counter({sha(old): 1})
    assert fake.stored_contents("no-such-model") == Counter()


async def test_a_model_can_hold_an_older_namesake_of_other_or_the_same_content() -> None:
    old, new = png(1), png(2)
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        fake.add_training_image("m", name="a.png", content=old)
        fake.add_training_image("m", name="b.png", content=new)
        answer = await client.models.training_images.add("m", data=data_url(new), name="a.png")
        model = (await client.models.retrieve("m")).model
    assert [image.name for image in model.training_images or []] == ["a.png", "b.png", "a.png"]
    assert (model.training_images or [])[-1].id == answer.training_image.id
    assert fake.stored_contents("m") == Counter({sha(old): 1, sha(new): 2})


async def test_stored_contents_counts_the_decoded_bytes_of_every_kind_of_add() -> None:
    one, two, three = png(1), png(2), png(3)
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        first = await client.models.training_images.add("m", data=data_url(one), name="1.png")
        await client.models.training_images.add("m", data=data_url(one), name="again.png")
        asset = await client.assets.upload(image=data_url(two), name="2.png")
        await client.models.training_images.add("m", asset_ids=[asset.asset.id or ""] * 2)
        assert fake.stored_contents("m") == Counter({sha(one): 2, sha(two): 2})
        await client.models.training_images.replace(
            first.training_image.id or "", model_id="m", data=data_url(three), name="3.png"
        )
    assert fake.state.assets[asset.asset.id or ""].sha256 == sha(two)
    assert fake.state.assets[asset.asset.id or ""].size == len(two)
    assert fake.stored_contents("m") == Counter({sha(one): 1, sha(two): 2, sha(three): 1})
    assert [image.size for image in fake.training_images("m")] == [
        len(three),
        len(one),
        len(two),
        len(two),
    ]


# After-store faults on PUT and DELETE -----------------------------------------------------

AFTER_STORE_ERRORS: list[tuple[str, type[Exception]]] = [
    ("error_502_after_store", InternalServerError),
    ("slow_after_store", APITimeoutError),
    ("malformed_json", APIResponseValidationError),
]


async def _replace(client: AsyncScenario, image_id: str) -> Any:
    return await client.models.training_images.replace(
        image_id, model_id="m", data=data_url(png(9)), name="new.png"
    )


async def _train(client: AsyncScenario, image_id: str) -> Any:
    return await client.models.train.trigger("m")


async def _delete(client: AsyncScenario, image_id: str) -> Any:
    return await client.models.training_images.delete(image_id, model_id="m")


Call = Callable[[AsyncScenario, str], Awaitable[Any]]


def _replaced(fake: FakeScenario) -> bool:
    return [(i.name, i.sha256) for i in fake.training_images("m")] == [("new.png", sha(png(9)))]


def _trained(fake: FakeScenario) -> bool:
    return fake.state.models["m"].run is not None and len(fake.state.jobs) == 1


def _deleted(fake: FakeScenario) -> bool:
    return fake.training_images("m") == []


OPERATIONS: dict[str, tuple[str, Call, Callable[[FakeScenario], bool]]] = {
    "replace": ("PUT", _replace, _replaced),
    "train": ("PUT", _train, _trained),
    "delete": ("DELETE", _delete, _deleted),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize(("fault", "error"), AFTER_STORE_ERRORS)
async def test_after_store_faults_on_put_and_delete_do_the_work_then_spoil_the_answer(
    operation: str, fault: str, error: type[Exception]
) -> None:
    method, call, done = OPERATIONS[operation]
    rates: dict[str, Any] = {fault: 1.0}
    plan = FaultPlan(**rates, methods=frozenset({method}), slow_seconds=0.4)
    async with FakeScenario(models=MODELS, faults=plan, queue_duration=5.0) as fake:
        # A POST is outside the plan's methods: it is answered as usual.
        async with fake.client() as first:
            added = await first.models.training_images.add("m", data=data_url(png(1)), name="a.png")
        assert fake.faults_injected == Counter()
        # A client of its own, so the faulted call opens a fresh connection: aiohttp itself
        # sends a PUT or DELETE again when a reused connection drops.
        async with fake.client(max_retries=0, timeout=0.15) as client:
            if (operation, fault) == ("delete", "malformed_json"):
                # The delete answer is not specified: the client hands back the text as is.
                assert await call(client, added.training_image.id or "") == "{"
            else:
                with pytest.raises(error):
                    await call(client, added.training_image.id or "")
            await asyncio.sleep(0.5)  # a slow answer is still on its way
    assert done(fake)
    assert fake.faults_injected == Counter({fault: 1})
    assert [r.method for r in fake.requests] == ["POST", method]


async def _send_raw(fake: FakeScenario, method: str, path: str, body: Any) -> bytes:
    """One request on a connection of its own; everything the server sent back until it
    closed the connection."""
    payload = b"" if body is None else json.dumps(body).encode()
    head = (
        f"{method} /v1{path} HTTP/1.1\r\nHost: {fake.host}:{fake.port}\r\n"
        f"Authorization: {fake.expected_authorization}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection(fake.host, fake.port)
    try:
        writer.write(head.encode() + payload)
        return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


@pytest.mark.parametrize("operation", list(OPERATIONS))
async def test_drop_after_store_on_put_and_delete_does_the_work_and_closes_without_answer(
    operation: str,
) -> None:
    """Sent on a bare socket: aiohttp itself sends a PUT or DELETE again when its connection
    drops, which would hide what the fake API did with the first one."""
    method, _, done = OPERATIONS[operation]
    plan = FaultPlan(drop_after_store=1.0, methods=frozenset({method}))
    async with FakeScenario(models=MODELS, faults=plan, queue_duration=5.0) as fake:
        image = fake.add_training_image("m", content=png(1))
        path, body = {
            "replace": (
                f"/models/m/training-images/{image.id}",
                {"data": data_url(png(9)), "name": "new.png"},
            ),
            "train": ("/models/m/train", {}),
            "delete": (f"/models/m/training-images/{image.id}", None),
        }[operation]
        assert await _send_raw(fake, method, path, body) == b""
        # A GET is outside the plan's methods: it is answered (404: there is no such job).
        assert b" 404 " in await _send_raw(fake, "GET", "/jobs/none", None)
    assert done(fake)
    assert fake.faults_injected == Counter({"drop_after_store": 1})
    assert [(r.method, r.path) for r in fake.requests] == [
        (method, "/v1" + path),
        ("GET", "/v1/jobs/none"),
    ]


# The late store ---------------------------------------------------------------------------


async def test_store_late_stores_after_a_client_that_timed_out_gave_up() -> None:
    plan = FaultPlan(store_late=1.0, slow_seconds=0.4)
    async with (
        FakeScenario(models=MODELS, faults=plan) as fake,
        fake.client(on_unknown_outcome="raise", timeout=0.15) as client,
    ):
        with pytest.raises(APITimeoutError):
            await client.models.training_images.add("m", data=data_url(png(1)), name="a.png")
        assert fake.training_images("m") == []  # not yet: a check now would find nothing
        await asyncio.sleep(0.45)
        assert [(i.name, i.sha256) for i in fake.training_images("m")] == [("a.png", sha(png(1)))]
    assert fake.faults_injected == Counter({"store_late": 1})
    assert len(fake.requests) == 1


async def test_store_late_answers_a_patient_client_with_what_it_stored() -> None:
    plan = FaultPlan(store_late=1.0, slow_seconds=0.2, methods=frozenset({"POST", "DELETE"}))
    async with FakeScenario(models=MODELS, faults=plan) as fake, fake.client(timeout=2.0) as client:
        started = asyncio.get_running_loop().time()
        answer = await client.models.training_images.add("m", data=data_url(png(1)), name="a.png")
        assert asyncio.get_running_loop().time() - started >= 0.2
        (stored,) = fake.training_images("m")
        assert answer.training_image.id == stored.id
        await client.models.training_images.delete(stored.id, model_id="m")
    assert fake.training_images("m") == []
    assert fake.faults_injected == Counter({"store_late": 2})


async def test_store_late_on_delete_removes_the_image_after_the_client_gave_up() -> None:
    plan = FaultPlan(store_late=1.0, slow_seconds=0.4, methods=frozenset({"DELETE"}))
    async with (
        FakeScenario(models=MODELS, faults=plan) as fake,
        fake.client(max_retries=0, timeout=0.15) as c,
    ):
        image = fake.add_training_image("m", content=png(1))
        with pytest.raises(APITimeoutError):
            await c.models.training_images.delete(image.id, model_id="m")
        assert fake.training_images("m") == [image]
        await asyncio.sleep(0.45)
        assert fake.training_images("m") == []


# Mixed plans ------------------------------------------------------------------------------


def test_store_late_is_the_last_kind_and_mixed_leaves_it_out_by_default() -> None:
    assert FAULT_KINDS[-1] == "store_late"
    assert FAULT_KINDS[:-1] == MIXED_KINDS
    plan = FaultPlan.mixed(0.5, seed=7)
    assert plan.store_late == 0.0
    # The same draws as a plan spread by hand over the kinds that came before store_late.
    spread: dict[str, Any] = dict.fromkeys(MIXED_KINDS, 0.5 / 8)
    by_hand = FaultPlan(seed=7, **spread)
    draws = [plan.draw("POST") for _ in range(300)]
    assert draws == [by_hand.draw("POST") for _ in range(300)]
    assert "store_late" not in draws and set(draws) == {None, *MIXED_KINDS}


def test_mixed_draws_store_late_when_included_or_given_a_rate() -> None:
    included = FaultPlan.mixed(0.9, seed=1, include={"store_late"})
    assert all(getattr(included, kind) == pytest.approx(0.1) for kind in FAULT_KINDS)
    assert "store_late" in {included.draw("PUT") for _ in range(200)}
    explicit = FaultPlan.mixed(0.4, seed=1, store_late=0.2, slow_seconds=0.3)
    assert explicit.store_late == 0.2 and explicit.slow_seconds == 0.3
    assert all(getattr(explicit, kind) == pytest.approx(0.05) for kind in MIXED_KINDS)
    # A kind given its own rate is left out of the spread.
    quiet: dict[str, Any] = {"error_500": 0.0}
    without_500 = FaultPlan.mixed(0.7, **quiet)
    assert without_500.error_500 == 0.0 and without_500.html_error == pytest.approx(0.1)


def test_mixed_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown fault kinds: nope"):
        FaultPlan.mixed(0.2, include={"nope"})  # type: ignore[arg-type]
