"""Names a package exports but imports on first use, so that ``import scenario_async`` and a
new client do not pay for the answer types, the resources and the bulk engine up front.

A package lists its modules with the names each defines, and imports the same names under
``TYPE_CHECKING`` for type checkers. Python calls the package's ``__getattr__`` only
for a name not yet in its namespace, and the first lookup puts the name there. A submodule
not imported yet is imported when it is looked up as an attribute.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    namespace: dict[str, Any], modules: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of the package whose ``globals()`` is
    ``namespace``: ``modules`` maps each module, relative to the package, to its names."""
    package = namespace["__name__"]
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            return _submodule(package, name)
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *where})

    return __getattr__, __dir__


def _submodule(package: str, name: str) -> Any:
    """``package.name`` as an attribute when it is a submodule (``scenario_async.bulk``),
    imported now: it was one while the package imported its submodules eagerly."""
    if not name.startswith("__"):
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise  # a module the submodule imports is missing: not ours to hide
    raise AttributeError(f"module {package!r} has no attribute {name!r}")
