"""RestRunner against the test model server over real HTTP: every feature, then the faults users meet."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from explorer.core.errors import InputProblem, ServingError
from explorer.core.request import Request
from explorer.core.runners.rest import RestRunner
from explorer.core.savedmodel import read_model
from explorer.core.targets import open_runner, parse_target
from tests.servers.fixtures import *  # noqa: F401,F403
from tests.servers.fixtures import MODELS, TLS_TOKEN, TWO_VERSIONS
from tests.servers.launch import free_port, start_server

pytestmark = pytest.mark.slow

X = np.array([[1.0], [2.0], [5.0]], np.float32)

# A TF1 model with int64 and string inputs and a *_bytes output, as TF Serving would load it (version 1).
ECHO_MODEL = textwrap.dedent("""
    import sys, tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    with tf.Graph().as_default() as g, tf.compat.v1.Session(graph=g) as s:
        ids = tf.compat.v1.placeholder(tf.int64, [None], name="ids")
        text = tf.compat.v1.placeholder(tf.string, [None], name="text")
        sig = tf.compat.v1.saved_model.signature_def_utils.build_signature_def(
            inputs={"ids": tf.compat.v1.saved_model.utils.build_tensor_info(ids),
                    "text": tf.compat.v1.saved_model.utils.build_tensor_info(text)},
            outputs={"ids_out": tf.compat.v1.saved_model.utils.build_tensor_info(tf.identity(ids) + 1),
                     "echo": tf.compat.v1.saved_model.utils.build_tensor_info(tf.identity(text)),
                     "echo_bytes": tf.compat.v1.saved_model.utils.build_tensor_info(tf.identity(text))},
            method_name="tensorflow/serving/predict")
        b = tf.compat.v1.saved_model.builder.SavedModelBuilder(sys.argv[1])
        b.add_meta_graph_and_variables(s, ["serve"], signature_def_map={"serving_default": sig})
        b.save()
""")


@pytest.fixture(scope="module")
def echo_server(model_servers, tmp_path_factory):
    base = tmp_path_factory.mktemp("echo_model")
    subprocess.run([sys.executable, "-c", ECHO_MODEL, str(base / "1")], check=True, capture_output=True)
    return model_servers.get(str(base), "echo")


@pytest.fixture()
def runner(all_versions_server):
    r = RestRunner(all_versions_server.target())
    yield r
    r.close()


# --- status and metadata ---------------------------------------------------------------------------------------
def test_status_lists_every_version(runner, all_versions_server):
    rows = runner.status()
    assert [(s.version, s.state, s.error_code, s.error_message) for s in rows] == [
        (124, "AVAILABLE", "OK", ""), (123, "AVAILABLE", "OK", "")]
    one = RestRunner(all_versions_server.target(suffix="/labels/stable")).status()
    assert [s.version for s in one] == [123]


def test_metadata_equals_the_local_read_of_the_same_folder(runner):
    assert runner.metadata() == read_model(MODELS / TWO_VERSIONS, version=124).signatures
    assert runner.signatures() == runner.metadata()  # cached copy equals a fresh fetch


def test_open_runner_gives_a_rest_runner(all_versions_server):
    r = open_runner(all_versions_server.target(suffix="/versions/123"))
    assert isinstance(r, RestRunner) and r.version == 123
    assert parse_target(r.target).url() == r.target


# --- predict, classify, regress --------------------------------------------------------------------------------
def test_predict_row_and_columnar_agree(runner):
    row = runner.predict(Request("serving_default", {"x": X}))
    col = runner.predict(Request("serving_default", {"x": X}), format="columnar")
    assert row.outputs["y"].dtype == np.float32
    assert row.outputs["y"].tolist() == [[2.5], [3.0], [4.5]]
    np.testing.assert_array_equal(row.outputs["y"], col.outputs["y"])
    assert '"instances"' in row.wire["request"] and '"inputs"' in col.wire["request"]
    assert row.engine == "rest" and row.version == 124 and set(row.timing_ms) >= {"predict", "encode", "decode"}


def test_versions_and_labels(all_versions_server):
    by_version = RestRunner(all_versions_server.target(suffix="/versions/123")).predict(Request("", {"x": X}))
    by_label = RestRunner(all_versions_server.target(suffix="/labels/canary")).predict(Request("", {"x": X}))
    assert by_version.version == 123 and by_label.target.endswith("/labels/canary")
    assert by_label.outputs["y"].tolist() == by_version.outputs["y"].tolist()
    with pytest.raises(ServingError) as info:
        RestRunner(all_versions_server.target(suffix="/versions/7")).predict(Request("", {"x": X}))
    assert info.value.status == 404 and "Specific(" in info.value.raw


def test_classify_and_regress_with_examples_and_context(runner):
    scores = runner.predict(Request("classify_x_to_y", {}, method="classify", examples=({"x": 2.0}, {"x": 20.0})))
    assert scores.outputs["scores"].tolist() == [[3.0], [12.0]] and "classes" not in scores.outputs
    reg = runner.predict(Request("regress_x_to_y", {}, method="regress", examples=({}, {"x": 80.0}),
                                 context={"x": 2.0}))
    assert reg.outputs["outputs"].tolist() == [3.0, 42.0]  # the context fills the first example's x
    with pytest.raises(InputProblem):
        runner.predict(Request("regress_x_to_y", {"x": X}, method="regress"))


def test_string_input_goes_as_b64_and_reaches_the_model(runner):
    from explorer.core.examples import serialize_examples

    serialized = serialize_examples([{"x": 4.0}, {"x": 6.0}])  # binary tf.Example records
    out = runner.predict(Request("classify_x_to_y", {"inputs": serialized}))
    assert '"b64"' in out.wire["request"]
    assert out.outputs["scores"].tolist() == [[4.0], [5.0]]


def test_nan_and_infinity_round_trip(runner):
    x = np.array([[np.nan], [np.inf], [-np.inf]], np.float32)
    y = runner.predict(Request("serving_default", {"x": x})).outputs["y"]
    assert np.isnan(y[0, 0]) and y[1, 0] == np.inf and y[2, 0] == -np.inf


def test_int64_exact_and_bytes_outputs(echo_server):
    r = RestRunner(echo_server.target())
    ids = np.array([2**62 + 1, -(2**63) + 1], np.int64)
    text = np.array([b"caf\xc3\xa9", b"\xff\xfe"], dtype=object)
    for fmt in ("row", "columnar"):
        out = r.predict(Request("serving_default", {"ids": ids, "text": text}), format=fmt).outputs
        assert out["ids_out"].dtype == np.int64 and out["ids_out"].tolist() == (ids + 1).tolist()
        assert out["echo_bytes"].tolist() == [b"caf\xc3\xa9", b"\xff\xfe"]  # b64 from the server, decoded
        assert out["echo"][0] == "café".encode()


# --- security: headers, https with a custom CA -----------------------------------------------------------------
def test_https_with_custom_ca_and_bearer_token(tls_server, tls_files):
    target = tls_server.target()
    r = RestRunner(target, ca_file=tls_files["cert"], headers={"Authorization": TLS_TOKEN})
    assert r.base_url.startswith("https://")
    assert r.predict(Request("", {"x": X})).outputs["y"].tolist() == [[2.5], [3.0], [4.5]]
    with pytest.raises(ServingError) as info:  # the header is what lets it through
        RestRunner(target, ca_file=tls_files["cert"]).status()
    assert info.value.status == 401
    with pytest.raises(ServingError, match="certificate"):  # the CA file is what makes the certificate trusted
        RestRunner(target, tls=True, headers={"Authorization": TLS_TOKEN}).status()
    with pytest.raises(ServingError, match="cannot be read"):
        RestRunner(target, ca_file="/nonexistent/ca.pem").status()


# --- faults ------------------------------------------------------------------------------------------------------
def test_connection_refused():
    with pytest.raises(ServingError, match="refused") as info:
        RestRunner(f"rest://127.0.0.1:{free_port()}/m", timeout=5).status()
    assert info.value.fix


def test_stall_past_the_timeout(all_versions_server):
    r = RestRunner(all_versions_server.target(), timeout=0.4, headers={"X-Test-Stall-Ms": "1500"})
    with pytest.raises(ServingError, match="did not answer within 0.4 s"):
        r.status()


def test_404_and_500_carry_status_and_the_servers_text(all_versions_server):
    with pytest.raises(ServingError) as info:
        RestRunner(f"rest://127.0.0.1:{all_versions_server.rest_port}/half").predict(Request("", {"x": X}))
    assert info.value.status == 404 and info.value.raw == "Servable not found for request: Latest(half)"
    assert "half" in str(info.value) and info.value.url.endswith("/v1/models/half:predict")
    r = RestRunner(all_versions_server.target(), headers={"X-Test-Fault": "500"})
    with pytest.raises(ServingError) as info:
        r.predict(Request("", {"x": X}))
    assert info.value.status == 500 and "Injected fault" in info.value.raw


def test_malformed_json_body(all_versions_server):
    r = RestRunner(all_versions_server.target(), headers={"X-Test-Fault": "malformed"})
    r._signatures = {}  # skip the metadata call, which the fault would break first
    with pytest.raises(ServingError, match="not valid JSON"):
        r.predict(Request("serving_default", {"x": X}))


def test_server_restarted_between_calls():
    port = free_port()
    base = MODELS / "saved_model_half_plus_three"
    server = start_server(base, "m", rest_port=port)
    try:
        r = RestRunner(f"rest://127.0.0.1:{port}/m")
        assert r.predict(Request("", {"x": X})).outputs["y"].tolist() == [[3.5], [4.0], [5.5]]
        server.stop()
        with pytest.raises(ServingError, match="refused|closed"):
            r.status()
        server = start_server(base, "m", rest_port=port)
        assert r.predict(Request("", {"x": X})).outputs["y"].tolist() == [[3.5], [4.0], [5.5]]
    finally:
        server.stop()
