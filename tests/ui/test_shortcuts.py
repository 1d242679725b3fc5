"""Keyboard and discoverability: every menu action has a unique shortcut (or is exempt), the keys trigger their
actions on the shown window, Ctrl+Enter really runs the demo model, and every control explains itself."""
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QComboBox, QFormLayout, QLabel, QLineEdit, QMenu,
                               QTabBar)

from explorer.ui.main_window import MainWindow
from explorer.ui.shortcuts import EXEMPT, EXEMPT_MENUS, SHORTCUTS, key_sequences, resolve

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo_model"


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.sessions.offer_restore = lambda *a, **k: None  # no "restore the last session?" box over the keys
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=3000)
    yield w
    w.run_panel.wait(60000)
    w.worker.wait(10000)


@pytest.fixture
def opened(window, qtbot):
    with qtbot.waitSignal(window.model_opened, timeout=20000):
        window.open_model(DEMO)
    return window


def menu_actions(menu: QMenu, path=()):
    """(menu path, action) for every action with text under `menu`, submenus included."""
    for action in menu.actions():
        if action.isSeparator():
            continue
        title = action.text().replace("&", "")
        if action.menu() is not None:
            if title not in EXEMPT_MENUS:
                yield from menu_actions(action.menu(), path + (title,))
            continue
        if title:
            yield path, action


def all_menu_actions(window):
    for top in window.menuBar().actions():
        yield from menu_actions(top.menu(), (top.text().replace("&", ""),))


def test_every_menu_action_has_a_shortcut_or_is_deliberately_exempt(window):
    exempt = {resolve(window, p) for p in EXEMPT}
    missing = [" > ".join(path + (a.text().replace("&", ""),)) for path, a in all_menu_actions(window)
               if a.shortcut().isEmpty() and a not in exempt]
    assert not missing, f"menu actions without a shortcut (add them to explorer/ui/shortcuts.py): {missing}"
    assert len(list(all_menu_actions(window))) >= 25


def test_no_two_actions_or_shortcuts_share_a_key(window):
    owners: dict[str, list[str]] = {}
    actions = set(window.findChildren(QAction)) | set(window.actions())
    for top in window.menuBar().actions():
        actions |= {a for _p, a in menu_actions(top.menu())}
    for action in actions:
        for seq in action.shortcuts():
            owners.setdefault(seq.toString(), []).append(action.text().replace("&", "") or repr(action))
    for shortcut in window.findChildren(QShortcut):
        if shortcut.isEnabled() and shortcut.context() != Qt.ShortcutContext.WidgetShortcut:
            owners.setdefault(shortcut.key().toString(), []).append(f"QShortcut under {type(shortcut.parent())}")
    clashes = {k: v for k, v in owners.items() if len(v) > 1}
    assert not clashes, f"keys with more than one owner: {clashes}"


def test_every_table_entry_names_an_existing_action_shown_in_a_menu(window):
    in_menus = {a for _p, a in all_menu_actions(window)}
    for path in list(SHORTCUTS) + list(EXEMPT):
        action = resolve(window, path)
        assert isinstance(action, QAction), f"{path} is not an action of the window (renamed?)"
        assert action in in_menus, f"{path} ({action.text()}) is in no menu: its key would be undiscoverable"
    # the keys are shown: in the menu (Qt draws action.shortcut()) and in the tooltip
    assert resolve(window, "open_action").shortcut() == QKeySequence("Ctrl+O")
    assert "(Ctrl+O)" in resolve(window, "open_action").toolTip()
    assert resolve(window, "server.request_action").toolTip().count("Ctrl+Shift+C") == 1


def test_each_shortcut_triggers_its_action_on_the_shown_window(window, qtbot):
    fired: list[str] = []
    for path in SHORTCUTS:
        action = resolve(window, path)
        action.triggered.disconnect()  # the real slots open file dialogs; here only the routing of keys counts
        action.triggered.connect(lambda _checked=False, p=path: fired.append(p))
        action.setEnabled(True)
    window.tree.tree.setFocus()  # focus inside the window, as a user's would be
    for path, key in SHORTCUTS.items():
        before = len(fired)
        QTest.keySequence(window.tree.tree, key_sequences(key)[0])
        qtbot.waitUntil(lambda: len(fired) > before, timeout=1000)
        assert fired[-1] == path, f"{key_sequences(key)[0].toString()} triggered {fired[-1]}, not {path}"
    assert len(fired) == len(SHORTCUTS)


def test_ctrl_enter_runs_the_prediction_from_anywhere_and_says_so_in_the_status_bar(opened, qtbot):
    w = opened
    w.show_panel("Details")
    w.tree.tree.setFocus()
    with qtbot.waitSignal(w.run_panel.prediction_done, timeout=120000) as blocker:
        QTest.keySequence(w.tree.tree, QKeySequence("Ctrl+Return"))
    assert blocker.args[0].signature == "serving_default"
    assert w.tabs.currentWidget() is w.run_panel  # the outputs are shown where the user looks next
    assert w.statusBar().currentMessage().startswith("Ran serving_default in ")
    assert "probabilities (1, 10)" in w.statusBar().currentMessage()


def _labelled(window, widget) -> bool:
    if any(label.buddy() is widget for label in window.findChildren(QLabel)):
        return True
    layout = widget.parentWidget().layout() if widget.parentWidget() else None
    return isinstance(layout, QFormLayout) and layout.labelForField(widget) is not None


def _qt_internal(widget) -> bool:
    # Parts Qt builds inside its own widgets: tab scroll arrows, a spin box's editor, a line edit's clear button.
    parent = widget.parentWidget()
    return (widget.objectName().startswith("qt_") or isinstance(parent, (QTabBar, QAbstractSpinBox, QLineEdit))
            or (isinstance(parent, QComboBox) and isinstance(widget, QLineEdit)))


def test_every_control_has_a_tooltip_or_a_label_that_explains_it(opened, qtbot):
    w = opened
    qtbot.waitUntil(lambda: w.run_panel.form.signature() is not None, timeout=5000)
    lacking = []
    checked = 0
    for cls in (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit):
        for widget in w.findChildren(cls):
            if _qt_internal(widget) or widget.isHidden():
                continue
            checked += 1
            if widget.toolTip():
                continue
            text = widget.text().replace("&", "").strip() if isinstance(widget, QAbstractButton) else ""
            if len(text) > 2 or _labelled(w, widget):  # "Run", "Show internal": the text explains it
                continue
            lacking.append(f"{type(widget).__name__} {text!r} in {type(widget.parentWidget()).__name__}")
    assert checked > 30
    assert not lacking, f"controls without a tooltip or label: {lacking}"
