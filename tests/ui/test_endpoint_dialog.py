"""EndpointDialog against a real test server: pasted URLs fill the fields, Test connection lists the versions or
explains the failure inline, endpoints are remembered without header values."""
import json

import pytest

from explorer.core.settings import Settings
from explorer.ui.widgets import endpoint_dialog
from explorer.ui.widgets.endpoint_dialog import Endpoint, EndpointDialog, remembered_endpoints
from tests.servers.fixtures import *  # noqa: F401,F403
from tests.servers.fixtures import TLS_TOKEN, TWO_VERSIONS
from tests.servers.launch import free_port

TIMEOUT = 20000
GRPC_TIMEOUT = 120000  # the first gRPC call imports TensorFlow (tensorflow-serving-api needs it): seconds on a busy box


@pytest.fixture
def dialog(qtbot, tmp_path):
    d = EndpointDialog(Settings(tmp_path / "config"))
    qtbot.addWidget(d)
    yield d
    d.worker.wait()


def test_pasted_tf_serving_url_fills_every_field(dialog):
    assert dialog.paste_url("http://models.internal:9001/v1/models/resnet/versions/2:predict")
    ep = dialog.endpoint()
    assert (ep.host, ep.rest_port, ep.model, ep.version, ep.protocol, ep.tls) == (
        "models.internal", 9001, "resnet", 2, "rest", False)
    assert dialog.version_mode.currentData() == "version" and dialog.version_edit.text() == "2"
    assert dialog.paste_url("grpc://10.0.0.5:9500/m/labels/canary")
    ep = dialog.endpoint()
    # the gRPC URL sets the gRPC port and keeps the REST port typed before
    assert (ep.protocol, ep.grpc_port, ep.rest_port, ep.label, ep.version) == ("grpc", 9500, 9001, "canary", None)
    assert dialog.paste_url("https://secure:443/v1/models/m")
    assert dialog.endpoint().tls and dialog.endpoint().version is None
    assert not dialog.paste_url("rest://host:99999999/m")
    assert "out of range" in dialog.url_hint.text()
    assert not dialog.paste_url("rest://host:8501")  # no model
    assert "rest://HOST:PORT/MODEL" in dialog.url_hint.text()  # says what it accepts
    assert dialog.endpoint().host == "secure"  # a bad paste leaves the fields alone


def test_test_connection_lists_versions_and_states(qtbot, dialog, all_versions_server):
    dialog.paste_url(all_versions_server.target("rest"))
    with qtbot.waitSignal(dialog.tested, timeout=TIMEOUT) as blocker:
        assert dialog.test_connection() is not None
    statuses = blocker.args[0]
    assert [(s.version, s.state) for s in statuses] == [(124, "AVAILABLE"), (123, "AVAILABLE")]
    text = dialog.test_result.text()
    assert "version 124" in text and "AVAILABLE" in text and text.startswith("Connected")
    assert dialog.message.level() == ""


def test_test_connection_over_grpc(qtbot, dialog, two_versions_server):
    dialog.set_endpoint(Endpoint("127.0.0.1", two_versions_server.rest_port, two_versions_server.grpc_port,
                                 TWO_VERSIONS, protocol="grpc"))
    with qtbot.waitSignal(dialog.tested, timeout=GRPC_TIMEOUT) as blocker:
        dialog.test_connection()
    assert [(s.version, s.state) for s in blocker.args[0]] == [(123, "AVAILABLE")]


def test_unreachable_endpoint_is_explained_inline_and_the_dialog_keeps_working(qtbot, dialog, default_server):
    port = free_port()  # nothing listens there
    dialog.paste_url(f"rest://127.0.0.1:{port}/default")
    with qtbot.waitSignal(dialog.test_failed, timeout=TIMEOUT) as blocker:
        dialog.test_connection()
    assert "Nothing is listening" in str(blocker.args[0])
    assert dialog.message.level() == "error"
    assert "Nothing is listening at 127.0.0.1" in dialog.message.text()
    assert "8501" in dialog.message.fix()  # the fix names the usual ports
    assert dialog.message.has_details()
    assert "Not connected" in dialog.test_result.text() and dialog.test_button.isEnabled()
    # fixing the port works at once, in the same dialog
    dialog.rest_port.setValue(default_server.rest_port)
    with qtbot.waitSignal(dialog.tested, timeout=TIMEOUT):
        dialog.test_connection()
    assert dialog.message.level() == ""


def test_a_wrong_model_name_shows_the_servers_explained_error(qtbot, dialog, default_server):
    dialog.paste_url(f"rest://127.0.0.1:{default_server.rest_port}/no_such_model")
    with qtbot.waitSignal(dialog.test_failed, timeout=TIMEOUT) as blocker:
        dialog.test_connection()
    error = blocker.args[0]
    assert error.status == 404
    assert "no_such_model" in dialog.message.text()
    assert "no_such_model" in dialog.message.details()  # the server's own words behind Details
    assert dialog.message.fix()


def test_remembered_endpoints_never_store_header_values(qtbot, dialog, tmp_path, tls_server, tls_files):
    dialog.set_endpoint(Endpoint("127.0.0.1", tls_server.rest_port, tls_server.grpc_port, "default", tls=True,
                                 ca_file=tls_files["cert"]))
    name, _, value = TLS_TOKEN.partition(" ")
    dialog.add_header("Authorization", TLS_TOKEN)
    with qtbot.waitSignal(dialog.tested, timeout=TIMEOUT) as blocker:  # the token is really used
        dialog.test_connection()
    assert blocker.args[0][0].state == "AVAILABLE"
    dialog.accept()
    text = (tmp_path / "config" / "settings.json").read_text()
    assert "test-token-123" not in text and "Bearer" not in text
    stored = json.loads(text)["endpoints"][0]
    assert stored["header_names"] == ["Authorization"] and stored["ca_file"] == tls_files["cert"]
    assert stored["tls"] is True and stored["rest_port"] == tls_server.rest_port
    # within the session the value comes back with the remembered endpoint ...
    again = EndpointDialog(Settings(tmp_path / "config"))
    qtbot.addWidget(again)
    assert again.endpoint().header_dict() == {"Authorization": TLS_TOKEN}
    assert again.recent_box.count() == 1 and again.recent_box.isEnabled()
    # ... and a new session (nothing in memory) gets the name with an empty value
    endpoint_dialog._SESSION_HEADERS.clear()
    fresh = remembered_endpoints(Settings(tmp_path / "config"))[0]
    assert fresh.header_dict() == {"Authorization": ""}
    assert "this session" in dialog.headers_table.toolTip()


def test_accept_needs_a_model_name(dialog, tmp_path):
    dialog.set_endpoint(Endpoint("localhost", 8501, 8500, ""))
    dialog.accept()
    assert dialog.result() == 0 and dialog.message.level() == "warning"
    assert not (tmp_path / "config" / "settings.json").exists()


def test_a_header_value_http_cannot_carry_is_refused_before_sending(dialog):
    dialog.set_endpoint(Endpoint("localhost", 8501, 8500, "m"))
    dialog.add_header("Authorization", "Bearer eyJhbGciOi…")  # a token shortened by a web page
    assert dialog.test_connection() is None
    assert dialog.message.level() == "warning" and "U+2026" in dialog.message.text()
    dialog.headers_table.item(0, 1).setText("Bearer abc")
    dialog.headers_table.item(0, 0).setText("Bad Name")
    dialog.accept()
    assert dialog.result() == 0 and "not a valid header name" in dialog.message.text()
