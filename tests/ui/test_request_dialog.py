"""ShowRequestDialog: the form's request as curl / Python REST / Python gRPC / saved_model_cli; the REST code is run
for real against a test server; Copy and Save as… (with the payload file of a large request)."""
import json
import subprocess
import sys

import pytest
from PySide6.QtGui import QFontDatabase, QGuiApplication

from explorer.core.savedmodel import read_model
from explorer.core.sources import Source
from explorer.ui.widgets.endpoint_dialog import Endpoint
from explorer.ui.widgets.request_dialog import ShowRequestDialog
from tests.servers.fixtures import *  # noqa: F401,F403
from tests.servers.fixtures import MODELS

TIMEOUT = 20000
FOLDER = MODELS / "saved_model_half_plus_two_cpu"


@pytest.fixture(scope="module")
def info():
    return read_model(FOLDER)


@pytest.fixture
def dialog(qtbot):
    d = ShowRequestDialog()
    qtbot.addWidget(d)
    yield d
    d.worker.wait()


def show(qtbot, dialog, info, sources, endpoint=None, batch=None, folder=True):
    sig = info.signatures["serving_default"]
    with qtbot.waitSignal(dialog.ready, timeout=TIMEOUT) as blocker:
        dialog.show_form(sig, sources, batch, None, info.path if folder else None, info.version, endpoint)
    return blocker.args[0]


def test_local_model_gives_a_saved_model_cli_command_and_assumed_serving_code(qtbot, dialog, info):
    show(qtbot, dialog, info, {"x": Source("literal", text="[[1.0], [2.0], [5.0]]")})
    assert dialog.current_kind() == "saved_model_cli"  # no server: the local command first
    cli = dialog.text("saved_model_cli")
    assert cli.startswith("saved_model_cli run") and "--signature_def serving_default" in cli
    assert "x=[[1.0],[2.0],[5.0]]" in cli and "00000123" in cli
    assert "localhost:8501/v1/models/saved_model_half_plus_two_cpu:predict" in dialog.text("curl")
    assert "assumed" in dialog.notes["curl"].text()
    assert "(3, 1) float32" in dialog.summary.text()
    assert dialog.editors["curl"].font() == QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    copied = dialog.copy()
    assert copied == cli and QGuiApplication.clipboard().text() == cli


def test_server_code_is_the_exact_request_and_runs(qtbot, dialog, info, default_server, tmp_path):
    endpoint = Endpoint("127.0.0.1", default_server.rest_port, default_server.grpc_port, "default")
    show(qtbot, dialog, info, {"x": Source("literal", text="[[1.0], [2.0], [5.0]]")}, endpoint, folder=False)
    assert dialog.current_kind() == "curl"
    curl = dialog.text("curl")
    assert f"http://127.0.0.1:{default_server.rest_port}/v1/models/default:predict" in curl
    assert '"instances"' in curl or '"inputs"' in curl
    assert f"127.0.0.1:{default_server.grpc_port}" in dialog.text("python-grpc")
    assert "none is open" in dialog.notes["saved_model_cli"].text()  # says why that tab is empty
    # the Python REST code, saved and run as a user would, gets TF Serving's answer y = 0.5x + 2
    written = dialog.save(tmp_path / "call.py", "python-rest")
    out = subprocess.run([sys.executable, str(written[0])], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == {"predictions": [[2.5], [3.0], [4.5]]}


def test_large_payload_is_saved_beside_the_code(qtbot, dialog, info, tmp_path):
    show(qtbot, dialog, info, {"x": Source("fill", fill="range")}, batch=5000)
    assert "@request.json" in dialog.text("curl")
    written = dialog.save(tmp_path / "out" / "call.sh", "curl")
    assert sorted(p.name for p in written) == ["call.sh", "request.json"]
    body = json.loads((tmp_path / "out" / "request.json").read_text())
    assert len(body.get("instances") or body.get("inputs")) == 5000
    assert "request.json" in dialog.notes["curl"].text()


def test_form_errors_say_there_is_no_request_yet(qtbot, dialog, info):
    sig = info.signatures["serving_default"]
    with qtbot.waitSignal(dialog.failed, timeout=TIMEOUT) as blocker:
        dialog.show_form(sig, {"x": Source("literal", text="[[1.0], [oops]]")}, None, None, info.path)
    assert "no request to show yet" in str(blocker.args[0])
    assert "no request to show yet" in dialog.summary.text()
    assert not dialog.copy_button.isEnabled()
