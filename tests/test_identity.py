"""Exactly once without leaning on names: an item is its content and its stored name, every
training image is claimed by one item, and a journal written ahead settles any stop."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from scenario_async import (
    AsyncScenario,
    Image,
    InternalServerError,
    UnknownOutcomeError,
    _wire,
)
from scenario_async.bulk import (
    BulkAbortedError,
    BulkResult,
    ProgressCallbackError,
    ProgressEvent,
)
from scenario_async.journal import Journal, JournalBusyError, stored_name
from scenario_async.testing import FakeScenario, FaultPlan, make_png

from .conftest import MODELS


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry at once: these tests are about what is sent, not how long it waits."""
    monkeypatch.setattr(_wire, "retry_delay", lambda attempt, headers=None, now=None: 0.0)


def png(i: int) -> bytes:
    return make_png(5, 5, (i % 256, (i // 256) % 256, 41))


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def adds(fake: FakeScenario) -> list[Any]:
    return [r for r in fake.requests if r.method == "POST" and r.path.endswith("/training-images")]


def assert_exactly_once(fake: FakeScenario, model: str, contents: list[bytes]) -> None:
    """Every content given is stored once, and nothing else of ours is."""
    stored = fake.stored_contents(model)
    for content in contents:
        assert stored[sha(content)] == 1, "a content stored twice, or lost"


def assert_honest(fake: FakeScenario, model: str, result: BulkResult) -> None:
    """Every success that names a training image names one that holds its input's content."""
    by_id = {image.id: image for image in fake.training_images(model)}
    for outcome in result:
        if outcome.ok and outcome.training_image is not None:
            held = by_id[outcome.training_image.id or ""]
            assert held.sha256 == outcome.sha256, f"{outcome.source} points at other content"


# Names are not identities -----------------------------------------------------------------


async def test_same_name_different_content_is_stored_twice_each_with_its_own_image() -> None:
    contents = [png(1), png(2), png(3)]
    images = [Image.from_bytes(c, name="cat.png") for c in contents]
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        result = await client.models.training_images.add_many("m", images, concurrency=3)
    assert [o.status for o in result] == ["sent", "sent", "sent"]
    assert len({o.training_image.id for o in result if o.training_image}) == 3
    assert_exactly_once(fake, "m", contents)
    assert_honest(fake, "m", result)


async def test_same_content_under_two_names_is_stored_twice_by_default() -> None:
    images = [Image.from_bytes(png(7), name="a.png"), Image.from_bytes(png(7), name="b.png")]
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        result = await client.models.training_images.add_many("m", images)
    assert [o.status for o in result] == ["sent", "sent"]
    assert fake.stored_contents("m")[sha(png(7))] == 2
    assert_honest(fake, "m", result)


async def test_dedupe_content_stores_it_once_and_reports_the_second_as_a_duplicate() -> None:
    images = [Image.from_bytes(png(7), name="a.png"), Image.from_bytes(png(7), name="b.png")]
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        result = await client.models.training_images.add_many("m", images, dedupe="content")
    assert [o.status for o in result] == ["sent", "duplicate"]
    assert result[1].duplicate_of == 0 and result[1].training_image is None
    assert result[1].ok
    assert len(adds(fake)) == 1
    assert result.counts()["duplicate"] == 1


async def test_an_input_repeated_exactly_is_one_item() -> None:
    image = Image.from_bytes(png(3), name="x.png")
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        result = await client.models.training_images.add_many("m", [image, image, image])
    assert [o.status for o in result] == ["sent", "duplicate", "duplicate"]
    assert len(adds(fake)) == 1


async def test_a_duplicate_of_an_input_that_failed_fails_with_it() -> None:
    plan = FaultPlan(error_500=1.0, methods=frozenset({"POST"}))
    image = Image.from_bytes(png(3), name="x.png")
    async with (
        FakeScenario(models=MODELS, faults=plan) as fake,
        fake.client(max_retries=0) as client,
    ):
        result = await client.models.training_images.add_many("m", [image, image])
    assert [o.ok for o in result] == [False, False]
    assert isinstance(result[1].error, InternalServerError) and result[1].duplicate_of == 0


async def test_nameless_data_urls_are_named_by_content_so_two_batches_never_collide() -> None:
    def url(i: int) -> str:
        return "data:image/png;base64," + base64.b64encode(png(i)).decode()

    plan = FaultPlan.mixed(0.3, seed=5, retry_after=0.01, slow_seconds=0.4)
    async with (
        FakeScenario(models=MODELS, faults=plan) as fake,
        fake.client(timeout=0.2, max_retries=6) as c,
    ):
        first = await c.models.training_images.add_many("m", [url(i) for i in range(10)])
        second = await c.models.training_images.add_many("m", [url(i) for i in range(10, 20)])
        await asyncio.sleep(0.5)
    names = [o.name for o in [*first, *second]]
    assert names == [f"image-{sha(png(i))[:12]}.png" for i in range(20)]
    for result in (first, second):
        assert_honest(fake, "m", result)
    landed = [png(i) for i, o in enumerate([*first, *second]) if o.ok]
    assert len(landed) >= 18
    assert_exactly_once(fake, "m", landed)


async def test_an_older_namesake_on_the_model_is_never_taken_for_a_lost_add() -> None:
    # The first attempt fails before storing; the model holds an older cat.png. Sending again
    # is right; taking the old image for this one would lose it.
    plan = FaultPlan(error_500=1.0, methods=frozenset({"POST"}), max_faults=1)
    async with FakeScenario(models=MODELS, faults=plan) as fake, fake.client() as client:
        old = fake.add_training_image("m", name="cat.png", content=png(1))
        result = await client.models.training_images.add_many(
            "m", [Image.from_bytes(png(2), name="cat.png")]
        )
    assert result[0].status == "sent" and result[0].training_image is not None
    assert result[0].training_image.id != old.id
    assert_exactly_once(fake, "m", [png(1), png(2)])
    assert [r.method for r in fake.requests] == ["GET", "POST", "GET", "POST"]


async def test_names_are_compared_as_the_service_stores_them(no_backoff: None) -> None:
    # The service tidies " café.png" (decomposed é, a leading space) to "café.png"; the lost
    # answer is found under the tidied name, not sent again.
    given = " cafe\u0301.png"
    plan = FaultPlan(drop_after_store=1.0, methods=frozenset({"POST"}), max_faults=1)
    async with (
        FakeScenario(models=MODELS, faults=plan, tidy_names=True) as fake,
        fake.client() as client,
    ):
        result = await client.models.training_images.add_many(
            "m", [Image.from_bytes(png(4), name=given)]
        )
    assert result[0].status == "sent" and result[0].name == stored_name(given) == "café.png"
    assert_exactly_once(fake, "m", [png(4)])
    assert len(adds(fake)) == 1


async def test_an_answer_naming_an_image_the_model_already_held_is_not_believed() -> None:
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        old = fake.add_training_image("m", name="new.png", content=png(1))
        transport = client._shared.transport
        real = transport.send

        async def lying(method: str, url: str, *args: Any) -> Any:
            answer = await real(method, url, *args)
            if method == "POST":  # stored, but answered with the older image's id
                body = json.loads(answer.body)
                body["trainingImage"]["id"] = old.id
                return answer._replace(body=json.dumps(body).encode())
            return answer

        transport.send = lying  # type: ignore[method-assign,assignment]
        result = await client.models.training_images.add_many(
            "m", [Image.from_bytes(png(2), name="new.png")]
        )
    assert result[0].status == "sent" and result[0].training_image is not None
    assert result[0].training_image.id != old.id
    assert_honest(fake, "m", result)
    assert_exactly_once(fake, "m", [png(1), png(2)])
    assert [r.method for r in fake.requests] == ["GET", "POST", "GET"]


# One add on its own -----------------------------------------------------------------------


async def test_a_single_add_never_takes_an_older_namesake_for_its_own(no_backoff: None) -> None:
    plan = FaultPlan(error_500=1.0, methods=frozenset({"POST"}), max_faults=1)
    async with FakeScenario(models=MODELS, faults=plan) as fake, fake.client() as client:
        old = fake.add_training_image("m", name="cat.png", content=png(1))
        old.created_at = "2020-01-01T00:00:00.000Z"
        answer = await client.models.training_images.add(
            "m", data=Image.from_bytes(png(2), name="cat.png").data_url(), name="cat.png"
        )
    assert answer.training_image.id != old.id
    assert_exactly_once(fake, "m", [png(1), png(2)])
    assert [r.method for r in fake.requests] == ["POST", "GET", "POST"]


async def test_a_single_add_never_takes_the_clients_own_earlier_add_for_its_own(
    no_backoff: None,
) -> None:
    # Two adds of cat.png a moment apart: the second's lost answer must not be settled by
    # the first's image, which is recent but claimed.
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        add = client.models.training_images.add
        first = await add("m", data=Image.from_bytes(png(1), name="c").data_url(), name="cat.png")
        fake.faults = FaultPlan(error_500=1.0, methods=frozenset({"POST"}), max_faults=1)
        second = await add("m", data=Image.from_bytes(png(2), name="c").data_url(), name="cat.png")
    assert first.training_image.id != second.training_image.id
    assert_exactly_once(fake, "m", [png(1), png(2)])


async def test_a_single_add_with_two_fresh_namesakes_raises_unknown_outcome(
    no_backoff: None,
) -> None:
    plan = FaultPlan(drop_after_store=1.0, methods=frozenset({"POST"}), max_faults=1)
    async with FakeScenario(models=MODELS, faults=plan) as fake, fake.client() as client:
        fake.add_training_image("m", name="cat.png", content=png(1))  # another writer, just now
        with pytest.raises(UnknownOutcomeError) as caught:
            await client.models.training_images.add(
                "m", data=Image.from_bytes(png(2), name="c").data_url(), name="cat.png"
            )
    assert len(caught.value.candidates) == 2
    assert len(adds(fake)) == 1  # not sent again: it may well be stored


# Callbacks and systemic failures ----------------------------------------------------------


async def test_a_failing_progress_callback_changes_no_outcome() -> None:
    def on_progress(event: ProgressEvent) -> None:
        if event.kind == "item_done":
            raise ValueError("the progress bar broke")

    images = [Image.from_bytes(png(i), name=f"{i}.png") for i in range(5)]
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        with pytest.raises(ProgressCallbackError) as caught:
            await client.models.training_images.add_many("m", images, on_progress=on_progress)
    assert isinstance(caught.value.__cause__, ValueError)
    assert [o.status for o in caught.value.result] == ["sent"] * 5
    assert len(adds(fake)) == 5


async def test_wrong_credentials_stop_the_run_with_one_error() -> None:
    images = [Image.from_bytes(png(i), name=f"{i}.png") for i in range(60)]
    async with FakeScenario(models=MODELS) as fake, fake.client(api_secret="wrong") as client:
        with pytest.raises(Exception, match="Invalid API key") as caught:
            await client.models.training_images.add_many("m", images, concurrency=4)
    assert len(fake.requests) == 1  # the model's read at the start: nothing was sent
    assert type(caught.value).__name__ == "AuthenticationError"


async def test_credentials_refused_mid_run_stop_it_and_mark_the_rest_not_attempted(
    tmp_path: Path,
) -> None:
    images = [Image.from_bytes(png(i), name=f"{i}.png") for i in range(60)]
    journal = tmp_path / "j.jsonl"
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        valid = fake.expected_authorization

        def revoke(event: ProgressEvent) -> None:
            if event.kind == "item_done" and event.index == 5:
                fake.expected_authorization = "Basic bm8="  # the key was revoked

        with pytest.raises(BulkAbortedError) as caught:
            await client.models.training_images.add_many(
                "m", images, concurrency=4, on_progress=revoke, journal=journal
            )
        result = caught.value.result
        assert type(caught.value.reason).__name__ == "AuthenticationError"
        counts = result.counts()
        assert counts["not_attempted"] >= 40
        assert len(adds(fake)) <= counts["sent"] + counts["failed"] <= 6 + 4 + 4
        # Mended, a resume sends what was not attempted and nothing that landed.
        fake.expected_authorization = valid
        async with fake.client() as mended:
            rest = await mended.models.training_images.add_many("m", images, journal=journal)
    assert not rest.failed
    assert_exactly_once(fake, "m", [png(i) for i in range(60)])


async def test_an_unreachable_api_stops_the_run_after_a_bounded_number_of_requests() -> None:
    images = [Image.from_bytes(png(i), name=f"{i}.png") for i in range(60)]
    async with FakeScenario(models=MODELS) as fake:
        url = fake.base_url
    async with AsyncScenario(api_key="k", api_secret="s", base_url=url, max_retries=0) as c:
        with pytest.raises(Exception, match="connect") as caught:
            await c.models.training_images.add_many("m", images, concurrency=4)
    assert type(caught.value).__name__ == "APIConnectionError"


# The journal ------------------------------------------------------------------------------


def journal_ops(path: Path) -> list[str]:
    return [json.loads(line).get("op", "") for line in path.read_text().splitlines() if line]


async def test_every_send_is_journaled_before_it_leaves(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    seen_at_send: list[list[str]] = []
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        transport = client._shared.transport
        real = transport.send

        async def spy(method: str, *args: Any) -> Any:
            seen_at_send.append(journal_ops(journal))
            return await real(method, *args)

        transport.send = spy  # type: ignore[method-assign,assignment]
        images = [Image.from_bytes(png(i), name=f"{i}.png") for i in range(3)]
        await client.models.training_images.add_many("m", images, concurrency=1, journal=journal)
    # Each POST found its own "send" line already written.
    posts = [ops for ops in seen_at_send[1:] if ops.count("send")]
    assert [ops.count("send") for ops in posts[:3]] == [1, 2, 3]
    assert journal_ops(journal) == ["run"] + ["send", "landed"] * 3


async def test_a_second_run_on_the_same_journal_is_refused(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    held = Journal.open(journal, "m")
    try:
        async with FakeScenario(models=MODELS) as fake, fake.client() as client:
            with pytest.raises(JournalBusyError, match="in use"):
                await client.models.training_images.add_many(
                    "m", [Image.from_bytes(png(1), name="a.png")], journal=journal
                )
            assert fake.requests == []
    finally:
        held.close()


async def test_a_torn_last_line_never_swallows_the_next_record(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    journal.write_text('{"v": 2, "model": "m", "op": "landed", "content": "ab')  # torn
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        await client.models.training_images.add_many(
            "m", [Image.from_bytes(png(1), name="a.png")], journal=journal
        )
        again = await client.models.training_images.add_many(
            "m", [Image.from_bytes(png(1), name="a.png")], journal=journal
        )
    assert again[0].status == "already_there"
    assert len(adds(fake)) == 1


async def test_a_journal_holding_only_another_models_entries_still_settles(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "j.jsonl"
    journal.write_text(json.dumps({"v": 2, "model": "other", "op": "run", "run": 1, "held": []}))
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        result = await client.models.training_images.add_many(
            "m", [Image.from_bytes(png(1), name="a.png")], journal=journal
        )
    assert result[0].status == "sent"
    assert fake.requests[0].method == "GET"  # the model's snapshot, whatever the journal held


async def test_a_send_left_unconfirmed_is_settled_on_the_model_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    # A run was killed after announcing a.png and b.png: a.png landed, b.png did not.
    journal = tmp_path / "j.jsonl"
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        older = fake.add_training_image("m", name="a.png", content=png(0))  # held at the start
        landed = fake.add_training_image("m", name="a.png", content=png(1))
        lines = [
            {"op": "run", "run": 1, "held": [older.id]},
            {"op": "send", "run": 1, "content": sha(png(1)), "name": "a.png"},
            {"op": "send", "run": 1, "content": sha(png(2)), "name": "b.png"},
        ]
        journal.write_text("".join(json.dumps({"v": 2, "model": "m", **x}) + "\n" for x in lines))
        images = [Image.from_bytes(png(1), name="a.png"), Image.from_bytes(png(2), name="b.png")]
        result = await client.models.training_images.add_many("m", images, journal=journal)
    assert [o.status for o in result] == ["already_there", "sent"]
    assert result[0].training_image is not None and result[0].training_image.id == landed.id
    assert [r.json["name"] for r in adds(fake)] == ["b.png"]
    assert_exactly_once(fake, "m", [png(0), png(1), png(2)])


async def test_first_format_journal_lines_are_still_skipped(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    image = Image.from_bytes(png(1), name="a.png")
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        answer = await client.models.training_images.add("m", data=image.data_url(), name="a.png")
        line = {
            "model": "m",
            "key": "sha256:" + sha(image.data_url().encode()),
            "stage": "landed",
            "name": "a.png",
            "trainingImageId": answer.training_image.id,
        }
        journal.write_text(json.dumps(line) + "\n")
        # The first format keyed content by its data URL's hash: still recognised, and
        # recorded again in the current format.
        result = await client.models.training_images.add_many(
            "m", [image, Image.from_bytes(png(2), name="b.png")], journal=journal
        )
    assert [o.status for o in result] == ["already_there", "sent"]
    assert result[0].training_image is not None
    assert result[0].training_image.id == answer.training_image.id
    assert len(adds(fake)) == 2  # the single add, then b.png only
    assert fake.stored_contents("m")[sha(png(1))] == 1
    assert "landed" in journal_ops(journal)


# Seeded hostile runs ----------------------------------------------------------------------


async def hostile_run(seed: int, count: int, names: int, namesakes: int) -> None:
    """Distinct contents under few shared names, older namesakes on the model, names the
    service tidies, a quarter of every write faulted: each content once, every success
    pointing at its own content."""
    rng = random.Random(seed)
    contents = [png(1000 + i) for i in range(count)]
    spellings = ["{}.png", " {}.png", "{}.png "]
    images = [
        Image.from_bytes(c, name=rng.choice(spellings).format(f"n{rng.randrange(names)}"))
        for c in contents
    ]
    plan = FaultPlan.mixed(0.25, seed=seed, retry_after=0.01, slow_seconds=0.5)
    async with FakeScenario(models=MODELS, tidy_names=True) as fake:
        olds = [png(i) for i in range(namesakes)]
        for i, old in enumerate(olds):
            fake.add_training_image("m", name=f"n{i % names}.png", content=old)
        fake.faults = plan
        async with fake.client(max_retries=6, timeout=0.25) as client:
            result = await client.models.training_images.add_many("m", images, concurrency=16)
        await asyncio.sleep(0.6)
    assert len(result) == count
    assert sum(fake.faults_injected.values()) > count * 0.15
    assert_honest(fake, "m", result)
    stored = fake.stored_contents("m")
    assert all(n == 1 for n in stored.values()), "a content stored twice"
    for old in olds:
        assert stored[sha(old)] == 1  # older images untouched
    for content, outcome in zip(contents, result, strict=True):
        if outcome.ok:
            assert stored[sha(content)] == 1
        else:
            # Reported failed: either surely absent, or honestly unknown.
            assert stored[sha(content)] == 0 or isinstance(outcome.error, UnknownOutcomeError)
    assert len(result.succeeded) >= 0.9 * count


@pytest.mark.parametrize("seed", [3, 4])
async def test_shared_names_and_older_namesakes_under_faults(seed: int) -> None:
    await hostile_run(seed, count=80, names=12, namesakes=6)


@pytest.mark.slow
async def test_chaos_300_images_40_names_25_older_namesakes() -> None:
    await hostile_run(2026, count=300, names=40, namesakes=25)


def test_stored_name_is_nfc_and_trimmed() -> None:
    assert stored_name("  cafe\u0301.png\t") == "café.png"
    assert Counter(map(stored_name, ["a.png", " a.png", "a.png "])) == {"a.png": 3}
