"""Diagnostics' probe and element axes with 64 probes: tick labels thin out to what fits the axis width, at
1280x800 and after a resize; they read "0123456789101112..." when every probe got a tick."""
from __future__ import annotations

import os

import numpy as np
from PySide6 import QtGui

import modelgen
from explorer.ui.main_window import MainWindow

TIMEOUT = 180000


def _overlaps(axis) -> list[tuple[str, str]]:
    """Neighbouring tick labels of `axis` (a bottom AxisItem) whose text would touch, as drawn at its width."""
    view = axis.linkedView()
    lo, hi = view.viewRange()[0]
    width = axis.geometry().width()
    font = axis.style["tickFont"] or axis.font()
    metrics = QtGui.QFontMetricsF(font)
    out = []
    for spacing, values in axis.tickValues(lo, hi, width)[:1]:  # the labelled level
        strings = axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing)
        xs = [(v - lo) / (hi - lo) * width for v in values]
        for (x1, s1), (x2, s2) in zip(zip(xs, strings), list(zip(xs, strings))[1:]):
            if x2 - x1 < (metrics.horizontalAdvance(s1) + metrics.horizontalAdvance(s2)) / 2 + 4:
                out.append((s1, s2))
    return out




def test_probe_ticks_fit_at_1280_and_after_a_resize(qtbot, tmp_path):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(str(modelgen.many_outputs(tmp_path)))
    qtbot.waitUntil(lambda: w.run_panel.signature() is not None, timeout=TIMEOUT)
    w.show_panel("Diagnostics")
    panel = w.diagnostics
    panel.probes_spin.setValue(64)
    with qtbot.waitSignal(panel.worker.finished, timeout=TIMEOUT):
        panel.start()
    shots = os.environ.get("JOURNEY_SHOTS")
    for size in ((1280, 800), (900, 700), (1600, 1000)):
        w.resize(*size)
        for key in ("class_id", "curve"):
            panel.output_combo.setCurrentText(key)
            w.grab()
            qtbot.wait(30)
            for name, plot in (("probes", panel.probes_plot), ("heatmap", panel.heatmap_plot)):
                axis = plot.getPlotItem().getAxis("bottom")
                assert _overlaps(axis) == [], f"{name} axis of {key} at {size}"
                lo, hi = axis.linkedView().viewRange()[0]
                values = axis.tickValues(lo, hi, axis.geometry().width())[0][1]
                whole = int(np.floor(hi) - np.ceil(lo)) + 1
                assert len(values) >= min(3, whole), f"{name} axis of {key} at {size} lost its ticks"
                assert all(float(v).is_integer() for v in values)  # probes and elements are whole numbers
            if shots:
                for name, plot in (("probes", panel.probes_plot), ("heatmap", panel.heatmap_plot)):
                    plot.grab().save(os.path.join(shots, f"diagnostics_ticks_{name}_{key}_{size[0]}.png"))
