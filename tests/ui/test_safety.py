"""The window and dangerous models: badge and tree marks on open, nothing loads until the user agrees in a dialog,
the answer is remembered and revocable. Canary files prove what ran."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from explorer.core import scan
from explorer.core.errors import UnsafeModelError
from explorer.core.savedmodel import read_model
from explorer.core.settings import Settings
from explorer.ui.main_window import DIAGNOSTICS, RUN, MainWindow
from explorer.ui.widgets.preferences_dialog import PreferencesDialog
from explorer.ui.widgets.unsafe_dialog import UnsafeModelDialog

TIMEOUT = 60000


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    if w.consent.dialog is not None:
        w.consent.dialog.reject()
    w.worker.wait()
    w.run_panel.wait()


def open_scanned(qtbot, window, path):
    with qtbot.waitSignal(window.model_scanned, timeout=TIMEOUT):
        window.open_model(path)
    return window.scan_report


def wait_dialog(qtbot, window) -> UnsafeModelDialog:
    qtbot.waitUntil(lambda: window.consent.dialog is not None and window.consent.dialog.isVisible(), timeout=TIMEOUT)
    return window.consent.dialog


# --- the dialog alone -------------------------------------------------------------------------------------------

def test_dialog_names_what_the_model_would_do_and_defaults_to_not_running(qtbot, unsafe_corpus, tmp_path):
    report = scan.scan_path(unsafe_corpus["write_through_function"][0])
    dialog = UnsafeModelDialog(report, "run it")
    qtbot.addWidget(dialog)
    dialog.show()
    assert "would write files when you run it" in dialog.heading.text()
    text = dialog.findings.text()
    assert "WriteFile" in text and "signature &#x27;serving_default&#x27; via serve &gt; inner" in text
    assert "writes a file" in text and "Also present" in text  # the medium finding is named, not hidden
    assert report.fingerprint in dialog.advice.text()
    assert dialog.cancel_button.isDefault() and not dialog.run_button.isDefault()
    dialog.grab().save(str(tmp_path / "unsafe_dialog.png"))
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter does not run a stranger's code
    assert dialog.result() == UnsafeModelDialog.DialogCode.Rejected

    again = UnsafeModelDialog(report)
    qtbot.addWidget(again)
    again.show()
    qtbot.mouseClick(again.run_button, Qt.MouseButton.LeftButton)
    assert again.result() == UnsafeModelDialog.DialogCode.Accepted


def test_dialog_says_python_and_reading_in_words(qtbot, unsafe_corpus):
    for name, words in (("py_function", "would run Python code"), ("read_file", "would read your files"),
                        ("keras_lambda", "would run Python code")):
        dialog = UnsafeModelDialog(scan.scan_path(unsafe_corpus[name][0]))
        qtbot.addWidget(dialog)
        assert words in dialog.heading.text(), name


# --- the window ---------------------------------------------------------------------------------------------------

def test_badge_and_tree_mark_what_reaches_unsafe_ops(qtbot, window, unsafe_corpus, tmp_path):
    report = open_scanned(qtbot, window, unsafe_corpus["read_file"][0])
    assert [f.op for f in report.high] == ["ReadFile"]
    badge = window.summary.safety_badge
    assert badge.isVisible() and badge.text() == "⚠ Unsafe: ReadFile"
    assert "ReadFile (high) in signature 'leak'" in badge.toolTip()
    assert "would read your files" in window.summary.safety.text()
    assert window.tree.unsafe_signatures() == ["leak"]  # serving_default is harmless and not marked
    window.grab().save(str(tmp_path / "window_unsafe.png"))

    open_scanned(qtbot, window, unsafe_corpus["safe_twin"][0])
    assert window.summary.safety_badge.text() == "✓ No unsafe ops"
    assert not window.summary.safety.isVisible() and window.tree.unsafe_signatures() == []


def test_predict_loads_nothing_until_the_user_agrees(qtbot, window, unsafe_corpus):
    path, canary = unsafe_corpus["tf1_main_op"]  # would write at load: showing the Predict tab must not load it
    open_scanned(qtbot, window, path)
    window.show_panel(RUN)
    panel = window.run_panel
    qtbot.waitUntil(lambda: panel.message.level() == "warning", timeout=TIMEOUT)
    assert "Not loaded" in panel.message.text() and "WriteFile" in panel.message.text()
    assert window.consent.dialog is None  # browsing asks nothing: the question comes with Run
    assert not canary.exists() and panel.runner is None

    panel.run()
    dialog = wait_dialog(qtbot, window)
    assert "would write files" in dialog.heading.text() and "at load, by main_op" in dialog.findings.text()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    panel.wait()
    assert not canary.exists() and window.settings.unsafe_consents() == {}

    panel.run()
    dialog = wait_dialog(qtbot, window)
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT) as done:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert done.args[0].outputs["y"].shape == (1,)
    assert canary.exists(), "consent given: the model loaded and its main_op ran"
    canary.unlink()
    report = window.scan_report
    assert list(window.settings.unsafe_consents()) == [report.consent_key]
    assert window.settings.unsafe_consents()[report.consent_key]["ops"] == ["WriteFile"]


def test_consent_is_remembered_and_revocable_in_preferences(qtbot, unsafe_corpus):
    path, _canary = unsafe_corpus["write_through_function"]
    info = read_model(path)
    report = scan.scan_model(info)
    settings = Settings()
    settings.grant_unsafe_consent(report.consent_key, str(path), ["WriteFile"])
    window = MainWindow(Settings())  # a new window (a restart): the remembered answer holds
    qtbot.addWidget(window)
    assert scan.require_consent(info) is report

    dialog = PreferencesDialog(window.settings, window, consent=window.consent)
    qtbot.addWidget(dialog)
    assert dialog.consent_list.count() == 1 and str(path) in dialog.consent_list.item(0).text()
    dialog.consent_list.setCurrentRow(0)
    with qtbot.waitSignal(dialog.consent_revoked):
        qtbot.mouseClick(dialog.revoke_button, Qt.MouseButton.LeftButton)
    assert Settings().unsafe_consents() == {}
    with pytest.raises(UnsafeModelError):
        scan.require_consent(info)  # asked again from now on
    assert "No model is allowed" in dialog.consent_list.item(0).text()
    window.worker.wait()


def test_diagnostics_asks_before_probing(qtbot, window, unsafe_corpus):
    path, canary = unsafe_corpus["write_through_function"]
    open_scanned(qtbot, window, path)
    window.show_panel(DIAGNOSTICS)
    with qtbot.waitSignal(window.diagnostics.failed, timeout=TIMEOUT):
        window.diagnostics.start()
    dialog = wait_dialog(qtbot, window)
    assert "when you check it" in dialog.heading.text()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    window.worker.wait()
    assert not canary.exists() and "Not loaded" in window.diagnostics.messages.text()


def test_compare_asks_before_running_the_unsafe_side(qtbot, window, unsafe_corpus):
    from explorer.ui.run_panel import RunSpec

    path, canary = unsafe_corpus["write_through_function"]
    safe = unsafe_corpus["safe_twin"][0]
    open_scanned(qtbot, window, safe)
    view = window.sessions.view
    view.add_target(RunSpec(str(safe)))
    view.add_target(RunSpec(str(path)))
    import numpy as np

    view.compare_arrays("serving_default", {"x": np.array([1.0, 2.0], np.float32)})
    dialog = wait_dialog(qtbot, window)
    assert "when you compare it" in dialog.heading.text()
    assert not canary.exists()
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: canary.exists() and not view.is_running(), timeout=TIMEOUT)
    assert [c.state for c in view.columns] == ["done", "done"]
    canary.unlink()
