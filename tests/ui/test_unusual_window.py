"""The window on models unlike the examples (the CLI's side is tests/cli/test_unusual_models.py)."""
import pytest

import modelgen
from explorer.ui.main_window import MainWindow

TIMEOUT = 120_000


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    return modelgen.unusual_outputs(tmp_path_factory.mktemp("unusual")).parent / "no_signatures"


def test_a_model_without_signatures_says_so_in_the_form(qtbot, bare):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    with qtbot.waitSignal(w.model_opened, timeout=TIMEOUT):
        w.open_model(str(bare))
    w.show_panel("Predict")
    text = w.run_panel.form.title.text()
    assert "no signatures" in text and "Re-export" in text, text  # it said "Select a signature", with none to select
    w.run_panel.set_model(None)
    assert w.run_panel.form.title.text() == "Select a signature to fill in its inputs."
    w.run_panel.worker.wait(TIMEOUT)


def test_diagnostics_says_which_inputs_a_text_output_follows(qtbot, tmp_path_factory):
    from explorer.core.diagnose import diagnose
    from explorer.core.targets import open_runner, parse_target
    from explorer.ui.widgets.diagnostics import DiagnosticsPanel

    model = modelgen.flag_and_text(tmp_path_factory.mktemp("flag_text"))
    runner = open_runner(parse_target(str(model)))
    try:
        d = diagnose(runner, probes=24)
    finally:
        runner.close()
    panel = DiagnosticsPanel()
    qtbot.addWidget(panel)
    panel.show_diagnosis(d)
    text = panel.stats_label.text()
    assert "<b>out</b>: not numeric, varies · follows flag" in text, text
