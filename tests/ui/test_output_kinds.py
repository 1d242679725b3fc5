"""What the Outputs view shows for every kind of output, run for real in the window at 1280x800 (issue 13, items 6
and 12): text and complex outputs never leave an empty plot box, bool reads False/True, NaN-only outputs are said
so, and no legend sits over the data."""
import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore

import modelgen

TIMEOUT = 180_000


@pytest.fixture(scope="module")
def kinds_model(tmp_path_factory):
    return modelgen.output_kinds(tmp_path_factory.mktemp("kinds"))


@pytest.fixture
def run_kind(qtbot, window, kinds_model):
    """Open the output-kinds model in a 1280x800 window; returns run(signature key) -> the OutputView after Run."""
    window.resize(1280, 800)
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT) as opened:
        window.open_model(str(kinds_model))
    info = opened.args[0]
    window.show_panel("Predict")

    def run(key):
        window.run_panel.set_signature(info.user_signatures[key])
        with qtbot.waitSignal(window.run_panel.prediction_done, timeout=TIMEOUT):
            window.run_panel.run()
        window.grab()  # lays out what is pending, as painting does
        qtbot.wait(20)
        return window.run_panel.outputs

    return run


def _visible_plots(widget):
    return [p for p in widget.findChildren(pg.PlotWidget) if p.isVisibleTo(widget)]


def _in_plot_legends(plot):
    return [i for i in plot.scene().items() if isinstance(i, pg.LegendItem) and i.isVisible()]


@pytest.mark.parametrize("key,output", [("string", "words"), ("string", "as_text"), ("scalar", "total"),
                                        ("empty", "nothing"), ("nonfinite", "all_nan"), ("nonfinite", "nan_inf")])
def test_nothing_to_plot_gives_the_room_to_the_table(run_kind, key, output):
    """Text, a scalar, an empty and an all-NaN/Inf output: no plot widget and no blank box; the table fills."""
    view = run_kind(key)
    view.tabs.setCurrentWidget(view.pane(output))
    pane = view.pane(output)
    pane.window().grab()
    assert _visible_plots(pane) == []
    assert pane.plot.height() <= 3 * pane.plot.fontMetrics().lineSpacing()  # the caption only, no blank box
    assert pane.table.isVisibleTo(pane)
    below_stats = pane.height() - pane.stats_label.height()
    assert pane.table.height() >= 0.7 * below_stats, (pane.table.height(), below_stats)
    if key == "nonfinite":
        assert "no finite value" in pane.plot.choice.reason
        assert ("10 NaN" if output == "all_nan" else "4 NaN and 6 Inf") in pane.plot._caption.text()


def test_a_string_output_is_a_table_of_index_value_and_length(run_kind):
    view = run_kind("string")
    pane = view.pane("words")
    model = pane.model
    assert [model.headerData(c, QtCore.Qt.Orientation.Horizontal) for c in range(model.columnCount())] == \
           ["index", "value", "length"]
    rows = [[model.index(r, c).data() for c in range(3)] for r in range(model.rowCount())]
    assert rows == [["[0, 0]", "cat", "3"], ["[0, 1]", "a rather longer sentence of several words", "41"],
                    ["[0, 2]", "été ✓", "5"]]
    # the strings get the width: the longest is not elided
    width = pane.table.fontMetrics().horizontalAdvance("a rather longer sentence of several words")
    assert pane.table.columnWidth(1) > width


def test_complex_output_plots_real_and_imaginary_parts(run_kind):
    view = run_kind("complex64")
    pane = view.pane("z")
    z = view.prediction.outputs["z"]
    assert pane.plot.choice.kind == "complex"
    assert _visible_plots(pane) == [pane.plot.plot_widget]
    assert pane.plot.plot_widget.height() >= 180
    curves = pane.plot.curves()
    assert len(curves) == 2 and pane.plot.legend.names() == ["real", "imaginary"]
    np.testing.assert_allclose(curves[0].getData()[1], z[0].real, rtol=1e-6)
    np.testing.assert_allclose(curves[1].getData()[1], z[0].imag, rtol=1e-6)
    assert pane.plot.legend.isVisibleTo(pane) and _in_plot_legends(pane.plot.plot_widget) == []
    assert pane.model.index(0, 1).data() == f"{z[0, 1].real:.6g}{z[0, 1].imag:+.6g}j"  # not a 17-digit repr


def test_bool_output_reads_false_and_true(run_kind):
    view = run_kind("bool")
    pane = view.pane("positive")
    plot = pane.plot
    ticks = plot.plot_item.getAxis("left")._tickLevels
    assert ticks == [[(0, "False"), (1, "True")]]
    (curve,) = plot.curves()
    assert curve.opts["pen"] is None and curve.opts["symbol"] == "s"  # points, no line between False and True
    np.testing.assert_array_equal(curve.getData()[1], [1, 0, 1, 0])
    bottom = plot.plot_item.getAxis("bottom")._tickLevels
    assert bottom == [[(i, str(i)) for i in range(4)]]  # elements 0..3, no "0.5"


def test_class_score_legend_is_outside_the_bars(run_kind):
    """The argmax legend floated over the top-right of 1000 class bars."""
    view = run_kind("scores_1000")
    plot = view.pane("probabilities").plot
    assert plot.choice.kind == "scores"
    assert _in_plot_legends(plot.plot_widget) == []
    assert plot.legend.isVisibleTo(plot) and plot.legend.names()[0].startswith(f"argmax {plot.argmax[0]} = ")
    legend = QtCore.QRect(plot.legend.mapTo(plot, QtCore.QPoint(0, 0)), plot.legend.size())
    area = QtCore.QRect(plot.plot_widget.mapTo(plot, QtCore.QPoint(0, 0)), plot.plot_widget.size())
    assert not legend.intersects(area)


def test_a_million_values_are_plotted_whole_and_their_statistics_come_from_a_worker(qtbot, run_kind):
    """The statistics of a million values took 60-120 ms of the GUI thread (std, a float64 copy, distinct rows):
    they are computed on a worker, and the line says so until they arrive."""
    view = run_kind("million")
    pane = view.pane("signal")
    plot = pane.plot
    (curve,) = plot.curves()
    assert len(curve.yData) == 1_000_000 and curve.opts["autoDownsample"]  # drawn: a peak-downsampled few thousand
    assert "1,000,000 values" in plot.choice.reason
    qtbot.waitUntil(lambda: pane.stats is not None, timeout=30_000)
    signal = view.prediction.outputs["signal"]
    assert f"max {float(signal.max()):.6g}" in pane.stats_label.text()
    assert view.tabs.tabToolTip(view.tabs.indexOf(pane)) == pane.stats_label.text()
    # while they are computed, the line names what is known and says the rest is coming
    pane.show_array(signal + 1)
    assert pane.stats is None and pane.stats_label.text().endswith("statistics…")
    qtbot.waitUntil(lambda: pane.stats is not None, timeout=30_000)
    assert f"max {float(signal.max() + 1):.6g}" in pane.stats_label.text()


@pytest.mark.parametrize("key,why", [("bool", "No numeric output to plot: positive (varies)"),
                                     ("nonfinite", "Every value of output all_nan is NaN or Inf")])
def test_diagnostics_draws_no_empty_axes(qtbot, window, kinds_model, key, why):
    """A check of a model whose outputs are not numbers (bool), or only NaN/Inf, showed three empty plots (and the
    previous check's caption): the plots give way to the sentence that says why."""
    window.resize(1280, 800)
    window.show_panel("Diagnostics")
    panel = window.diagnostics
    panel.set_target(str(kinds_model), key)
    with qtbot.waitSignal(panel.worker.finished, timeout=TIMEOUT):
        panel.start()
    window.grab()
    assert panel.diagnosis is not None and panel.diagnosis.signature == key
    assert _visible_plots(panel) == []
    assert panel.probes_caption.isVisibleTo(panel) and panel.probes_caption.text().startswith(why)


def test_every_kind_of_output_passes_the_layout_audit(run_kind):
    """At 1280x800, each output of every kind: labels get their size, plots their 180 px, the window its size."""
    from tests.ui.layout_audit import audit

    problems = []
    for key in modelgen.OUTPUT_KINDS:
        view = run_kind(key)
        for i in range(view.tabs.count()):
            view.tabs.setCurrentIndex(i)
            problems += [f"{key} {view.tabs.tabText(i)}: {p}" for p in audit(view.window())]
        assert view.window().size().toTuple() == (1280, 800), key
    assert problems == [], "\n".join(problems)


def test_a_picture_is_shown_in_its_pixels_scale(run_kind):
    """A dark uint8 photo (0..62) was stretched to its min..max and shown bright; a 0..1 image keeps 0..1."""
    photo = run_kind("dark_photo").pane("photo").plot
    assert photo.choice.kind == "image" and tuple(photo.image_item.levels) == (0.0, 255.0)
    shot = photo.plot_widget.grab().toImage()
    vb = photo.plot_item.getViewBox()
    for column, value in ((8, 16), (24, 48)):  # what the user sees: dark greys, not white (pixel 62 of 255 at most)
        at = photo.plot_widget.mapFromScene(vb.mapViewToScene(QtCore.QPointF(column + 0.5, 16)))
        grey = shot.pixelColor(at.x(), at.y())
        assert abs(grey.red() - value) <= 12 and grey.red() == grey.green() == grey.blue(), (column, grey.name())
    image = run_kind("image").pane("image").plot
    assert tuple(image.image_item.levels) == (0.0, 1.0)


def test_diagnostics_of_a_million_values_draws_the_first_elements(qtbot, window, kinds_model):
    """A million-value output over the probes: only the drawn elements become float64 (all of them were a 512 MB
    copy on the GUI thread at 64 probes), and the caption says how many are drawn."""
    window.show_panel("Diagnostics")
    panel = window.diagnostics
    panel.probes_spin.setValue(12)
    panel.set_target(str(kinds_model), "million")
    with qtbot.waitSignal(panel.worker.finished, timeout=TIMEOUT):
        panel.start()
    assert panel.diagnosis is not None and panel.output_combo.currentText() == "signal"
    curves = panel.probe_curves
    assert curves and all(len(c.yData) == 2000 for c in curves)
    assert "first 2000 of 1,000,000 elements" in panel.probes_caption.text()
