"""The window's TensorFlow lives in the engine process: kill it mid-prediction, mid-load and mid-check -- the window
stays, says what happened, keeps the inputs, and the next run works; Stop ends a hung prediction within 1 s."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from explorer.ui.main_window import DIAGNOSTICS, RUN, MainWindow
from explorer.ui.workers import window_engine

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 240_000  # a cold TensorFlow import in a fresh engine on a busy 2-core machine


@pytest.fixture(scope="module")
def slow_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("slow")
    code = f"import modelgen; modelgen.slow_loop({str(out)!r})"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT / "tests", timeout=TIMEOUT / 1000,
                   env={**os.environ, "PYTHONPATH": str(ROOT / "tests")})
    return out / "slow_loop"


@pytest.fixture
def window(qtbot, slow_model):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    with qtbot.waitSignal(w.model_opened, timeout=30_000):
        w.open_model(slow_model)
    w.show_panel(RUN)
    yield w
    w.run_panel.close()
    w.run_panel.wait(TIMEOUT)
    w.worker.wait()


def type_x(window, text: str):
    row = window.run_panel.form.row("x")
    row.set_mode("json")
    row.editor().edit.setPlainText(text)
    return window.run_panel.form.sources()


def engine_doing(qtbot, doing: str) -> int:
    engine = window_engine()
    qtbot.waitUntil(lambda: (engine.busy() or "").startswith(doing) and engine.pid is not None, timeout=TIMEOUT)
    return engine.pid


def run_and_kill(qtbot, window, doing: str):
    panel = window.run_panel
    with qtbot.waitSignal(panel.run_failed, timeout=TIMEOUT) as blocker:
        panel.run()
        pid = engine_doing(qtbot, doing)
        qtbot.wait(200)
        os.kill(pid, signal.SIGKILL)
    return blocker.args[0]


def test_killing_the_engine_mid_prediction_and_mid_load_keeps_the_window_and_the_inputs(qtbot, window):
    panel = window.run_panel
    typed = type_x(window, "[1000.0]")
    error = run_and_kill(qtbot, window, "running")
    message = "TensorFlow crashed while running serving_default on slow_loop: signal 9 (SIGKILL)."
    assert str(error) == message and panel.message.text() == message and panel.message.level() == "error"
    assert panel.form.sources() == typed  # nothing typed is lost
    assert not panel.history.entries()[0].ok and panel.run_button.isEnabled()
    # The status bar says so too (unless something already started the next engine).
    qtbot.waitUntil(lambda: window.engine_label.text() == "TensorFlow crashed (signal 9 (SIGKILL))"
                    or window_engine().running(), timeout=5000)
    if os.environ.get("SCREENSHOT_DIR"):  # to look at what the user sees
        window.grab().save(os.path.join(os.environ["SCREENSHOT_DIR"], "engine_crashed.png"))

    # The next run starts a fresh engine, which imports TensorFlow while "loading": kill it there too.
    error = run_and_kill(qtbot, window, "loading")
    assert str(error).startswith("TensorFlow crashed while loading slow_loop: signal 9")
    assert panel.form.sources() == typed

    type_x(window, "[0.0, 2.0]")
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT) as blocker:
        panel.run()
    np.testing.assert_array_equal(blocker.args[0].outputs["y"], [0.0, 2.0])
    assert window.engine_label.text().startswith("TensorFlow 2.") or qtbot.waitUntil(
        lambda: window.engine_label.text().startswith("TensorFlow 2."), timeout=5000) is None


def test_killing_the_engine_mid_check_is_said_in_the_diagnostics_tab(qtbot, window):
    window.show_panel(DIAGNOSTICS)
    panel = window.diagnostics
    with qtbot.waitSignal(panel.failed, timeout=TIMEOUT) as blocker:
        panel.start()
        pid = engine_doing(qtbot, "running")
        qtbot.wait(200)
        os.kill(pid, signal.SIGKILL)
    assert "TensorFlow crashed while running serving_default on slow_loop: signal 9" in str(blocker.args[0])
    assert "TensorFlow crashed while running serving_default" in panel.messages.text()
    window.show_panel(RUN)
    type_x(window, "[0.0]")
    with qtbot.waitSignal(window.run_panel.prediction_done, timeout=TIMEOUT):
        window.run_panel.run()


def test_stop_ends_a_hung_prediction_within_a_second(qtbot, window):
    panel = window.run_panel
    typed = type_x(window, "[1000.0]")
    with qtbot.waitSignal(panel.run_failed, timeout=TIMEOUT) as blocker:
        panel.run()
        engine_doing(qtbot, "running")
        qtbot.waitUntil(window.stop_button.isVisible, timeout=2000)
        qtbot.wait(300)
        asked = time.monotonic()
        window.stop_button.click()
    took = time.monotonic() - asked
    assert took < 1.0, took
    assert str(blocker.args[0]) == "Stopped while running serving_default on slow_loop."
    assert panel.form.sources() == typed
    qtbot.waitUntil(lambda: not window.stop_button.isVisible(), timeout=2000)


WINDOW_RUN = textwrap.dedent("""
    import json, os, sys
    from PySide6.QtCore import QTimer
    from explorer.ui.app import create_app
    app = create_app()
    from explorer.ui.main_window import MainWindow
    from explorer.ui.workers import window_engine
    window = MainWindow()
    seen = {}

    def ran(prediction):
        seen["y"] = prediction.outputs["y"].tolist()
        seen["tensorflow_here"] = "tensorflow" in sys.modules
        seen["engine"] = window_engine().pid not in (None, os.getpid())
        print(json.dumps(seen), flush=True)
        os._exit(0)

    def opened(info):
        window.run_panel.prediction_done.connect(ran)
        window.run_panel.form.set_batch_size(1)
        window.run_panel.run()

    window.model_opened.connect(lambda info: QTimer.singleShot(0, lambda: opened(info)))
    window.show()
    window.open_model(sys.argv[1])
    QTimer.singleShot(280000, lambda: os._exit(3))
    app.exec()
""")


def test_the_window_process_never_imports_tensorflow(shared_models):
    out = subprocess.run([sys.executable, "-c", WINDOW_RUN, str(shared_models / "saved_model_half_plus_two_cpu")],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["engine"] and len(seen["y"]) == 1
    assert seen["tensorflow_here"] is False
