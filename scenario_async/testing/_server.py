"""FakeScenario: the fake API as an object you start, inspect and point clients at."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

from aiohttp import web
from anyio.from_thread import start_blocking_portal

from .._client import AsyncScenario
from ..images import sniff_mime_type
from ..sync import Scenario
from ._app import RecordedRequest, build_app
from ._faults import FaultPlan
from ._state import (
    FakeAsset,
    FakeJob,
    FakeModel,
    FakeState,
    FakeTrainingImage,
    iso_now,
    new_id,
    tidy_name,
)
from ._storage import Storage, build_storage_app

__all__ = ["FakeScenario"]

DEFAULT_API_KEY = "test-key"
DEFAULT_API_SECRET = "test-secret"


class FakeScenario:
    """An in-memory Scenario API on aiohttp.web, strict as the service is.

    ``async with FakeScenario() as fake:`` serves it in the running loop;
    ``with FakeScenario().serve_in_thread() as fake:`` serves it from a thread of its own, for
    sync code. ``fake.client()`` and ``fake.sync_client()`` make clients pointed at it.

    A model exists once created (``POST /models``) or seeded: ``FakeScenario(models=["m"])``
    or ``fake.add_model("m")``. Any call on another model id answers 404, and a refused call
    changes nothing. ``auto_create_models=True`` brings back the old leniency: an accepted
    training-image add to an unknown model creates it.

    Training runs follow the clock: ``queue_duration`` seconds queued, then
    ``training_duration`` seconds running with rising progress, then ``trained`` (with
    epochs, training stats and a finished progress) or ``failed`` for a model seeded with
    ``training_outcome="failed"``. A completed upload is ``validating`` for
    ``validation_duration`` seconds. Part URLs are served by a second server, the storage
    host (``storage_url``), good for ``part_url_ttl`` seconds.

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
        models: Iterable[str] = (),
        auto_create_models: bool = False,
        record_requests: bool = True,
        faults: FaultPlan | None = None,
        keepalive_timeout: float = 75.0,
        tidy_names: bool = False,
        validation_duration: float = 0.05,
        part_url_ttl: float = 3600.0,
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
        #: An accepted training-image add to an unknown model creates it (off: 404).
        self.auto_create_models = auto_create_models
        self.validation_duration = validation_duration
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
        #: Every request the API received, in arrival order (the Authorization header left out).
        self.requests: list[RecordedRequest] = []
        #: Every request the storage host received (part uploads, weights); an Authorization
        #: header shows as ``<redacted>``: none belongs there.
        self.storage_requests: list[RecordedRequest] = []
        self.storage = Storage(part_url_ttl)
        self.in_flight = 0
        #: The largest number of requests the fake API was handling at the same time.
        self.peak_in_flight = 0
        self._runners: list[web.AppRunner] = []
        self._base_url: str | None = None
        for model_id in models:
            self.add_model(model_id)

    @property
    def base_url(self) -> str:
        """``http://host:port/v1``, known once the server has started."""
        if self._base_url is None:
            raise RuntimeError("the fake API has not been started")
        return self._base_url

    @property
    def storage_url(self) -> str:
        """``http://host:port`` of the storage host, known once the server has started."""
        if not self.storage.base_url:
            raise RuntimeError("the fake API has not been started")
        return self.storage.base_url

    async def start(self) -> None:
        try:
            api_port = await self._serve(build_app(self), self.port)
            storage_port = await self._serve(build_storage_app(self), 0)
        except BaseException:
            await self.stop()
            raise
        self.port = api_port
        self._base_url = f"http://{self.host}:{api_port}/v1"
        self.storage.base_url = f"http://{self.host}:{storage_port}"

    async def _serve(self, app: web.Application, port: int) -> int:
        runner = web.AppRunner(app, access_log=None, keepalive_timeout=self.keepalive_timeout)
        await runner.setup()
        self._runners.append(runner)
        await web.TCPSite(runner, self.host, port).start()
        served: int = runner.addresses[0][1]
        return served

    async def stop(self) -> None:
        runners, self._runners = self._runners, []
        for runner in runners:
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
        self,
        model_id: str | None = None,
        *,
        name: str = "",
        training_outcome: str = "trained",
        type: str = "flux.1-lora",
        trained: bool = False,
    ) -> FakeModel:
        """Create a model (an id is made up when none is given), as ``POST /models`` would.
        ``training_outcome`` is how its training runs end: ``"trained"`` or ``"failed"``;
        ``trained=True`` seeds it trained already (one training image, epochs, stats)."""
        model_id = model_id or new_id("model")
        model = FakeModel(
            id=model_id, name=name or model_id, type=type, training_outcome=training_outcome
        )
        self.state.add_model(model)
        if trained:
            self.add_training_image(model_id)
            now = time.monotonic()
            run = FakeJob(
                job_id=new_id("job"),
                job_type="model-training",
                seq=self.state.next_seq(),
                started=now,
                queue_duration=0.0,
                run_duration=0.0,
                input={"modelId": model_id},
                output={"modelId": model_id},
            )
            self.state.start_training(model, run)
            self.state.advance(now)
        return model

    def add_asset(self, content: bytes = b"", *, name: str = "asset.png") -> FakeAsset:
        """An existing asset, to be added to models by id. Its content is not checked: a
        seed is whatever the test needs."""
        name = tidy_name(name) if self.tidy_names else name
        mime = sniff_mime_type(content[:16]) or "image/png"
        return self.state.add_asset_from_bytes(content, name=name, mime_type=mime)

    def add_job(
        self, job_type: str = "inference", *, duration: float = 60.0, succeeds: bool = True
    ) -> FakeJob:
        """A job of another kind than the fake makes itself (an inference, by default: the
        only kind the service cancels through ``POST /jobs/{id}/action``), running for
        ``duration`` seconds from now."""
        job = FakeJob(
            job_id=new_id("job"),
            job_type=job_type,
            seq=self.state.next_seq(),
            started=time.monotonic(),
            queue_duration=0.0,
            run_duration=duration,
            succeeds=succeeds,
        )
        self.state.jobs[job.job_id] = job
        return job

    def add_training_image(
        self, model_id: str, *, name: str = "seed.png", content: bytes | None = None
    ) -> FakeTrainingImage:
        """A training image already on the model (the model is made if need be: seeding is
        not a call the service judges), as an earlier upload left it. With ``content``, its
        sha256 and size are kept, so a test can seed an older image of the same name and
        other (or the same) bytes than the one it uploads."""
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
