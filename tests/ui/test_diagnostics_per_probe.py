"""An output with one value per probe (a class id) is drawn along a probe axis, not stacked on one vertical line."""
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
