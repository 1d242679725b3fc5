"""Help > About: versions of the app, TensorFlow (never imported for it), Qt, pyqtgraph, numpy, Python; Copy."""
import os
import subprocess
import sys
from pathlib import Path

import numpy
import PySide6
import pyqtgraph
from PySide6.QtGui import QGuiApplication

import explorer
from explorer.ui.main_window import MainWindow
from explorer.ui.widgets.about_dialog import AboutDialog, report_text, tensorflow_version, versions

ROOT = Path(__file__).resolve().parents[2]


def test_versions_never_import_tensorflow():
    code = ("import sys\nfrom PySide6.QtWidgets import QApplication\napp = QApplication([])\n"
            "from explorer.ui.widgets.about_dialog import versions\nrows = dict(versions())\n"
            "print(rows['TensorFlow']); print('tensorflow' in sys.modules)\n"
            "import tensorflow\nprint(dict(versions())['TensorFlow'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 0, out.stderr
    tf_line, imported, loaded_line = out.stdout.strip().splitlines()[-3:]
    assert imported == "False"
    assert tf_line.startswith("2.21") and "not loaded yet" in tf_line
    assert loaded_line.startswith("2.21") and loaded_line.endswith("(loaded)")  # once imported, its own version


def test_tensorflow_version_in_this_process_matches_sys_modules():
    assert tensorflow_version().endswith("(loaded)") == ("tensorflow" in sys.modules)


def test_the_dialog_lists_every_component_and_copies_them(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    rows = dict(dialog.rows)
    assert rows["Signature Explorer"].startswith(explorer.__version__)
    assert rows["PySide6"] == PySide6.__version__ and rows["pyqtgraph"] == pyqtgraph.__version__
    assert rows["NumPy"] == numpy.__version__ and rows["Python"].startswith(sys.version.split()[0])
    assert rows["Qt"] and rows["TensorFlow"]
    assert [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())] == [n for n, _ in dialog.rows]
    with qtbot.waitSignal(dialog.copied):
        dialog.copy_button.click()
    text = QGuiApplication.clipboard().text()
    assert text == report_text(dialog.rows)
    assert f"NumPy: {numpy.__version__}\n" in text and "TensorFlow: 2.21" in text
    assert dialog.status.text() == "Copied to the clipboard."


def test_help_about_opens_it_from_the_window_and_the_screenshot(qtbot, tmp_path):
    window = MainWindow()
    qtbot.addWidget(window)
    window.sessions.offer_restore = lambda *a, **k: None
    window.about_action.trigger()
    dialog = window.product.about_dialog
    assert isinstance(dialog, AboutDialog)
    qtbot.waitExposed(dialog)
    dialog.copy_button.click()
    assert window.statusBar().currentMessage().startswith("Copied")
    # Saved where the test may write: the README's docs/screenshots/about.png is made by hand, not by every run.
    assert dialog.grab().save(str(tmp_path / "about.png"))
    dialog.close()


def test_versions_rows_are_name_value_pairs():
    rows = versions()
    assert all(isinstance(n, str) and isinstance(v, str) and v for n, v in rows)
