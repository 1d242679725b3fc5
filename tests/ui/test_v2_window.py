"""The window on KServe V2 servers (real MLServer and KServe): the endpoint dialog's server chooser and Detect, the
Server tab (one signature, said so), the Local ⇄ Server diff, runs on the server and on both, Show request with V2
code, the Compare view (local folder vs MLServer vs KServe) and remembered V2 endpoints."""
from __future__ import annotations

import os

import numpy as np
import pytest

from explorer.core.settings import Settings
from explorer.core.sources import Source
from explorer.ui.server_actions import LOCAL_SERVER
from explorer.ui.widgets.compare_view import CompareView
from explorer.ui.widgets.endpoint_dialog import Endpoint, EndpointDialog
from tests.servers.v2_servers import HALF_PLUS_TWO, kserve, mlserver  # noqa: F401

pytestmark = pytest.mark.slow
TIMEOUT = 30000
RUN_TIMEOUT = 180000
SHOTS = os.environ.get("SIGNATURE_EXPLORER_SHOTS")  # a folder: save screenshots there to look at them


def shot(widget, name):
    if SHOTS:
        widget.grab().save(os.path.join(SHOTS, name))


def v2_endpoint(server, model="half_plus_two", protocol="rest") -> Endpoint:
    return Endpoint("127.0.0.1", server.http_port, server.grpc_port, model, protocol=protocol, server="v2")


def test_endpoint_dialog_reads_v2_urls_detects_the_server_and_tests_it(qtbot, mlserver, tmp_path):
    dialog = EndpointDialog(Settings(tmp_path / "config"))
    qtbot.addWidget(dialog)
    assert dialog.paste_url(f"http://127.0.0.1:{mlserver.http_port}/v2/models/iris/versions/v1/infer")
    endpoint = dialog.endpoint()
    assert (endpoint.server, endpoint.protocol, endpoint.model, endpoint.version) == ("v2", "rest", "iris", "v1")
    assert endpoint.url() == f"v2://127.0.0.1:{mlserver.http_port}/iris/versions/v1"

    # Detect: the user chose TF Serving; the port answers as MLServer, and the choice follows.
    dialog.server_box.setCurrentIndex(dialog.server_box.findData("tfserving"))
    dialog.version_mode.setCurrentIndex(dialog.version_mode.findData("latest"))
    assert dialog.detect() is not None
    qtbot.waitUntil(lambda: dialog.detect_button.isEnabled(), timeout=TIMEOUT)
    assert dialog.server_box.currentData() == "v2" and "MLServer 1.7.1" in dialog.detect_result.text()

    dialog.grpc_port.setValue(mlserver.grpc_port)
    dialog.protocol_grpc.setChecked(True)
    with qtbot.waitSignal(dialog.tested, timeout=TIMEOUT) as blocker:
        dialog.test_connection()
    assert [s.state for s in blocker.args[0]] == ["AVAILABLE"]
    assert "the model (no versions named)" in dialog.test_result.text()
    shot(dialog, "v2_endpoint_dialog.png")
    dialog.accept()
    remembered = Settings(tmp_path / "config")
    from explorer.ui.widgets.endpoint_dialog import remembered_endpoints

    again = remembered_endpoints(remembered)[0]
    assert again.server == "v2" and again.kind() == "v2+grpc" and again.model == "iris"


def test_server_tab_diff_runs_and_show_request_on_mlserver(qtbot, window, mlserver):
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(HALF_PLUS_TWO.parent)
    actions, rp = window.server, window.run_panel
    with qtbot.waitSignal(actions.panel.refreshed, timeout=TIMEOUT):
        actions.connect_to(v2_endpoint(mlserver))
    panel = actions.panel
    assert list(panel.signatures()) == ["serving_default"]
    assert "a KServe V2 model has one signature" in panel.served_label.text()
    assert panel.versions.item(0, 0).text() == "(none named)" and panel.versions.item(0, 1).text() == "AVAILABLE"

    # Local ⇄ Server: the folder's serving_default mapped as a V2 server serves it matches the server's signature.
    qtbot.waitUntil(lambda: actions.diff_view.report() is not None, timeout=TIMEOUT)
    assert window.tabs.isTabVisible(window.tabs.indexOf(window.panel(LOCAL_SERVER)))
    report = actions.diff_view.report()
    assert report.cause in ("same", "names_only"), report.cause

    actions.set_run_on("server")
    assert rp.spec.kind == "v2" and rp.signature().key == "serving_default"
    rp.form.set_sources({"x": Source("literal", text="[[1.0], [2.0], [5.0]]")})
    with qtbot.waitSignal(rp.prediction_done, timeout=TIMEOUT) as blocker:
        qtbot.waitUntil(lambda: rp.run_button.isEnabled(), timeout=TIMEOUT)
        assert rp.run() is not None
    prediction = blocker.args[0]
    assert prediction.engine == "v2"
    np.testing.assert_allclose(prediction.outputs["y"], [[2.5], [3.0], [4.5]])
    window.resize(1280, 800)
    shot(window, "v2_server_run.png")

    dialog = actions.show_request()
    qtbot.waitUntil(lambda: bool(dialog.text("curl")), timeout=TIMEOUT)
    assert f"127.0.0.1:{mlserver.http_port}/v2/models/half_plus_two/infer" in dialog.text("curl")
    assert "import requests" in dialog.text("python-rest")
    assert "tritonclient.grpc" in dialog.text("python-grpc")
    assert "tritonclient.http" in dialog.text("v2-tritonclient")
    shot(dialog, "v2_show_request.png")
    dialog.close()

    actions.set_run_on("both")
    with qtbot.waitSignal(actions.both_done, timeout=RUN_TIMEOUT) as blocker:
        assert rp.run() is not None
    outcome = blocker.args[0]
    assert outcome.diff is not None and outcome.diff.equal and outcome.server.engine == "v2"


def test_compare_view_local_folder_mlserver_and_kserve(qtbot, mlserver, kserve, tmp_path):
    from explorer.core.savedmodel import read_model

    view = CompareView(settings=Settings(tmp_path / "config"))
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    view.add_target(str(HALF_PLUS_TWO.parent))
    view.add_target(mlserver.target("half_plus_two", grpc=True))
    view.add_target(kserve.target("half_plus_two"))
    assert [c.spec.kind for c in view.columns] == ["folder", "v2+grpc", "v2"]
    signature = read_model(HALF_PLUS_TWO.parent).user_signatures["serving_default"]
    view.request_provider = lambda: (signature, {"x": Source("literal", text="[[1.0], [2.0], [5.0], [-3.0]]")},
                                     None, {})
    with qtbot.waitSignal(view.compared, timeout=RUN_TIMEOUT) as blocker:
        assert view.compare() is not None
    diffs = blocker.args[0]
    assert diffs[1].equal and diffs[2].equal
    assert view.columns[1].prediction.engine == "v2+grpc" and view.columns[2].prediction.engine == "v2"
    shot(view, "v2_compare_view.png")
    view.clear_targets()
    view.wait(RUN_TIMEOUT)


def test_endpoint_settings_round_trip_keeps_v2_and_string_versions():
    endpoint = Endpoint("h", 8080, 8081, "m", protocol="grpc", version="v2-beta", server="v2")
    again = Endpoint.from_settings(endpoint.to_settings())
    assert again == endpoint and again.url() == "v2+grpc://h:8081/m/versions/v2-beta"
    assert Endpoint.from_target(again.target()).kind() == "v2+grpc"


def test_workspaces_keep_v2_targets():
    from explorer.ui.run_panel import RunSpec
    from explorer.ui.session_actions import spec_dict, spec_of

    for spec in (RunSpec("v2://h:8080/m/versions/v1", "v2", "v2"), RunSpec("v2+grpc://h:8081/m", "v2+grpc", "v2+grpc")):
        assert spec_of(spec_dict(spec)) == spec


def test_diagnostics_panel_checks_a_v2_target_and_compares_the_local_folder(qtbot, mlserver):
    from PySide6.QtCore import QThread  # noqa: F401
    from explorer.ui.widgets.diagnostics import DiagnosticsPanel

    panel = DiagnosticsPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 850)
    panel.show()
    panel.set_target(mlserver.target("half_plus_two"), "serving_default")
    assert panel.compare_edit.isVisible()  # a server target offers the local comparison
    panel.set_compare_folder(str(HALF_PLUS_TWO.parent))
    panel.probes_spin.setValue(16)
    with qtbot.waitSignal(panel.diagnosed, timeout=RUN_TIMEOUT) as blocker:
        assert panel.start() is not None
    qtbot.waitUntil(lambda: not panel.busy, timeout=RUN_TIMEOUT)
    diagnosis = blocker.args[0]
    assert diagnosis.verdict == "ok", diagnosis.verdict
    shot(panel, "v2_diagnostics.png")
    panel.worker.wait(RUN_TIMEOUT)
