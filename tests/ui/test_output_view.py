"""OutputView, plots and run history built from real Predictions (numpy arrays), read back through their state."""
import numpy as np
import pyqtgraph as pg
import pytest

from explorer.core.request import Prediction
from explorer.core.signature import Signature, TensorSpec
from explorer.core.workspace import RunRecord
from explorer.ui.widgets.output_view import OutputView, output_stats
from explorer.ui.widgets.plots import MAX_CURVES, PlotView, choose_plot
from explorer.ui.widgets.run_history import RunHistory


def _prediction(outputs, **kw):
    return Prediction("serving_default", "local", "models/m", outputs, {"load": 12.0, "predict": 1.5}, **kw)


def test_choose_plot_by_shape():
    spec = TensorSpec("y", "DT_FLOAT", (-1, 1))
    assert choose_plot(np.ones((3, 1), np.float32), spec).kind == "bars"
    assert choose_plot(np.ones((3, 50)), TensorSpec("y", "DT_FLOAT", (-1, 50))).kind == "lines"
    scores = np.array([[0.1, 0.7, 0.2]], np.float32)
    assert choose_plot(scores, TensorSpec("probabilities", "DT_FLOAT", (-1, 3))).kind == "scores"
    assert choose_plot(np.arange(6.0).reshape(1, 6), key="logits").kind == "scores"
    assert choose_plot(np.ones((1, 3, 3)), TensorSpec("y", "DT_FLOAT", (-1, 3, 3))).kind == "heatmap"
    assert choose_plot(np.ones((1, 10, 10, 1))).kind == "heatmap"
    assert choose_plot(np.ones((2, 8, 8, 3))).kind == "image"
    assert choose_plot(np.array([b"a", b"b"], dtype=object)).kind == "none"
    assert choose_plot(np.ones(500)).kind == "lines"


def test_distinct_rows_and_bool_counts():
    from explorer.ui.widgets.output_view import _distinct_rows

    assert _distinct_rows(np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]])) == 2
    assert _distinct_rows(np.array([[np.nan], [np.nan], [1.0]], np.float32)) == 2  # NaN rows equal each other
    assert _distinct_rows(np.arange(10_000, dtype=np.int64).reshape(-1, 1) % 7) == 7
    assert _distinct_rows(np.array([[b"a"], [b"b"], [b"a"]], object)) == 2
    flags = output_stats(np.array([[True, False, True]]))
    assert flags.text() == "(1, 3) bool · 3 values · 2 True · 1 False"  # no min/max/mean, no NaN of a bool


def test_output_stats_counts_nan_and_inf():
    stats = output_stats(np.array([[1.0], [np.nan], [np.inf], [3.0]], np.float32))
    assert (stats.nan, stats.inf, stats.minimum, stats.maximum, stats.mean) == (1, 1, 1.0, 3.0, 2.0)
    assert "NaN 1" in stats.text() and "Inf 1" in stats.text()
    same = output_stats(np.full((4, 2), 0.5))
    assert same.distinct_rows == 1  # the "identical outputs for every input" smell is visible at a glance


def test_scores_are_bars_with_argmax_marked(qtbot):
    view = OutputView()
    qtbot.addWidget(view)
    scores = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]], np.float32)
    sig = Signature("serving_default", "tensorflow/serving/predict",
                    outputs={"scores": TensorSpec("scores", "DT_FLOAT", (-1, 3))})
    view.show_prediction(_prediction({"scores": scores}), sig)
    pane = view.pane("scores")
    assert pane.plot.choice.kind == "scores"
    assert pane.plot.argmax == [1, 0]
    bars = pane.plot.bar_items()
    assert len(bars) == 2
    np.testing.assert_allclose(bars[0].opts["height"], scores[0])
    np.testing.assert_allclose(bars[1].opts["height"], scores[1])
    # the winner of a single row is drawn in the accent colour, the others not
    single = PlotView()
    qtbot.addWidget(single)
    single.show_array(np.array([[0.2, 0.1, 0.7]]), key="scores")
    brushes = single.bar_items()[0].opts["brushes"]
    assert brushes[2].color() != brushes[0].color() and brushes[0].color() == brushes[1].color()
    # table shows the values, row per batch row
    assert pane.model.rowCount() == 2 and pane.model.columnCount() == 3
    assert pane.model.index(0, 1).data() == "0.6"
    assert "min 0.1" in pane.stats_label.text() and "(2, 3) float32" in pane.stats_label.text()


def test_lines_one_curve_per_batch_row_and_updates_in_place(qtbot):
    view = OutputView()
    qtbot.addWidget(view)
    y = np.stack([np.sin(np.linspace(0, 6, 100)), np.cos(np.linspace(0, 6, 100))]).astype(np.float32)
    view.show_prediction(_prediction({"y": y}))
    plot = view.pane("y").plot
    curves = plot.curves()
    assert plot.choice.kind == "lines" and len(curves) == 2
    x0, y0 = curves[0].getData()
    np.testing.assert_allclose(y0, y[0], rtol=1e-6)
    assert len(x0) == 100
    first_items = list(plot._curves)
    view.show_prediction(_prediction({"y": y[:1] * 2}))
    assert view.pane("y").plot is plot and plot._curves[: len(first_items)] == first_items  # items reused
    assert len(plot.curves()) == 1
    np.testing.assert_allclose(plot.curves()[0].getData()[1], y[0] * 2, rtol=1e-6)


def test_many_rows_capped_and_long_series_downsampled(qtbot):
    plot = PlotView()
    qtbot.addWidget(plot)
    choice = plot.show_array(np.random.default_rng(1).normal(size=(MAX_CURVES + 5, 40)))
    assert len(plot.curves()) == MAX_CURVES and "first 32 shown" in choice.reason
    plot.show_array(np.random.default_rng(2).normal(size=(1, 200_000)))
    curve = plot.curves()[0]
    assert curve.opts["autoDownsample"] and curve.opts["downsampleMethod"] == "peak"
    assert len(curve.getData()[1]) == 200_000


def test_heatmap_and_image_rows(qtbot):
    plot = PlotView()
    qtbot.addWidget(plot)
    data = np.arange(2 * 4 * 5, dtype=np.float32).reshape(2, 4, 5)
    plot.show_array(data, TensorSpec("y", "DT_FLOAT", (-1, 4, 5)))
    assert plot.choice.kind == "heatmap"
    np.testing.assert_array_equal(plot.image_item.image, data[0])
    assert plot.row_box.isVisibleTo(plot) and plot.row_box.maximum() == 1
    plot.row_box.setValue(1)
    np.testing.assert_array_equal(plot.image_item.image, data[1])
    rgb = np.random.default_rng(0).uniform(size=(1, 6, 7, 3))
    plot.show_array(rgb)
    assert plot.choice.kind == "image" and plot.image_item.image.shape == (6, 7, 3)
    assert not plot.row_box.isVisibleTo(plot)


def test_one_value_per_row_as_bars_and_text_outputs(qtbot):
    view = OutputView()
    qtbot.addWidget(view)
    y = np.array([[2.5], [3.0], [4.5]], np.float32)
    words = np.array([b"cat", b"dog", b"\xff\xfe"], dtype=object)
    view.show_prediction(_prediction({"y": y, "classes": words}, notes=("ran with the TF1 session loader",)))
    assert view.keys() == ["classes", "y"]
    bars = view.pane("y").plot.bar_items()
    np.testing.assert_allclose(bars[0].opts["height"], [2.5, 3.0, 4.5])
    text_pane = view.pane("classes")
    assert text_pane.plot.choice.kind == "none"
    assert [text_pane.model.index(i, 1).data() for i in range(3)] == ["cat", "dog", "0xfffe"]
    assert [text_pane.model.index(i, 2).data() for i in range(3)] == ["3", "3", "2 bytes"]  # not UTF-8: bytes
    assert view.notes.isVisibleTo(view) and "TF1" in view.notes.text()
    assert "load 12.0 ms" in view.header.text()
    view.show_prediction(_prediction({"y": y}))
    assert view.keys() == ["y"] and view.tabs.count() == 1


def test_run_history_records_runs_and_emits_choice(qtbot):
    history = RunHistory()
    qtbot.addWidget(history)
    x = np.array([[1.0], [2.0]], np.float32)
    ok = history.add(RunRecord("m/half", "local", "serving_default", {"x": x}, {"y": x / 2 + 2},
                               {"load": 5.0, "predict": 1.0}), sources={"x": "kept"}, batch=2)
    bad = history.add(RunRecord("m/half", "local", "regress_x2_to_y3", {"x": x}, {}, error="Incompatible shapes"))
    assert [e.number for e in history.entries()] == [2, 1]
    assert history.table.topLevelItem(0).text(7).startswith("failed: Incompatible")
    assert "y (2, 1) mean 2.75" in history.table.topLevelItem(1).text(7)
    assert history.records() == [ok.record, bad.record]
    history.select(ok)
    assert history.restore_button.isEnabled()
    with qtbot.waitSignal(history.restore_requested) as blocker:
        history.restore_button.click()
    assert blocker.args[0] is ok
    history.select(bad)
    assert not history.show_button.isEnabled()


@pytest.mark.parametrize("shape", [(0,), (0, 3)])
def test_empty_outputs_do_not_crash(qtbot, shape):
    view = OutputView()
    qtbot.addWidget(view)
    view.show_prediction(_prediction({"y": np.zeros(shape, np.float32)}))
    assert view.pane("y").plot.choice.kind == "none"
    assert isinstance(view.pane("y").plot.plot_item, pg.PlotItem)


def test_scalar_and_complex_outputs_read_as_values_not_batch_rows(qtbot):
    """A scalar output (a sum over the whole input) was drawn as 'one value per batch row (1)' over a 'batch row'
    axis; a complex output is drawn as its real and imaginary parts."""
    view = OutputView()
    qtbot.addWidget(view)
    view.show_prediction(_prediction({"total": np.float32(3.5), "c": np.array([[1 + 2j, -1j]], np.complex64)}))
    total = view.pane("total")
    assert total.plot.choice.kind == "none" and "batch row" not in total.plot.choice.reason
    assert "scalar" in total.plot.choice.reason
    assert total.model.rowCount() == 1 and total.model.index(0, 0).data() == "3.5"
    c = view.pane("c")
    assert c.plot.choice.kind == "complex" and c.model.columnCount() == 2
    assert "|value| min 1 · max 2.23607" in c.stats_label.text()  # magnitudes, said so
