"""What every bench scenario shares: where the repository is, which core the server and the
client run on, and starting a stand-in server in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Server and client each get a core of their own when there are two or more: without this
# the two processes migrate and contend, and CPU per request varies by 20 % between runs.
CORES = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
SERVER_CORES = set(CORES[:1]) if len(CORES) >= 2 else set()
CLIENT_CORES = set(CORES[1:]) if len(CORES) >= 2 else set()


def pinned(cores: set[int]) -> Any:
    """A ``preexec_fn`` that keeps a child process on ``cores`` (None: nothing to pin)."""
    if not cores:
        return None
    return lambda: os.sched_setaffinity(0, cores)


@contextmanager
def serving(*module_args: str) -> Iterator[str]:
    """``python -m *module_args`` on the server's core, until the block ends. It must print
    its port, or its base URL, as its first line; yields the base URL (``.../v1``)."""
    process = subprocess.Popen(
        [sys.executable, "-m", *module_args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        preexec_fn=pinned(SERVER_CORES),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        if first.isdigit():
            yield f"http://127.0.0.1:{first}/v1"
        elif first.startswith("http"):
            yield first
        else:
            raise RuntimeError(f"{' '.join(module_args)} did not start: {first!r}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def run_client(module: str, *args: str, what: str) -> dict[str, Any]:
    """``python -m module *args`` on the client's core, to its end; the JSON object of its
    last line of output. ``what`` names it when it fails (with the end of its stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        preexec_fn=pinned(CLIENT_CORES),
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures
