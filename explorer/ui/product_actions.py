"""ProductActions: what makes the window a desktop product -- Preferences… (Ctrl+,), Reset Settings…, Tools > Run
(Ctrl+Enter), the About dialog, the theme (system/light/dark, re-colouring plots on a palette change), the
shortcut table (explorer/ui/shortcuts.py) and status-bar messages for what just happened.

Composition and signal wiring only, kept out of main_window.py (like ServerActions and SessionActions).
"""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from . import theme
from .shortcuts import SHORTCUTS, apply_shortcuts, disable_local_shortcuts, key_sequences
from .widgets.about_dialog import AboutDialog
from .widgets.preferences_dialog import PreferencesDialog

STATUS_MS = 8000  # how long a "what just happened" message stays


def _menu(window, title: str) -> QtWidgets.QMenu | None:
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == title:
            return action.menu()
    return None


class ProductActions(QtCore.QObject):
    """Attaches preferences, reset, run, about, theme, shortcuts and status messages to a MainWindow."""

    preferences_applied = QtCore.Signal(dict)
    settings_reset = QtCore.Signal()

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        window.product = self  # the shortcut table names actions by path, e.g. "product.run_action"
        self.preferences_dialog: PreferencesDialog | None = None
        self.about_dialog: AboutDialog | None = None
        self._connecting = None  # the endpoint connect_to() asked, until its first answer
        sp = QtWidgets.QStyle.StandardPixmap
        style = window.style()

        self.preferences_action = QtGui.QAction("&Preferences…", self)
        self.preferences_action.setMenuRole(QtGui.QAction.MenuRole.PreferencesRole)
        self.preferences_action.setToolTip("Default engine, tolerances, theme, recent items and plot options")
        self.preferences_action.triggered.connect(self.open_preferences)
        self.reset_action = QtGui.QAction("Reset All &Settings…", self)
        self.reset_action.setToolTip("Forget preferences, recent models, endpoints and the window layout")
        self.reset_action.triggered.connect(self._on_reset_triggered)
        self.run_action = QtGui.QAction(style.standardIcon(sp.SP_MediaPlay), "&Run Prediction", self)
        self.run_action.setToolTip("Run the selected signature with the form's inputs")
        self.run_action.triggered.connect(self._on_run_triggered)

        file_menu = _menu(window, "File")
        if file_menu is not None:
            quit_action = getattr(window, "quit_action", None)
            if quit_action is not None and quit_action in file_menu.actions():
                file_menu.insertAction(quit_action, self.preferences_action)
                file_menu.insertSeparator(quit_action)
            else:
                file_menu.addAction(self.preferences_action)
        tools_menu = _menu(window, "Tools")
        if tools_menu is not None:
            first = tools_menu.actions()[0] if tools_menu.actions() else None
            tools_menu.insertAction(first, self.run_action)
        help_menu = _menu(window, "Help")
        if help_menu is not None:
            help_menu.insertAction(getattr(window, "about_action", None), self.reset_action)
            help_menu.insertSeparator(getattr(window, "about_action", None))

        self.shortcuts = apply_shortcuts(window)
        # The run panel's own Ctrl+Enter would make the key ambiguous (Qt then fires neither): the action owns it.
        disable_local_shortcuts(window.run_panel, key_sequences(SHORTCUTS["product.run_action"]))

        app = QtWidgets.QApplication.instance()
        self.theme_watcher = theme.ThemeWatcher(app, self)
        self.theme_watcher.changed.connect(self._on_theme_changed)
        self.apply_preferences(window.settings.preferences(), announce=False)
        self._wire_status_messages()

    # --- API -----------------------------------------------------------------------------------------------------

    def open_preferences(self) -> PreferencesDialog:
        """Show the Preferences dialog (window-modal, not blocking)."""
        dialog = PreferencesDialog(self.window.settings, self.window, consent=getattr(self.window, "consent", None))
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.applied.connect(self._on_preferences_applied)
        dialog.recent_cleared.connect(self._on_recent_cleared)
        self.preferences_dialog = dialog
        dialog.open()
        return dialog

    def open_about(self) -> AboutDialog:
        """Show the About dialog (window-modal, not blocking)."""
        dialog = AboutDialog(self.window)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.copied.connect(lambda _text: self.status("Copied the versions to the clipboard."))
        self.about_dialog = dialog
        dialog.open()
        return dialog

    def apply_preferences(self, prefs: dict, announce: bool = True) -> None:
        """Put preferences into effect: theme, plot options, default engine, tolerances of the compare view."""
        from explorer.core import limits

        limits.set_max_input_mb(prefs.get("max_input_mb") or None)  # 0: the default share of available memory
        app = QtWidgets.QApplication.instance()
        if prefs.get("theme") and prefs["theme"] != theme.current_mode(app):
            theme.apply_theme(app, prefs["theme"])  # the watcher re-colours the plots
        self.style_plots()
        run_panel = self.window.run_panel
        index = run_panel.engine_box.findData(prefs.get("engine"))
        if index >= 0 and index != run_panel.engine_box.currentIndex():
            run_panel.engine_box.setCurrentIndex(index)
        view = getattr(getattr(self.window, "sessions", None), "view", None)
        if view is not None and "rtol" in prefs and (view.rtol, view.atol) != (prefs["rtol"], prefs["atol"]):
            view.set_tolerances(prefs["rtol"], prefs["atol"])
        recent = self.window.settings.recent_models()  # a smaller list size trims it now
        if hasattr(self.window, "_fill_recent_menu"):
            self.window._fill_recent_menu()
        if announce:
            self.status(f"Preferences saved: {prefs.get('engine')} engine, {prefs.get('theme')} theme, "
                        f"{len(recent)} recent model{'s' * (len(recent) != 1)}.")

    def style_plots(self) -> int:
        """Colours and options (grid, antialiasing) for every plot in the window; returns how many."""
        prefs = self.window.settings.preferences()
        count = theme.style_plots(self.window, theme.colors(QtWidgets.QApplication.palette()))
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=prefs["plot_antialias"])
        for view in self.window.findChildren(pg.GraphicsView):
            view.setAntialiasing(prefs["plot_antialias"])
            for item in view.scene().items() if view.scene() else ():
                if isinstance(item, pg.PlotItem):
                    item.showGrid(x=prefs["plot_grid"], y=prefs["plot_grid"], alpha=0.25)
        return count

    def reset_settings(self) -> None:
        """Forget every setting (JSON and QSettings) and put the window back to its first-start layout."""
        w = self.window
        w.settings.reset()
        qs = w._qsettings() if hasattr(w, "_qsettings") else None
        if qs is not None:
            qs.clear()
            qs.sync()
        w.resize(1280, 800)
        if hasattr(w, "splitter"):
            w.splitter.setSizes([720, 560])
        self.apply_preferences({**w.settings.preferences(), **dict(zip(("rtol", "atol"), w.settings.tolerances()))},
                               announce=False)
        self.settings_reset.emit()
        self.status("All settings were reset to their defaults.")

    def status(self, text: str) -> None:
        """Say in the status bar what just happened."""
        self.window.statusBar().showMessage(text, STATUS_MS)

    # --- slots -----------------------------------------------------------------------------------------------------

    def _on_preferences_applied(self, prefs: dict) -> None:
        self.apply_preferences(prefs)
        self.preferences_applied.emit(prefs)

    def _on_recent_cleared(self) -> None:
        if hasattr(self.window, "_fill_recent_menu"):
            self.window._fill_recent_menu()
        self.status("Cleared recent models and endpoints.")

    def _on_reset_triggered(self) -> None:
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Warning, "Reset All Settings",
            "Reset every setting to its default?",
            QtWidgets.QMessageBox.StandardButton.Reset | QtWidgets.QMessageBox.StandardButton.Cancel, self.window)
        box.setInformativeText("Preferences, tolerances, recent models, remembered endpoints, last-used folders and "
                               "the window layout are forgotten. Open models, inputs and workspace files are kept.")
        box.setDefaultButton(QtWidgets.QMessageBox.StandardButton.Cancel)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: result == QtWidgets.QMessageBox.StandardButton.Reset
                             and self.reset_settings())
        self.reset_box = box
        box.open()

    def _on_run_triggered(self) -> None:
        w = self.window
        if hasattr(w, "show_panel") and w.panel("Predict") is not None:
            w.show_panel("Predict")
        task = w.run_panel.run()
        if task is None and not w.run_panel.is_running():
            self.status("Nothing to run: open a model and select a signature first.")

    def _on_theme_changed(self, colors: theme.ThemeColors) -> None:
        theme.refresh_style_sheets(QtWidgets.QApplication.instance())
        self.style_plots()

    # --- status messages ---------------------------------------------------------------------------------------

    def _on_run_panel_run_failed(self, error) -> None:
        # The Predict tab says what failed and the fix (its banner, or under the input): the status bar only says
        # where to look. Repeating the text there was a third copy in another wording ("Run failed: Not run: ...").
        from .run_panel import InputsNotReady  # the run panel is built before these actions: imported already

        if isinstance(error, InputsNotReady):
            self.status("Not run: the Predict tab marks what to fix.")
        else:
            self.status("Run failed: the Predict tab says why.")

    def _wire_status_messages(self) -> None:
        w = self.window
        rp = w.run_panel
        rp.prediction_done.connect(self._on_run_panel_prediction_done)
        rp.run_failed.connect(self._on_run_panel_run_failed)
        sessions = getattr(w, "sessions", None)
        if sessions is not None:
            sessions.saved.connect(lambda path: self.status(f"Saved workspace {Path(path).name}."))
            sessions.opened.connect(lambda ws: self.status("Opened the workspace."))
        server = getattr(w, "server", None)
        if server is not None:
            # "Connected" only once the server has answered: connect_to() says "Connecting to …", and a wrong
            # model name or port must not read as a connection in the status bar.
            server.connected.connect(self._on_server_connecting)
            server.panel.refreshed.connect(self._on_server_answered)
            server.panel.refresh_failed.connect(
                lambda error: self.status(f"{server.endpoint.url() if server.endpoint else 'Server'}: "
                                          f"{_first_line(str(error))}"))
            server.disconnected.connect(lambda: self.status("Disconnected from TF Serving."))
            server.both_done.connect(lambda _outcome: self.status("Ran on local and server: see Local ⇄ Server."))
        diagnostics = getattr(w, "diagnostics", None)
        if diagnostics is not None and hasattr(diagnostics, "diagnosed"):
            diagnostics.diagnosed.connect(lambda d: self.status(
                f"Identical-output check finished: {getattr(d, 'verdict', 'done')}."))
        w.model_closed.connect(lambda: self.status("Closed the model."))
        QtGui.QGuiApplication.clipboard().dataChanged.connect(self._on_clipboard_changed)

    def _on_server_connecting(self, endpoint) -> None:
        self._connecting = endpoint

    def _on_server_answered(self, state) -> None:
        endpoint, self._connecting = self._connecting, None
        if endpoint is not None:
            self.status(f"Connected to {endpoint.url()}.")

    def _on_run_panel_prediction_done(self, prediction) -> None:
        total = sum(v for k, v in prediction.timing_ms.items() if k not in ("load", "import_tensorflow"))
        shapes = ", ".join(f"{k} {tuple(getattr(v, 'shape', ()))}" for k, v in prediction.outputs.items())
        self.status(f"Ran {prediction.signature} in {total:.0f} ms ({prediction.engine}): {shapes}.")

    def _on_clipboard_changed(self) -> None:
        # Every Copy button (request code, messages, versions) ends here: one place to confirm it.
        if self.window.isActiveWindow() or QtWidgets.QApplication.activeModalWidget() is not None:
            text = QtGui.QGuiApplication.clipboard().text()
            if text:
                self.status(f"Copied {len(text.splitlines()) or 1} line{'s' * (len(text.splitlines()) > 1)} "
                            f"to the clipboard.")


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else text
