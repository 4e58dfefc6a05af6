"""Developer sessions: ``nox -s lint typecheck tests`` is what CI runs, on every Python."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "tests_oldest"]
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.10")
def tests_oldest(session: nox.Session) -> None:
    """The tests against the oldest dependency versions pyproject.toml allows."""
    session.install("-e", ".[test]", "-c", ".ci/oldest.txt")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run(
        "ruff", "check", "scenario_async", "scenario_async_pytest", "tests", "bench", "noxfile.py"
    )
    session.run(
        "ruff",
        "format",
        "--check",
        "scenario_async",
        "scenario_async_pytest",
        "tests",
        "bench",
        "noxfile.py",
    )


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test]", "mypy>=1.11")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Run every Python example of README.md and docs/ against the embedded fake API, then
    build the site (docs/conf.py) into docs/_build/html, every warning an error."""
    session.install("-e", ".[test,docs]")
    session.run("pytest", "tests/test_docs.py", "tests/test_docs_site.py", *session.posargs)
    session.run(
        "sphinx-build", "-W", "--keep-going", "-E", "-b", "html", "docs", "docs/_build/html"
    )


@nox.session
def bench(session: nox.Session) -> None:
    """The side-by-side benchmark (docs/performance.md); pass options after ``--``."""
    session.install("-e", ".", "scenario-sdk[aiohttp]", "matplotlib")
    session.run("python", "-m", "bench", *session.posargs)


@nox.session
def chaos(session: nox.Session) -> None:
    """The long fault-injection runs (300 images, a quarter of requests faulted)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "slow", *session.posargs)
