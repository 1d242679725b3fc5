"""The README's and manual's other screenshots (main window, connect dialog, SavedModel vs its TFLite, About,
Preferences), retaken by tests that assert what their captions say; `make screenshots` keeps them in docs/screenshots
(JOURNEY_SHOTS=dir), otherwise they go to the test's temp dir."""
import os

import pytest
from PySide6.QtWidgets import QApplication

from explorer.core.settings import Settings
from explorer.core.sources import Source
from explorer.ui.widgets.endpoint_dialog import EndpointDialog
from tests.servers.fixtures import *  # noqa: F401,F403
from tests.servers.fixtures import MODELS, TWO_VERSIONS
from tests.ui.layout_audit import audit

TIMEOUT = 180_000


def _save(widget, tmp_path, name: str) -> str:
    for _ in range(5):  # let layouts settle (scroll areas lay out their content late)
        QApplication.processEvents()
    path = os.path.join(os.environ.get("JOURNEY_SHOTS") or str(tmp_path), f"{name}.png")
    assert widget.grab().save(path)
    assert audit(widget) == []  # nothing the user reads in the picture is cut
    return path


@pytest.fixture
def window(readme_window):  # tests/ui/conftest.py
    return readme_window


def test_main_window_on_the_two_version_base_path(qtbot, window, tmp_path):
    # README: "Signature Explorer with TF Serving's two-version half_plus_two model open".
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(str(MODELS / TWO_VERSIONS))
    qtbot.waitUntil(lambda: window.run_panel.signature() is not None, timeout=TIMEOUT)
    window.show_panel("Details")
    assert window.summary.version_combo.count() == 2 and "124" in window.summary.version_combo.currentText()
    keys = window.tree.visible_signature_keys()
    assert keys[0] == "serving_default" and len(keys) == 6
    _save(window, tmp_path, "main_window")
    assert (window.width(), window.height()) == (1280, 800)


def test_connect_dialog_after_test_connection(qtbot, tmp_path, all_versions_server):
    # docs/manual/server_gui.md: "The connect dialog after Test connection" lists the versions and their states.
    dialog = EndpointDialog(Settings(tmp_path / "config"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.paste_url(all_versions_server.target("rest"))
    with qtbot.waitSignal(dialog.tested, timeout=60_000):
        dialog.test_connection()
    text = dialog.test_result.text()
    assert text.startswith("Connected") and "version 124" in text and "AVAILABLE" in text
    _save(dialog, tmp_path, "connect_dialog")
    dialog.worker.wait()


def test_saved_model_beside_its_int8_tflite(qtbot, window, tflite_models, tmp_path):
    # README: "SavedModel vs its int8 TFLite": argmax kept on most rows, probabilities off by a little.
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(tflite_models["source"])
    window.tree.select_signature("classify")
    qtbot.waitUntil(lambda: window.run_panel.signature() is not None
                    and window.run_panel.signature().key == "classify", timeout=TIMEOUT)
    window.run_panel.form.set_batch_size(8)
    window.run_panel.form.row("x").set_source(Source("fill", fill="uniform", params={"seed": 3}))
    view = window.sessions.view
    with qtbot.waitSignal(view.compared, timeout=TIMEOUT) as blocker:
        window.conversions.convert("int8", 100)
    assert [c.title for c in view.columns] == ["SavedModel", "TFLite int8"]
    probs = [d for d in blocker.args[0] if d is not None][0].outputs["probs"]
    assert probs.status == "different" and probs.argmax_agree >= 0.85
    _save(window, tmp_path, "tflite_compare")


def test_about_and_preferences_dialogs(qtbot, window, tmp_path):
    window.about_action.trigger()
    about = window.product.about_dialog
    qtbot.waitExposed(about)
    assert "TensorFlow" in " ".join(label.text() for label in about.findChildren(type(window.engine_label)))
    _save(about, tmp_path, "about")
    about.close()
    preferences = window.product.open_preferences()
    qtbot.waitExposed(preferences)
    preferences.adjustSize()
    _save(preferences, tmp_path, "preferences")
    preferences.reject()
