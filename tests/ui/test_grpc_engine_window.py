"""A TF Serving gRPC target in the window runs in the engine process (its official messages import TensorFlow):
the window connects, reads status, predicts, checks and compares without importing TensorFlow, and an engine killed in the middle
of a gRPC runner's work is reported and the next run works."""
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from explorer.core.sources import Source
from explorer.ui.widgets.endpoint_dialog import Endpoint
from explorer.ui.workers import window_engine
from tests.servers.fixtures import *  # noqa: F401,F403

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 240_000  # a cold TensorFlow import in a fresh engine on a busy 2-core machine

WINDOW_GRPC = textwrap.dedent("""
    import json, os, sys
    from PySide6.QtCore import QTimer
    from explorer.ui.app import create_app
    app = create_app()
    from explorer.core.sources import Source
    from explorer.ui.main_window import MainWindow
    from explorer.ui.widgets.endpoint_dialog import Endpoint
    from explorer.ui.workers import window_engine
    window = MainWindow()
    actions, rp = window.server, window.run_panel
    seen = {}

    def ran(prediction):
        seen["y"] = prediction.outputs["y"].tolist()
        seen["engine"] = prediction.engine
        # Diagnostics and the Compare view open their gRPC runners through the same window open_runner.
        import numpy as np
        from explorer.ui.run_panel import RunSpec
        from explorer.ui.widgets.compare_columns import run_column
        from explorer.ui.widgets.diagnostics import run_check
        url = f"grpc://127.0.0.1:{sys.argv[1]}/default"
        diagnosis = run_check(url, "serving_default", probes=8)
        seen["check"] = [diagnosis.engine, diagnosis.verdict]
        outcome = run_column(None, RunSpec(url, "grpc", "grpc"), "serving_default",
                             {"x": np.array([[4.0]], np.float32)})
        outcome.runner.close()
        seen["compared"] = outcome.prediction.outputs["y"].tolist()
        seen["tensorflow_here"] = "tensorflow" in sys.modules
        seen["engine_process"] = window_engine().pid not in (None, os.getpid())
        print(json.dumps(seen), flush=True)
        os._exit(0)

    def refreshed(state):
        seen["versions"] = [(s.version, s.state) for s in state.statuses]
        seen["signatures"] = sorted(state.signatures or {})
        seen["served_version"] = state.served_version
        seen["tensorflow_after_status"] = "tensorflow" in sys.modules
        rp.prediction_done.connect(ran)
        rp.run_failed.connect(lambda error: (print(json.dumps({"failed": str(error)}), flush=True), os._exit(4)))
        actions.set_run_on("server")
        rp.form.set_sources({"x": Source("literal", text="[[1.0], [2.0], [5.0]]")})
        QTimer.singleShot(0, rp.run)

    actions.panel.refreshed.connect(lambda state: QTimer.singleShot(0, lambda: refreshed(state)))
    actions.panel.refresh_failed.connect(
        lambda error: (print(json.dumps({"failed": str(error)}), flush=True), os._exit(5)))
    window.show()
    actions.connect_to(Endpoint("127.0.0.1", 0, int(sys.argv[1]), "default", protocol="grpc"))
    QTimer.singleShot(280000, lambda: os._exit(3))
    app.exec()
""")


def test_a_grpc_target_connects_reads_status_predicts_checks_and_compares_without_tensorflow_in_the_window(default_server):
    out = subprocess.run([sys.executable, "-c", WINDOW_GRPC, str(default_server.grpc_port)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["versions"] == [[123, "AVAILABLE"]] and seen["served_version"] == 123
    assert "serving_default" in seen["signatures"]
    assert seen["engine"] == "grpc" and seen["y"] == [[2.5], [3.0], [4.5]]
    assert seen["check"] == ["grpc", "ok"] and seen["compared"] == [[4.0]]
    assert seen["engine_process"]
    assert seen["tensorflow_after_status"] is False and seen["tensorflow_here"] is False


def test_killing_the_engine_during_a_grpc_run_is_reported_and_the_next_run_works(qtbot, window, default_server):
    actions, rp = window.server, window.run_panel
    with qtbot.waitSignal(actions.panel.refreshed, timeout=TIMEOUT):
        actions.connect_to(Endpoint("127.0.0.1", 0, default_server.grpc_port, "default", protocol="grpc"))
    window_engine().stop()  # the next gRPC call starts a fresh engine, whose TensorFlow import we interrupt
    actions.set_run_on("server")
    url = f"grpc://127.0.0.1:{default_server.grpc_port}/default"
    assert rp.spec.kind == "grpc" and rp.spec.target == url
    rp.form.set_sources({"x": Source("literal", text="[[1.0], [2.0], [5.0]]")})
    engine = window_engine()
    with qtbot.waitSignal(rp.run_failed, timeout=TIMEOUT) as blocker:
        qtbot.waitUntil(lambda: rp.run_button.isEnabled(), timeout=TIMEOUT)
        assert rp.run() is not None
        qtbot.waitUntil(lambda: (engine.busy() or "").startswith("connecting to") and engine.pid is not None,
                        timeout=TIMEOUT)
        os.kill(engine.pid, signal.SIGKILL)
    # The engine was only the gRPC client here: no model ran in it, so the words must not blame a model or its
    # inputs (it said "TensorFlow crashed ... this model or these inputs hit a bug in TensorFlow").
    message = f"The app's gRPC client process ended while connecting to {url}: signal 9 (SIGKILL)."
    assert str(blocker.args[0]) == message and rp.message.text() == message
    assert "The server did not cause this" in blocker.args[0].fix and "bug in TensorFlow" not in blocker.args[0].fix
    assert rp.form.sources()["x"].text == "[[1.0], [2.0], [5.0]]"  # the inputs stay

    with qtbot.waitSignal(rp.prediction_done, timeout=TIMEOUT) as blocker:
        qtbot.waitUntil(lambda: rp.run_button.isEnabled(), timeout=TIMEOUT)
        assert rp.run() is not None
    prediction = blocker.args[0]
    assert prediction.engine == "grpc" and prediction.target == url
    np.testing.assert_allclose(prediction.outputs["y"], [[2.5], [3.0], [4.5]])


def test_detecting_tf_serving_on_a_grpc_port_does_not_import_tensorflow(default_server):
    # The endpoint dialog's Detect runs this on a worker of the window's process.
    code = ("import sys; from explorer.core.protocol_probe import detect_server; "
            f"print(detect_server('grpc://127.0.0.1:{default_server.grpc_port}/default'), "
            "'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "('grpc', 'TF Serving') False"


@pytest.mark.parametrize("model", ["default", "m" * 300, "modèle", ""])
def test_the_probes_status_request_is_the_official_message(model):
    from tensorflow_serving.apis import get_model_status_pb2

    from explorer.core.protocol_probe import model_status_request

    official = get_model_status_pb2.GetModelStatusRequest()
    official.model_spec.name = model
    assert model_status_request(model) == official.SerializeToString()
