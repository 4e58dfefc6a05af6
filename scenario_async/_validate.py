"""Checks made before any request leaves: each failure names the parameter at fault."""

from __future__ import annotations

import binascii
import re
from collections.abc import Collection
from typing import Any

import pybase64

from ._image_format import refuse_truncated
from .types.training_images import Preset

__all__ = [
    "MAX_ASSET_IDS",
    "check_bool",
    "check_choice",
    "check_choices",
    "check_data_url",
    "check_dry_run",
    "check_id",
    "check_ids",
    "check_optional_str",
    "check_page_size",
    "data_url_content",
    "image_body",
]

#: The service accepts at most this many ``assetIds`` in one add or replace call.
MAX_ASSET_IDS = 10

_PRESETS = tuple(p.value for p in Preset)
_DATA_URL_PREFIX = re.compile(r"data:image/[A-Za-z0-9.+-]+;base64,")


def check_id(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    return value


def check_optional_str(name: str, value: Any) -> str | None:
    if value is None:
        return None
    return check_id(name, value)


def check_bool(name: str, value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return value


def check_ids(name: str, values: Any) -> list[str]:
    """A list of non-empty strings (a single string is refused: it is not a list of ids)."""
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be a list of strings, got {type(values).__name__}")
    return [check_id(f"{name}[{i}]", value) for i, value in enumerate(values)]


def check_dry_run(value: Any) -> str:
    """A ``dry_run`` as the query wants it: ``True`` is ``"true"``; ``"true"`` and ``"api"``
    are sent as they are."""
    return "true" if value is True else check_choice("dry_run", value, ("true", "api"))


def check_choices(name: str, values: Any, choices: Collection[str]) -> list[str]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be a list of strings, got {type(values).__name__}")
    return [check_choice(f"{name}[{i}]", value, choices) for i, value in enumerate(values)]


def check_page_size(value: Any, most: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise ValueError(f"page_size must be an integer from 1 to {most}, got {value!r}")
    return value


def check_query(project_id: Any, original_assets: Any) -> None:
    """The query parameters every call may take."""
    check_optional_str("project_id", project_id)
    if original_assets is not None and not isinstance(original_assets, bool):
        raise TypeError(f"original_assets must be a bool, got {type(original_assets).__name__}")


def check_choice(name: str, value: Any, choices: Collection[str]) -> str:
    text = getattr(value, "value", value)  # an OpenEnum member or its string
    if not isinstance(text, str) or text not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return text


def check_data_url(name: str, value: Any) -> str:
    """A ``data:image/<type>;base64,<payload>`` URL with a well-formed base64 payload, which
    is a whole image when it is a PNG, JPEG, WebP or GIF."""
    data_url_bytes(name, value)
    return str(value)


def data_url_bytes(name: str, value: Any) -> bytes:
    """Check a data URL and return it as ASCII bytes, ready to be spliced into a JSON body.

    Base64 needs no JSON escaping, so a checked payload can go on the wire as it is. A
    payload cut short is refused here (TruncatedImageError), not stored broken.
    """
    raw, content = data_url_content(name, value)
    refuse_truncated(content, name)
    return raw


def data_url_content(name: str, value: Any) -> tuple[bytes, bytes]:
    """A data URL as ASCII bytes, and its payload decoded; checked as far as the URL goes
    (the prefix, the base64), not what the payload holds."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a data URL string, got {type(value).__name__}")
    prefix = _DATA_URL_PREFIX.match(value)
    if prefix is None:
        raise ValueError(
            f"{name} must be a base64 image data URL like 'data:image/png;base64,...', "
            f"got {value[:40]!r}"
        )
    try:
        raw = value.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError(f"{name} has a base64 payload that is malformed") from None
    payload = memoryview(raw)[prefix.end() :]
    try:
        # Decoding at SIMD speed is the strictest check there is (alphabet, padding, length):
        # about 0.05 ms for a 512 KiB image. The caller checks the image in the bytes.
        content = pybase64.b64decode(payload, validate=True) if payload else b""
    except binascii.Error:
        content = b""
    if not content:
        raise ValueError(f"{name} has a base64 payload that is empty or malformed")
    return raw, content


def image_body(
    *,
    asset_id: Any,
    asset_ids: Any,
    data: Any,
    name: Any,
    preset: Any,
) -> tuple[dict[str, Any], bytes | None]:
    """The JSON body of add and replace, checked the way the reference describes it.

    Returns the fields and, apart, the ``data`` URL as ASCII bytes (or None), to be spliced
    into the body without a JSON encoder scanning megabytes of base64.
    """
    body: dict[str, Any] = {}
    raw_data: bytes | None = None
    if asset_ids is not None:
        if isinstance(asset_ids, (str, bytes)):
            raise TypeError("asset_ids must be a list of asset id strings, not a single string")
        ids = list(asset_ids)
        if asset_id is not None or data is not None or name is not None:
            raise ValueError("asset_ids cannot be combined with asset_id, data or name")
        if not ids:
            raise ValueError("asset_ids must hold at least one asset id")
        if len(ids) > MAX_ASSET_IDS:
            raise ValueError(
                f"asset_ids holds {len(ids)} ids; the API takes at most {MAX_ASSET_IDS} per call. "
                "Use training_images.add_many(model_id, [], asset_ids=...) to send them in batches"
            )
        body["assetIds"] = [check_id(f"asset_ids[{i}]", v) for i, v in enumerate(ids)]
    elif asset_id is not None:
        body["assetId"] = check_id("asset_id", asset_id)
        # The service ignores data and name beside assetId; we do not send what it ignores.
        if data is not None or name is not None:
            raise ValueError("asset_id cannot be combined with data or name (the API ignores them)")
    else:
        if data is None:
            raise ValueError("nothing to add: give asset_id, asset_ids, or data (with name)")
        raw_data = data_url_bytes("data", data)
        if name is not None:
            body["name"] = check_id("name", name)
    if preset is not None:
        body["preset"] = check_choice("preset", preset, _PRESETS)
    return body, raw_data
