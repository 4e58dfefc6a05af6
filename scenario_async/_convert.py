"""The one cattrs converter: camelCase on the wire, snake_case in Python, nothing lost.

Structuring is strict about shapes (a list must be a list, a number a number) so that a
malformed answer becomes one clear error, and lenient about content: unknown fields go to
``extra`` and unknown values of an open set stay plain strings. cattrs finds the hook for
every type; an answer class's own hook is generated here, for speed (``_attrs_structure_hook``).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, TypeVar

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_unstructure_fn, override

from ._open_enum import OpenEnum

__all__ = [
    "camel_case",
    "converter",
    "find_mismatch",
    "structure",
    "to_wire_name",
    "unstructure",
    "wire_names",
]

T = TypeVar("T")

# Errors are wrapped into one APIResponseValidationError by the wire layer, so the cheaper
# non-detailed mode is enough: it raises on the first problem.
converter = Converter(detailed_validation=False)


def to_wire_name(field: attrs.Attribute[Any]) -> str:
    """``training_images_number`` -> ``trainingImagesNumber``, unless the field says otherwise."""
    explicit = field.metadata.get("wire")
    if explicit:
        return str(explicit)
    return camel_case(field.name)


def camel_case(name: str) -> str:
    """``created_after`` -> ``createdAfter``: the wire's spelling of a snake_case name."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_names(cls: type[Any]) -> dict[str, str]:
    """Python attribute name -> wire name, for every declared field but ``extra``."""
    return {f.name: to_wire_name(f) for f in attrs.fields(cls) if f.name != "extra"}


def _shape_error(expected: str, value: Any) -> TypeError:
    return TypeError(f"expected {expected}, got {type(value).__name__} {value!r:.60}")


def _structure_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _shape_error("a string", value)


def _structure_int(value: Any, _: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _shape_error("an integer", value)


def _structure_float(value: Any, _: Any) -> float:
    """Any JSON number, as sent: a schema ``number`` may be whole or not, and a whole one
    stays an ``int`` (which type checkers accept where ``float`` is declared)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number: float = value
        return number
    raise _shape_error("a number", value)


def _structure_bool(value: Any, _: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _shape_error("a boolean", value)


converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(float, _structure_float)
converter.register_structure_hook(bool, _structure_bool)


def _is_list(t: Any) -> bool:
    return typing.get_origin(t) is list


def _list_hook(t: Any) -> Callable[[Any, Any], list[Any]]:
    (item_type,) = typing.get_args(t)
    item_hook: list[Callable[[Any, Any], Any]] = []  # resolved on first use: types may recurse

    def structure_list(value: Any, _: Any) -> list[Any]:
        if not isinstance(value, list):
            raise _shape_error("a list", value)
        if not item_hook:
            item_hook.append(converter.get_structure_hook(item_type))
        hook = item_hook[0]
        return [hook(item, item_type) for item in value]

    return structure_list


def _is_dict(t: Any) -> bool:
    return typing.get_origin(t) is dict


def _dict_hook(t: Any) -> Callable[[Any, Any], dict[str, Any]]:
    _, value_type = typing.get_args(t)
    value_hook: list[Callable[[Any, Any], Any]] = []

    def structure_dict(value: Any, _: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _shape_error("an object", value)
        if value_type is Any:
            return value
        if not value_hook:
            value_hook.append(converter.get_structure_hook(value_type))
        hook = value_hook[0]
        return {str(k): hook(v, value_type) for k, v in value.items()}

    return structure_dict


def _optional_of(t: Any) -> Any:
    """X in ``X | None``, else None."""
    if typing.get_origin(t) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(t)
    if len(args) != 2 or type(None) not in args:
        return None
    return args[0] if args[1] is type(None) else args[1]


def _optional_hook(t: Any) -> Callable[[Any, Any], Any]:
    inner = _optional_of(t)
    inner_hook: list[Callable[[Any, Any], Any]] = []  # resolved on first use: types may recurse

    def structure_optional(value: Any, _: Any) -> Any:
        if value is None:
            return None
        if not inner_hook:
            inner_hook.append(converter.get_structure_hook(inner))
        return inner_hook[0](value, inner)

    return structure_optional


def _open_enum_of(t: Any) -> type[OpenEnum] | None:
    """The OpenEnum in ``SomeEnum | str`` (optionally ``| None``), else None."""
    if typing.get_origin(t) not in (typing.Union, types.UnionType):
        return None
    args = [a for a in typing.get_args(t) if a is not type(None)]
    enums = [a for a in args if isinstance(a, type) and issubclass(a, OpenEnum)]
    if len(enums) == 1 and str in args and len(args) == 2:
        return enums[0]
    return None


def _open_enum_hook(t: Any) -> Callable[[Any, Any], Any]:
    enum_cls = _open_enum_of(t)
    assert enum_cls is not None
    members: dict[str, Enum] = {m.value: m for m in enum_cls}

    def structure_open_enum(value: Any, _: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise _shape_error(f"a string ({enum_cls.__name__})", value)
        return members.get(value, value)

    return structure_open_enum


def _attrs_structure_hook(cls: type[Any]) -> Callable[[Any, Any], Any]:
    """A function generated for ``cls`` that reads each wire name once, checks the value with
    the field's hook, and fills the instance's slots directly.

    cattrs' own generated function gathers keyword arguments for ``cls(**kwargs)``, and a
    frozen class's ``__init__`` then sets each field through a bound ``object.__setattr__``:
    for the add answer that was two thirds of the SDK's parsing cost. Skipping ``__init__`` is
    sound only for plain classes, which ``_check_plain`` makes sure every answer class is.
    """
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    _check_plain(cls, fields)
    names = wire_names(cls)
    known = frozenset(names.values())
    namespace: dict[str, Any] = {
        "new": object.__new__,
        "cls": cls,
        "known": known,
        "shape_error": _shape_error,
        "structure_str": _structure_str,
        "MISSING": _MISSING,
    }
    lines = [
        "def structure(o, _):",
        "    if not isinstance(o, dict):",
        f"        raise shape_error('an object ({cls.__name__})', o)",
        "    obj = new(cls)",
    ]
    for index, field in enumerate(fields):
        setter = f"set_{index}"
        namespace[setter] = getattr(cls, field.name).__set__
        if field.name == "extra":
            namespace["no_extra"] = field.default
            lines += [
                "    if known.issuperset(o):",
                f"        {setter}(obj, no_extra)",
                "    else:",
                f"        {setter}(obj, {{k: v for k, v in o.items() if k not in known}})",
            ]
            continue
        wire = names[field.name]
        if field.default is not attrs.NOTHING and _optional_of(field.type) is str:
            # The commonest field by far: usually present, usually a str; checked inline.
            lines += [
                f"    value = o.get({wire!r})",
                "    if value is not None and value.__class__ is not str:",
                "        value = structure_str(value, str)",
                f"    {setter}(obj, value)",
            ]
            continue
        if field.default is attrs.NOTHING and field.type is str:
            # An identifier (a training image's id, on every add): inline too.
            lines += [
                f"    value = o[{wire!r}]",
                "    if value.__class__ is not str:",
                "        value = structure_str(value, str)",
                f"    {setter}(obj, value)",
            ]
            continue
        hook, kind = f"hook_{index}", f"type_{index}"
        namespace[hook] = converter.get_structure_hook(field.type)
        namespace[kind] = field.type
        if field.default is attrs.NOTHING:
            lines.append(f"    {setter}(obj, {hook}(o[{wire!r}], {kind}))")
        else:
            lines += [
                f"    value = o.get({wire!r}, MISSING)",
                f"    {setter}(obj, None if value is MISSING else {hook}(value, {kind}))",
            ]
    lines.append("    return obj")
    code = compile("\n".join(lines), f"<structure {cls.__qualname__}>", "exec")
    exec(code, namespace)  # our own source, built from the class's fields
    function: Callable[[Any, Any], Any] = namespace["structure"]
    return function


_MISSING = object()


def _check_plain(cls: type[Any], fields: Sequence[attrs.Attribute[Any]]) -> None:
    """Answer classes hold data only: every field but ``extra`` defaults to None or is
    required, and nothing runs in ``__init__`` that structuring would skip."""
    problems = [
        f.name
        for f in fields
        if f.validator is not None
        or f.converter is not None
        or not f.init
        or (f.name != "extra" and f.default not in (None, attrs.NOTHING))
    ]
    if "extra" not in {f.name for f in fields}:
        problems.append("no extra field")
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        problems.append("an __attrs_post_init__ or __attrs_pre_init__")
    if problems:
        raise TypeError(f"{cls.__name__} is not a plain answer class: {', '.join(problems)}")


def find_mismatch(data: Any, cls: Any) -> tuple[str, str] | None:
    """Where ``data`` does not fit ``cls``, as (wire path, what is wrong), e.g.
    ``("model.trainingImages[1].createdAt", "expected a string, got int 7")``; ``None`` if
    it fits. The path of the root is ``""``.

    A second, slower walk over the same hooks, run only after ``structure`` failed: the
    generated functions stay free of bookkeeping on the path every answer takes.
    """
    return _mismatch(data, cls, "")


def _mismatch(value: Any, t: Any, path: str) -> tuple[str, str] | None:
    inner = _optional_of(t)
    if inner is not None:
        return None if value is None else _mismatch(value, inner, path)
    if isinstance(t, type) and attrs.has(t):
        if not isinstance(value, dict):
            return path, str(_shape_error(f"an object ({t.__name__})", value))
        for field in attrs.fields(attrs.resolve_types(t)):
            if field.name == "extra":
                continue
            wire = to_wire_name(field)
            where = f"{path}.{wire}" if path else wire
            if wire not in value:
                if field.default is attrs.NOTHING:
                    return where, "a required field is missing"
                continue
            found = _mismatch(value[wire], field.type, where)
            if found is not None:
                return found
        return None
    if _is_list(t):
        if not isinstance(value, list):
            return path, str(_shape_error("a list", value))
        (item_type,) = typing.get_args(t)
        for index, item in enumerate(value):
            found = _mismatch(item, item_type, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if _is_dict(t):
        if not isinstance(value, dict):
            return path, str(_shape_error("an object", value))
        _, value_type = typing.get_args(t)
        for key, item in value.items():
            found = _mismatch(item, value_type, f"{path}[{json.dumps(key)}]")
            if found is not None:
                return found
        return None
    try:
        converter.get_structure_hook(t)(value, t)
    except Exception as exc:
        return path, str(exc)
    return None


def _attrs_unstructure_hook(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    overrides: dict[str, Any] = {
        name: override(rename=wire) for name, wire in wire_names(cls).items()
    }
    base = make_dict_unstructure_fn(
        cls, converter, _cattrs_omit_if_default=True, extra=override(omit=True), **overrides
    )

    def unstructure_object(obj: Any) -> dict[str, Any]:
        data = base(obj)
        data.update(obj.extra)
        return data

    return unstructure_object


converter.register_structure_hook_factory(lambda t: _optional_of(t) is not None, _optional_hook)
converter.register_structure_hook_factory(_is_list, _list_hook)
converter.register_structure_hook_factory(_is_dict, _dict_hook)
converter.register_structure_hook_factory(lambda t: _open_enum_of(t) is not None, _open_enum_hook)
converter.register_structure_hook_factory(attrs.has, _attrs_structure_hook)
converter.register_unstructure_hook_factory(attrs.has, _attrs_unstructure_hook)
converter.register_unstructure_hook(OpenEnum, lambda e: e.value)


_hooks: dict[Any, Callable[[Any, Any], Any]] = {}


def structure(data: Any, cls: type[T]) -> T:
    """``data`` as a ``cls``; the hook is looked up once per class, not on every call."""
    hook = _hooks.get(cls)
    if hook is None:
        hook = _hooks[cls] = converter.get_structure_hook(cls)
    result: T = hook(data, cls)
    return result


def unstructure(obj: Any) -> Any:
    return converter.unstructure(obj)
