"""THE table of keyboard shortcuts: one place to see (and test) every key of the main window and spot conflicts.

Actions are found by attribute path on the MainWindow ("open_action", "server.connect_action", ...), so the
engineer who creates an action keeps it and this table only decides its keys. `apply_shortcuts(window)` sets
them, makes each work wherever the focus is in the window, and adds the keys to the action's tooltip.
Actions in menus without a shortcut must be listed in EXEMPT (tests/ui/test_shortcuts.py checks both).
"""
from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut

Key = str | QKeySequence.StandardKey | tuple

# Plain strings, not QKeySequence.StandardKey: standard keys differ per platform and may be empty (Quit on some
# X11 desktops), and a table that checks conflicts must know its keys. Qt shows Ctrl as Cmd on macOS.
SHORTCUTS: dict[str, Key] = {
    # File
    "open_action": "Ctrl+O",
    "open_file_action": "Ctrl+Alt+O",
    "sessions.open_action": "Ctrl+Shift+W",
    "sessions.save_action": "Ctrl+S",
    "sessions.save_as_action": "Ctrl+Shift+S",
    "sessions.export_npy_action": "Ctrl+E",
    "sessions.export_csv_action": "Ctrl+Shift+E",
    "reload_action": "F5",
    "close_action": "Ctrl+W",
    "product.preferences_action": "Ctrl+,",
    "quit_action": "Ctrl+Q",
    # View
    "internal_action": "Ctrl+I",
    "filter_action": "Ctrl+F",
    "expand_action": "Ctrl+Alt+E",
    "collapse_action": "Ctrl+Alt+C",
    # Signature
    "reexport.edit_action": "Ctrl+Alt+R",
    # Tools
    "product.run_action": ("Ctrl+Return", "Ctrl+Enter"),  # Enter is the keypad's key
    "diagnostics.check_action": "Ctrl+Shift+D",
    # Server
    "server.connect_action": "Ctrl+Shift+O",
    "server.refresh_action": "Shift+F5",
    "server.disconnect_action": "Ctrl+Alt+D",
    "server.request_action": "Ctrl+Shift+C",
    # Compare
    "sessions.compare_tab_action": "Ctrl+Shift+K",
    "sessions.compare_now_action": "Ctrl+Shift+Return",
    "sessions.open_targets_action": "Ctrl+Shift+T",
    "sessions.versions_action": "Ctrl+Alt+V",
    "sessions.replay_action": "Ctrl+Shift+R",
    "conversions.action": "Ctrl+Alt+L",  # convert to TFLite (Lite) and compare
    # Help
    "about_action": "F1",
}

# Menu entries deliberately without a key: rare or destructive, or made at run time (recent files, docks).
EXEMPT = {"product.reset_action"}
EXEMPT_MENUS = {"Open Recent"}  # every entry of these submenus is exempt


_KEYS_IN_TIP = re.compile(r" \((?:(?:Ctrl|Shift|Alt|Meta)\+)+[^ ()]+\)$|\s\(F\d{1,2}\)$")


def resolve(window, path: str):
    """The object at attribute path `path` on `window`, or None."""
    obj = window
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def key_sequences(key: Key) -> list[QKeySequence]:
    """The key sequences a table entry stands for (a standard key may be several on one platform)."""
    if isinstance(key, tuple):
        return [QKeySequence(k) for k in key]
    if isinstance(key, QKeySequence.StandardKey):
        return QKeySequence.keyBindings(key) or []
    return [QKeySequence(key)]


def apply_shortcuts(window) -> dict[str, QAction]:
    """Give every action in SHORTCUTS its keys (window-wide) and the keys in its tooltip; returns name -> action.

    Actions not created (yet) are skipped: a missing feature must not stop the window."""
    applied: dict[str, QAction] = {}
    for path, key in SHORTCUTS.items():
        action = resolve(window, path)
        if not isinstance(action, QAction):
            continue
        sequences = key_sequences(key)
        action.setShortcuts(sequences)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if action not in window.actions():
            window.addAction(action)  # works with any focus, also when its menu was never opened
        _tooltip_with_keys(action, sequences)
        applied[path] = action
    return applied


def shortcut_text(action: QAction) -> str:
    """The action's first key as the menus show it, e.g. 'Ctrl+O'."""
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


def disable_local_shortcuts(widget, sequences: list[QKeySequence]) -> int:
    """Turn off QShortcuts under `widget` that duplicate window actions (two owners of one key make Qt fire
    neither: 'ambiguous shortcut'); returns how many were turned off."""
    wanted = {s.toString() for s in sequences}
    count = 0
    for shortcut in widget.findChildren(QShortcut):
        if shortcut.key().toString() in wanted and shortcut.isEnabled():
            shortcut.setEnabled(False)
            count += 1
    return count


def _tooltip_with_keys(action: QAction, sequences: list[QKeySequence]) -> None:
    if not sequences:
        return
    keys = sequences[0].toString(QKeySequence.SequenceFormat.NativeText)
    tip = action.toolTip() or action.text().replace("&", "").rstrip("…")
    # Drop a key another place wrote into the tip, so the table stays the one source of truth.
    tip = _KEYS_IN_TIP.sub("", tip)
    action.setToolTip(f"{tip} ({keys})")
