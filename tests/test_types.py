"""The typed answers: the reference's full job and model trees, open sets, unknown fields."""

from __future__ import annotations

import inspect
import json
import warnings
from collections.abc import Mapping
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenario_async import APIResponseValidationError
from scenario_async._convert import converter, find_mismatch, structure, unstructure, wire_names
from scenario_async._wire import read_success
from scenario_async.resources.train import parameters_to_wire
from scenario_async.types import (
    FlowNode,
    FlowNodeStatus,
    FlowNodeType,
    Input,
    Job,
    JobListPage,
    JobRetrieveResponse,
    JobStatus,
    Model,
    ModelCapability,
    ModelListPage,
    ModelRetrieveResponse,
    ModelStatus,
    TrainingImage,
    TrainingImageAddResponse,
    TrainingImageReplacePairsResponse,
    TrainingParameters,
    TrainingStage,
    TrainResponse,
)
from scenario_async.types._base import extra_field

from .conftest import reference_train_answer
from .test_parser_fuzz import PATHS, REFERENCE, _replace, json_values


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
    assert model.parameters.num_u_net_train_steps == 0
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
    model = structure({"id": "m", "status": "trained"}, Model)
    assert model.status is ModelStatus.TRAINED
    status: object = model.status
    assert status == "trained"
    assert str(model.status) == "trained"


def test_a_value_outside_a_documented_set_is_kept_as_the_plain_string() -> None:
    model = structure({"id": "m", "status": "archived"}, Model)
    job = structure({"jobId": "j", "status": "paused-by-ops"}, Job)
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
        structure({"trainingImage": {"id": "t", "name": ["a"]}}, TrainingImageAddResponse)


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
        num_u_net_train_steps=7,
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
        ({"id": "m", "trainingImages": "abc"}, Model),
        ({"id": "m", "trainingImagesNumber": "many"}, Model),
        ({"id": "m", "trainingImagesNumber": True}, Model),
        ({"id": "m", "custom": "yes"}, Model),
        ({"jobId": "j", "progress": [1]}, Job),
        ("not an object", Model),
    ],
)
def test_wrong_shapes_are_rejected_instead_of_coerced(data: Any, cls: type[Any]) -> None:
    with pytest.raises(Exception):  # noqa: B017,PT011 - wrapped into APIResponseValidationError by the wire layer
        structure(data, cls)


def test_every_exported_name_resolves() -> None:
    import scenario_async
    import scenario_async.types as types

    # The published client's names for two answers we had named already.
    aliases = {
        "TrainTriggerResponse": "TrainResponse",
        "TrainActionResponse": "ModelRetrieveResponse",
    }
    for name in types.__all__:
        assert getattr(types, name).__name__ == aliases.get(name, name)
    for name in scenario_async.__all__:
        assert getattr(scenario_async, name) is not None
    with pytest.raises(AttributeError, match="Nothing"):
        _ = types.Nothing  # type: ignore[attr-defined]
    assert sorted(scenario_async.__all__) == sorted(set(scenario_async.__all__))


# --- Numbers: a schema "number" is any JSON number --------------------------------------


@pytest.mark.parametrize(
    ("data", "cls", "read"),
    [
        ({"count": 2.5, "pairs": []}, TrainingImageReplacePairsResponse, lambda a: a.count),
        ({"id": "m", "trainingImagesNumber": 3.5}, Model, lambda m: m.training_images_number),
        (
            {"id": "m", "trainingProgress": {"stage": "queued-for-train", "position": 1.5}},
            Model,
            lambda m: m.training_progress.position,
        ),
        ({"batchSize": 0.5, "seed": 42.25}, TrainingParameters, lambda p: (p.batch_size, p.seed)),
        ({"maxLength": 10.5, "minDuration": 0.5}, Input, lambda i: (i.max_length, i.min_duration)),
        ({"id": "n", "count": 1.5, "iterationIndex": 0.5}, FlowNode, lambda n: n.count),
    ],
)
def test_a_number_field_takes_a_value_that_is_not_whole(
    data: dict[str, Any], cls: type[Any], read: Any
) -> None:
    value = read(structure(data, cls))
    values = value if isinstance(value, tuple) else (value,)
    assert all(isinstance(v, float) and not v.is_integer() for v in values), value


def test_a_whole_number_stays_an_int_and_bools_and_strings_are_refused() -> None:
    params = structure(
        {"batchSize": 4, "learningRate": 1e-4, "maxTrainSteps": 500}, TrainingParameters
    )
    assert params.batch_size == 4 and type(params.batch_size) is int
    assert type(params.max_train_steps) is int and type(params.learning_rate) is float
    for wrong in (True, "4", [4], {"n": 4}):
        with pytest.raises(TypeError, match="expected a number"):
            structure({"batchSize": wrong}, TrainingParameters)


def test_an_integer_field_takes_a_whole_float_but_not_a_fraction() -> None:
    assert structure({"id": "m", "accessRestrictions": 25.0}, Model).access_restrictions == 25
    with pytest.raises(TypeError, match="expected an integer"):
        structure({"id": "m", "accessRestrictions": 25.5}, Model)


# --- Value sets ------------------------------------------------------------------------


def test_a_flow_node_status_has_its_own_value_set() -> None:
    node = structure({"id": "n", "status": "processing", "type": "for-each"}, FlowNode)
    assert node.status is FlowNodeStatus.PROCESSING and node.type is FlowNodeType.FOR_EACH
    assert "processing" not in {member.value for member in JobStatus}


def test_value_sets_inside_lists_and_new_values_in_them() -> None:
    model = structure({"id": "m", "capabilities": ["txt2img", "txt2hologram"]}, Model)
    assert model.capabilities == ["txt2img", "txt2hologram"]
    assert model.capabilities[0] is ModelCapability.TXT2IMG
    assert not isinstance(model.capabilities[1], ModelCapability)


def test_the_train_answer_types_its_cost_details_and_ip_detection() -> None:
    answer = structure(
        {
            "creativeUnitsCost": 12.5,
            "costDetails": {"train-model": 10, "quality-gate": 2.5, "new-action": 1},
            "ipDetection": {
                "action": "flagged",
                "findings": [{"filterId": "f1", "category": "brand-trademark"}],
            },
        },
        TrainResponse,
    )
    assert answer.job is None and answer.model is None  # a dry run: the cost only
    assert answer.cost_details is not None
    assert answer.cost_details.train_model == 10 and answer.cost_details.quality_gate == 2.5
    assert answer.cost_details.extra == {"new-action": 1}
    assert answer.ip_detection is not None and answer.ip_detection.action == "flagged"
    assert answer.ip_detection.findings is not None
    assert answer.ip_detection.findings[0].filter_id == "f1"


# --- Required fields and the path of what failed ----------------------------------------


def test_an_identifier_is_typed_as_always_present() -> None:
    answer = structure({"trainingImage": {"id": "ti_1"}}, TrainingImageAddResponse)
    image_id: str = answer.training_image.id  # no narrowing from str | None needed
    assert image_id == "ti_1"
    with pytest.raises(TypeError):
        TrainingImage()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("raw", "cls", "path"),
    [
        (
            {
                "model": {
                    "id": "m",
                    "trainingImages": [{"id": "a"}, {"id": "b", "createdAt": ["x"]}],
                }
            },
            ModelRetrieveResponse,
            "model.trainingImages[1].createdAt: expected a string, got list",
        ),
        (
            {"model": {"id": "m", "trainingImages": [{"id": "a"}, {"name": "b.png"}]}},
            ModelRetrieveResponse,
            "model.trainingImages[1].id: a required field is missing",
        ),
        (
            {"trainingImage": {"name": "a.png"}},
            TrainingImageAddResponse,
            "trainingImage.id: a required",
        ),
        ({"image": {}}, TrainingImageAddResponse, "trainingImage: a required field is missing"),
        (
            {"job": {"jobId": None}},
            JobRetrieveResponse,
            "job.jobId: expected a string, got NoneType",
        ),
        (
            {"model": {"id": "m", "uiConfig": {"inputProperties": {"a.b": {"collapsed": "no"}}}}},
            ModelRetrieveResponse,
            'model.uiConfig.inputProperties["a.b"].collapsed: expected a boolean',
        ),
        (
            {"models": [{"id": "m", "trainingProgress": {"position": "first"}}]},
            ModelListPage,
            "models[0].trainingProgress.position: expected a number, got str",
        ),
        ([1, 2], JobListPage, "the answer itself: expected an object (JobListPage), got list"),
    ],
)
def test_a_validation_error_names_the_wire_path_of_the_field(
    raw: Any, cls: type[Any], path: str
) -> None:
    with pytest.raises(APIResponseValidationError) as info:
        read_success(200, json.dumps(raw).encode(), cls, method="GET", url="u")
    assert f"is not a {cls.__name__}: {path}" in str(info.value)


def test_the_path_is_searched_for_only_after_the_fast_structuring_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import scenario_async._convert as convert

    calls: list[Any] = []
    monkeypatch.setattr(convert, "find_mismatch", lambda *args: calls.append(args))
    read_success(
        200, b'{"trainingImage": {"id": "a"}}', TrainingImageAddResponse, method="POST", url="u"
    )
    assert calls == []


# --- The training parameter renamed after the published client -------------------------


def test_num_u_net_train_steps_goes_on_the_wire_as_num_unet_train_steps_of_the_api() -> None:
    assert unstructure(TrainingParameters(num_u_net_train_steps=5)) == {"numUNetTrainSteps": 5}
    assert parameters_to_wire({"num_u_net_train_steps": 5}) == {"numUNetTrainSteps": 5}
    assert parameters_to_wire({"numUNetTrainSteps": 5}) == {"numUNetTrainSteps": 5}


def test_the_old_spelling_still_works_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match="'num_unet_train_steps' is now 'num_u_net") as seen:
        params = TrainingParameters(num_unet_train_steps=5, batch_size=2)
    assert seen[0].filename == __file__  # the warning names the caller's line
    assert params == TrainingParameters(num_u_net_train_steps=5, batch_size=2)
    assert unstructure(params) == {"numUNetTrainSteps": 5, "batchSize": 2}
    with pytest.warns(DeprecationWarning, match="num_unet_train_steps"):
        wire = parameters_to_wire({"num_unet_train_steps": 5, "learning_rate": 0.1})
    assert wire == {"numUNetTrainSteps": 5, "learningRate": 0.1}
    with pytest.warns(DeprecationWarning, match="num_unet_train_steps"):
        assert params.num_unet_train_steps == 5


def test_the_old_and_the_new_spelling_together_are_refused() -> None:
    with pytest.raises(TypeError, match="num_u_net_train_steps only"):
        TrainingParameters(num_u_net_train_steps=5, num_unet_train_steps=5)


def test_the_new_spelling_warns_about_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        params = TrainingParameters(num_u_net_train_steps=5)
        parameters_to_wire({"num_u_net_train_steps": 5})
        structure({"numUNetTrainSteps": 5}, TrainingParameters)
    assert params.num_u_net_train_steps == 5


def test_the_written_out_constructor_takes_every_field_and_evolve_works() -> None:
    taken = set(inspect.signature(TrainingParameters.__init__).parameters) - {"self"}
    fields = {field.name for field in attrs.fields(TrainingParameters)}
    assert taken == fields | {"num_unet_train_steps"}
    params = TrainingParameters(batch_size=2, extra={"newKnob": 1})
    assert attrs.evolve(params, seed=3) == TrainingParameters(
        batch_size=2, seed=3, extra={"newKnob": 1}
    )


# --- The path search agrees with the fast structuring ----------------------------------


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, len(PATHS) - 1), value=json_values)
def test_a_path_is_found_exactly_when_structuring_fails(index: int, value: Any) -> None:
    data = _replace(REFERENCE, PATHS[index], value)
    try:
        structure(data, TrainResponse)
    except Exception:
        found = find_mismatch(data, TrainResponse)
        assert found is not None
        path, _ = found
        assert path.split("[")[0].split(".")[0] == PATHS[index][0]  # where the value was put
    else:
        assert find_mismatch(data, TrainResponse) is None
