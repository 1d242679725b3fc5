"""The KServe V2 codec against the Open Inference Protocol's own examples (kserve/open-inference-protocol,
specification/protocol/inference_rest.md), the binary tensor data extension, error texts and the target grammar."""
from __future__ import annotations

import json
import re
import struct

import numpy as np
import pytest

from explorer.core import serving_errors, v2protocol
from explorer.core.errors import ExplorerError, InputProblem, ServingError
from explorer.core.signature import Signature, TensorSpec
from explorer.core.targets import Target, parse_target

# The spec's "Inference Request Examples": a request with two inputs and one requested output, and its response.
SPEC_RESPONSE = b"""{
  "id" : "42",
  "outputs" : [
    {
      "name" : "output0",
      "shape" : [ 3, 2 ],
      "datatype"  : "FP32",
      "data" : [ 1.0, 1.1, 2.0, 2.1, 3.0, 3.1 ]
    }
  ]
}"""


def test_the_spec_request_example_is_what_we_send():
    body, header = v2protocol.encode_infer({"input0": np.array([[1, 2], [3, 4]], np.uint32),
                                            "input1": np.array([True, False, True])},
                                           outputs=["output0"], request_id="42")
    assert header is None
    doc = json.loads(body)
    assert doc == {"id": "42", "inputs": [
        {"name": "input0", "shape": [2, 2], "datatype": "UINT32", "data": [1, 2, 3, 4]},
        {"name": "input1", "shape": [3], "datatype": "BOOL", "data": [True, False, True]}],
        "outputs": [{"name": "output0"}]}


def test_the_spec_response_example_decodes():
    outputs, version, request_id = v2protocol.decode_infer(SPEC_RESPONSE)
    assert request_id == "42" and version is None
    np.testing.assert_array_equal(outputs["output0"], np.array([[1.0, 1.1], [2.0, 2.1], [3.0, 3.1]], np.float32))
    assert outputs["output0"].dtype == np.float32


def test_nested_data_is_accepted_as_the_spec_allows():
    body = b'{"outputs": [{"name": "o", "shape": [2, 2], "datatype": "INT32", "data": [[1, 2], [3, 4]]}]}'
    np.testing.assert_array_equal(v2protocol.decode_infer(body)[0]["o"], [[1, 2], [3, 4]])


def test_large_numeric_answers_take_the_simdjson_path_and_match():
    values = np.random.default_rng(0).standard_normal((64, 1000)).astype(np.float32)
    body = json.dumps({"model_name": "m", "model_version": "3", "outputs": [
        {"name": "scores", "shape": [64, 1000], "datatype": "FP32", "data": values.reshape(-1).tolist()}]}).encode()
    assert len(body) > v2protocol.FAST_MIN_BYTES
    assert v2protocol._fast_outputs(body) is not None
    outputs, version, _ = v2protocol.decode_infer(body)
    assert version == "3"
    np.testing.assert_array_equal(outputs["scores"], values)


@pytest.mark.parametrize("datatype, array", [
    ("BOOL", np.array([[True, False]])), ("UINT8", np.arange(4, dtype=np.uint8)),
    ("UINT16", np.arange(4, dtype=np.uint16)), ("UINT32", np.arange(4, dtype=np.uint32)),
    ("UINT64", np.array([2**63 + 5], dtype=np.uint64)), ("INT8", np.array([-128, 127], np.int8)),
    ("INT16", np.array([-3], np.int16)), ("INT32", np.array([[-1, 2]], np.int32)),
    ("INT64", np.array([2**62 + 1], np.int64)), ("FP16", np.array([0.5, 65504], np.float16)),
    ("FP32", np.array([[1.5, -2]], np.float32)), ("FP64", np.array([1e-300], np.float64)),
    ("BF16", None),  # built in the test: numpy has no bfloat16 of its own
    ("BYTES", np.array([[b"a\x00\xff", b""]], dtype=object)),
])
def test_binary_extension_round_trips_every_datatype(datatype, array):
    if array is None:
        import ml_dtypes

        array = np.array([1.5, -3.0, 0.0078125], dtype=ml_dtypes.bfloat16)
    body, header = v2protocol.encode_infer({"t": array}, binary=True)
    doc = json.loads(body[:header])
    entry = doc["inputs"][0]
    assert entry["datatype"] == datatype and doc["parameters"] == {"binary_data_output": True}
    raw = body[header:]
    assert entry["parameters"]["binary_data_size"] == len(raw)
    # The same bytes as an answer: header + raw, read back through the binary path.
    answer_header = json.dumps({"outputs": [{"name": "t", "shape": list(array.shape), "datatype": datatype,
                                             "parameters": {"binary_data_size": len(raw)}}]}).encode()
    outputs, _, _ = v2protocol.decode_infer(answer_header + raw, len(answer_header))
    got = outputs["t"]
    assert got.shape == array.shape
    if datatype == "BYTES":
        assert got.tolist() == array.tolist()
    else:
        assert got.dtype == array.dtype
        np.testing.assert_array_equal(got, array)


def test_bytes_in_the_binary_extension_are_length_prefixed():
    body, header = v2protocol.encode_infer({"s": np.array([b"ab", b"c"], dtype=object)}, binary=True)
    assert body[header:] == struct.pack("<I", 2) + b"ab" + struct.pack("<I", 1) + b"c"


def test_json_carries_fp16_and_bf16_as_numbers_and_text_as_strings():
    import ml_dtypes

    body, _ = v2protocol.encode_infer({"h": np.array([0.5], np.float16), "b": np.array([2.5], ml_dtypes.bfloat16),
                                       "s": np.array(["é", b"x"], dtype=object)})
    doc = {i["name"]: i for i in json.loads(body)["inputs"]}
    assert doc["h"]["datatype"] == "FP16" and doc["h"]["data"] == [0.5]
    assert doc["b"]["datatype"] == "BF16" and doc["b"]["data"] == [2.5]
    assert doc["s"]["data"] == ["é", "x"]


def test_bytes_that_are_not_text_cannot_go_as_json():
    with pytest.raises(InputProblem, match="not text") as err:
        v2protocol.encode_infer({"s": np.array([b"\xff"], dtype=object)})
    assert "binary tensor data" in err.value.fix


def test_inputs_take_the_signature_datatype():
    spec = TensorSpec("x", "DT_HALF", (-1,), "x")
    body, _ = v2protocol.encode_infer({"x": np.array([1.0, 2.0])}, {"x": spec})
    assert json.loads(body)["inputs"][0]["datatype"] == "FP16"


@pytest.mark.parametrize("body, words", [
    (b'{"outputs": [{"name": "o", "shape": [3], "datatype": "FP32", "data": [1, 2]}]}', "2 values for shape [3]"),
    (b'{"outputs": [{"name": "o", "shape": [1], "datatype": "FP99", "data": [1]}]}', "not a V2 datatype"),
    (b'{"outputs": [{"name": "o", "shape": "x", "datatype": "FP32", "data": [1]}]}', "not a list of sizes"),
    (b'{"nothing": 1}', "no 'outputs' list"),
    (b"[1, 2]", "not a JSON object"),
    (b"<html>", "not valid JSON"),
])
def test_malformed_answers_are_serving_errors(body, words):
    with pytest.raises(ServingError, match=re.escape(words)):
        v2protocol.decode_infer(body)


def test_binary_answers_that_run_short_are_serving_errors():
    header = b'{"outputs": [{"name": "o", "shape": [4], "datatype": "FP32", "parameters": {"binary_data_size": 16}}]}'
    with pytest.raises(ServingError, match="runs past the end"):
        v2protocol.decode_infer(header + b"\0" * 8, len(header))
    with pytest.raises(ServingError, match="binary header length"):
        v2protocol.decode_infer(header, len(header) + 10)


def test_metadata_becomes_one_signature_through_the_dtype_table():
    body = json.dumps({"name": "m", "versions": ["1", "2"], "platform": "tensorflow_savedmodel",
                       "inputs": [{"name": "in", "datatype": "BYTES", "shape": [-1]},
                                  {"name": "a", "datatype": "BF16", "shape": [-1, 3]}],
                       "outputs": [{"name": "out", "datatype": "FP16", "shape": [-1, 2]}]}).encode()
    meta = v2protocol.decode_model_metadata(body)
    assert meta.versions == ("1", "2") and meta.platform == "tensorflow_savedmodel"
    sig = meta.signature
    assert sig.key == "serving_default" and sig.method_name == v2protocol.V2_METHOD
    assert [(k, s.dtype, s.shape) for k, s in sig.inputs.items()] == [("a", "DT_BFLOAT16", (-1, 3)),
                                                                        ("in", "DT_STRING", (-1,))]
    assert sig.outputs["out"].dtype == "DT_HALF"


def test_a_savedmodel_is_served_the_way_tritons_tensorflow_backend_names_it():
    local = {"serving_default": Signature("serving_default", "tensorflow/serving/predict",
                                          {"x": TensorSpec("x", "DT_FLOAT", (-1, 1), "x:0")},
                                          {"y": TensorSpec("y", "DT_FLOAT", (-1, 1), "y:0")}),
             "classify": Signature("classify", "tensorflow/serving/classify")}
    served = v2protocol.as_served(local)
    assert list(served) == ["serving_default"]
    sig = served["serving_default"]
    assert sig.inputs["x"].name == "x" and sig.outputs["y"].name == "y" and sig.method_name == v2protocol.V2_METHOD


def test_server_metadata_and_binary_support():
    triton = v2protocol.decode_server_metadata(
        b'{"name":"triton","version":"2.50.0","extensions":["classification","binary_tensor_data"]}')
    assert triton.title == "Triton 2.50.0" and triton.binary_data
    mlserver = v2protocol.decode_server_metadata(b'{"name":"mlserver","version":"1.7.1","extensions":[]}')
    assert mlserver.title == "MLServer 1.7.1" and not mlserver.binary_data


@pytest.mark.parametrize("text, kind, words", [
    # MLServer 1.7 (mlserver/errors.py)
    ("Model iris not found", "v2_model_not_found", "no model named 'iris'"),
    ("Model iris with version 7 not found", "v2_model_not_found", "no version '7'"),
    ("Model iris with version  not found", "v2_model_not_found", "no model named 'iris'"),
    ("Model iris is not ready yet.", "v2_model_not_ready", "not ready yet"),
    # KServe 0.16 (kserve/errors.py)
    ("Model with name half does not exist.", "v2_model_not_found", "KServe"),
    ("Model with name half is not ready.", "v2_model_not_ready", "not ready"),
    # Triton (core, as its QA tests assert them)
    ("Request for unknown model: 'simple' is not found", "v2_model_not_found", "Triton has no model"),
    ("Request for unknown model: 'onnx_int32_int8_int8' version 99 is not found", "v2_model_not_found",
     "no version 99"),
    ("Request for unknown model: 'vllm_opt' has no available versions", "v2_model_not_ready", "no version of it"),
    ("unexpected shape for input 'INPUT1' for model 'simple'. Expected [-1,16], got [2,8]", "v2_shape",
     "[2,8]; the model takes [-1,16]"),
    ("unexpected inference input 'ids', allowed inputs are: input_ids, attention_mask", "v2_unknown_input", "'ids'"),
])
def test_v2_error_texts_are_explained(text, kind, words):
    exp = serving_errors.explain(json.dumps({"error": text}), 400, protocol="v2")
    assert exp.kind == kind and words in exp.cause, exp


def test_fastapis_not_found_is_no_route_not_a_model_name():
    exp = serving_errors.explain('{"detail":"Not Found"}', 404, protocol="v2", model="m")
    assert exp.kind == "v2_no_route"


@pytest.mark.parametrize("text, expected", [
    ("v2://localhost:8080/iris", Target("v2", host="localhost", port=8080, model="iris")),
    ("v2+grpc://h:8001/simple/versions/v1-beta", Target("v2+grpc", host="h", port=8001, model="simple",
                                                        version="v1-beta")),
    ("V2://[::1]/m", Target("v2", host="::1", port=8080, model="m")),
    ("http://h:8000/v2/models/simple/versions/1/infer", Target("v2", host="h", port=8000, model="simple",
                                                              version="1")),
    ("https://gw.example/serving/ns/v2/models/iris/ready", Target("v2", host="gw.example", port=443, model="iris",
                                                                  tls=True, prefix="/serving/ns")),
    ("http://h:8080/v2/models/a%2Fb", Target("v2", host="h", port=8080, model="a/b")),
])
def test_v2_targets(text, expected):
    target = parse_target(text)
    assert target == expected
    assert parse_target(target.url()) == target


@pytest.mark.parametrize("text", ["v2://h:1", "http://h/v2/foo", "v2+grpc://h:1/m/labels/x"])
def test_malformed_v2_targets_say_what_is_accepted(text):
    with pytest.raises(ExplorerError) as err:
        parse_target(text)
    assert "v2" in err.value.fix and "/versions/V" in err.value.fix
