"""An output with one value per probe (a class id) is drawn along a probe axis, not stacked on one vertical line."""
import numpy as np

import modelgen
from explorer.ui.main_window import MainWindow

TIMEOUT = 180000


def test_single_element_outputs_spread_along_the_probes(qtbot, tmp_path):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(str(modelgen.many_outputs(tmp_path)))
    qtbot.waitUntil(lambda: w.run_panel.signature() is not None, timeout=TIMEOUT)
    w.show_panel("Diagnostics")
    panel = w.diagnostics
    with qtbot.waitSignal(panel.worker.finished, timeout=TIMEOUT):
        panel.start()
    panel._show_output("class_id")
    xs = [float(c.getData()[0][0]) for c in panel._probe_curves if c.isVisible() and c.getData()[0] is not None]
    assert len(xs) > 8 and len(set(xs)) == len(xs)  # one column per probe
    assert panel.probes_plot.getPlotItem().getAxis("bottom").labelText == "probe"
    panel._show_output("curve")  # 100 elements per probe: the element axis again
    assert panel.probes_plot.getPlotItem().getAxis("bottom").labelText == "output element"


def _legend_rects(panel):
    """Where a legend of the probes plot is drawn, in the panel's coordinates: in the plot or beside it."""
    import pyqtgraph as pg
    from PySide6 import QtCore

    view = panel.probes_plot
    rects = []
    for item in view.scene().items():
        if isinstance(item, pg.LegendItem) and item.isVisible():
            r = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
            rects.append(QtCore.QRect(view.mapTo(panel, r.topLeft()), r.size()))
    strip = getattr(panel, "probes_legend", None)
    if strip is not None and strip.isVisibleTo(panel):
        rects.append(QtCore.QRect(strip.mapTo(panel, QtCore.QPoint(0, 0)), strip.size()))
    return rects


def test_the_legend_never_hides_the_last_probes(qtbot, tmp_path):
    """At 1280x800 the legend sat over the top-right of the probes plot, on the last probes' points."""
    from PySide6 import QtCore

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(str(modelgen.many_outputs(tmp_path)))
    qtbot.waitUntil(lambda: w.run_panel.signature() is not None, timeout=TIMEOUT)
    w.show_panel("Diagnostics")
    panel = w.diagnostics
    with qtbot.waitSignal(panel.worker.finished, timeout=TIMEOUT):
        panel.start()
    for key in ("class_id", "curve"):
        panel.output_combo.setCurrentText(key)
        w.grab()
        qtbot.wait(20)
        view = panel.probes_plot
        vb = view.getPlotItem().getViewBox()
        legends = _legend_rects(panel)
        assert legends, "the probe groups are named somewhere"
        points = []
        for curve in panel.probe_curves:
            xs, ys = curve.xData, curve.yData
            for x, y in list(zip(xs, ys))[-3:]:  # each curve's end: where a top-right legend sat
                if np.isfinite(y):
                    p = view.mapFromScene(vb.mapViewToScene(QtCore.QPointF(float(x), float(y))))
                    points.append(view.mapTo(panel, p))
        assert len(points) > 8
        hidden = [p for p in points for r in legends if r.adjusted(-2, -2, 2, 2).contains(p)]
        assert hidden == [], f"{key}: {len(hidden)} of the last points lie under the legend"
