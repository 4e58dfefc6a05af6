"""The client fits where users already are: proxies from the environment or named, and an
aiohttp session of their own (a connector, trace configs), which it never closes."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import aiohttp
import pytest
from aiohttp import web

from scenario_async import AsyncScenario
from scenario_async.testing import FakeScenario

from .conftest import MODELS, PNG_DATA_URL

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "host"}


@asynccontextmanager
async def forward_proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """A plain-HTTP forward proxy on loopback; yields its URL and the URLs it forwarded."""
    forwarded: list[str] = []

    async def forward(request: web.Request) -> web.Response:
        target = f"http://{request.headers['Host']}{request.path_qs}"
        forwarded.append(target)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with (
            aiohttp.ClientSession(auto_decompress=False) as session,
            session.request(
                request.method, target, headers=headers, data=await request.read()
            ) as answer,
        ):
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
            kept.pop("Content-Length", None)
            return web.Response(status=answer.status, body=body, headers=kept)

    app = web.Application(client_max_size=2**26)
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", forwarded
    finally:
        await runner.cleanup()


async def test_a_named_proxy_carries_every_request() -> None:
    async with (
        forward_proxy() as (proxy, forwarded),
        FakeScenario(models=MODELS) as fake,
        fake.client(proxy=proxy) as client,
    ):
        answer = await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
        assert answer.training_image.name == "a.png"
    assert forwarded == [f"{fake.base_url}/models/m/training-images"]
    assert [r.path for r in fake.requests] == ["/v1/models/m/training-images"]


async def test_the_proxy_of_the_environment_is_used_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with forward_proxy() as (proxy, forwarded), FakeScenario(models=MODELS) as fake:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        key, secret = fake.api_key, fake.api_secret
        async with AsyncScenario(api_key=key, api_secret=secret, base_url=fake.base_url) as client:
            await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
        assert len(forwarded) == 1
        async with AsyncScenario(
            api_key=key, api_secret=secret, base_url=fake.base_url, trust_env=False
        ) as client:
            await client.models.training_images.add("m", data=PNG_DATA_URL, name="b.png")
        assert len(forwarded) == 1  # trust_env=False: straight to the API
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with AsyncScenario(api_key=key, api_secret=secret, base_url=fake.base_url) as client:
            await client.models.training_images.add("m", data=PNG_DATA_URL, name="c.png")
        assert len(forwarded) == 1  # NO_PROXY honoured
    assert sorted(i.name or "" for i in fake.training_images("m")) == ["a.png", "b.png", "c.png"]


async def test_a_session_of_the_users_is_used_with_its_trace_configs_and_never_closed() -> None:
    traced: list[str] = []

    async def on_start(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        traced.append(f"{params.method} {params.url.path}")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with (
        FakeScenario(models=MODELS) as fake,
        aiohttp.ClientSession(trace_configs=[trace]) as session,
    ):
        async with fake.client(session=session) as client:
            answer = await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
            assert answer.training_image.name == "a.png"  # so our credentials were sent
        assert not session.closed  # the client closed, the user's session did not
        async with fake.client(session=session) as again:  # and it serves the next client
            await again.models.retrieve("m")
    assert traced == ["POST /v1/models/m/training-images", "GET /v1/models/m"]


async def test_a_users_session_that_decompresses_itself_still_reads_gzip_answers() -> None:
    model = {"model": {"id": "m", "status": "new", "trainingImages": []}}

    async def gzipped(request: web.Request) -> web.Response:
        body = gzip.compress(json.dumps(model).encode())
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    app = web.Application()
    app.router.add_get("/{tail:.*}", gzipped)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
    try:
        async with (
            aiohttp.ClientSession() as session,  # auto_decompress on, aiohttp's default
            AsyncScenario(api_key="k", api_secret="s", base_url=url, session=session) as client,
        ):
            retrieved = await client.models.retrieve("m")
    finally:
        await runner.cleanup()
    assert retrieved.model.id == "m"


def test_proxy_and_session_are_checked_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="proxy must be an http"):
        AsyncScenario(api_key="k", api_secret="s", proxy="socks5://127.0.0.1:1080")
    with pytest.raises(TypeError, match=r"session must be an aiohttp\.ClientSession"):
        AsyncScenario(api_key="k", api_secret="s", session="not a session")  # type: ignore[arg-type]


async def test_custom_headers_from_the_environment_are_sent_and_default_headers_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCENARIO_CUSTOM_HEADERS", "X-Team: vision\nno colon here\nX-Env: from-env")
    async with FakeScenario(models=MODELS) as fake:
        async with fake.client(default_headers={"X-Env": "explicit"}) as client:
            await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
        sent = fake.requests[0].headers
    assert sent["X-Team"] == "vision" and sent["X-Env"] == "explicit"


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("default_headers", {"X-Bad": "a\r\nX-Injected: 1"}),
        ("default_headers", {"Bad Name": "v"}),
        ("SCENARIO_CUSTOM_HEADERS", "X-Bad Name: v"),
    ],
)
def test_a_header_that_could_not_be_sent_as_it_is_is_refused_at_once(
    where: str, value: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    options: dict[str, object] = {}
    if where == "default_headers":
        options["default_headers"] = value
    else:
        monkeypatch.setenv(where, str(value))
    with pytest.raises(ValueError, match=where):
        AsyncScenario(api_key="k", api_secret="s", **options)  # type: ignore[arg-type]


async def test_each_request_log_record_carries_its_figures_as_attributes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="scenario_async")
    async with FakeScenario(models=MODELS) as fake, fake.client() as client:
        await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    (record,) = [vars(r) for r in caplog.records if hasattr(r, "elapsed_ms")]
    figures = {k: record[k] for k in ("method", "path", "status", "attempt")}
    assert figures == {
        "method": "POST",
        "path": "/models/m/training-images",
        "status": 200,
        "attempt": 1,
    }
    assert isinstance(record["elapsed_ms"], float) and record["elapsed_ms"] >= 0
