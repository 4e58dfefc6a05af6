"""``with_raw_response``: every call's HTTP answer (status, headers, request id) with the
result the plain call returns, async and sync, named and shaped as in the published client."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
import pytest_asyncio
from aioresponses import aioresponses
from yarl import URL

from scenario_async import (
    APIResponse,
    AsyncAPIResponse,
    AsyncScenario,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    Scenario,
    _wire,
)
from scenario_async._raw import REQUEST_ID_HEADERS, RawResource, first_page, raw
from scenario_async._transport import Answer
from scenario_async._wire import Body
from scenario_async.resources import AsyncModelsWithRawResponse, AsyncTrainingImagesWithRawResponse
from scenario_async.sync import ModelsWithRawResponse, ScenarioWithRawResponse
from scenario_async.testing import FakeScenario, FaultPlan
from scenario_async.types import (
    JobListPage,
    ModelListPage,
    ModelRetrieveResponse,
    ModelStatus,
    TrainingImageAddResponse,
    TrainResponse,
)
from scenario_async.types.train import CostEstimate

from .conftest import BASE, PNG_DATA_URL

if TYPE_CHECKING:
    from typing_extensions import assert_type
else:

    def assert_type(value: Any, _: Any) -> Any:
        return value


#: The raw twins of every resource: every call that sends one request. Not ``add_many``
#: (many requests), ``train.wait``/``trigger_and_wait`` (they poll), ``list_pages`` (the raw
#: ``list`` is already a page with its token).
RAW_CALLS = {
    "models": {
        "create",
        "list",
        "retrieve",
        "update",
        "delete",
        "delete_images",
        "restore",
        "copy",
        "download",
    },
    "models.training_images": {"add", "replace", "replace_pairs", "delete"},
    "models.train": {"trigger", "action"},
    "models.scores": {"retrieve_training_dataset"},
    "jobs": {"list", "retrieve", "trigger_action"},
    "assets": {"upload", "retrieve"},
    "uploads": {"create", "retrieve", "trigger_action"},
}
NOT_RAW = {"add_many", "wait", "trigger_and_wait", "list_pages"}


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_wire, "retry_delay", lambda attempt, headers=None, now=None: 0.0)


@pytest.fixture
def mock() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


@pytest_asyncio.fixture
async def retrying_client(credentials: None) -> AsyncIterator[AsyncScenario]:
    async with AsyncScenario(max_retries=2) as client:
        yield client


MODEL = {"model": {"id": "m", "name": "Cats", "status": "trained"}}


async def parsed(response: AsyncAPIResponse[Any]) -> Any:
    """``await response.parse()``, for calls typed to return None (mypy refuses their value)."""
    return await response.parse()


# Against the fake API ---------------------------------------------------------------------


async def test_a_raw_retrieve_gives_the_answer_and_the_plain_calls_result(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    response = await client.models.with_raw_response.retrieve("m")
    assert_type(response, AsyncAPIResponse[ModelRetrieveResponse])
    assert isinstance(response, AsyncAPIResponse)
    assert response.status_code == 200
    assert response.method == "GET"
    assert response.url == URL(f"{fake.base_url}/models/m")
    assert response.retries_taken == 0
    assert response.headers["content-type"].startswith("application/json")  # any case
    assert response.headers["Content-Type"] == response.headers["CONTENT-TYPE"]
    assert response.request_id is None  # the fake sends none
    parsed = await response.parse()
    assert_type(parsed, ModelRetrieveResponse)
    assert parsed == await client.models.retrieve("m")
    assert (await response.json())["model"]["id"] == "m"
    assert (await response.read()).startswith(b"{")
    assert (await response.text()).startswith('{"model"')
    assert repr(response) == f"<AsyncAPIResponse [200 OK] GET {fake.base_url}/models/m>"
    assert [(r.method, r.path) for r in fake.requests] == [("GET", "/v1/models/m")] * 2


async def test_the_client_level_view_is_the_resources_view(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    view = client.with_raw_response
    assert view.models is client.models.with_raw_response
    assert view.models.training_images is client.models.training_images.with_raw_response
    assert view.models.train is client.models.train.with_raw_response
    assert view.models.scores is client.models.scores.with_raw_response
    assert view.jobs is client.jobs.with_raw_response
    assert view.assets is client.assets.with_raw_response
    assert view.uploads is client.uploads.with_raw_response
    assert isinstance(view.models, AsyncModelsWithRawResponse)
    assert isinstance(view.models.training_images, AsyncTrainingImagesWithRawResponse)
    response = await client.with_raw_response.models.training_images.add(
        "m", data=PNG_DATA_URL, name="a.png"
    )
    assert_type(response, AsyncAPIResponse[TrainingImageAddResponse])
    (stored,) = fake.training_images("m")
    assert (await response.parse()).training_image.id == stored.id
    assert (response.method, response.status_code) == ("POST", 200)


async def test_errors_are_raised_as_by_the_plain_call_never_answered(
    fake: FakeScenario, client: AsyncScenario
) -> None:
    with pytest.raises(NotFoundError) as raw_error:
        await client.models.with_raw_response.retrieve("nope")
    with pytest.raises(NotFoundError) as plain_error:
        await client.models.retrieve("nope")
    assert str(raw_error.value) == str(plain_error.value)
    with pytest.raises(BadRequestError):  # no images to train on
        await client.models.train.with_raw_response.trigger("m")
    with pytest.raises(ValueError, match="page_size"):  # checked before anything is sent
        await client.models.with_raw_response.list(page_size=0)
    with pytest.raises(TypeError):
        await client.models.with_raw_response.retrieve("m", nonsense=1)  # type: ignore[call-arg]
    assert [r.path for r in fake.requests] == [
        "/v1/models/nope",
        "/v1/models/nope",
        "/v1/models/m/train",
    ]


async def test_a_raw_list_is_one_request_for_one_page() -> None:
    seeded = [f"m{i}" for i in range(5)]
    async with FakeScenario(models=seeded) as fake, fake.client() as client:
        first = await client.models.with_raw_response.list(page_size=2)
        assert_type(first, AsyncAPIResponse[ModelListPage])
        page = await first.parse()
        assert len(page.models) == 2 and page.next_pagination_token
        assert first.url.query["pageSize"] == "2"
        following = await client.models.with_raw_response.list(
            page_size=2, pagination_token=page.next_pagination_token
        )
        second = await following.parse()
        assert len(second.models) == 2
        assert {m.id for m in page.models}.isdisjoint(m.id for m in second.models)
        assert len(fake.requests) == 2  # a page each, never the whole list
        plain = [p async for p in client.models.list_pages(page_size=2)]
        assert plain[0] == page and plain[1] == second
        fake.add_job()
        jobs = await client.jobs.with_raw_response.list()
        assert_type(jobs, AsyncAPIResponse[JobListPage])
        assert len((await jobs.parse()).jobs) == 1


async def test_every_raw_call_answers_as_its_plain_twin() -> None:
    async with FakeScenario(queue_duration=5.0) as fake, fake.client() as client:
        raw_models = client.models.with_raw_response
        created = await raw_models.create(name="Cats", type="flux.1-lora")
        model_id = (await created.parse()).model.id
        assert (created.method, created.status_code) == ("POST", 200)
        await raw_models.update(model_id, name="Cats in hats")
        assert (await client.models.retrieve(model_id)).model.name == "Cats in hats"

        images = client.models.training_images.with_raw_response
        a = await (await images.add(model_id, data=PNG_DATA_URL, name="a.png")).parse()
        b = await (await images.add(model_id, data=PNG_DATA_URL, name="b.png")).parse()
        replaced = await images.replace(
            b.training_image.id, model_id=model_id, data=PNG_DATA_URL, name="c.png"
        )
        assert (await replaced.parse()).training_image.name == "c.png"
        pairs = await images.replace_pairs(
            model_id,
            body=[{"source_id": a.training_image.id, "target_id": b.training_image.id}],
        )
        assert (await pairs.parse()).count == 1
        score = await client.models.scores.with_raw_response.retrieve_training_dataset(model_id)
        assert (await score.parse()).model_id == model_id

        estimate = await client.models.train.with_raw_response.trigger(model_id, dry_run=True)
        assert estimate.status_code == 269  # the service's answer to a dry run
        assert (await estimate.parse()).creative_units_cost is not None
        started = await client.models.train.with_raw_response.trigger(model_id)
        assert_type(started, AsyncAPIResponse[TrainResponse])
        run = await started.parse()
        assert run.job is not None
        job = await client.jobs.with_raw_response.retrieve(run.job.job_id)
        assert (await job.parse()).job.job_id == run.job.job_id
        cancelled = await client.models.train.with_raw_response.action(model_id)
        assert (await cancelled.parse()).model.status is ModelStatus.TRAINING_CANCELED
        deleted = await images.delete(a.training_image.id, model_id=model_id)
        assert deleted.method == "DELETE" and deleted.status_code < 300
        assert await deleted.parse() == await deleted.json()  # any JSON, as the plain call

        trained = fake.add_model(trained=True)
        cost = await raw_models.download(trained.id, dry_run=True)
        assert_type(cost, AsyncAPIResponse[CostEstimate])
        assert isinstance(await cost.parse(), CostEstimate)
        download = await raw_models.download(trained.id)
        assert (await download.parse()).job_id
        held = (await client.models.retrieve(trained.id)).model.training_images or []
        emptied = await raw_models.delete_images(trained.id, ids=[i.id for i in held])
        assert await parsed(emptied) is None and emptied.method == "DELETE"
        copied = await raw_models.copy(model_id)
        assert (await copied.parse()).model.id != model_id
        gone = await raw_models.delete(model_id)
        assert await parsed(gone) is None and gone.status_code < 300
        restored = await raw_models.restore(model_id)
        assert (await restored.parse()).model.id == model_id

        asset = await client.assets.with_raw_response.upload(image=PNG_DATA_URL, name="x.png")
        asset_id = (await asset.parse()).asset.id
        read = await client.assets.with_raw_response.retrieve(asset_id)
        assert (await read.parse()).asset.id == asset_id
        inference = fake.add_job()
        stopped = await client.jobs.with_raw_response.trigger_action(
            inference.job_id, action="cancel"
        )
        assert (await stopped.parse()).job.status == "canceled"
        uploads = client.uploads.with_raw_response
        upload = await uploads.create(
            kind="image", file_name="a.png", content_type="image/png", file_size=10, parts=1
        )
        upload_id = (await upload.parse()).upload.id
        assert (await (await uploads.retrieve(upload_id)).parse()).upload.id == upload_id
        with pytest.raises(BadRequestError):  # no part was sent: refused, as the plain call
            await uploads.trigger_action(upload_id, action="complete")


async def test_a_write_settled_after_a_lost_answer_shows_what_settled_it(
    no_backoff: None,
) -> None:
    # The add's answer is lost (502 after it stored the image): the SDK finds the image on the
    # model, and that read is the answer shown; parse() is the add's result all the same.
    plan = FaultPlan(error_502_after_store=1.0, methods=frozenset({"POST"}), max_faults=1)
    async with FakeScenario(faults=plan, models=["m"]) as fake, fake.client() as client:
        response = await client.models.training_images.with_raw_response.add(
            "m", data=PNG_DATA_URL, name="a.png"
        )
        (stored,) = fake.training_images("m")
        assert (await response.parse()).training_image.id == stored.id
        assert (response.method, response.url.path, response.status_code) == (
            "GET",
            "/v1/models/m",
            200,
        )
        assert [(r.method, r.path) for r in fake.requests] == [
            ("POST", "/v1/models/m/training-images"),
            ("GET", "/v1/models/m"),
        ]


async def test_a_delete_whose_retry_met_404_shows_the_404_that_settled_it(
    no_backoff: None,
) -> None:
    plan = FaultPlan(error_502_after_store=1.0, methods=frozenset({"DELETE"}), max_faults=1)
    async with FakeScenario(faults=plan) as fake, fake.client() as client:
        image = fake.add_training_image("m")
        response = await client.models.training_images.with_raw_response.delete(
            image.id, model_id="m"
        )
        assert await response.parse() is None  # as the plain call answers
        assert (response.status_code, response.method, response.retries_taken) == (
            404,
            "DELETE",
            1,
        )
        assert fake.training_images("m") == []


async def test_raw_calls_at_once_each_get_their_own_answer_and_plain_calls_none(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    for model_id in ("a", "b", "c"):
        mock.get(
            f"{BASE}/models/{model_id}",
            payload={"model": {"id": model_id}},
            headers={"X-Request-Id": f"req-{model_id}"},
            repeat=True,
        )
    raw_models = mocked_client.models.with_raw_response
    answers = await asyncio.gather(
        raw_models.retrieve("a"),
        mocked_client.models.retrieve("b"),
        raw_models.retrieve("c"),
        raw_models.retrieve("b"),
    )
    raw_a, plain_b, raw_c, raw_b = answers
    assert [r.request_id for r in (raw_a, raw_c, raw_b)] == ["req-a", "req-c", "req-b"]
    assert [(await r.parse()).model.id for r in (raw_a, raw_c, raw_b)] == ["a", "c", "b"]
    assert plain_b == await raw_b.parse()
    assert mocked_client._recorder is None  # the client a user holds never records


# Exact headers (aioresponses) -------------------------------------------------------------


async def test_the_request_id_and_rate_limit_headers_are_read_from_the_answer(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    mock.get(
        f"{BASE}/models/m?projectId=p1",
        payload=MODEL,
        headers={"x-request-id": "req-123", "X-RateLimit-Remaining": "41"},
    )
    response = await mocked_client.models.with_raw_response.retrieve(
        "m", project_id="p1", extra_headers={"X-Trace": "t"}
    )
    assert response.request_id == "req-123"
    assert response.headers["x-ratelimit-remaining"] == "41"
    assert response.url == URL(f"{BASE}/models/m?projectId=p1")
    assert (await response.parse()).model.name == "Cats"


async def test_the_gateways_request_id_is_read_when_there_is_no_x_request_id(
    mock: aioresponses, mocked_client: AsyncScenario
) -> None:
    assert REQUEST_ID_HEADERS == ("x-request-id", "x-amzn-requestid")
    mock.get(f"{BASE}/models/m", payload=MODEL, headers={"x-amzn-RequestId": "aws-1"})
    assert (await mocked_client.models.with_raw_response.retrieve("m")).request_id == "aws-1"


async def test_after_retries_the_answer_is_the_one_finally_accepted(
    mock: aioresponses, retrying_client: AsyncScenario, no_backoff: None
) -> None:
    url = f"{BASE}/models/m"
    mock.get(url, status=503, headers={"X-Request-Id": "req-1"}, body="busy")
    mock.get(url, status=200, payload=MODEL, headers={"X-Request-Id": "req-2"})
    response = await retrying_client.models.with_raw_response.retrieve("m")
    assert (response.request_id, response.retries_taken, response.status_code) == ("req-2", 1, 200)


async def test_with_options_applies_to_raw_calls(
    mock: aioresponses, retrying_client: AsyncScenario, no_backoff: None
) -> None:
    mock.get(f"{BASE}/models/m", status=503, body="busy")
    with pytest.raises(InternalServerError):  # no retry left: raised as by the plain call
        await retrying_client.with_options(max_retries=0).models.with_raw_response.retrieve("m")


class OneAnswer:
    """A transport of our own, answering headers in a plain dict (not aiohttp's)."""

    def __init__(self, headers: Mapping[str, str], body: bytes) -> None:
        self.headers, self.body = headers, body

    async def send(
        self,
        method: str,
        url: str,
        body: Body | None,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> Answer:
        return Answer(200, self.headers, self.body)

    async def close(self) -> None:
        pass


async def test_headers_of_any_transport_are_case_insensitive() -> None:
    transport = OneAnswer(
        {"X-Request-Id": "t-1", "Content-Type": "application/json; charset=utf-8"},
        '{"model": {"id": "m", "name": "café"}}'.encode(),
    )
    async with AsyncScenario(api_key="k", api_secret="s", transport=transport) as client:
        response = await client.models.with_raw_response.retrieve("m")
        assert response.headers["x-request-id"] == "t-1" == response.request_id
        assert "café" in await response.text()
        assert (await response.parse()).model.name == "café"


# The sync twin ----------------------------------------------------------------------------


def test_the_sync_client_answers_a_raw_response_whose_parse_is_not_awaited(
    fake_scenario: FakeScenario,
) -> None:
    with fake_scenario.sync_client() as client:
        response = client.models.with_raw_response.retrieve("m")  # seeded by conftest
        assert_type(response, APIResponse[ModelRetrieveResponse])
        assert isinstance(response, APIResponse)
        assert response.status_code == 200 and response.method == "GET"
        assert response.headers["content-type"].startswith("application/json")
        parsed = response.parse()
        assert_type(parsed, ModelRetrieveResponse)
        assert parsed == client.models.retrieve("m")
        assert response.json()["model"]["id"] == "m" and response.read().startswith(b"{")
        assert response.text().startswith('{"model"')
        assert repr(response).startswith("<APIResponse [200 OK] GET ")
        page = client.with_raw_response.models.list()
        assert_type(page, APIResponse[ModelListPage])
        assert "m" in {m.id for m in page.parse().models}
        added = client.models.training_images.with_raw_response.add(
            "m", data=PNG_DATA_URL, name="a.png"
        )
        assert_type(added, APIResponse[TrainingImageAddResponse])
        assert added.parse().training_image.name == "a.png"
        with pytest.raises(NotFoundError):
            client.with_raw_response.models.retrieve("nope")
        assert isinstance(client.with_raw_response, ScenarioWithRawResponse)
        assert isinstance(client.with_raw_response.models, ModelsWithRawResponse)
        assert client.with_raw_response.models is client.with_raw_response.models  # made once


# Every call has its raw twin, of the same parameters, async and sync ----------------------


def calls_of(resource: object) -> dict[str, inspect.Signature]:
    """The calls of a resource, as test_sync.py counts them: coroutines and paginated lists."""
    found = {}
    for name in dir(resource):
        value = getattr(resource, name)
        if name.startswith("_") or not callable(value):
            continue
        signature = inspect.signature(value)
        if inspect.iscoroutinefunction(value) or "AsyncIterator" in str(
            signature.return_annotation
        ):
            found[name] = signature
    return found


def public_callables(view: object) -> dict[str, Any]:
    return {
        name: getattr(view, name)
        for name in dir(view)
        if not name.startswith("_") and callable(getattr(view, name))
    }


def resources(root: object, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, resource) of every resource below ``root``, depth first (each made
    by looking it up: a client makes its resources on first use)."""
    for name in [name for name in dir(root) if not name.startswith("_")]:
        value = getattr(root, name)
        if hasattr(value, "_client"):
            path = f"{prefix}{name}"
            yield path, value
            yield from resources(value, f"{path}.")


def test_every_call_that_sends_one_request_has_a_raw_twin_of_the_same_parameters() -> None:
    client = AsyncScenario(api_key="k", api_secret="s")
    seen = {}
    for path, resource in resources(client):
        plain = calls_of(resource)
        view = resource.with_raw_response
        twins = public_callables(view)
        assert set(twins) == set(plain) - NOT_RAW, path
        seen[path] = set(twins)
        for name, twin in twins.items():
            assert inspect.iscoroutinefunction(twin), (path, name)
            signature = inspect.signature(twin)
            assert signature.parameters == plain[name].parameters, (path, name)
            assert str(signature.return_annotation).startswith("AsyncAPIResponse["), name
            assert twin.__name__ == name and twin.__doc__ == getattr(resource, name).__doc__
        for name in [name for name in dir(resource) if not name.startswith("_")]:
            below = getattr(resource, name)  # nested views follow nested resources
            if hasattr(below, "_client"):
                assert getattr(view, name) is below.with_raw_response
    assert seen == RAW_CALLS


def test_the_sync_raw_views_keep_in_step_with_the_async_ones() -> None:
    client = Scenario(api_key="k", api_secret="s")
    twin = client.async_client
    for path in RAW_CALLS:
        sync_view: Any = client.with_raw_response
        async_view: Any = twin.with_raw_response
        for name in path.split("."):
            sync_view, async_view = getattr(sync_view, name), getattr(async_view, name)
        plain: Any = client
        for name in path.split("."):
            plain = getattr(plain, name)
        assert type(plain.with_raw_response) is type(sync_view), path
        sync_calls, async_calls = public_callables(sync_view), public_callables(async_view)
        assert set(sync_calls) == set(async_calls) == RAW_CALLS[path], path
        for name, call in sync_calls.items():
            assert not inspect.iscoroutinefunction(call), (path, name)
            ours, theirs = inspect.signature(call), inspect.signature(async_calls[name])
            assert ours.parameters == theirs.parameters, (path, name)
            assert f"Async{ours.return_annotation}" == theirs.return_annotation, (path, name)
            assert call.__doc__ == async_calls[name].__doc__
    client.close()


def test_the_raw_signatures_show_the_answer_type() -> None:
    client = AsyncScenario(api_key="k", api_secret="s")
    retrieve = inspect.signature(client.models.with_raw_response.retrieve)
    assert retrieve.return_annotation == "AsyncAPIResponse[ModelRetrieveResponse]"
    listing = inspect.signature(client.models.with_raw_response.list)
    assert listing.return_annotation == "AsyncAPIResponse[ModelListPage]"
    assert listing.parameters == inspect.signature(client.models.list).parameters
    assert client.models.with_raw_response.list.__doc__ == client.models.list.__doc__
    sync = Scenario(api_key="k", api_secret="s")
    assert (
        inspect.signature(sync.models.with_raw_response.retrieve).return_annotation
        == "APIResponse[ModelRetrieveResponse]"
    )
    sync.close()


async def test_the_generic_wrappers_work_for_any_resource_like_class() -> None:
    # raw() and first_page() need no more of a resource than ``_client`` and its calls.
    class Numbers:
        def __init__(self, client: AsyncScenario) -> None:
            self._client = client

        async def one(self, model_id: str) -> ModelRetrieveResponse:
            """Read one."""
            answer: ModelRetrieveResponse = await self._client.models.retrieve(model_id)
            return answer

        def listing(self) -> AsyncIterator[int]:
            return self.listing_pages()

        async def listing_pages(self) -> AsyncIterator[int]:
            yield (await self._client.models.retrieve("m")).model.id.count("m")
            raise AssertionError("only the first page is read")

    class RawNumbers(RawResource):
        one = raw(Numbers.one)
        listing = first_page(Numbers.listing, Numbers.listing_pages)

    async with FakeScenario(models=["m"]) as fake, fake.client() as client:
        view = RawNumbers(Numbers(client))
        one = await view.one("m")
        assert (await one.parse()).model.id == "m" and one.__class__ is AsyncAPIResponse
        first = await view.listing()
        assert await first.parse() == 1 and first.url.path == "/v1/models/m"
        assert view.one.__doc__ == "Read one."
