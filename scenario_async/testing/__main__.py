"""``python -m scenario_async.testing --port N --model ID``: serve the fake API until Ctrl-C,
with the models given (``--model`` again for more) already there."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from ._server import DEFAULT_API_KEY, DEFAULT_API_SECRET, FakeScenario


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scenario_async.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--api-secret", default=DEFAULT_API_SECRET)
    parser.add_argument("--training-duration", type=float, default=5.0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    parser.add_argument(
        "--model", action="append", default=[], help="a model id to seed (repeat for more)"
    )
    args = parser.parse_args(argv)

    async def serve() -> None:
        fake = FakeScenario(
            api_key=args.api_key,
            api_secret=args.api_secret,
            host=args.host,
            port=args.port,
            training_duration=args.training_duration,
            latency=args.latency,
            models=args.model,
        )
        async with fake:
            print(f"fake Scenario API on {fake.base_url} (key {fake.api_key!r})", flush=True)
            print(f"its storage host (upload parts) on {fake.storage_url}", flush=True)
            await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
