"""The test model server answers every request of FIXTURES.md exactly as TF Serving does (over real HTTP and gRPC)."""
from __future__ import annotations

import http.client
import json

import pytest

from tests.servers.fixtures import *  # noqa: F401,F403
from tests.servers.fixtures import TWO_VERSIONS

pytestmark = pytest.mark.slow

N = TWO_VERSIONS
STATUS_123 = {"model_version_status": [{"version": "123", "state": "AVAILABLE",
                                        "status": {"error_code": "OK", "error_message": ""}}]}


def call(server, method: str, path: str, body: bytes | str | None = None):
    """(status, Content-Type, raw text, parsed JSON or None) of one HTTP request."""
    conn = http.client.HTTPConnection(server.host, server.rest_port, timeout=30)
    try:
        payload = body.encode() if isinstance(body, str) else body
        conn.request(method, path, body=payload, headers={"Content-Type": "application/json"} if payload else {})
        response = conn.getresponse()
        text = response.read().decode()
        return response.status, response.getheader("Content-Type"), text, json.loads(text)
    finally:
        conn.close()


def sort_keys(value):
    return json.loads(json.dumps(value, sort_keys=True))


# --- S: TF Serving's integration test (model `default` = saved_model_half_plus_two_cpu) -------------------------
S_CASES = [
    ("GET", "/v1/models/default", None, STATUS_123),
    ("POST", "/v1/models/default:predict", '{"instances": [2.0, 3.0, 4.0]}', {"predictions": [3.0, 3.5, 4.0]}),
    ("POST", "/v1/models/default:predict", '{"inputs": [2.0, 3.0, 4.0]}', {"outputs": [3.0, 3.5, 4.0]}),
    ("POST", "/v1/models/default:classify", '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}',
     {"results": [[["", 3.0]]]}),
    ("POST", "/v1/models/default:regress", '{"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]}',
     {"results": [3.0]}),
]


@pytest.mark.parametrize("method,path,body,expected", S_CASES, ids=[c[1] + " " + (c[2] or "") for c in S_CASES])
def test_integration_requests(default_server, method, path, body, expected):
    status, ctype, _, got = call(default_server, method, path, body)
    assert (status, ctype) == (200, "application/json")
    assert got == expected


def test_metadata_matches_golden_file(default_server, rest_fixtures):
    status, ctype, _, got = call(default_server, "GET", "/v1/models/default/metadata")
    assert (status, ctype) == (200, "application/json")
    golden = json.loads((rest_fixtures / "half_plus_two_model_metadata.json").read_text())
    assert sort_keys(got) == sort_keys(golden)


# --- H: the REST handler's unit test (saved_model_half_plus_two_2_versions, version 123, label Version_Label) ----
H_CASES = [
    ("GET", f"/v1/models/{N}", None, STATUS_123),
    ("GET", f"/v1/models/{N}/versions/123", None, STATUS_123),
    ("GET", f"/v1/models/{N}/labels/Version_Label", None, STATUS_123),
    ("POST", f"/v1/models/{N}:predict", '{"instances": [[1.0, 2.0], [3.0, 4.0]]}',
     {"predictions": [[2.5, 3.0], [3.5, 4.0]]}),
    ("POST", f"/v1/models/{N}/versions/123:predict", '{"instances": [1.0, 2.0]}', {"predictions": [2.5, 3.0]}),
    ("POST", f"/v1/models/{N}/labels/Version_Label:predict", '{"instances": [1.0, 2.0]}',
     {"predictions": [2.5, 3.0]}),
    ("POST", f"/v1/models/{N}/versions/123:predict", '{"signature_name": "serving_default", "instances": [3.0, 4.0]}',
     {"predictions": [3.5, 4.0]}),
    ("POST", f"/v1/models/{N}/versions/123:predict", '{"signature_name": "serving_default", "inputs": [3.0, 4.0]}',
     {"outputs": [3.5, 4.0]}),
    ("POST", f"/v1/models/{N}:classify", '{"signature_name": "classify_x_to_y", "examples": [ { "x": 20.0 } ] }',
     {"results": [[["", 12]]]}),
    ("POST", f"/v1/models/{N}/labels/Version_Label:classify",
     '{"signature_name": "classify_x_to_y", "examples": [ { "x": 10.0 } ] }', {"results": [[["", 7]]]}),
    ("POST", f"/v1/models/{N}:regress", '{"signature_name": "regress_x_to_y", "examples": [ { "x": 80.0 } ] }',
     {"results": [42]}),
    ("POST", f"/v1/models/{N}/versions/123:regress",
     '{"signature_name": "regress_x_to_y", "examples": [ { "x": 80.0 } ] }', {"results": [42]}),
    ("POST", f"/v1/models/{N}/labels/Version_Label:regress",
     '{"signature_name": "regress_x_to_y", "examples": [ { "x": 80.0 } ] }', {"results": [42]}),
]


@pytest.mark.parametrize("method,path,body,expected", H_CASES, ids=[c[1] + " " + (c[2] or "") for c in H_CASES])
def test_handler_requests(two_versions_server, method, path, body, expected):
    status, ctype, _, got = call(two_versions_server, method, path, body)
    assert (status, ctype) == (200, "application/json")
    assert got == expected


def test_handler_metadata_matches_golden_file(two_versions_server, rest_fixtures):
    status, _, _, got = call(two_versions_server, "GET", f"/v1/models/{N}/metadata")
    golden = json.loads((rest_fixtures / "saved_model_half_plus_two_2_versions_metadata.json").read_text())
    assert status == 200
    assert sort_keys(got) == sort_keys(golden)


# --- Section 6: errors. (method, path, body, HTTP status, exact message or None, substring) --------------------
P = f"/v1/models/{N}:predict"
ERROR_CASES = [
    ("POST", "/v1/models/half:predict", '{"instances": [1.0,5.0]}', 404,
     "Servable not found for request: Latest(half)", ""),
    ("POST", "/v1/models/foo:predict", '{ "instances": [1] }', 404, None, "Servable not found for request"),
    ("POST", "/v1/models/foo/versions/50:predict", '{ "instances": [1] }', 404, None, "Specific(foo, 50)"),
    ("POST", P, "", 400, "JSON Parse error: The document is empty", ""),
    ("POST", P, "instances = [1, 2]", 400, None, "JSON Parse error: Invalid value"),
    ("POST", P, '{ "instances": ["x", "y"] }', 400, None,
     'JSON Value: "x" Type: String is not of expected type: float'),
    ("POST", f"/v1/models/{N}/labels/Version_Nonexistent:predict", '{ "instances": [1] }', 400,
     "Unrecognized servable version label: Version_Nonexistent", ""),
    ("POST", P, '{ "signature_name": 100 }', 400, None, "'signature_name' key must be a string value."),
    ("GET", "/v1/foo", None, 400, "Malformed request: GET /v1/foo", ""),
    ("POST", "/v1/models", None, 400, "Malformed request: POST /v1/models", ""),
    ("GET", "/v1/models/foo:predict", None, 400, "Malformed request: GET /v1/models/foo:predict", ""),
    ("POST", "/v1/models/foo/metadata", None, 400, "Malformed request: POST /v1/models/foo/metadata", ""),
    ("POST", "/v1/models/foo/version/50:predict", None, 400,
     "Malformed request: POST /v1/models/foo/version/50:predict", ""),
    ("POST", "/v1/models/foo/versions/HELLO:regress", None, 400,
     "Malformed request: POST /v1/models/foo/versions/HELLO:regress", ""),
    ("POST", "/v1/models/foo/label/x:regress", None, 400, "Malformed request: POST /v1/models/foo/label/x:regress",
     ""),
    ("GET", "/v1/models", None, 400, "Missing model name in request.", ""),
    ("POST", "/v1/models/foo/versions/18446744073709551615:regress", "{}", 400,
     "Failed to convert version: 18446744073709551615 to numeric.", ""),
    ("POST", P, '{"signature_name": 5, "instances": [[1,2],[3,4],[5,6,7]]}', 400, None, "must be a string value"),
    ("POST", P, '{"instances": [[1,2],[3,4],[5,6,7]], "inputs": [[1,2],[3,4],[5,6,7]]}', 400, None,
     "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist"),
    ("POST", P, '{"instances": [[1,2],[3,4],[5,6,7]]}', 400, None, "Expecting tensor size: 2 but got: 3"),
    ("POST", P, '{"instances": [[1,2],[3,4],[[5,6]]]}', 400, None, "Expecting shape [2] but got: [1,2]"),
    ("POST", P, '{"instances": [1, [1]]}', 400, None, "Expecting shape [] but got: [1]"),
    ("POST", P, '{"instances": [[1,2],["a", "b"]]}', 400, None, "not of expected type"),
    ("POST", P, '{"instances": [{"x": [1.0]}, [1.0]]}', 400, None, "Expecting object but got list at item 1"),
    ("POST", P, '{"instances": [[1.0], {"x": [1.0]}]}', 400, None, "Expecting value/list but got object at item 1"),
    ("POST", P, '{"signature_name": "serving_default"}', 400, "Missing 'inputs' or 'instances' key", ""),
    # The REST path looks the signature up before predict_util does (http_rest_api_handler.cc GetInfoMap).
    ("POST", P, '{"signature_name": "nope", "instances": [1.0]}', 400,
     'Serving signature name: "nope" not found in signature def', ""),
    ("POST", f"/v1/models/{N}:classify", '{"signature_name": "serving_default", "examples": [{"x": 1.0}]}', 400,
     "Expected classification signature method_name to be tensorflow/serving/classify. "
     "Was: tensorflow/serving/predict", ""),
    ("POST", f"/v1/models/{N}:regress", '{"signature_name": "classify_x_to_y", "examples": [{"x": 1.0}]}', 400,
     "Expected regression signature method_name to be tensorflow/serving/regress. "
     "Was: tensorflow/serving/classify", ""),
    ("POST", f"/v1/models/{N}:classify", '{"signature_name": "classify_x_to_y"}', 400, None,
     "key 'examples' is expected and was not found"),
]


@pytest.mark.parametrize("method,path,body,code,exact,part", ERROR_CASES,
                         ids=[f"{c[0]} {c[1]} {c[2] or ''}"[:90] for c in ERROR_CASES])
def test_error_responses(two_versions_server, method, path, body, code, exact, part):
    status, ctype, _, got = call(two_versions_server, method, path, body)
    assert (status, ctype) == (code, "application/json")
    assert list(got) == ["error"]
    if exact is not None:
        assert got["error"] == exact
    assert part in got["error"]


# --- D: the REST API docs (saved_model_half_plus_three) ----------------------------------------------------------
def test_docs_examples(half_plus_three_server):
    base = "/v1/models/saved_model_half_plus_three"
    assert call(half_plus_three_server, "POST", base + ":predict", '{"instances": [1.0,2.0,5.0]}')[3] == {
        "predictions": [3.5, 4.0, 5.5]}
    body = '{"signature_name": "tensorflow/serving/regress", "examples": [{"x": 1.0}, {"x": 2.0}]}'
    assert call(half_plus_three_server, "POST", base + ":regress", body)[3] == {"results": [3.5, 4.0]}
    status, _, text, got = call(half_plus_three_server, "POST", "/v1/models/half:predict", '{"instances": [1.0,5.0]}')
    assert status == 404 and got == {"error": "Servable not found for request: Latest(half)"}


# --- Section 7: the JSON codec on the wire -----------------------------------------------------------------------
def test_non_finite_values_are_bare_tokens(default_server):
    status, _, text, _ = call(default_server, "POST", "/v1/models/default:predict",
                              '{"instances": [NaN, Infinity, -Infinity, 1e6]}')
    assert status == 200
    assert "NaN" in text and '"NaN"' not in text and "-Infinity" in text
    assert "500002.0" in text  # six significant digits, '.0' on whole numbers


def test_context_merges_into_each_example(two_versions_server):
    body = '{"signature_name": "regress_x_to_y", "context": {"x": 4.0}, "examples": [{}, {"x": 2.0}]}'
    assert call(two_versions_server, "POST", f"/v1/models/{N}:regress", body)[3] == {"results": [4.0, 3.0]}


# --- The same server over gRPC, with the official stubs (as S drives the binary) -------------------------------
def test_grpc_predict_status_and_metadata(default_server):
    grpc = pytest.importorskip("grpc")
    import tensorflow as tf
    from tensorflow_serving.apis import (get_model_metadata_pb2, get_model_status_pb2, model_service_pb2_grpc,
                                         predict_pb2, prediction_service_pb2_grpc)

    with grpc.insecure_channel(f"127.0.0.1:{default_server.grpc_port}") as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        request = predict_pb2.PredictRequest()
        request.model_spec.name = "default"
        request.inputs["x"].CopyFrom(tf.make_tensor_proto([2.0], dtype=tf.float32))
        response = stub.Predict(request, timeout=30)
        assert tf.make_ndarray(response.outputs["y"]).tolist() == [3.0]
        assert response.model_spec.version.value == 123
        assert response.model_spec.signature_name == "serving_default"

        request.model_spec.signature_name = "nope"
        with pytest.raises(grpc.RpcError) as info:
            stub.Predict(request, timeout=30)
        assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert info.value.details() == 'Serving signature key "nope" not found.'

        request.model_spec.name = "half"
        with pytest.raises(grpc.RpcError) as info:
            stub.Predict(request, timeout=30)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        assert info.value.details() == "Servable not found for request: Latest(half)"

        meta = stub.GetModelMetadata(get_model_metadata_pb2.GetModelMetadataRequest(
            model_spec={"name": "default"}, metadata_field=["signature_def"]), timeout=30)
        sig_map = get_model_metadata_pb2.SignatureDefMap()
        meta.metadata["signature_def"].Unpack(sig_map)
        assert sorted(sig_map.signature_def) == ["classify_x_to_y", "regress_x2_to_y3", "regress_x_to_y",
                                                 "regress_x_to_y2", "serving_default"]

        status = model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(
            get_model_status_pb2.GetModelStatusRequest(model_spec={"name": "default"}), timeout=30)
        assert [(s.version, s.state) for s in status.model_version_status] == [
            (123, get_model_status_pb2.ModelVersionStatus.AVAILABLE)]
