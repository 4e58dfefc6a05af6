"""A hostile server cannot make the client hold more than its limit, follow a write
elsewhere, raise outside the error hierarchy, or show the credentials it echoes back."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import logging
import pickle
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from scenario_async import (
    APIResponseTooLargeError,
    APIResponseValidationError,
    AsyncScenario,
    AuthenticationError,
    InternalServerError,
    RedirectError,
    ScenarioError,
)
from scenario_async import _errors as errors_module

from .conftest import PNG_DATA_URL

KEY, SECRET = "key-visible-id", "s3cr3t-value-never-shown"
TOKEN = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
MODEL = {"model": {"id": "m", "status": "new", "trainingImages": []}}
ADDED = {"trainingImage": {"id": "ti-1", "name": "a.png", "url": "https://cdn/x"}}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[tuple[str, list[web.Request]]]:
    """A stand-in API on loopback answering every request with ``handler``; yields its
    base URL and the requests it received."""
    seen: list[web.Request] = []

    async def record(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        await request.read()
        return await handler(request)

    app = web.Application(client_max_size=2**26)
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/v1", seen
    finally:
        await runner.cleanup()


def client(base_url: str, max_response_bytes: int = 2**26) -> AsyncScenario:
    return AsyncScenario(
        api_key=KEY,
        api_secret=SECRET,
        base_url=base_url,
        max_retries=0,
        max_response_bytes=max_response_bytes,
    )


# --- Bounded answers ---------------------------------------------------------------------


async def test_an_answer_declared_longer_than_the_limit_is_refused_unread() -> None:
    async def huge(request: web.Request) -> web.Response:
        return web.Response(body=b"{" + b" " * (4 * 2**20) + b"}", content_type="application/json")

    async with serving(huge) as (url, seen), client(url, max_response_bytes=2**20) as api:
        with pytest.raises(APIResponseTooLargeError) as caught:
            await api.models.retrieve("m")
    assert caught.value.limit == 2**20 and caught.value.status_code == 200
    assert "max_response_bytes" in str(caught.value)
    assert len(seen) == 1  # not retried: the same answer would come back


async def test_an_endless_stream_is_cut_at_the_limit() -> None:
    streamed: list[int] = []

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        chunk = b" " * 65536
        try:
            while True:  # chunked, no length: only the client can end it
                await response.write(chunk)
                streamed.append(len(chunk))
        except (ConnectionResetError, RuntimeError):
            pass
        return response

    async with serving(endless) as (url, _), client(url, max_response_bytes=2**20) as api:
        with pytest.raises(APIResponseTooLargeError):
            await asyncio.wait_for(api.models.retrieve("m"), timeout=20)
    assert sum(streamed) < 64 * 2**20  # the connection was closed, the stream ended


async def test_a_gzip_bomb_is_cut_after_decompression_without_inflating_it() -> None:
    bomb = gzip.compress(b" " * (256 * 2**20))  # 256 MiB of spaces in about 250 KiB

    async def answer(request: web.Request) -> web.Response:
        return web.Response(
            body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )

    async with serving(answer) as (url, seen), client(url, max_response_bytes=2**20) as api:
        tracemalloc.start()
        try:
            with pytest.raises(APIResponseTooLargeError):
                await api.models.retrieve("m")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert seen[0].headers["Accept-Encoding"] == "gzip, deflate"
    assert peak < 8 * 2**20  # the limit plus a small constant, not 256 MiB


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("identity", lambda raw: raw)],
)
async def test_compressed_answers_within_the_limit_are_read(
    encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    async def answer(request: web.Request) -> web.Response:
        raw = json.dumps(MODEL).encode()
        return web.Response(
            body=encode(raw),
            headers={"Content-Encoding": encoding, "Content-Type": "application/json"},
        )

    async with serving(answer) as (url, _), client(url) as api:
        retrieved = await api.models.retrieve("m")
    assert retrieved.model.id == "m"


@pytest.mark.parametrize(
    ("encoding", "body"),
    [("br", b"\x0b\x02\x80{}\x03"), ("gzip", b"\x1f\x8b\x08\x00not gzip at all")],
)
async def test_an_answer_that_cannot_be_decoded_is_a_typed_error(
    encoding: str, body: bytes
) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Encoding": encoding})

    async with serving(answer) as (url, _), client(url) as api:
        with pytest.raises(APIResponseValidationError, match="cannot be decoded"):
            await api.models.retrieve("m")


async def test_an_error_body_is_cut_to_its_start_and_the_error_keeps_its_status() -> None:
    async def answer(request: web.Request) -> web.Response:
        text = "overloaded " + "x" * (8 * 2**20)
        return web.Response(status=503, text=text)

    async with serving(answer) as (url, seen), client(url, max_response_bytes=2**30) as api:
        with pytest.raises(InternalServerError) as caught:
            await api.with_options(max_retries=1).models.retrieve("m")
    assert isinstance(caught.value.body, str) and caught.value.body.startswith("overloaded")
    assert len(caught.value.body) <= 2**16
    assert len(seen) == 2  # a 503 is still retried


async def test_an_add_whose_answer_is_too_long_is_looked_for_on_the_model() -> None:
    # The add may have landed: the too-long answer is handled like an unreadable one, by
    # reading the model, and the image found there is the answer; nothing is sent twice.
    added: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        if request.method == "POST":
            added.append((await request.json())["name"])
            return web.Response(body=b"{" + b" " * 2**21 + b"}")
        images = [
            {"id": "ti-1", "name": name, "createdAt": "2099-01-01T00:00:00Z"} for name in added
        ]
        return web.json_response({"model": {"id": "m", "status": "new", "trainingImages": images}})

    async with serving(answer) as (url, seen), client(url, max_response_bytes=2**20) as api:
        result = await api.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    assert result.training_image.id == "ti-1"
    assert added == ["a.png"]
    assert [r.method for r in seen].count("POST") == 1


# --- Redirects ---------------------------------------------------------------------------


async def test_a_write_is_never_sent_again_to_another_origin() -> None:
    async def other_api(request: web.Request) -> web.Response:
        return web.json_response(ADDED)

    async with serving(other_api) as (elsewhere, reached):

        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPTemporaryRedirect(f"{elsewhere}/models/m/training-images")

        async with serving(redirect) as (url, seen), client(url) as api:
            with pytest.raises(RedirectError) as caught:
                await api.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    assert reached == [] and len(seen) == 1
    assert caught.value.status_code == 307 and "not followed" in str(caught.value)


async def test_a_write_is_not_followed_even_within_the_origin() -> None:
    async def redirect(request: web.Request) -> web.Response:
        if request.path.endswith("/elsewhere"):
            return web.json_response(ADDED)
        raise web.HTTPPermanentRedirect("/v1/elsewhere")

    async with serving(redirect) as (url, seen), client(url) as api:
        with pytest.raises(RedirectError):
            await api.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    assert [(r.method, r.path) for r in seen] == [("POST", "/v1/models/m/training-images")]


async def test_a_read_follows_redirects_within_the_origin_with_the_credentials() -> None:
    async def answer(request: web.Request) -> web.Response:
        if request.path == "/v1/models/m":
            raise web.HTTPFound("/v1/moved/m")
        if request.path == "/v1/moved/m":
            raise web.HTTPMovedPermanently("/v1/final/m")
        return web.json_response(MODEL)

    async with serving(answer) as (url, seen), client(url) as api:
        retrieved = await api.models.retrieve("m")
    assert retrieved.model.id == "m"
    assert [r.path for r in seen] == ["/v1/models/m", "/v1/moved/m", "/v1/final/m"]
    assert {r.headers["Authorization"] for r in seen} == {f"Basic {TOKEN}"}


async def test_a_redirect_loop_ends_with_a_redirect_error_after_five_hops() -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.path)

    async with serving(loop) as (url, seen), client(url) as api:
        with pytest.raises(RedirectError):
            await api.models.retrieve("m")
    assert len(seen) == 6  # the request and five redirects followed


async def test_a_read_redirected_to_another_origin_is_not_followed() -> None:
    async def other(request: web.Request) -> web.Response:
        return web.json_response(MODEL)

    async with serving(other) as (elsewhere, reached):

        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPFound(f"{elsewhere}/models/m")

        async with serving(redirect) as (url, _), client(url) as api:
            with pytest.raises(RedirectError, match=r"redirect to http://127\.0\.0\.1"):
                await api.models.retrieve("m")
    assert reached == []  # neither the request nor the credentials left the origin


# --- Everything is typed -----------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 400])
async def test_json_nested_too_deep_is_a_typed_error(status: int) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, body=deep, content_type="application/json")

    async with serving(answer) as (url, _), client(url) as api:
        with pytest.raises(ScenarioError) as caught:
            await api.models.retrieve("m")
    if status == 200:
        assert isinstance(caught.value, APIResponseValidationError)
        assert "nested too deeply" in str(caught.value)
    else:
        assert getattr(caught.value, "status_code", None) == 400


async def test_a_retry_after_date_past_year_9999_falls_back_to_backoff() -> None:
    answers = iter([503, 200])

    async def answer(request: web.Request) -> web.Response:
        status = next(answers)
        if status == 503:
            return web.Response(
                status=503, headers={"Retry-After": "Fri, 31 Dec 10000 23:59:59 GMT"}
            )
        return web.json_response(MODEL)

    async with serving(answer) as (url, seen), client(url) as api:
        retrieved = await api.with_options(max_retries=1).models.retrieve("m")
    assert retrieved.model.id == "m" and len(seen) == 2


# --- Credentials echoed back ---------------------------------------------------------------

ECHOES = {
    "header value": f"Basic {TOKEN}",
    "token": TOKEN,
    "token without padding": TOKEN.rstrip("="),
    "pair": f"{KEY}:{SECRET}",
    "secret": SECRET,
}


@pytest.mark.parametrize("echo", list(ECHOES.values()), ids=list(ECHOES))
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
async def test_echoed_credentials_are_redacted_from_everything_shown(
    echo: str, as_json: bool, caplog: pytest.LogCaptureFixture
) -> None:
    async def gateway(request: web.Request) -> web.Response:
        text = f"bad credentials: {echo}"
        headers = {"X-Received-Authorization": echo, "WWW-Authenticate": f'Basic realm="{echo}"'}
        if as_json:
            return web.json_response({"message": text, "got": [echo]}, status=401, headers=headers)
        return web.Response(text=text, status=401, headers=headers)

    caplog.set_level(logging.DEBUG)
    async with serving(gateway) as (url, _), client(url) as api:
        with pytest.raises(AuthenticationError) as caught:
            await api.models.retrieve("m")
    error = caught.value
    copy = pickle.loads(pickle.dumps(error))
    shown = " ".join(
        (str(error), repr(error), repr(vars(error)), repr(vars(copy)), str(copy), caplog.text)
    )
    for secret in (SECRET, TOKEN.rstrip("="), f"{KEY}:{SECRET}"):
        assert secret not in shown
    assert (
        "[redacted]" in str(error.body)
        and "[redacted]" in error.headers["X-Received-Authorization"]
    )


def test_every_error_survives_a_pickle_round_trip() -> None:
    made = [
        AuthenticationError(
            "m", method="GET", url="u", status_code=401, body={"a": 1}, headers={"h": "v"}
        ),
        APIResponseTooLargeError("m", method="GET", url="u", status_code=200, limit=5),
        errors_module.APITimeoutError(method="POST", url="u", sent=False),
        errors_module.UnknownOutcomeError("m", candidates=("a", "b")),
        errors_module.TrainingFailedError("m", model={"id": "x"}),
    ]
    for error in made:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
        assert vars(copy) == vars(error)


def test_the_command_line_never_shows_credentials_a_server_echoes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import threading

    from scenario_async.cli import main

    async def gateway(request: web.Request) -> web.Response:
        got = request.headers.get("Authorization", "")
        return web.json_response({"message": f"refused {got}", "secret": SECRET}, status=401)

    ready = threading.Event()
    stop = threading.Event()
    where: list[str] = []

    def serve() -> None:
        async def run() -> None:
            async with serving(gateway) as (url, _):
                where.append(url)
                ready.set()
                await asyncio.to_thread(stop.wait)

        asyncio.run(run())

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        ready.wait(10)
        args = ["model", "m", "--base-url", where[0], "--api-key", KEY, "--api-secret", SECRET]
        code = main(args)
    finally:
        stop.set()
        thread.join(10)
    captured = capsys.readouterr()
    assert code != 0 and "401" in captured.err
    for secret in (SECRET, TOKEN.rstrip("=")):
        assert secret not in captured.err + captured.out
    assert "[redacted]" in captured.err
