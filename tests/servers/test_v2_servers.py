"""The V2 runners against real servers: MLServer 1.7.1 (sklearn and a SavedModel through TensorFlow) and KServe's
ModelServer, over REST (JSON and the binary extension) and gRPC; unknown models and wrong protocols explained."""
from __future__ import annotations

import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

from explorer.core.errors import ServingError
from explorer.core.request import Request
from explorer.core.targets import open_runner
from tests.servers.fixtures import default_server, model_servers, tls_files  # noqa: F401  (TF Serving's)
from tests.servers.v2_servers import kserve, kserve_tls, mlserver  # noqa: F401

pytestmark = pytest.mark.slow
X = np.array([[1.0], [2.0], [5.0]], np.float32)


def _sample(spec, rows=2):
    if spec.dt.is_string:
        return np.array([[b"ab", "\u00e9".encode()], [b"x", b""]], dtype=object)[:rows]
    return np.array([[1, 0], [1, 1]]).astype(spec.dt.np)[:rows]


@pytest.mark.parametrize("grpc", [False, True], ids=["rest", "grpc"])
def test_mlserver_serves_a_savedmodel_and_its_metadata_is_the_signature(mlserver, grpc):
    runner = open_runner(mlserver.target("half_plus_two", grpc))
    try:
        server = runner.server_metadata()
        assert (server.name, server.version) == ("mlserver", "1.7.1") and runner.server_ready()
        sig = runner.signatures()["serving_default"]
        assert [(k, s.dtype, s.shape) for k, s in sig.inputs.items()] == [("x", "DT_FLOAT", (-1, 1))]
        assert list(sig.outputs) == ["y"]
        rows = runner.status()
        assert [r.state for r in rows] == ["AVAILABLE"]  # MLServer lists no versions ("versions": [])
        prediction = runner.predict(Request("", {"x": X}))
        np.testing.assert_allclose(prediction.outputs["y"], 0.5 * X + 2)
        assert prediction.version == "123" and prediction.engine == ("v2+grpc" if grpc else "v2")
    finally:
        runner.close()


@pytest.mark.parametrize("grpc", [False, True], ids=["rest", "grpc"])
def test_every_datatype_mlserver_knows_round_trips(mlserver, grpc):
    runner = open_runner(mlserver.target("dtypes", grpc))
    sig = runner.signatures()["serving_default"]
    inputs = {k: _sample(s) for k, s in sig.inputs.items()}
    assert {s.dt.kserve for s in sig.inputs.values()} == {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8",
                                                         "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"}
    outputs = runner.predict(Request("", inputs)).outputs
    for key, value in inputs.items():
        got = outputs["out_" + key[len("in_"):]]
        if value.dtype == object:
            assert got.tolist() == [[b"AB", "\u00e9".encode()], [b"X", b""]]
        else:
            assert got.dtype == value.dtype, key
            np.testing.assert_array_equal(got, value)
    runner.close()


@pytest.mark.parametrize("grpc", [False, True], ids=["rest", "grpc"])
def test_mlserver_sklearn_runtime(mlserver, grpc):
    runner = open_runner(mlserver.target("iris", grpc))
    sig = runner.signatures()["serving_default"]
    assert sig.inputs["input-0"].dtype == "DT_DOUBLE" and sig.outputs["predict"].dtype == "DT_INT64"
    got = runner.predict(Request("", {"input-0": np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])}))
    assert got.outputs["predict"].reshape(-1).tolist() == [0, 2]
    runner.close()


@pytest.mark.parametrize("mode", ["rest-json", "rest-binary", "grpc"])
def test_kserve_half_plus_two(kserve, mode):
    runner = open_runner(kserve.target("half_plus_two", mode == "grpc"),
                         **({"binary": "on" if mode == "rest-binary" else "off"} if mode != "grpc" else {}))
    assert runner.server_metadata().name == "kserve"
    assert runner.signatures()["serving_default"].inputs["x"].shape == (-1, 1)
    prediction = runner.predict(Request("", {"x": X}))
    np.testing.assert_allclose(prediction.outputs["y"], 0.5 * X + 2)
    if mode == "rest-binary":
        assert "binary tensor data" in prediction.notes[0] and "bytes of binary tensor data" in prediction.wire[
            "response"]
    runner.close()


def test_kserve_uses_the_binary_extension_by_default(kserve):
    runner = open_runner(kserve.target("half_plus_two"))
    assert runner.uses_binary()  # KServe reads and writes it, though its extensions list does not say so
    runner.close()


@pytest.mark.parametrize("mode", ["rest-json", "rest-binary", "grpc"])
def test_kserve_echoes_every_datatype_it_knows(kserve, mode):
    runner = open_runner(kserve.target("echo", mode == "grpc"),
                         **({"binary": "on" if mode == "rest-binary" else "off"} if mode != "grpc" else {}))
    inputs = {n: np.array([[1, 0], [1, 1]]).astype(n) for n in
              ("bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float32",
               "float64")}
    inputs["bytes"] = np.array([[b"ab", b"c"]], dtype=object)
    if mode != "rest-json":  # KServe reads FP16 only as raw bytes (test below)
        inputs["float16"] = np.array([[0.5, 65504]], dtype=np.float16)
    outputs = runner.predict(Request("", inputs)).outputs
    for key, value in inputs.items():
        got = outputs[f"{key}_out"]
        if value.dtype == object:
            assert got.tolist() == value.tolist()
        else:
            assert got.dtype == value.dtype, key
            np.testing.assert_array_equal(got, value)
    runner.close()


def test_kserve_refuses_fp16_in_json_and_says_to_go_binary(kserve):
    runner = open_runner(kserve.target("echo"), binary="off")
    with pytest.raises(ServingError) as err:
        runner.predict(Request("", {"h": np.array([0.5], np.float16)}))
    assert "cannot read FP16 tensors from JSON" in str(err.value) and "binary" in err.value.fix
    runner.close()


def test_bf16_at_kserve_is_explained(kserve):
    """KServe 0.16 has no BF16 (no numpy type for it); MLServer 1.7 neither (its Datatype enum lacks it): the
    codec's BF16 is checked in tests/core/test_v2protocol.py, and only Triton serves it."""
    runner = open_runner(kserve.target("echo"))
    with pytest.raises(ServingError) as err:
        runner.predict(Request("", {"b": np.array([1.5], ml_dtypes.bfloat16)}))
    assert "does not know one of the request's datatypes" in str(err.value)
    runner.close()


@pytest.mark.parametrize("server, grpc, words", [
    ("mlserver", False, "(MLServer) has no model named 'nope'"),
    ("mlserver", True, "(MLServer) has no model named 'nope'"),
    ("kserve", False, "(KServe) has no model named 'nope'"),
    ("kserve", True, "(KServe) has no model named 'nope'"),
])
def test_unknown_models_are_named(request, server, grpc, words):
    v2 = request.getfixturevalue(server)
    runner = open_runner(v2.target("nope", grpc))
    with pytest.raises(ServingError) as err:
        runner.status()
    assert words in str(err.value)
    runner.close()


@pytest.mark.parametrize("grpc", [False, True], ids=["rest", "grpc"])
def test_tf_serving_targets_at_mlserver_say_it_is_a_v2_server(mlserver, grpc):
    port = mlserver.grpc_port if grpc else mlserver.http_port
    runner = open_runner(f"{'grpc' if grpc else 'rest'}://127.0.0.1:{port}/iris")
    for call in (runner.status, runner.signatures):
        with pytest.raises(ServingError) as err:
            call()
        assert "This is a KServe V2 server (MLServer 1.7.1)" in str(err.value)
        assert err.value.fix == f"Use {'v2+grpc' if grpc else 'v2'}://127.0.0.1:{port}/iris"
    runner.close()


@pytest.mark.parametrize("grpc", [False, True], ids=["rest", "grpc"])
def test_v2_targets_at_tf_serving_say_it_is_tf_serving(default_server, grpc):  # noqa: F811
    port = default_server.grpc_port if grpc else default_server.rest_port
    runner = open_runner(f"{'v2+grpc' if grpc else 'v2'}://127.0.0.1:{port}/default")
    with pytest.raises(ServingError) as err:
        runner.signatures()
    assert "This is TF Serving, not a KServe V2 server" in str(err.value)
    assert err.value.fix == f"Use {'grpc' if grpc else 'rest'}://127.0.0.1:{port}/default"
    runner.close()


def test_v2_rest_at_the_grpc_port_names_the_v2_ports(mlserver):
    runner = open_runner(f"v2://127.0.0.1:{mlserver.grpc_port}/iris")
    with pytest.raises(ServingError) as err:
        runner.signatures()
    assert "gRPC port" in str(err.value) and f"v2+grpc://127.0.0.1:{mlserver.grpc_port}/MODEL" in err.value.fix


def test_tritonclient_protos_leave_tensorflow_importable():
    """The descriptor-pool trap (docs/ARCHITECTURE.md): V2 messages register inference.*, TensorFlow's tensorflow.*."""
    code = ("from explorer.core.runners.v2grpc import protos; protos()\n"
            "import tensorflow as tf\nfrom tensorflow_serving.apis import predict_pb2\nprint('ok', tf.__version__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.startswith("ok"), out.stderr[-2000:]


@pytest.mark.parametrize("grpc", [False, True], ids=["https", "grpc-tls"])
def test_tls_with_a_ca_file_and_an_untrusted_certificate_explained(kserve_tls, tls_files, grpc):  # noqa: F811
    target = kserve_tls.target("half_plus_two", grpc)
    runner = open_runner(target, tls=True, ca_file=tls_files["cert"])
    np.testing.assert_allclose(runner.predict(Request("", {"x": X})).outputs["y"], 0.5 * X + 2)
    runner.close()
    if not grpc:  # a pasted https URL is TLS by itself
        url = f"https://127.0.0.1:{kserve_tls.http_port}/v2/models/half_plus_two/infer"
        runner = open_runner(url, ca_file=tls_files["cert"])
        np.testing.assert_allclose(runner.predict(Request("", {"x": X})).outputs["y"], 0.5 * X + 2)
        runner.close()
    untrusted = open_runner(target, tls=True)  # the system's CAs do not know the self-signed certificate
    with pytest.raises(ServingError) as err:
        untrusted.signatures()
    assert "certificate" in (str(err.value) + err.value.fix).lower()
    untrusted.close()
