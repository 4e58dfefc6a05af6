"""The typed answers: the reference's full job and model trees, open sets, unknown fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import pytest

from scenario_async._convert import converter, structure, unstructure, wire_names
from scenario_async.types import (
    Job,
    JobStatus,
    Model,
    ModelStatus,
    TrainingImage,
    TrainingImageAddResponse,
    TrainingParameters,
    TrainingStage,
    TrainResponse,
)
from scenario_async.types._base import extra_field

from .conftest import reference_train_answer


def _assert_fully_typed(obj: Any, data: Any, where: str) -> None:
    """Every key of ``data`` is a declared attribute of ``obj`` holding the same value,
    typed all the way down, and nothing fell into ``extra``."""
    if attrs.has(type(obj)):
        assert isinstance(data, dict), where
        assert obj.extra == {}, f"{where}: undeclared fields {sorted(obj.extra)}"
        snake_of = {wire: name for name, wire in wire_names(type(obj)).items()}
        for key, value in data.items():
            assert key in snake_of, f"{where}.{key} is not declared"
            _assert_fully_typed(getattr(obj, snake_of[key]), value, f"{where}.{snake_of[key]}")
    elif isinstance(data, list):
        assert isinstance(obj, list) and len(obj) == len(data), where
        for index, (item, raw) in enumerate(zip(obj, data, strict=True)):
            _assert_fully_typed(item, raw, f"{where}[{index}]")
    elif isinstance(data, dict) and isinstance(obj, dict):
        assert obj.keys() == data.keys(), where
        for key in data:
            _assert_fully_typed(obj[key], data[key], f"{where}[{key!r}]")
    else:
        assert obj == data, f"{where}: {obj!r} != {data!r}"


def test_reference_train_answer_parses_into_the_typed_tree_with_every_field_reachable() -> None:
    data = reference_train_answer()
    answer = structure(data, TrainResponse)
    _assert_fully_typed(answer, data, "answer")
    # Spot checks by snake_case name, through every level of nesting.
    assert answer.job is not None and answer.model is not None
    job, model = answer.job, answer.model
    assert job.metadata is not None and job.metadata.flow is not None
    node = job.metadata.flow[0]
    assert node.inputs is not None and node.inputs[0].items is not None
    nested_input = node.inputs[0].items[0][0]
    assert nested_input.ref is not None and nested_input.ref.conditional == ["string"]
    assert nested_input.required is not None and nested_input.required.always is True
    assert node.logic is not None and node.logic.cases is not None
    assert node.logic.cases[0].condition == "condition"
    assert job.status_history is not None and job.status_history[0].status == "canceled"
    assert job.billing is not None and job.billing.cu_cost == 0
    assert model.class_ is not None and model.class_.concept_prompt == "conceptPrompt"
    assert model.performance_stats is not None and model.performance_stats.variants is not None
    variant = model.performance_stats.variants[0]
    assert variant.cost_per_asset_p50_cu == 0
    assert variant.arena_score is not None and variant.arena_score.rating_upper == 0
    assert model.parameters is not None
    assert model.parameters.learning_rate_text_encoder == 0.0005
    assert model.parameters.num_unet_train_steps == 0
    assert model.ui_config is not None and model.ui_config.input_properties is not None
    assert model.ui_config.input_properties["foo"].collapsed is True
    assert model.ui_config.resolution_component is not None
    assert model.ui_config.trigger_generate is not None
    assert model.ui_config.trigger_generate.position == "bottom"
    assert model.training_progress is not None
    assert model.training_progress.stage is TrainingStage.PENDING
    assert model.training_stats is not None and model.training_stats.ended_at == "endedAt"
    assert model.thumbnail is not None and model.thumbnail.asset_id == "assetId"
    assert model.epochs is not None and model.epochs[0].assets is not None
    assert model.concepts is not None and model.concepts[0].scale == -2
    assert answer.creative_units_cost == 0


def test_documented_values_become_enum_members_that_equal_their_strings() -> None:
    model = structure({"status": "trained"}, Model)
    assert model.status is ModelStatus.TRAINED
    status: object = model.status
    assert status == "trained"
    assert str(model.status) == "trained"


def test_a_value_outside_a_documented_set_is_kept_as_the_plain_string() -> None:
    model = structure({"status": "archived"}, Model)
    job = structure({"status": "paused-by-ops"}, Job)
    assert model.status == "archived" and not isinstance(model.status, ModelStatus)
    assert job.status == "paused-by-ops" and not isinstance(job.status, JobStatus)


def test_missing_fields_are_none_and_unknown_fields_stay_reachable_in_extra() -> None:
    answer = structure(
        {"trainingImage": {"id": "ti_1", "brandNewField": {"x": 1}}, "topLevelNew": 3},
        TrainingImageAddResponse,
    )
    assert answer.training_image.id == "ti_1"
    assert answer.training_image.name is None
    assert answer.training_image.extra == {"brandNewField": {"x": 1}}
    assert answer.extra == {"topLevelNew": 3}


def test_response_objects_are_frozen_and_slotted() -> None:
    model = structure({"id": "m"}, Model)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        model.id = "other"  # type: ignore[misc]
    assert not hasattr(model, "__dict__")


def test_a_parsed_answer_equals_the_one_its_constructor_builds() -> None:
    """Structuring fills the slots without calling ``__init__``: the result must be the same
    object in every way, numbers given as strings included."""
    answer = structure(
        {"trainingImage": {"id": "ti_1", "name": "a.png", "createdAt": 7}},
        TrainingImageAddResponse,
    )
    expected = TrainingImageAddResponse(
        training_image=TrainingImage(id="ti_1", name="a.png", created_at="7")
    )
    assert answer == expected
    assert hash(answer) == hash(expected)
    assert repr(answer) == repr(expected)
    assert answer.extra == {} and answer.training_image.description is None


def test_a_missing_required_field_and_a_wrong_shape_are_errors_not_defaults() -> None:
    with pytest.raises(KeyError, match="trainingImage"):
        structure({"image": {}}, TrainingImageAddResponse)
    with pytest.raises(TypeError, match=r"expected an object \(TrainingImage\), got list"):
        structure({"trainingImage": []}, TrainingImageAddResponse)
    with pytest.raises(TypeError, match="expected a string, got list"):
        structure({"trainingImage": {"name": ["a"]}}, TrainingImageAddResponse)


def test_only_plain_classes_are_structured_without_their_init() -> None:
    """A validator, a converter or a non-None default would be skipped by the generated
    structuring; such a class is refused when its hook is made, naming what is wrong."""

    @attrs.frozen(kw_only=True)
    class Checked:
        size: int | None = attrs.field(default=None, validator=attrs.validators.instance_of(int))
        label: str | None = "x"
        extra: Mapping[str, Any] = extra_field()

    @attrs.frozen(kw_only=True)
    class NoExtra:
        id: str | None = None

    with pytest.raises(TypeError, match="Checked is not a plain answer class: size, label"):
        converter.get_structure_hook(Checked)
    with pytest.raises(TypeError, match="NoExtra is not a plain answer class: no extra field"):
        converter.get_structure_hook(NoExtra)


def test_training_parameters_unstructure_to_camel_case_without_unset_fields() -> None:
    params = TrainingParameters(
        max_train_steps=500,
        learning_rate_unet=1e-4,
        num_unet_train_steps=7,
        lr_scheduler="cosine",
        extra={"futureKnob": True},
    )
    assert unstructure(params) == {
        "maxTrainSteps": 500,
        "learningRateUnet": 1e-4,
        "numUNetTrainSteps": 7,
        "lrScheduler": "cosine",
        "futureKnob": True,
    }


@pytest.mark.parametrize(
    ("data", "cls"),
    [
        ({"trainingImages": "abc"}, Model),
        ({"trainingImagesNumber": "many"}, Model),
        ({"custom": "yes"}, Model),
        ({"progress": [1]}, Job),
        ("not an object", Model),
    ],
)
def test_wrong_shapes_are_rejected_instead_of_coerced(data: Any, cls: type[Any]) -> None:
    with pytest.raises(Exception):  # noqa: B017,PT011 - wrapped into APIResponseValidationError by the wire layer
        structure(data, cls)


def test_every_exported_name_resolves() -> None:
    import scenario_async
    import scenario_async.types as types

    for name in types.__all__:
        assert getattr(types, name).__name__ == name
    for name in scenario_async.__all__:
        assert getattr(scenario_async, name) is not None
    with pytest.raises(AttributeError, match="Nothing"):
        _ = types.Nothing  # type: ignore[attr-defined]
    assert sorted(scenario_async.__all__) == sorted(set(scenario_async.__all__))
