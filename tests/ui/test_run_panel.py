"""RunPanel end to end: real models run by TensorFlow on the worker, read back from the outputs, plots and history."""
import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt

from explorer.core.savedmodel import read_model
from explorer.ui.run_panel import RunPanel

TIMEOUT = 120_000  # the first run imports TensorFlow: seconds on a busy 2-core machine


@pytest.fixture(scope="module")
def half(shared_models):
    return read_model(shared_models / "saved_model_half_plus_two_cpu")


@pytest.fixture
def panel(qtbot):
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 760)
    panel.show()
    yield panel
    panel.close()
    panel.wait(TIMEOUT)


def _open(panel, info, key):
    panel.set_model(info)
    panel.set_signature(info.user_signatures[key])


def test_type_ctrl_enter_and_read_outputs(qtbot, panel, half):
    _open(panel, half, "serving_default")
    panel.form.set_batch_size(3)
    grid = panel.form.row("x").editor()
    for i, v in enumerate(["1", "2", "5"]):
        grid.set_cell(i, 0, v)
    grid.table.setFocus()
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(grid.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    prediction = blocker.args[0]
    np.testing.assert_allclose(prediction.outputs["y"], [[2.5], [3.0], [4.5]])
    pane = panel.outputs.pane("y")
    np.testing.assert_allclose(pane.plot.bar_items()[0].opts["height"], [2.5, 3.0, 4.5])
    assert [pane.model.index(i, 0).data() for i in range(3)] == ["2.5", "3", "4.5"]
    assert "min 2.5" in pane.stats_label.text() and "max 4.5" in pane.stats_label.text()
    entry = panel.history.entries()[0]
    assert entry.ok and entry.batch == 3 and entry.record.engine in ("local", "session")
    np.testing.assert_array_equal(entry.record.inputs["x"], [[1], [2], [5]])
    assert panel.run_button.isEnabled() and not panel.message.text()


def test_classify_with_tf_examples(qtbot, panel, half):
    _open(panel, half, "classify_x_to_y")
    panel.form.set_batch_size(2)
    panel.form.row("inputs").editor().set_feature(0, "x", "float", ["2", "3"])
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT) as blocker:
        panel.run_button.click()
    np.testing.assert_allclose(blocker.args[0].outputs["scores"], [[3.0], [3.5]])


def test_heatmap_output_and_history_recall(qtbot, panel, shared_models):
    info = read_model(shared_models / "matrix_half_plus_two")
    _open(panel, info, "serving_default")
    fill = panel.form.row("x").editor()
    assert fill.mode == "fill"
    fill.kind_box.setCurrentIndex(fill.kind_box.findData("ones"))
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT):
        panel.run()
    plot = panel.outputs.pane("y").plot
    assert plot.choice.kind == "heatmap"
    np.testing.assert_allclose(plot.image_item.image, np.full((3, 3), 2.5))
    fill.kind_box.setCurrentIndex(fill.kind_box.findData("zeros"))
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT):
        panel.run()
    np.testing.assert_allclose(plot.image_item.image, np.full((3, 3), 2.0))
    first = panel.history.entries()[1]
    # The history is a tab beside the outputs (its title counts the runs); Show outputs brings the outputs back.
    assert panel.results.tabText(1) == "Run history (2)"
    panel.show_history()
    assert panel.history.isVisible() and not panel.outputs.isVisible()
    panel.history.select(first)
    panel.history.show_button.click()  # the earlier run's outputs come back
    np.testing.assert_allclose(plot.image_item.image, np.full((3, 3), 2.5))
    assert panel.outputs.isVisible() and not panel.history.isVisible()
    panel.history.restore_button.click()  # and its inputs
    assert panel.form.row("x").source().fill == "ones"


def test_signature_failing_at_run_time_keeps_the_form(qtbot, panel, shared_models):
    info = read_model(shared_models / "saved_model_half_plus_two_mkl")
    _open(panel, info, "regress_x2_to_y3")
    panel.form.set_batch_size(3)
    row = panel.form.row("inputs")
    row.set_mode("json")
    row.editor().edit.setPlainText("[[1.0], [2.0], [5.0]]")
    typed = panel.form.sources()
    with qtbot.waitSignal(panel.run_failed, timeout=TIMEOUT) as blocker:
        panel.run()
    error = blocker.args[0]
    assert panel.message.level() == "error" and panel.message.text() == str(error)
    assert panel.message.has_details()  # TensorFlow's own text behind Details
    assert "Incompatible shapes" in (str(error) + error.details)
    assert panel.form.sources() == typed  # nothing typed is lost
    entry = panel.history.entries()[0]
    assert not entry.ok and entry.record.error == str(error)
    np.testing.assert_array_equal(entry.record.inputs["inputs"], [[1], [2], [5]])
    assert panel.run_button.isEnabled()


def test_bad_inputs_are_not_sent(qtbot, panel, half):
    _open(panel, half, "serving_default")
    panel.form.row("x").editor().set_cell(0, 0, "two")
    with qtbot.waitSignal(panel.run_failed, timeout=TIMEOUT) as blocker:
        panel.run()
    assert blocker.args[0].problems
    assert panel.message.text().startswith("Not run:")
    row = panel.form.row("x")
    assert "not a number" in row.problem_label.text() and row.problem_label.isVisibleTo(row)
    assert panel.form.sources()["x"].text == '[["two"]]'


def test_model_tensorflow_cannot_load(qtbot, panel, shared_models, tmp_path):
    broken = tmp_path / "no_variables"
    shutil.copytree(shared_models / "saved_model_half_plus_two_cpu" / "00000123", broken,
                    ignore=shutil.ignore_patterns("variables"))
    info = read_model(broken)  # the file reads fine: only TensorFlow finds out
    panel.set_model(info)
    panel.set_signature(info.user_signatures["serving_default"])
    qtbot.waitUntil(lambda: panel.message.level() == "error", timeout=TIMEOUT)
    load_message = panel.message.text()
    assert load_message and panel.message.has_details() and "Traceback" not in load_message
    with qtbot.waitSignal(panel.run_failed, timeout=TIMEOUT) as blocker:
        panel.run()
    assert str(blocker.args[0]) == panel.message.text()
    assert not panel.history.entries()[0].ok


def test_engine_choice_runs_the_session_loader(qtbot, panel, shared_models):
    info = read_model(shared_models / "saved_model_half_plus_three")  # tf.saved_model.load fails on this one
    _open(panel, info, "serving_default")
    panel.form.row("x").set_mode("json")
    panel.form.row("x").editor().edit.setPlainText("[[1.0], [2.0], [5.0]]")
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT) as blocker:
        panel.run()
    prediction = blocker.args[0]
    assert prediction.engine == "session" and prediction.notes  # auto fell back, and says so
    np.testing.assert_allclose(prediction.outputs["y"].reshape(-1), [3.5, 4.0, 5.5])
    assert panel.outputs.notes.isVisibleTo(panel.outputs)
    panel.engine_box.setCurrentIndex(panel.engine_box.findData("session"))
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT) as blocker:
        panel.run()
    assert blocker.args[0].engine == "session" and not blocker.args[0].notes


def test_model_loads_once_the_panel_is_shown(qtbot, half):
    panel = RunPanel()  # e.g. a tab not in front: browsing signatures must not import TensorFlow
    qtbot.addWidget(panel)
    panel.set_model(half)
    assert panel._load_task is None
    panel.show()
    assert panel._load_task is not None
    assert panel.wait(TIMEOUT) and panel.runner is not None
    panel.close()
    panel.wait(TIMEOUT)


def test_the_session_loader_note_is_shown_once(qtbot, panel, shared_models):
    # Run pressed while the model loads (a first run): the load's note "TensorFlow 2 cannot load this model; it ran
    # with the TF1 session loader" came in the message bar above the form and again with the outputs, and its two
    # lines cut the input row at 1280x800.
    from explorer.core.tensors import Source

    info = read_model(shared_models / "saved_model_half_plus_three")
    _open(panel, info, "serving_default")
    panel.form.set_sources({"x": Source("literal", text="[[1],[2],[5]]")}, batch=3, check_now=False)
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT):
        panel.run()
    qtbot.waitUntil(lambda: not panel.worker.busy(), timeout=TIMEOUT)
    assert "session loader" in panel.outputs.notes.text()
    assert "session loader" not in panel.message.text()


def test_default_of_an_input_without_a_recorded_shape_runs(qtbot, panel, shared_models):
    # The signature records no shape for x; the form's default takes its graph Placeholder's (None, 1), passes the
    # check and runs (it used to be (1,), refused by TensorFlow).
    info = read_model(shared_models / "saved_model_half_plus_three")
    _open(panel, info, "serving_default")
    task = panel.form.check_now()
    qtbot.waitUntil(lambda: not panel.form.is_checking(), timeout=TIMEOUT)
    assert task is not None and not [p for p in panel.form.problems() if p.severity == "error"]
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT) as blocker:
        panel.run()
    np.testing.assert_allclose(blocker.args[0].outputs["y"], [[3.0]])
    assert not panel.message.text()
