"""``python -m scenario_async.testing``: a help that renders cleanly with its defaults, the
key and secret printed at start-up, and a busy port said in one line with exit status 2."""

from __future__ import annotations

import socket
import subprocess
import sys

from scenario_async import Scenario


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scenario_async.testing", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_help_shows_every_default_and_no_markup() -> None:
    done = run("--help")
    assert done.returncode == 0
    assert "``" not in done.stdout
    for default in ("127.0.0.1", "8765", "test-key", "test-secret", "5.0"):
        assert f"(default: {default})" in done.stdout


def test_the_key_and_secret_are_printed_and_work() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "scenario_async.testing", "--port", "0", "--api-key", "k1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        base_url = lines[0].split()[-1]
        key, secret = lines[1].split()[-1], lines[2].split()[-1]
        assert (key, secret) == ("k1", "test-secret")
        with Scenario(api_key=key, api_secret=secret, base_url=base_url) as client:
            assert [m.id for m in client.models.list()] == []
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_a_busy_port_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("--port", str(port))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"python -m scenario_async.testing: port {port} on 127.0.0.1 is in use; "
        "give another with --port (0 picks a free one)"
    )
