"""The fake API's HTTP side: every endpoint of the training workflow under ``/v1``, as
``endpoints.json`` of the published surface lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from . import _jobs, _models, _training
from ._http import FAKE_KEY
from ._serve import Handler, RecordedRequest, serve

if TYPE_CHECKING:
    from ._server import FakeScenario

__all__ = ["RecordedRequest", "build_app"]


def build_app(fake: FakeScenario) -> web.Application:
    app = web.Application(middlewares=[_middleware], client_max_size=64 * 1024**2)
    app[FAKE_KEY] = fake
    add = app.router.add_route
    model = "/v1/models/{model_id}"
    images = model + "/training-images"
    routes: list[tuple[str, str, Handler]] = [
        ("POST", "/v1/models", _models.create_model),
        ("GET", "/v1/models", _models.list_models),
        ("GET", model, _models.get_model),
        ("PUT", model, _models.update_model),
        ("DELETE", model, _models.delete_model),
        ("POST", model + "/restore", _models.restore_model),
        ("POST", model + "/copy", _models.copy_model),
        ("POST", model + "/download", _models.download_model),
        ("DELETE", model + "/images", _models.delete_model_images),
        ("GET", model + "/scores/training-dataset", _models.training_dataset_score),
        ("PUT", model + "/train", _training.train),
        ("POST", model + "/train/action", _training.train_action),
        ("POST", images, _training.add_image),
        ("PUT", images + "/pairs", _training.replace_pairs),
        ("PUT", images + "/{image_id}", _training.replace_image),
        ("DELETE", images + "/{image_id}", _training.delete_image),
        ("GET", "/v1/jobs", _jobs.list_jobs),
        ("GET", "/v1/jobs/{job_id}", _jobs.get_job),
        ("POST", "/v1/jobs/{job_id}/action", _jobs.job_action),
        ("POST", "/v1/assets", _jobs.upload_asset),
        ("GET", "/v1/assets/{asset_id}", _jobs.get_asset),
        ("POST", "/v1/uploads", _jobs.create_upload),
        ("GET", "/v1/uploads/{upload_id}", _jobs.get_upload),
        ("POST", "/v1/uploads/{upload_id}/action", _jobs.complete_upload),
    ]
    for method, path, handler in routes:
        add(method, path, handler)
    return app


@web.middleware
async def _middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    return await serve(request.app[FAKE_KEY], request, handler, api=True)
