"""Settings and preferences: JSON round trip through the dialog, window geometry in QSettings, theme, reset with
confirmation, and that tests never touch the user's real config dir."""
import json
import os
from pathlib import Path

import platformdirs
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from explorer.core.settings import (DEFAULT_ATOL, DEFAULT_RTOL, ENDPOINTS_KEY, RECENT_MAX, SCHEMA_VERSION, Settings,
                                    config_dir)
from explorer.ui import theme
from explorer.ui.main_window import MainWindow
from explorer.ui.widgets.preferences_dialog import PreferencesDialog



def _tree_state(path: Path):
    """Every file under `path` with its size and mtime (None when the folder does not exist)."""
    if not path.exists():
        return None
    return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*"))


# Taken when pytest imports this module, i.e. at collection, before any test of the session ran.
REAL_DIRS = [Path(platformdirs.user_config_dir("signature-explorer", appauthor=False)),
             Path(platformdirs.user_config_dir("Signature Explorer", appauthor=False))]
REAL_BEFORE = {p: _tree_state(p) for p in REAL_DIRS}


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.sessions.offer_restore = lambda *a, **k: None
    yield w
    w.worker.wait(10000)


def test_settings_round_trip_preferences_tolerances_folders_and_reset(tmp_path):
    s = Settings(tmp_path)
    assert s.preferences() == {"engine": "auto", "theme": "system", "recent_max": RECENT_MAX, "plot_grid": True,
                               "plot_antialias": True, "max_input_mb": 0}
    s.set_preferences(engine="session", theme="dark", recent_max=3, plot_grid=False)
    s.set_tolerances(1e-3, 1e-7)
    s.set_last_folder(tmp_path, "workspace")
    again = Settings(tmp_path)
    assert again.preferences()["engine"] == "session" and again.preference("theme") == "dark"
    assert again.preference("recent_max") == 3 and again.preference("plot_grid") is False
    assert again.tolerances() == (1e-3, 1e-7)
    assert again.last_folder("workspace") == str(tmp_path)
    assert again.last_folder("export", default="/nowhere") == "/nowhere"
    with pytest.raises(ValueError):
        again.set_preferences(engine="rest")
    with pytest.raises(ValueError):
        again.set_preferences(colour="blue")
    # a hand-edited bad value falls back to its default, the others are kept
    data = json.loads((tmp_path / "settings.json").read_text())
    data["preferences"]["recent_max"] = "many"
    (tmp_path / "settings.json").write_text(json.dumps(data))
    assert Settings(tmp_path).preference("recent_max") == RECENT_MAX
    assert Settings(tmp_path).preference("engine") == "session"
    again.reset()
    on_disk = json.loads((tmp_path / "settings.json").read_text())
    assert on_disk == {"schema_version": SCHEMA_VERSION, "recent_models": []}
    assert Settings(tmp_path).tolerances() == (DEFAULT_RTOL, DEFAULT_ATOL)


def test_recent_list_size_is_a_preference(tmp_path):
    models = []
    for i in range(5):
        (tmp_path / f"m{i}").mkdir()
        models.append(tmp_path / f"m{i}")
    s = Settings(tmp_path / "cfg")
    for m in models:
        s.add_recent_model(m)
    assert len(s.recent_models()) == 5
    s.set_preferences(recent_max=2)  # a smaller list takes effect at once
    assert Settings(tmp_path / "cfg").recent_models() == [str(models[4]), str(models[3])]
    s.set(ENDPOINTS_KEY, [{"host": "h"}])
    s.clear_recent()
    assert s.recent_models() == [] and s.get(ENDPOINTS_KEY) is None


def test_preferences_dialog_saves_applies_and_shows_them_again(window, qtbot):
    settings = window.settings
    dialog = window.product.open_preferences()
    qtbot.waitExposed(dialog)
    dialog.engine_box.setCurrentIndex(dialog.engine_box.findData("session"))
    dialog.rtol_edit.setText("0.001")
    dialog.atol_edit.setText("1e-8")
    dialog.recent_spin.setValue(4)
    dialog.grid_check.setChecked(False)
    dialog.antialias_check.setChecked(False)
    dialog.theme_box.setCurrentIndex(dialog.theme_box.findData("dark"))
    with qtbot.waitSignal(window.product.preferences_applied):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    try:
        stored = Settings(settings.directory)
        assert stored.preferences() == {"engine": "session", "theme": "dark", "recent_max": 4, "plot_grid": False,
                                        "plot_antialias": False, "max_input_mb": 0}
        assert stored.tolerances() == (1e-3, 1e-8)
        # in effect: the run panel's engine, the compare view's tolerances, the dark palette and the plots
        assert window.run_panel.engine() == "session"
        assert (window.sessions.view.rtol, window.sessions.view.atol) == (1e-3, 1e-8)
        assert theme.is_dark(QApplication.palette())
        plots = window.findChildren(pg.GraphicsView)
        assert plots and all(p.backgroundBrush().color().lightness() < 80 for p in plots)
        assert "Preferences saved" in window.statusBar().currentMessage()
        again = PreferencesDialog(Settings(settings.directory))
        qtbot.addWidget(again)
        assert again.engine_box.currentData() == "session" and again.rtol_edit.text() == "0.001"
        assert not again.grid_check.isChecked() and again.recent_spin.value() == 4
    finally:
        theme.apply_theme(QApplication.instance(), "system")
    assert not theme.is_dark(QApplication.palette())
    # the watcher re-coloured the plots back
    assert all(p.backgroundBrush().color().lightness() > 200 for p in window.findChildren(pg.GraphicsView))


def test_an_invalid_tolerance_is_explained_and_nothing_is_saved(window, qtbot):
    dialog = window.product.open_preferences()
    dialog.rtol_edit.setText("abc")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.isVisible()
    assert "not a number" in dialog.error.text()
    assert not (window.settings.path.exists() and "preferences" in json.loads(window.settings.path.read_text()))


def test_window_geometry_and_layout_survive_a_restart_in_the_isolated_config_dir(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    first.sessions.offer_restore = lambda *a, **k: None
    first.show()
    first.resize(790, 700)  # within the offscreen screen (800 wide), above the minimum size
    first.splitter.setSizes([300, 700])
    qtbot.wait(50)
    saved = (first.width(), first.height())
    assert saved != (1280, 800)  # not the first-start size
    first.close()
    ini = config_dir() / "window.ini"
    assert ini.is_file()
    second = MainWindow()
    qtbot.addWidget(second)
    second.sessions.offer_restore = lambda *a, **k: None
    second.show()
    assert (second.width(), second.height()) == saved
    assert second.splitter.sizes()[0] < second.splitter.sizes()[1]
    second.close()


def test_reset_settings_asks_first_then_clears_json_and_qsettings(window, qtbot, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    window.settings.add_recent_model(model)
    window.settings.set_preferences(engine="local")
    qs = window._qsettings()
    qs.setValue("geometry", b"x")
    qs.sync()

    window.product.reset_action.trigger()
    box = window.product.reset_box
    qtbot.waitExposed(box)
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert Settings(window.settings.directory).preference("engine") == "local"  # Cancel keeps everything

    window.product.reset_action.trigger()
    box = window.product.reset_box
    qtbot.waitExposed(box)
    with qtbot.waitSignal(window.product.settings_reset):
        box.button(QMessageBox.StandardButton.Reset).click()
    after = Settings(window.settings.directory)
    assert after.preference("engine") == "auto" and after.recent_models() == []
    assert QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat).allKeys() == []
    assert window.statusBar().currentMessage() == "All settings were reset to their defaults."


def test_the_input_limit_is_a_preference_put_into_effect(window, qtbot):
    from explorer.core import limits

    dialog = window.product.open_preferences()
    assert dialog.input_limit_spin.value() == 0 and "Automatic" in dialog.input_limit_spin.specialValueText()
    dialog.input_limit_spin.setValue(5)
    try:
        assert dialog.apply()
        assert window.settings.preference("max_input_mb") == 5
        assert limits.max_input_bytes() == 5 * 2**20
        dialog.input_limit_spin.setValue(0)
        assert dialog.apply()
        assert limits.max_input_bytes() == int(limits.default_max_input_mb() * 2**20)
    finally:
        limits.set_max_input_mb(None)


def test_preferences_screenshot(window, qtbot, tmp_path):
    # Into the test's folder: every run rewrote the tracked docs/screenshots/preferences.png (`make screenshots`
    # retakes it, tests/ui/test_docs_shots.py).
    dialog = window.product.open_preferences()
    qtbot.waitExposed(dialog)
    dialog.adjustSize()
    assert dialog.grab().save(str(tmp_path / "preferences.png"))


def test_tests_never_touch_the_real_config_dir():
    assert config_dir() != REAL_DIRS[0]
    assert os.environ["SIGNATURE_EXPLORER_CONFIG_DIR"]
    for path in REAL_DIRS:
        assert _tree_state(path) == REAL_BEFORE[path], f"a test wrote to the user's real config dir {path}"
