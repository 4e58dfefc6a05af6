"""Credentials stay secret: not in logs, reprs or errors, not forwarded off-host, not sent in
clear to another machine without a warning; TLS is verified unless told otherwise."""

from __future__ import annotations

import base64
import logging
import shutil
import ssl
import subprocess
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from scenario_async import (
    APIConnectionError,
    AsyncScenario,
    InsecureTransportWarning,
    NotFoundError,
    RedirectError,
    Scenario,
)
from scenario_async._wire import build_request
from scenario_async.testing import FakeScenario, FaultPlan

from .conftest import PNG_DATA_URL

KEY, SECRET = "key-visible-id", "s3cr3t-value-never-shown"
TOKEN = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()


def assert_secret_free(text: str) -> None:
    assert SECRET not in text
    assert TOKEN not in text


async def test_no_log_record_at_any_level_carries_the_credentials(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("scenario_async._wire.retry_delay", lambda *a, **k: 0.0)
    caplog.set_level(logging.DEBUG)  # every logger, every level: ours and aiohttp's
    plan = FaultPlan(error_500=0.3, drop_after_store=0.2, rate_limited_429=0.1, seed=3)
    async with (
        FakeScenario(api_key=KEY, api_secret=SECRET, faults=plan) as fake,
        fake.client() as client,
    ):
        for i in range(10):
            try:
                await client.models.training_images.add("m", data=PNG_DATA_URL, name=f"{i}.png")
            except Exception as error:
                assert_secret_free(str(error) + repr(error) + repr(vars(error)))
        with pytest.raises(NotFoundError):
            await client.jobs.retrieve("nope")
    assert caplog.records
    assert_secret_free(caplog.text)
    assert_secret_free(" ".join(repr(r.__dict__) for r in caplog.records))


def test_reprs_of_clients_and_requests_carry_no_credentials() -> None:
    client = AsyncScenario(api_key=KEY, api_secret=SECRET)
    sync = Scenario(api_key=KEY, api_secret=SECRET)
    request = build_request("POST", client.base_url, "/models/m/training-images", headers={})
    for text in (repr(client), str(client), repr(sync), repr(request), repr(vars(client))):
        assert_secret_free(text)
    sync.close()


@asynccontextmanager
async def serving(
    handler: Callable[[web.Request], Awaitable[web.Response]],
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[str]:
    """A one-route aiohttp server on loopback; yields its origin (scheme, host and port)."""
    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context).start()
    try:
        scheme = "https" if ssl_context else "http"
        yield f"{scheme}://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_authorization_never_leaves_the_origin_on_a_redirect() -> None:
    seen: list[str | None] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"model": {"id": "m"}})

    async with serving(record) as other:

        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPFound(f"{other}/v1/models/m")

        async with (
            serving(redirect) as origin,
            AsyncScenario(api_key=KEY, api_secret=SECRET, base_url=f"{origin}/v1") as client,
        ):
            with pytest.raises(RedirectError):
                await client.models.retrieve("m")
    assert seen == []  # a redirect to another origin is not followed at all


@pytest.mark.parametrize(
    "url", ["http://api.example.com/v1", "http://10.0.0.5:8080/v1", "http://[2001:db8::1]/v1"]
)
def test_plain_http_to_another_machine_warns(url: str) -> None:
    with pytest.warns(InsecureTransportWarning, match="unencrypted"):
        AsyncScenario(api_key=KEY, api_secret=SECRET, base_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8765/v1", "http://localhost/v1", "http://[::1]:9/v1"]
)
def test_plain_http_to_this_machine_does_not_warn(url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AsyncScenario(api_key=KEY, api_secret=SECRET, base_url=url)


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_tls_is_verified_by_default_and_a_context_can_trust_a_private_ca(
    self_signed: tuple[Path, Path],
) -> None:
    cert, key = self_signed
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"model": {"id": "tls"}})

    async with serving(answer, server_context) as origin:
        base = f"{origin}/v1"
        async with AsyncScenario(
            api_key=KEY, api_secret=SECRET, base_url=base, max_retries=0
        ) as client:
            with pytest.raises(APIConnectionError, match="certificate"):
                await client.models.retrieve("tls")
        trusting = ssl.create_default_context(cafile=str(cert))
        async with AsyncScenario(
            api_key=KEY, api_secret=SECRET, base_url=base, ssl=trusting
        ) as client:
            assert (await client.models.retrieve("tls")).model.id == "tls"
