"""Signature ▸ Edit and Re-export…, "Fix in a re-export" and the result beside the old model in Compare: the real
window and dialog on real models, TensorFlow on the worker."""
import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

import modelgen
from tests.servers.fixtures import *  # noqa: F401,F403  (the session's server pool)
from explorer.core.savedmodel import read_model
from explorer.core.validate import check
from explorer.ui.main_window import MainWindow
from explorer.ui.widgets.reexport_dialog import DTYPE, NEW_KEY, SCALE, ReexportDialog

TIMEOUT = 120000


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    out = tmp_path_factory.mktemp("reexport_ui")
    return {"gray": modelgen.grayscale_cnn(out), "fixed": modelgen.fixed_batch(out),
            "functions": modelgen.two_functions(out), "out": out}


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.worker.wait()
    w.reexport.worker.wait(TIMEOUT)


def open_and_wait(qtbot, window, path, **kw):
    with qtbot.waitSignal(window.model_opened, timeout=20000):
        window.open_model(path, **kw)
    return window.model()


def test_dialog_edits_reexports_proves_and_opens_the_new_model_beside_the_old(qtbot, window, models, tmp_path):
    open_and_wait(qtbot, window, models["gray"])
    dialog = window.reexport.open_dialog()
    assert isinstance(dialog, ReexportDialog) and window.reexport.edit_action.isEnabled()
    dialog.inputs_table.cellWidget(0, DTYPE).setCurrentText("uint8")
    dialog.inputs_table.item(0, SCALE).setText("1/255")
    dialog.outputs_table.item(0, NEW_KEY).setText("probs")
    assert "image float32 (-1, 28, 28, 1) -> image uint8 (-1, 28, 28, 1), / 255 inside" in dialog.preview.text()
    dialog.destination_edit.setText(str(tmp_path / "uint8"))
    dialog.grab().save(str(tmp_path / "dialog.png"))
    with qtbot.waitSignal(window.reexport.reexported, timeout=TIMEOUT) as done:
        dialog.start()
    result = done.args[0]
    assert result.equal and "Proven equal" in dialog.preview.text() and "equal on" in dialog.preview.text()
    new = read_model(tmp_path / "uint8")
    assert new.signatures["serving_default"].inputs["image"].dtype == "DT_UINT8"
    # The new model is open, and the Compare tab holds the old and the new side by side.
    qtbot.waitUntil(lambda: window.model() is not None and window.model().path == str(tmp_path / "uint8"),
                    timeout=20000)
    view = window.sessions.view
    assert [s.target for s in view.specs()] == [str(models["gray"]), str(tmp_path / "uint8")]
    assert window.tabs.currentWidget() is view
    qtbot.waitUntil(lambda: "equal on" in window.messages.text(), timeout=5000)
    assert window.messages.text().startswith(f"Re-exported 'serving_default' to {tmp_path / 'uint8'}: equal on")
    window.grab().save(str(tmp_path / "window.png"))


def test_a_reexport_that_could_not_be_proven_says_so(qtbot, window, models, tmp_path):
    # A text input has no seeded probes, so nothing was compared; the dialog said "The new model does not answer
    # as the old one".
    open_and_wait(qtbot, window, modelgen.flag_and_text(models["out"]))
    dialog = window.reexport.open_dialog()
    row = [dialog.inputs_table.item(r, 0).text() for r in range(dialog.inputs_table.rowCount())].index("text")
    dialog.inputs_table.item(row, NEW_KEY).setText("sentence")
    dialog.destination_edit.setText(str(tmp_path / "renamed"))
    with qtbot.waitSignal(window.reexport.reexported, timeout=TIMEOUT) as done:
        dialog.start()
    assert not done.args[0].equal and done.args[0].proof.error
    assert "Written, not proven" in dialog.preview.text() and "does not answer" not in dialog.preview.text()


def test_a_bad_edit_is_said_in_the_dialog_and_blocks_the_run(qtbot, window, models):
    open_and_wait(qtbot, window, models["fixed"])
    dialog = window.reexport.open_dialog()
    dialog.inputs_table.item(0, SCALE).setText("lots")
    assert "must be a number or 1/N" in dialog.preview.text() and not dialog.run_button.isEnabled()
    dialog.inputs_table.item(0, SCALE).setText("")
    dialog.inputs_table.item(0, 3).setText("-1, 6")
    assert "fixes a dimension" in dialog.preview.text() and not dialog.run_button.isEnabled()


def test_fix_in_a_reexport_from_a_batch_problem(qtbot, window, models):
    info = open_and_wait(qtbot, window, models["fixed"])
    sig = info.signatures["serving_default"]
    problems = check({"x": np.ones((1, 5), np.float32)}, sig, target="serving")  # TF Serving refuses one row
    form = window.run_panel.form
    form.show_problems(problems)
    row = form.rows["x"]
    assert row.reexport_button.isVisibleTo(row) and row.reexport_button.text() == "Fix in a re-export"
    row.reexport_button.click()
    dialog = window.reexport.dialog
    assert dialog is not None and dialog.free_batch.isChecked()
    assert "input x float32 (32, 5) -> x float32 (-1, 5)" in dialog.preview.text()


def test_functions_in_the_tree_and_a_signature_made_from_one(qtbot, window, models, tmp_path):
    open_and_wait(qtbot, window, models["functions"])
    group = window.tree.functions_item()
    assert group is not None and [group.child(i).text(0) for i in range(group.childCount())] == ["predict", "scaled"]
    assert group.text(3) == "no signatures: predict, scaled could become one"
    window.tree.select_path(("\0functions", "predict"))
    assert "--from-function predict" in window.details.toPlainText()
    dialog = window.reexport.open_dialog()
    assert dialog.source_box.currentText() == "function: predict"
    assert "The new model will have serving_default" in dialog.preview.text()
    dialog.destination_edit.setText(str(tmp_path / "served"))
    with qtbot.waitSignal(window.reexport.reexported, timeout=TIMEOUT) as done:
        dialog.start()
    assert done.args[0].equal and list(read_model(tmp_path / "served").user_signatures) == ["serving_default"]


def test_show_code_opens_the_tensorflow_code(qtbot, window, models, tmp_path):
    open_and_wait(qtbot, window, models["fixed"])
    dialog = window.reexport.open_dialog()
    dialog.free_batch.setChecked(True)
    dialog.code_button.click()
    code = window.reexport.code_dialog
    assert code is not None and code.current_kind() == "tensorflow-reexport"
    text = code.text()
    assert "tf.saved_model.save(module, DESTINATION, signatures=signatures)" in text
    assert "shape=[None, 2]" in text
    QApplication.processEvents()


def test_a_model_whose_load_writes_files_asks_consent_first(qtbot, window, models, tmp_path):
    import unsafe_models

    canary = tmp_path / "canary.txt"
    src = unsafe_models.tf1_main_op(models["out"] / "unsafe", canary)
    open_and_wait(qtbot, window, src)
    dialog = window.reexport.open_dialog()
    dialog.destination_edit.setText(str(tmp_path / "unsafe_new"))
    dialog.start()
    qtbot.waitUntil(lambda: window.consent.dialog is not None and window.consent.dialog.isVisible(), timeout=TIMEOUT)
    assert "Not loaded" in dialog.preview.text() and not canary.exists()  # asked before TensorFlow saw it
    with qtbot.waitSignal(window.reexport.reexported, timeout=TIMEOUT):
        window.consent.dialog.accept()  # "Run Anyway": the re-export starts again and loads it
    assert canary.exists() and (tmp_path / "unsafe_new" / "saved_model.pb").is_file()


def test_next_version_served_and_diffed_local_vs_server(qtbot, window, models, tmp_path, model_servers):
    import shutil

    from explorer.ui.widgets.endpoint_dialog import Endpoint

    base = tmp_path / "base"
    shutil.copytree(models["fixed"], base / "1")
    open_and_wait(qtbot, window, base)
    dialog = window.reexport.open_dialog()
    assert dialog.destination_edit.text() == str(base)  # a base path gets its next version by default
    dialog.free_batch.setChecked(True)
    with qtbot.waitSignal(window.reexport.reexported, timeout=TIMEOUT) as done:
        dialog.start()
    assert done.args[0].version == 2 and done.args[0].equal
    qtbot.waitUntil(lambda: window.model() is not None and window.model().version == 2, timeout=20000)
    server = model_servers.get(str(base), model_name="fixed")  # TF Serving's rules: serves the newest, 2
    open_and_wait(qtbot, window, base, version=1)
    with qtbot.waitSignal(window.server.panel.refreshed, timeout=20000):
        window.server.connect_to(Endpoint("127.0.0.1", server.rest_port, server.grpc_port, "fixed"))
    qtbot.waitUntil(lambda: window.server.diff_view.report() is not None, timeout=20000)
    report = window.server.diff_view.report()
    assert report.served_version == 2 and report.cause == "newer_version"
    changes = [c.text() for c in report.diff("serving_default").changes]
    assert "input x: shape (32, 5) -> (-1, 5)" in changes
    window.grab().save(str(tmp_path / "local_vs_server.png"))
    shutil.copy(tmp_path / "local_vs_server.png", "/tmp/p17/local_vs_server.png")
