"""Any JSON in any field gives a typed result or APIResponseValidationError, nothing else."""

from __future__ import annotations

import json
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from scenario_async import APIResponseValidationError
from scenario_async._convert import wire_names
from scenario_async._wire import read_success
from scenario_async.types import (
    AssetUploadResponse,
    JobRetrieveResponse,
    ModelRetrieveResponse,
    TrainingImageAddResponse,
    TrainingImageReplacePairsResponse,
    TrainResponse,
)

from .conftest import reference_train_answer

ANSWERS = [
    TrainingImageAddResponse,
    TrainingImageReplacePairsResponse,
    ModelRetrieveResponse,
    JobRetrieveResponse,
    TrainResponse,
    AssetUploadResponse,
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _wire_paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document where a value sits."""
    paths = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            paths += _wire_paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            paths += _wire_paths(value, (*path, index))
    return paths


REFERENCE = reference_train_answer()
PATHS = _wire_paths(REFERENCE)[1:]


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(data))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def _parse(raw: bytes, cls: type[Any]) -> None:
    try:
        result = read_success(200, raw, cls, method="GET", url="u")
    except APIResponseValidationError:
        return
    assert isinstance(result, cls)


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, len(PATHS) - 1), value=json_values)
def test_any_json_anywhere_in_the_reference_answer(index: int, value: Any) -> None:
    _parse(json.dumps(_replace(REFERENCE, PATHS[index], value)).encode(), TrainResponse)


@settings(max_examples=300, deadline=None)
@given(cls=st.sampled_from(ANSWERS), data=st.data())
def test_any_json_in_any_declared_field(cls: type[Any], data: st.DataObject) -> None:
    fields = list(wire_names(cls).values())
    document = data.draw(
        st.dictionaries(st.sampled_from(fields) | st.text(max_size=5), json_values, max_size=4)
    )
    _parse(json.dumps(document).encode(), cls)


@settings(max_examples=200, deadline=None)
@given(cls=st.sampled_from(ANSWERS), value=json_values)
def test_any_json_document_at_all(cls: type[Any], value: Any) -> None:
    _parse(json.dumps(value).encode(), cls)


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=40))
def test_any_bytes_at_all(raw: bytes) -> None:
    _parse(raw, TrainingImageAddResponse)


def test_the_strategies_reach_nested_classes() -> None:
    assert any(len(path) > 4 for path in PATHS)
    assert attrs.has(TrainResponse)
