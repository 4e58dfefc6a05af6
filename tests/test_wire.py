"""The pure wire layer: requests built, answers read, retry timing decided, no I/O."""

from __future__ import annotations

import email.utils
import json

import pytest

from scenario_async import (
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from scenario_async._wire import (
    JSON_HEADERS,
    MAX_BACKOFF,
    build_request,
    error_from_response,
    path_segment,
    read_success,
    retry_delay,
    should_retry_status,
)
from scenario_async.types import TrainingImageAddResponse

HEADERS = {"Authorization": "Basic abc"}


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("model_x", "model_x"),
        ("../assets", "..%2Fassets"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a?b#c", "a%3Fb%23c"),
        ("50%", "50%25"),
        ("héllo wörld", "h%C3%A9llo%20w%C3%B6rld"),
    ],
)
def test_path_segments_are_percent_encoded_so_ids_cannot_change_the_route(
    raw: str, encoded: str
) -> None:
    assert path_segment(raw) == encoded


def test_build_request_sends_booleans_as_true_false_and_leaves_out_none() -> None:
    request = build_request(
        "POST",
        "https://h/v1",
        "/models/m/training-images",
        headers=HEADERS,
        query={"originalAssets": True, "projectId": None, "dryRun": False},
        body={"assetId": "a"},
    )
    assert request.url == "https://h/v1/models/m/training-images?originalAssets=true&dryRun=false"
    assert request.body == b'{"assetId":"a"}'
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == "Basic abc"


def test_build_request_merges_extras_and_sends_an_empty_object_as_is() -> None:
    request = build_request(
        "PUT",
        "https://h/v1",
        "/models/m/train",
        headers=HEADERS,
        body={},
        extra_headers={"X-Trace": "1"},
        extra_query={"beta": True},
        extra_body={"newField": 1},
    )
    assert request.url == "https://h/v1/models/m/train?beta=true"
    assert isinstance(request.body, bytes)
    assert json.loads(request.body) == {"newField": 1}
    assert request.headers["X-Trace"] == "1"
    assert build_request("PUT", "https://h", "/x", headers={}, body={}).body == b"{}"


def test_build_request_without_a_body_sends_no_content_type() -> None:
    request = build_request("GET", "https://h/v1", "/models/m", headers=HEADERS)
    assert request.body is None
    assert "Content-Type" not in request.headers


def test_json_bodies_without_extra_headers_share_one_read_only_header_mapping() -> None:
    """Built once and handed to aiohttp as is; nobody can change it for later requests."""
    first = build_request("POST", "https://h", "/a", headers={}, body={"a": "b"})
    second = build_request("PUT", "https://h", "/b", headers={}, body={})
    assert first.headers is second.headers is JSON_HEADERS
    assert dict(JSON_HEADERS) == {"Content-Type": "application/json"}
    with pytest.raises(TypeError):
        first.headers["X-Trace"] = "1"  # type: ignore[index]
    traced = build_request("POST", "https://h", "/a", headers={}, body={}, extra_headers=HEADERS)
    assert dict(traced.headers) == {**HEADERS, "Content-Type": "application/json"}
    assert dict(JSON_HEADERS) == {"Content-Type": "application/json"}
    assert build_request("GET", "https://h", "/a", headers={}).headers == {}


def test_extra_body_cannot_extend_an_array_body() -> None:
    with pytest.raises(TypeError, match="extra_body"):
        build_request("PUT", "https://h", "/p", headers={}, body=[], extra_body={"a": 1})


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_each_status_maps_to_its_error_class(status: int, cls: type[APIStatusError]) -> None:
    error = error_from_response(status, {}, b"{}", method="GET", url="https://h/x")
    assert type(error) is cls
    assert error.status_code == status
    assert error.method == "GET" and error.url == "https://h/x"


@pytest.mark.parametrize("key", ["message", "reason", "error", "apiError"])
def test_the_server_message_is_found_under_each_known_key(key: str) -> None:
    raw = json.dumps({key: "model not ready"}).encode()
    error = error_from_response(
        400, {"Content-Type": "application/json"}, raw, method="PUT", url="u"
    )
    assert error.server_message == "model not ready"
    assert error.body == {key: "model not ready"}
    assert "model not ready" in str(error)


def test_a_nested_api_error_message_is_found() -> None:
    raw = b'{"apiError": {"message": "quota exceeded"}}'
    error = error_from_response(403, {}, raw, method="POST", url="u")
    assert error.server_message == "quota exceeded"


def test_an_html_502_page_is_an_internal_server_error_carrying_the_text() -> None:
    raw = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    error = error_from_response(502, {"Content-Type": "text/html"}, raw, method="POST", url="u")
    assert isinstance(error, InternalServerError)
    assert error.body == raw.decode()
    assert error.server_message is None
    assert "502 Bad Gateway" in str(error)


def test_an_empty_error_body_still_gives_a_typed_error() -> None:
    error = error_from_response(503, {}, b"", method="GET", url="https://h/x")
    assert isinstance(error, InternalServerError)
    assert str(error) == "GET https://h/x answered 503"


def test_truncated_json_on_success_is_a_response_validation_error() -> None:
    with pytest.raises(APIResponseValidationError, match="not JSON") as info:
        read_success(
            200, b'{"trainingImage": {"id"', TrainingImageAddResponse, method="POST", url="u"
        )
    assert info.value.status_code == 200


@pytest.mark.parametrize(
    "raw",
    [b'{"trainingImage": {}} {"trainingImage": {}}', b'{"trainingImage": {}}x', b"", b"\xff{}"],
    ids=["two values", "trailing garbage", "empty", "not utf-8"],
)
def test_a_success_that_is_not_exactly_one_json_value_is_a_response_validation_error(
    raw: bytes,
) -> None:
    with pytest.raises(APIResponseValidationError, match="not JSON"):
        read_success(200, raw, TrainingImageAddResponse, method="POST", url="u")


def test_whitespace_around_a_json_answer_is_allowed() -> None:
    answer = read_success(
        200,
        b'\r\n {"trainingImage": {"id": "a"}}\n ',
        TrainingImageAddResponse,
        method="POST",
        url="u",
    )
    assert answer.training_image.id == "a"


def test_a_success_without_training_image_is_a_response_validation_error() -> None:
    with pytest.raises(APIResponseValidationError, match="TrainingImageAddResponse"):
        read_success(200, b'{"other": 1}', TrainingImageAddResponse, method="POST", url="u")


def test_an_unspecified_answer_is_returned_as_json_or_none() -> None:
    assert read_success(200, b"", None, method="DELETE", url="u") is None
    assert read_success(200, b'{"ok": true}', None, method="DELETE", url="u") == {"ok": True}
    assert read_success(204, b"  ", None, method="DELETE", url="u") is None


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (400, False),
        (401, False),
        (404, False),
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
    ],
)
def test_which_statuses_are_worth_retrying(status: int, retry: bool) -> None:
    assert should_retry_status(status) is retry


def test_retry_after_in_seconds_is_honoured() -> None:
    assert retry_delay(0, {"Retry-After": "3"}) == 3.0


def test_retry_after_ms_wins_over_retry_after() -> None:
    assert retry_delay(0, {"retry-after-ms": "250", "Retry-After": "9"}) == 0.25


def test_retry_after_as_an_http_date_is_honoured() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 5, usegmt=True)
    assert retry_delay(0, {"Retry-After": header}, now=now) == pytest.approx(5.0)


def test_an_absurd_retry_after_falls_back_to_capped_backoff() -> None:
    delay = retry_delay(2, {"Retry-After": "86400"})
    assert 0.75 * 2.0 <= delay <= 2.0


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0)]:
        delay = retry_delay(attempt)
        assert 0.75 * ceiling <= delay <= ceiling
    assert retry_delay(30) <= MAX_BACKOFF
