"""PreferencesDialog (File > Preferences…, Ctrl+,): default engine, tolerances, theme, recent list size, clear recent,
plot options. Reads and writes core.settings.Settings; `applied(dict)` tells the window what to put into effect.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.settings import ENGINES, THEMES, Settings

ENGINE_TEXT = {"auto": "Auto — TensorFlow 2, falling back to the TF1 session loader",
               "local": "TensorFlow 2 only (tf.saved_model.load)",
               "session": "TF1 session loader (as TF Serving loads models)"}
THEME_TEXT = {"system": "Follow the system", "light": "Light", "dark": "Dark"}


class PreferencesDialog(QtWidgets.QDialog):
    """Edits the preferences of `settings`; OK/Apply save them and emit `applied(preferences)`.

    The dict emitted holds every preference (Settings.preferences()) plus "rtol" and "atol"."""

    applied = QtCore.Signal(dict)
    recent_cleared = QtCore.Signal()

    consent_revoked = QtCore.Signal(str)  # a model's "run it anyway" was taken back (its consent key)

    def __init__(self, settings: Settings, parent: QtWidgets.QWidget | None = None, consent=None):
        super().__init__(parent)
        self.settings = settings
        self.consent = consent  # the window's ConsentGate, which also forgets the grant in this process
        self.setWindowTitle("Preferences")

        self.engine_box = QtWidgets.QComboBox()
        for name in ENGINES:
            self.engine_box.addItem(ENGINE_TEXT[name], name)
        self.engine_box.setToolTip("How a model folder runs unless you pick another engine beside Run")

        self.rtol_edit = self._number_edit("Relative tolerance: outputs count as equal when "
                                           "|a − b| ≤ atol + rtol·|b| (as numpy.allclose)")
        self.atol_edit = self._number_edit("Absolute tolerance: outputs count as equal when "
                                           "|a − b| ≤ atol + rtol·|b| (as numpy.allclose)")

        self.theme_box = QtWidgets.QComboBox()
        for name in THEMES:
            self.theme_box.addItem(THEME_TEXT[name], name)
        self.theme_box.setToolTip("Light or dark colours; 'Follow the system' changes with your desktop's setting")

        from explorer.core import limits

        self.input_limit_spin = QtWidgets.QSpinBox()
        self.input_limit_spin.setRange(0, 1024 * 1024)
        self.input_limit_spin.setSuffix(" MB")
        self.input_limit_spin.setSpecialValueText("Automatic: 1/64 of available memory")
        self.input_limit_spin.setToolTip("Inputs estimated larger than this are refused before they are built "
                                         f"(fills, files, images). Automatic is {limits.default_max_input_mb():,.0f} "
                                         "MB now.")
        self.recent_spin = QtWidgets.QSpinBox()
        self.recent_spin.setRange(1, 50)
        self.recent_spin.setSuffix(" models")
        self.recent_spin.setMaximumWidth(140)
        self.recent_spin.setToolTip("How many models File ▸ Open Recent remembers")
        self.clear_button = QtWidgets.QPushButton("Clear Recent Models and Endpoints")
        self.clear_button.setToolTip("Forget the recently opened models and the remembered TF Serving endpoints")
        self.clear_button.clicked.connect(self._on_clear_button_clicked)
        self.clear_note = QtWidgets.QLabel("")
        self.clear_note.setStyleSheet("color: palette(placeholder-text);")

        self.grid_check = QtWidgets.QCheckBox("Show grid lines")
        self.grid_check.setToolTip("Grid lines behind the output, compare and diagnostics plots")
        self.antialias_check = QtWidgets.QCheckBox("Smooth (antialiased) lines")
        self.antialias_check.setToolTip("Smoother curves; turn off for very long outputs on slow machines")

        run_box = QtWidgets.QGroupBox("Running and comparing")
        run_form = QtWidgets.QFormLayout(run_box)
        run_form.addRow("Default engine", self.engine_box)
        run_form.addRow("Relative tolerance (rtol)", self.rtol_edit)
        run_form.addRow("Absolute tolerance (atol)", self.atol_edit)
        run_form.addRow("Input limit", self.input_limit_spin)
        look_box = QtWidgets.QGroupBox("Appearance and plots")
        look_form = QtWidgets.QFormLayout(look_box)
        look_form.addRow("Theme", self.theme_box)
        look_form.addRow("", self.grid_check)
        look_form.addRow("", self.antialias_check)
        recent_box = QtWidgets.QGroupBox("Recent items")
        recent_form = QtWidgets.QFormLayout(recent_box)
        recent_form.addRow("Remember up to", self.recent_spin)
        recent_form.addRow(self.clear_button)
        recent_form.addRow(self.clear_note)

        # Models the user agreed to run although the safety scan found ops that touch files or run Python.
        self.consent_list = QtWidgets.QListWidget()
        self.consent_list.setToolTip("Models you agreed to run despite unsafe ops; revoke to be asked again")
        self.consent_list.setMaximumHeight(110)
        self.revoke_button = QtWidgets.QPushButton("Revoke")
        self.revoke_button.setToolTip("Ask again before this model loads")
        self.revoke_button.clicked.connect(self._on_revoke_button_clicked)
        self.consent_list.currentRowChanged.connect(lambda row: self.revoke_button.setEnabled(row >= 0))
        safety_box = QtWidgets.QGroupBox("Safety: models allowed to run unsafe ops")
        safety_layout = QtWidgets.QHBoxLayout(safety_box)
        safety_layout.addWidget(self.consent_list, 1)
        safety_layout.addWidget(self.revoke_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        self.safety_box = safety_box

        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel
                                             | QtWidgets.QDialogButtonBox.StandardButton.Apply
                                             | QtWidgets.QDialogButtonBox.StandardButton.RestoreDefaults)
        self.buttons = buttons
        sb = QtWidgets.QDialogButtonBox.StandardButton
        for which, tip in ((sb.Ok, "Save and close"), (sb.Cancel, "Close without saving (Esc)"),
                           (sb.Apply, "Save and put into effect now"),
                           (sb.RestoreDefaults, "Put the default values into the fields (saved on OK or Apply)")):
            buttons.button(which).setToolTip(tip)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(sb.Apply).clicked.connect(self.apply)
        buttons.button(sb.RestoreDefaults).clicked.connect(self.restore_defaults)
        self.error = QtWidgets.QLabel("")
        self.error.setWordWrap(True)
        self.error.hide()

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(run_box)
        layout.addWidget(look_box)
        layout.addWidget(recent_box)
        layout.addWidget(safety_box)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.load()

    # --- API -----------------------------------------------------------------------------------------------------

    def load(self) -> None:
        """Fill the fields from the settings file."""
        self._show(self.settings.preferences(), *self.settings.tolerances())
        self._fill_consents()

    def revoke(self, key: str) -> None:
        """Take back the consent to run one model (saved at once, like Clear Recent)."""
        if self.consent is not None:
            self.consent.revoke(key)
        else:
            from explorer.core import scan

            self.settings.revoke_unsafe_consent(key)
            scan.revoke_in_process(key)
        self._fill_consents()
        self.consent_revoked.emit(key)

    def _fill_consents(self) -> None:
        self.consent_list.clear()
        for key, entry in sorted(self.settings.unsafe_consents().items(), key=lambda kv: kv[1].get("path", "")):
            ops = ", ".join(entry.get("ops", [])) or "?"
            text = f"{entry.get('path', '?')}  —  {ops}  (since {entry.get('granted_at', '?')})"
            item = QtWidgets.QListWidgetItem(text)
            item.setData(QtCore.Qt.ItemDataRole.UserRole, key)
            item.setToolTip(f"consent key {key}")
            self.consent_list.addItem(item)
        if not self.consent_list.count():
            empty = QtWidgets.QListWidgetItem("No model is allowed: every model with unsafe ops asks first.")
            empty.setFlags(QtCore.Qt.ItemFlag.NoItemFlags)
            self.consent_list.addItem(empty)
        self.revoke_button.setEnabled(False)

    def _on_revoke_button_clicked(self) -> None:
        item = self.consent_list.currentItem()
        key = item.data(QtCore.Qt.ItemDataRole.UserRole) if item is not None else None
        if key:
            self.revoke(key)

    def values(self) -> dict:
        """The fields as preferences plus rtol/atol; ValueError with a readable message when a field is invalid."""
        rtol, atol = (_number(self.rtol_edit, "Relative tolerance"), _number(self.atol_edit, "Absolute tolerance"))
        return {"engine": self.engine_box.currentData(), "theme": self.theme_box.currentData(),
                "recent_max": self.recent_spin.value(), "plot_grid": self.grid_check.isChecked(),
                "plot_antialias": self.antialias_check.isChecked(), "max_input_mb": self.input_limit_spin.value(),
                "rtol": rtol, "atol": atol}

    def apply(self) -> bool:
        """Save the fields and emit `applied`; False (and a message in the dialog) when a field is invalid."""
        try:
            values = self.values()
        except ValueError as exc:
            from explorer.ui.theme import colors

            c = colors(self.palette())
            self.error.setStyleSheet(f"color: {c.inks['error']}; background: {c.tints['error']}; padding: 4px;")
            self.error.setText(str(exc))
            self.error.show()
            return False
        self.error.hide()
        rtol, atol = values.pop("rtol"), values.pop("atol")
        saved = self.settings.set_preferences(**values)
        self.settings.set_tolerances(rtol, atol)
        self.applied.emit({**saved, "rtol": rtol, "atol": atol})
        return True

    def accept(self) -> None:  # noqa: D102 - QDialog.accept, after a successful save
        if self.apply():
            super().accept()

    def restore_defaults(self) -> None:
        """Put the defaults into the fields (nothing is saved until OK or Apply)."""
        from explorer.core.settings import DEFAULT_ATOL, DEFAULT_RTOL, PREFERENCES

        self._show({name: default for name, (default, _valid) in PREFERENCES.items()}, DEFAULT_RTOL, DEFAULT_ATOL)

    # --- internals -----------------------------------------------------------------------------------------------

    def _show(self, prefs: dict, rtol: float, atol: float) -> None:
        self.engine_box.setCurrentIndex(max(0, self.engine_box.findData(prefs["engine"])))
        self.theme_box.setCurrentIndex(max(0, self.theme_box.findData(prefs["theme"])))
        self.recent_spin.setValue(prefs["recent_max"])
        self.grid_check.setChecked(prefs["plot_grid"])
        self.antialias_check.setChecked(prefs["plot_antialias"])
        self.input_limit_spin.setValue(int(prefs.get("max_input_mb") or 0))
        self.rtol_edit.setText(f"{rtol:g}")
        self.atol_edit.setText(f"{atol:g}")

    def _number_edit(self, tip: str) -> QtWidgets.QLineEdit:
        edit = QtWidgets.QLineEdit()
        validator = QtGui.QDoubleValidator(0.0, 1e9, 12, edit)
        validator.setNotation(QtGui.QDoubleValidator.Notation.ScientificNotation)
        validator.setLocale(QtCore.QLocale.c())  # "1e-5" must parse whatever the user's locale
        edit.setValidator(validator)
        edit.setToolTip(tip)
        edit.setMaximumWidth(140)
        return edit

    def _on_clear_button_clicked(self) -> None:
        self.settings.clear_recent()
        self.clear_note.setText("Recent models and endpoints were cleared.")
        self.recent_cleared.emit()


def _number(edit: QtWidgets.QLineEdit, what: str) -> float:
    text = edit.text().strip()
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not a number; write e.g. 1e-5.") from None
    if value < 0:
        raise ValueError(f"{what} cannot be negative.")
    return value


if __name__ == "__main__":  # a quick look: python -m explorer.ui.widgets.preferences_dialog
    import sys

    app = QtWidgets.QApplication(sys.argv)
    PreferencesDialog(Settings()).exec()
