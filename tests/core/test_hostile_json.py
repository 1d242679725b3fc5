"""Valid JSON of the wrong structure, and absurdly deep JSON, from a server: a ServingError naming what was expected
and what came -- never AttributeError/TypeError/KeyError/ValueError/RecursionError (issue 11)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.core import restjson
from explorer.core.errors import ServingError
from explorer.core.signature import TensorSpec

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000

STATUS_BODIES = [
    b"[]", b"42", b'"text"', b"null",
    b'{"model_version_status": "x"}',
    b'{"model_version_status": ["x"]}',
    b'{"model_version_status": [{"version": "abc"}]}',
    b'{"model_version_status": [{"version": [1]}]}',
    b'{"model_version_status": [{"version": 1, "status": "bad"}]}',
    b'{"model_version_status": [{"version": 1, "status": []}]}',
    b'{"model_version_status": [{"version": 1e400}]}',
    DEEP, DEEP_OBJECT,
]
METADATA_BODIES = [
    b"[]", b'{"metadata": []}', b'{"metadata": {"signature_def": []}}', b'{"metadata": {"signature_def": "x"}}',
    b'{"metadata": {"signature_def": {"signature_def": {"a": []}}}}',
    b'{"metadata": {"signature_def": {"signature_def": {"a": {"inputs": []}}}}}',
    b'{"metadata": {"signature_def": {"signature_def": {}}}, "model_spec": {"version": "abc"}}',
    b'{"metadata": {"signature_def": {"signature_def": {}}}, "model_spec": []}',
    b'{"metadata": {"signature_def": {"signature_def": {}}}, "model_spec": {"version": [1]}}',
    DEEP,
]
PREDICT_BODIES = [
    b"[]", b'{"predictions": {"b64": 5}}', b'{"predictions": [{"a": 1}, 5]}', b'{"predictions": [{"a": 1}, {"b": 2}]}',
    b'{"outputs": {"y": {"a": 1}}}', b'{"predictions": [[1, 2], [3]]}', b'{"predictions": [{"b64": 5}]}',
    b'{"predictions": [{"b64": "!!notbase64"}]}', b'{"outputs": [["a", 1], [2]]}',
    b'{"predictions": [1e400]}', b'{"predictions": [' + b"[" * 500 + b"1" + b"]" * 500 + b"]}",
    DEEP, DEEP_OBJECT,
]
RESULTS_BODIES = [
    (b'{"results": [1, 2]}', "classify"), (b'{"results": [[1]]}', "classify"),
    (b'{"results": [[["a", "b"]]]}', "classify"), (b'{"results": [[[1, 2, 3]]]}', "classify"),
    (b'{"results": [[{"a": 1}]]}', "classify"), (b'{"results": ["x"]}', "regress"),
    (b'{"results": [[1, 2], [3]]}', "regress"), (DEEP, "regress"), (b'{"results": {}}', "classify"),
]


@pytest.mark.parametrize("body", STATUS_BODIES)
def test_status_of_the_wrong_structure_is_a_serving_error(body):
    with pytest.raises(ServingError) as info:
        restjson.decode_status(body)
    assert "expected" in str(info.value) or "deep" in str(info.value)


@pytest.mark.parametrize("body", METADATA_BODIES)
def test_metadata_of_the_wrong_structure_is_a_serving_error(body):
    with pytest.raises(ServingError):
        restjson.decode_metadata(body)


@pytest.mark.parametrize("body", PREDICT_BODIES)
@pytest.mark.parametrize("specs", [None, {"y": TensorSpec(key="y", dtype="DT_FLOAT", shape=(-1,), name="y:0")},
                                   {"y": TensorSpec(key="y", dtype="DT_STRING", shape=(-1,), name="y:0")}])
def test_predict_of_the_wrong_structure_is_a_serving_error_or_an_array(body, specs):
    try:
        out = restjson.decode_predict(body, specs)
    except ServingError as exc:
        assert str(exc)
        return
    assert all(isinstance(v, np.ndarray) for v in out.values())


@pytest.mark.parametrize("body,method", RESULTS_BODIES)
def test_results_of_the_wrong_structure_is_a_serving_error(body, method):
    with pytest.raises(ServingError):
        restjson.decode_results(body, method)


def test_wrong_structure_names_what_was_expected_and_what_came():
    with pytest.raises(ServingError, match="expected a JSON object as the whole answer, got an array"):
        restjson.decode_status(b"[]")
    with pytest.raises(ServingError, match="expected an array as 'model_version_status', got a string"):
        restjson.decode_status(b'{"model_version_status": "x"}')
    with pytest.raises(ServingError, match="more than 1000 levels deep"):
        restjson.decode_predict(DEEP)


def test_error_text_of_deep_or_odd_bodies_is_none():
    assert restjson.error_text(DEEP) is None
    assert restjson.error_text(b'{"error": ["x"]}') is None
    assert restjson.error_text(json.dumps({"error": "boom"})) == "boom"
