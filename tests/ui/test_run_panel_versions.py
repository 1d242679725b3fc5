"""The Predict form across the versions of one base path: what the user typed for one version is never lost by
choosing another (issue 13, QA: it was reset to the defaults, the form's memory being keyed by version)."""
import shutil

import pytest

from explorer.core.savedmodel import read_model
from explorer.ui.run_panel import RunPanel
from tests.servers.fixtures import MODELS, TWO_VERSIONS

TIMEOUT = 60_000


@pytest.fixture
def base(tmp_path):
    """Versions 1 and 10 with x float32 (-1, 1) (TF2 and TF1 exports of half_plus_two), 2 with x float32 (-1, 3, 3)."""
    base = tmp_path / "half_plus_two"
    shutil.copytree(MODELS / "saved_model_half_plus_two_cpu" / "00000123", base / "1")
    shutil.copytree(MODELS / TWO_VERSIONS / "00000124", base / "10")
    shutil.copytree(MODELS / "matrix_half_plus_two" / "1", base / "2")
    return base


@pytest.fixture
def panel(qtbot):
    panel = RunPanel(auto_load=False)  # the form is under test, not TensorFlow
    qtbot.addWidget(panel)
    panel.resize(1200, 760)
    panel.show()
    yield panel
    panel.close()
    panel.wait(TIMEOUT)


def _show(qtbot, panel, base, version):
    info = read_model(base, version=version)
    panel.set_model(info)
    panel.set_signature(info.user_signatures["serving_default"])
    qtbot.waitUntil(lambda: panel.form.prepared is not None, timeout=TIMEOUT)
    return info


def _type(panel, values):
    panel.form.set_batch_size(len(values))
    grid = panel.form.row("x").editor()
    for i, v in enumerate(values):
        grid.set_cell(i, 0, v)


def _cells(panel):
    grid = panel.form.row("x").editor()
    return [grid.cell(i, 0) for i in range(panel.form.batch_size())]


def test_typing_for_version_10_is_kept_for_version_1_and_restored(qtbot, panel, base):
    _show(qtbot, panel, base, 10)
    _type(panel, ["7.5", "-3"])
    _show(qtbot, panel, base, 1)  # the same signature: what was typed is kept, without a word
    assert panel.form.batch_size() == 2 and _cells(panel) == ["7.5", "-3"]
    assert not panel.form.carried.isVisible()
    _type(panel, ["1", "2", "4"])  # typed for version 1 now
    _show(qtbot, panel, base, 10)  # and version 10 gets back its own
    assert _cells(panel) == ["7.5", "-3"]
    _show(qtbot, panel, base, 1)
    assert _cells(panel) == ["1", "2", "4"]


def test_a_version_whose_input_differs_says_what_was_reset_and_why(qtbot, panel, base):
    _show(qtbot, panel, base, 10)
    _type(panel, ["7.5", "-3"])
    _show(qtbot, panel, base, 2)  # x is (-1, 3, 3) here: the typed (2, 1) cannot be it
    carried = panel.form.carried
    assert carried.isVisible()
    text = carried.text()
    assert "version 10" in text and "x reset to its default" in text and "(-1, 3, 3) here" in text \
        and "(-1, 1) there" in text, text
    assert not panel.form.problems(), [p.message for p in panel.form.problems()]  # the default fits
    _show(qtbot, panel, base, 10)  # back: version 10's typing is all there, and the note is gone
    assert _cells(panel) == ["7.5", "-3"] and not carried.isVisible()


def test_another_model_does_not_inherit_the_typing(qtbot, panel, base, tmp_path):
    """Only versions of one base path share: another folder's x (-1, 1) starts from its defaults."""
    _show(qtbot, panel, base, 10)
    _type(panel, ["7.5", "-3"])
    other = tmp_path / "other"
    shutil.copytree(base / "1", other / "1")
    _show(qtbot, panel, other, 1)
    assert panel.form.batch_size() == 1 and _cells(panel) != ["7.5"]
