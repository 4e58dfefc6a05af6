"""The fake storage host: where the parts of a multipart upload go, and where a downloaded
model's weights are fetched from.

The one assumption of the fake about ``/uploads`` lives here (Scenario's pages say only that
an upload answers "a list of URLs for each part of the file"): as with the usual pre-signed
part URLs, each part (the file cut into ``parts`` pieces in order, the last one shorter) is
sent as an HTTP ``PUT`` of its raw bytes to its ``url``. That URL is on a host other than the
API (here: a second port), carries its own signature and expiry, and takes no API
credentials. A part sent again replaces the one before, as on S3. A part must come with its
``Content-Length`` (S3 refuses a chunked body: 411). What the parts add up to is checked only
when the upload is completed, and so is, if ``Storage.min_part_bytes`` is set, S3's floor on
the size of every part but the last (``EntityTooSmall``: 5 MiB on S3, none by default).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from ._http import FAKE_KEY, fake_of, request_now
from ._serve import Handler, serve
from ._state import FakeUpload, iso_at

if TYPE_CHECKING:
    from ._server import FakeScenario

__all__ = ["Storage", "build_storage_app"]

#: The largest part the storage host takes in one PUT.
MAX_PART_BYTES = 1024**3


class Storage:
    """Signs and checks the storage host's URLs. ``base_url`` is known once it serves."""

    def __init__(self, url_ttl: float) -> None:
        self.url_ttl = url_ttl
        #: The smallest part but the last that completing an upload accepts (S3: 5 MiB);
        #: 0, the default, takes parts of any size. May be changed at any time.
        self.min_part_bytes = 0
        self.base_url = ""
        self._key = secrets.token_bytes(32)

    def _signature(self, path: str, expires: int) -> str:
        message = f"{path}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def signed_url(self, path: str) -> tuple[str, str]:
        """(a URL for ``path`` good for ``url_ttl`` seconds, its expiry as an ISO date)."""
        expires = int(time.time() + self.url_ttl)
        query = urlencode({"expires": expires, "signature": self._signature(path, expires)})
        return f"{self.base_url}{path}?{query}", iso_at(expires)

    def part_urls(self, upload: FakeUpload) -> list[dict[str, Any]]:
        """The ``parts`` of a new upload: where each part goes, numbered from 1."""
        parts = []
        for number in range(1, upload.parts_count + 1):
            url, expires = self.signed_url(f"/storage/uploads/{upload.id}/parts/{number}")
            parts.append({"number": number, "url": url, "expires": expires})
        return parts

    def refusal(self, request: web.Request) -> web.Response | None:
        """The storage host's 403 for a URL it did not sign or that has expired, else None."""
        expires_text = request.query.get("expires", "")
        signature = request.query.get("signature", "")
        if not expires_text.isdigit() or not hmac.compare_digest(
            signature, self._signature(request.path, int(expires_text))
        ):
            return _storage_error(403, "SignatureDoesNotMatch", "the URL is not signed")
        if time.time() > int(expires_text):
            return _storage_error(403, "AccessDenied", "Request has expired")
        return None


def _storage_error(status: int, code: str, message: str) -> web.Response:
    """An error as an S3-like storage host answers it: XML, not the API's JSON."""
    body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return web.Response(text=body, status=status, content_type="application/xml")


def build_storage_app(fake: FakeScenario) -> web.Application:
    app = web.Application(middlewares=[_middleware], client_max_size=MAX_PART_BYTES)
    app[FAKE_KEY] = fake
    app.router.add_put("/storage/uploads/{upload_id}/parts/{number}", _put_part)
    app.router.add_get("/storage/models/{model_id}/{epoch}", _get_weights)
    return app


@web.middleware
async def _middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    return await serve(request.app[FAKE_KEY], request, handler, api=False)


async def _put_part(request: web.Request) -> web.Response:
    fake = fake_of(request)
    refusal = fake.storage.refusal(request)
    if refusal is not None:
        return refusal
    upload = fake.state.uploads.get(request.match_info["upload_id"])
    if upload is None or upload.status(request_now()) != "pending":
        return _storage_error(404, "NoSuchUpload", "the upload is unknown or complete")
    if request.content_length is None:
        return _storage_error(
            411, "MissingContentLength", "You must provide the Content-Length HTTP header."
        )
    content = await request.read()
    upload.parts[int(request.match_info["number"])] = content
    return web.Response(status=200, headers={"ETag": f'"{hashlib.md5(content).hexdigest()}"'})


async def _get_weights(request: web.Request) -> web.Response:
    """A downloaded model's weights: a few bytes that name the model and the epoch."""
    fake = fake_of(request)
    refusal = fake.storage.refusal(request)
    if refusal is not None:
        return refusal
    model_id, epoch = request.match_info["model_id"], request.match_info["epoch"]
    content = f"fake weights of model {model_id}, epoch {epoch}\n".encode()
    return web.Response(body=content, content_type="application/octet-stream")
