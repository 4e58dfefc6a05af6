"""The stand-ins of ``bench.auto`` keep working: each starts, answers the model read and the
add, and counts what it did (no figure is judged here; the scenario is run by hand)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from bench.auto import one_run, run_client, server, server_stats

ADD = "/models/model_x/training-images"
BODY = {"data": "data:image/png;base64,iVBORw0KGgo=", "name": "a.png"}


async def send(url: str, count: int) -> list[tuple[int, dict[str, str], Any]]:
    """``count`` adds at once, then a model read: (status, headers, JSON) of each."""
    async with aiohttp.ClientSession() as session:

        async def one(method: str, path: str, body: Any) -> tuple[int, dict[str, str], Any]:
            async with session.request(method, url + path, json=body) as answer:
                return answer.status, dict(answer.headers), await answer.json()

        adds = await asyncio.gather(*(one("POST", ADD, BODY) for _ in range(count)))
        return [*adds, await one("GET", "/models/model_x", None)]


def test_token_bucket_answers_then_refuses_with_retry_after() -> None:
    with server("token-bucket", "--rate", "2", "--burst", "3", "--latency", "0.01") as url:
        answers = asyncio.run(send(url, 6))
        stats = server_stats(url)
    statuses = [status for status, _, _ in answers]
    assert statuses[:-1].count(200) == 3 and statuses[:-1].count(429) == 3
    refused = [headers for status, headers, _ in answers if status == 429]
    assert all(int(h["Retry-After"]) >= 1 and int(h["retry-after-ms"]) >= 1 for h in refused)
    ids = {body["trainingImage"]["id"] for status, _, body in answers[:-1] if status == 200}
    assert len(ids) == 3  # a fresh training image each time
    # The read counts against the quota too: it was refused (the bucket is empty).
    assert stats["answered"] == 3 and stats["throttled"] == 4 and stats["reads"] == 0
    assert len(stats["latencies"]) == 3 and len(stats["throttle_times"]) == 4


def test_token_bucket_in_whole_seconds_sends_no_milliseconds() -> None:
    options = ("--rate", "1", "--burst", "1", "--latency", "0", "--retry-after", "seconds")
    with server("token-bucket", *options) as url:
        answers = asyncio.run(send(url, 2))
    refused = [headers for status, headers, _ in answers if status == 429]
    assert refused and all("retry-after-ms" not in h and h["Retry-After"] == "1" for h in refused)


def test_queue_serves_a_few_at_once_and_the_rest_wait() -> None:
    with server("queue", "--workers", "2", "--latency", "0.05", "--slope", "0") as url:
        answers = asyncio.run(send(url, 6))
        stats = server_stats(url)
    assert [status for status, _, _ in answers] == [200] * 7
    assert answers[-1][2] == {"model": {"id": "model_x", "trainingImages": []}}
    assert stats["answered"] == 6 and stats["throttled"] == 0 and stats["reads"] == 1
    # Two at a time, 50 ms each: the last two waited for two turns before their own.
    latencies = sorted(stats["latencies"])
    assert latencies[0] >= 0.045 and latencies[-1] >= 0.14


def test_a_run_reports_both_sides() -> None:
    """One upload with add_many against a stand-in, fixed and auto, as the scenario runs it."""
    figures = one_run("queue", [], 30, 4)
    assert figures["answered"] == 30 and figures["failed"] == 0 and figures["reads"] == 1
    assert figures["throughput"] > 0 and figures["median_latency_ms"] > 0
    with server("token-bucket", "--rate", "20", "--burst", "2", "--latency", "0.01") as url:
        auto = run_client(url, 30, "auto")
        stats = server_stats(url)
    assert auto["failed"] == 0 and stats["answered"] == 30
    assert stats["throttled"] >= 1  # a burst of 2 cannot hold auto's first 4 requests
    assert auto["limits"] and all(1 <= limit <= 256 for limit in auto["limits"])
    json.dumps(auto)
