"""Our answer types held to the published JSON Schema of every answer.

For each schema in tests/data/schemas/ (copied from Scenario's published client; see the
README there) a small generator below writes a *maximal* answer (every property, non-whole
numbers, each value of each value set in turn, one element per array) and a *minimal* one
(required properties only). Both must validate against the schema, parse into our type, and
land every property the schema names in a typed attribute, never in ``extra``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import jsonschema  # type: ignore[import-untyped]
import pytest

from scenario_async import APIResponseValidationError
from scenario_async._convert import wire_names
from scenario_async._wire import read_success
from scenario_async.types import (
    AssetRetrieveResponse,
    AssetUploadResponse,
    JobListPage,
    JobRetrieveResponse,
    JobTriggerActionResponse,
    ModelCopyResponse,
    ModelCreateResponse,
    ModelDownloadResponse,
    ModelListPage,
    ModelRestoreResponse,
    ModelRetrieveResponse,
    ModelUpdateResponse,
    ScoreRetrieveTrainingDatasetResponse,
    TrainActionResponse,
    TrainingImageAddResponse,
    TrainingImageReplacePairsResponse,
    TrainingImageReplaceResponse,
    TrainResponse,
    UploadCreateResponse,
    UploadRetrieveResponse,
    UploadTriggerActionResponse,
)
from scenario_async.types._base import OpenEnum

SCHEMAS = Path(__file__).resolve().parent / "data" / "schemas"

#: Schema file -> (our answer type, the key of a page's items when the schema is a list's item).
ANSWERS: dict[str, tuple[type[Any], str | None]] = {
    "get_assets_assetId": (AssetRetrieveResponse, None),
    "get_jobs": (JobListPage, "jobs"),
    "get_jobs_jobId": (JobRetrieveResponse, None),
    "get_models": (ModelListPage, "models"),
    "get_models_modelId": (ModelRetrieveResponse, None),
    "get_models_modelId_scores_training-dataset": (ScoreRetrieveTrainingDatasetResponse, None),
    "get_uploads_uploadId": (UploadRetrieveResponse, None),
    "post_assets": (AssetUploadResponse, None),
    "post_jobs_jobId_action": (JobTriggerActionResponse, None),
    "post_models": (ModelCreateResponse, None),
    "post_models_modelId_copy": (ModelCopyResponse, None),
    "post_models_modelId_download": (ModelDownloadResponse, None),
    "post_models_modelId_restore": (ModelRestoreResponse, None),
    "post_models_modelId_train_action": (TrainActionResponse, None),
    "post_models_modelId_training-images": (TrainingImageAddResponse, None),
    "post_uploads": (UploadCreateResponse, None),
    "post_uploads_uploadId_action": (UploadTriggerActionResponse, None),
    "put_models_modelId": (ModelUpdateResponse, None),
    "put_models_modelId_train": (TrainResponse, None),
    "put_models_modelId_training-images_pairs": (TrainingImageReplacePairsResponse, None),
    "put_models_modelId_training-images_trainingImageId": (TrainingImageReplaceResponse, None),
}


def _load(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return schema


# --- The generator ---------------------------------------------------------------------


class Schema:
    """One schema document: resolves its ``$ref``s and writes instances of it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """``node`` with its ``$ref`` followed (a JSON pointer inside this document)."""
        while "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/"), f"only local references are expected: {ref}"
            target: Any = self.document
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def branch(self, node: dict[str, Any]) -> dict[str, Any]:
        """The non-null alternative of a nullable node (``anyOf``/``oneOf`` with ``null``,
        or a ``type`` list with ``"null"``), resolved; any other node, resolved."""
        node = self.resolve(node)
        for key in ("anyOf", "oneOf"):
            if key in node:
                options = [self.resolve(o) for o in node[key] if o.get("type") != "null"]
                assert len(options) == 1, f"one non-null alternative expected: {node}"
                return self.branch(options[0])
        kind = node.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            assert len(kinds) == 1, f"one non-null type expected: {node}"
            return {**node, "type": kinds[0]}
        return node

    def enum_lengths(self, node: Any) -> Iterator[int]:
        """The size of every value set in ``node``."""
        if isinstance(node, dict):
            if "enum" in node:
                yield len(node["enum"])
            for value in node.values():
                yield from self.enum_lengths(value)
        elif isinstance(node, list):
            for value in node:
                yield from self.enum_lengths(value)

    def maximal(self, node: dict[str, Any], variant: int = 0, depth: int = 0) -> Any:
        """Every property present; a non-whole number wherever the schema says ``number``;
        value ``variant`` of each value set (modulo its size); one element per array."""
        assert depth < 40, "the schema recurses: the generator would not end"
        node = self.branch(node)
        if "const" in node:
            return node["const"]
        if "enum" in node:
            values = node["enum"]
            return values[variant % len(values)]
        kind = node.get("type")
        if kind == "object":
            properties = node.get("properties")
            if properties:
                return {
                    name: self.maximal(sub, variant, depth + 1) for name, sub in properties.items()
                }
            extra = node.get("additionalProperties")
            if isinstance(extra, dict):
                return {"someKey": self.maximal(extra, variant, depth + 1)}
            return {"free": ["form", 1.5]}  # an object the schema leaves open
        if kind == "array":
            return [self.maximal(node.get("items", {}), variant, depth + 1)]
        if kind == "number":
            return 2.5 + variant
        if kind == "integer":
            return 3 + variant
        if kind == "string":
            return f"text {variant}"
        if kind == "boolean":
            return True
        assert kind is None, f"an unexpected type: {kind}"
        return {"any": ["json", 0.5]}  # no type: any JSON value

    def minimal(self, node: dict[str, Any], depth: int = 0) -> Any:
        """Required properties only, empty arrays and open objects."""
        assert depth < 40, "the schema recurses: the generator would not end"
        node = self.branch(node)
        kind = node.get("type")
        if kind == "object":
            properties = node.get("properties", {})
            return {
                name: self.minimal(properties[name], depth + 1) for name in node.get("required", [])
            }
        if kind == "array":
            return []
        return self.maximal(node, 0, depth)


def _answer(name: str, instance: Any) -> Any:
    """The answer as the service sends it: a list schema describes one item of a page."""
    _, items = ANSWERS[name]
    if items is None:
        return instance
    return {items: [instance], "nextPaginationToken": "next-page"}


def _parse(cls: type[Any], answer: Any) -> Any:
    return read_success(200, json.dumps(answer).encode(), cls, method="GET", url="u")


# --- The walk over what was parsed -------------------------------------------------------


def _always_present(cls: type[Any], wire: str) -> bool:
    name = {w: n for n, w in wire_names(cls).items()}[wire]
    return attrs.fields_dict(cls)[name].default is attrs.NOTHING


def _expected_always_present(node: dict[str, Any], wire: str, at_root: bool) -> bool:
    """The rule of scenario_async.types: which required fields are typed without None."""
    required = node.get("required", [])
    if wire not in required:
        return False
    if wire == "id":
        return True
    if "id" not in node.get("properties", {}):
        ids = [r for r in required if r.endswith("Id")]
        if ids == [wire]:
            return True
    return at_root and required == [wire]  # the object an answer wraps


def _check(
    schema: Schema, node: dict[str, Any], data: Any, result: Any, path: str, at_root: bool
) -> Iterator[str]:
    """Assert that ``result`` holds ``data`` typed all the way down; yield the wire path of
    every field typed as always present."""
    node = schema.branch(node)
    where = path or "the answer"
    if data is None:
        assert result is None, where
        return
    if "enum" in node and node.get("type") == "string":
        assert isinstance(result, OpenEnum), f"{where}: {result!r} is not a member of a value set"
        assert result == data, where
        return
    kind = node.get("type")
    if kind == "object" and node.get("properties"):
        cls = type(result)
        assert attrs.has(cls), f"{where}: an object parsed into {cls.__name__}"
        assert result.extra == {}, f"{where}: schema-named fields in extra: {sorted(result.extra)}"
        names = {wire: name for name, wire in wire_names(cls).items()}
        for wire, value in data.items():
            assert wire in names, f"{path}.{wire} is not a typed attribute of {cls.__name__}"
            inner = f"{path}.{wire}" if path else wire
            expected = _expected_always_present(node, wire, at_root)
            assert _always_present(cls, wire) == expected, (
                f"{inner}: typed as always present is {not expected}, the rule says {expected}"
            )
            if expected:
                yield inner
            yield from _check(
                schema, node["properties"][wire], value, getattr(result, names[wire]), inner, False
            )
        return
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        assert isinstance(result, dict) and result.keys() == data.keys(), where
        for key, value in data.items():
            item_path = f"{path}[{json.dumps(key)}]"
            yield from _check(
                schema, node["additionalProperties"], value, result[key], item_path, False
            )
        return
    if kind == "array":
        assert isinstance(result, list) and len(result) == len(data), where
        for index, (item, raw) in enumerate(zip(result, data, strict=True)):
            yield from _check(schema, node.get("items", {}), raw, item, f"{path}[{index}]", False)
        return
    # A number stays the number sent, whole or not; a string, a boolean, any JSON: as sent.
    assert result == data and type(result) is type(data), f"{where}: {result!r} != {data!r}"


def _check_answer(name: str, schema: Schema, instance: Any, result: Any) -> list[str]:
    """``_check`` from the answer's root (or from each item of a page)."""
    cls, items = ANSWERS[name]
    if items is None:
        return list(_check(schema, schema.document, instance, result, "", True))
    assert _always_present(cls, items)
    page_items = getattr(result, {w: n for n, w in wire_names(cls).items()}[items])
    assert result.next_pagination_token == "next-page" and len(page_items) == 1
    found = list(_check(schema, schema.document, instance, page_items[0], f"{items}[0]", False))
    return [items, *found]


# --- The tests -----------------------------------------------------------------------------


def test_every_schema_in_the_folder_is_tested_and_only_those() -> None:
    on_disk = {path.name.removesuffix(".schema.json") for path in SCHEMAS.glob("*.schema.json")}
    assert on_disk == set(ANSWERS)


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_a_maximal_answer_lands_every_schema_field_in_a_typed_attribute(name: str) -> None:
    schema = Schema(_load(name))
    validator = jsonschema.Draft202012Validator(schema.document)
    cls, _ = ANSWERS[name]
    # One instance per value of the longest value set: each value of each set appears.
    variants = max(schema.enum_lengths(schema.document), default=1)
    for variant in range(variants):
        instance = schema.maximal(schema.document, variant)
        validator.validate(instance)
        result = _parse(cls, _answer(name, instance))
        assert isinstance(result, cls)
        _check_answer(name, schema, instance, result)


def test_the_generator_writes_what_it_promises() -> None:
    schema = Schema(_load("get_models_modelId"))
    model = schema.maximal(schema.document)["model"]
    assert model["trainingImagesNumber"] == 2.5  # a non-whole number
    assert model["trainingProgress"]["position"] == 2.5  # through a nullable $ref
    assert model["parameters"]["numUNetTrainSteps"] == 2.5
    assert len(model["trainingImages"]) == 1 and model["trainingImages"][0]["createdAt"]
    assert model["status"] == "copying" and schema.maximal(schema.document, 3)["model"][
        "status"
    ] == ("trained")
    assert model["accessRestrictions"] == 0  # an integer value set
    assert schema.minimal(schema.document) == {
        "model": {
            "id": "text 0",
            "capabilities": [],
            "collectionIds": [],
            "createdAt": "text 0",
            "custom": True,
            "exampleAssetIds": [],
            "privacy": "private",
            "source": "civitai",
            "status": "copying",
            "tags": [],
            "trainingImagesNumber": 2.5,
            "type": "custom",
            "updatedAt": "text 0",
        }
    }


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_a_minimal_answer_parses_and_leaves_the_rest_none(name: str) -> None:
    schema = Schema(_load(name))
    instance = schema.minimal(schema.document)
    jsonschema.Draft202012Validator(schema.document).validate(instance)
    cls, _ = ANSWERS[name]
    result = _parse(cls, _answer(name, instance))
    _check_answer(name, schema, instance, result)


def _delete(answer: Any, path: str) -> Any:
    """A copy of ``answer`` without the field at the wire path ``path`` (``a.b[0].c``)."""
    answer = copy.deepcopy(answer)
    parts = path.replace("[", ".[").split(".")
    target = answer
    for part in parts[:-1]:
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    del target[parts[-1]]
    return answer


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_an_answer_without_a_field_typed_as_always_present_is_refused_naming_its_path(
    name: str,
) -> None:
    schema = Schema(_load(name))
    cls, _ = ANSWERS[name]
    instance = schema.maximal(schema.document)
    answer = _answer(name, instance)
    paths = _check_answer(name, schema, instance, _parse(cls, answer))
    # Every answer has an identifier or wraps an object, but for the pairs: {count, pairs}.
    assert bool(paths) is (name != "put_models_modelId_training-images_pairs")
    for path in paths:
        with pytest.raises(APIResponseValidationError) as info:
            _parse(cls, _delete(answer, path))
        assert f"is not a {cls.__name__}: {path}: a required field is missing" in str(info.value)


def test_the_always_present_fields_are_the_identifiers_and_the_wrapped_objects() -> None:
    schema = Schema(_load("put_models_modelId_train"))
    instance = schema.maximal(schema.document)
    paths = _check_answer(
        "put_models_modelId_train", schema, instance, _parse(TrainResponse, instance)
    )
    assert set(paths) == {
        "job.jobId",
        "job.metadata.flow[0].id",
        "job.metadata.flow[0].assets[0].assetId",
        "model.id",
        "model.class.modelId",
        "model.concepts[0].modelId",
        "model.epochs[0].assets[0].assetId",
        "model.thumbnail.assetId",
        "model.trainingImages[0].id",
        "ipDetection.findings[0].filterId",
    }
    # A dry run answers only the cost: the train answer's job and model may be absent.
    assert _parse(TrainResponse, {"creativeUnitsCost": 1.5}).model is None
