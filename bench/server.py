"""The stand-in server: answers the add endpoint like Scenario does, after an optional latency.

It runs in its own process so that its CPU never counts against a client. It drains the
whole body (as the real service must receive it) without joining or parsing it, so that it
sets the pace as little as possible: only the clients are measured.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json

from aiohttp import web

#: The answer, cut where each one gets an id of its own: a real service never answers two
#: adds with the same training image, and the SDK takes an answer that does for a lie.
ANSWER_HEAD, ANSWER_TAIL = (
    json.dumps(
        {
            "trainingImage": {
                "id": "asset_GTrL3mq4SXWyMx@",
                "automaticCaptioning": "",
                "createdAt": "2023-02-03T11:19:41.579Z",
                "description": "",
                "downloadUrl": "https://cdn.example/asset_GTrL3mq4SXWyMxkOHRxlpw.png",
                "name": "image.png",
            }
        }
    )
    .encode()
    .split(b"@", 1)
)


def build_app(latency: float) -> web.Application:
    answered = itertools.count()

    async def add(request: web.Request) -> web.Response:
        async for _ in request.content.iter_any():
            pass
        if latency:
            await asyncio.sleep(latency)
        body = ANSWER_HEAD + str(next(answered)).encode() + ANSWER_TAIL
        return web.Response(body=body, content_type="application/json")

    app = web.Application(client_max_size=64 * 1024**2)
    app.router.add_post("/v1/models/{model_id}/training-images", add)
    return app


async def serve(port: int, latency: float) -> None:
    runner = web.AppRunner(build_app(latency), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.latency))


if __name__ == "__main__":
    main()
