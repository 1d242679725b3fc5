"""A .tflite in the window: tree, summary and details show quantisation; the run panel runs it with LiteRT and
shows dequantised outputs with the raw integers one click away; a model without SignatureDefs says so."""
import numpy as np
import pytest

from explorer.core.savedmodel import read_model
from explorer.ui.main_window import MainWindow
from explorer.ui.run_panel import RunPanel

TIMEOUT = 60_000


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.worker.wait()


@pytest.fixture
def panel(qtbot):
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 760)
    panel.show()
    yield panel
    panel.close()
    panel.wait(TIMEOUT)


def test_tree_summary_and_details_show_a_quantised_model(qtbot, window, tflite_models, tmp_path):
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(tflite_models["int8"])
    summary = window.summary
    assert summary.tf_version.text() == "TensorFlow Lite · full integer"
    assert "4 ops (FULLY_CONNECTED 3, SOFTMAX 1)" in summary.lite.text() and summary.lite.isVisible()
    assert not summary.tag_combo.isVisible()
    tree = window.tree
    item = tree.tree.topLevelItem(0).child(0).child(0)  # classify > inputs > x
    assert (item.text(0), item.text(1), item.text(2)) == ("x", "int8 q", "(-1, 32)")
    assert "real float32 values" in item.toolTip(1)
    text = window.details.toPlainText()
    assert "scale · zero-point" in text and "int8 (real float32)" in text and "-128" in text
    window.grab().save(str(tmp_path / "tflite_window.png"))


def test_a_model_without_signature_defs_says_so_and_one_with_flex_ops_says_what_it_needs(qtbot, window,
                                                                                        shared_models, tflite_models):
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(shared_models / "saved_model_half_plus_two_tflite")
    assert "no SignatureDefs" in window.summary.lite.text() and "pseudo-signature" in window.summary.lite.text()
    assert window.tree.visible_signature_keys() == ["serving_default"]
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(tflite_models["flex"])
    assert "Needs TensorFlow Select ops" in window.summary.lite.text() and "FlexStringLength" in window.summary.lite.text()


def test_run_panel_runs_int8_with_real_values_and_raw_integers_one_click_away(qtbot, panel, tflite_models):
    info = read_model(tflite_models["int8"])
    panel.set_model(info)
    panel.set_signature(info.user_signatures["regress"])
    panel.form.set_batch_size(2)
    grid = panel.form.row("features").editor()
    for r, row in enumerate([["0.1", "0.5", "0.9"], ["0.3", "0.2", "0.7"]]):
        for c, v in enumerate(row):
            grid.set_cell(r, c, v)
    with qtbot.waitSignal(panel.prediction_done, timeout=TIMEOUT) as blocker:
        panel.run()
    prediction = blocker.args[0]
    assert prediction.engine == "litert" and prediction.outputs["y"].dtype == np.float32
    pane = panel.outputs.pane("y")
    assert pane.raw_toggle.isVisible() and not pane.raw_toggle.isChecked()
    real = [pane.model.index(0, c).data() for c in range(2)]
    assert "dequantised from int8" in pane.stats_label.text()
    pane.raw_toggle.setChecked(True)
    raw = [pane.model.index(0, c).data() for c in range(2)]
    assert raw == [str(v) for v in prediction.raw_outputs["y"][0]] and raw != real
    assert "raw int8" in pane.stats_label.text()
    pane.raw_toggle.setChecked(False)
    assert [pane.model.index(0, c).data() for c in range(2)] == real
    assert "quantised to int8" in panel.outputs.notes.text()


def test_convert_and_compare_puts_the_saved_model_and_its_int8_tflite_side_by_side(qtbot, window, tflite_models):
    from explorer.core.sources import Source

    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(tflite_models["source"])
    assert window.conversions.action.isEnabled()
    window.tree.select_signature("classify")
    qtbot.waitUntil(lambda: window.run_panel.signature() is not None
                    and window.run_panel.signature().key == "classify", timeout=TIMEOUT)
    window.run_panel.form.set_batch_size(8)
    window.run_panel.form.row("x").set_source(Source("fill", fill="uniform", params={"seed": 3}))
    view = window.sessions.view
    with qtbot.waitSignal(view.compared, timeout=180_000) as blocker:
        window.conversions.convert("int8", 100)
    assert [c.title for c in view.columns] == ["SavedModel", "TFLite int8"] and view.reference == 0
    diff = [d for d in blocker.args[0] if d is not None]
    assert diff, blocker.args
    probs = diff[0].outputs["probs"]  # compared emits each column's PredictionDiff against the reference
    assert probs.status == "different" and 0 < probs.max_abs < 0.05 and probs.argmax_agree >= 0.85
    assert view.isVisible()  # the Compare tab is shown


def test_convert_is_offered_for_saved_models_only(qtbot, window, tflite_models):
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(tflite_models["float"])
    assert not window.conversions.action.isEnabled()


def test_the_engine_box_offers_litert_for_a_tflite_whatever_was_chosen_before(qtbot, panel, tflite_models,
                                                                               shared_models):
    saved = read_model(shared_models / "saved_model_half_plus_two_cpu")
    panel.set_model(saved)
    panel.engine_box.setCurrentIndex(panel.engine_box.findData("session"))
    panel.set_model(read_model(tflite_models["float"]))
    assert [panel.engine_box.itemText(i) for i in range(panel.engine_box.count())] == ["litert"]
    assert panel.spec.engine == "litert"
    panel.set_model(saved)
    assert panel.engine_box.currentData() == "auto" and panel.engine_box.count() == 3


def test_show_request_offers_litert_code_for_a_tflite(tflite_models):
    from explorer.core.request import Request
    from explorer.ui.widgets.request_dialog import request_snippets

    request = Request("regress", {"features": np.full((1, 3), 0.5, np.float32)})
    snippets = request_snippets(request, str(tflite_models["int8"]))
    lite = snippets.by_kind["python-litert"]
    assert "get_signature_runner('regress')" in lite.text and "np.int8" in lite.text
    assert "saved_model_cli runs SavedModels" in str(snippets.by_kind["saved_model_cli"])
