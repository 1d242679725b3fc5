"""DiagnosticsPanel: the check runs on a worker, results arrive on the GUI thread, cards and plots show them."""
import numpy as np
import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

import modelgen
from explorer.core.diagnose import DiagnosisCancelled, diagnose
from explorer.core.targets import open_runner
from explorer.ui.widgets.diagnostics import MAX_PROBE_CURVES, DiagnosticsPanel, _pick_probes

WAIT_MS = 180_000  # the first check imports TensorFlow; the machine is shared


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    out = tmp_path_factory.mktemp("diagnostics_models")
    collapsed, healthy = modelgen.classifier_pair(out)
    return {"collapsed": collapsed, "healthy": healthy, "ignores": modelgen.ignores_input(out)}


@pytest.fixture
def panel(qtbot):
    widget = DiagnosticsPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 850)
    widget.show()
    yield widget
    widget.worker.wait(WAIT_MS)


def run(qtbot, panel, target, signature=None, probes=32):
    panel.set_target(str(target), signature)
    panel.probes_spin.setValue(probes)
    threads = []
    panel.diagnosed.connect(lambda d: threads.append(QThread.currentThread()))
    with qtbot.waitSignal(panel.diagnosed, timeout=WAIT_MS) as blocker:
        assert panel.start() is not None
        assert panel.busy and panel.cancel_button.isEnabled() and not panel.check_button.isEnabled()
    assert threads == [QApplication.instance().thread()]  # delivered on the GUI thread, not the pool's
    qtbot.waitUntil(lambda: not panel.busy)
    return blocker.args[0]


def test_collapsed_model_shows_identical_verdict_cards_and_overlapping_curves(qtbot, panel, models, tmp_path):
    d = run(qtbot, panel, models["collapsed"])
    assert d.verdict == "identical" and panel.diagnosis is d
    assert "Identical outputs" in panel.verdict_label.text()
    assert [c.cause.cause for c in panel.cards][0] == "collapsed_model"
    assert "Evidence:" in panel.cards[0].evidence.text() and "Fix:" in panel.cards[0].fix.text()
    curves = panel.probe_curves
    assert len(curves) == len(d.probes) - 1 == 31
    ys = np.array([c.getData()[1] for c in curves])
    assert np.ptp(ys, axis=0).max() < 1e-6  # every probe's curve on top of the others
    assert float(np.max(panel.heatmap_image.image)) == 0.0
    assert panel.sensitivity_bars.opts["height"].tolist() == [0.0]
    assert panel.progress_bar.value() == 1000 and panel.target_label.text().startswith("<b>serving_default")
    shot = tmp_path / "diagnose.png"
    assert panel.grab().save(str(shot)) and shot.stat().st_size > 10_000


def test_ignored_input_is_marked_in_the_sensitivity_bars(qtbot, panel, models):
    d = run(qtbot, panel, models["ignores"])
    assert d.verdict == "insensitive"
    heights = dict(zip(d.outputs["probabilities"].sensitivity, panel.sensitivity_bars.opts["height"]))
    assert heights["extra"] == 0 and heights["x"] > 0.05
    ticks = panel.sensitivity_plot.getPlotItem().getAxis("bottom")._tickLevels[0]
    assert ("extra (ignored)" in [t[1] for t in ticks])
    ys = np.array([c.getData()[1] for c in panel.probe_curves])
    assert np.ptp(ys, axis=0).max() > 0.1


def test_cancel_stops_between_calls(qtbot, panel, models):
    panel.set_target(str(models["healthy"]))
    with qtbot.waitSignal(panel.failed, timeout=WAIT_MS) as blocker:
        panel.start()
        panel.cancel()
    assert isinstance(blocker.args[0], DiagnosisCancelled)
    qtbot.waitUntil(lambda: not panel.busy)
    assert panel.progress_label.text() == "cancelled" and panel.check_button.isEnabled()


def test_errors_show_in_the_message_bar(qtbot, panel, tmp_path):
    panel.set_target(str(tmp_path / "no_such_model"))
    with qtbot.waitSignal(panel.failed, timeout=WAIT_MS):
        panel.start()
    assert panel.messages.isVisible() and "no_such_model" in panel.messages.text()
    assert panel.diagnosis is None


def test_users_inputs_are_probed_around(qtbot, panel, models):
    panel.set_inputs_provider(lambda: {"x": np.full((2, 8), 0.25, np.float32)})
    d = run(qtbot, panel, models["healthy"])
    assert d.probes[0].label == "your input" and d.probes[0].inputs["x"].tolist() == [0.25] * 8


def test_the_second_sweep_base_has_a_name_in_the_legend(qtbot, panel, models):
    # With the user's input and two keys, the sweeps also run around a random base: its legend entry said
    # "base:random", the group's internal name.
    panel.set_inputs_provider(lambda: {"x": np.zeros((1, 8), np.float32), "extra": np.zeros((1, 4), np.float32)})
    d = run(qtbot, panel, models["ignores"])
    assert "base:random" in {p.group for p in d.probes}
    assert "base:random" not in panel.probes_legend.names()
    assert "random base (its keys swept too)" in panel.probes_legend.names()


def test_show_diagnosis_without_a_worker(qtbot, panel, models):
    d = diagnose(open_runner(models["healthy"]), probes=300)
    panel.show_diagnosis(d)
    assert len(panel.probe_curves) == MAX_PROBE_CURVES  # capped, every group still drawn
    assert "more probes not drawn" in panel.probes_caption.text()
    assert panel.output_combo.currentText() == "probabilities"


def test_pick_probes_keeps_every_group():
    groups = ["base"] + ["unit"] * 300 + ["sweep:x"] * 5 + ["repeat"]
    picked = _pick_probes(groups, 20)
    assert len(picked) == 20 and {groups[i] for i in picked} == {"base", "unit", "sweep:x", "repeat"}
    assert _pick_probes(groups[:10], 20) == list(range(10))
