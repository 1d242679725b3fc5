"""ConversionActions: Compare > Convert to TFLite and Compare… -- convert the open SavedModel with
tf.lite.TFLiteConverter (float, dynamic range or full int8 calibrated on seeded probes) on a worker, then put the
SavedModel and its .tflite side by side in the Compare tab and send them the form's inputs at once."""
from __future__ import annotations

import os

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.convert import DEFAULT_REPRESENTATIVE, QUANTIZE, Conversion
from explorer.core.errors import ExplorerError

from .workers import Task, Worker, in_engine

LABELS = {"none": "Float (no quantisation)", "dynamic": "Dynamic range (int8 weights)",
          "int8": "Full int8 (inputs, outputs and activations)"}


class ConvertDialog(QtWidgets.QDialog):
    """How to convert: the quantisation and, for int8, how many seeded probes calibrate it."""

    def __init__(self, model_name: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Convert to TFLite and Compare")
        self.quantize = QtWidgets.QComboBox()
        for key in QUANTIZE:
            self.quantize.addItem(LABELS[key], key)
        self.quantize.setCurrentIndex(QUANTIZE.index("int8"))
        self.representative = QtWidgets.QSpinBox()
        self.representative.setRange(1, 10_000)
        self.representative.setValue(DEFAULT_REPRESENTATIVE)
        self.representative.setToolTip("Seeded probe inputs per signature (uniform in [0, 1), as compare sends) that "
                                       "calibrate the int8 ranges")
        self.quantize.currentIndexChanged.connect(self._on_quantize_changed)
        form = QtWidgets.QFormLayout()
        form.addRow("Quantisation", self.quantize)
        form.addRow("Calibration probes", self.representative)
        about = QtWidgets.QLabel(f"Converts <b>{model_name}</b> with tf.lite.TFLiteConverter into a temporary .tflite, "
                                 "then runs both on the form's inputs in the Compare tab.")
        about.setWordWrap(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("Convert and Compare")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def choice(self) -> tuple[str, int]:
        return self.quantize.currentData(), self.representative.value()

    def _on_quantize_changed(self) -> None:
        self.representative.setEnabled(self.quantize.currentData() == "int8")


class ConversionActions(QtCore.QObject):
    """The Compare menu's conversion entry; converts on its own worker, never on the GUI thread."""

    converted = QtCore.Signal(object)  # Conversion, once both columns are in the Compare tab

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.worker = Worker(self)
        self.dialog: ConvertDialog | None = None
        self.action = QtGui.QAction("Convert to &TFLite and Compare…", self)
        self.action.setToolTip("Convert the open SavedModel to .tflite (float, dynamic range or int8) and compare "
                               "the two on the form's inputs: what does quantising cost?")
        self.action.triggered.connect(self.open_dialog)
        menu = window.sessions.menu
        menu.addSeparator()
        menu.addAction(self.action)
        window.model_opened.connect(self._on_model_opened)
        self.action.setEnabled(False)

    def open_dialog(self) -> ConvertDialog | None:
        info = self.window.model()
        if info is None or info.tflite is not None:
            self.window.messages.show_message("Open a SavedModel to convert it to TFLite.", "info")
            return None
        from pathlib import Path

        self.dialog = ConvertDialog(Path(info.model_dir).name, self.window)
        self.dialog.accepted.connect(lambda: self.convert(*self.dialog.choice()))
        self.dialog.open()
        return self.dialog

    def convert(self, quantize: str, representative: int = DEFAULT_REPRESENTATIVE) -> Task | None:
        """Convert the open SavedModel on the worker; the Compare tab fills when it is done."""
        info = self.window.model()
        if info is None or info.tflite is not None:
            return None
        self.window.statusBar().showMessage(f"Converting to TFLite ({LABELS[quantize].lower()})…")
        convert = in_engine("explorer.core.convert:convert_to_tflite", f"converting {os.path.basename(info.path)} to TFLite")
        return self.worker.submit(convert, info.model_dir, quantize, None, representative,
                                  caller="convert", name="converting to TFLite",
                                  on_done=self._on_converted, on_failed=self._on_failed)

    def _on_converted(self, task: Task, conversion: Conversion) -> None:
        view = self.window.sessions.view
        info = self.window.model()
        have = {c.spec.target for c in view.columns if c.spec is not None}
        if info is not None and info.model_dir not in have and info.path not in have:
            from .run_panel import RunSpec

            view.add_target(RunSpec(info.model_dir, "folder", "auto", None), title="SavedModel")
        source = next((i for i, c in enumerate(view.columns)
                       if c.spec is not None and c.spec.target in (getattr(info, "model_dir", ""), getattr(info, "path", ""))),
                      0)
        view.add_target(conversion.tflite, title=f"TFLite {conversion.quantize if conversion.quantize != 'none' else 'float'}")
        view.set_reference(source)
        from .session_actions import COMPARE

        self.window.show_panel(COMPARE)
        self.window.statusBar().showMessage(f"Converted: {conversion.describe()} · comparing with the SavedModel")
        view.compare()
        self.converted.emit(conversion)

    def _on_failed(self, task: Task, error: ExplorerError) -> None:
        self.window.messages.show_error(error)

    def _on_model_opened(self, info) -> None:
        self.action.setEnabled(info is not None and info.tflite is None)
