"""Sphinx configuration of the documentation site: ``nox -s docs``, or
``sphinx-build -W --keep-going -E -b html docs docs/_build/html`` (``-W``: every warning is an
error).

Why Sphinx with furo and MyST-Parser, rather than MkDocs with mkdocstrings: autodoc imports
the package and reads its signatures and docstrings as Python's own tooling does (``help()``,
``inspect``), and the docstrings are reStructuredText (double-backtick literals, ``#:``
comments), which is what Sphinx parses natively; furo reads well; MyST keeps the pages
Markdown, so GitHub still renders them and tests/test_docs.py still runs their examples. The
build is warning-free with no plugin beyond these three and two small hooks (at the end).
"""

from __future__ import annotations

import builtins
import sys
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docstrings import prepare_docstring

import scenario_async

project = "scenario-async"
author = "scenario-async developers"
copyright = "scenario-async developers"
release = version = scenario_async.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
]

root_doc = "index"
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]

html_theme = "furo"
html_title = f"scenario-async {release}"

# The API reference (api.md). Signatures as written, one parameter a line when long.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_class_signature = "mixed"
add_module_names = False
python_maximum_signature_line_length = 88


def _builtins_match_exactly(app: Any, doctree: nodes.document) -> None:
    """Sphinx marks the names in a signature's annotations ``refspecific=False``, and its
    Python domain takes the mere presence of that attribute for "match any object whose name
    ends so": ``type`` in ``parse(data, cls: type[_T])`` and ``AsyncScenario.request`` then
    matches every documented field named ``type`` (``Model.type``, ``Input.type``, ...),
    links to the first and warns. A builtin's name is looked up exactly instead (and, having
    no page here, is left unlinked); every other name is resolved as Sphinx does."""
    for ref in doctree.findall(addnodes.pending_xref):
        if (
            ref.get("refdomain") == "py"
            and ref.get("refspecific") is False
            and hasattr(builtins, ref.get("reftarget", ""))
        ):
            del ref["refspecific"]


def _comment_of_reexported_constant(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """A constant's ``#:`` comment is in the module that assigns it, but autodoc reads only
    the module it documents (``scenario_async``, ``scenario_async.testing``, which re-export
    it) and otherwise shows the docstring of the value's type (``str``, ``tuple``). Take the
    comment from the module of the package that assigns the name; with none, show nothing.
    (A ``typing`` alias such as ``UnknownOutcome`` comes with no docstring at all.)"""
    if what != "data":
        return
    own = [line for line in lines if line]
    if own and own != [line for line in prepare_docstring(type(obj).__doc__ or "") if line]:
        return
    short = name.rpartition(".")[2]
    lines.clear()
    for modname, module in sorted(sys.modules.items()):
        if modname.partition(".")[0] == "scenario_async" and getattr(module, short, None) is obj:
            comment = ModuleAnalyzer.for_module(modname).find_attr_docs().get(("", short))
            if comment:
                lines.extend(comment)
                return


def setup(app: Any) -> None:
    app.connect("doctree-read", _builtins_match_exactly)
    app.connect("autodoc-process-docstring", _comment_of_reexported_constant)
