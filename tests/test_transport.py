"""The transport seam: the whole client runs over a transport held in memory, and the aiohttp
transport's pool follows the loop and the process that use it."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import pytest

from scenario_async import (
    APIConnectionError,
    AsyncScenario,
    AuthenticationError,
    InternalServerError,
)
from scenario_async._transport import AiohttpTransport, Answer
from scenario_async._wire import Body
from scenario_async.testing import FakeScenario

from .conftest import MODELS, PNG_DATA_URL


class MemoryTransport:
    """Answers each request with ``handler``'s answer, or raises what it raises; records
    every request."""

    def __init__(self, handler: Callable[[str, str, Any], Answer]) -> None:
        self.handler = handler
        self.sent: list[tuple[str, str, Any, Mapping[str, str]]] = []
        self.closed = False

    async def send(
        self,
        method: str,
        url: str,
        body: Body | None,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> Answer:
        if isinstance(body, tuple):  # a large body comes in pieces, never joined by the SDK
            body = b"".join(body)
        parsed = json.loads(body) if body else None
        self.sent.append((method, url, parsed, dict(headers)))
        return self.handler(method, url, parsed)

    async def close(self) -> None:
        self.closed = True


def json_answer(data: Any, status: int = 200) -> Answer:
    return Answer(status, {"Content-Type": "application/json"}, json.dumps(data).encode())


IMAGE = {
    "id": "ti_1",
    "automaticCaptioning": "",
    "createdAt": "2026-01-01T00:00:00.000Z",
    "description": "",
    "downloadUrl": "https://cdn/1",
    "name": "a.png",
}


async def test_the_whole_client_runs_over_a_transport_in_memory() -> None:
    transport = MemoryTransport(lambda method, url, body: json_answer({"trainingImage": IMAGE}))
    client = AsyncScenario(
        api_key="k", api_secret="s", base_url="http://localhost/v1", transport=transport
    )
    async with client:
        answer = await client.models.training_images.add("m 1", data=PNG_DATA_URL, name="a.png")
    assert answer.training_image.id == "ti_1"
    ((method, url, body, headers),) = transport.sent
    assert (method, url) == ("POST", "http://localhost/v1/models/m%201/training-images")
    assert body == {"name": "a.png", "data": PNG_DATA_URL}
    token = base64.b64encode(b"k:s").decode()
    assert headers["Authorization"] == f"Basic {token}"
    assert headers["Content-Type"] == "application/json"
    assert transport.closed and client.is_closed


async def test_over_any_transport_a_connection_never_made_is_retried_and_errors_are_typed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("scenario_async._wire.retry_delay", lambda *a, **k: 0.0)
    answers: list[Any] = [
        APIConnectionError("refused", method="GET", url="u", sent=False),
        json_answer({"message": "boom"}, 503),
        json_answer({"message": "no"}, 401),
    ]

    def handler(method: str, url: str, body: Any) -> Answer:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        result: Answer = answer
        return result

    transport = MemoryTransport(handler)
    client = AsyncScenario(
        api_key="k", api_secret="s", base_url="http://localhost/v1", transport=transport
    )
    with pytest.raises(AuthenticationError, match="no"):
        await client.models.retrieve("m")
    assert [sent[0] for sent in transport.sent] == ["GET", "GET", "GET"]
    answers[:] = [json_answer({"message": "down"}, 500)]
    with pytest.raises(InternalServerError):
        await client.with_options(max_retries=0).models.retrieve("m")


async def test_a_post_whose_connection_broke_after_sending_is_not_resent_blindly() -> None:
    def handler(method: str, url: str, body: Any) -> Answer:
        raise APIConnectionError("reset", method=method, url=url, sent=True)

    transport = MemoryTransport(handler)
    client = AsyncScenario(
        api_key="k",
        api_secret="s",
        base_url="http://localhost/v1",
        transport=transport,
        on_unknown_outcome="raise",
    )
    with pytest.raises(APIConnectionError) as caught:
        await client.models.training_images.add("m", data=PNG_DATA_URL, name="a.png")
    assert caught.value.sent
    assert len(transport.sent) == 1


def test_one_async_client_serves_two_event_loops_in_turn() -> None:
    with FakeScenario(models=MODELS).serve_in_thread() as fake:
        client = fake.client()

        async def add(name: str) -> str | None:
            answer = await client.models.training_images.add("m", data=PNG_DATA_URL, name=name)
            return answer.training_image.name

        assert asyncio.run(add("first.png")) == "first.png"
        # The first loop is closed now; its pool is left behind and a new one opened.
        assert asyncio.run(add("second.png")) == "second.png"
        asyncio.run(client.aclose())
    assert sorted(i.name or "" for i in fake.training_images("m")) == ["first.png", "second.png"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_an_async_client_used_in_a_forked_child_opens_its_own_pool() -> None:
    with FakeScenario(models=MODELS).serve_in_thread() as fake:
        client = fake.client()

        async def add(name: str) -> tuple[str | None, object]:
            answer = await client.models.training_images.add("m", data=PNG_DATA_URL, name=name)
            transport = client._shared.transport
            assert isinstance(transport, AiohttpTransport)
            return answer.training_image.name, transport.session

        loop = asyncio.new_event_loop()
        _, parent_session = loop.run_until_complete(add("parent-1.png"))
        pid = os.fork()
        if pid == 0:  # the child: a new loop, and the parent's pool must not be used
            code = 1
            try:
                child_name, child_session = asyncio.run(add("child.png"))
                code = 0 if child_name == "child.png" and child_session is not parent_session else 3
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        # The parent's pool and loop go on as if nothing happened.
        name2, session2 = loop.run_until_complete(add("parent-2.png"))
        assert session2 is parent_session and name2 == "parent-2.png"
        loop.run_until_complete(client.aclose())
        loop.close()
    names = sorted(i.name or "" for i in fake.training_images("m"))
    assert names == ["child.png", "parent-1.png", "parent-2.png"]


async def test_the_aiohttp_transport_says_whether_a_failed_request_was_sent() -> None:
    transport = AiohttpTransport(connection_limit=4, ssl_context=True, headers={})
    timeout = aiohttp.ClientTimeout(total=2)
    async with FakeScenario(models=MODELS) as fake:
        url = fake.base_url
    with pytest.raises(APIConnectionError) as refused:
        await transport.send("GET", url + "/models/m", None, {}, timeout)
    assert not refused.value.sent  # nothing listens: nothing can have reached a server
    await transport.close()
