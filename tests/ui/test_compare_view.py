"""CompareView end to end: real models and a real test server, the same arrays to every column, diffs read back
from the table, the headline and the plot items."""
import re

import numpy as np
import pytest

import modelgen
from explorer.core.compare import random_sources
from explorer.core.request import Prediction
from explorer.core.savedmodel import read_model
from explorer.core.settings import Settings
from explorer.core.sources import Source
from explorer.ui.widgets.compare_view import TOLERANCES_KEY, CompareView
from tests.servers.fixtures import *  # noqa: F401,F403  (contract D: the session's shared server pool)

TIMEOUT = 180_000  # the first run imports TensorFlow: seconds on a busy 2-core machine
TWO = "saved_model_half_plus_two_2_versions"


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    return modelgen.compare_pairs(tmp_path_factory.mktemp("compare_view"))


@pytest.fixture
def view(qtbot, tmp_path):
    view = CompareView(settings=Settings(tmp_path / "config"))
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    yield view
    view.clear_targets()
    view.wait(TIMEOUT)


def provide(view, model_path, sources=None, batch=4, key="serving_default"):
    signature = read_model(model_path).user_signatures[key]
    view.request_provider = lambda: (signature, sources or random_sources(signature, 3), batch, {})
    return signature


def run(qtbot, view):
    with qtbot.waitSignal(view.compared, timeout=TIMEOUT) as blocker:
        assert view.compare() is not None
    return blocker.args[0]


def headline(view):
    return re.sub(r"<[^>]+>", "", view.headline.text())


def table_rows(view):
    return [[view.table.item(r, c).text() for c in range(view.table.columnCount())]
            for r in range(view.table.rowCount())]


def test_two_version_folders_get_the_same_arrays_and_agree(qtbot, view, shared_models):
    base = shared_models / TWO
    view.add_target(str(base / "00000123"))
    view.add_target(str(base / "00000124"))
    provide(view, base / "00000123", {"x": Source("literal", text="[[1], [2], [5]]")}, batch=3)
    diffs = run(qtbot, view)
    assert diffs[0] is None and diffs[1].equal
    a, b = (c.prediction for c in view.columns)
    np.testing.assert_allclose(a.outputs["y"], [[2.5], [3.0], [4.5]])
    np.testing.assert_array_equal(view.inputs["x"], [[1], [2], [5]])
    assert table_rows(view)[0][:3] == ["y", "B vs A · 00000124", "equal"]
    assert "B equals A on every output" in headline(view)
    curves = view.plot.curves()  # overlay: one curve per target, same values
    assert len(curves) == 2
    np.testing.assert_allclose(curves[0].getData()[1], curves[1].getData()[1])
    assert "same signature as A" in view._cards[1].signature_note.text()


def test_compare_all_versions_of_a_base_path(qtbot, view, shared_models):
    columns = view.add_all_versions(str(shared_models / TWO))
    assert [c.spec.version for c in columns] == [123, 124]
    assert [c.title for c in columns] == [f"{TWO} v123", f"{TWO} v124"]
    provide(view, shared_models / TWO, batch=5)
    diffs = run(qtbot, view)
    assert diffs[1].equal
    assert [c.prediction.version for c in view.columns] == [123, 124]
    assert view.inputs["x"].shape == (5, 1)


def test_one_output_differs_and_tolerance_decides_the_other(qtbot, view, pairs):
    for name in ("base", "one_output", "slightly"):
        view.add_target(str(pairs[name]))
    provide(view, pairs["base"])
    diffs = run(qtbot, view)
    assert diffs[1].differing == ["z"] and diffs[1].outputs["scores"].status == "equal"
    assert diffs[2].differing == ["scores", "z"]  # 1e-4 relative is beyond the default rtol 1e-5
    rows = {(r[0], r[1][0]): r for r in table_rows(view)}
    assert rows[("z", "B")][2] == "DIFFERENT" and rows[("z", "B")][8] == "8 / 8"
    assert rows[("scores", "B")][2] == "equal"
    assert view.plot.output_box.currentText() == "z"  # what disagrees is shown first
    assert "B differs from A in z (8/8 beyond tolerance" in headline(view)

    view.rtol_edit.setText("1e-3")
    view.rtol_edit.editingFinished.emit()
    assert view.rtol == 1e-3 and view.diffs[2].equal and not view.diffs[1].equal
    assert {r[2] for r in table_rows(view) if r[1][0] == "C"} == {"close (within tolerance)"}
    assert view.settings.get(TOLERANCES_KEY) == {"rtol": 1e-3, "atol": 1e-6}
    again = CompareView(settings=Settings(view.settings.directory))  # remembered for the next session
    qtbot.addWidget(again)
    assert (again.rtol, again.atol) == (1e-3, 1e-6) and again.rtol_edit.text() == "0.001"


def test_difference_and_heatmap_plots(qtbot, view, pairs):
    view.add_target(str(pairs["base"]))
    view.add_target(str(pairs["one_output"]))
    provide(view, pairs["base"])
    run(qtbot, view)
    view.plot.output_box.setCurrentText("z")
    view.plot.mode_box.setCurrentText("Difference")
    (curve,) = view.plot.curves()
    np.testing.assert_allclose(curve.getData()[1], np.full(8, 0.5), atol=1e-6)
    assert view.plot._band[0].isVisible()
    view.plot.mode_box.setCurrentText("Heatmap |Δ|")
    assert view.plot.image_item.isVisible() and view.plot.image_item.image.shape == (4, 2)
    assert np.allclose(view.plot.image_item.image, 0.5, atol=1e-6)
    # The values table: one column per target, then B − A with the beyond-tolerance cells marked.
    model = view.plot.values
    assert [model.headerData(c, __import__("PySide6").QtCore.Qt.Orientation.Horizontal)
            for c in range(model.columnCount())] == ["A", "B", "B − A"]
    assert model.rowCount() == 8 and abs(model.value(0, 2) - 0.5) < 1e-6


def test_local_versions_against_a_pinned_server(qtbot, view, pairs, model_servers):
    server = model_servers.get(str(pairs["versions"]), "pairs_view", "specific:1")
    view.add_all_versions(str(pairs["versions"]))
    view.add_target(server.target("rest"))
    assert [c.spec.kind for c in view.columns] == ["folder", "folder", "rest"]
    provide(view, pairs["versions"] / "1")
    diffs = run(qtbot, view)
    assert not diffs[1].equal and diffs[1].differing == ["z"]  # version 2 is another model
    assert diffs[2].equal  # the server serves version 1, like column A
    assert view.columns[2].prediction.engine == "rest" and view.columns[2].prediction.version == 1
    view.set_reference(1)  # now against version 2: the server is the odd one out
    assert view.diffs[1] is None and not view.diffs[0].equal and not view.diffs[2].equal


def test_a_failing_target_is_shown_and_the_rest_compared(qtbot, view, shared_models):
    from tests.servers.launch import free_port

    base = shared_models / TWO
    view.add_target(str(base / "00000123"))
    view.add_target(str(base / "00000124"))
    view.add_target(f"rest://127.0.0.1:{free_port()}/nothing_here")
    provide(view, base / "00000123", batch=2)
    diffs = run(qtbot, view)
    assert diffs[1].equal and diffs[2] is None
    assert view.columns[2].state == "failed"
    assert "✖" in view._cards[2].state.text()
    assert view.message.level() == "error" and "nothing_here" in view.message.text()
    assert "C failed" in headline(view)


def test_bad_inputs_are_reported_and_nothing_runs(qtbot, view, shared_models):
    base = shared_models / TWO
    view.add_target(str(base / "00000123"))
    view.add_target(str(base / "00000124"))
    provide(view, base / "00000123", {"x": Source("literal", text="[[1, 2], [3")}, batch=None)
    task = view.compare()
    qtbot.waitUntil(lambda: task.finished, timeout=TIMEOUT)
    assert view.message.level() == "error" and "x" in view.message.text()
    assert all(c.state == "idle" and c.prediction is None for c in view.columns)


def test_recorded_column_is_compared_not_rerun(qtbot, view, shared_models):
    base = shared_models / TWO
    x = np.array([[1.0], [4.0]], np.float32)
    recorded = Prediction("serving_default", "local", str(base), {"y": np.array([[2.5], [9.0]], np.float32)})
    view.add_recorded(recorded, "run #1")
    view.add_target(str(base))
    with qtbot.waitSignal(view.compared, timeout=TIMEOUT):
        tasks = view.compare_arrays("serving_default", {"x": x})
    assert len(tasks) == 1  # only the live column ran
    assert view.columns[0].prediction is recorded and view.columns[0].state == "recorded"
    d = view.diffs[1].outputs["y"]
    # Live: 0.5 * 4 + 2 = 4; recorded: 9.
    assert d.status == "different" and d.mismatched == 1 and d.max_abs == pytest.approx(5.0)


def test_needs_two_targets_and_a_request(qtbot, view, shared_models):
    assert view.compare() is None and view.message.level() == "info"
    view.add_target(str(shared_models / TWO))
    provide(view, shared_models / TWO)
    assert view.compare() is None and "at least two" in view.message.text()
    assert not view.compare_button.isEnabled()
    view.remove_column(0)
    assert not view.columns and view._empty.isVisible()


def test_large_outputs_are_compared_on_the_worker(qtbot, view):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((600, 500)).astype(np.float32)
    b = a.copy()
    b[7, 3] += 1.0
    view.add_recorded(Prediction("s", "local", "a", {"logits": a}), "a")
    view.add_recorded(Prediction("s", "local", "b", {"logits": b}), "b")
    assert view._diff_task is not None  # 300k elements: not on the GUI thread
    qtbot.waitUntil(lambda: not view.is_busy() and view.diffs and view.diffs[1] is not None, timeout=TIMEOUT)
    d = view.diffs[1].outputs["logits"]
    assert d.status == "different" and d.mismatched == 1 and d.max_abs == pytest.approx(1.0)
    assert table_rows(view)[0][2] == "DIFFERENT"


def test_a_narrow_card_keeps_the_end_of_its_title(qtbot, view, shared_models):
    # Three versions side by side in the window's right pane (~545 px): a card's title got 48 px, was elided to
    # 60 px and clipped, so "…ons v" lost the version number the left-elision is there to keep.
    from PySide6.QtWidgets import QApplication

    view.resize(545, 700)
    for version in (123, 124, 123):
        view.add_target(str(shared_models / TWO), version=version)
    for _ in range(5):
        QApplication.processEvents()
    for card, version in zip(view._cards, ("v123", "v124", "v123")):
        title = card.title
        assert title.text().endswith(version), title.text()
        assert title.fontMetrics().horizontalAdvance(title.text()) <= title.width(), (title.text(), title.width())


def test_a_tflite_card_says_file_not_folder(qtbot, view, shared_models):
    # SavedModel vs its .tflite: the .tflite's card read "folder · litert".
    view.add_target(str(shared_models / TWO / "00000123"))
    view.add_target(str(shared_models / "saved_model_half_plus_two_tflite" / "00000123" / "model.tflite"))
    assert view._cards[0].detail.text().startswith("folder · ")
    assert view._cards[1].detail.text().startswith("file · ")


def test_a_card_state_reads_on_the_dark_palette(qtbot, view, shared_models):
    # "✔ ran in 2.6 ms" was dark green (#1B5E20) on the dark card, hardly readable.
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QApplication

    from explorer.ui import theme

    app = QApplication.instance()
    theme.apply_theme(app, "dark")
    try:
        view.add_target(str(shared_models / TWO / "00000123"))
        view.add_target(str(shared_models / TWO / "00000124"))
        colour = re.search(r"color:\s*(#[0-9a-fA-F]{3,6})", view._cards[0].state.text()).group(1)
        assert "not run yet" in view._cards[0].state.text()
        assert QColor(colour).lightness() > 100, colour
        provide(view, shared_models / TWO / "00000123", {"x": Source("literal", text="[[1]]")}, batch=1)
        run(qtbot, view)
        state = view._cards[0].state.text()
        colour = re.search(r"color:\s*(#[0-9a-fA-F]{3,6})", state).group(1)
        assert "✔ ran" in state and QColor(colour).lightness() > 100, colour
    finally:
        theme.apply_theme(app, "system")
