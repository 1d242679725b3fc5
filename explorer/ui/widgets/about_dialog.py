"""AboutDialog (Help > About): the app and the versions of what it runs on, with Copy for bug reports.

TensorFlow's version is read without importing it on the GUI thread (seconds, ~500 MB): `tf.__version__` when it
is already imported, else the installed distribution's version from importlib.metadata.
"""
from __future__ import annotations

import platform
import sys

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.versions import distribution_version, tensorflow_installed, tensorflow_loaded

APP_NAME = "Signature Explorer"
HOMEPAGE_TEXT = "Inspect, run, check and compare TensorFlow SavedModels and TF Serving endpoints."


def tensorflow_version() -> str:
    """TensorFlow's version and whether it is loaded in this process; never imports it."""
    loaded = tensorflow_loaded()
    if loaded:
        return f"{loaded} (loaded)"
    installed = tensorflow_installed()
    return f"{installed} (installed, not loaded yet)" if installed else "not installed"


def versions() -> list[tuple[str, str]]:
    """(component, version) rows shown by the dialog and copied for bug reports."""
    import numpy
    import PySide6
    import pyqtgraph

    import explorer

    frozen = " (bundle)" if getattr(sys, "frozen", False) else ""
    return [
        (APP_NAME, f"{explorer.__version__}{frozen}"),
        ("TensorFlow", tensorflow_version()),
        ("TF Serving API", distribution_version("tensorflow-serving-api") or "not installed"),
        ("Qt", QtCore.qVersion()),
        ("PySide6", PySide6.__version__),
        ("pyqtgraph", pyqtgraph.__version__),
        ("NumPy", numpy.__version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("Platform", f"{platform.platform()} · Qt platform {QtGui.QGuiApplication.platformName()}"),
    ]


def report_text(rows: list[tuple[str, str]] | None = None) -> str:
    """The versions as plain text lines ("Name: version"), as pasted into a bug report."""
    rows = rows if rows is not None else versions()
    return "\n".join(f"{name}: {value}" for name, value in rows) + "\n"


class AboutDialog(QtWidgets.QDialog):
    """The app's name, purpose and the versions table; Copy puts report_text() on the clipboard."""

    copied = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.rows = versions()

        icon = QtWidgets.QLabel()
        app_icon = QtGui.QGuiApplication.windowIcon()
        if app_icon.isNull():  # e.g. a test's QApplication: the app's own icon file still names it
            from explorer.resources import icon_path

            app_icon = QtGui.QIcon(str(icon_path()))
        if not app_icon.isNull():
            icon.setPixmap(app_icon.pixmap(64, 64))
        title = QtWidgets.QLabel(f"<h2 style='margin:0'>{APP_NAME}</h2>"
                                 f"<p style='margin-top:4px'>{HOMEPAGE_TEXT}</p>")
        title.setWordWrap(True)
        title.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        head = QtWidgets.QHBoxLayout()
        head.addWidget(icon, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        head.addWidget(title, 1)

        self.table = QtWidgets.QTableWidget(len(self.rows), 2)
        self.table.setHorizontalHeaderLabels(["Component", "Version"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        for r, (name, value) in enumerate(self.rows):
            self.table.setItem(r, 0, QtWidgets.QTableWidgetItem(name))
            item = QtWidgets.QTableWidgetItem(value)
            item.setToolTip(value)
            self.table.setItem(r, 1, item)
        self.table.horizontalHeader().setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.resizeRowsToContents()
        height = self.table.horizontalHeader().height() + sum(self.table.rowHeight(r) for r in range(len(self.rows)))
        self.table.setFixedHeight(height + 4)

        self.copy_button = QtWidgets.QPushButton("Copy")
        self.copy_button.setIcon(self.style().standardIcon(QtWidgets.QStyle.StandardPixmap.SP_FileDialogDetailedView))
        self.copy_button.setToolTip("Copy these versions to the clipboard, for a bug report")
        self.copy_button.clicked.connect(self.copy)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Close).setToolTip("Close this window (Esc)")
        self.status = QtWidgets.QLabel("")
        self.status.setStyleSheet("color: palette(placeholder-text);")

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def copy(self) -> str:
        """Put the versions on the clipboard; returns the text."""
        text = report_text(self.rows)
        QtGui.QGuiApplication.clipboard().setText(text)
        self.status.setText("Copied to the clipboard.")
        self.copied.emit(text)
        return text


if __name__ == "__main__":  # a quick look: python -m explorer.ui.widgets.about_dialog
    app = QtWidgets.QApplication(sys.argv)
    AboutDialog().exec()
