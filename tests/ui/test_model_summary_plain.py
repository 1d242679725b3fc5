"""The model summary of a plain SavedModel folder (no numbered versions) and of a .tflite file: no empty "Version"
cell, no hole at the left of the facts; the facts fill the grid from its first cell."""
from __future__ import annotations

import os
import shutil

import pytest

from explorer.core.savedmodel import read_model

TIMEOUT = 60_000


def _shown_cells(summary):
    """(row, column) -> the label text of every visible label/value pair in the facts grid."""
    form = summary.form
    cells = {}
    for i in range(form.count()):
        widget = form.itemAt(i).widget()
        row, col, _, _ = form.getItemPosition(i)
        if widget is not None and not widget.isHidden() and widget in summary._labels.values():
            cells[(row, col)] = widget.text()
    return cells


@pytest.fixture
def plain(tmp_path, shared_models):
    folder = tmp_path / "half_plus_two"
    shutil.copytree(shared_models / "saved_model_half_plus_two_cpu" / "00000123", folder)
    return folder


def _open(qtbot, window, path):
    window.resize(1280, 800)
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT):
        window.open_model(path)
    qtbot.wait(50)


def test_a_plain_folder_leaves_no_empty_version_cell(qtbot, window, plain):
    _open(qtbot, window, plain)
    summary = window.summary
    if os.environ.get("JOURNEY_SHOTS"):
        summary.grab().save(os.path.join(os.environ["JOURNEY_SHOTS"], "summary_plain_folder.png"))
    cells = _shown_cells(summary)
    assert "Version" not in cells.values()  # nothing to choose: no row that reads as missing data
    # No hole: every shown row is filled from its first column.
    for row in {r for r, _ in cells}:
        assert (row, 0) in cells, f"row {row} starts with a hole: {cells}"
    assert not summary.version_combo.isVisible()


def test_a_base_path_keeps_its_version_chooser_first(qtbot, window, shared_models):
    _open(qtbot, window, shared_models / "saved_model_half_plus_two_2_versions")
    cells = _shown_cells(window.summary)
    assert cells[(0, 0)] == "Version" and window.summary.version_combo.isVisible()


def test_a_tflite_file_leaves_no_hole_either(qtbot, window, shared_models):
    _open(qtbot, window, shared_models / "saved_model_half_plus_two_tflite" / "00000123" / "model.tflite")
    cells = _shown_cells(window.summary)
    assert cells[(0, 0)] == "Format" and all((r, 0) in cells for r, _ in cells), cells
