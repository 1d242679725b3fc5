"""MainWindow with real models: open by call, chooser, drop, recent menu and command line; bad folders inline."""
import json
import subprocess
import sys
import textwrap
import threading

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from explorer.core.settings import Settings
from explorer.ui.app import install_exception_hooks
from explorer.ui.main_window import DETAILS, MainWindow

TIMEOUT = 10000


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.worker.wait()


def open_and_wait(qtbot, window, path, **kw):
    with qtbot.waitSignal(window.worker.finished, timeout=TIMEOUT):
        window.open_model(path, **kw)
    return window.model()


def test_opening_a_base_path_shows_summary_tree_and_details(qtbot, window, shared_models):
    path = shared_models / "saved_model_half_plus_two_2_versions"
    events = []
    window.model_opened.connect(lambda info: events.append(("model", info)))
    window.signature_selected.connect(lambda info, sig: events.append(("signature", info, sig.key)))
    with qtbot.waitSignals([window.model_opened, window.signature_selected], timeout=TIMEOUT):
        window.open_model(path)
    info = window.model()
    assert info.version == 124 and window.tree.visible_signature_keys()[0] == "serving_default"
    # Panels hear of the model first, then of the signature to show.
    assert events == [("model", info), ("signature", info, "serving_default")]
    summary = window.summary
    assert summary.title.text() == "saved_model_half_plus_two_2_versions · version 124"
    assert [summary.version_combo.itemData(i) for i in range(summary.version_combo.count())] == [124, 123]
    assert summary.tf_version.text() == "1.1.0-rc2"
    assert summary.fingerprint.text() == info.fingerprint
    assert summary.signature_count.text() == "6"
    assert "saved_model.pb\u00a09.7\u00a0KB" in summary.sizes.text()
    assert not summary.tag_combo.isEnabled()  # a single tag-set: nothing to choose
    assert "serving_default" in window.details.toPlainText() and "x:0" in window.details.toPlainText()
    assert window.windowTitle().startswith("saved_model_half_plus_two_2_versions")
    assert window.messages.level() == ""
    assert window.settings.recent_models() == [str(path)]


def test_version_chooser_reads_the_other_version_and_keeps_the_selection(qtbot, window, shared_models):
    open_and_wait(qtbot, window, shared_models / "saved_model_half_plus_two_2_versions")
    window.tree.select_path(("classify_x2_to_y3",))
    combo = window.summary.version_combo
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT) as blocker:
        combo.setCurrentIndex(1)
        combo.activated.emit(1)  # what a user's pick emits
    assert blocker.args[0].version == 123
    assert window.model().model_dir.endswith("00000123")
    assert window.tree.current_node().signature.key == "classify_x2_to_y3"


def test_tag_set_chooser_switches_meta_graph(qtbot, window, multi_tag_model):
    open_and_wait(qtbot, window, multi_tag_model)
    combo = window.summary.tag_combo
    assert combo.isEnabled() and [combo.itemText(i) for i in range(combo.count())] == ["serve", "serve, gpu"]
    assert "gpu_only" not in window.tree.visible_signature_keys()
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT) as blocker:
        combo.setCurrentIndex(1)
        combo.activated.emit(1)
    assert blocker.args[0].tag_set == ("serve", "gpu")
    assert window.tree.visible_signature_keys() == ["serving_default", "gpu_only"]
    assert window.summary.tf_version.text() == "2.21.0-gpu"


BAD = ["empty", "no saved_model.pb", "legacy SessionBundle", "tflite", "truncated", "empty version folders",
       "missing"]


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_folder_is_explained_inline_and_the_open_model_is_kept(qtbot, window, shared_models, bad_models,
                                                                     kind):
    good = open_and_wait(qtbot, window, shared_models / "saved_model_half_plus_two_cpu")
    path, words = bad_models[kind]
    opened = []
    window.model_opened.connect(opened.append)
    with qtbot.waitSignal(window.worker.failed, timeout=TIMEOUT):
        window.open_model(path)
    bar = window.messages
    assert bar.isVisible() and bar.level() == "error"
    assert str(path) in bar.text() and words in bar.text()
    assert bar.has_details() and not bar.details_shown()  # the traceback waits behind "Details"
    # The technical part (core's details, else the traceback) is kept apart from the readable message.
    assert bar.details().strip() and bar.details() not in bar.text() and "Traceback" not in bar.text()
    bar.set_details_shown(True)
    assert bar.details_shown()
    # The app keeps running with the previous model.
    assert opened == [] and window.model() is good
    assert window.tree.visible_signature_keys()[0] == "serving_default"
    assert "still showing saved_model_half_plus_two_cpu" in window.statusBar().currentMessage()
    assert str(path) not in window.settings.recent_models()
    # ... and the next good open clears the message.
    open_and_wait(qtbot, window, shared_models / "saved_model_half_plus_two_2_versions")
    assert not bar.isVisible()


def test_skipped_version_folders_are_a_warning_not_an_error(qtbot, window, shared_models, tmp_path):
    import shutil

    base = tmp_path / "base"
    shutil.copytree(shared_models / "saved_model_half_plus_two_2_versions" / "00000123", base / "1")
    (base / "2").mkdir()  # an export that never finished
    info = open_and_wait(qtbot, window, base)
    assert info.version == 1
    assert window.messages.level() == "warning" and "2/: empty" in window.messages.text()
    assert window.summary.skipped.isVisibleTo(window.summary)


def _drop(window, mime):
    pos = QPointF(window.rect().center())
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    try:
        enter = QDragEnterEvent(pos, *args)  # PySide6 >= 6.12 (its QPoint form is deprecated)
    except TypeError:
        enter = QDragEnterEvent(pos.toPoint(), *args)  # PySide6 6.11 has only the QPoint form
    QApplication.sendEvent(window, enter)
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    return enter, drop


def test_dropping_a_folder_opens_it(qtbot, window, shared_models):
    path = shared_models / "matrix_half_plus_two"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT) as blocker:
        enter, drop = _drop(window, mime)
    assert enter.isAccepted() and drop.isAccepted()
    assert blocker.args[0].path == str(path)
    assert window.tree.item_for(("serving_default", "inputs", "x")).text(2) == "(-1, 3, 3)"


def test_dropping_something_that_is_not_a_file_is_refused(qtbot, window):
    mime = QMimeData()
    mime.setText("not a path at all")
    enter, drop = _drop(window, mime)
    assert not enter.isAccepted() and not drop.isAccepted()
    assert not window.worker.busy()


def test_recent_menu_lists_opened_models_and_reopens_them(qtbot, window, shared_models):
    first = shared_models / "saved_model_half_plus_two_cpu"
    second = shared_models / "matrix_half_plus_two"
    open_and_wait(qtbot, window, first)
    open_and_wait(qtbot, window, second)
    window.recent_menu.aboutToShow.emit()
    entries = [a for a in window.recent_menu.actions() if a.data()]
    assert [a.data() for a in entries] == [str(second), str(first)]
    with qtbot.waitSignal(window.model_opened, timeout=TIMEOUT) as blocker:
        entries[1].trigger()
    assert blocker.args[0].path == str(first)
    assert Settings().recent_models()[0] == str(first)  # written to disk, not only kept in memory


def test_panels_and_docks_can_be_added(qtbot, window):
    from PySide6.QtWidgets import QLabel

    index = window.add_panel("Extra", QLabel("form"))
    assert window.tabs.tabText(0) == DETAILS and window.tabs.tabText(index) == "Extra"
    window.show_panel("Extra")
    assert window.tabs.currentWidget() is window.panel("Extra")
    with pytest.raises(ValueError):
        window.add_panel("Extra", QLabel())
    dock = window.add_dock("Log", QLabel("log"))
    assert dock.toggleViewAction() in window.view_menu.actions()


def test_corrupt_settings_are_reported_as_a_warning(qtbot, _isolated_settings):
    (_isolated_settings / "settings.json").write_text("{broken")
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.messages.level() == "warning" and "corrupt" in w.messages.text()


def test_window_geometry_is_restored(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(700, 500)
    w.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (700, 500)


def _close_message_box(found):
    box = QApplication.activeModalWidget()
    if isinstance(box, QMessageBox):
        found.append((box.text(), box.detailedText()))
        box.done(0)
    else:
        QTimer.singleShot(20, lambda: _close_message_box(found))


def test_exception_hooks_show_a_dialog_for_gui_and_thread_errors(qtbot, window):
    before = (sys.excepthook, threading.excepthook)
    uninstall = install_exception_hooks(window)
    found = []
    try:
        QTimer.singleShot(20, lambda: _close_message_box(found))
        try:
            raise ValueError("boom in a slot")
        except ValueError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
        qtbot.waitUntil(lambda: len(found) == 1, timeout=TIMEOUT)
        assert "ValueError: boom in a slot" in found[0][0] and "Traceback" in found[0][1]

        def crash():
            raise RuntimeError("boom in a thread")

        QTimer.singleShot(20, lambda: _close_message_box(found))
        t = threading.Thread(target=crash, name="helper")
        t.start()
        t.join()
        qtbot.waitUntil(lambda: len(found) == 2, timeout=TIMEOUT)
        assert "in thread helper: RuntimeError: boom in a thread" in found[1][0]
    finally:
        uninstall()
    assert (sys.excepthook, threading.excepthook) == before


SCRIPT = textwrap.dedent("""
    import json, sys, time
    t0 = time.perf_counter()
    from explorer.ui import app as app_mod
    qt = app_mod.create_app()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    seen = {}

    def poll():
        windows = [w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow"]
        if windows and windows[0].isVisible():
            seen.setdefault("visible_ms", (time.perf_counter() - t0) * 1000)
        if not windows or windows[0].model() is None:
            QTimer.singleShot(5, poll)
            return
        w = windows[0]
        seen.update(opened_ms=(time.perf_counter() - t0) * 1000, version=w.model().version,
                    signatures=w.tree.visible_signature_keys(), tensorflow="tensorflow" in sys.modules,
                    title=w.windowTitle(), hooked=sys.excepthook is not sys.__excepthook__)
        w.close()

    QTimer.singleShot(0, poll)
    code = app_mod.main(sys.argv[1:])
    seen.update(code=code, unhooked=sys.excepthook is sys.__excepthook__)
    print(json.dumps(seen))
""")


def test_command_line_path_opens_after_the_window_shows_without_tensorflow(shared_models):
    path = shared_models / "saved_model_half_plus_two_2_versions"
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(path), "--model-version", "123"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["version"] == 123 and seen["signatures"][0] == "serving_default"
    assert seen["tensorflow"] is False  # the window and the model came up without TensorFlow
    assert seen["visible_ms"] <= seen["opened_ms"]
    assert seen["hooked"] and seen["unhooked"] and seen["code"] == 0
    assert seen["title"].startswith("saved_model_half_plus_two_2_versions")


def test_screenshot_option_works_headless_and_plain_start_explains_a_missing_display(shared_models, tmp_path):
    import os

    from PySide6.QtGui import QImage

    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    png = tmp_path / "shot.png"
    out = subprocess.run([sys.executable, "-m", "explorer.ui.app", str(shared_models / "matrix_half_plus_two"),
                          "--screenshot", str(png), "--size", "1500x900", "--select", "serving_default/inputs/x"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1500, 900)
    plain = subprocess.run([sys.executable, "-m", "explorer.ui.app"], capture_output=True, text=True, timeout=120,
                           env=env)
    assert plain.returncode == 2 and plain.stderr.startswith("error: no display")


def test_a_version_that_fails_to_read_leaves_the_chooser_on_the_shown_version(qtbot, window, shared_models, tmp_path):
    import shutil

    base = shutil.copytree(shared_models / "saved_model_half_plus_two_2_versions", tmp_path / "half")
    open_and_wait(qtbot, window, base)
    (base / "00000123" / "saved_model.pb").write_bytes(b"")  # broken after it was listed
    combo = window.summary.version_combo
    with qtbot.waitSignal(window.worker.failed, timeout=TIMEOUT):
        combo.setCurrentIndex(1)
        combo.activated.emit(1)
    assert "00000123" in window.messages.text() and "0 bytes" in window.messages.text()
    assert window.model().version == 124 and combo.currentData() == 124


def test_a_window_deleted_before_its_panels_are_built_raises_nothing(qtbot):
    """The panels are built on the idle loop after the tree's first paint. A window deleted before that (a quick
    close, a test's teardown) had the timer call build_panels on its deleted tab widget: "Internal C++ object
    (QTabWidget) already deleted" in whatever ran next (seen by tests/stress/gc_thread_stress.py)."""
    from PySide6.QtCore import QEvent

    window = MainWindow()
    window.show()
    QApplication.processEvents()  # the first paint: build_panels is queued on the idle loop
    assert window._panels_state == "waiting"
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    qtbot.wait(100)  # the idle loop runs; an exception raised in it fails the test (pytest-qt)
