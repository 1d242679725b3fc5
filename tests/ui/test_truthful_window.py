"""Issue 13 items 4, 5, 14 and 15 in real widgets: banners follow the inputs, the history says what was sent, the
Compare tab's "Add open" follows what is open, and the words match the window."""
import json
import re

import numpy as np
import pytest

import modelgen
from explorer.core.savedmodel import read_model
from explorer.core.sources import Source
from explorer.ui.run_panel import RunPanel, RunSpec
from explorer.ui.widgets.compare_view import CompareView

TIMEOUT = 120_000


@pytest.fixture(scope="module")
def half(shared_models):
    return read_model(shared_models / "saved_model_half_plus_two_cpu")


@pytest.fixture(scope="module")
def fixed32(tmp_path_factory):
    return read_model(modelgen.fixed_batch(tmp_path_factory.mktemp("fixed32")))


@pytest.fixture
def panel(qtbot):
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 760)
    panel.show()
    yield panel
    panel.close()
    panel.wait(TIMEOUT)


def _open(panel, info, key="serving_default"):
    panel.set_model(info)
    panel.set_signature(info.user_signatures[key])


def _check(qtbot, panel):
    with qtbot.waitSignal(panel.form.problems_changed, timeout=10_000):
        panel.form.check_now()


def _run(qtbot, panel, ok=True):
    with qtbot.waitSignal(panel.prediction_done if ok else panel.run_failed, timeout=TIMEOUT):
        panel.run()


def test_not_run_banner_goes_when_the_input_is_fixed(qtbot, panel, half):
    _open(panel, half)
    panel.form.row("x").editor().set_cell(0, 0, "two")
    _run(qtbot, panel, ok=False)
    assert panel.message.isVisibleTo(panel) and panel.message.text().startswith("Not run:")
    panel.form.row("x").editor().set_cell(0, 0, "2")
    _check(qtbot, panel)
    assert not panel.message.isVisibleTo(panel)  # not beside "✔ Inputs match the signature"
    assert "Inputs match the signature" in panel.form.status.text()
    assert "fixed" in panel.status.text()


def test_not_run_banner_follows_a_newer_problem(qtbot, panel, half):
    _open(panel, half)
    panel.form.row("x").editor().set_cell(0, 0, "two")
    _run(qtbot, panel, ok=False)
    panel.form.row("x").set_source(Source("literal", text="[[1, 2]]"))  # now a shape problem instead
    _check(qtbot, panel)
    assert panel.message.isVisibleTo(panel) and "not a number" not in panel.message.text()
    # The newer problem is said under its row; the banner points there and does not repeat it.
    assert "(1, 2)" in panel.form.row("x").problem_label.text() and "x" in panel.message.text()


def test_history_batch_is_the_data_sent_and_ms_leaves_out_the_import(qtbot, panel, half, fixed32):
    _open(panel, half)
    panel.form.row("x").set_mode("json")
    panel.form.row("x").editor().edit.setPlainText("[[1], [2]]")  # 2 rows while the Batch box says 1
    _run(qtbot, panel)
    item = panel.history.table.topLevelItem(0)
    assert item.text(5) == "2"
    record = panel.history.entries()[0].record
    ms = float(item.text(6))
    assert ms == pytest.approx(sum(v for k, v in record.timing_ms.items() if k not in ("load", "import_tensorflow")),
                               abs=0.05)
    _open(panel, fixed32)
    _run(qtbot, panel)
    assert panel.history.table.topLevelItem(0).text(5) == "32"  # a fixed batch: not blank


def test_grid_to_json_keeps_the_value(qtbot, panel, half):
    _open(panel, half)
    panel.form.set_batch_size(2)
    grid = panel.form.row("x").editor("grid")
    grid.set_cell(0, 0, "7")
    grid.set_cell(1, 0, "8")
    panel.form.row("x").set_mode("json")
    assert json.loads(panel.form.row("x").editor().edit.toPlainText()) == [[7], [8]]


def test_add_open_follows_what_is_open(qtbot, tmp_path, shared_models):
    view = CompareView()
    qtbot.addWidget(view)
    spec = RunSpec(str(shared_models / "saved_model_half_plus_two_cpu"), "folder", "auto", None)
    view.current_targets_provider = lambda: [spec]
    view.show()
    assert view.current_button.isEnabled()  # a model is open: it can be added
    view.current_button.click()
    assert len(view.columns) == 1 and not view.current_button.isEnabled()
    assert view.add_open_targets() == []  # again: nothing new, and it says so
    assert "already here" in view.message.text()


def test_both_outputs_names_the_predict_tab():
    from explorer.ui.widgets.both_outputs import BothOutputs

    widget = BothOutputs()
    text = re.sub(r"<[^>]+>", "", widget.headline.text())
    assert "Predict tab" in text and "Run tab" not in text


def test_details_never_cut_a_version_or_split_a_size(qtbot, shared_models):
    """Item 12: the version box read "124 (newes" and the size text wrapped as "163 / B" in a narrow pane."""
    from explorer.core.savedmodel import read_model
    from explorer.ui.widgets.model_summary import ModelSummary

    summary = ModelSummary()
    qtbot.addWidget(summary)
    summary.set_model(read_model(shared_models / "saved_model_half_plus_two_2_versions"))
    summary.resize(380, 300)
    summary.show()
    qtbot.wait(20)
    combo = summary.version_combo
    assert combo.width() >= combo.minimumSizeHint().width() and "newest" in combo.currentText()
    text = summary.sizes.text()
    assert " B" not in text.replace("\u00a0B", "") and "\u00a0" in text
