"""Serve the fake Scenario API until Ctrl-C: ``python -m scenario_async.testing``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import sys

from ._server import DEFAULT_API_KEY, DEFAULT_API_SECRET, FakeScenario

_DESCRIPTION = (
    "Serve the fake Scenario API (and its storage host for uploads in parts) until Ctrl-C, "
    "with the models given by --model already there. Point a client at the printed URL "
    "with the printed key and secret."
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m scenario_async.testing",
        description=_DESCRIPTION,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="the port (0: any free one)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the key clients must send")
    parser.add_argument(
        "--api-secret", default=DEFAULT_API_SECRET, help="the secret clients must send"
    )
    parser.add_argument(
        "--training-duration", type=float, default=5.0, help="seconds a training run takes"
    )
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
            print(f"fake Scenario API on {fake.base_url}", flush=True)
            print(f"  api key:    {fake.api_key}", flush=True)
            print(f"  api secret: {fake.api_secret}", flush=True)
            print(f"its storage host (upload parts) on {fake.storage_url}", flush=True)
            await asyncio.Event().wait()

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve())
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(
            f"{parser.prog}: port {args.port} on {args.host} is in use; give another with "
            "--port (0 picks a free one)",
            file=sys.stderr,
        )
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
