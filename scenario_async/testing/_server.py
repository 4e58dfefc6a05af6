"""FakeScenario: the fake API as an object you start, inspect and point clients at."""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections import Counter
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from aiohttp import web
from anyio.from_thread import start_blocking_portal

from .._client import AsyncScenario
from ..sync import Scenario
from ._app import RecordedRequest, build_app
from ._faults import FaultPlan
from ._state import FakeAsset, FakeModel, FakeState, FakeTrainingImage, iso_now, new_id, tidy_name

__all__ = ["FakeScenario"]

DEFAULT_API_KEY = "test-key"
DEFAULT_API_SECRET = "test-secret"


class FakeScenario:
    """An in-memory Scenario API on aiohttp.web.

    ``async with FakeScenario() as fake:`` serves it in the running loop;
    ``with FakeScenario().serve_in_thread() as fake:`` serves it from a thread of its own, for
    sync code. ``fake.client()`` and ``fake.sync_client()`` make clients pointed at it.

    Training runs follow the clock: ``queue_duration`` seconds queued, then
    ``training_duration`` seconds running with rising progress, then ``trained`` (or
    ``failed`` for a model seeded with ``training_outcome="failed"``).

    ``tidy_names=True`` stores every training-image and asset name as the service may:
    Unicode NFC, surrounding spaces trimmed (see ``tidy_name``), and answers with the tidied
    name, so that tests can check a client that matches names finds its own uploads.
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        host: str = "127.0.0.1",
        port: int = 0,
        queue_duration: float = 0.2,
        training_duration: float = 1.0,
        latency: float = 0.0,
        auto_create_models: bool = True,
        record_requests: bool = True,
        faults: FaultPlan | None = None,
        keepalive_timeout: float = 75.0,
        tidy_names: bool = False,
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        token = base64.b64encode(f"{api_key}:{api_secret}".encode()).decode()
        self.expected_authorization = f"Basic {token}"
        self.host = host
        self.port = port
        self.queue_duration = queue_duration
        self.training_duration = training_duration
        self.latency = latency
        self.auto_create_models = auto_create_models
        self.record_requests = record_requests
        #: The fault plan in force (see docs/testing.md); may be replaced between requests.
        self.faults = faults
        #: Seconds an idle keep-alive connection stays open before the server closes it.
        self.keepalive_timeout = keepalive_timeout
        #: Store names tidied (NFC, stripped), as the service may; may be changed at any time.
        self.tidy_names = tidy_names
        #: How many faults of each kind were injected.
        self.faults_injected: Counter[str] = Counter()
        self.state = FakeState()
        #: Every request received, in arrival order (the Authorization header left out).
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        #: The largest number of requests the fake API was handling at the same time.
        self.peak_in_flight = 0
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port/v1``, known once the server has started."""
        if self._base_url is None:
            raise RuntimeError("the fake API has not been started")
        return self._base_url

    async def start(self) -> None:
        self._runner = web.AppRunner(
            build_app(self), access_log=None, keepalive_timeout=self.keepalive_timeout
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._base_url = f"http://{self.host}:{self.port}/v1"

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeScenario:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @contextlib.contextmanager
    def serve_in_thread(self) -> Iterator[FakeScenario]:
        """Serve from a private event-loop thread until the block ends."""
        with start_blocking_portal() as portal, portal.wrap_async_context_manager(self):
            yield self

    def client(self, **options: Any) -> AsyncScenario:
        """An AsyncScenario with this fake API's URL and credentials (and no proxy from the
        environment: the fake is on this machine)."""
        options.setdefault("api_key", self.api_key)
        options.setdefault("api_secret", self.api_secret)
        options.setdefault("trust_env", False)
        return AsyncScenario(base_url=self.base_url, **options)

    def sync_client(self, **options: Any) -> Scenario:
        """A Scenario (sync) with this fake API's URL and credentials, no proxy."""
        options.setdefault("api_key", self.api_key)
        options.setdefault("api_secret", self.api_secret)
        options.setdefault("trust_env", False)
        return Scenario(base_url=self.base_url, **options)

    # Seeding and inspection ------------------------------------------------------------

    def add_model(
        self, model_id: str | None = None, *, name: str = "", training_outcome: str = "trained"
    ) -> FakeModel:
        """Create a model (an id is made up when none is given). ``training_outcome`` is
        how its training runs end: ``"trained"`` or ``"failed"``."""
        model_id = model_id or new_id("model")
        model = FakeModel(id=model_id, name=name or model_id, training_outcome=training_outcome)
        self.state.models[model_id] = model
        return model

    def add_asset(self, content: bytes = b"", *, name: str = "asset.png") -> FakeAsset:
        """An existing asset, to be added to models by id."""
        name = tidy_name(name) if self.tidy_names else name
        return self.state.add_asset_from_bytes(content, name=name, mime_type="image/png")

    def add_training_image(
        self, model_id: str, *, name: str = "seed.png", content: bytes | None = None
    ) -> FakeTrainingImage:
        """A training image already on the model (the model is made if need be), as an earlier
        upload left it. With ``content``, its sha256 and size are kept, so a test can seed an
        older image of the same name and other (or the same) bytes than the one it uploads."""
        model = self.state.models.get(model_id) or self.add_model(model_id)
        image = FakeTrainingImage(
            id=new_id("asset"),
            name=tidy_name(name) if self.tidy_names else name,
            created_at=iso_now(),
        )
        if content is not None:
            image.sha256 = hashlib.sha256(content).hexdigest()
            image.size = len(content)
        model.training_images.append(image)
        return image

    def training_images(self, model_id: str) -> list[FakeTrainingImage]:
        model = self.state.models.get(model_id)
        return list(model.training_images) if model else []

    def stored_contents(self, model_id: str) -> Counter[str]:
        """How many times each content (sha256 hex) is stored on the model: the check of
        exactly-once is ``all(n == 1 for n in fake.stored_contents(m).values())``. Images
        seeded without ``content`` have no hash and are left out."""
        model = self.state.models.get(model_id)
        images = model.training_images if model else []
        return Counter(image.sha256 for image in images if image.sha256 is not None)
