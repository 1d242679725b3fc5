"""The Compare tab's plot names its targets outside the data area: a legend in the view box covered points."""
import pytest

import modelgen
from explorer.core.compare import random_sources
from explorer.core.savedmodel import read_model
from explorer.core.settings import Settings
from explorer.ui.widgets.compare_view import CompareView

TIMEOUT = 180_000


def _legend_rects(plot):
    """Where the plot's legends are drawn, in the ComparePlot's coordinates (inside the plot or beside it)."""
    import pyqtgraph as pg
    from PySide6 import QtCore, QtWidgets

    view = plot.plot_widget
    rects = []
    for item in view.scene().items():
        if isinstance(item, pg.LegendItem) and item.isVisible() and item.boundingRect().height() > 1:
            r = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
            rects.append(QtCore.QRect(view.mapTo(plot, r.topLeft()), r.size()))
    for strip in plot.findChildren(QtWidgets.QLabel):
        if strip.objectName() == "plotLegend" and strip.isVisibleTo(plot):
            rects.append(QtCore.QRect(strip.mapTo(plot, QtCore.QPoint(0, 0)), strip.size()))
    return rects


def _data_area(plot):
    """The view box (where the curves are drawn), in the ComparePlot's coordinates."""
    from PySide6 import QtCore

    view = plot.plot_widget
    vb = plot.plot_item.getViewBox()
    r = view.mapFromScene(vb.sceneBoundingRect()).boundingRect()
    return QtCore.QRect(view.mapTo(plot, r.topLeft()), r.size())


@pytest.mark.parametrize("mode", ["Overlay", "Difference"])
def test_the_legend_is_outside_the_data_area(qtbot, tmp_path, mode):
    """At 1280x800 the target names sat in the view box's top-left corner, over the first elements' points."""
    pairs = modelgen.compare_pairs(tmp_path)
    view = CompareView(settings=Settings(tmp_path / "config"))
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    try:
        for name in ("base", "one_output", "slightly"):
            view.add_target(str(pairs[name]))
        signature = read_model(pairs["base"]).user_signatures["serving_default"]
        view.request_provider = lambda: (signature, random_sources(signature, 3), 4, {})
        with qtbot.waitSignal(view.compared, timeout=TIMEOUT):
            assert view.compare() is not None
        plot = view.plot
        plot.output_box.setCurrentText("z")
        plot.mode_box.setCurrentText(mode)
        view.grab().save(str(tmp_path / f"compare_{mode}.png"))  # lays out the strip; look at it
        qtbot.wait(20)
        legends = _legend_rects(plot)
        assert legends, "the targets are named somewhere"
        area = _data_area(plot)
        assert area.height() > 100
        assert [r for r in legends if r.intersects(area)] == [], f"{mode}: the legend lies on the data area {area}"
        names = " ".join(plot.legend.names())
        assert "A ·" in names or "B − A" in names
    finally:
        view.clear_targets()
        view.wait(TIMEOUT)
