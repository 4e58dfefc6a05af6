"""The one cattrs converter: camelCase on the wire, snake_case in Python, nothing lost.

Structuring is strict about shapes (a list must be a list, a number a number) so that a
malformed answer becomes one clear error, and lenient about content: unknown fields go to
``extra`` and unknown values of an open set stay plain strings.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .types._base import OpenEnum

__all__ = ["converter", "structure", "to_wire_name", "unstructure", "wire_names"]

T = TypeVar("T")

# Errors are wrapped into one APIResponseValidationError by the wire layer, so the cheaper
# non-detailed mode is enough: it raises on the first problem.
converter = Converter(detailed_validation=False)


def to_wire_name(field: attrs.Attribute[Any]) -> str:
    """``training_images_number`` -> ``trainingImagesNumber``, unless the field says otherwise."""
    explicit = field.metadata.get("wire")
    if explicit:
        return str(explicit)
    head, *rest = field.name.split("_")
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
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
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
    if inner is str:
        # The most common field by far: a string that is usually present and usually a str.
        def structure_optional_str(value: Any, _: Any) -> Any:
            if value is None or value.__class__ is str:
                return value
            return _structure_str(value, str)

        return structure_optional_str
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


def _attrs_structure_hook(cls: type[T]) -> Callable[[Any, Any], T]:
    names = wire_names(cls)
    overrides: dict[str, Any] = {name: override(rename=wire) for name, wire in names.items()}
    base = make_dict_structure_fn(cls, converter, extra=override(omit=True), **overrides)
    known = frozenset(names.values())
    set_attr = object.__setattr__

    def structure_object(value: Any, _: Any) -> T:
        if not isinstance(value, dict):
            raise _shape_error(f"an object ({cls.__name__})", value)
        obj = base(value, cls)
        if not known.issuperset(value):
            # Frozen classes refuse setattr; this runs once, right after construction.
            set_attr(obj, "extra", {k: v for k, v in value.items() if k not in known})
        return obj

    return structure_object


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
