"""GrpcRunner against the test model server over real gRPC on 127.0.0.1 (status, metadata, predict/classify/regress,
versions and labels, output_filter, tensor_content, 50 MB messages, TLS, refused connections and timeouts)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from explorer.core.errors import ServingError
from explorer.core.request import Request
from explorer.core.runners.grpc import GrpcRunner
from explorer.core.savedmodel import read_model
from explorer.core.serving_status import VersionStatus
from tests.servers.fixtures import *  # noqa: F401,F403  (contract D: session-scoped, shared server pool)
from tests.servers.fixtures import MODELS, TWO_VERSIONS
from tests.servers.launch import free_port

pytestmark = pytest.mark.slow

BIG_FLOATS = 13_107_200  # 50 MiB of float32
API_KEY = {"X-Api-Key": "s3"}  # the big server's --require_header; gRPC metadata keys are lower case on the wire


def big_output_model(out_dir: Path) -> Path:
    """A TF2 model whose output size is its input: y = range(n) as float32, to make a response of any size."""
    import tensorflow as tf

    class Big(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="n")])
        def serve(self, n):
            return {"y": tf.range(n, dtype=tf.float32)}

    base = out_dir / "big"
    module = Big()
    tf.saved_model.save(module, str(base / "1"), signatures={"serving_default": module.serve})
    return base


def self_signed(out_dir: Path) -> Path:
    """A certificate for 127.0.0.1/localhost (its key beside it), made by openssl."""
    cert = out_dir / "other.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(out_dir / "other.key"),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    return cert


@pytest.fixture(scope="module")
def servers(all_versions_server, model_servers, tls_files, tmp_path_factory):
    """The two-version model (policy all, labels stable/canary), the same model with policy specific:123 and a
    1.5 s stall, and a generated large-output model behind TLS that wants an API key header."""
    big = big_output_model(tmp_path_factory.mktemp("grpc"))
    return {
        "all": all_versions_server,
        "slow": model_servers.get(TWO_VERSIONS, "default", "specific:123", ("--stall_ms=1500",)),
        "big": model_servers.get(str(big), "default", "latest", (
            f"--ssl_cert={tls_files['cert']}", f"--ssl_key={tls_files['key']}", "--require_header=X-Api-Key: s3")),
        "cert": tls_files["cert"], "big_path": big, "two_path": MODELS / TWO_VERSIONS,
    }


@pytest.fixture(scope="module")
def runner(servers):
    r = GrpcRunner(servers["all"].target("grpc"))
    yield r
    r.close()


def x(*values) -> dict:
    return {"x": np.array(values, dtype=np.float32).reshape(-1, 1)}


def test_status_lists_every_version_with_policy_all(runner):
    assert runner.status() == [VersionStatus(124, "AVAILABLE", "OK", ""), VersionStatus(123, "AVAILABLE", "OK", "")]


def test_status_with_specific_policy_and_one_version(servers):
    slow = GrpcRunner(servers["slow"].target("grpc"), timeout=20)
    assert slow.status() == [VersionStatus(123, "AVAILABLE", "OK", "")]
    one = GrpcRunner(servers["all"].target("grpc", "/versions/123"))
    assert [s.version for s in one.status()] == [123]


def test_metadata_equals_the_folder_read(runner, servers):
    served = runner.metadata()
    local = read_model(servers["two_path"]).signatures  # newest version, as the server's default
    assert served == local
    assert "classify_x_to_y" in served and served["classify_x_to_y"].method_short == "classify"
    assert runner.signatures() == served


def test_metadata_of_a_tf2_model_marks_the_init_op_internal(servers):
    big = GrpcRunner(servers["big"].target("grpc"), ca_file=str(servers["cert"]), headers=API_KEY)
    served = big.metadata()
    assert served == read_model(servers["big_path"]).signatures
    assert "__saved_model_init_op" in served and served["__saved_model_init_op"].internal
    assert served["serving_default"].inputs["n"].dtype == "DT_INT32"


def test_predict_decodes_tensor_content(runner):
    p = runner.predict(Request("serving_default", x(1.0, 2.0, 5.0)))
    np.testing.assert_array_equal(p.outputs["y"], np.array([[2.5], [3.0], [4.5]], np.float32))
    assert p.outputs["y"].dtype == np.float32
    assert p.engine == "grpc" and p.version == 124 and p.signature == "serving_default"
    # TF Serving (and our stand-in) answer numbers as tensor_content, not float_val
    assert "tensor_content" in p.wire["response"] and "float_val" not in p.wire["response"]
    assert "tensor_content" in p.wire["request"]
    assert set(p.timing_ms) >= {"load", "predict"}


def test_versions_and_labels(servers):
    base = servers["all"]
    for suffix, want, expect in [("/versions/123", 123, 2.5), ("/versions/124", 124, 2.5),
                                 ("/labels/stable", 123, 2.5), ("/labels/canary", 124, 2.5)]:
        r = GrpcRunner(base.target("grpc", suffix))
        p = r.predict(Request("serving_default", x(1.0)))
        assert p.version == want, suffix
        assert p.outputs["y"][0, 0] == expect
        r.close()
    # a version chosen by keyword overrides the URL's
    assert GrpcRunner(base.target("grpc"), version=123).predict(Request("serving_default", x(1.0))).version == 123


def test_classify_and_regress(runner):
    c = runner.predict(Request("classify_x_to_y", {}, method="classify", examples=({"x": 2.0}, {"x": 20.0})))
    np.testing.assert_allclose(c.outputs["scores"], [[3.0], [12.0]])
    assert "classes" not in c.outputs  # the signature has no classes output: TF Serving sends empty labels
    r = runner.predict(Request("regress_x_to_y", {}, method="regress", examples=({"x": 80.0},)))
    np.testing.assert_allclose(r.outputs["outputs"], [42.0])
    # y2 = 0.5 x + 3 proves the signature key is sent, not the default one
    r2 = runner.predict(Request("regress_x_to_y2", {}, method="regress", examples=({"x": 2.0},)))
    np.testing.assert_allclose(r2.outputs["outputs"], [4.0])


def test_classify_with_context_features(runner):
    # the example lacks x; it comes from the shared context, which the server merges into each example
    c = runner.predict(Request("classify_x_to_y", {}, method="classify", examples=({"z": 0.0},),
                               context={"x": 2.0}))
    np.testing.assert_allclose(c.outputs["scores"], [[3.0]])
    assert "example_list_with_context" in c.wire["request"]


def test_regress_on_a_float_input_signature_is_explained(runner):
    # regress_x2_to_y3 is declared regress but its input is a float, not serialized tf.Examples
    with pytest.raises(ServingError) as err:
        runner.predict(Request("regress_x2_to_y3", {}, method="regress", examples=({"x2": 4.0},)))
    assert err.value.explanation.kind == "examples_into_non_string"


def test_output_filter(servers):
    # half_plus_two_2_versions has one output per signature; the filter must still be sent and honoured
    r = GrpcRunner(servers["all"].target("grpc"))
    p = r.predict(Request("serving_default", x(4.0)), output_filter=["y"])
    assert list(p.outputs) == ["y"] and p.outputs["y"][0, 0] == 4.0
    assert 'output_filter: "y"' in p.wire["request"]
    with pytest.raises(ServingError) as err:
        r.predict(Request("serving_default", x(4.0)), output_filter=["nope"])
    assert err.value.code == "INVALID_ARGUMENT"
    assert err.value.explanation.kind == "output_alias" and "'nope'" in str(err.value)


@pytest.mark.parametrize("request_, kind, code", [
    (Request("nope", x(1.0)), "signature_not_found", "FAILED_PRECONDITION"),
    (Request("serving_default", {**x(1.0), "extra": np.ones((1, 1), np.float32)}), "input_size", "INVALID_ARGUMENT"),
    (Request("serving_default", {"x": np.ones((1, 1), np.float32)}, method="classify",
             examples=({"x": 1.0},)), "method_mismatch", "INVALID_ARGUMENT"),
])
def test_server_errors_are_explained(runner, request_, kind, code):
    with pytest.raises(ServingError) as err:
        runner.predict(request_)
    exc = err.value
    assert exc.explanation.kind == kind
    assert exc.code == code and exc.status is not None
    assert exc.raw and exc.raw in exc.details  # the server's own words are kept
    assert exc.fix and exc.url == runner.target


def test_unknown_model_version_and_label(servers):
    base = servers["all"]
    cases = [(f"grpc://127.0.0.1:{base.grpc_port}/nope", "servable_not_found", "predict"),
             (base.target("grpc", "/versions/7"), "servable_not_found", "predict"),
             (base.target("grpc", "/versions/7"), "version_not_found", "status"),
             (base.target("grpc", "/labels/gone"), "version_label", "predict")]
    for url, kind, call in cases:
        r = GrpcRunner(url)
        with pytest.raises(ServingError) as err:
            r.predict(Request("serving_default", x(1.0))) if call == "predict" else r.status()
        assert err.value.explanation.kind == kind, (url, err.value.raw)


def test_50mb_response_needs_a_raised_limit(servers):
    url, ca = servers["big"].target("grpc"), str(servers["cert"])
    request = Request("serving_default", {"n": np.array(BIG_FLOATS, np.int32)})
    small = GrpcRunner(url, ca_file=ca, headers=API_KEY, max_message_mb=4)  # gRPC's own default
    with pytest.raises(ServingError) as err:
        small.predict(request)
    assert err.value.code == "RESOURCE_EXHAUSTED"
    assert err.value.explanation.kind == "message_too_large"
    assert "50.0 MB" in str(err.value) and "4 MB" in str(err.value)
    p = GrpcRunner(url, ca_file=ca, headers=API_KEY).predict(request)  # our default limit
    y = p.outputs["y"]
    assert y.shape == (BIG_FLOATS,) and y.dtype == np.float32
    assert y[0] == 0.0 and y[-1] == BIG_FLOATS - 1 and y[123_456] == 123_456.0
    assert "too large to show" in p.wire["response"]


def test_large_request_passes_our_send_limit(servers):
    # 6 MB in (and out: half_plus_two answers as much as it gets), over gRPC's 4 MB default
    r = GrpcRunner(servers["all"].target("grpc"))
    values = np.arange(1_500_000, dtype=np.float32).reshape(-1, 1)
    p = r.predict(Request("serving_default", {"x": values}))
    assert p.outputs["y"].shape == values.shape and p.outputs["y"][-1, 0] == values[-1, 0] * 0.5 + 2
    with pytest.raises(ServingError) as err:
        GrpcRunner(servers["all"].target("grpc"), max_message_mb=4).predict(Request("serving_default",
                                                                                    {"x": values}))
    assert err.value.explanation.kind == "message_too_large" and "sent" in str(err.value)


def test_tls_needs_the_right_root_certificate(servers, tmp_path):
    url = servers["big"].target("grpc")
    ok = GrpcRunner(url, ca_file=str(servers["cert"]), headers=API_KEY)
    assert ok.predict(Request("serving_default", {"n": np.array(3, np.int32)})).outputs["y"].tolist() == [0, 1, 2]
    other = self_signed(tmp_path)  # a certificate the server does not have
    with pytest.raises(ServingError) as err:
        GrpcRunner(url, ca_file=str(other), timeout=5).status()
    assert err.value.code == "UNAVAILABLE" and err.value.explanation.kind == "tls"
    with pytest.raises(ServingError) as err:  # plain text against a TLS port
        GrpcRunner(url, timeout=5).status()
    assert err.value.code == "UNAVAILABLE"
    with pytest.raises(ServingError) as err:
        GrpcRunner(url, ca_file=str(tmp_path / "missing.pem")).status()
    assert "cannot be read" in str(err.value)


def test_connection_refused():
    r = GrpcRunner(f"grpc://127.0.0.1:{free_port()}/default", timeout=5)
    with pytest.raises(ServingError) as err:
        r.predict(Request("serving_default", x(1.0)))
    assert err.value.code == "UNAVAILABLE"
    assert err.value.explanation.kind == "connection_refused"
    assert "Nothing is listening" in str(err.value)


def test_timeout(servers):
    r = GrpcRunner(servers["slow"].target("grpc"), timeout=0.3)  # the server stalls 1.5 s
    with pytest.raises(ServingError) as err:
        r.predict(Request("serving_default", x(1.0)))
    assert err.value.code == "DEADLINE_EXCEEDED" and err.value.explanation.kind == "deadline"
    assert "timeout" in str(err.value)


def test_headers_are_sent_as_metadata(servers):
    """The big server refuses calls without its API key (as a proxy would); the key is sent, in any case."""
    url, ca = servers["big"].target("grpc"), str(servers["cert"])
    with pytest.raises(ServingError) as err:
        GrpcRunner(url, ca_file=ca).status()
    assert err.value.code == "UNAUTHENTICATED"
    assert GrpcRunner(url, ca_file=ca, headers={"x-api-key": "s3"}).status()[0].version == 1


@pytest.mark.parametrize("array", [
    np.array([[1.5, -2.0]], np.float32), np.array([[1.5, -2.0]], np.float16), np.array([True, False]),
    np.array([-3, 4], np.int8), np.array([2**63 + 5], np.uint64), np.array([1 + 2j], np.complex64),
    np.array([b"a", b"\xff"], dtype=object), np.array(3.5, np.float64), np.zeros((2, 0), np.float32),
], ids=lambda a: str(a.dtype))
def test_tensor_protos_round_trip_with_tensorflow(array):
    """Our encoding parses in TensorFlow as the same array, and TensorFlow's (tensor_content or typed fields) in ours."""
    import tensorflow as tf
    from tensorflow.core.framework import tensor_pb2

    from explorer.core import tensorproto

    theirs = tf.make_tensor_proto(array)
    back = tensorproto.to_numpy(theirs)
    assert back.dtype == array.dtype and back.shape == array.shape and np.array_equal(back, array)
    ours = tensorproto.fill_proto(tensor_pb2.TensorProto(), array)
    back = tf.make_ndarray(ours)
    assert back.dtype == array.dtype and np.array_equal(back, array)


def test_short_value_lists_broadcast_as_tensorflow_does():
    import tensorflow as tf

    from explorer.core import tensorproto

    proto = tf.make_tensor_proto(1.0, shape=[2, 2], dtype=tf.float32)  # one float_val for four elements
    assert not proto.tensor_content
    assert tensorproto.to_numpy(proto).tolist() == tf.make_ndarray(proto).tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_status_command_over_grpc(servers, capsys):
    from explorer.cli import main

    assert main(["status", servers["all"].target("grpc")]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines()]
    assert ["124", "AVAILABLE", "OK"] in rows and ["123", "AVAILABLE", "OK"] in rows and "serving 124" in out
    assert main(["status", servers["big"].target("grpc"), "--ca-file", str(servers["cert"]),
                 "--header", "X-Api-Key: s3", "--json"]) == 0
    assert '"state": "AVAILABLE"' in capsys.readouterr().out
    assert main(["status", f"grpc://127.0.0.1:{free_port()}/default", "--timeout", "3"]) == 1
    assert "Nothing is listening" in capsys.readouterr().err
