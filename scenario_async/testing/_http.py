"""What every handler of the fake API shares: errors, the request's moment, checked query
parameters and bodies, image checks and pagination."""

from __future__ import annotations

import base64
import binascii
import contextvars
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from aiohttp import web

from ._state import FakeModel, image_problem

if TYPE_CHECKING:
    from ._server import FakeScenario

__all__ = [
    "FAKE_KEY",
    "Abort",
    "decode_image",
    "error",
    "fake_of",
    "json_body",
    "keep_model",
    "live_model",
    "paginate",
    "parse_json",
    "query_bool",
    "query_choice",
    "query_date",
    "query_list",
    "request_now",
]

FAKE_KEY: web.AppKey[FakeScenario] = web.AppKey("fake", object)  # type: ignore[arg-type]
#: The moment (``time.monotonic()``) of the request being handled, read once so that one
#: answer is consistent with itself. A context variable: each request runs in its own task.
NOW: contextvars.ContextVar[float] = contextvars.ContextVar("scenario_fake_now")

_DATA_URL = re.compile(r"data:(image/[A-Za-z0-9.+-]+);base64,(.*)", re.DOTALL)
T = TypeVar("T")


class Abort(Exception):
    """Ends a handler with a ready error answer."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def error(status: int, message: str) -> NoReturn:
    raise Abort(web.json_response({"message": message}, status=status))


def fake_of(request: web.Request) -> FakeScenario:
    return request.app[FAKE_KEY]


def request_now() -> float:
    """The moment of the request being handled."""
    return NOW.get()


def parse_json(raw: bytes) -> Any:
    """The JSON of a body; ``None`` when it is empty or not JSON."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


async def json_body(request: web.Request, *, kind: type = dict, optional: bool = False) -> Any:
    """The body as JSON of ``kind`` (400 otherwise); ``{}`` for no body when ``optional``."""
    raw = await request.read()  # aiohttp caches the bytes: read() is cheap twice
    if optional and not raw.strip():
        return {}
    body = parse_json(raw)
    if body is None:
        error(400, "the body must be JSON")
    if not isinstance(body, kind):
        error(400, f"the body must be a JSON {'array' if kind is list else 'object'}")
    return body


def live_model(request: web.Request, *, create: bool = False) -> FakeModel:
    """The model of the path, or 404: unknown and deleted models are not found alike. With
    ``create`` and ``auto_create_models``, an unknown model is made up, to be stored by
    ``keep_model`` once the call has succeeded."""
    fake = fake_of(request)
    model_id = request.match_info["model_id"]
    model = fake.state.models.get(model_id)
    if model is None and create and fake.auto_create_models:
        return FakeModel(id=model_id, name=model_id)
    if model is None or model.deleted_at is not None:
        error(404, f"model {model_id} not found")
    return model


def keep_model(request: web.Request, model: FakeModel) -> None:
    """Store a model ``live_model`` made up: the call that needed it succeeded."""
    fake = fake_of(request)
    if model.id not in fake.state.models:
        fake.state.add_model(model)


def query_bool(request: web.Request, name: str) -> bool | None:
    value = request.query.get(name)
    if value is None:
        return None
    if value not in ("true", "false"):
        error(400, f"{name} must be true or false")
    return value == "true"


def query_choice(request: web.Request, name: str, choices: Sequence[str]) -> str | None:
    value = request.query.get(name)
    if value is not None and value not in choices:
        error(400, f"{name} must be one of {', '.join(choices)}")
    return value


def query_list(request: web.Request, name: str) -> list[str] | None:
    """A list parameter, sent repeated (``a=1&a=2``) or comma separated (``a=1,2``)."""
    values = request.query.getall(name, [])
    if not values:
        return None
    return [item for value in values for item in value.split(",") if item]


def query_date(request: web.Request, name: str) -> str | None:
    """An ISO 8601 date parameter, as the canonical string dates are compared by."""
    value = request.query.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        error(400, f"{name} must be an ISO 8601 date")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def decode_image(value: Any, field: str, *, data_url_only: bool) -> tuple[bytes, str]:
    """The bytes and MIME type of an image sent as a data URL (or plain base64 unless
    ``data_url_only``); 400 when it is not valid base64 or not a whole image the service
    takes (PNG, JPEG, WebP, GIF: the type comes from the content, not the URL)."""
    if not isinstance(value, str):
        error(400, f"{field} must be a string")
    match = _DATA_URL.fullmatch(value)
    if match is None and data_url_only:
        error(400, f"{field} must be a base64 image data URL")
    payload = match.group(2) if match else value
    try:
        content = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        error(400, f"{field} is not valid base64")
    problem, mime = image_problem(content, field)
    if problem is not None:
        error(400, problem)
    return content, mime


def paginate(
    request: web.Request,
    items: Sequence[T],
    key: Callable[[T], Any],
    *,
    default: int,
    most: int,
) -> tuple[list[T], str | None]:
    """One page of ``items`` (already filtered and in order) and the next page's token, or
    None on the last page. The token holds the sort key of the page's last item, so a page
    read after items were added or removed starts where the previous one ended; it also
    holds a digest of the query, and is refused with another query."""
    size_text = request.query.get("pageSize")
    size = default
    if size_text is not None:
        if not size_text.isdigit() or not 1 <= int(size_text) <= most:
            error(400, f"pageSize must be a whole number from 1 to {most}")
        size = int(size_text)
    query = sorted(
        (k, v) for k, v in request.query.items() if k not in ("pageSize", "paginationToken")
    )
    digest = hashlib.sha256(json.dumps(query).encode()).hexdigest()[:16]
    start = 0
    token = request.query.get("paginationToken")
    if token is not None:
        after = _read_token(token, digest)
        keys = [key(item) for item in items]
        start = next((i for i, k in enumerate(keys) if _comes_after(k, after)), len(items))
    page = list(items[start : start + size])
    if start + size >= len(items):
        return page, None
    cursor = json.dumps({"after": key(page[-1]), "query": digest}).encode()
    return page, base64.urlsafe_b64encode(cursor).decode().rstrip("=")


def _read_token(token: str, digest: str) -> Any:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after, made_for = data["after"], data["query"]
    except (ValueError, TypeError, KeyError, binascii.Error):
        error(400, "paginationToken is not a token this API gave")
    if made_for != digest:
        error(400, "paginationToken was given for another query")
    return after


def _comes_after(key: Any, after: Any) -> bool:
    """Whether a sort key comes after ``after``: keys are ``[direction, value, seq]`` lists
    whose ``direction`` (1 or -1) says which way the list runs."""
    direction = key[0]
    mine, theirs = key[1:], list(after)[1:]
    return bool(mine > theirs) if direction > 0 else bool(mine < theirs)
