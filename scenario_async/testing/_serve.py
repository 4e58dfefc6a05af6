"""Around every handler of the fake (API and storage alike): recording, latency, credentials,
injected faults, and the moment the request is handled at."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web

from ._faults import AFTER_STORE, Fault, FaultPlan
from ._http import NOW, Abort, parse_json

if TYPE_CHECKING:
    from ._server import FakeScenario

__all__ = ["Handler", "RecordedRequest", "serve"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@attrs.frozen
class RecordedRequest:
    """One request the fake API received. ``json`` is the parsed body (``None`` if none, or
    for the raw bytes of a part sent to storage)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    #: When it arrived (``time.monotonic()``).
    at: float = 0.0


async def serve(
    fake: FakeScenario, request: web.Request, handler: Handler, *, api: bool
) -> web.StreamResponse:
    """Run ``handler`` the way the fake runs every request. ``api`` is False for the storage
    host: it takes no credentials, and its requests go to ``fake.storage_requests``."""
    fake.in_flight += 1
    fake.peak_in_flight = max(fake.peak_in_flight, fake.in_flight)
    try:
        if fake.record_requests:
            _record(fake, request, api=api, body=await request.read() if api else b"")
        if fake.latency:
            await asyncio.sleep(fake.latency)
        if api and request.headers.get("Authorization") != fake.expected_authorization:
            return web.json_response({"message": "Invalid API key or secret"}, status=401)
        plan = fake.faults
        fault = plan.draw(request.method) if plan is not None else None
        if plan is not None and fault is not None:
            fake.faults_injected[fault] += 1
            if fault == "store_late":
                # Read the body now: the client may be gone by the time the work is done.
                await request.read()
                await asyncio.sleep(plan.slow_seconds)
            elif fault not in AFTER_STORE:
                return _fault_answer(fault, plan)
        now = time.monotonic()
        NOW.set(now)
        fake.state.advance(now)
        try:
            response = await handler(request)
        except Abort as abort:
            return abort.response
        except web.HTTPException as unrouted:
            if not api or unrouted.status not in (404, 405):
                raise
            message = f"no route for {request.method} {request.path}"
            return web.json_response({"message": message}, status=unrouted.status)
        if plan is not None and fault is not None and fault in AFTER_STORE:
            return await _after_store(request, fault, plan, response)
        return response
    finally:
        fake.in_flight -= 1


def _record(fake: FakeScenario, request: web.Request, *, api: bool, body: bytes) -> None:
    # The API's record leaves credentials out; storage's keeps the header's name only, so
    # that a test can see credentials sent where none belong.
    headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
    if not api and "Authorization" in request.headers:
        headers["Authorization"] = "<redacted>"
    recorded = RecordedRequest(
        request.method,
        request.path,
        dict(request.query),
        parse_json(body) if api else None,
        headers,
        time.monotonic(),
    )
    (fake.requests if api else fake.storage_requests).append(recorded)


_BAD_GATEWAY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


def _fault_answer(fault: Fault, plan: FaultPlan) -> web.Response:
    """The answer of a fault that strikes before the request does anything."""
    retry_after = {"Retry-After": f"{plan.retry_after:g}"}
    if fault == "error_500":
        return web.json_response({"message": "internal error (injected)"}, status=500)
    if fault == "unavailable_503":
        return web.json_response(
            {"message": "service unavailable (injected)"}, status=503, headers=retry_after
        )
    if fault == "rate_limited_429":
        return web.json_response(
            {"message": "too many requests (injected)"}, status=429, headers=retry_after
        )
    return web.Response(text=_BAD_GATEWAY_PAGE, status=502, content_type="text/html")


async def _after_store(
    request: web.Request, fault: Fault, plan: FaultPlan, response: web.StreamResponse
) -> web.StreamResponse:
    """Spoil the answer of a request that has done its work."""
    if fault == "slow_after_store":
        await asyncio.sleep(plan.slow_seconds)
        return response
    if fault == "error_502_after_store":
        return web.Response(text=_BAD_GATEWAY_PAGE, status=502, content_type="text/html")
    if fault == "malformed_json":
        body = response.body if isinstance(response, web.Response) else None
        cut = bytes(body)[: max(1, len(bytes(body)) // 2)] if isinstance(body, bytes) else b"{"
        return web.Response(body=cut, status=200, content_type="application/json")
    # drop_after_store: close the connection without a word; the answer goes nowhere.
    if request.transport is not None:
        request.transport.abort()
    return response
