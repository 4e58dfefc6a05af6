"""An embedded fake Scenario API, for this SDK's tests and yours.

>>> async with FakeScenario(models=["model_x"]) as fake:
...     async with fake.client() as client:
...         await client.models.training_images.add("model_x", data=data_url, name="a.png")

Like the service, it knows only the models created (``POST /models``) or seeded
(``models=[...]``, ``fake.add_model``). With pytest, the ``fake_scenario`` fixture (installed
with the package) serves one per test; ``fake_scenario_options`` seeds it.
"""

from ._app import RecordedRequest
from ._faults import FAULT_KINDS, MIXED_KINDS, FaultPlan
from ._images import make_gif, make_jpeg, make_png, make_webp
from ._server import DEFAULT_API_KEY, DEFAULT_API_SECRET, FakeScenario
from ._state import FakeAsset, FakeJob, FakeModel, FakeTrainingImage, FakeUpload, tidy_name

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "FAULT_KINDS",
    "MIXED_KINDS",
    "FakeAsset",
    "FakeJob",
    "FakeModel",
    "FakeScenario",
    "FakeTrainingImage",
    "FakeUpload",
    "FaultPlan",
    "RecordedRequest",
    "make_gif",
    "make_jpeg",
    "make_png",
    "make_webp",
    "tidy_name",
]
