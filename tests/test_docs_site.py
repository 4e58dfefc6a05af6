"""The API reference (docs/api.md) documents every public name, so none goes missing silently.

The site itself is built by ``nox -s docs`` (Sphinx, warnings as errors); this reads only the
autodoc directives of docs/api.md, without Sphinx.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

API_PAGE = Path(__file__).resolve().parents[1] / "docs" / "api.md"

#: The modules whose ``__all__`` the reference must cover.
PUBLIC_MODULES = [
    "scenario_async",
    "scenario_async.resources",
    "scenario_async.bulk",
    "scenario_async.images",
    "scenario_async.types",
    "scenario_async.testing",
]

DIRECTIVE = re.compile(r"^\.\. ([\w:]+):: *(\S*)$")
OPTION = re.compile(r"^ +:([\w-]+):")


def _directives(text: str) -> list[tuple[str, str, set[str]]]:
    """(directive, argument, option names) of each reST directive in the eval-rst blocks."""
    found: list[tuple[str, str, set[str]]] = []
    for line in text.splitlines():
        if match := DIRECTIVE.match(line):
            found.append((match[1], match[2], set()))
        elif found and (option := OPTION.match(line)):
            found[-1][2].add(option[1])
    return found


def _assigned_in(module: ModuleType) -> set[str]:
    """Names a module assigns itself (autodoc documents only those of its data)."""
    names: set[str] = set()
    for node in ast.parse(inspect.getsource(module)).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", 0)]
        names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def _object(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def documented() -> set[tuple[str, int]]:
    """(name, id of the object) of everything api.md has autodoc document."""
    done: set[tuple[str, int]] = set()
    current = ""
    for directive, target, options in _directives(API_PAGE.read_text(encoding="utf-8")):
        if directive == "currentmodule":
            current = target
        elif directive == "automodule" and {"members", "undoc-members"} <= options:
            module = importlib.import_module(target)
            own_data = _assigned_in(module)
            for name in module.__all__:
                obj = getattr(module, name)
                if inspect.isclass(obj) or inspect.isroutine(obj) or name in own_data:
                    done.add((name, id(obj)))
        elif directive.startswith("auto"):
            where, _, name = (target if "." in target else f"{current}.{target}").rpartition(".")
            done.add((name, id(_object(where, name))))
    return done


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_the_api_reference_documents_every_public_name(module: str) -> None:
    done = documented()
    public = importlib.import_module(module).__all__
    missing = [name for name in public if (name, id(_object(module, name))) not in done]
    assert not missing, f"docs/api.md does not document {module}.{{{', '.join(missing)}}}"


def test_every_page_is_in_the_table_of_contents() -> None:
    index = (API_PAGE.parent / "index.md").read_text(encoding="utf-8")
    toctree = index.partition("```{toctree}")[2].partition("```")[0].split()
    pages = sorted(page.stem for page in API_PAGE.parent.glob("*.md") if page.stem != "index")
    assert [page for page in pages if page not in toctree] == []
